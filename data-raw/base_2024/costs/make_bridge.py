"""Write bea_bridge.csv: each BEA 2017 detailed commodity/industry code -> a tradesim sector.

Run once by hand (python make_bridge.py BEA_DESCRIPTIONS_CSV); the CSV it writes is the
documented bridge (docs/data-sources.md section 12). Rules follow the HS chapters in
simulator/data/base_2024/sectors.csv; the code lists below are the exceptions to the
prefix rules, with the HS heading that decides them.
"""

from __future__ import annotations

import csv
import sys

EXACT = {
    # agriculture and food (HS 01-24 ex 22): farms, fishing, food, tobacco
    "113000": ("other_goods", "logs and wood (HS 44)"),
    "115000": ("other_services", "support activities for agriculture: a service"),
    "312200": ("agriculture", "tobacco (HS 24)"),
    # beverages (HS 22)
    **{c: ("beverages", "HS 22") for c in ["312110", "312120", "312130", "312140"]},
    # energy (HS 27, incl. 2711 gas and 2716 electricity)
    **{c: ("energy", "HS 27") for c in ["211000", "212100", "324110", "324190", "324121"]},
    "221100": ("energy", "electricity (HS 2716)"),
    "221200": ("energy", "natural gas (HS 2711)"),
    "221300": ("other_services", "water and sewage: a service"),
    "324122": ("other_goods", "asphalt shingles (HS 6807)"),
    # steel (HS 72-73): mills, castings and articles of iron or steel
    "331110": ("steel", "HS 72"),
    "331200": ("steel", "HS 72-73"),
    "331510": ("steel", "iron and steel castings (HS 7325-7326)"),
    "332310": ("steel", "structures (HS 7308)"),
    "332320": ("steel", "architectural metal (HS 7308)"),
    "332420": ("steel", "tanks (HS 7309)"),
    "332600": ("steel", "wire and springs (HS 7312-7317, 7320)"),
    "332720": ("steel", "screws, nuts, bolts (HS 7318)"),
    "332996": ("steel", "pipe fittings (HS 7307)"),
    # aluminium (HS 76)
    "331313": ("aluminium", "HS 7601"),
    "33131B": ("aluminium", "HS 7604-7616"),
    "331314": ("aluminium", "secondary aluminium (HS 7601-7602)"),
    # machinery that is not in chapter 33: boilers, valves, bearings
    "332410": ("machinery", "boilers (HS 8402-8404)"),
    "332913": ("machinery", "taps and valves (HS 8481)"),
    "33291A": ("machinery", "valves (HS 8481)"),
    "332991": ("machinery", "bearings (HS 8482)"),
    "333314": ("other_goods", "optical instruments (HS 90)"),
    "333316": ("other_goods", "photographic equipment (HS 90)"),
    # computers and semiconductors (HS 8471, 8473, 8541, 8542)
    **{c: ("computers_semis", "HS 8471/8473/8541-8542") for c in
       ["334111", "334112", "334118", "334413", "334418"]},
    "33441A": ("machinery", "other electronic components (HS 8532-8536)"),
    # phones and consumer electronics (HS 8517, 8518-8528) are consumer goods
    "334210": ("consumer_goods", "telephone apparatus (HS 8517)"),
    "334220": ("consumer_goods", "wireless equipment incl. mobile phones (HS 8517)"),
    "334290": ("machinery", "other communications equipment (HS 8531)"),
    "334300": ("consumer_goods", "audio and video equipment (HS 8518-8528)"),
    "334610": ("machinery", "recorded media (HS 8523)"),
    "335120": ("consumer_goods", "lighting fixtures (HS 9405)"),
    # motor vehicles and parts (HS 8701-8708)
    "336212": ("other_goods", "truck trailers (HS 8716)"),
    "336214": ("other_goods", "travel trailers (HS 8716)"),
    "336991": ("motorcycles", "motorcycles, bicycles and parts (HS 8711-8714)"),
    **{c: ("aircraft", "HS 88, 8411") for c in ["336411", "336412", "336413"]},
    # pharmaceuticals (HS 30)
    **{c: ("pharma", "HS 30 (medicinal and botanical: bulk drugs)") for c in
       ["325411", "325412", "325413", "325414"]},
    # consumer goods (HS 61-64, 94-95)
    "315000": ("consumer_goods", "apparel (HS 61-62)"),
    "316000": ("consumer_goods", "footwear and leather goods (HS 64, 42)"),
    "339920": ("consumer_goods", "sporting goods (HS 95)"),
    "339930": ("consumer_goods", "toys and games (HS 95)"),
    # digital services: telecom, computer and information services, charges for IP
    **{c: ("digital_services", "telecommunications, computer and information services") for c in
       ["511200", "517110", "517210", "517A00", "518200", "519130", "5191A0",
        "541511", "541512", "54151A"]},
    "533000": ("digital_services", "lessors of intangible assets (charges for the use of IP)"),
    # residual commodity rows of the use table
    "S00401": ("other_goods", "scrap"),
    "S00402": ("other_goods", "used and secondhand goods"),
    "S00300": ("other_services", "noncomparable imports (mostly services bought abroad)"),
    "S00900": ("other_services", "rest of the world adjustment"),
    "4200ID": ("other_services", "customs duties row (not a product)"),
}

PREFIX = [  # first match wins
    ("11", "agriculture", "farms and fishing (HS 01-14)"),
    ("311", "agriculture", "food manufacturing (HS 02-23)"),
    ("314", "consumer_goods", "made-up textiles, carpets (HS 57, 63)"),
    ("333", "machinery", "HS 84"),
    ("335", "machinery", "electrical equipment (HS 85)"),
    ("3363", "autos", "parts and engines (HS 8407-8409, 8708)"),
    ("3361", "autos", "vehicles (HS 8702-8704)"),
    ("3362", "autos", "bodies and motor homes (HS 8703, 8707)"),
    ("337", "consumer_goods", "furniture (HS 94)"),
    ("3", "other_goods", "other manufactures and mining (HS 25-26, 28-29, 31-49, 68-71, 74-83, 89-93, 96)"),
    ("2", "other_services", "support activities for mining, construction"),
    ("", "other_services", "services"),
]


def sector_of(code: str) -> tuple[str, str]:
    if code in EXACT:
        return EXACT[code]
    for prefix, sector, note in PREFIX:
        if code.startswith(prefix):
            return sector, note
    raise AssertionError(code)


def main(path: str) -> None:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    extra = {"S00101": "Federal electric utilities", "S00201": "State and local government passenger transit",
             "S00202": "State and local government electric utilities",
             "331314": "Secondary smelting and alloying of aluminum (industry only)"}
    codes = [(r["Commodity Code"], r["Description"]) for r in rows]
    codes += [(c, d) for c, d in extra.items() if c not in {k for k, _ in codes}]
    with open("bea_bridge.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["bea_code", "description", "sector", "basis"])
        for code, desc in codes:
            sector, note = sector_of(code)
            if code in ("S00101", "S00202"):
                sector, note = "energy", "government electric utilities (HS 2716)"
            w.writerow([code, desc, sector, note])


if __name__ == "__main__":
    main(sys.argv[1])

"""Hints for region and sector codes written as everyday words ("Germany", "cars").

Countries map to ISO 3166 alpha-3 codes; a country that is not a region of the data set is
pointed to the group that holds it (an EU member to ``EU``) or to ``ROW``. Product words map
to the default sector codes. A hint is only given for a code the data set has.
"""

from __future__ import annotations

from collections.abc import Sequence

EU_MEMBERS = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
        "SWE",
    }
)  # fmt: skip
"""The 27 member states of the European Union (since 2020-02-01)."""

COUNTRIES = {
    "united states": "USA", "us": "USA", "america": "USA", "united states of america": "USA",
    "china": "CHN", "prc": "CHN", "mexico": "MEX", "canada": "CAN", "vietnam": "VNM",
    "viet nam": "VNM", "japan": "JPN", "korea": "KOR", "south korea": "KOR", "taiwan": "TWN",
    "india": "IND", "european union": "EU", "europe": "EU", "germany": "DEU", "france": "FRA",
    "italy": "ITA", "spain": "ESP", "ireland": "IRL", "netherlands": "NLD", "holland": "NLD",
    "belgium": "BEL", "austria": "AUT", "poland": "POL", "sweden": "SWE", "denmark": "DNK",
    "finland": "FIN", "portugal": "PRT", "greece": "GRC", "czechia": "CZE", "hungary": "HUN",
    "romania": "ROU", "luxembourg": "LUX", "united kingdom": "GBR", "uk": "GBR",
    "britain": "GBR", "great britain": "GBR", "england": "GBR", "switzerland": "CHE",
    "brazil": "BRA", "russia": "RUS", "australia": "AUS", "thailand": "THA",
    "malaysia": "MYS", "singapore": "SGP", "indonesia": "IDN", "israel": "ISR",
}  # fmt: skip

PRODUCTS = {
    "cars": "autos", "car": "autos", "vehicles": "autos", "automobiles": "autos",
    "auto_parts": "autos", "trucks": "autos", "chips": "computers_semis",
    "semiconductors": "computers_semis", "computers": "computers_semis",
    "servers": "computers_semis", "ai_hardware": "computers_semis", "gpus": "computers_semis",
    "soybeans": "agriculture", "soy": "agriculture", "food": "agriculture",
    "grains": "agriculture", "farm": "agriculture", "whiskey": "beverages",
    "whisky": "beverages", "bourbon": "beverages", "wine": "beverages", "spirits": "beverages",
    "iron": "steel", "aluminum": "aluminium", "oil": "energy", "gas": "energy",
    "lng": "energy", "crude": "energy", "drugs": "pharma", "medicines": "pharma",
    "pharmaceuticals": "pharma", "harley": "motorcycles", "planes": "aircraft",
    "airplanes": "aircraft", "boeing": "aircraft", "electronics": "machinery",
    "equipment": "machinery", "clothing": "consumer_goods", "toys": "consumer_goods",
    "furniture": "consumer_goods", "software": "digital_services",
    "cloud": "digital_services", "services": "other_services",
}  # fmt: skip


def code_hint(word: str, kind: str, valid: Sequence[str]) -> str | None:
    """A hint for an unknown ``kind`` ("region" or "sector") code written as a word."""
    key = str(word).strip().lower().replace(" ", "_" if kind == "sector" else " ")
    if kind == "sector":
        code = PRODUCTS.get(key)
        return f"{word!r} is in sector {code!r}" if code in valid else None
    code = COUNTRIES.get(key) or str(word).upper()
    if code in valid and code != word:
        return f"did you mean {code!r}?"
    if code in EU_MEMBERS and "EU" in valid:
        rest = " (the group) or 'EU_OTHER' (its members not named)" if "EU_OTHER" in valid else ""
        return f"{word!r} is part of the EU here: use 'EU'{rest}"
    if (key in COUNTRIES or code in COUNTRIES.values()) and "ROW" in valid:
        return f"{word!r} is part of ROW (rest of world) in this data set"
    return None

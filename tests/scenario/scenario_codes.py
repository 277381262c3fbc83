"""Region and sector codes of the default data set, as the scenario tests assume them."""

REGIONS = ["USA", "CHN", "EU", "MEX", "CAN", "VNM", "JPN", "KOR", "TWN", "IND", "ROW"]
SECTORS = [
    *("agriculture", "beverages", "energy", "steel", "aluminium", "autos", "motorcycles"),
    *("aircraft", "machinery", "computers_semis", "pharma", "consumer_goods", "other_goods"),
    *("digital_services", "other_services"),
]

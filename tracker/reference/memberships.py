"""Current member lists of the reference blocs and organisations, by ISO 3166-1 alpha-3 code.

As of: late November 2025. Review these lists whenever a group admits, expels or loses a member;
each list carries a comment with the facts it depends on.

Membership here means full membership. Observers, partners, dialogue partners and candidates are
left out, and so is a suspension: a suspended member is still a member (the African Union has
suspended several members after coups; the OIC suspended Syria in 2012), because analysts still
read that member's statements as coming from inside the group.
"""

from __future__ import annotations

from typing import Final

# European Union: 27 member states since the United Kingdom left on 31 January 2020.
EU: Final = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip

# United Nations: the 193 member states. The two observer states (Holy See, State of Palestine)
# are not members; neither are Taiwan, Western Sahara or Kosovo (which ISO 3166-1 does not list).
UN: Final = (
    "AFG", "ALB", "DZA", "AND", "AGO", "ATG", "ARG", "ARM", "AUS", "AUT", "AZE", "BHS", "BHR",
    "BGD", "BRB", "BLR", "BEL", "BLZ", "BEN", "BTN", "BOL", "BIH", "BWA", "BRA", "BRN", "BGR",
    "BFA", "BDI", "CPV", "KHM", "CMR", "CAN", "CAF", "TCD", "CHL", "CHN", "COL", "COM", "COG",
    "CRI", "CIV", "HRV", "CUB", "CYP", "CZE", "PRK", "COD", "DNK", "DJI", "DMA", "DOM", "ECU",
    "EGY", "SLV", "GNQ", "ERI", "EST", "SWZ", "ETH", "FJI", "FIN", "FRA", "GAB", "GMB", "GEO",
    "DEU", "GHA", "GRC", "GRD", "GTM", "GIN", "GNB", "GUY", "HTI", "HND", "HUN", "ISL", "IND",
    "IDN", "IRN", "IRQ", "IRL", "ISR", "ITA", "JAM", "JPN", "JOR", "KAZ", "KEN", "KIR", "KWT",
    "KGZ", "LAO", "LVA", "LBN", "LSO", "LBR", "LBY", "LIE", "LTU", "LUX", "MDG", "MWI", "MYS",
    "MDV", "MLI", "MLT", "MHL", "MRT", "MUS", "MEX", "FSM", "MCO", "MNG", "MNE", "MAR", "MOZ",
    "MMR", "NAM", "NRU", "NPL", "NLD", "NZL", "NIC", "NER", "NGA", "MKD", "NOR", "OMN", "PAK",
    "PLW", "PAN", "PNG", "PRY", "PER", "PHL", "POL", "PRT", "QAT", "KOR", "MDA", "ROU", "RUS",
    "RWA", "KNA", "LCA", "VCT", "WSM", "SMR", "STP", "SAU", "SEN", "SRB", "SYC", "SLE", "SGP",
    "SVK", "SVN", "SLB", "SOM", "ZAF", "SSD", "ESP", "LKA", "SDN", "SUR", "SWE", "CHE", "SYR",
    "TJK", "THA", "TLS", "TGO", "TON", "TTO", "TUN", "TUR", "TKM", "TUV", "UGA", "UKR", "ARE",
    "GBR", "TZA", "USA", "URY", "UZB", "VUT", "VEN", "VNM", "YEM", "ZMB", "ZWE",
)  # fmt: skip

# Gulf Cooperation Council: the six founding members of 1981.
GCC: Final = ("BHR", "KWT", "OMN", "QAT", "SAU", "ARE")

# Organisation of Islamic Cooperation: 57 members, including the State of Palestine. Syria's
# membership was suspended in 2012 but not ended, so Syria is counted.
OIC: Final = (
    "AFG", "ALB", "DZA", "AZE", "BHR", "BGD", "BEN", "BRN", "BFA", "CMR", "TCD", "COM", "CIV",
    "DJI", "EGY", "GAB", "GMB", "GIN", "GNB", "GUY", "IDN", "IRN", "IRQ", "JOR", "KAZ", "KWT",
    "KGZ", "LBN", "LBY", "MYS", "MDV", "MLI", "MRT", "MAR", "MOZ", "NER", "NGA", "OMN", "PAK",
    "PSE", "QAT", "SAU", "SEN", "SLE", "SOM", "SDN", "SUR", "SYR", "TJK", "TGO", "TUN", "TUR",
    "TKM", "UGA", "ARE", "UZB", "YEM",
)  # fmt: skip

# League of Arab States: 22 members, including Palestine; Syria was readmitted in May 2023.
LAS: Final = (
    "DZA", "BHR", "COM", "DJI", "EGY", "IRQ", "JOR", "KWT", "LBN", "LBY", "MRT", "MAR", "OMN",
    "PSE", "QAT", "SAU", "SOM", "SDN", "SYR", "TUN", "ARE", "YEM",
)  # fmt: skip

# North Atlantic Treaty Organization: 32 members since Sweden joined in March 2024.
NATO: Final = (
    "ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "ISL", "ITA", "LVA", "LTU", "LUX", "MNE", "NLD", "MKD", "NOR", "POL", "PRT", "ROU", "SVK",
    "SVN", "ESP", "SWE", "TUR", "GBR", "USA",
)  # fmt: skip

# African Union: 55 members, the 54 African UN member states plus the Sahrawi Arab Democratic
# Republic (ESH, "Western Sahara" in ISO 3166-1). Members under suspension are still counted.
AU: Final = (
    "DZA", "AGO", "BEN", "BWA", "BFA", "BDI", "CMR", "CPV", "CAF", "TCD", "COM", "COG", "COD",
    "CIV", "DJI", "EGY", "GNQ", "ERI", "SWZ", "ETH", "GAB", "GMB", "GHA", "GIN", "GNB", "KEN",
    "LSO", "LBR", "LBY", "MDG", "MWI", "MLI", "MRT", "MUS", "MAR", "MOZ", "NAM", "NER", "NGA",
    "RWA", "ESH", "STP", "SEN", "SYC", "SLE", "SOM", "ZAF", "SSD", "SDN", "TZA", "TGO", "TUN",
    "UGA", "ZMB", "ZWE",
)  # fmt: skip

# Association of Southeast Asian Nations: 11 members since Timor-Leste joined in October 2025.
ASEAN: Final = (
    "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "TLS",
)  # fmt: skip

# Shanghai Cooperation Organisation: 10 members; Iran joined in July 2023, Belarus in July 2024.
SCO: Final = ("CHN", "IND", "KAZ", "KGZ", "PAK", "RUS", "TJK", "UZB", "IRN", "BLR")

# BRICS: 10 full members. Egypt, Ethiopia, Iran and the UAE joined in January 2024, Indonesia in
# January 2025. Saudi Arabia was invited but has not confirmed, so it is not listed; the
# "partner countries" (Belarus, Bolivia, Kazakhstan, ...) are not members either.
BRICS: Final = ("BRA", "RUS", "IND", "CHN", "ZAF", "EGY", "ETH", "IRN", "ARE", "IDN")

MEMBERS: Final[dict[str, tuple[str, ...]]] = {
    "EU": EU,
    "UN": UN,
    "GCC": GCC,
    "OIC": OIC,
    "LAS": LAS,
    "NATO": NATO,
    "AU": AU,
    "ASEAN": ASEAN,
    "SCO": SCO,
    "BRICS": BRICS,
}
"""Group code -> member codes (ISO 3166-1 alpha-3)."""

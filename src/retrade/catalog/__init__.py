"""The catalog: rare-earth products by value-chain stage, and countries by every code in use."""

from retrade.catalog.countries import (
    AREAS_NES,
    GROUPS,
    OTHER_ASIA_NES,
    WORLD,
    comtrade_to_iso3,
    country_name,
    group_members,
    in_group,
    iso3_to_comtrade,
    kind_of,
    name_to_iso3,
    register_names,
    to_iso3,
)
from retrade.catalog.products import (
    HS_VINTAGES,
    NATIONAL_LINES,
    PRODUCTS,
    STAGE_LABELS,
    STAGES,
    Product,
    catalog_table,
    hs_codes,
    normalize_hs,
    product,
    stage_of,
)

__all__ = [
    "AREAS_NES", "GROUPS", "HS_VINTAGES", "NATIONAL_LINES", "OTHER_ASIA_NES", "PRODUCTS",
    "STAGES", "STAGE_LABELS", "WORLD", "Product", "catalog_table", "comtrade_to_iso3",
    "country_name", "group_members", "hs_codes", "in_group", "iso3_to_comtrade", "kind_of",
    "name_to_iso3", "normalize_hs", "product", "register_names", "stage_of", "to_iso3",
]

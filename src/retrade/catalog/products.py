"""The rare-earth value chain as HS codes: which six-digit lines belong to which stage.

Every product names the HS vintages (editions) it exists in and, where the line
is broader than rare earths, a caveat. National lines (China's HS8, the US
HTS10) roll up to these six-digit codes by their first six digits; a few are
listed with the part of the six-digit line they isolate.

References: WCO Harmonized System nomenclature 1988-2022; UN Comtrade HS
reference list (``files/v1/app/reference/HS.json``); China customs HS8 code
lists 2015-2023.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from retrade import choices
from retrade.errors import CatalogError

Stage = choices.Stage
STAGES: tuple[Stage, ...] = choices.values(Stage)
STAGE_LABELS: dict[str, str] = {
    "ores": "Ores and concentrates",
    "compounds": "Separated compounds (oxides, salts)",
    "metals": "Metals and alloys",
    "magnets": "Permanent magnets",
}

# HS editions as Comtrade codes them, with the year each entered into force
HS_VINTAGES: dict[str, int] = {
    "H0": 1988, "H1": 1996, "H2": 2002, "H3": 2007, "H4": 2012, "H5": 2017, "H6": 2022,
}
_ALL_VINTAGES = tuple(HS_VINTAGES)


@dataclass(frozen=True)
class Product:
    """One six-digit HS line of the rare-earth value chain."""

    hs6: str
    stage: Stage
    description: str
    vintages: tuple[str, ...] = _ALL_VINTAGES
    core: bool = True
    caveat: str = ""


PRODUCTS: tuple[Product, ...] = (
    Product(
        "253090", "ores",
        "Mineral substances n.e.s. (includes rare-earth ores such as bastnaesite)",
        core=False,
        caveat="Mixed heading, far broader than rare earths; China isolates rare-earth ores as "
        "HS8 25309020. Use only with that national split or as an upper bound.",
    ),
    Product(
        "261220", "ores", "Thorium ores and concentrates (monazite often lands here)",
        caveat="Monazite is classified here by many customs; not all of it is rare-earth bearing "
        "trade, and some monazite goes under 253090.",
    ),
    Product("284610", "compounds", "Cerium compounds"),
    Product(
        "284690", "compounds",
        "Compounds of rare-earth metals, yttrium or scandium, other than cerium",
        caveat="The mid-stream workhorse: oxides, carbonates, chlorides of every element except "
        "cerium; element-level controls (2025) map to its national sub-lines only partly.",
    ),
    Product(
        "280530", "metals", "Rare-earth metals, scandium and yttrium, whether or not intermixed",
        caveat="Includes scandium and yttrium; NdFeB alloys and some master alloys fall under "
        "720299 or 850590 instead.",
    ),
    Product(
        "850511", "magnets", "Permanent magnets of metal and articles to become such",
        caveat="Includes ferrite/AlNiCo and other non-rare-earth metal magnets; China isolates "
        "rare-earth magnets as HS8 85051110 and the US as HTS10 8505.11.0070.",
    ),
    Product(
        "720299", "metals", "Ferro-alloys n.e.s. (includes some rare-earth ferro-alloys)",
        core=False, caveat="Mostly not rare earths; excluded from standard totals.",
    ),
    Product(
        "850590", "magnets",
        "Electro-magnets, magnetic chucks and parts (includes some magnet alloys)",
        core=False, caveat="Mostly not rare earths; excluded from standard totals.",
    ),
)

_BY_HS6 = {p.hs6: p for p in PRODUCTS}

# national lines that isolate the rare-earth part of a broader six-digit line
NATIONAL_LINES: dict[str, dict[str, str]] = {
    "CHN": {
        "25309020": "Rare-earth metal ores (稀土金属矿)",
        "26122000": "Thorium ores and concentrates",
        "85051110": "Permanent magnets of rare-earth metals (稀土的永磁铁)",
        "85051190": "Other permanent magnets of metal",
    },
    "USA": {
        "8505110070": "Permanent magnets of rare-earth metals (HTS 8505.11.0070)",
    },
}


def product(hs6: str) -> Product:
    """The catalog entry for an HS6 code (a national line rolls up by its first six digits).

    Examples
    --------
    >>> product("28469090").stage
    'compounds'
    """
    code = normalize_hs(hs6)[:6]
    try:
        return _BY_HS6[code]
    except KeyError:
        raise CatalogError(
            f"HS code {hs6!r} is not in the rare-earth catalog; known HS6 codes: {sorted(_BY_HS6)}"
        ) from None


def normalize_hs(code: str | int) -> str:
    """An HS code as a digit string ('2846.90' -> '284690'); raises on anything else."""
    text = str(code).strip().replace(".", "").replace(" ", "").lstrip("'")
    if not text.isdigit() or len(text) < 4 or len(text) > 10 or len(text) % 2:
        raise CatalogError(f"{code!r} is not an HS code (4, 6, 8 or 10 digits)")
    return text


def stage_of(hs: str) -> Stage:
    """Value-chain stage of an HS6 (or longer national) code."""
    return product(hs).stage


def hs_codes(
    selection: str | Iterable[str] | None = None, *, include_broad: bool = False
) -> list[str]:
    """Resolve HS codes and stage names to a sorted list of catalog HS6 codes.

    Parameters
    ----------
    selection : str or iterable of str, optional
        HS6 codes, stage names (``"ores"``, ``"compounds"``, ``"metals"``,
        ``"magnets"``) or ``"all"``; ``None`` means all core codes.
    include_broad : bool
        Include the broad lines (253090, 720299, 850590) when a stage or
        ``"all"`` is asked for. Codes named explicitly are always included.

    Examples
    --------
    >>> hs_codes("compounds")
    ['284610', '284690']
    >>> hs_codes(["280530", "magnets"])
    ['280530', '850511']
    """
    if selection is None:
        selection = ["all"]
    items = [selection] if isinstance(selection, str) else list(selection)
    out: set[str] = set()
    for item in items:
        for token in str(item).split(","):
            token = token.strip().lower()
            if not token:
                continue
            if token == "all" or token in STAGES:
                out.update(
                    p.hs6 for p in PRODUCTS
                    if (token == "all" or p.stage == token) and (p.core or include_broad)
                )
            else:
                out.add(product(token).hs6)
    if not out:
        raise CatalogError(f"no HS codes selected by {selection!r}")
    return sorted(out)


def catalog_table():
    """The catalog as a DataFrame (one row per HS6), for display and joins."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "hs6": p.hs6, "stage": p.stage, "description": p.description,
                "core": p.core, "vintages": ",".join(p.vintages), "caveat": p.caveat,
            }
            for p in PRODUCTS
        ]
    )

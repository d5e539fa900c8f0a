"""Comtrade's reporter and partner lists: refresh them into the store, check the catalog.

The lists live at ``files/v1/app/reference/Reporters.json`` and
``partnerAreas.json`` (no key needed). They are stored as raw source
``comtrade_reference`` (one Parquet file per list, replaced on refresh), and
:func:`check_catalog` compares them with :mod:`retrade.catalog.countries`: a
Comtrade code the catalog cannot map, or maps to another ISO3 than Comtrade
gives, is listed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from retrade.catalog import comtrade_to_iso3
from retrade.config import Settings, load_settings
from retrade.errors import ResponseError, StoreError

SOURCE = "comtrade_reference"
REFERENCE_LISTS: tuple[str, ...] = ("Reporters", "partnerAreas")


@dataclass(frozen=True)
class CatalogCheck:
    """Result of checking the catalog against one Comtrade list.

    Attributes
    ----------
    name : str
        The list (``Reporters`` or ``partnerAreas``).
    codes : int
        Entries in the list.
    unmatched : tuple of (int, str)
        Codes the catalog cannot map (code, Comtrade's name).
    differing : tuple of (int, str, str, str)
        Codes the catalog maps to another ISO3 than Comtrade's (code, name,
        Comtrade ISO3, catalog code); historic areas and Comtrade's group
        pseudo-codes (``EUR``, ``S19`` ...) are not listed.
    """

    name: str
    codes: int
    unmatched: tuple[tuple[int, str], ...]
    differing: tuple[tuple[int, str, str, str], ...]

    @property
    def ok(self) -> bool:
        return not self.unmatched and not self.differing


def refresh_reference(
    names: Iterable[str] = REFERENCE_LISTS,
    *,
    settings: Settings | None = None,
    store=None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Download Comtrade reference lists into the store; return the entries per list."""
    from retrade.fetch.comtrade.client import ComtradeClient
    from retrade.store import Part, RawStore

    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    client = ComtradeClient(settings, sleep=sleep)
    counts = {}
    try:
        for name in names:
            results, response = client.reference(name)
            table = pa.Table.from_pylist(results)
            if "id" not in table.column_names:
                raise ResponseError(f"{response.url}: reference entries have no 'id'")
            store.write(SOURCE, [Part({"list": name}, name, table)],
                        query={"path": f"/files/v1/app/reference/{name}.json"},
                        content_sha256=_sha(response.content),
                        coverage={"kind": "reference", "list": name,
                                  "last_modified": response.headers.get("last-modified", "")})
            counts[name] = table.num_rows
    finally:
        client.close()
    return counts


def reference_table(store, name: str) -> pd.DataFrame | None:
    """A stored reference list, or ``None`` if it has not been refreshed into ``store``."""
    try:
        table = store.read(SOURCE, where={"list": name})
    except StoreError:
        return None
    return table if len(table) else None


def known_reporters(store) -> dict[int, str] | None:
    """Comtrade reporter code -> name from the stored ``Reporters`` list, if there is one."""
    table = reference_table(store, "Reporters")
    if table is None:
        return None
    return {int(code): str(text) for code, text in zip(table["id"], table["text"], strict=True)}


def check_catalog(table: pd.DataFrame, *, name: str) -> CatalogCheck:
    """Compare a Comtrade reference list (``id``, ``text``, ``...IsoAlpha3``) with the catalog.

    Examples
    --------
    >>> t = pd.DataFrame({"id": [156, 842, 999], "text": ["China", "USA", "Nowhere"],
    ...                   "reporterCodeIsoAlpha3": ["CHN", "USA", "NWH"]})
    >>> check_catalog(t, name="Reporters").unmatched
    ((999, 'Nowhere'),)
    """
    iso_col = next((c for c in table.columns if c.lower().endswith("isoalpha3")), None)
    unmatched, differing = [], []
    isos = table[iso_col].fillna("") if iso_col else pd.Series("", index=table.index)
    for raw_code, raw_text, raw_iso in zip(table["id"], table["text"], isos, strict=True):
        code, text = int(str(raw_code)), str(raw_text)
        ours = comtrade_to_iso3(code)
        if ours is None:
            unmatched.append((code, text))
            continue
        theirs = str(raw_iso).strip()
        if _is_country_iso3(theirs) and theirs != ours and "(..." not in text:
            differing.append((code, text, theirs, ours))
    return CatalogCheck(name, len(table), tuple(unmatched), tuple(differing))


def _is_country_iso3(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and code != "EUR" and _coco_knows(code)


def _coco_knows(code: str) -> bool:
    from retrade.catalog.countries import _coco_table

    return code in set(_coco_table()["ISO3"])


def _sha(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()

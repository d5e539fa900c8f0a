"""Rebuild the element catalog of China's rare-earth HS8 lines from the official GACC code list.

Reads the yearly GACC commodity code lists (the customs statistics platform's parameter
lists, 2015-2023; in the shared data folder beside the repository,
``china-customs-samples/DERIVED_gacc_rare_earth_hs8_codes_2015_2023.csv``) and writes
``src/retrade/catalog/data/rare_earth_hs8_lines.csv``: one row per code and span of years
in which its meaning stays the same, with the line's form, the element it names (or
``other``/``mixture``/``all`` when it names none or several), the elements it can hold, and
whether the April 2025 and October 2025 controls cover it. No name is copied: the
description is written here from the form and the element. Run from the repository root:

    .venv/bin/python tools/build_elements.py [--codes PATH]

How a line is read (from its Chinese name, ``name_zh``):

* element: the one element character the name carries (钕 Nd, 镝 Dy ...); ``其他``/``未列名``
  (other, n.e.s.) lines and ``混合``/``已相混合`` (mixed, intermixed) lines name none;
* form: ``氧化`` oxide, ``氯化`` chloride, ``氟化`` fluoride, ``碳酸`` carbonate, ``氢氧化`` and
  ``其他化合物``/``化合物`` other compound, 2805 metals (``已相混合`` intermixed ones: mixture),
  2530/2612 ore, 8505 magnet;
* the elements a residual (``other``) line can hold singly: those without a line of their
  own of that form that year (plus scandium while the 2805 name names it; cerium, whose
  compounds are 2846.10, never in 2846.90); ``mixtures`` says whether the line can also
  hold mixtures (mixture lines, ores, rare-earth magnets, and residual compound lines
  without a mixture line of their form beside them), which can hold any of the 17;
* coverage by a control (``all``/``part``/``none``): whether all, some or none of those
  elements are among the control's elements (``retrade.models.events``); ores are ``none``
  (the announcements' item lists name metals, alloys, targets, oxides, compounds and
  magnets, not ores), magnets of other metals are ``none``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

ELEMENT_CHARS = {"钪": "Sc", "钇": "Y", "镧": "La", "铈": "Ce", "镨": "Pr", "钕": "Nd", "钷": "Pm",
                 "钐": "Sm", "铕": "Eu", "钆": "Gd", "铽": "Tb", "镝": "Dy", "钬": "Ho", "铒": "Er",
                 "铥": "Tm", "镱": "Yb", "镥": "Lu"}
ALL = ("Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
       "Yb", "Lu")
NAMES = {"Sc": "scandium", "Y": "yttrium", "La": "lanthanum", "Ce": "cerium",
         "Pr": "praseodymium", "Nd": "neodymium", "Pm": "promethium", "Sm": "samarium",
         "Eu": "europium", "Gd": "gadolinium", "Tb": "terbium", "Dy": "dysprosium",
         "Ho": "holmium", "Er": "erbium", "Tm": "thulium", "Yb": "ytterbium", "Lu": "lutetium"}
FORMS = (("氢氧化", "other compound"), ("氧化", "oxide"), ("氯化", "chloride"),
         ("氟化", "fluoride"), ("碳酸", "carbonate"), ("化合物", "other compound"))
SOURCE = ("GACC HS8 commodity code list {first}-{last} (customs statistics platform "
          "stats.customs.gov.cn parameter list, as kept in R package chinautils, MIT); element "
          "and form read from the line's Chinese name; coverage from the elements of MOFCOM/GAC "
          "Announcement 2025 No. 18 (April) and No. 57 (October) in retrade.models.events")
COLUMNS = ("code", "first_year", "last_year", "hs6", "form", "scope", "element", "elements",
           "mixtures", "april_2025", "october_2025", "description", "source")


def form_of(code: str, name: str) -> str:
    """The line's form from its code and Chinese name."""
    if code.startswith(("2530", "2612")):
        return "ore"
    if code.startswith("8505"):
        return "magnet"
    if code.startswith("2805"):
        return "mixture" if "已相" in name else "metal"
    return next(form for mark, form in FORMS if mark in name)


def scope_of(code: str, name: str, form: str) -> tuple[str, str]:
    """``(scope, element)``: ``element`` lines name one element; the rest name none or several.

    The part of the name before its first comma says what the line holds: a generic
    ``稀土`` (rare earths) there makes it a residual line even when it also names an element
    (``其他稀土金属、钪``: other rare-earth metals, scandium).
    """
    if form in ("ore", "magnet"):
        return ("all" if "稀土" in name or "钍" in name else "none"), ""
    if form == "mixture" or name.startswith("混合"):
        return "mixture", ""
    head = re.split("[，,]", name)[0]
    if "稀土" in head:
        return "other", ""
    named = [symbol for char, symbol in ELEMENT_CHARS.items() if char in head]
    if len(named) != 1:
        raise SystemExit(f"{code} {name!r}: names {named}, expected one element")
    return "element", named[0]


def classify(year_rows: pd.DataFrame) -> pd.DataFrame:
    """Form, scope and element of every line of one year."""
    out = year_rows.copy()
    out["form"] = [form_of(c, n) for c, n in zip(out["code"], out["name_zh"], strict=True)]
    scoped = [scope_of(c, n, f) for c, n, f in
              zip(out["code"], out["name_zh"], out["form"], strict=True)]
    out["scope"] = [s for s, _ in scoped]
    out["element"] = [e for _, e in scoped]
    out["elements"] = [_elements(row, out) for row in out.itertuples(index=False)]
    out["mixtures"] = [_mixtures(row, out) for row in out.itertuples(index=False)]
    out["detail"] = ["hydroxide" if "氢氧化" in n else "" for n in out["name_zh"]]
    return out


def _elements(row, year: pd.DataFrame) -> str:
    """The elements a line can hold, singly (a mixture line, or a residual line without a
    mixture line of its form beside it, can also hold mixtures: see :func:`_mixtures`)."""
    if row.scope == "element":
        return row.element
    if row.scope == "none":
        return ""
    if row.scope in ("all", "mixture"):
        return " ".join(ALL)
    own = set(year.loc[(year["scope"] == "element") & (year["form"] == row.form)
                       & (year["code"].str[:4] == row.code[:4]), "element"])
    named = {s for c, s in ELEMENT_CHARS.items() if c in row.name_zh}
    cerium_apart = row.code.startswith("284690")  # cerium compounds are 2846.10
    return " ".join(e for e in ALL if (e not in own or e in named)
                    and not (cerium_apart and e == "Ce"))


def _mixtures(row, year: pd.DataFrame) -> bool:
    """Whether the line can hold mixtures of elements."""
    if row.scope in ("all", "mixture"):
        return True
    if row.scope != "other" or row.form == "metal":  # 2805 "other": not intermixed
        return False
    return not ((year["scope"] == "mixture") & (year["form"] == row.form)).any()


def coverage(elements: str, mixtures: bool, form: str, controlled: tuple[str, ...]) -> str:
    """``all``/``part``/``none``: how many of the line's elements a control names.

    A line that can hold mixtures can hold a controlled element whatever it names.
    """
    held = set(elements.split())
    if form == "ore" or not held:
        return "none"
    hit = (set(ALL) if mixtures else held) & set(controlled)
    return "all" if hit == held and not mixtures else "part" if hit else "none"


def describe(row) -> str:
    """A description in our own words."""
    what = row.detail or {
            "metal": "metal, not intermixed", "mixture": "metals, intermixed or interalloyed",
            "oxide": "oxide", "chloride": "chloride", "fluoride": "fluoride",
            "carbonate": "carbonate", "other compound": "other compounds", "ore": "ores",
            "magnet": "permanent magnets"}[row.form]
    if row.scope == "element":
        return f"{NAMES[row.element]} {what}"
    if row.scope == "mixture":
        return f"rare earths, mixed: {what}"
    if row.scope == "other":
        return f"rare earths n.e.s. (other or unnamed elements, or mixtures): {what}"
    if row.scope == "all":
        return f"rare-earth {what} (any element)" if row.form == "magnet" else (
            f"{what} holding rare earths (not element-specific)")
    return f"{what}, not of rare-earth metals"


def spans(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per code and run of consecutive years with the same reading."""
    keys = ["code", "form", "scope", "element", "elements", "mixtures", "detail"]
    lines = lines.sort_values(["code", "year"])
    change = lines[keys].ne(lines[keys].shift()).any(axis=1) | lines["year"].diff().ne(1)
    lines = lines.assign(run=change.cumsum())
    grouped = lines.groupby("run", sort=True)
    out = grouped[keys].first().assign(first_year=grouped["year"].min(),
                                       last_year=grouped["year"].max())
    return out.reset_index(drop=True)


def build(codes: Path, out: Path) -> pd.DataFrame:
    from retrade.models.events import treatment

    table = pd.read_csv(codes, dtype=str)
    table["year"] = table["year"].astype(int)
    read = pd.concat([classify(rows) for _, rows in table.groupby("year")], ignore_index=True)
    lines = spans(read)
    april, october = (treatment(n).elements for n in ("2025-04 controls", "2025-10 controls"))
    lines["hs6"] = lines["code"].str[:6]
    for column, controlled in (("april_2025", april), ("october_2025", october)):
        lines[column] = [coverage(e, m, f, controlled) for e, m, f in
                         zip(lines["elements"], lines["mixtures"], lines["form"], strict=True)]
    lines["description"] = [describe(r) for r in lines.itertuples(index=False)]
    lines["source"] = [SOURCE.format(first=a, last=b) for a, b in
                       zip(lines["first_year"], lines["last_year"], strict=True)]
    lines = lines[list(COLUMNS)].sort_values(["code", "first_year"]).reset_index(drop=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines.to_csv(out, index=False, lineterminator="\n")
    return lines


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = root.parent / "shared" / "data" / "china-customs-samples"
    parser.add_argument("--codes", type=Path,
                        default=shared / "DERIVED_gacc_rare_earth_hs8_codes_2015_2023.csv")
    parser.add_argument("--out", type=Path,
                        default=root / "src" / "retrade" / "catalog" / "data"
                        / "rare_earth_hs8_lines.csv")
    args = parser.parse_args()
    lines = build(args.codes, args.out)
    print(f"{len(lines)} rows for {lines['code'].nunique()} codes -> {args.out}")


if __name__ == "__main__":
    main()

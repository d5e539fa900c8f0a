"""GACC platform downloads with province and HS8 columns, built at run time from real material.

Shared by ``tests/fetch/test_elements_import.py`` and ``tests/pipeline/test_pipeline_elements.py``;
what the input is made of, and why, is in the first one's docstring. Nothing of it is committed.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

FOLDER = "china-customs-samples"
SAMPLE = "gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv"
LINES = ("28469015", "28469013", "28053012", "28469019")  # Dy oxide, Nd oxide, Dy metal, n.e.s.
PROVINCES = ("15", "36")  # Inner Mongolia, Jiangxi


def _columns(shared, language: str) -> tuple[str, str]:
    names = pd.read_csv(shared(FOLDER, "DERIVED_gacc_download_column_names_en_zh.csv"), dtype=str)
    rows = names.set_index("clean_name")
    return rows.loc["province", language], rows.loc["province_name", language]


def _real_download(shared, sample: str = SAMPLE) -> tuple[list[str], list[list[str]]]:
    text = shared(FOLDER, sample).read_bytes().decode("gb18030")
    rows = [r[:-1] for r in csv.reader(io.StringIO(text))]  # drop the trailing empty field
    return rows[0], rows[1:]


def _provinces(shared) -> dict[str, str]:
    table = pd.read_csv(shared(FOLDER, "gacc_codes_provinces_china_customs_provinces.csv"),
                        encoding="gb18030", dtype=str, usecols=[0, 1])
    return dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))


def _line_names(shared) -> dict[str, str]:
    codes = pd.read_csv(shared(FOLDER, "DERIVED_gacc_rare_earth_hs8_codes_2015_2023.csv"),
                        dtype=str)
    latest = codes[codes["year"] == "2023"]
    return dict(zip(latest["code"], latest["name_zh"], strict=True))


def _english_header(header: list[str], shared) -> list[str]:
    names = pd.read_csv(shared(FOLDER, "DERIVED_gacc_download_column_names_en_zh.csv"), dtype=str)
    to_en = dict(zip(names["zh"], names["en"], strict=False))
    return [to_en[h] for h in header]


def build_input(shared, tmp_path, language: str,
                sample: str = SAMPLE) -> tuple[object, pd.DataFrame]:
    """A GBK platform download with province columns on rare-earth lines, and its rows."""
    header, rows = _real_download(shared, sample)
    code_col, name_col = _columns(shared, "zh")
    provinces, names = _provinces(shared), _line_names(shared)
    at = header.index("商品名称") + 1
    out_header = header[:at] + [code_col, name_col] + header[at:]
    out, records = [], []
    for i, row in enumerate(rows):
        line = LINES[i % len(LINES)]
        quantity, value = int(row[header.index("第一数量")]), int(
            row[header.index("人民币")].replace(",", ""))
        for province, share in zip(PROVINCES, (0.7, 0.3), strict=True):
            q, v = round(quantity * share), round(value * share)
            cells = dict(zip(header, row, strict=True))
            cells.update({"商品编码": line, "商品名称": names[line], "第一数量": str(q),
                          "人民币": f"{v:,}"})
            out.append(cells | {code_col: province, name_col: provinces[province]})
            records.append({"yearmonth": cells["数据年月"], "partner": cells["贸易伙伴名称"],
                            "code": line, "province": province, "kg": float(q),
                            "cny": float(v)})
    written = out_header if language == "zh" else _english_header(out_header, shared)
    lines = [",".join(f'"{c}"' for c in written) + ","]
    lines += [",".join(f'"{r[h]}"' for h in out_header) + "," for r in out]
    path = tmp_path / f"gacc_rare_earth_exports_by_province_{language}_{sample[-20:-8]}.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    return path, pd.DataFrame(records)

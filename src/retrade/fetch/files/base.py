"""The parsing helpers the file importers share.

Reading a file's head and text (encodings, NUL bytes, JSON, xlsx), CSV tables
through pyarrow with a Python fallback, numbers and text cleaned by whole
columns, checks (options, columns, unique keys, catalog lines) and totals. What
an importer returns is in :mod:`retrade.fetch.files.imported`. Nothing here
writes anywhere.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from retrade.catalog.products import product
from retrade.errors import CatalogError, ConfigError, ImportFormatError

HEAD_BYTES = 64 * 1024


def read_head(path: str | Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file (for sniffing)."""
    with open(path, "rb") as fh:
        return fh.read(size)


# encodings tried in order: Chinese customs files are GBK; western portals write UTF-8 or
# Windows-1252 (a Latin-1 "Curaçao" must not be read as two Chinese characters)
CHINESE: tuple[str, ...] = ("utf-8", "gb18030")
WESTERN: tuple[str, ...] = ("utf-8", "cp1252")


def decode(
    data: bytes,
    *,
    path: str | Path | None = None,
    strict: bool = True,
    encodings: Sequence[str] = CHINESE,
) -> str:
    """Bytes to text in the first of ``encodings`` that fits (a UTF-8 BOM is dropped).

    With ``strict=False`` a cut-off multi-byte character at the end (a sniffed
    head) is tolerated. Text with NUL bytes is refused: it is binary or damaged.

    Examples
    --------
    >>> decode("数据年月".encode("gbk"))
    '数据年月'
    >>> decode("Curaçao".encode("cp1252"), encodings=WESTERN)
    'Curaçao'
    >>> decode(b"\\xef\\xbb\\xbfa,b")
    'a,b'
    """
    where = f"{Path(path).name}" if path else "the file"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            if strict or exc.start < len(data) - 4:
                continue
            text = data[: exc.start].decode(encoding)
        if "\x00" in text:
            raise ImportFormatError(f"{where} contains NUL bytes: it is not text, or it is damaged")
        return text
    raise ImportFormatError(f"{where} is not text in any of {list(encodings)}")


def has_nul(path: str | Path, *, chunk: int = 1 << 23) -> bool:
    """Whether a file holds a NUL byte anywhere (read in chunks of ``chunk`` bytes)."""
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            if b"\x00" in block:
                return True
    return False


def read_text(path: str | Path, *, encodings: Sequence[str] = WESTERN) -> str:
    """A whole file as text (see :func:`decode`)."""
    return decode(Path(path).read_bytes(), path=path, encodings=encodings)


def parse_json(text: str, *, path: str | Path) -> object:
    """Parse JSON text; a damaged or cut-off file raises :class:`ImportFormatError`."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{Path(path).name} is not valid JSON ({exc}); is the file complete?"
        ) from None


def load_json(path: str | Path) -> object:
    """Read and parse a JSON file (UTF-8 or GB18030)."""
    return parse_json(read_text(path), path=path)


def head_text(path: str | Path) -> str:
    """The decoded first bytes of a file, or ``""`` if it is not text."""
    try:
        return decode(read_head(path), strict=False)
    except (ImportFormatError, OSError):
        return ""


def first_line(path: str | Path, limit: int = 160) -> str:
    """The first line of a text file, shortened, for error messages."""
    text = head_text(path)
    line = text.splitlines()[0] if text else "<not text>"
    return line if len(line) <= limit else line[:limit] + "..."


def is_xlsx(path: str | Path) -> bool:
    """Whether the file is an Office Open XML workbook (a zip with ``xl/workbook.xml``)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def read_csv_text(text: str, *, path: str | Path) -> pd.DataFrame:
    """A CSV as text cells (``""`` when empty); a row wider or narrower than the header is refused.

    pandas would fill a short row with missing values, so a file cut off in
    the middle of a line would read "fine"; here it is an error naming the line.
    Empty or repeated header names become ``Unnamed: <i>`` as in pandas.
    pyarrow's CSV reader does the parsing; a file it reads differently from
    Python's :mod:`csv` (or cannot read) goes through :mod:`csv`, which also
    words the errors.

    Examples
    --------
    >>> read_csv_text('a,b\\n1,"x, y"\\n', path="f.csv").values.tolist()
    [['1', 'x, y']]
    """
    head = text[:HEAD_BYTES]
    table = csv_strings(pa.py_buffer(text.encode("utf-8")), head=head, whole=head == text)
    if table is None:
        return _read_csv_python(text, path=path)
    # object columns of str, as the csv path gives, whatever pandas' default string dtype
    return pd.DataFrame({name: table.column(name).to_numpy(zero_copy_only=False)
                         for name in table.column_names}, columns=table.column_names,
                        dtype=object)


def csv_strings(source: Any, *, head: str, whole: bool = False) -> pa.Table | None:
    """Every cell of a CSV as an Arrow string (``""`` when empty), or None to use :mod:`csv`.

    ``source`` is what :func:`pyarrow.csv.read_csv` reads (a path or a buffer
    of UTF-8 bytes), ``head`` its first characters as text (``whole``: all of
    it). Quoting follows Python's :mod:`csv` defaults (double quotes, doubled
    to escape, newlines allowed inside quotes); blank lines are skipped.
    Columns are named as :func:`read_csv_text` names them. None when the file
    is not UTF-8, a row's width differs from the header's, the header does not
    fit in ``head``, or pyarrow reads the header differently from :mod:`csv`:
    the caller then reads it with :func:`read_csv_text`'s :mod:`csv` path,
    which gives the same cells or the error message.
    """
    return csv_table(source, head=head, whole=whole)


def csv_table(
    source: Any,
    *,
    head: str,
    whole: bool = False,
    types: Mapping[str, pa.DataType] | None = None,
    true_values: Sequence[str] = (),
    false_values: Sequence[str] = (),
) -> pa.Table | None:
    """:func:`csv_strings`, or with ``types`` the named columns typed by pyarrow as it parses.

    With ``types``, empty cells are missing in every column and a column not
    named stays text; None also when a cell does not convert (the caller then
    types the text itself) or the header repeats a name.
    """
    import pyarrow.csv as pacsv

    header = _first_record(head, whole)
    if header is None or (types is not None and len(set(header)) != len(header)):
        return None
    column_types = {name: (types or {}).get(name.strip(), pa.string()) for name in header}
    options = {
        "convert_options": pacsv.ConvertOptions(
            column_types=column_types,
            strings_can_be_null=types is not None,
            null_values=[""],
            true_values=list(true_values) or None,
            false_values=list(false_values) or None,
        ),
    }
    table = None
    for newlines in (False, True):  # False parses in parallel; pyarrow says when it cannot
        try:
            table = pacsv.read_csv(
                source,
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=newlines, ignore_empty_lines=True
                ),
                **options,
            )
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            if "out of sync" not in str(exc):
                return None
    if table is None or table.column_names != header:
        return None
    return table.rename_columns(_header_names(header))


def _first_record(head: str, whole: bool) -> list[str] | None:
    """The first non-empty CSV record of ``head`` if it surely ends inside ``head``, else None."""
    reader = csv.reader(StringIO(head))
    try:
        for row in reader:
            if row:
                ended = whole or len(head.split("\n", reader.line_num)) > reader.line_num
                return row if ended else None
    except csv.Error:
        return None
    return None


def _read_csv_python(text: str, *, path: str | Path) -> pd.DataFrame:
    """:func:`read_csv_text` with Python's :mod:`csv`: the reference path, and its errors."""
    try:
        rows = [row for row in csv.reader(StringIO(text)) if row]
    except csv.Error as exc:
        raise ImportFormatError(f"{Path(path).name} is not a readable CSV: {exc}") from None
    if not rows:
        raise ImportFormatError(f"{Path(path).name} has no header line")
    header, width = _header_names(rows[0]), len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise ImportFormatError(
                f"{Path(path).name} line {number} has {len(row)} field(s) where the header has "
                f"{width}: the file is truncated or damaged; download it again"
            )
    return pd.DataFrame(rows[1:], columns=header, dtype=object)


def _header_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        name = name.strip()
        out.append(name if name and name not in out else f"Unnamed: {i}")
    return out


def check_options(fmt: str, options: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Raise :class:`ValueError` naming any option ``fmt`` does not take."""
    allowed = tuple(allowed)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            f"the {fmt} importer does not take option(s) {unknown}; "
            f"allowed: {list(allowed) or 'none'}"
        )


def require_columns(
    columns: Iterable[str], required: Iterable[str], *, path: str | Path, what: str
) -> None:
    """Raise :class:`ImportFormatError` naming the required columns a file lacks."""
    present = set(columns)
    missing = [c for c in required if c not in present]
    if missing:
        raise ImportFormatError(
            f"{Path(path).name} is not a {what}: it lacks column(s) {missing} "
            f"(it has {sorted(present)[:20]})"
        )


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(\D|$))")
# the characters str.strip() removes (str.isspace), for pyarrow's utf8_trim
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def numbers(
    values: pd.Series, *, column: str, path: str | Path, finite: bool = True
) -> pd.Series:
    """Parse a column of numbers written as text (thousands separators allowed) to ``Float64``.

    Empty cells become missing; any other cell that is not a number raises
    :class:`ImportFormatError` naming the column, the row and the value. So
    does an infinite value (``inf``, ``1e400``: no trade flow is infinite)
    unless ``finite=False`` (a ratio column of a derived table, such as a unit
    value over a zero quantity).

    Examples
    --------
    >>> numbers(pd.Series(["1,234", "", "5.5"]), column="v", path="f.csv").tolist()
    [1234.0, <NA>, 5.5]
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        typed = values.astype("Float64")
        if finite and np.isinf(typed.to_numpy(dtype=float, na_value=0.0)).any():
            return _numbers_python(values, column=column, path=path, finite=finite)
        return typed
    text = _arrow_text(values)
    parsed = arrow_numbers(text) if text is not None else None
    if parsed is None:  # commas, bad cells, infinities: the reference path decides
        return _numbers_python(values, column=column, path=path, finite=finite)
    out = nullable_frame(pa.table({"v": parsed}))["v"].set_axis(values.index)
    out.name = values.name
    return out


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The cells as an Arrow string column (missing stays missing), or None if some are not text."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pa.chunked_array(values.array._pa_array)
    try:
        return pa.chunked_array([pa.array(values, type=pa.string(), from_pandas=True)])
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def strip_text(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text cells with the whitespace :meth:`str.strip` removes removed, empty ones missing.

    The column itself comes back when no cell is padded or empty (as in every
    Comtrade download seen): keeping a trimmed copy of each text column of a
    10^6-row file held some 45 MB apiece next to the original. Trimming only
    removes characters, so equal total lengths mean no cell changed. That is
    checked chunk by chunk, so only one chunk's trimmed copy is held at a time
    (a whole trimmed column at a time added some 90 MB to a 10^6-row import's
    peak); the column is trimmed as a whole only when a cell is padded.

    Examples
    --------
    >>> strip_text(pa.chunked_array([[" a", "b\\u3000", "  ", None, "c"]])).to_pylist()
    ['a', 'b', None, None, 'c']
    """
    import pyarrow.compute as pc

    def padded(chunk: pa.Array) -> bool:
        trimmed = pc.utf8_trim(chunk, characters=PY_WHITESPACE)
        return pc.sum(pc.binary_length(trimmed)).as_py() != pc.sum(pc.binary_length(chunk)).as_py()

    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    trimmed = text
    if any(padded(chunk) for chunk in chunks):
        trimmed = pc.utf8_trim(text, characters=PY_WHITESPACE)
    empty = pc.equal(trimmed, "")
    if pc.any(empty).as_py():
        return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)
    return trimmed


def arrow_numbers(text: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Text cells parsed as float64 by pyarrow, or None where :func:`numbers` must decide.

    None when any cell holds a comma (a thousands separator for the regex),
    does not parse, or parses to NaN or an infinity (pandas and pyarrow read
    "nan" and overflows differently): :func:`numbers`' pandas path then gives
    the value or the error naming the cell.
    """
    import pyarrow.compute as pc

    cells = strip_text(text)
    if pc.any(pc.match_substring(cells, ",")).as_py():
        return None
    try:
        parsed = pc.cast(cells, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not pc.all(pc.is_finite(parsed)).as_py() and parsed.null_count < len(parsed):
        return None
    return parsed


def _numbers_python(values: pd.Series, *, column: str, path: str | Path,
                    finite: bool = True) -> pd.Series:
    """:func:`numbers` in pandas, cell by cell: the reference path, and the error messages."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("Float64")
        text = values.astype("string")
    else:
        text = values.astype("string").str.strip()
        cleaned = text.str.replace(_THOUSANDS, "", regex=True)
        parsed = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").astype("Float64")
    bad = parsed.isna() & text.notna() & (text != "")
    if finite:
        bad |= pd.Series(np.isinf(parsed.to_numpy(dtype=float, na_value=0.0)), index=parsed.index)
    if bad.any():
        first = first_true(bad)
        raise ImportFormatError(
            f"{Path(path).name}: column {column!r} has {int(bad.sum())} value(s) that are not "
            f"finite numbers, first {text.iloc[first]!r} at data row {first + 1}"
        )
    return parsed


# Arrow type -> the pandas nullable type the importers return
_NULLABLE = {
    pa.float64(): pd.Float64Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype("pyarrow"),
}


def nullable_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as pandas nullable columns (``string[pyarrow]``, ``Int64``, ``Float64``)."""
    return table.to_pandas(types_mapper=_NULLABLE.get)


def first_true(mask: pd.Series) -> int:
    """Position (0-based) of the first true value of a boolean series."""
    return int(np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))[0])


def is_missing(value: object) -> bool:
    """Whether a scalar is None, ``pd.NA``, ``NaT`` or a float NaN.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(pd.NA), is_missing("")
    (True, True, True, False)
    """
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def blank_to_missing(values: pd.Series) -> pd.Series:
    """Text cells stripped, with empty ones missing, as ``string``."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def check_unique(
    table: pd.DataFrame, key: Sequence[str], *, path: str | Path, what: str = "observation"
) -> None:
    """Raise :class:`ImportFormatError` if rows repeat ``key``, showing the first repeat."""
    dup = table.duplicated(list(key), keep=False)
    if dup.any():
        first = table.loc[dup, list(key)].iloc[0].to_dict()
        raise ImportFormatError(
            f"{Path(path).name}: {int(dup.sum())} rows repeat the same {what} "
            f"({', '.join(key)}), e.g. {first}"
        )


def sorted_unique(values: Iterable[object]) -> tuple[str, ...]:
    """Distinct non-missing values as sorted strings.

    A column is reduced to its distinct values first (``1`` and ``1.0`` in one
    object column are told apart by reading it cell by cell).

    Examples
    --------
    >>> sorted_unique(pd.Series(["b", "a", None, "b"]))
    ('a', 'b')
    """
    if isinstance(values, pd.Series) and (
        values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        values = pd.unique(values)
    return tuple(sorted({str(v) for v in values if not is_missing(v)}))


def totals(frame: pd.DataFrame, columns: Mapping[str, str]) -> dict[str, float]:
    """``{label: sum of column}`` for the columns present (missing values count as zero)."""
    return {
        label: float(pd.to_numeric(frame[col], errors="coerce").sum())
        for label, col in columns.items()
        if col in frame.columns
    }


def without_empty_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop rows whose every cell is empty; return the rest and how many were dropped."""
    empty = frame.apply(lambda col: col.isna() | (col.astype("string").str.strip() == "")).all(
        axis=1
    )
    return frame.loc[~empty].reset_index(drop=True), int(empty.sum())


def without_empty_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop unnamed columns that hold nothing; return the rest and the names dropped."""
    dropped = [
        c
        for c in frame.columns
        if (str(c).startswith("Unnamed") or not str(c).strip())
        and (frame[c].isna() | (frame[c].astype("string").str.strip() == "")).all()
    ]
    return frame.drop(columns=dropped), dropped


def in_catalog(code: object) -> bool:
    """Whether an HS code (HS6 or a longer national line) rolls up to a rare-earth catalog line.

    Examples
    --------
    >>> in_catalog("28469019"), in_catalog("12019019")
    (True, False)
    """
    try:
        product(str(code))
    except CatalogError:
        return False
    return True


def catalog_note(codes: pd.Series, *, panel: str = "the panel keeps catalog lines only") -> str:
    """``"N rare-earth catalog row(s); M row(s) outside the catalog (codes ...)"``."""
    inside = codes.isin([c for c in pd.unique(codes) if in_catalog(c)])
    outside = sorted_unique(codes[~inside])
    listed = f" ({', '.join(outside[:10])}{' ...' if len(outside) > 10 else ''})" if outside else ""
    return (
        f"{int(inside.sum())} rare-earth catalog row(s); {int((~inside).sum())} row(s) outside the "
        f"catalog{listed}: stored, but {panel}"
    )

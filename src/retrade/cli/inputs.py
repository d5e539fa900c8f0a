"""Reading and writing the files a user names on the command line, with one clear error each.

A missing file, a folder, an empty or binary file, a CSV that is not the
table asked for, an output path in a folder that does not exist: each is an
:class:`~retrade.errors.InputFileError` (or a
:class:`~retrade.errors.SchemaError` for a table without the columns it
needs) naming the file, never a pandas or OS traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from retrade.errors import InputFileError, SchemaError

# what pandas raises on a file that is not the table asked for
_READ_ERRORS = (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError)


def read_table(
    path: str | Path, *, what: str = "table", dtype: Mapping[str, object] | None = None
) -> pd.DataFrame:
    """A CSV or Parquet file the user named, as a DataFrame.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = f.write_text("")
    >>> read_table(f, what="series")
    Traceback (most recent call last):
    ...
    retrade.errors.InputFileError: series file '...empty.csv' is empty
    """
    path = Path(path)
    _check_readable(path, what)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=dtype)  # type: ignore[arg-type]
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{what} file {str(path)!r} is empty") from None
    except UnicodeDecodeError:
        raise InputFileError(
            f"{what} file {str(path)!r} is not UTF-8 text (a binary file, or another encoding)"
        ) from None
    except (*_READ_ERRORS, OSError) as exc:
        raise InputFileError(
            f"{what} file {str(path)!r} cannot be read as a table: {_first_line(exc)}"
        ) from None


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, path: str | Path,
                    what: str) -> pd.DataFrame:
    """``frame`` if it has ``columns``, else a :class:`SchemaError` naming the file and the lack."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = list(frame.columns[:8])
        raise SchemaError(
            f"{str(Path(path))!r} is not a {what}: it lacks columns {missing} (it has {shown})"
        )
    return frame


def read_panel(path: str | Path) -> pd.DataFrame:
    """A panel file (Parquet or CSV in the retrade panel schema), checked for the key columns."""
    from retrade.panel import schema as S

    frame = read_table(path, what="panel",
                       dtype={S.HS6: str, S.PERIOD: str, S.HS_ORIGINAL: str})
    required = (S.SOURCE, S.FREQUENCY, S.PERIOD, S.YEAR, S.REPORTER, S.PARTNER, S.FLOW, S.HS6)
    return require_columns(frame, required, path=path, what="retrade panel")


def monthly_index(periods: pd.Series, *, path: str | Path) -> pd.PeriodIndex:
    """``YYYY-MM`` labels as a monthly PeriodIndex; any other label is an error naming it.

    Examples
    --------
    >>> monthly_index(pd.Series(["2024-01", "2024-02"]), path="s.csv").freqstr
    'M'
    >>> monthly_index(pd.Series(["2010", "2011"]), path="s.csv")
    Traceback (most recent call last):
    ...
    retrade.errors.InputFileError: 's.csv': period '2010' is not a month (YYYY-MM)...; this ...
    """
    text = periods.astype(str).str.strip()
    bad = text[~text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")]
    if len(bad):
        raise InputFileError(
            f"{str(Path(path))!r}: period {bad.iloc[0]!r} is not a month (YYYY-MM); "
            "this analysis needs a monthly series, one row per month"
        )
    return pd.PeriodIndex(text, freq="M")


def write_text(path: str | Path, text: str) -> Path:
    """Write an output file the user named; a folder or a missing parent is an error naming it."""
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"output {str(path)!r} is a folder; name a file")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return path


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as CSV to a path the user named (errors as :func:`write_text`)."""
    return write_text(path, frame.to_csv(index=False))


def _check_readable(path: Path, what: str) -> None:
    if not path.exists():
        raise InputFileError(f"{what} file {str(path)!r} does not exist")
    if path.is_dir():
        raise InputFileError(f"{what} file {str(path)!r} is a folder, not a file")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return re.sub(r"\s+", " ", text[0]) if text else type(exc).__name__

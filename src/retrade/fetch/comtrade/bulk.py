"""Comtrade bulk files for keyed users: list them, skip what is stored, download, verify, ingest.

UN Comtrade publishes each reporter-period as one gzipped, tab-separated
"final" file. ``/bulk/v1/get/{typeCode}/{freqCode}/{clCode}`` lists the files
for some reporters and periods, one row per file (``fileUrl``, ``fileSize``,
``reporterCode``, ``period``, ``classificationCode``, ``publicationDate`` ...).
:func:`fetch_comtrade_bulk` asks for that list, leaves out the files the store
already holds with the same publication date, and for each other file

1. streams it through :class:`~retrade.fetch.http.HttpClient` into a temporary
   file in the store's staging folder (outside every source folder);
2. checks its size against the answer's ``Content-Length`` and
   ``Content-Disposition`` size and the list's ``fileSize``, and reads the
   whole gzip stream (CRC and length included);
3. hands it to :func:`retrade.fetch.comtrade.bulk_file.ingest_comtrade_bulk`, which keeps the
   catalog's HS6 lines in ``data/raw/comtrade_bulk/file=<name>/`` with one
   manifest entry whose coverage records the list row, publication date included.

A file that fails a check raises :class:`~retrade.errors.ResponseError` and
the store is as it was; a killed process leaves at most a file in the staging
folder, which no reader sees. Running the same command again resumes.

Where a file is downloaded from (evidence)
------------------------------------------
In the real list comtradr recorded (``bulk/v1/get/C/A/HS``, reporter 32,
1962), ``fileUrl`` holds a bare 64-hex hash (equal to ``rowKey``). That is
comtradr's redaction: its test (``tests/testthat/test-ct_get_bulk.R``) records
through ``gsub_response(x, "https\\://comtradeapi.un.org/bulk/v1/file/32/", "")``,
which cut that prefix from the list body and from the file's mock name
(``tests/goods_bulk/<hash>-7315b4.R``). The live ``fileUrl`` is therefore
``https://comtradeapi.un.org/bulk/v1/file/{reporterCode}/{hash}``, which is
what ``comtradeapicall`` 1.3.2 (``bulkDownloadFile``) GETs as a full URL.
comtradr itself builds the same URL from ``rowKey`` with ``?format=json`` and
the key in the ``Ocp-Apim-Subscription-Key`` header
(``ct_build_bulk_file_request``); its recording of that live request answers
200, ``application/TSV``, ``Content-Disposition: attachment;
filename="C/A/32/C_A_32_196201_S1_O.txt.gz"; size=187742`` and a gzip body.
So a full URL of the API is asked of the configured base URL as it is, and a
bare hash the way comtradr's recorded request did. The list's ``fileSize``
(``"183.34 KB"`` for those 187,742 bytes) counts 1,024 bytes to the KB and is
rounded, so it is checked within its rounding.
"""

from __future__ import annotations

import gzip
import math
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from retrade import choices
from retrade.config import DEFAULT_COMTRADE_URL, Settings, check_max_calls, load_settings, redact
from retrade.errors import AuthError, ConfigError, ImportFormatError, ResponseError, check_choice
from retrade.fetch.comtrade.bulk_file import SOURCE, ingest_comtrade_bulk
from retrade.fetch.comtrade.client import ComtradeClient
from retrade.fetch.comtrade.planner import KEYED_LIMITS
from retrade.fetch.comtrade.reference import known_reporters
from retrade.fetch.comtrade.request import parse_periods, parse_reporters
from retrade.fetch.runner import FetchReport, StepResult, run_queue
from retrade.fetch.state import parse_time
from retrade.store import RawStore
from retrade.store.manifest import ManifestEntry

# HS as the reporter reported it (the API's "HS"), or one HS vintage
CLASSIFICATIONS: tuple[str, ...] = choices.values(choices.Classification)
TYPE_CODE = "C"
# the list's fileSize units: 1,024 bytes to the KB (183.34 KB listed for a 187,742-byte file)
_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
_CODE = re.compile(r"^[A-Za-z0-9]+$")
_HASH = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class BulkFile:
    """One row of the bulk file list: which file, where it is, how large, when published."""

    type_code: str
    frequency: str
    reporter: int
    period: str
    classification: str
    file_url: str
    size: str | None
    published: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any], where: str) -> BulkFile:
        """Read a list row; :class:`ResponseError` naming the field that is missing or odd."""
        try:
            codes = [str(row[k]) for k in ("typeCode", "freqCode", "period", "classificationCode")]
            reporter = int(row["reporterCode"])
            url = row["fileUrl"]
            published = row.get("publicationDate")
            when = parse_time(published) if published else None
        except (KeyError, TypeError, ValueError) as exc:
            raise ResponseError(f"{where}: a bulk file row lacks or garbles {exc}: "
                                f"{redact(str(dict(row))[:300])}") from None
        if not all(_CODE.match(c) for c in codes) or not isinstance(url, str) or not url:
            raise ResponseError(f"{where}: a bulk file row has unusable codes or fileUrl: "
                                f"{redact(str(dict(row))[:300])}")
        size = row.get("fileSize")
        return cls(codes[0], codes[1], reporter, codes[2], codes[3], url,
                   str(size) if size is not None else None, when)

    @property
    def identity(self) -> str:
        """The file's place: one per type, frequency, reporter, period and classification."""
        return (f"{self.type_code}/{self.frequency}/{self.reporter}/{self.period}/"
                f"{self.classification}")

    @property
    def name(self) -> str:
        """``comtradeapicall``'s file name without its publication date (a new one replaces it).

        Examples
        --------
        >>> BulkFile("C", "A", 32, "1962", "S1", "b07f", "183.34 KB", None).name
        'COMTRADE-FINAL-CA0321962S1'
        """
        return (f"COMTRADE-FINAL-{self.type_code}{self.frequency}{self.reporter:03d}"
                f"{self.period}{self.classification}")

    def download(self) -> tuple[str, dict[str, str]]:
        """Path (or full URL) and parameters that fetch the file (see the module's evidence).

        A URL of the Comtrade API itself is asked of the configured base URL,
        so that a mirror, a proxy or a test server answers it; a URL on
        another host is fetched as it is (and without the key).

        Examples
        --------
        >>> f = BulkFile("C", "A", 32, "1962", "S1", "b07f98", "183.34 KB", None)
        >>> f.download()
        ('/bulk/v1/file/32/b07f98', {'format': 'json'})
        >>> from dataclasses import replace
        >>> replace(f, file_url="https://comtradeapi.un.org/bulk/v1/file/32/b07f98").download()
        ('/bulk/v1/file/32/b07f98', {})
        """
        if self.file_url.startswith(("http://", "https://")):
            url = urlsplit(self.file_url)
            if f"{url.scheme}://{url.netloc}" == DEFAULT_COMTRADE_URL:
                return urlunsplit(("", "", url.path, url.query, "")), {}
            return self.file_url, {}
        if not _HASH.match(self.file_url):
            raise ResponseError(f"{self.describe()}: fileUrl {self.file_url[:80]!r} is neither "
                                "a URL nor a file hash")
        return f"/bulk/v1/file/{self.reporter}/{self.file_url}", {"format": "json"}

    def describe(self) -> str:
        """A short label for progress bars and errors."""
        return f"bulk file {self.name} ({self.size or 'size not listed'})"

    def coverage(self) -> dict[str, Any]:
        """What the manifest records of the list row and the download (URLs without a query)."""
        path, params = self.download()
        return {
            "kind": "bulk_file", "file": self.identity, "typeCode": self.type_code,
            "freqCode": self.frequency, "reporterCode": self.reporter, "period": self.period,
            "classificationCode": self.classification, "fileSize": self.size,
            "fileUrl": _without_query(self.file_url),
            "download": {"path": _without_query(path), "params": params},
            "publicationDate": self.published.isoformat() if self.published else None,
        }


def _without_query(url: str) -> str:
    return urlsplit(url)._replace(query="", fragment="").geturl()


def parse_size(text: str | None) -> tuple[int, int] | None:
    """Bytes a listed ``fileSize`` stands for, and how far its rounding lets the file differ.

    Examples
    --------
    >>> parse_size("183.34 KB")  # the recorded file has 187,742 bytes
    (187740, 7)
    >>> parse_size("1,024 B"), parse_size("about a megabyte")
    ((1024, 2), None)
    """
    match = re.fullmatch(r"\s*(\d[\d,]*(?:\.\d+)?)\s*([KMGT]?B)\s*", text or "", re.IGNORECASE)
    if match is None:
        return None
    number, unit = match[1].replace(",", ""), _UNITS[match[2].upper()]
    decimals = len(number.partition(".")[2])
    return round(float(number) * unit), math.ceil(0.5 * 10.0**-decimals * unit) + 1


def verify_gzip(path: Path, what: str) -> None:
    """Read all of ``path``'s gzip stream; :class:`ResponseError` if it is cut off or corrupt."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    problem = None
    if not head.startswith(_GZIP_MAGIC):
        shown = redact(head.decode("utf-8", "replace"))
        problem = f"it is not gzip data (it starts {shown!r})"
    else:
        try:
            with gzip.open(path, "rb") as stream:
                while stream.read(1 << 20):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            problem = f"the gzip stream is cut off or corrupt: {exc}"
    if problem:
        raise ResponseError(f"{what}: {problem}. Nothing was stored; running the same command "
                            "again downloads it anew.")


def check_download(path: Path, file: BulkFile, headers: Mapping[str, str]) -> int:
    """Check a downloaded file's size against what the answer and the list say, then its gzip.

    Returns the size in bytes; raises :class:`ResponseError` on any mismatch.
    """
    got = path.stat().st_size
    for said, expected, slack in _expected_sizes(file, headers):
        if abs(got - expected) > slack:
            about = "" if slack == 0 else "about "
            raise ResponseError(
                f"{file.describe()}: received {got:,} bytes where {said} says {about}"
                f"{expected:,}; the download is incomplete or not the listed file. Nothing was "
                "stored; running the same command again downloads it anew."
            )
    verify_gzip(path, file.describe())
    return got


def _expected_sizes(file: BulkFile, headers: Mapping[str, str]) -> list[tuple[str, int, int]]:
    lower = {k.lower(): v for k, v in headers.items()}
    sizes = []
    if "content-length" in lower and lower.get("content-encoding", "identity") == "identity":
        sizes.append(("the Content-Length header", int(lower["content-length"]), 0))
    if match := re.search(r"\bsize=(\d+)", lower.get("content-disposition", "")):
        sizes.append(("the Content-Disposition header", int(match[1]), 0))
    if listed := parse_size(file.size):
        sizes.append((f"the file list ({file.size})", *listed))
    return sizes


def stored_publications(entries: Iterable[ManifestEntry]) -> dict[str, datetime | None]:
    """Publication date of each bulk file the store holds (latest entry per file wins)."""
    stored: dict[str, datetime | None] = {}
    for entry in entries:
        cov = entry.coverage
        if entry.status == "ok" and cov.get("kind") == "bulk_file" and entry.files:
            published = cov.get("publicationDate")
            stored[cov["file"]] = parse_time(published) if published else None
    return stored


@dataclass(frozen=True)
class _List:
    """Ask for the file list of some reporters and periods."""

    reporters: tuple[int, ...]
    periods: tuple[str, ...]

    def describe(self) -> str:
        return f"list r={','.join(map(str, self.reporters))} {self.periods[0]}..{self.periods[-1]}"


@dataclass(frozen=True)
class _Get:
    """Download and ingest one listed file."""

    file: BulkFile

    def describe(self) -> str:
        return self.file.describe()


def fetch_comtrade_bulk(
    *,
    reporters: str | int | Iterable[str | int],
    periods: str | int | Iterable[str | int],
    frequency: str = "A",
    classification: str = "HS",
    settings: Settings | None = None,
    store: RawStore | None = None,
    progress: bool = True,
    max_calls: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Download Comtrade bulk files and keep their rare-earth lines in ``comtrade_bulk``.

    Needs a key with bulk access (``RETRADE_COMTRADE_KEY``). Files the store
    holds with the same publication date are not downloaded again; a file
    published again since is, and replaces the stored one.

    Parameters
    ----------
    reporters : codes or names
        ISO3 codes, names or Comtrade numbers (see
        :func:`retrade.fetch.comtrade.request.parse_reporters`).
    periods : str, int or list
        ``"2020"``, ``"2018-2024"``; monthly: ``"2024-03"``, ``"2023-01:2023-12"``.
    frequency : {"A", "M"}
        Annual or monthly files.
    classification : {"HS", "H0", ..., "H6"}
        ``"HS"``: as each reporter reported; a vintage for files converted to it.
    settings : Settings, optional
        Defaults to :func:`retrade.config.load_settings`.
    store : RawStore, optional
        Defaults to ``RawStore(settings.raw_dir)``.
    progress : bool
        Show a progress bar.
    max_calls : int, optional
        Stop (resumably) after this many HTTP requests.
    sleep : callable
        Used for pacing and backoff.

    Returns
    -------
    FetchReport
        Files downloaded and skipped, rows kept, and whether the quota stopped the run.

    Examples
    --------
    >>> from retrade.config import Settings
    >>> fetch_comtrade_bulk(reporters="CHN", periods="2022", settings=Settings())
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: Comtrade bulk files need an API key ...
    """
    check_max_calls(max_calls)  # refused before any call
    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    if settings.comtrade_key is None:
        raise ConfigError(
            "Comtrade bulk files need an API key with bulk access: set RETRADE_COMTRADE_KEY "
            "(or comtrade_key in retrade.toml); without a key, `retrade fetch comtrade` uses "
            "the public preview"
        )
    tasks = _list_tasks(reporters, periods, frequency, classification, store)
    client = ComtradeClient(settings, sleep=sleep)
    try:
        return _BulkFetch(client, store, frequency, classification).execute(
            tasks, progress=progress, max_calls=max_calls)
    except AuthError as exc:
        raise AuthError(f"{exc} Bulk files need a key whose subscription includes them.") from None
    finally:
        client.close()


def _list_tasks(reporters: object, periods: object, frequency: str, classification: str,
                store: RawStore) -> list[_List]:
    """Check the options (before any call) and cut the periods into list calls."""
    check_choice("frequency", frequency, choices.Frequency)
    check_choice("classification", classification, choices.Classification)
    codes = parse_reporters(reporters, known=known_reporters(store))
    wanted = parse_periods(periods, frequency=frequency)
    step = KEYED_LIMITS.max_periods
    return [_List(codes, wanted[i:i + step]) for i in range(0, len(wanted), step)]


class _BulkFetch:
    """One run: the client, the store, and what the store already holds."""

    def __init__(self, client: ComtradeClient, store: RawStore, frequency: str,
                 classification: str):
        self.client, self.store = client, store
        self.frequency, self.classification = frequency, classification
        self.stored = stored_publications(store.entries(SOURCE))
        self.listed: list[BulkFile] = []
        self.lists = self.rows_read = 0

    def execute(self, tasks: list[_List], *, progress: bool,
                max_calls: int | None) -> FetchReport:
        queue: list[_List | _Get] = list(tasks)
        outcome = run_queue(queue, self._step, describe=lambda t: t.describe(),
                            progress=progress, max_calls=max_calls)
        return FetchReport(
            # a call made is a file downloaded; the list calls count among the requests
            source=SOURCE, requests=self.client.calls,
            calls_done=outcome.files, calls_skipped=outcome.calls_skipped,
            rows_written=outcome.rows, files_written=outcome.files, stopped=outcome.stopped,
            message=outcome.message, notes=self._notes(outcome.calls_skipped),
        )

    def _step(self, task: _List | _Get) -> StepResult[_List | _Get]:
        before = self.client.calls
        if isinstance(task, _List):
            files = self._list(task)
            return StepResult(requests=self.client.calls - before,
                              children=tuple(_Get(f) for f in files))
        if self._fresh(task.file):
            return StepResult(skipped=True)
        kept = self._download(task.file)
        return StepResult(requests=self.client.calls - before, rows=kept, files=1)

    def _list(self, task: _List) -> list[BulkFile]:
        answer = self.client.bulk_files(
            type_code=TYPE_CODE, frequency=self.frequency, classification=self.classification,
            reporters=task.reporters, periods=task.periods,
        )
        files = [BulkFile.from_row(row, answer.url) for row in answer.rows]
        self.lists += 1
        self.listed.extend(files)
        return files

    def _fresh(self, file: BulkFile) -> bool:
        """Stored with this publication date or a later one (or, undated, stored at all)."""
        if file.identity not in self.stored:
            return False
        have = self.stored[file.identity]
        return file.published is None or (have is not None and have >= file.published)

    def _download(self, file: BulkFile) -> int:
        """Stream, check and ingest one file; the rows kept."""
        path, params = file.download()
        with self.store.staging() as tmp:
            target = tmp / f"{file.name}.txt.gz"
            response = self.client.bulk_download(path, target, params)
            size = check_download(target, file, response.headers)
            coverage = {**file.coverage(), "bytes": size}
            try:
                result = ingest_comtrade_bulk(target, store=self.store, coverage=coverage)
            except ImportFormatError as exc:
                raise ResponseError(f"{file.describe()}: {exc}") from None
        self.stored[file.identity] = file.published
        self.rows_read += result.rows_read
        return result.rows_kept

    def _notes(self, skipped: int) -> tuple[str, ...]:
        if self.lists and not self.listed:
            return (f"no bulk files: the list for these reporters and periods is empty "
                    f"({self.frequency}, {self.classification})",)
        notes = [f"{len(self.listed)} file(s) listed"]
        if skipped:
            notes.append(f"{skipped} file(s) already stored with the same publication date")
        if self.rows_read:
            notes.append(f"{self.rows_read:,} lines read from the files downloaded; the rows "
                         "written are those with catalog HS6 codes")
        return tuple(notes)

"""Write a report folder atomically: ``reports/<quarter>/`` with HTML, PDF, Markdown, PNG, CSV.

Each figure is rendered to PNG once; the same bytes go to ``figures/``, into
the self-contained ``report.html`` and into ``report.pdf``. The front page's
findings are written as ``tables/findings.csv`` (the next quarter's report
compares its findings with them). Everything is written into a temporary
sibling folder first and swapped into place at the end, so an interrupted run
leaves the previous report intact and never a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from retrade.config import redact
from retrade.report.content import Report
from retrade.report.layout import layout
from retrade.report.pdf import to_pdf
from retrade.report.render import render_images, to_html, to_markdown
from retrade.store.atomic import new_temp_dir
from retrade.store.lock import claim, release

VERSIONED_PACKAGES = (
    "retrade", "pandas", "numpy", "pyarrow", "duckdb", "statsmodels", "pyfixest", "prophet",
    "scipy", "matplotlib", "pandera", "country_converter", "jinja2", "fpdf2",
)
FINDING_COLUMNS = ("key", "label", "period", "value", "low", "high", "unit", "change",
                   "sentence", "source")


def package_versions() -> dict[str, str]:
    """Installed versions of retrade and the libraries whose numbers end up in a report."""
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def findings_table(report: Report) -> pd.DataFrame:
    """The front page's findings as a table (what ``tables/findings.csv`` holds)."""
    findings = report.front.findings if report.front else ()
    return pd.DataFrame([{c: getattr(f, c) for c in FINDING_COLUMNS} for f in findings],
                        columns=list(FINDING_COLUMNS))


def _write_assets(report: Report, folder: Path, images: dict[str, bytes]) -> None:
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (folder / "figures" / f"{name}.png").write_bytes(data)
    tables = [(t.name, t.frame) for t in report.tables]
    if report.front is not None:
        tables.append(("findings", findings_table(report)))
    for name, frame in tables:
        frame.to_csv(folder / "tables" / f"{name}.csv", index=False, lineterminator="\n",
                     float_format="%.10g")


def _manifest(report: Report, folder: Path) -> dict:
    files = {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return {
        "quarter": report.quarter,
        "title": report.title,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": report.parameters,
        "inputs": report.inputs,
        "packages": package_versions(),
        "sections": {s.key: {"status": s.status, "message": s.message} for s in report.sections},
        "files": files,
    }


def write_report(report: Report, reports_dir: str | Path) -> Path:
    """Write ``report`` to ``reports_dir/<quarter>/`` (replacing an earlier run of that quarter).

    Returns the report folder. Contents: ``report.html`` (self-contained),
    ``report.pdf``, ``report.md``, ``figures/*.png``, ``tables/*.csv`` and
    ``manifest.json`` (file hashes, package versions, parameters, input data
    hashes, section statuses).
    """
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    target = reports_dir / report.quarter
    staging = new_temp_dir(reports_dir, f".{report.quarter}.")  # the user's umask, not 0700
    claimed = claim(staging)  # so a clean-up never removes a folder this run is writing
    try:
        images = render_images(report)
        _write_assets(report, staging, images)
        (staging / "report.md").write_text(to_markdown(report, images), encoding="utf-8")
        (staging / "report.html").write_text(to_html(report, images), encoding="utf-8")
        (staging / "report.pdf").write_bytes(to_pdf(layout(report, images)))
        text = json.dumps(_manifest(report, staging), indent=2, sort_keys=True, default=str)
        (staging / "manifest.json").write_text(redact(text) + "\n", encoding="utf-8")
        _swap_into_place(staging, target)
    finally:
        release(claimed)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)

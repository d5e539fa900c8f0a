"""The report page in a real browser: headless Chromium renders it without a console message.

The page has no script, so any console message (a script error, a blocked resource a
browser reports) is a fault. The check is first run on a page that has a script error, so
a browser whose console output is not captured fails the test instead of passing it.
Skipped, with the reason, where no Chromium or Chrome is installed (Debian: ``apt-get
install chromium``).

Tolerance: exact (the console output is text).
"""

from __future__ import annotations

import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from retrade.config import Settings  # noqa: E402
from retrade.pipeline import run_quarterly  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((b for b in BROWSERS if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason=(
    "needs a headless Chromium or Chrome on PATH (Debian: apt-get install chromium)"))


def console_messages(page, profile) -> tuple[list[str], str]:
    """The console lines Chromium logs while loading ``page``, and the DOM it built."""
    done = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return lines, done.stdout


def test_the_report_renders_without_console_errors(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>undefinedCall();</script>"
                      "</body></html>")
    caught, _ = console_messages(broken, tmp_path / "profile-a")
    assert any("undefinedCall" in line for line in caught), "console output is not captured"

    settings = Settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    result = run_quarterly(quarter="2026Q4", offline=True, settings=settings, progress=False,
                           forecast_models=("naive", "ets"))
    messages, dom = console_messages(result.folder / "report.html", tmp_path / "profile-b")
    assert messages == []
    assert 'id="key-findings"' in dom and "Non-China share of mine output" in dom
    assert dom.count('src="data:image/png;base64,') >= 4

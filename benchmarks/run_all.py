"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``); each prints its own figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"# {script.name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script)]) != 0
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())

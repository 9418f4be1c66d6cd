"""Run every benchmark in bench/ one after the other and print their figures.

Each script builds its own database (names ``onemap_bench_*``) beside the configured one.
Run: ``make bench`` or ``.venv/bin/python bench/run_all.py [name ...]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "items_paging.py",
    "io_import.py",
    "io_export.py",
    "analysis_http.py",
    "tiles/bench_tiles.py",
    "web_first_load.py",
    "adjust.py",
    "auth.py",
    "roads.py",
    "fuzz_openapi.py",
    "risk_map.py",
    "print.py",
    "live.py",
]


def main(names: list[str]) -> int:
    failed = []
    for script in SCRIPTS:
        if names and not any(n in script for n in names):
            continue
        print(f"\n=== bench/{script} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], cwd=HERE.parent).returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

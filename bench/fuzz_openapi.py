"""Schemathesis over every OpenAPI operation, bodies included, with an editor's token: no 5xx.

The long form of tests/api/test_fuzz_openapi.py (which runs 6 examples per operation in
``make test``): here 40 per operation (over 1,000 generated cases), on its own demo database
``onemap_bench_fuzz``. Prints schemathesis' summary: cases generated, operations, failures.
Run: ``.venv/bin/python bench/fuzz_openapi.py [--max-examples N]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, pool

from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.demo import load_demo_if_empty
from gis_onemap.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live_server import live_server  # noqa: E402

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=40)
    args = parser.parse_args()
    configured = Settings().resolved_database_url()
    name = f"{make_url(configured).database}_bench_fuzz"
    url = recreate_database(sibling_url(configured, name))
    load_demo_if_empty(Settings(database_url=url))
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        token = create_token(conn, "bench-fuzz-editor", Role.editor)
    engine.dispose()
    started = time.monotonic()
    with live_server(Settings(database_url=url)) as base, tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                str(SCHEMATHESIS), "run", f"{base}/api",
                "--checks", "not_a_server_error",
                "--max-examples", str(args.max_examples),
                "--phases", "examples,coverage,fuzzing",
                "--seed", "2026",
                # an SSE stream never ends: its 4xx answers are tested in tests/live
                "--exclude-path", "/live/events",
                "--header", f"Authorization: Bearer {token}",
                "--request-timeout", "120",
                "--no-color",
            ],
            capture_output=True, text=True, cwd=tmp,
        )  # fmt: skip
    summary = proc.stdout[-4000:]
    print(summary)
    generated = re.findall(r"(\d+) generated", summary)
    print(f"fuzz: exit {proc.returncode}; cases generated: {generated[-1] if generated else '?'};"
          f" {time.monotonic() - started:.0f} s")  # fmt: skip
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())

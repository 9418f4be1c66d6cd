"""The schemathesis run of the fuzz tests: requests generated from the OpenAPI document against a
live server on a committed demo database, checked for ``not_a_server_error``.

The operations are split by method over two test files (reads, writes) so that pytest-xdist can
run the halves on two workers at once: together they still cover every operation with the same
phases, examples and seed as one run did.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, pool

from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.settings import Settings
from tests.live_server import demo_database, live_server

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def fuzz(test_database_url: str, workdir: Path, suffix: str, *operations: str) -> None:
    """Run schemathesis on the operations its filter arguments ``operations`` select, on a demo
    database ``<test db>_<suffix>`` of their own; assert it ran cases and found no 5xx."""
    url = demo_database(test_database_url, suffix)  # real ids for the generated requests
    settings = Settings(database_url=url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:  # an editor: the generated writes pass the role check
        token = create_token(conn, "fuzz-editor", Role.editor)
    engine.dispose()
    with live_server(settings) as base:
        proc = subprocess.run(
            [
                str(SCHEMATHESIS), "run", f"{base}/api",
                "--checks", "not_a_server_error",
                "--max-examples", "6",
                "--phases", "coverage,fuzzing",
                "--seed", "2026",
                # an SSE stream never ends: its 4xx answers are tested in tests/live
                "--exclude-path", "/live/events",
                *operations,
                "--header", f"Authorization: Bearer {token}",
                "--request-timeout", "60",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=workdir,
        )  # fmt: skip
    summary = proc.stdout[-3000:]
    assert "generated" in summary, summary  # it really ran cases
    assert proc.returncode == 0, summary
    assert " 0 passed" not in summary

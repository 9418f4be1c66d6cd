"""``kill -9`` of the server in the middle of a 100,000-row import: after a restart the rows
are all there or none is (the import is one transaction; PostgreSQL aborts it when the
server's connection dies)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
from sqlalchemy import create_engine, pool, text

from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from tests.helpers.databases import fresh_database
from tests.live_server import free_port

N = 100_000


def _csv(n: int) -> bytes:
    side = int(n**0.5) + 1
    lines = ["name,region_code,depot_level,area_m2,lon,lat"]
    for i in range(n):  # a grid 0.001° (~100 m) apart: no duplicates
        lon, lat = 110.0 + (i % side) * 0.001, 21.0 + (i // side) * 0.001
        lines.append(f"崩溃测试库{i},440803,county,100,{lon:.4f},{lat:.4f}")
    return ("\n".join(lines) + "\n").encode()


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, ONEMAP_DATABASE_URL=url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gis_onemap.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def test_kill_9_mid_import_leaves_all_rows_or_none(test_database_url: str):
    url = fresh_database(test_database_url, "crash")
    eng = create_engine(url, poolclass=pool.NullPool)
    with eng.begin() as conn:  # imports need an editor's token
        token = create_token(conn, "crash-editor", Role.editor)
    data = _csv(N)
    port = free_port()
    server = _start(url, port)
    answer: list[object] = []

    def post() -> None:
        try:
            answer.append(httpx.post(f"http://127.0.0.1:{port}/collections/depots/import",
                                     files={"file": ("big.csv", data)}, timeout=600,
                                     headers={"Authorization": f"Bearer {token}"}))  # fmt: skip
        except httpx.TransportError as exc:
            answer.append(exc)

    thread = threading.Thread(target=post)
    thread.start()
    writing = False
    deadline = time.monotonic() + 300
    with eng.connect() as conn:
        while time.monotonic() < deadline and thread.is_alive():
            writing = bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid() AND (query ILIKE 'COPY%' "
                "OR query ILIKE 'INSERT INTO%depots%SELECT%')")).scalar())  # fmt: skip
            conn.rollback()  # pg_stat_activity is a snapshot per transaction
            if writing:
                break
            time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    thread.join(timeout=60)
    assert writing, f"the import never reached the database: {answer}"
    assert answer and isinstance(answer[0], httpx.TransportError)  # killed before answering

    server = _start(url, port)
    try:
        matched = httpx.get(f"http://127.0.0.1:{port}/collections/depots/items?limit=1").json()[
            "numberMatched"
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM depots")).scalar_one()
        imports = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'import'"))
        imports = imports.scalar_one()
    eng.dispose()
    assert matched == rows
    assert rows in (0, N)
    assert imports == (1 if rows == N else 0)  # the audit row shares the import's fate

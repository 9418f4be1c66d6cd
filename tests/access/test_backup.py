"""``onemap backup`` → drop the database → ``onemap restore``: same rows, same checksums;
a file that is not a backup is refused before the database is touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, pool, text

from tests.helpers.databases import fresh_database


def onemap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ONEMAP_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "gis_onemap.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """(rows, md5 of every row in order) per table, computed independently of the backup code.
    The restore's own audit entry is left out (it is checked separately)."""
    eng = create_engine(url, poolclass=pool.NullPool)
    try:
        with eng.connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys'")).scalars().all()  # fmt: skip
            out = {}
            for t in tables:
                where = "WHERE action <> 'restore'" if t == "audit_log" else ""
                out[t] = tuple(conn.execute(text(
                    f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), "
                    f"'')) FROM public.\"{t}\" x {where}")).one())  # fmt: skip
            return out
    finally:
        eng.dispose()


@pytest.fixture
def demo_url(test_database_url: str) -> str:
    return fresh_database(test_database_url, "backup", demo=True)


def test_backup_drop_restore_gives_identical_tables(demo_url, tmp_path: Path):
    before = fingerprint(demo_url)
    assert before["shelters"][0] > 0 and before["supplies"][0] > 0
    dump = tmp_path / "onemap.dump"
    r = onemap(demo_url, "backup", "--out", str(dump))
    assert r.returncode == 0, r.stderr
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert "shelters" in r.stdout
    admin = create_engine(make_url(demo_url).set(database="postgres"),
                          poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{make_url(demo_url).database}" WITH (FORCE)'))
    admin.dispose()
    r = onemap(demo_url, "restore", str(dump))
    assert r.returncode == 0, r.stderr
    assert str(before["shelters"][0]) in r.stdout
    assert fingerprint(demo_url) == before
    eng = create_engine(demo_url, poolclass=pool.NullPool)
    with eng.connect() as conn:
        restores = conn.execute(text("SELECT after FROM audit_log WHERE action = 'restore'")).all()
    eng.dispose()
    assert len(restores) == 1 and restores[0][0]["counts"]["shelters"] == before["shelters"][0]


@pytest.mark.parametrize("content", [b"id,name\n1,not a dump\n", b"PGDMP but then garbage"])
def test_restore_refuses_a_file_that_is_not_a_backup(demo_url, tmp_path: Path, content: bytes):
    before = fingerprint(demo_url)
    bad = tmp_path / "bad.dump"
    bad.write_bytes(content)
    r = onemap(demo_url, "restore", str(bad))
    assert r.returncode == 1
    assert "bad.dump" in r.stderr and ("not a pg_dump" in r.stderr or "damaged" in r.stderr)
    assert "Traceback" not in r.stderr
    assert fingerprint(demo_url) == before

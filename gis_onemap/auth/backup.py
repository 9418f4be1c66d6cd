"""Backups: ``pg_dump`` custom format plus a side-car of row counts, and a checked restore.

The counts are taken in the very snapshot that ``pg_dump`` dumps (``pg_export_snapshot`` held
open while it runs), so a restore can prove that every row came back. A restore first checks
that the file is a custom-format archive (``PGDMP`` magic, then ``pg_restore --list``) before
touching the database, and restores in one transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, make_url, pool, text

from gis_onemap.auth.dbcontext import APP_ROLE, SCOPED_ROLE
from gis_onemap.errors import InvalidInput

MAGIC = b"PGDMP"
#: tables whose rows PostGIS itself provides (not dumped as data)
NOT_COUNTED = frozenset({"spatial_ref_sys"})


class BackupError(InvalidInput):
    """A backup or restore that cannot be done (user-safe message)."""


def pg_bin(conn: Connection, tool: str) -> str:
    """The ``tool`` binary of the server's major version.

    A newer pg_dump refuses nothing, an older one refuses a newer server; the server's own version
    is always right.
    """
    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    path = Path(f"/usr/lib/postgresql/{version // 10000}/bin") / tool
    if not path.exists():
        raise BackupError(f"{tool} for PostgreSQL {version // 10000} is not installed ({path})")
    return str(path)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it."""
    u = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(password=None).render_as_string(hide_password=False), env


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows of every ordinary table of the ``public`` schema."""
    names = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).scalars()
    return {
        n: conn.execute(text(f'SELECT count(*) FROM public."{n}"')).scalar_one()
        for n in names
        if n not in NOT_COUNTED
    }


def sidecar(path: Path) -> Path:
    """``backup.dump`` → ``backup.dump.counts.json``."""
    return path.with_name(path.name + ".counts.json")


@dataclass
class BackupResult:
    """The dump written and the row count of each table it holds."""

    path: Path
    counts: dict[str, int]


def backup(url: str, out: Path) -> BackupResult:
    """Dump the database of ``url`` to ``out`` (custom format) and write the side-car."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = table_counts(conn)
            dsn, env = _libpq(url)
            cmd = [pg_bin(conn, "pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(out), dsn]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            conn.execute(text("COMMIT"))
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    sidecar(out).write_text(json.dumps({"format": "onemap-backup/1", "counts": counts}, indent=1))
    return BackupResult(out, counts)


def check_archive(path: Path, pg_restore: str) -> None:
    """Refuse anything but a readable custom-format archive, before any database change."""
    try:
        with path.open("rb") as f:
            head = f.read(len(MAGIC))
    except OSError:
        raise BackupError(f"cannot read {path.name}") from None
    if head != MAGIC:
        raise BackupError(f"{path.name} is not a pg_dump custom-format backup (no PGDMP header)")
    listed = subprocess.run(
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        raise BackupError(f"{path.name} is a damaged backup: {listed.stderr.strip()[:300]}")


def _expected_counts(path: Path) -> dict[str, int] | None:
    side = sidecar(path)
    if not side.exists():
        return None
    data: dict[str, Any] = json.loads(side.read_text())
    return {str(k): int(v) for k, v in data["counts"].items()}


def restore(url: str, path: Path) -> dict[str, int]:
    """Restore ``path`` into the database of ``url`` (created if missing), in one transaction.

    Returns the row counts, checked against the side-car when there is one.
    """
    target = make_url(url)
    admin = create_engine(
        target.set(database="postgres"), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            pg_restore = pg_bin(conn, "pg_restore")
            check_archive(path, pg_restore)
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            # the app roles belong to the cluster: a fresh cluster needs them for the GRANTs
            for role in (APP_ROLE, SCOPED_ROLE):
                conn.execute(
                    text(
                        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                        f"'{role}') THEN CREATE ROLE {role} NOLOGIN NOBYPASSRLS; END IF; END $$"
                    )
                )
    finally:
        admin.dispose()
    dsn, env = _libpq(url)
    cmd = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "-d",
        dsn,
        str(path),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing changed: {done.stderr.strip()[:500]}")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            counts = table_counts(conn)
            expected = _expected_counts(path)
            if expected is not None and expected != counts:
                diff = {
                    t: (expected.get(t), counts.get(t))
                    for t in sorted(set(expected) | set(counts))
                    if expected.get(t) != counts.get(t)
                }
                raise BackupError(f"row counts differ after the restore (expected, got): {diff}")
            conn.execute(
                text(
                    "INSERT INTO audit_log (actor, action, collection, after) "
                    "VALUES ('cli:restore', 'restore', '*', CAST(:c AS jsonb))"
                ),
                {"c": json.dumps({"file": path.name, "counts": counts})},
            )
    finally:
        engine.dispose()
    return counts

"""The project-local PostgreSQL cluster under ``.onemap/`` (initdb/pg_ctl of the system server).

When the current user is root, PostgreSQL refuses to run, so the cluster is owned by and run as
the ``postgres`` system user (``runuser``). The cluster listens on its own port and socket folder,
never touching the system's default cluster.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gis_onemap.settings import Settings


class ClusterError(RuntimeError):
    """The local cluster could not be set up or started."""


def _pg_bindir() -> Path:
    """Folder of the newest installed PostgreSQL server binaries."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL server binaries not found; run `make setup` (apt-get) first")


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parts[4])
    except (IndexError, ValueError):
        return 0.0


@dataclass
class LocalCluster:
    """Paths and commands of the project-local cluster."""

    home: Path
    port: int
    dbname: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalCluster:
        """The local cluster configured by ``settings``."""
        return cls(settings.home.resolve(), settings.local_port, settings.local_dbname)

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.home / "pgdata"

    @property
    def sockdir(self) -> Path:
        """The folder of the server's Unix socket."""
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        """The server's log file."""
        return self.home / "postgres.log"

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(_pg_bindir() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def _prepare_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.sockdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
            shutil.chown(self.sockdir, "postgres", "postgres")
            if self.datadir.exists():
                shutil.chown(self.datadir, "postgres", "postgres")
            # postgres must be able to reach the folder through its parents
            for parent in self.home.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)

    def initialized(self) -> bool:
        """Whether the data directory has been initialised."""
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        """Whether the server is running (``pg_ctl status``)."""
        if not self.initialized():
            return False
        return self._run(["pg_ctl", "-D", str(self.datadir), "status"], check=False).returncode == 0

    def up(self) -> str:
        """Create the cluster if needed, start it, make the database with PostGIS."""
        self._prepare_dirs()
        if not self.initialized():
            self._run(
                ["initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--locale=C.UTF-8"]
            )  # fmt: skip
        if not self.running():
            opts = (
                f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                "-c shared_buffers=512MB -c work_mem=32MB -c max_connections=200 "
                "-c fsync=off -c synchronous_commit=off -c jit=off"
            )
            self._run(
                ["pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-o", opts,
                 "-w", "-t", "60", "start"]
            )  # fmt: skip
        self._wait_ready()
        self.ensure_database(self.dbname)
        return "running"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._psql("postgres", "SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise ClusterError(f"the local cluster did not accept connections; see {self.logfile}")

    def _psql(self, db: str, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(
            ["psql", "-X", "-q", "-t", "-A", "-h", str(self.sockdir), "-p", str(self.port),
             "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=check,
        )  # fmt: skip

    def ensure_database(self, dbname: str) -> None:
        """Create the database ``dbname`` when missing, with PostGIS."""
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")
        if exists.stdout.strip() != "1":
            self._psql("postgres", f'CREATE DATABASE "{dbname}"')
        self._psql(dbname, "CREATE EXTENSION IF NOT EXISTS postgis")

    def down(self) -> str:
        """Stop the server (fast shutdown) when it runs."""
        if self.running():
            self._run(["pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        return "stopped"

    def status(self) -> str:
        """One line for people: not initialised, running on its port, or stopped."""
        if not self.initialized():
            return "not initialised"
        return f"running on port {self.port}" if self.running() else "stopped"

"""Where tile SQL runs: the request's ORM session, or the tiles' own psycopg connection pool.

A :class:`TileBackend` is what the tile routes depend on (``api/routers/tiles.py``
``get_tile_backend``): the app's :class:`PooledBackend` (pool + version reader, opened and
closed by ``create_app``'s lifespan) or, in tests, a :class:`SessionBackend` on the test's
rolled-back session, set by overriding the dependency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any, Protocol

from psycopg_pool import ConnectionPool
from sqlalchemy import Dialect, make_url
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.orm import Session

from gis_onemap.auth.dbcontext import CONTEXT_SQL, DbContext
from gis_onemap.settings import Settings
from gis_onemap.tiles.layers import template
from gis_onemap.tiles.versions import VersionReader

#: A tile query is small: parallel workers cost more to start than they save, and they would
#: compete with the other tiles being rendered at the same time.
NO_PARALLEL = "SET LOCAL max_parallel_workers_per_gather = 0"


class TileSource(Protocol):
    """Runs tile SQL (``%(name)s`` parameters) and reads data versions."""

    dialect: Dialect

    def scalar(self, sql: str, params: dict[str, Any]) -> Any:
        """The first column of the first row."""
        ...

    def versions(self) -> dict[str, int]:
        """The data version of every collection."""
        ...


class SessionSource:
    """Tile SQL in an ORM session's transaction (sees its uncommitted writes: tests, CLI)."""

    def __init__(self, session: Session) -> None:
        self.conn = session.connection()
        self.dialect = self.conn.dialect
        self._tuned = False

    def scalar(self, sql: str, params: dict[str, Any]) -> Any:
        """Run one tile statement and return its single value."""
        if not self._tuned:
            self.conn.exec_driver_sql(NO_PARALLEL)
            self._tuned = True
        return self.conn.exec_driver_sql(sql, params).scalar()

    def versions(self) -> dict[str, int]:
        """The data version of every collection."""
        return {r[0]: r[1] for r in self.conn.exec_driver_sql(template("versions.sql")).all()}


@cache
def psycopg_dialect() -> Dialect:
    """The SQLAlchemy dialect used to compile filter clauses for raw psycopg execution."""
    return pg_psycopg.dialect()  # type: ignore[no-untyped-call]


class PooledSource:
    """Tile SQL on one autocommit connection from the tiles' pool: a render is one round trip.

    With a region ``context`` (read scope on, caller limited to regions) each query runs in
    its own transaction as the app role with the caller's regions, so row-level security
    filters the tile exactly as it filters ``/items``.
    """

    def __init__(self, conn: Any, context: DbContext | None = None) -> None:
        self.conn = conn
        self.dialect = psycopg_dialect()
        self.context = context

    def scalar(self, sql: str, params: dict[str, Any]) -> Any:
        """Run one tile statement and return its single value (bytes fetched in binary)."""
        # binary results: a tile comes back as raw bytes, not hex text twice its size that
        # PostgreSQL encodes and psycopg decodes again (~1 ms each side on a 160 KB tile)
        if self.context is None:
            row = self.conn.execute(sql, params, binary=True).fetchone()
        else:
            with self.conn.transaction():
                self.conn.execute(CONTEXT_SQL, self.context.params)
                row = self.conn.execute(sql, params, binary=True).fetchone()
        return None if row is None else row[0]

    def versions(self) -> dict[str, int]:
        """The data version of every collection."""
        return {r[0]: r[1] for r in self.conn.execute(template("versions.sql")).fetchall()}


class TilePool:
    """A psycopg connection pool for rendering tiles (opened by the app's lifespan).

    The app's SQLAlchemy sessions cost several round trips per render (pre-ping, begin,
    commit); tiles only read, so autocommit connections with the no-parallel setting made
    once per connection leave exactly one round trip per tile.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.resolved_database_url()).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._options = (
            f"-c statement_timeout={settings.statement_timeout_ms}"
            " -c max_parallel_workers_per_gather=0"
        )
        self._size = max(1, settings.pool_size)
        self._pool: ConnectionPool[Any] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def source(self, context: DbContext | None = None) -> Iterator[PooledSource]:
        """A pooled connection as a :class:`TileSource` (scoped to ``context`` if given)."""
        if self._pool is None:  # opened by the app's lifespan; the CLI opens it on first use
            self.open()
        assert self._pool is not None
        with self._pool.connection() as conn:
            yield PooledSource(conn, context)

    def open(self) -> None:
        """Open the pool now (its first connection is made in the background)."""
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._size,
                    kwargs={"autocommit": True, "options": self._options},
                    name="onemap-tiles",
                    open=True,
                )

    def close(self) -> None:
        """Close the pool's connections."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


class TileBackend(Protocol):
    """Data versions and tile sources for the tile routes."""

    async def versions(self) -> dict[str, int]:
        """The data version of every collection, as committed when the call began (or later)."""
        ...

    def source(self, context: DbContext | None = None) -> AbstractContextManager[TileSource]:
        """A source to render with (scoped to the caller's regions when ``context``)."""
        ...


class PooledBackend:
    """The app's backend: versions from one shared async connection, renders on the pool."""

    def __init__(self, settings: Settings) -> None:
        self.pool = TilePool(settings)
        self.version_reader = VersionReader(settings)

    async def open(self) -> None:
        """Open the pool and the version connection (called by the app's lifespan)."""
        self.pool.open()
        await self.version_reader.open()

    async def versions(self) -> dict[str, int]:
        """The data versions, from the version connection."""
        return await self.version_reader.read()

    def source(self, context: DbContext | None = None) -> AbstractContextManager[TileSource]:
        """A tile source on a pooled connection, run in ``context``."""
        return self.pool.source(context)

    def close(self) -> None:
        """Close the version connection and the pool."""
        self.version_reader.close()
        self.pool.close()


class SessionBackend:
    """Everything in one ORM session's transaction (tests: sees their uncommitted rows).

    Region scope is the session's own (``get_session`` applied the caller's context).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    async def versions(self) -> dict[str, int]:
        """The data versions, read in the request's own session."""
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(lambda: SessionSource(self.session).versions())

    @contextmanager
    def source(self, context: DbContext | None = None) -> Iterator[TileSource]:
        """The request's own session as the tile source."""
        yield SessionSource(self.session)

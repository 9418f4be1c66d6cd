"""Data versions for cache hits: one async connection, concurrent requests share a query."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
from sqlalchemy import make_url

from gis_onemap.errors import DatabaseUnavailable
from gis_onemap.settings import Settings
from gis_onemap.tiles.layers import template

log = logging.getLogger("gis_onemap.tiles")


class VersionReader:
    """Reads ``tile_versions`` for the cache-hit path without an ORM session.

    Every caller gets versions from a query *sent after it called*, so any write committed
    before a request arrived is seen (an edit shows in the very next fetch). Callers that
    arrive while a query is in flight join the next one, so under load one round trip serves
    many requests, and waiting never blocks the event loop. Hand-written: psycopg's pool
    would give each request its own round trip, which is what this avoids.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.resolved_database_url()).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._options = f"-c statement_timeout={settings.statement_timeout_ms}"
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._next: asyncio.Future[dict[str, int]] | None = None
        #: running queries, referenced until done (the loop keeps only weak references)
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Connect now, on the running loop (the app's lifespan).

        A failure is only logged: the next read connects again and answers 503 while the
        database is away.
        """
        loop = asyncio.get_running_loop()
        self._drop()
        self._loop, self._lock, self._next = loop, asyncio.Lock(), None
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, prepare_threshold=0, options=self._options
            )
        except psycopg.Error as exc:
            log.warning("opening the tile version connection failed: %r", exc)
            self._conn = None

    async def read(self) -> dict[str, int]:
        """The version of every collection, as committed when this call began (or later)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or a new event loop (e.g. a new test client)
            self._drop()
            self._loop, self._lock, self._next = loop, asyncio.Lock(), None
        if self._next is None:
            self._next = loop.create_future()
            task = loop.create_task(self._query(self._next))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(self._next)

    async def _query(self, batch: asyncio.Future[dict[str, int]]) -> None:
        assert self._lock is not None
        async with self._lock:
            # From here on, newcomers start the next batch: this query is sent after them all.
            self._next = None
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(
                        self._conninfo, autocommit=True, prepare_threshold=0, options=self._options
                    )
                cursor = await self._conn.execute(template("versions.sql"))
                rows = await cursor.fetchall()
            except psycopg.Error as exc:
                log.warning("reading the tile versions failed: %r", exc)
                self._drop()
                batch.set_exception(DatabaseUnavailable("the database is unavailable"))
                return
            batch.set_result({r[0]: r[1] for r in rows})

    def _drop(self) -> None:
        """Forget the connection (closing its socket synchronously: its loop may be gone)."""
        if self._conn is not None and not self._conn.closed:
            self._conn.pgconn.finish()
        self._conn = None

    def close(self) -> None:
        """Close the connection."""
        self._drop()

"""One listener per app process.

A psycopg async connection ``LISTEN``s on the event channel
(:data:`gis_onemap.live.events.CHANNEL`), reads each notified event and fans it out to the SSE
clients' bounded queues.

NOTIFY is delivered only after COMMIT, so every app process (any number behind a balancer)
sees the same committed events, in commit order (``events.publish``). A slow client whose
queue is full gets an ``OVERFLOW`` marker instead of more events and is disconnected: it
reconnects with ``Last-Event-ID`` and replays from the table, and the server's memory stays
bounded by ``clients × live_client_queue``. A lost database connection is reopened with a
back-off, and the events committed meanwhile are read by id (nothing is missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import make_url

from gis_onemap.auth.principal import Principal
from gis_onemap.errors import TooBusy
from gis_onemap.live.events import (
    CHANNEL,
    LiveEvent,
    row_event,
    visible_to,
    wanted,
)

log = logging.getLogger("gis_onemap.live")

#: Queue markers: the client fell behind (reconnect and replay) / the server is closing.
OVERFLOW = "overflow"
CLOSED = "closed"
_COLUMNS = "id, incident_id, kind, payload, region_code, created_at"
_PURGE_EVERY_S = 600.0


def libpq_conninfo(sqlalchemy_url: str) -> str:
    """A libpq URI for a SQLAlchemy URL.

    ``postgresql+psycopg://…`` → ``postgresql://…``: libpq decodes the escaped socket folder.

    >>> libpq_conninfo("postgresql+psycopg://postgres@/db?host=/run&port=55432")
    'postgresql://postgres@/db?host=%2Frun&port=55432'
    """
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass(eq=False)
class Subscriber:
    """One SSE client: what it wants to see and its bounded queue of events."""

    principal: Principal
    incident_id: int | None
    queue: asyncio.Queue[LiveEvent | str] = field(repr=False)

    def offer(self, event: LiveEvent) -> bool:
        """Queue ``event`` if this client may see it; ``False`` when the client overflowed."""
        if not wanted(event.incident_id, self.incident_id):
            return True
        if not visible_to(self.principal, event.region_code, event.incident_id):
            return True
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            self._replace_with(OVERFLOW)
            return False

    def _replace_with(self, marker: str) -> None:
        while True:  # drop what it has not read: it will replay from the table
            try:
                self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        self.queue.put_nowait(marker)


class LiveHub:
    """The process's listener and its subscribers (made in ``create_app``'s lifespan)."""

    def __init__(
        self,
        database_url: str,
        *,
        queue_size: int,
        max_clients: int,
        retention_s: float,
    ) -> None:
        self._conninfo = libpq_conninfo(database_url)
        self._queue_size = queue_size
        self._max_clients = max_clients
        self._retention_s = retention_s
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._last_id = 0
        self.listening = asyncio.Event()
        self.dispatched = 0
        self.dropped = 0

    # ---- subscribers ---------------------------------------------------------------------------
    def subscribe(self, principal: Principal, incident_id: int | None) -> Subscriber:
        """A new subscriber; ``TooBusy`` (503) when the process serves ``max_clients``."""
        if len(self._subscribers) >= self._max_clients:
            raise TooBusy("too many live clients on this server; try again shortly")
        sub = Subscriber(principal, incident_id, asyncio.Queue(maxsize=self._queue_size))
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Stop delivering events to ``sub``."""
        self._subscribers.discard(sub)

    @property
    def clients(self) -> int:
        """The number of connected subscribers."""
        return len(self._subscribers)

    def dispatch(self, events: list[LiveEvent]) -> None:
        """Hand committed events to every subscriber that may see them."""
        for event in events:
            self._last_id = max(self._last_id, event.id)
            for sub in list(self._subscribers):
                if not sub.offer(event):
                    self.dropped += 1
                    self._subscribers.discard(sub)
            self.dispatched += 1

    # ---- the listener --------------------------------------------------------------------------
    async def start(self) -> None:
        """Start listening for committed events in a background task."""
        self._task = asyncio.create_task(self._run(), name="onemap-live-listener")

    async def close(self) -> None:
        """Stop the listener and close every subscriber."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for sub in list(self._subscribers):
            sub._replace_with(CLOSED)
        self._subscribers.clear()

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                log.warning("live listener: %s; reconnecting in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                backoff = 0.2

    async def _listen(self) -> None:
        async with (
            await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as listen,
            await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, row_factory=namedtuple_row
            ) as fetch,
        ):
            await listen.execute(f"LISTEN {CHANNEL}")
            if self._last_id:  # reconnected: what was committed while nobody listened
                await self._catch_up(fetch)
            else:
                cur = await fetch.execute("SELECT coalesce(max(id), 0) AS m FROM live_events")
                row = await cur.fetchone()
                self._last_id = int(row[0]) if row else 0
            await self._purge(fetch)
            purged_at = time.monotonic()
            self.listening.set()
            async for note in listen.notifies():
                ids = [int(note.payload)] if note.payload.isdigit() else []
                if ids:
                    cur = await fetch.execute(
                        f"SELECT {_COLUMNS} FROM live_events WHERE id = ANY(%s) ORDER BY id",
                        (ids,),
                    )
                    self.dispatch([row_event(r) for r in await cur.fetchall()])
                if time.monotonic() - purged_at > _PURGE_EVERY_S:
                    purged_at = time.monotonic()
                    await self._purge(fetch)

    async def _catch_up(self, fetch: psycopg.AsyncConnection[Any]) -> None:
        cur = await fetch.execute(
            f"SELECT {_COLUMNS} FROM live_events WHERE id > %s ORDER BY id", (self._last_id,)
        )
        self.dispatch([row_event(r) for r in await cur.fetchall()])

    async def _purge(self, fetch: psycopg.AsyncConnection[Any]) -> None:
        cur = await fetch.execute(
            "DELETE FROM live_events WHERE created_at < now() - make_interval(secs => %s)",
            (self._retention_s,),
        )
        if cur.rowcount:
            log.info("live events: %d older than the retention deleted", cur.rowcount)

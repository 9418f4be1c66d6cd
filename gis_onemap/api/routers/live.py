"""``GET /live/events``: the event bus as Server-Sent Events (issue 17).

FastAPI's own SSE support (``fastapi.sse.EventSourceResponse``, FastAPI ≥ 0.135) encodes the
messages, so no extra package (sse-starlette) is needed. The stream:

1. subscribes to the process's :class:`~gis_onemap.live.hub.LiveHub` *first* (nothing
   committed from then on can be missed),
2. replays what the client missed after its ``Last-Event-ID`` (header, or ``?last_event_id=``
   for clients that cannot set headers) from ``live_events``; ``event: reload`` when those
   events are gone (retention) or too many,
3. sends ``event: ready`` with the newest id, then the live events as they commit, a
   heartbeat comment on a quiet stream, and ``event: overflow`` before closing the stream of a
   client that fell behind (it reconnects and replays); after ``live_stream_max_s`` it ends
   the stream with ``event: reconnect`` so that the token is checked again.

Readers need a token (viewer and above): incident operations are not public. A token limited
to regions sees its regions' events only (``events.visible_to``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sqlalchemy import text

from gis_onemap.auth.deps import PrincipalDep, require_role
from gis_onemap.auth.principal import Principal, Role
from gis_onemap.errors import InvalidInput, NotFound, TooBusy
from gis_onemap.live.events import LiveEvent, Replay, last_event_id, replay
from gis_onemap.live.hub import CLOSED, OVERFLOW, LiveHub, Subscriber

router = APIRouter(tags=["Live"])
VIEWER = Depends(require_role(Role.viewer))
#: reconnection delay the browser's EventSource is told to use (ms)
RETRY_MS = 1000


def hub_of(request: Request) -> LiveHub:
    """The app's live-event hub; :class:`TooBusy` until the lifespan has started it."""
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        raise TooBusy("live events are not available yet; try again shortly")
    return hub


def parse_last_event_id(header: str | None, query: int | None) -> int | None:
    """The client's last event id: the header (what EventSource sends on reconnection) wins.

    >>> parse_last_event_id("42", None), parse_last_event_id(None, 7), parse_last_event_id("", None)
    (42, 7, None)
    >>> parse_last_event_id("x", None)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: Last-Event-ID must be an event id (a whole number)
    """
    if header is not None and header.strip():
        value = header.strip()
        if not value.isdigit() or len(value) > 18:
            raise InvalidInput("Last-Event-ID must be an event id (a whole number)")
        return int(value)
    return query


@dataclass
class Stream:
    """A subscribed client and what it must be sent before the live events."""

    sub: Subscriber
    replayed: Replay | None
    start_id: int
    after: int


def _prepare(
    request: Request, principal: Principal, incident: int | None, after: int | None
) -> tuple[Replay | None, int]:
    """Check the incident, replay what was missed, read the newest id.

    One short transaction on a pooled connection, in a worker thread.
    """
    settings = request.app.state.settings
    with request.app.state.engine.connect() as conn:
        if incident is not None:
            found = conn.execute(text("SELECT 1 FROM incidents WHERE id = :id"), {"id": incident})
            if found.first() is None:
                raise NotFound(f"no incident {incident}")
        missed = None
        if after is not None and after > 0:
            missed = replay(conn, after, incident, principal, settings.live_replay_max)
        return missed, last_event_id(conn)


async def open_stream(
    request: Request,
    principal: PrincipalDep,
    incident: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="An incident's events (and the global ones)"),
    ] = None,
    last_event_id_q: Annotated[
        int | None,
        Query(alias="last_event_id", ge=0, le=2**63 - 1, description="Resume after this id"),
    ] = None,
    last_event_id_h: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> AsyncIterator[Stream]:
    """Subscribe, then replay (errors here are ordinary 4xx responses, before any streaming).

    Unsubscribed when the response has ended.
    """
    after = parse_last_event_id(last_event_id_h, last_event_id_q)
    hub = hub_of(request)
    sub = hub.subscribe(principal, incident)
    try:
        missed, start_id = await anyio.to_thread.run_sync(
            _prepare, request, principal, incident, after
        )
        yield Stream(sub, missed, start_id, after or 0)
    finally:
        hub.unsubscribe(sub)


def _message(event: LiveEvent) -> ServerSentEvent:
    return ServerSentEvent(event=event.kind, id=str(event.id), data=event.as_data())


@router.get(
    "/live/events",
    response_class=EventSourceResponse,
    summary="Live events (Server-Sent Events): one incident's, or all the caller may see",
    dependencies=[VIEWER],
)
async def live_events(
    request: Request, stream: Annotated[Stream, Depends(open_stream)]
) -> AsyncIterator[ServerSentEvent]:
    settings = request.app.state.settings
    heartbeat = settings.live_heartbeat_s
    # a stream ends after live_stream_max_s: the reconnection checks the token again
    ends_at = time.monotonic() + settings.live_stream_max_s
    sent = stream.after
    if stream.replayed is not None and stream.replayed.reload:
        yield ServerSentEvent(event="reload", data={"reason": "missed events are no longer kept"})
        sent = stream.start_id
    elif stream.replayed is not None:
        for event in stream.replayed.events:
            yield _message(event)
            sent = max(sent, event.id)
    ready_id = max(sent, stream.start_id)
    yield ServerSentEvent(
        event="ready", id=str(ready_id), retry=RETRY_MS, data={"last_event_id": ready_id}
    )
    queue = stream.sub.queue
    while True:
        left = ends_at - time.monotonic()
        if left <= 0:
            yield ServerSentEvent(event="reconnect", data={"last_event_id": sent})
            return
        try:
            item = await asyncio.wait_for(queue.get(), min(heartbeat, left))
        except TimeoutError:
            yield ServerSentEvent(comment="heartbeat")
            continue
        if item == OVERFLOW:
            yield ServerSentEvent(event="overflow", data={"reconnect": True})
            return
        if item == CLOSED or isinstance(item, str):
            return
        if item.id <= sent:  # already replayed
            continue
        yield _message(item)
        sent = item.id

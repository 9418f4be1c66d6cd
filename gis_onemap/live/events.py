"""The event bus.

:func:`publish` stores an event and notifies listeners in the same transaction, so they hear of it
only once it is committed (a rolled-back change publishes nothing). Later work (reporting clocks,
dispatch, monitoring, duty) publishes here too.

An event is a row of ``live_events``: ``id`` (the SSE event id a client sends back as
``Last-Event-ID``), ``incident_id`` (NULL = global), ``kind`` (``situation.created``,
``positions``, …), ``payload`` (JSON, no personal data: every reader of the stream sees it)
and ``region_code`` (who may see it, :func:`visible_to`).

Ids are in commit order: :func:`publish` takes a transaction-level advisory lock before it
draws the id, so a transaction that drew a lower id has committed (or rolled back) before a
higher one is drawn; a client that resumes after id N therefore never skips an event that
commits later with a smaller id. The lock is held until COMMIT: publish last in a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gis_onemap.auth.principal import Principal

#: The NOTIFY channel; the payload is the event id (the listener reads the row).
CHANNEL = "onemap_live"
#: ``pg_advisory_xact_lock`` key of the publishers (any constant bigint of this project's own).
PUBLISH_LOCK = 0x6F6E656D61706C  # "onemapl"

_INSERT = text(
    "INSERT INTO live_events (incident_id, kind, payload, region_code) "
    "VALUES (:incident_id, :kind, CAST(:payload AS jsonb), :region_code) RETURNING id"
)
_NOTIFY = text("SELECT pg_notify(:channel, CAST(:id AS text))")
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
#: The smallest region (county before city) that holds the incident's point.
_INCIDENT_REGION = text(
    "SELECT r.code FROM incidents i JOIN regions r ON ST_Covers(r.geom, i.geom) "
    "WHERE i.id = :id ORDER BY ST_Area(r.geom) LIMIT 1"
)


@dataclass(frozen=True)
class LiveEvent:
    """One stored event, as the stream sends it."""

    id: int
    incident_id: int | None
    kind: str
    payload: dict[str, Any]
    region_code: str | None
    created_at: datetime

    def as_data(self) -> dict[str, Any]:
        """The JSON ``data`` of the SSE message."""
        return {
            "id": self.id,
            "incident_id": self.incident_id,
            "kind": self.kind,
            "region_code": self.region_code,
            "created_at": self.created_at.isoformat(),
            "payload": self.payload,
        }


def incident_region(session: Session | Connection, incident_id: int) -> str | None:
    """The region code of an incident's location (the smallest region holding it), if any."""
    return session.execute(_INCIDENT_REGION, {"id": incident_id}).scalar_one_or_none()


def publish(
    session: Session | Connection,
    *,
    incident_id: int | None,
    kind: str,
    payload: dict[str, Any],
    region_code: str | None = None,
) -> int:
    """Store an event and ``pg_notify`` its id, in the caller's transaction; the id.

    ``region_code`` defaults to the incident's region (:func:`incident_region`). Listeners
    hear of the event when the transaction commits, never if it rolls back.
    """
    import orjson

    if region_code is None and incident_id is not None:
        region_code = incident_region(session, incident_id)
    session.execute(_LOCK, {"key": PUBLISH_LOCK})
    event_id = int(
        session.execute(
            _INSERT,
            {
                "incident_id": incident_id,
                "kind": kind,
                "payload": orjson.dumps(payload).decode(),
                "region_code": region_code,
            },
        ).scalar_one()
    )
    session.execute(_NOTIFY, {"channel": CHANNEL, "id": event_id})
    return event_id


def visible_to(principal: Principal, region_code: str | None, incident_id: int | None) -> bool:
    """Whether ``principal`` may see an event.

    Unscoped callers see every event; a caller limited to regions sees its regions' events and the
    global ones (no incident, no region), never an incident event whose region is unknown.

    >>> scoped = Principal("d", region_codes=("440803",))
    >>> visible_to(scoped, "440803", 1), visible_to(scoped, "440804", 1)
    (True, False)
    >>> visible_to(scoped, None, None), visible_to(scoped, None, 1)
    (True, False)
    >>> visible_to(Principal(), None, 1)
    True
    """
    if not principal.region_codes:
        return True
    if region_code is None:
        return incident_id is None
    return principal.in_region(region_code)


def wanted(event_incident: int | None, stream_incident: int | None) -> bool:
    """Whether an event belongs on a stream.

    The global stream carries everything; an incident's stream carries that incident's events and
    the global ones (team positions, later warnings), which an incident workspace shows too.

    >>> wanted(3, None), wanted(3, 3), wanted(None, 3), wanted(4, 3)
    (True, True, True, False)
    """
    return stream_incident is None or event_incident is None or event_incident == stream_incident


def row_event(row: Any) -> LiveEvent:
    """A :class:`LiveEvent` from a ``live_events`` row."""
    return LiveEvent(
        int(row.id), row.incident_id, row.kind, row.payload, row.region_code, row.created_at
    )


_COLUMNS = "id, incident_id, kind, payload, region_code, created_at"
_BY_IDS = text(f"SELECT {_COLUMNS} FROM live_events WHERE id = ANY(:ids) ORDER BY id")
_AFTER = text(
    f"SELECT {_COLUMNS} FROM live_events WHERE id > :after "
    "AND (CAST(:incident AS bigint) IS NULL OR incident_id IS NULL OR incident_id = :incident) "
    "ORDER BY id LIMIT :limit"
)
_EXISTS = text("SELECT EXISTS (SELECT 1 FROM live_events WHERE id = :id)")
_MAX_ID = text("SELECT coalesce(max(id), 0) FROM live_events")


def events_by_ids(conn: Connection | Session, ids: list[int]) -> list[LiveEvent]:
    """The events with these ids."""
    return [row_event(r) for r in conn.execute(_BY_IDS, {"ids": ids})]


@dataclass(frozen=True)
class Replay:
    """What a reconnecting client missed.

    The events, or ``reload`` when they are gone (older than the retention) or too many to replay.
    """

    events: list[LiveEvent]
    reload: bool = False


def replay(
    conn: Connection | Session,
    after: int,
    incident_id: int | None,
    principal: Principal,
    limit: int,
) -> Replay:
    """The events after ``after`` (a ``Last-Event-ID``) that the caller may see, in order.

    The id a client sends is one it received, so its row exists unless the retention deleted
    it: then earlier events are gone too and the client must reload; so must one that missed
    more than ``limit`` events, or sends an id the server never gave out.
    """
    if not conn.execute(_EXISTS, {"id": after}).scalar_one():
        return Replay([], reload=True)
    rows = conn.execute(_AFTER, {"after": after, "incident": incident_id, "limit": limit + 1})
    events = [row_event(r) for r in rows]
    if len(events) > limit:
        return Replay([], reload=True)
    return Replay([e for e in events if visible_to(principal, e.region_code, e.incident_id)])


def last_event_id(conn: Connection | Session) -> int:
    """The newest event id (0 when there is none)."""
    return int(conn.execute(_MAX_ID).scalar_one())

"""The event bus: publish → NOTIFY after commit only; SSE stream with Last-Event-ID replay,
region scope, heartbeats, bad input."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.live.events import CHANNEL, publish
from gis_onemap.live.hub import libpq_conninfo
from tests.live.sse import SSEReader


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _notified(listener: psycopg.Connection, wait: float) -> list[str]:
    return [n.payload for n in listener.notifies(timeout=wait, stop_after=10)]


def test_a_listener_on_another_connection_hears_only_committed_events(live_url, live_engine):
    with psycopg.connect(libpq_conninfo(live_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        # rolled back: nothing is heard and nothing is stored
        with Session(live_engine) as session:
            gone = publish(session, incident_id=None, kind="test.rollback", payload={"n": 1})
            session.rollback()
        assert _notified(listener, 0.5) == []
        # committed: heard only once the COMMIT has happened
        with Session(live_engine) as session:
            event_id = publish(session, incident_id=None, kind="test.commit", payload={"n": 2})
            assert _notified(listener, 0.5) == []  # published, not yet committed
            session.commit()
        assert _notified(listener, 2.0) == [str(event_id)]
    with live_engine.connect() as conn:
        kinds = dict(
            conn.execute(
                text("SELECT id, kind FROM live_events WHERE id = ANY(:ids)"),
                {"ids": [gone, event_id]},
            ).all()
        )
    assert kinds == {event_id: "test.commit"}


def _publish(live_engine, incident_id, kind, payload, region_code=None) -> int:
    with Session(live_engine) as session:
        event_id = publish(
            session, incident_id=incident_id, kind=kind, payload=payload, region_code=region_code
        )
        session.commit()
    return event_id


def test_stream_delivers_committed_events_from_another_connection(
    server, live_engine, make_token, make_incident, two_regions
):
    incident = make_incident(two_regions[0]["lon"], two_regions[0]["lat"])
    other = make_incident(two_regions[1]["lon"], two_regions[1]["lat"])
    url = f"{server}/live/events?incident={incident}"
    with SSEReader(url, _bearer(make_token("viewer"))) as reader:
        assert reader.status == 200 and reader.content_type.startswith("text/event-stream")
        ready = reader.next_event(kind="ready")
        start = int(ready["id"])
        t0 = time.monotonic()
        mine = _publish(live_engine, incident, "test.ping", {"hello": "世界"})
        event = reader.next_event(timeout=2.0)
        assert time.monotonic() - t0 < 2.0
        assert event["event"] == "test.ping" and int(event["id"]) == mine > start
        assert event["data"]["payload"] == {"hello": "世界"}
        assert event["data"]["incident_id"] == incident
        # the incident's region was looked up from its location
        assert event["data"]["region_code"] == two_regions[0]["code"]
        # another incident's events are not on this incident's stream; global ones are
        _publish(live_engine, other, "test.other", {})
        glob = _publish(live_engine, None, "test.global", {})
        assert [int(e["id"]) for e in reader.drain(1.0)] == [glob]


def test_last_event_id_replays_what_was_missed(server, live_engine, make_token, make_incident):
    incident = make_incident(110.36, 21.27)
    token = make_token("viewer")
    url = f"{server}/live/events?incident={incident}"
    with SSEReader(url, _bearer(token)) as reader:
        reader.next_event(kind="ready")
        first = _publish(live_engine, incident, "test.seen", {"n": 0})
        assert int(reader.next_event()["id"]) == first
    missed = [_publish(live_engine, incident, "test.missed", {"n": i}) for i in range(1, 4)]
    # the header EventSource sends on reconnection
    with SSEReader(url, {**_bearer(token), "Last-Event-ID": str(first)}) as reader:
        replayed = [reader.next_event() for _ in missed]
        assert [int(e["id"]) for e in replayed] == missed
        assert [e["data"]["payload"]["n"] for e in replayed] == [1, 2, 3]
        ready = reader.next_event()
        assert ready["event"] == "ready" and int(ready["id"]) >= missed[-1]
    # the query parameter works too, and nothing is replayed twice
    url_q = f"{url}&last_event_id={missed[1]}"
    with SSEReader(url_q, _bearer(token)) as reader:
        assert int(reader.next_event()["id"]) == missed[2]
        assert reader.next_event()["event"] == "ready"


def test_replay_of_events_past_the_retention_says_reload(
    server, live_engine, make_token, make_incident
):
    incident = make_incident(110.36, 21.27)
    old = _publish(live_engine, incident, "test.old", {})
    newer = _publish(live_engine, incident, "test.newer", {})
    with live_engine.begin() as conn:  # what the retention purge does to old events
        conn.execute(text("DELETE FROM live_events WHERE id = :id"), {"id": old})
    url = f"{server}/live/events?incident={incident}"
    with SSEReader(url, {**_bearer(make_token("viewer")), "Last-Event-ID": str(old)}) as reader:
        first = reader.next_event()
        assert first["event"] == "reload"
        ready = reader.next_event()
        assert ready["event"] == "ready" and int(ready["id"]) >= newer


def test_region_scoped_token_sees_only_its_regions_events(
    server, live_engine, make_token, make_incident, two_regions
):
    mine, theirs = two_regions
    in_mine = make_incident(mine["lon"], mine["lat"])
    in_theirs = make_incident(theirs["lon"], theirs["lat"])
    scoped = make_token("viewer", [mine["code"]])
    with (
        SSEReader(f"{server}/live/events", _bearer(scoped)) as reader,
        SSEReader(f"{server}/live/events", _bearer(make_token("viewer"))) as everyone,
    ):
        reader.next_event(kind="ready")
        everyone.next_event(kind="ready")
        seen = _publish(live_engine, in_mine, "test.region", {"where": "mine"})
        hidden = _publish(live_engine, in_theirs, "test.region", {"where": "theirs"})
        glob = _publish(live_engine, None, "test.region", {"where": "global"})
        got = [int(e["id"]) for e in reader.drain(1.5) if e.get("event") == "test.region"]
        assert got == [seen, glob]
        got_all = [int(e["id"]) for e in everyone.drain(0.1) if e.get("event") == "test.region"]
        assert got_all == [seen, hidden, glob]
    # replay applies the same rule
    before = seen - 1
    with SSEReader(
        f"{server}/live/events", {**_bearer(scoped), "Last-Event-ID": str(before)}
    ) as reader:
        events = [e for e in reader.drain(1.0) if e.get("event") == "test.region"]
        assert [int(e["id"]) for e in events] == [seen, glob]
    # a scoped token cannot open another region's incident stream's events either
    with SSEReader(f"{server}/live/events?incident={in_theirs}", _bearer(scoped)) as reader:
        reader.next_event(kind="ready")
        _publish(live_engine, in_theirs, "test.region", {"where": "theirs again"})
        assert [e for e in reader.drain(1.0) if e.get("event") == "test.region"] == []


def test_heartbeats_on_a_quiet_stream(server, make_token, make_incident):
    incident = make_incident(110.36, 21.27)
    with SSEReader(f"{server}/live/events?incident={incident}",
                   _bearer(make_token("viewer"))) as reader:  # fmt: skip
        reader.next_event(kind="ready")
        time.sleep(2.5)  # live_heartbeat_s = 1 in these tests
        assert reader.heartbeats >= 2


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {}, 401),  # anonymous: incident operations are not public
        ("?incident=999999999", None, 404),
        ("?incident=abc", None, 400),
        ("?incident=0", None, 400),
        ("?last_event_id=-1", None, 400),
        ("", {"Last-Event-ID": "12abc"}, 400),
    ],
)
def test_bad_stream_requests_are_4xx(server, make_token, query, headers, status):
    import httpx

    auth = _bearer(make_token("viewer")) if headers is None or headers else {}
    resp = httpx.get(f"{server}/live/events{query}", headers={**auth, **(headers or {})})
    assert resp.status_code == status
    assert "text/event-stream" not in resp.headers.get("content-type", "")
    assert "Traceback" not in resp.text and "psycopg" not in resp.text


def test_a_client_that_falls_behind_is_dropped_not_the_server(
    server, live_engine, make_token, make_incident
):
    """live_client_queue = 50 here: 200 big events at a client that does not read (the socket
    buffers fill, then its queue) → it is sent 'overflow' and disconnected; others are served."""
    import httpx

    incident = make_incident(110.36, 21.27)
    token = make_token("viewer")
    with httpx.Client(timeout=10) as slow:
        url = f"{server}/live/events?incident={incident}"
        with slow.stream("GET", url, headers=_bearer(token)) as resp:
            assert resp.status_code == 200
            with Session(live_engine) as session:
                for i in range(200):
                    publish(session, incident_id=incident, kind="test.flood",
                            payload={"n": i, "pad": "x" * 60_000})  # fmt: skip
                    session.commit()
            time.sleep(1.0)
            tail = b""
            deadline = time.monotonic() + 20
            ended = False
            for chunk in resp.iter_bytes():
                tail = (tail + chunk)[-4000:]
                if b"event: overflow" in tail or time.monotonic() > deadline:
                    break
            else:
                ended = True
            assert b"event: overflow" in tail, ended
    with SSEReader(f"{server}/live/events?incident={incident}", _bearer(token)) as reader:
        assert reader.next_event(kind="ready")


def test_the_listener_deletes_events_older_than_the_retention(live_url, live_engine):
    import asyncio

    from gis_onemap.live.hub import LiveHub

    with live_engine.begin() as conn:
        old, fresh = (
            conn.execute(
                text(
                    "INSERT INTO live_events (kind, created_at) VALUES "
                    "('test.old', now() - interval '2 hours'), ('test.fresh', now()) RETURNING id"
                )
            )
            .scalars()
            .all()
        )

    async def start_and_stop() -> None:
        hub = LiveHub(live_url, queue_size=10, max_clients=10, retention_s=3600)
        await hub.start()
        await asyncio.wait_for(hub.listening.wait(), 15)
        await hub.close()

    asyncio.run(start_and_stop())
    with live_engine.connect() as conn:
        left = (
            conn.execute(
                text("SELECT id FROM live_events WHERE id = ANY(:ids)"), {"ids": [old, fresh]}
            )
            .scalars()
            .all()
        )
    assert left == [fresh]


def test_a_stream_ends_after_its_maximum_age_and_resumes(live_url, live_engine, make_token,
                                                         make_incident):  # fmt: skip
    """live_stream_max_s: the server ends a long stream with 'reconnect' (the token is then
    checked again); the client resumes from its last id without losing an event."""
    from gis_onemap.settings import Settings
    from tests.live_server import live_server

    incident = make_incident(110.36, 21.27)
    token = make_token("viewer")
    settings = Settings(database_url=live_url, live_stream_max_s=1.5, live_heartbeat_s=0.5)
    with live_server(settings) as base:
        url = f"{base}/live/events?incident={incident}"
        with SSEReader(url, _bearer(token)) as reader:
            last = int(reader.next_event(kind="ready")["id"])
            first = _publish(live_engine, incident, "test.age", {"n": 1})
            assert int(reader.next_event(kind="test.age")["id"]) == first
            end = reader.next_event(timeout=3.0, kind="reconnect")
            assert end["data"]["last_event_id"] == first > last
        missed = _publish(live_engine, incident, "test.age", {"n": 2})
        with SSEReader(url, {**_bearer(token), "Last-Event-ID": str(first)}) as reader:
            assert int(reader.next_event(kind="test.age")["id"]) == missed

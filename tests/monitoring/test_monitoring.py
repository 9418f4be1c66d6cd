"""Monitoring feeds over HTTP on real PostGIS: warnings follow the readings, batches are all or
nothing, duplicates and late readings are harmless, stale sensors are flagged, readings land in
monthly partitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.samples import sample_feature

NOW = datetime.now(UTC).replace(microsecond=0)


def _hazard(client: TestClient) -> int:
    r = client.post(
        "/collections/hazard_sources/items",
        json=sample_feature("hazard_sources"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _point(client: TestClient, hazard_id: int, code: str = "LT-1", **kw: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "name": "1号液氨储罐液位",
        "hazard_source_id": hazard_id,
        "sensor_type": "liquid_level",
        "thresholds": {"yellow": 8.0, "orange": 9.0, "red": 9.5},
        "interval_s": 60,
        **kw,
    }
    r = client.post("/monitoring/points", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _post(client: TestClient, code: str, series: list[tuple[datetime, float]]) -> Any:
    readings = [{"point": code, "observed_at": t.isoformat(), "value": v} for t, v in series]
    return client.post("/monitoring/readings", json={"readings": readings})


def _expected_warning(series: list[tuple[datetime, float]], thresholds: dict[str, float]):
    """Independent walk of the rule: open at the first crossing, keep the peak, close at normal."""
    order = ["blue", "yellow", "orange", "red"]
    peak = opened = closed = None
    for t, v in sorted(series):
        reached = [lvl for lvl in order if lvl in thresholds and v >= thresholds[lvl]]
        lvl = reached[-1] if reached else None
        if lvl and opened is None:
            peak, opened = lvl, t
        elif lvl and order.index(lvl) > order.index(peak):
            peak = lvl
        elif lvl is None and opened is not None and closed is None:
            closed = t
    return peak, opened, closed


def test_warnings_open_escalate_and_close_in_time_order(editor_client: TestClient) -> None:
    hid = _hazard(editor_client)
    p = _point(editor_client, hid)
    t = [NOW - timedelta(minutes=10 - i) for i in range(5)]
    series = [(t[0], 5.0), (t[2], 9.2), (t[1], 8.5), (t[3], 9.8), (t[4], 3.0)]  # out of order
    r = _post(editor_client, "LT-1", series)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stored"], body["duplicates"], body["late"]) == (5, 0, 0)
    assert [w["level"] for w in body["warnings"]["opened"]] == ["yellow"]
    assert [w["level"] for w in body["warnings"]["escalated"]] == ["orange", "red"]
    assert [w["level"] for w in body["warnings"]["closed"]] == ["red"]

    peak, opened, closed = _expected_warning(series, p["properties"]["thresholds"])
    assert editor_client.get("/warnings").json()["features"] == []  # closed again
    done = editor_client.get("/warnings", params={"active": "false"}).json()["features"]
    assert len(done) == 1
    w = done[0]["properties"]
    assert w["level"] == peak == "red"
    assert datetime.fromisoformat(w["opened_at"]) == opened == t[1]
    assert datetime.fromisoformat(w["closed_at"]) == closed == t[4]
    assert w["hazard_source_id"] == hid and w["level_zh"] == "红色"
    # the point shows its latest reading
    got = editor_client.get(f"/monitoring/points/{p['id']}").json()["properties"]
    assert got["last_value"] == 3.0 and got["open_warning"] is None


def test_a_crossing_reading_opens_a_warning_that_is_listed_live(editor_client: TestClient) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid, code="GAS-1", sensor_type="combustible_gas",
           thresholds={"blue": 10, "yellow": 20, "orange": 25, "red": 50})  # fmt: skip
    r = _post(editor_client, "GAS-1", [(NOW - timedelta(seconds=5), 22.0)])
    opened = r.json()["warnings"]["opened"]
    assert [w["level"] for w in opened] == ["yellow"]
    active = editor_client.get("/warnings", params={"hazard_source_id": hid}).json()["features"]
    assert [f["properties"]["level"] for f in active] == ["yellow"]
    assert active[0]["geometry"]["type"] == "Point"
    # a less severe but still warning value keeps the warning at its peak
    r = _post(editor_client, "GAS-1", [(NOW - timedelta(seconds=4), 12.0)])
    assert r.json()["warnings"] == {"opened": [], "escalated": [], "closed": []}
    active = editor_client.get("/warnings", params={"hazard_source_id": hid}).json()["features"]
    assert [f["properties"]["level"] for f in active] == ["yellow"]


def test_below_direction_sensors_warn_on_low_values(editor_client: TestClient) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid, code="P-1", sensor_type="pressure", direction="below",
           thresholds={"yellow": 0.5, "red": 0.2})  # fmt: skip
    r = _post(editor_client, "P-1", [(NOW - timedelta(seconds=3), 0.6),
                                     (NOW - timedelta(seconds=2), 0.15)])  # fmt: skip
    assert [w["level"] for w in r.json()["warnings"]["opened"]] == ["red"]


def test_duplicates_and_late_readings_are_stored_once_and_move_nothing(
    editor_client: TestClient, db_session: Session
) -> None:
    hid = _hazard(editor_client)
    p = _point(editor_client, hid)
    t = [NOW - timedelta(minutes=5 - i) for i in range(3)]
    series = [(t[0], 1.0), (t[2], 2.0)]
    assert _post(editor_client, "LT-1", series).json()["stored"] == 2
    again = _post(editor_client, "LT-1", series).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    late = _post(editor_client, "LT-1", [(t[1], 99.0)]).json()  # red, but superseded by t[2]
    assert (late["stored"], late["late"]) == (1, 1)
    assert late["warnings"] == {"opened": [], "escalated": [], "closed": []}
    n = db_session.execute(
        text("SELECT count(*) FROM monitoring_readings WHERE point_id = :p"), {"p": p["id"]}
    ).scalar_one()
    assert n == 3
    series_out = editor_client.get(
        f"/monitoring/points/{p['id']}/readings",
        params={"start": (NOW - timedelta(hours=1)).isoformat()},
    ).json()["readings"]
    times = [datetime.fromisoformat(r["observed_at"]) for r in series_out]
    assert times == sorted(times) == t


def test_a_bad_batch_lists_every_problem_and_stores_nothing(
    editor_client: TestClient, db_session: Session
) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid)
    readings = [
        {"point": "LT-1", "observed_at": (NOW - timedelta(seconds=1)).isoformat(), "value": 9.9},
        {"point": "NOPE-7", "observed_at": NOW.isoformat(), "value": 1.0},
        {"point": "LT-1", "observed_at": (NOW + timedelta(hours=2)).isoformat(), "value": 1.0},
    ]
    r = editor_client.post("/monitoring/readings", json={"readings": readings})
    assert r.status_code == 422
    text_ = r.text
    assert "NOPE-7" in text_ and "in the future" in text_ and "nothing was stored" in text_
    assert db_session.execute(text("SELECT count(*) FROM monitoring_readings")).scalar_one() == 0
    assert db_session.execute(text("SELECT count(*) FROM monitoring_warnings")).scalar_one() == 0
    # a time without an offset is refused by the body model
    naive = [{"point": "LT-1", "observed_at": "2026-12-01T08:00:00", "value": 1.0}]
    r = editor_client.post("/monitoring/readings", json={"readings": naive})
    assert r.status_code == 400 and "timezone" in r.text
    assert editor_client.post("/monitoring/readings", json={"readings": []}).status_code == 400


def test_only_editors_post_readings_and_points(
    client: TestClient, viewer_client: TestClient, editor_client: TestClient
) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid)
    body = {"readings": [{"point": "LT-1", "observed_at": NOW.isoformat(), "value": 1.0}]}
    assert client.post("/monitoring/readings", json=body).status_code == 401
    assert viewer_client.post("/monitoring/readings", json=body).status_code == 403
    assert client.get("/warnings").status_code == 200  # reads are open like the map


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"thresholds": {"yellow": 9.0, "red": 8.0}}, "must rise"),
        ({"thresholds": {"amber": 1.0}}, "unknown warning level"),
        ({"sensor_type": "vibes"}, "unknown sensor_type"),
        ({"hazard_source_id": 987654321}, "no hazard source"),
    ],
)
def test_bad_points_are_refused(
    editor_client: TestClient, change: dict[str, Any], needle: str, db_session: Session
) -> None:
    hid = _hazard(editor_client)
    body = {
        "code": "X-1", "name": "x", "hazard_source_id": hid, "sensor_type": "temperature",
        "thresholds": {"red": 80.0}, **change,
    }  # fmt: skip
    r = editor_client.post("/monitoring/points", json=body)
    assert r.status_code == 422 and needle in r.text, r.text
    assert db_session.execute(text("SELECT count(*) FROM monitoring_points")).scalar_one() == 0


def test_a_second_point_with_the_same_code_is_a_conflict(editor_client: TestClient) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid)
    r = editor_client.post(
        "/monitoring/points",
        json={"code": "LT-1", "name": "again", "hazard_source_id": hid,
              "sensor_type": "liquid_level", "thresholds": {"red": 9.5}},
    )  # fmt: skip
    assert r.status_code == 409


def test_stale_sensors_are_flagged(editor_client: TestClient) -> None:
    now = datetime.now(UTC)  # the database's now(): the test transaction's start, not import time
    hid = _hazard(editor_client)
    quiet = _point(editor_client, hid, code="QUIET", interval_s=60)
    live = _point(editor_client, hid, code="LIVE", interval_s=60)
    _post(editor_client, "QUIET", [(now - timedelta(minutes=30), 1.0)])  # 30 intervals ago
    _post(editor_client, "LIVE", [(now - timedelta(seconds=10), 1.0)])
    stale = editor_client.get("/monitoring/points", params={"stale": "true"}).json()["features"]
    fresh = editor_client.get("/monitoring/points", params={"stale": "false"}).json()["features"]
    assert quiet["id"] in {f["id"] for f in stale} and live["id"] not in {f["id"] for f in stale}
    assert live["id"] in {f["id"] for f in fresh}


def test_readings_land_in_monthly_partitions(
    editor_client: TestClient, db_session: Session
) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid)
    a = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
    b = datetime(2026, 11, 1, 0, 1, tzinfo=UTC)
    assert _post(editor_client, "LT-1", [(a, 1.0), (b, 2.0)]).json()["stored"] == 2
    rows = db_session.execute(
        text(
            "SELECT tableoid::regclass::text, observed_at FROM monitoring_readings "
            "ORDER BY observed_at"
        )
    ).all()
    assert [r[0] for r in rows] == [
        f"monitoring_readings_y{a:%Y}m{a:%m}",
        f"monitoring_readings_y{b:%Y}m{b:%m}",
    ]


def test_warning_changes_are_published_with_the_points_region(
    editor_client: TestClient, db_session: Session
) -> None:
    hid = _hazard(editor_client)
    _point(editor_client, hid)
    _post(editor_client, "LT-1", [(NOW - timedelta(seconds=2), 9.9), (NOW, 1.0)])
    rows = db_session.execute(
        text("SELECT kind, region_code, payload FROM live_events WHERE kind LIKE 'warning.%' "
             "ORDER BY id")
    ).all()  # fmt: skip
    assert [r.kind for r in rows] == ["warning.opened", "warning.closed"]
    assert {r.region_code for r in rows} == {"440803"}  # the sample hazard source's district
    assert rows[0].payload["level"] == "red" and rows[0].payload["point"] == "LT-1"

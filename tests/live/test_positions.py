"""Team positions: batched, out of order, duplicates, GCJ-02, flags, 4xx (rolled-back client)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pyproj import Geod
from sqlalchemy import text

from gis_onemap.crs.webmaps import wgs84_to_gcj02
from tests.samples import point, sample_feature

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")


def _team(client, lon=110.36, lat=21.27) -> int:
    resp = client.post(
        "/collections/rescue_teams/items", json=sample_feature("rescue_teams", point(lon, lat))
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _pos(team: int, lon: float, lat: float, t: datetime, **kw) -> dict:
    return {"team_id": team, "lon": lon, "lat": lat, "time": t.isoformat(), **kw}


def test_ten_thousand_positions_out_of_order_with_duplicates(editor_client):
    rng = random.Random(17)
    teams = [_team(editor_client, 110.30 + i * 0.02, 21.25) for i in range(5)]
    truth: dict[int, list[tuple[datetime, float, float]]] = {}
    points = []
    for k, team in enumerate(teams):
        lon, lat = 110.30 + k * 0.02, 21.25
        track = []
        for i in range(1900):  # 10 s apart, ~8 m/s north-east: plausible
            lon, lat, _ = GEOD.fwd(lon, lat, 45.0, 80.0)
            t = T0 + timedelta(seconds=10 * i)
            track.append((t, lon, lat))
            points.append(_pos(team, lon, lat, t, speed=8.0, heading=45))
        truth[team] = track
    duplicates = [dict(p) for p in rng.sample(points, 500)]  # 5% of 10,000 sent twice
    batch = points + duplicates
    assert len(batch) == 10_000
    rng.shuffle(batch)  # late and out of order
    stored = dups = 0
    for i in range(0, len(batch), 1000):
        resp = editor_client.post("/positions", json={"positions": batch[i : i + 1000]})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        stored += body["stored"]
        dups += body["duplicates"]
        assert body["flagged"] == []
    assert (stored, dups) == (9500, 500)
    for team in teams:
        resp = editor_client.get(f"/rescue_teams/{team}/track")
        assert resp.status_code == 200
        feats = resp.json()["features"]
        times = [datetime.fromisoformat(f["properties"]["time"]) for f in feats]
        assert times == sorted(set(times))  # time-ordered, no duplicates
        assert times == [t for t, _, _ in truth[team]]
        got = [f["geometry"]["coordinates"] for f in feats]
        want = [[lon, lat] for _, lon, lat in truth[team]]
        assert (
            max(
                abs(a - b)
                for g, w in zip(got, want, strict=True)
                for a, b in zip(g, w, strict=True)
            )
            < 1e-6
        )
    latest = editor_client.get("/positions/latest").json()["features"]
    newest = {f["properties"]["team_id"]: f for f in latest if f["properties"]["team_id"] in teams}
    for team in teams:
        assert datetime.fromisoformat(newest[team]["properties"]["time"]) == truth[team][-1][0]


def test_gcj02_positions_are_stored_in_wgs84(editor_client):
    team = _team(editor_client)
    lon, lat = 110.3594, 21.2707
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert abs(glon - lon) > 1e-3  # the offset is real (hundreds of metres)
    resp = editor_client.post(
        "/positions", json={"crs": "gcj02", "positions": [_pos(team, glon, glat, T0)]}
    )
    assert resp.status_code == 200, resp.text
    stored = editor_client.get(f"/rescue_teams/{team}/track").json()["features"][0]
    assert abs(stored["geometry"]["coordinates"][0] - lon) < 1e-6
    assert abs(stored["geometry"]["coordinates"][1] - lat) < 1e-6


def test_impossible_speed_and_future_points_are_kept_but_flagged(editor_client, db_session):
    team = _team(editor_client)
    a = _pos(team, 110.36, 21.27, T0)
    far_lon, _, _ = GEOD.fwd(110.36, 21.27, 90.0, 50_000.0)  # 50 km in 60 s = 3000 km/h
    b = _pos(team, far_lon, 21.27, T0 + timedelta(seconds=60))
    c = _pos(team, 110.3605, 21.27, T0 + timedelta(seconds=120))
    future = _pos(team, 110.3606, 21.27, datetime.now(UTC) + timedelta(hours=1))
    # the outlier arrives late, after its neighbours
    assert editor_client.post("/positions", json={"positions": [a, c, future]}).status_code == 200
    resp = editor_client.post("/positions", json={"positions": [b]})
    assert resp.status_code == 200
    assert resp.json()["flagged"] == [
        {"team_id": team, "time": b["time"], "flags": ["impossible_speed"]}
    ]
    track = editor_client.get(f"/rescue_teams/{team}/track").json()["features"]
    flags = {f["properties"]["time"]: f["properties"]["flags"] for f in track}
    assert flags[a["time"]] == [] and flags[c["time"]] == []
    assert flags[b["time"]] == ["impossible_speed"]
    assert [v for k, v in flags.items() if k not in (a["time"], b["time"], c["time"])] == [
        ["future"]
    ]
    # the latest good position is c, not the future one nor the outlier
    latest = editor_client.get("/positions/latest").json()["features"]
    mine = [f for f in latest if f["properties"]["team_id"] == team]
    assert [f["properties"]["time"] for f in mine] == [c["time"]]
    # the first batch published the team's newest good point (c, not the future one); the
    # second, only an outlier, published nothing
    payloads = (
        db_session.execute(
            text("SELECT payload FROM live_events WHERE kind = 'positions' ORDER BY id")
        )
        .scalars()
        .all()
    )
    assert [[p["time"] for p in e["positions"]] for e in payloads] == [[c["time"]]]


def test_unknown_team_rejects_the_whole_batch_listing_every_problem(editor_client):
    team = _team(editor_client)
    batch = [
        _pos(team, 110.36, 21.27, T0),
        _pos(999_999_999, 110.36, 21.27, T0),
        _pos(team, 110.36, 21.27, T0 + timedelta(seconds=5)),
        _pos(999_999_998, 110.36, 21.27, T0),
    ]
    resp = editor_client.post("/positions", json={"positions": batch})
    assert resp.status_code == 422
    details = resp.json()["details"]
    assert [(d["index"], d["property"]) for d in details] == [(1, "team_id"), (3, "team_id")]
    assert "999999999" in details[0]["message"]
    assert editor_client.get(f"/rescue_teams/{team}/track").json()["features"] == []


def test_bad_positions_are_4xx_and_store_nothing(editor_client, viewer_client, client):
    team = _team(editor_client)
    cases = [
        ({"positions": [{"team_id": team, "lon": "x", "lat": 21.2, "time": T0.isoformat()}]},
         422, "lon"),
        ({"positions": [{"team_id": team, "lon": 110.3, "lat": 21.2,
                         "time": "2026-11-30T08:00:00"}]}, 422, "time"),
        ({"positions": [_pos(team, 110.3, 21.2, T0, speed=-1)]}, 422, "speed"),
        ({"positions": [_pos(team, 110.3, 21.2, T0, heading=400)]}, 422, "heading"),
        ({"positions": [_pos(team, 200.0, 21.2, T0)]}, 422, "lon"),
        ({"positions": [_pos(team, 110.3, 21.2, T0)], "crs": "EPSG:999999"}, 422, None),
        ({"positions": []}, 422, None),
        ({"points": []}, 422, None),
        ({"positions": [_pos(team, 110.3, 21.2, T0 + timedelta(seconds=i))
                        for i in range(1001)]}, 413, None),
    ]  # fmt: skip
    for body, status, prop in cases:
        resp = editor_client.post("/positions", json=body)
        assert resp.status_code == status, (body, resp.text)
        if prop:
            assert resp.json()["details"][0]["property"] == prop
        assert "Traceback" not in resp.text
    assert (
        editor_client.post(
            "/positions", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert editor_client.get(f"/rescue_teams/{team}/track").json()["features"] == []
    ok = {"positions": [_pos(team, 110.3, 21.2, T0)]}
    assert viewer_client.post("/positions", json=ok).status_code == 403
    assert client.post("/positions", json=ok).status_code == 401
    assert client.get("/positions/latest").status_code == 401
    assert editor_client.get("/rescue_teams/999999999/track").status_code == 404
    assert editor_client.get(
        f"/rescue_teams/{team}/track", params={"start": "2026-12-02T00:00:00+00:00",
                                               "end": "2026-12-01T00:00:00+00:00"}
    ).status_code == 400  # fmt: skip


def test_a_future_time_is_flagged_only_beyond_the_tolerance(editor_client, settings):
    """Device clocks drift: within ``positions_future_tolerance_s`` a point is an ordinary one;
    beyond it the point is kept but flagged ``future`` and never the latest."""
    team = _team(editor_client)
    tolerance = settings.positions_future_tolerance_s
    now = datetime.now(UTC)
    within = _pos(team, 110.3601, 21.27, now + timedelta(seconds=tolerance / 4))
    beyond = _pos(team, 110.3602, 21.27, now + timedelta(seconds=tolerance * 3))
    resp = editor_client.post("/positions", json={"positions": [within, beyond]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["stored"] == 2  # both kept
    assert resp.json()["flagged"] == [
        {"team_id": team, "time": beyond["time"], "flags": ["future"]}
    ]
    track = editor_client.get(f"/rescue_teams/{team}/track").json()["features"]
    assert {f["properties"]["time"]: f["properties"]["flags"] for f in track} == {
        within["time"]: [], beyond["time"]: ["future"]}  # fmt: skip
    latest = editor_client.get("/positions/latest").json()["features"]
    assert [f["properties"]["time"] for f in latest if f["properties"]["team_id"] == team] == [
        within["time"]
    ]

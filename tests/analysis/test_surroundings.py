"""Surroundings: totals equal sums computed here from the same rows (distances from pyproj.Geod)."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from gis_onemap.analysis.surroundings import NEAREST_EXPERTS
from gis_onemap.categories.events import specialties_for
from tests.analysis.helpers import GEOD, add, add_area, offset

LON, LAT = 110.36, 21.27
RADIUS = 3000.0
SPECIALTIES = ["fire", "geology", "medical", "structural", "flood"]


@pytest.fixture
def scene(db_session):
    """Random rows in and around the radius; returns what was inserted, with geodesic distances."""
    rng = random.Random(42)
    rows: dict[str, list[dict]] = defaultdict(list)

    def put(category, **props):
        az, dist = rng.uniform(0, 360), rng.uniform(10, 2 * RADIUS)
        lon, lat = offset(LON, LAT, az, dist)
        fid = add(db_session, category, lon, lat, name=f"{category}-{len(rows[category])}", **props)
        d = GEOD.inv(LON, LAT, lon, lat)[2]
        rows[category].append({"id": fid, "d": d, **props})
        return fid

    depots = [put("depots") for _ in range(6)]
    for _ in range(25):
        put("hazard_sources", level=rng.choice([1, 2, 3, 4, None]))
        put("protected_targets", target_type=rng.choice(["school", "hospital"]),
            population=rng.choice([None, rng.randint(1, 5000)]))  # fmt: skip
        put("rescue_teams", tier=rng.choice(["main", "professional"]),
            headcount=rng.choice([None, rng.randint(1, 80)]))  # fmt: skip
        put("shelters", capacity=rng.choice([None, rng.randint(10, 3000)]))
        put("experts", specialties=[rng.choice(SPECIALTIES)])
        put("plans", event_types=[rng.choice(["fire", "flood", "earthquake"])])
    for _ in range(40):
        depot = rng.choice([*depots, None])
        item, unit = rng.choice([("帐篷", "顶"), ("饮用水", "箱"), ("帐篷", "件")])
        props = {"item_name": item, "unit": unit, "quantity": float(rng.randint(1, 500))}
        if depot is None:
            put("supplies", **props)
        else:  # the trigger moves the supply to its depot: distance is the depot's
            fid = add(db_session, "supplies", 0.0, 0.0, name="s", depot_id=depot, **props)
            d = next(r["d"] for r in rows["depots"] if r["id"] == depot)
            rows["supplies"].append({"id": fid, "d": d, "depot_id": depot, **props})
    # a fire plan whose coverage area contains the point, its centroid far outside the radius
    far = [offset(LON, LAT, az, 40_000.0) for az in (0, 90, 180, 270)]
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in far + far[:1]) + "))"
    cover = add_area(db_session, "plans", wkt, name="city fire plan", event_types=["fire"])
    rows["plans"].append({"id": cover, "d": 0.0, "event_types": ["fire"]})
    return rows


def test_totals_equal_independent_sums(client, scene):
    r = client.post(
        "/analysis/surroundings",
        json={"lon": LON, "lat": LAT, "radius_m": RADIUS, "event_type": "fire", "k": 1000},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    s = out["summary"]
    inside = {c: [x for x in rows if x["d"] <= RADIUS] for c, rows in scene.items()}

    levels: dict[str, int] = defaultdict(int)
    for x in inside["hazard_sources"]:
        levels[str(x["level"]) if x["level"] else "unknown"] += 1
    assert s["hazard_sources_by_level"] == levels

    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "population": 0})
    for x in inside["protected_targets"]:
        by_type[x["target_type"]]["count"] += 1
        by_type[x["target_type"]]["population"] += x["population"] or 0
    assert s["protected_targets_by_type"] == by_type
    assert s["protected_population"] == sum(v["population"] for v in by_type.values())

    teams: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "headcount": 0})
    for x in inside["rescue_teams"]:
        teams[x["tier"]]["count"] += 1
        teams[x["tier"]]["headcount"] += x["headcount"] or 0
    assert s["rescue_teams_by_tier"] == teams
    assert s["team_headcount"] == sum(v["headcount"] for v in teams.values())

    assert s["shelters"]["capacity"] == sum(x["capacity"] or 0 for x in inside["shelters"])
    assert s["shelters"]["count"] == len(inside["shelters"])

    items: dict[tuple[str, str], float] = defaultdict(float)
    held: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for x in inside["supplies"]:
        items[(x["item_name"], x["unit"])] += x["quantity"]
        if x.get("depot_id"):
            held[(x["item_name"], x["unit"])][x["depot_id"]] += x["quantity"]
    got = {(i["item_name"], i["unit"]): i for i in s["supplies_by_item"]}
    assert {k: v["quantity"] for k, v in got.items()} == pytest.approx(dict(items))
    for key, item in got.items():
        assert {d["id"]: d["quantity"] for d in item["depots"]} == pytest.approx(dict(held[key]))

    fit = specialties_for("fire")
    experts = sorted(
        (x for x in scene["experts"] if set(x["specialties"]) & fit), key=lambda x: x["d"]
    )
    near = [x for x in experts if x["d"] <= RADIUS]
    assert s["counts"]["experts"] == len(near)
    assert [f["id"] for f in out["collections"]["experts"]["features"]] == [x["id"] for x in near]
    nearest = s["experts_nearest"]["features"]
    assert [f["id"] for f in nearest] == [x["id"] for x in experts[:NEAREST_EXPERTS]]
    assert len(nearest) == min(NEAREST_EXPERTS, len(experts))
    assert nearest[-1]["properties"]["distance_m"] > RADIUS  # beyond the radius too
    plans = sorted((x for x in inside["plans"] if "fire" in x["event_types"]), key=lambda x: x["d"])
    assert [f["id"] for f in out["collections"]["plans"]["features"]] == [x["id"] for x in plans]

    for category in ("hazard_sources", "protected_targets", "rescue_teams", "shelters", "depots"):
        assert s["counts"][category] == len(inside[category])
        fc = out["collections"][category]
        ordered = sorted(inside[category], key=lambda x: x["d"])
        assert [f["id"] for f in fc["features"]] == [x["id"] for x in ordered]


def test_k_limits_features_not_totals(client, scene):
    r = client.post(
        "/analysis/surroundings", json={"lon": LON, "lat": LAT, "radius_m": RADIUS, "k": 2}
    )
    out = r.json()
    inside = [x for x in scene["shelters"] if x["d"] <= RADIUS]
    assert out["collections"]["shelters"]["numberReturned"] == min(2, len(inside))
    assert out["collections"]["shelters"]["numberMatched"] == len(inside)


def test_incident_surroundings_and_map(editor_client, scene):
    r = editor_client.post(
        "/incidents",
        json={
            "lon": LON,
            "lat": LAT,
            "event_category": "accident",
            "event_type": "fire",
            "severity": "III",
            "reported_at": "2026-07-01T10:00:00+08:00",
            "description": "仓库起火",
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert r.headers["Location"].endswith(f"/incidents/{incident['id']}")
    assert incident["properties"]["received_at"]
    s = editor_client.get(f"/incidents/{incident['id']}/surroundings", params={"radius_m": RADIUS})
    assert s.status_code == 200, s.text
    direct = editor_client.post(
        "/analysis/surroundings",
        json={"lon": LON, "lat": LAT, "radius_m": RADIUS, "event_type": "fire"},
    )
    assert s.json()["summary"] == direct.json()["summary"]
    m = editor_client.get(
        f"/incidents/{incident['id']}/surroundings/map", params={"radius_m": RADIUS}
    )
    assert m.status_code == 200
    assert m.headers["content-type"].startswith("text/html")
    assert '<script src="http' not in m.text and "L.map(" in m.text

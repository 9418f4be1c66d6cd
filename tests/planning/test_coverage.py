"""Capacitated shelter coverage: the LP's numbers against an LP written in the test, on a
scenario where nearest-first greedy filling is wrong; shelters filtered by hazard and status;
hazard flags; uncovered areas."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.analysis.helpers import add_area
from tests.planning.helpers import (
    ORIGIN,
    add_cell,
    add_shelter,
    at,
    distance,
    greedy_nearest_first,
    lp_max_covered,
)

URL = "/analysis/shelters/coverage"
#: 10 walking minutes at the default 50 m/min = 500 m
REACH_MIN = 10.0
REACH_M = 500.0


def _bbox(margin_deg: float = 0.05) -> list[float]:
    return [ORIGIN[0] - margin_deg, ORIGIN[1] - margin_deg,
            ORIGIN[0] + margin_deg, ORIGIN[1] + margin_deg]  # fmt: skip


def test_lp_beats_greedy_and_matches_an_independent_lp(
    client: TestClient, db_session: Session
) -> None:
    # cell A sits between S1 (near) and S2 (farther, still in reach); cell B reaches only S1.
    # Greedy (A first, nearest first) fills S1 with A and leaves B out; the LP sends A to S2.
    cells = {"A": at(0, 0), "B": at(-400, 0), "C": at(900, 300)}
    shelters = {"S1": at(-150, 0), "S2": at(300, 0), "S3": at(900, 0)}
    pops = {"A": 200, "B": 200, "C": 120}
    caps = {"S1": 100, "S2": 100, "S3": 40}
    for name in cells:  # insertion order = id order = the greedy's order
        add_cell(db_session, *cells[name], pops[name], name=name)
    sid = {n: add_shelter(db_session, *shelters[n], caps[n], name=n) for n in shelters}
    r = client.post(URL, json={"bbox": _bbox(), "share": 0.5, "reach": REACH_MIN})
    assert r.status_code == 200, r.text
    body = r.json()

    demand = [pops[n] * 0.5 for n in cells]
    dist = np.array([[distance(cells[c], shelters[s]) for s in shelters] for c in cells])
    reach = dist <= REACH_M
    best = lp_max_covered(demand, list(map(float, caps.values())), reach)
    greedy = greedy_nearest_first(demand, list(map(float, caps.values())), dist, reach)
    assert greedy < best  # the scenario is one where greedy is wrong
    assert body["totals"]["covered"] == pytest.approx(best)
    assert body["totals"]["demand"] == sum(demand)
    assert body["totals"]["uncovered"] == pytest.approx(sum(demand) - best)
    by_id = {s["id"]: s for s in body["shelters"]}
    # A → S2, B → S1, C → S3 (40 of 60): every shelter full
    assert by_id[sid["S1"]]["assigned"] == 100 and by_id[sid["S2"]]["assigned"] == 100
    assert by_id[sid["S3"]]["assigned"] == 40 and by_id[sid["S3"]]["remaining"] == 0
    per_cell = {f["properties"]["name"]: f["properties"] for f in body["cells"]["features"]}
    assert per_cell["B"]["covered"] == 100 and per_cell["A"]["covered"] == 100
    assert per_cell["C"]["uncovered"] == 20
    # the uncovered area is cell C's square
    areas = body["uncovered_areas"]["features"]
    assert len(areas) == 1 and areas[0]["properties"]["uncovered"] == 20
    assert body["population_layer"]["present"] is True
    assert "geodesic" in body["reach"]["basis"]


def test_random_scenarios_match_the_independent_lp(client: TestClient, db_session: Session) -> None:
    rng = np.random.default_rng(15)
    cells = [at(float(x), float(y)) for x, y in rng.uniform(-1500, 1500, size=(25, 2))]
    pops = [int(p) for p in rng.integers(0, 400, size=25)]
    shelters = [at(float(x), float(y)) for x, y in rng.uniform(-1500, 1500, size=(8, 2))]
    caps = [int(c) for c in rng.integers(20, 200, size=8)]
    for c, p in zip(cells, pops, strict=True):
        add_cell(db_session, *c, p)
    for s, cap in zip(shelters, caps, strict=True):
        add_shelter(db_session, *s, cap)
    r = client.post(URL, json={"bbox": _bbox(), "share": 1.0, "reach": REACH_MIN, "cells": False})
    assert r.status_code == 200, r.text
    dist = np.array([[distance(c, s) for s in shelters] for c in cells])
    best = lp_max_covered([float(p) for p in pops], [float(c) for c in caps], dist <= REACH_M)
    assert r.json()["totals"]["covered"] == pytest.approx(best, abs=0.5)
    assert sum(s["assigned"] for s in r.json()["shelters"]) == r.json()["totals"]["covered"]
    assert all(s["assigned"] <= s["capacity"] for s in r.json()["shelters"])


def test_typhoon_uses_indoor_shelters_only(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 100)
    outdoor = add_shelter(db_session, *at(100, 0), 100, space_type="outdoor")
    indoor = add_shelter(db_session, *at(-100, 0), 30, space_type="indoor")
    body = {"bbox": _bbox(), "share": 1.0, "reach": REACH_MIN}
    calm = client.post(URL, json=body).json()
    assert calm["totals"]["covered"] == 100
    storm = client.post(URL, json=body | {"hazard": "typhoon"}).json()
    assert storm["totals"]["covered"] == 30
    rows = {s["id"]: s for s in storm["shelters"]}
    assert rows[outdoor]["used"] is False
    assert rows[outdoor]["not_used_because"] == "outdoor_in_typhoon"
    assert rows[indoor]["assigned"] == 30


def test_long_stay_needs_more_room_per_person(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 1000)
    add_shelter(db_session, *at(100, 0), 600)  # emergency: 600 m² → 600 people, 400 at 1.5 m²
    body = {"bbox": _bbox(), "share": 1.0, "reach": REACH_MIN}
    assert client.post(URL, json=body).json()["totals"]["covered"] == 600
    long = client.post(URL, json=body | {"duration_days": 20}).json()
    assert long["totals"]["covered"] == 400


def test_shelter_near_a_major_hazard_is_flagged_and_optionally_excluded(
    client: TestClient, db_session: Session
) -> None:
    add_cell(db_session, *at(0, 0), 100)
    near = add_shelter(db_session, *at(200, 0), 100)
    hx, hy = at(200, 800)  # 800 m north of the shelter
    add_area(db_session, "hazard_sources",
             f"POLYGON(({hx - 0.0005} {hy}, {hx + 0.0005} {hy}, {hx + 0.0005} {hy + 0.001},"
             f" {hx - 0.0005} {hy + 0.001}, {hx - 0.0005} {hy}))", level=1)  # fmt: skip
    body = {"bbox": _bbox(), "share": 1.0, "reach": REACH_MIN}
    flagged = client.post(URL, json=body).json()
    row = next(s for s in flagged["shelters"] if s["id"] == near)
    assert row["flags"] == ["near_major_hazard"]
    assert row["hazard_source_m"] == pytest.approx(800, abs=2)
    assert flagged["totals"]["covered"] == 100
    excluded = client.post(URL, json=body | {"exclude_unsafe": True}).json()
    assert excluded["totals"]["covered"] == 0
    # inside a drawn hazard zone
    zone = {"type": "Polygon", "coordinates": [[list(at(150, -50)), list(at(250, -50)),
            list(at(250, 50)), list(at(150, 50)), list(at(150, -50))]]}  # fmt: skip
    zoned = client.post(URL, json=body | {"hazard_zones": [zone]}).json()
    assert "inside_hazard_zone" in next(s for s in zoned["shelters"] if s["id"] == near)["flags"]


def test_default_share_by_district_type(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 1000, region_code="440802")  # central: 0.3
    add_cell(db_session, *at(0, 200), 1000, region_code="440825")  # outer: 0.2
    body = client.post(URL, json={"bbox": _bbox(), "reach": REACH_MIN}).json()
    assert body["totals"]["demand"] == 300 + 200
    by_region = client.post(URL, json={"region_code": "440802", "reach": REACH_MIN}).json()
    assert by_region["totals"]["population"] == 1000


def test_min_cost_flow_equals_the_two_phase_lp() -> None:
    from gis_onemap.planning.assign import assign, assign_lp

    rng = np.random.default_rng(5)
    n, m, k = 300, 40, 2000
    i = rng.integers(0, n, size=k)
    j = rng.integers(0, m, size=k)
    keep = np.unique(i * m + j, return_index=True)[1]  # one arc per pair
    i, j = i[keep], j[keep]
    minutes = rng.uniform(1, 30, size=len(i))
    demand = rng.integers(0, 100, size=n).astype(float)
    capacity = rng.integers(0, 400, size=m).astype(float)
    flow, lp = assign(demand, capacity, i, j, minutes), assign_lp(demand, capacity, i, j, minutes)
    assert flow.covered == pytest.approx(lp.covered)
    # costs enter the flow in tenths of a minute: at most 0.05 min per person from the LP's
    assert abs(flow.people_minutes - lp.people_minutes) <= 0.05 * lp.covered + 1e-6
    assert (flow.assigned <= capacity).all() and (flow.served <= demand).all()

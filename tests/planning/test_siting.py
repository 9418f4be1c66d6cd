"""Siting: the spopt/CBC answer equals exhaustive search on a small instance; hazard
exclusion (900 m from a level-1 outline never chosen, 1,100 m can be); solver figures."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.analysis.helpers import add_area, offset
from tests.planning.helpers import ORIGIN, add_cell, add_shelter, at, distance

URL = "/analysis/shelters/siting"
REACH_MIN, REACH_M = 10.0, 500.0
BBOX = [ORIGIN[0] - 0.05, ORIGIN[1] - 0.05, ORIGIN[0] + 0.05, ORIGIN[1] + 0.05]


def _fc(points: list[tuple[float, float]], **props: object) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": k, "properties": {"name": f"c{k}", **props},
         "geometry": {"type": "Point", "coordinates": list(p)}}
        for k, p in enumerate(points)]}  # fmt: skip


def test_mclp_equals_exhaustive_search(client: TestClient, db_session: Session) -> None:
    rng = np.random.default_rng(7)
    cells = [at(float(x), float(y)) for x, y in rng.uniform(-1200, 1200, size=(14, 2))]
    pops = [int(p) for p in rng.integers(10, 300, size=14)]
    for c, p in zip(cells, pops, strict=True):
        add_cell(db_session, *c, p)
    cands = [at(float(x), float(y)) for x, y in rng.uniform(-1200, 1200, size=(7, 2))]
    r = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "p": 3,
                               "model": "mclp", "candidates": _fc(cands),
                               "include_existing": False})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    covers = np.array([[distance(c, s) <= REACH_M for s in cands] for c in cells])
    best = max(
        sum(p for p, row in zip(pops, covers, strict=True) if row[list(combo)].any())
        for combo in combinations(range(len(cands)), 3)
    )
    assert body["status"] == "optimal" and body["gap"] == 0
    assert body["objective"] == pytest.approx(best)
    assert body["covered_within_reach"]["after"] == best
    assert body["covered_within_reach"]["before"] == 0
    chosen = [c["id"] for c in body["chosen"]]
    assert len(chosen) == 3
    got = sum(p for p, row in zip(pops, covers, strict=True) if row[chosen].any())
    assert got == best
    assert body["seconds"] >= 0 and body["time_limit_reached"] is False


def test_pmedian_equals_exhaustive_search(client: TestClient, db_session: Session) -> None:
    rng = np.random.default_rng(3)
    cells = [at(float(x), float(y)) for x, y in rng.uniform(-1000, 1000, size=(9, 2))]
    pops = [int(p) for p in rng.integers(10, 300, size=9)]
    for c, p in zip(cells, pops, strict=True):
        add_cell(db_session, *c, p)
    cands = [at(float(x), float(y)) for x, y in rng.uniform(-1000, 1000, size=(6, 2))]
    r = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "p": 2,
                               "model": "pmedian", "candidates": _fc(cands),
                               "include_existing": False})  # fmt: skip
    assert r.status_code == 200, r.text
    dist = np.array([[distance(c, s) for s in cands] for c in cells])
    w = np.array(pops, float)
    best = min(float((w * dist[:, list(combo)].min(axis=1)).sum())
               for combo in combinations(range(len(cands)), 2))  # fmt: skip
    assert r.json()["objective"] == pytest.approx(best, rel=1e-6)


def test_existing_shelters_count_as_sited(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 100)
    add_cell(db_session, *at(3000, 0), 50)
    add_shelter(db_session, *at(100, 0), 500)
    cands = [at(200, 0), at(3100, 0)]
    body = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "p": 1,
                                  "candidates": _fc(cands, capacity=100)}).json()  # fmt: skip
    assert [c["id"] for c in body["chosen"]] == [1]  # the far cell gains; the near is covered
    assert body["covered_within_reach"] == {"before": 100, "after": 150, "gained": 50}
    assert body["covered_with_capacity"] == {"before": 100, "after": 150}


def _hazard_square(session: Session, lon: float, lat: float, half_m: float, level: int) -> None:
    x0, _ = offset(lon, lat, 270.0, half_m)
    x1, _ = offset(lon, lat, 90.0, half_m)
    _, y0 = offset(lon, lat, 180.0, half_m)
    _, y1 = offset(lon, lat, 0.0, half_m)
    add_area(
        session,
        "hazard_sources",
        f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))",
        level=level,
    )


@pytest.mark.parametrize("level, excluded", [(1, True), (3, False)])
def test_candidate_900_m_from_a_level_1_outline_is_never_chosen(
    client: TestClient, db_session: Session, level: int, excluded: bool
) -> None:
    # a 400 m plant at the origin; its east edge is 200 m east. Candidate "near" is 900 m
    # beyond the edge with many people around it; "far" is 1,100 m beyond with fewer.
    _hazard_square(db_session, *ORIGIN, 200.0, level)
    near, far = at(200 + 900, 0), at(200 + 1100, 3000)
    add_cell(db_session, *near, 1000)
    add_cell(db_session, *far, 100)
    body = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "p": 1,
                                  "candidates": _fc([near, far])}).json()  # fmt: skip
    chosen = [c["id"] for c in body["chosen"]]
    if excluded:
        assert chosen == [1]  # 1,100 m away: can be chosen
        assert [e["id"] for e in body["excluded_candidates"]] == [0]
        assert body["excluded_candidates"][0]["hazard_source_m"] == pytest.approx(900, abs=5)
        assert body["eligible"] == 1
    else:  # a level-3 source sets no clearance: the better site wins
        assert chosen == [0] and body["excluded_candidates"] == []


def test_lscp_covers_everyone_with_fewest_sites(client: TestClient, db_session: Session) -> None:
    cells = [at(0, 0), at(400, 0), at(2000, 0), at(4000, 4000)]  # the last: no candidate near
    for c in cells:
        add_cell(db_session, *c, 100)
    cands = [at(200, 0), at(2100, 0), at(5000, 0), at(0, 100)]
    body = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN,
                                  "model": "lscp", "candidates": _fc(cands)}).json()  # fmt: skip
    assert sorted(c["id"] for c in body["chosen"]) == [0, 1]
    assert body["objective"] == 2
    assert body["uncoverable_demand"] == 100


def test_collection_candidates_with_a_filter(client: TestClient, db_session: Session) -> None:
    from tests.analysis.helpers import add

    add_cell(db_session, *at(0, 0), 100)
    school = add(db_session, "protected_targets", *at(100, 0), target_type="school")
    add(db_session, "protected_targets", *at(50, 0), target_type="hospital")
    body = client.post(URL, json={
        "bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "p": 1,
        "candidates": {"collection": "protected_targets", "filter": "target_type = 'school'"},
    }).json()  # fmt: skip
    assert [c["id"] for c in body["chosen"]] == [school] and body["candidates"] == 1


def test_mclp_with_a_budget_equals_exhaustive_search(
    client: TestClient, db_session: Session
) -> None:
    rng = np.random.default_rng(11)
    cells = [at(float(x), float(y)) for x, y in rng.uniform(-1200, 1200, size=(12, 2))]
    pops = [int(p) for p in rng.integers(10, 300, size=12)]
    for c, p in zip(cells, pops, strict=True):
        add_cell(db_session, *c, p)
    cands = [at(float(x), float(y)) for x, y in rng.uniform(-1200, 1200, size=(6, 2))]
    costs = [3, 5, 2, 4, 6, 1]
    fc = _fc(cands)
    for f, c in zip(fc["features"], costs, strict=True):
        f["properties"]["cost"] = c
    body = client.post(URL, json={"bbox": BBOX, "share": 1.0, "reach": REACH_MIN, "budget": 7,
                                  "candidates": fc, "include_existing": False}).json()  # fmt: skip
    covers = np.array([[distance(c, s) <= REACH_M for s in cands] for c in cells])
    best = 0
    for r in range(1, 7):
        for combo in combinations(range(6), r):
            if sum(costs[k] for k in combo) <= 7:
                got = sum(p for p, row in zip(pops, covers, strict=True) if row[list(combo)].any())
                best = max(best, got)
    assert body["objective"] == pytest.approx(best)
    assert sum(costs[c["id"]] for c in body["chosen"]) <= 7
    both = client.post(URL, json={"bbox": BBOX, "reach": REACH_MIN, "budget": 7, "p": 2,
                                  "candidates": fc})  # fmt: skip
    assert both.status_code == 400 and "budget" in both.text

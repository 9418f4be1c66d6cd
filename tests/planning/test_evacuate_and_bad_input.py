"""Evacuation assignment (cells in the zone → shelters outside it with room) and the clear
4xx answers to bad planning input."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.planning.helpers import ORIGIN, add_cell, add_shelter, at, distance, lp_max_covered

BBOX = [ORIGIN[0] - 0.05, ORIGIN[1] - 0.05, ORIGIN[0] + 0.05, ORIGIN[1] + 0.05]


def _square(cx: float, cy: float, half: float) -> dict:
    ring = [at(cx - half, cy - half), at(cx + half, cy - half), at(cx + half, cy + half),
            at(cx - half, cy + half), at(cx - half, cy - half)]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def test_evacuation_sends_people_out_of_the_zone(client: TestClient, db_session: Session) -> None:
    cells = [at(0, 0), at(300, 0)]
    for c in cells:
        add_cell(db_session, *c, 150)
    add_cell(db_session, *at(2000, 0), 500)  # outside the zone: not moved
    inside = add_shelter(db_session, *at(100, 0), 1000)  # in the zone: never used
    out = [at(-450, 0), at(700, 0)]
    caps = [120, 100]
    ids = [add_shelter(db_session, *p, c) for p, c in zip(out, caps, strict=True)]
    r = client.post("/analysis/shelters/evacuate",
                    json={"zone": _square(150, 0, 250), "share": 1.0, "reach": 10})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    reach = np.array([[distance(c, s) <= 500 for s in out] for c in cells])
    best = lp_max_covered([150.0, 150.0], [float(c) for c in caps], reach)
    assert body["totals"]["population"] == 300  # only the two cells in the zone
    assert body["totals"]["covered"] == pytest.approx(best)
    rows = {s["id"]: s for s in body["shelters"]}
    assert inside not in rows
    for sid, cap in zip(ids, caps, strict=True):
        assert rows[sid]["remaining"] == cap - rows[sid]["assigned"]
    moved = sum(m["people"] for f in body["cells"]["features"]
                for m in f["properties"]["assigned_to"])  # fmt: skip
    assert moved == body["totals"]["covered"]
    assert all(m["shelter_id"] in ids for f in body["cells"]["features"]
               for m in f["properties"]["assigned_to"])  # fmt: skip


def test_evacuation_around_an_incident(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 80)
    sid = add_shelter(db_session, *at(1200, 0), 100)
    inc = db_session.execute(text(
        "INSERT INTO incidents (event_category, event_type, geom) VALUES ('accident', 'fire', "
        "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"), {"x": ORIGIN[0], "y": ORIGIN[1]},
    ).scalar_one()  # fmt: skip
    body = client.post("/analysis/shelters/evacuate",
                       json={"incident_id": inc, "radius_m": 1000, "share": 1.0,
                             "reach": 30}).json()  # fmt: skip
    assert body["totals"]["covered"] == 80
    assert body["shelters"][0]["id"] == sid and body["shelters"][0]["remaining"] == 20
    missing = client.post("/analysis/shelters/evacuate", json={"incident_id": 10**9})
    assert missing.status_code == 404


COVER = "/analysis/shelters/coverage"
SITE = "/analysis/shelters/siting"
FC_ONE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
     "coordinates": list(ORIGIN)}}]}  # fmt: skip


@pytest.mark.parametrize(
    "url, body, status, words",
    [
        (
            SITE,
            {
                "bbox": BBOX,
                "reach": 10,
                "p": 1,
                "candidates": {"type": "FeatureCollection", "features": []},
            },
            400,
            "empty",
        ),
        (SITE, {"bbox": BBOX, "reach": 10, "p": 0, "candidates": FC_ONE}, 400, "at least 1"),
        (SITE, {"bbox": BBOX, "reach": 10, "p": 2, "candidates": FC_ONE}, 400, "more than"),
        (SITE, {"bbox": BBOX, "reach": 10, "candidates": FC_ONE}, 400, "needs p"),
        (
            SITE,
            {
                "bbox": BBOX,
                "reach": 10,
                "p": 1,
                "candidates": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"capacity": -5},
                            "geometry": {"type": "Point", "coordinates": list(ORIGIN)},
                        }
                    ],
                },
            },
            400,
            "negative",
        ),
        (SITE, {"bbox": BBOX, "p": 1, "candidates": FC_ONE}, 400, "reach"),
        (SITE, {"bbox": BBOX, "reach": 0, "p": 1, "candidates": FC_ONE}, 400, "reach"),
        (
            SITE,
            {
                "bbox": BBOX,
                "reach": 10,
                "p": 1,
                "model": "mclp",
                "capacitated": True,
                "candidates": FC_ONE,
            },
            400,
            "capacitated",
        ),
        (COVER, {"bbox": BBOX, "reach": -1}, 400, "reach"),
        (COVER, {"bbox": BBOX, "share": 1.5}, 400, "share"),
        (COVER, {"bbox": BBOX, "region_code": "440802"}, 400, "one of"),
        (COVER, {"bbox": [1, 2, 3]}, 400, "bbox"),
        (COVER, {"bbox": [20, 10, 10, 20]}, 400, "bbox"),
        (COVER, {"hazard": "meteor"}, 400, "hazard"),
        (COVER, {"polygon": {"type": "Point", "coordinates": [110, 21]}}, 400, "polygon"),
        ("/analysis/shelters/evacuate", {}, 400, "zone"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    client: TestClient, db_session: Session, url: str, body: dict, status: int, words: str
) -> None:
    add_cell(db_session, *at(0, 0), 100)
    r = client.post(url, json=body)
    assert r.status_code == status, r.text
    text_ = r.text.lower()
    assert words in text_
    assert "traceback" not in text_ and "sqlalchemy" not in text_


def test_area_with_no_population_is_a_400(client: TestClient, db_session: Session) -> None:
    add_cell(db_session, *at(0, 0), 100)
    empty = client.post(COVER, json={"bbox": [100.0, 10.0, 100.1, 10.1]})
    assert empty.status_code == 400 and "no population" in empty.json()["description"]
    add_cell(db_session, *at(5000, 5000), 0)
    zero = client.post(COVER, json={"polygon": _square(5000, 5000, 100)})
    assert zero.status_code == 400 and "no population" in zero.json()["description"]

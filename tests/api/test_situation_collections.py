"""Situation layers are discoverable in ``GET /collections`` (issue 17): one ``situation-{id}``
per open incident the caller may read, the same document as ``GET /collections/situation-{id}``,
scoped by role and region, closed incidents (final report filed) left out, the count bounded by a
setting. The 8 categories are still listed first, unchanged (test_capabilities.py). The links are
followed against a real server in tests/live/test_situation_discovery.py."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_onemap.api.app import create_app
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.categories import CATEGORY_IDS
from tests.conftest import bearer, bind_to_test_transaction

AT = (110.3594, 21.2707)  # 赤坎区 (440802)


def _incident(client, lon=AT[0], lat=AT[1]) -> int:
    resp = client.post(
        "/incidents",
        json={"lon": lon, "lat": lat, "event_category": "accident", "event_type": "fire",
              "severity": "IV"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _situation_ids(client) -> list[str]:
    resp = client.get("/collections")
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["collections"] if c["id"].startswith("situation-")]


def _region_of(db_session, lon: float, lat: float) -> str:
    return db_session.execute(
        text("SELECT code FROM regions WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), "
             "4326)) ORDER BY ST_Area(geom) LIMIT 1"), {"x": lon, "y": lat},
    ).scalar_one()  # fmt: skip


def test_the_list_grows_when_an_incident_is_created_and_documents_match(
    editor_client, viewer_client, client
):
    before = _situation_ids(viewer_client)
    incident = _incident(editor_client)
    after = _situation_ids(viewer_client)
    assert after[0] == f"situation-{incident}"  # newest first
    assert set(after) == set(before) | {f"situation-{incident}"}
    listing = viewer_client.get("/collections").json()["collections"]
    # the 8 categories stay first, in their order; the layers follow
    assert [c["id"] for c in listing[: len(CATEGORY_IDS)]] == list(CATEGORY_IDS)
    listed = next(c for c in listing if c["id"] == f"situation-{incident}")
    assert listed["itemType"] == "feature"
    assert listed["title_zh"] == f"事件 {incident} 态势标绘"
    assert listed["title_en"] == f"Incident {incident} situation"
    assert "事件" in listed["title"] and "Incident" in listed["title"]
    assert {link["rel"] for link in listed["links"]} >= {
        "self",
        "items",
        "describedby",
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
    }
    # no annotation yet: the extent is the incident's point
    assert listed["extent"]["spatial"]["bbox"] == [[AT[0], AT[1], AT[0], AT[1]]]
    # GET /collections/{that id} answers the same document
    assert viewer_client.get(f"/collections/situation-{incident}").json() == listed
    # an anonymous caller may not read a situation layer: none listed, the 8 categories are
    assert _situation_ids(client) == []
    assert [c["id"] for c in client.get("/collections").json()["collections"]] == list(CATEGORY_IDS)


def test_the_extent_and_count_follow_the_annotations(editor_client, viewer_client):
    incident = _incident(editor_client)
    root = f"/collections/situation-{incident}"
    line = [[110.35, 21.26], [110.37, 21.28]]
    created = editor_client.post(f"{root}/items", json={
        "type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
        "properties": {"symbol": "cordon"}})  # fmt: skip
    assert created.status_code == 201, created.text
    doc = next(c for c in viewer_client.get("/collections").json()["collections"]
               if c["id"] == f"situation-{incident}")  # fmt: skip
    xs = [p[0] for p in line] + [AT[0]]
    ys = [p[1] for p in line] + [AT[1]]
    assert doc["extent"]["spatial"]["bbox"][0] == [min(xs), min(ys), max(xs), max(ys)]
    assert doc["itemCount"] == 1
    assert doc == viewer_client.get(root).json()


def test_a_region_scoped_viewer_sees_only_its_regions_layers(
    editor_client, engine, app, db_session
):
    here = _incident(editor_client)
    other_region = db_session.execute(
        text("SELECT code, ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y "
             "FROM regions WHERE code NOT LIKE '%00' AND code <> :c ORDER BY code LIMIT 1"),
        {"c": _region_of(db_session, *AT)},
    ).one()  # fmt: skip
    there = _incident(editor_client, other_region.x, other_region.y)
    with engine.begin() as conn:
        token = create_token(conn, f"scoped-{uuid.uuid4().hex[:8]}", Role.viewer,
                             [other_region.code])  # fmt: skip
    with TestClient(app, raise_server_exceptions=False, headers=bearer(token)) as scoped:
        ids = _situation_ids(scoped)
        assert f"situation-{there}" in ids
        assert f"situation-{here}" not in ids
        # and the other region's layer is not readable by id either
        assert scoped.get(f"/collections/situation-{there}").status_code == 200
        for path in ("", "/items"):
            resp = scoped.get(f"/collections/situation-{here}{path}")
            assert resp.status_code == 403, resp.text
            assert "outside the regions" in resp.json()["description"]
    assert f"situation-{here}" in _situation_ids(editor_client)  # unscoped: both


def test_a_closed_incident_is_not_listed_but_stays_reachable(editor_client, viewer_client):
    incident = _incident(editor_client)
    assert f"situation-{incident}" in _situation_ids(viewer_client)
    filed = editor_client.post(f"/incidents/{incident}/reports", json={
        "kind": "final", "form": "written", "text": "终报：火已扑灭，无人员伤亡。"})  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert f"situation-{incident}" not in _situation_ids(viewer_client)
    doc = viewer_client.get(f"/collections/situation-{incident}")
    assert doc.status_code == 200 and doc.json()["incident_closed"] is True
    assert viewer_client.get(f"/collections/situation-{incident}/items").status_code == 200


def test_the_number_listed_is_a_setting(settings, db_session, role_tokens):
    app = bind_to_test_transaction(
        create_app(settings.model_copy(update={"situation_collections_max": 2})), db_session
    )
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(role_tokens["editor"])) as c:  # fmt: skip
        made = [_incident(c) for _ in range(3)]
        assert _situation_ids(c) == [f"situation-{i}" for i in reversed(made[1:])]
    off = bind_to_test_transaction(
        create_app(settings.model_copy(update={"situation_collections_max": 0})), db_session
    )
    with TestClient(off, raise_server_exceptions=False,
                    headers=bearer(role_tokens["editor"])) as c:  # fmt: skip
        assert _situation_ids(c) == []
        assert c.get(f"/collections/situation-{made[0]}").status_code == 200


def test_an_unknown_incident_layer_is_404(viewer_client):
    resp = viewer_client.get("/collections/situation-999999999")
    assert resp.status_code == 404 and "no incident" in resp.json()["description"]

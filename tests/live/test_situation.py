"""The situation layer: an OGC API Features collection per incident with Part 4 writes, each
write publishing a live event (rolled-back client; the live delivery is in test_events.py and
the browser test)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from tests.conftest import bearer

CORDON = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[110.36, 21.27], [110.37, 21.275]]},
    "properties": {"symbol": "cordon", "label": "东侧警戒线",
                   "observed_at": "2026-12-01T08:30:00+08:00"},
}  # fmt: skip


def _incident(client, lon=110.3594, lat=21.2707) -> int:
    resp = client.post(
        "/incidents",
        json={"lon": lon, "lat": lat, "event_category": "accident", "event_type": "fire",
              "severity": "IV"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _events(db_session, incident: int) -> list[tuple[str, dict]]:
    rows = db_session.execute(
        text("SELECT kind, payload FROM live_events WHERE incident_id = :i ORDER BY id"),
        {"i": incident},
    ).all()
    return [(r.kind, r.payload) for r in rows]


def test_annotation_round_trip_with_etags_and_events(editor_client, db_session):
    incident = _incident(editor_client)
    root = f"/collections/situation-{incident}"
    meta = editor_client.get(root)
    assert meta.status_code == 200
    assert {link["rel"] for link in meta.json()["links"]} >= {"self", "items", "live"}
    created = editor_client.post(f"{root}/items", json=CORDON)
    assert created.status_code == 201, created.text
    fid = created.json()["id"]
    assert created.headers["Location"].endswith(f"{root}/items/{fid}")
    props = created.json()["properties"]
    assert props["symbol_zh"] == "警戒线" and props["author"] == "test-editor"
    assert props["incident_id"] == incident
    etag = created.headers["ETag"]
    items = editor_client.get(f"{root}/items").json()
    assert items["numberMatched"] == 1 and items["features"][0]["id"] == fid
    assert items["features"][0]["geometry"]["coordinates"] == [[110.36, 21.27], [110.37, 21.275]]
    # PATCH with a stale ETag: 412, nothing changed
    patched = editor_client.patch(
        f"{root}/items/{fid}", json={"properties": {"label": "扩大"}}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["label"] == "扩大"
    stale = editor_client.patch(
        f"{root}/items/{fid}", json={"properties": {"label": "旧"}}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert editor_client.get(f"{root}/items/{fid}").json()["properties"]["label"] == "扩大"
    # PUT: a polygon cordon
    polygon = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[110.36, 21.27], [110.37, 21.27],
                                                         [110.37, 21.28], [110.36, 21.27]]]},
        "properties": {"symbol": "cordon"},
    }  # fmt: skip
    put = editor_client.put(
        f"{root}/items/{fid}", json=polygon, headers={"If-Match": patched.headers["ETag"]}
    )
    assert put.status_code == 200 and put.json()["geometry"]["type"] == "Polygon"
    assert put.json()["properties"]["label"] is None
    deleted = editor_client.delete(f"{root}/items/{fid}", headers={"If-Match": put.headers["ETag"]})
    assert deleted.status_code == 204
    assert editor_client.get(f"{root}/items/{fid}").status_code == 404
    events = _events(db_session, incident)
    assert [k for k, _ in events] == [
        "situation.created",
        "situation.updated",
        "situation.updated",
        "situation.deleted",
    ]
    assert events[0][1]["feature"]["id"] == fid and events[0][1]["by"] == "test-editor"
    assert events[1][1]["feature"]["properties"]["label"] == "扩大"
    assert events[3][1] == {"id": fid, "by": "test-editor"}
    # audited like the category tables (migration 0005's triggers)
    audited = db_session.execute(
        text("SELECT action FROM audit_log WHERE collection = 'situation_annotations' "
             "AND fid = :f ORDER BY id"), {"f": fid}
    ).scalars().all()  # fmt: skip
    assert audited == ["create", "update", "update", "delete"]


def test_bad_annotations_are_4xx_and_change_nothing(editor_client, viewer_client, client,
                                                    db_session):  # fmt: skip
    incident = _incident(editor_client)
    root = f"/collections/situation-{incident}"
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    cases = [
        ({**CORDON, "properties": {"symbol": "unicorn"}}, "symbol"),
        ({**CORDON, "properties": {"symbol": {"id": "cordon"}}}, "symbol"),  # found by fuzzing
        ({**CORDON, "properties": {"symbol": "cordon", "label": ["x"]}}, "label"),
        ({**CORDON, "properties": {"label": "no symbol"}}, "symbol"),
        ({**CORDON, "geometry": bow_tie}, "geometry"),
        ({**CORDON, "geometry": {"type": "Point", "coordinates": [500, 21]}}, "geometry"),
        ({**CORDON, "properties": {**CORDON["properties"], "observed_at": "yesterday"}},
         "observed_at"),
        ({**CORDON, "properties": {**CORDON["properties"], "colour": "red"}}, "colour"),
        ({**CORDON, "geometry": {"type": "Point", "coordinates": [110.36, 21.27]}}, "geometry"),
        ({**CORDON, "geometry": {"type": "LineString",
                                 "coordinates": [[110 + i * 1e-5, 21.0] for i in range(100_001)]}},
         "geometry"),
    ]  # fmt: skip
    for body, prop in cases:
        resp = editor_client.post(f"{root}/items", json=body)
        assert resp.status_code == 422, (prop, resp.text)
        assert prop in {d["property"] for d in resp.json()["details"]}, resp.json()
    assert editor_client.post(f"{root}/items", json=[1]).status_code == 422
    assert (
        editor_client.post("/collections/situation-999999999/items", json=CORDON).status_code == 404
    )
    assert viewer_client.post(f"{root}/items", json=CORDON).status_code == 403
    assert client.post(f"{root}/items", json=CORDON).status_code == 401
    assert client.get(f"{root}/items").status_code == 401
    assert editor_client.get(f"{root}/items?limit=0").status_code == 400
    assert editor_client.get("/collections/situation-abc/items").status_code == 404
    assert editor_client.get(f"{root}/items").json()["numberMatched"] == 0
    assert _events(db_session, incident) == []


def test_region_scoped_editor_writes_only_on_its_regions_incidents(editor_client, engine, app):
    from fastapi.testclient import TestClient

    incident = _incident(editor_client)  # 赤坎区 (440802)
    with engine.begin() as conn:
        token = create_token(conn, f"scoped-{uuid.uuid4().hex[:8]}", Role.editor, ["440811"])
    with TestClient(app, raise_server_exceptions=False, headers=bearer(token)) as scoped:
        resp = scoped.post(f"/collections/situation-{incident}/items", json=CORDON)
    assert resp.status_code == 403
    assert "outside the regions" in resp.json()["description"]


def test_symbols_and_queryables_carry_zh_labels(editor_client):
    symbols = editor_client.get("/situation/symbols").json()["symbols"]
    by_id = {s["id"]: s for s in symbols}
    assert by_id["command_post"]["zh"] == "指挥部" and by_id["fire_front"]["zh"] == "火线"
    assert by_id["evacuation_route"]["geometry_types"] == ["LineString"]
    incident = _incident(editor_client)
    q = editor_client.get(f"/collections/situation-{incident}/queryables")
    assert q.status_code == 200 and q.headers["content-type"].startswith("application/schema+json")
    assert q.json()["properties"]["symbol"]["enum"] == [s["id"] for s in symbols]

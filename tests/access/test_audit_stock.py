"""Audit rows (same transaction as the change), /audit filters, item history, atomic stock."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from gis_onemap.auth.tokens import token_hash
from tests.access.conftest import feature, insert
from tests.helpers.tokens import auth


def test_create_update_delete_import_are_audited(server, access_engine, make_token):
    editor_token = make_token("editor")
    admin = auth(make_token("admin"))
    h = auth(editor_token)
    with httpx.Client(base_url=server, headers=h) as c:
        since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        fid = c.post("/collections/shelters/items", json=feature("shelters", "440803")).json()["id"]
        assert c.patch(f"/collections/shelters/items/{fid}",
                       json={"properties": {"name": "新名"}}).status_code == 200  # fmt: skip
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["name", "region_code", "tier", "headcount", "lon", "lat"])
        for i in range(3):
            w.writerow([f"审计队{i}", "440803", "professional", 10, 110.30 + i / 100, 21.20])
        r = c.post("/collections/rescue_teams/import",
                   files={"file": ("t.csv", buf.getvalue().encode())})  # fmt: skip
        assert r.status_code in (200, 201), r.text
        assert c.delete(f"/collections/shelters/items/{fid}").status_code == 204
        # a failed write leaves no audit row (same transaction)
        assert c.post("/collections/shelters/items", json={"type": "x"}).status_code == 422
    with access_engine.connect() as conn:
        actor = conn.execute(text("SELECT name FROM api_tokens WHERE token_hash = :h"),
                             {"h": token_hash(editor_token)}).scalar_one()  # fmt: skip
        team_ids = conn.execute(text("SELECT id FROM rescue_teams WHERE name LIKE '审计队%'"))
        team_ids = sorted(r[0] for r in team_ids)
    with httpx.Client(base_url=server, headers=admin) as c:
        entries = c.get("/audit", params={"actor": actor, "since": since}).json()["entries"]
        actions = [e["action"] for e in reversed(entries)]
        assert actions == ["create", "update", "import", "delete"]
        create, update, imp, delete = reversed(entries)
        assert create["fid"] == fid and create["before"] is None
        assert create["after"]["name"] == feature("shelters", "x")["properties"]["name"]
        assert update["before"]["name"] == create["after"]["name"]
        assert update["after"]["name"] == "新名"
        assert delete["before"]["name"] == "新名" and delete["after"] is None
        assert imp["collection"] == "rescue_teams"
        assert imp["after"] == {"count": 3, "ids": team_ids}
        # filters
        only = c.get("/audit", params={"collection": "shelters", "fid": fid}).json()["entries"]
        assert [e["action"] for e in only] == ["delete", "update", "create"]
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert c.get("/audit", params={"since": future}).json()["entries"] == []
        page = c.get("/audit", params={"actor": actor, "limit": 2}).json()
        nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
        rest = c.get(nxt).json()["entries"]
        assert [e["id"] for e in page["entries"] + rest] == [e["id"] for e in entries]
        # history: the import that created a team, then its own changes
        hist = c.get(f"/collections/rescue_teams/items/{team_ids[0]}/history").json()
        assert [e["action"] for e in hist["entries"]] == ["import"]
    # /audit is for admins; history for viewers and above
    assert httpx.get(f"{server}/audit", headers=h).status_code == 403
    assert httpx.get(f"{server}/audit").status_code == 401
    viewer = auth(make_token("viewer"))
    r = httpx.get(f"{server}/collections/shelters/items/{fid}/history", headers=viewer)
    assert [e["action"] for e in r.json()["entries"]] == ["create", "update", "delete"]
    assert httpx.get(f"{server}/collections/shelters/items/{fid}/history").status_code == 401


def test_200_concurrent_adjustments_of_minus_one_on_100(server, access_engine, make_token):
    fid = insert(access_engine, "supplies", "440803", quantity=100)
    h = auth(make_token("editor", ["440803"]))
    url = f"{server}/collections/supplies/items/{fid}/adjust"

    with httpx.Client(headers=h, timeout=60) as c:

        def take(i: int) -> httpx.Response:
            return c.post(url, json={"delta": -1, "reason": f"发放 {i}"})

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(take, range(200)))
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 100 and codes.count(409) == 100, sorted(set(codes))
    conflict = next(r for r in answers if r.status_code == 409).json()
    assert conflict["details"] == {"quantity": 0}
    with access_engine.connect() as conn:
        assert conn.execute(text("SELECT quantity FROM supplies WHERE id = :f"),
                            {"f": fid}).scalar_one() == 0  # fmt: skip
        rows = conn.execute(
            text("SELECT before->>'quantity', after->>'quantity', reason FROM audit_log "
                 "WHERE collection = 'supplies' AND fid = :f AND action = 'adjust'"),
            {"f": fid},
        ).all()  # fmt: skip
    assert len(rows) == 100
    # every adjustment took exactly one from what the previous one left
    assert sorted(float(r[0]) - float(r[1]) for r in rows) == [1.0] * 100
    assert sorted(float(r[1]) for r in rows) == [float(q) for q in range(100)]
    assert all(r[2].startswith("发放") for r in rows)


def test_adjust_refusals(server, access_engine, make_token):
    fid = insert(access_engine, "supplies", "440881", quantity=5)
    scoped = auth(make_token("editor", ["440803"]))
    url = f"{server}/collections/supplies/items/{fid}/adjust"
    body = {"delta": -1, "reason": "r"}
    assert httpx.post(url, json=body, headers=scoped).status_code == 403
    assert httpx.post(url, json=body).status_code == 401
    viewer = auth(make_token("viewer"))
    assert httpx.post(url, json=body, headers=viewer).status_code == 403
    editor = auth(make_token("editor"))
    assert httpx.post(url, json={"delta": 0, "reason": "r"}, headers=editor).status_code == 400
    assert httpx.post(url, json={"delta": -1}, headers=editor).status_code in (400, 422)
    other = f"{server}/collections/shelters/items/1/adjust"
    assert httpx.post(other, json=body, headers=editor).status_code == 404
    r = httpx.post(url, json={"delta": 2.5, "reason": "入库"}, headers=editor)
    assert r.status_code == 200 and r.json()["quantity"] == 7.5

"""Who may do what: anonymous < viewer < editor < admin; 401 vs 403; revoked tokens."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from gis_onemap.auth.deps import forget_cached_tokens
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import revoke_token
from gis_onemap.db.tables import API_TOKENS, table_for
from tests.auth.helpers import bearer, client_for, committed_token
from tests.samples import sample_feature

ITEMS = "/collections/shelters/items"


def _count(db_session, collection: str) -> int:
    return db_session.execute(select(func.count()).select_from(table_for(collection))).scalar_one()


def test_anonymous_post_is_401_with_www_authenticate(client, db_session):
    before = _count(db_session, "shelters")
    r = client.post(ITEMS, json=sample_feature("shelters"))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert _count(db_session, "shelters") == before


def test_viewer_post_is_403(viewer_client, db_session):
    before = _count(db_session, "shelters")
    r = viewer_client.post(ITEMS, json=sample_feature("shelters"))
    assert r.status_code == 403, r.text
    assert "editor" in r.json()["description"]
    assert _count(db_session, "shelters") == before


@pytest.mark.parametrize("who", ["editor_client", "admin_client"])
def test_editor_and_admin_write(request, who, db_session):
    c = request.getfixturevalue(who)
    r = c.post(ITEMS, json=sample_feature("shelters"))
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    assert c.patch(f"{ITEMS}/{fid}", json={"properties": {"name": "改"}}).status_code in (200, 204)
    assert c.put(f"{ITEMS}/{fid}", json=sample_feature("shelters")).status_code in (200, 204)
    assert c.delete(f"{ITEMS}/{fid}").status_code == 204


@pytest.mark.parametrize("who, status", [("client", 401), ("viewer_client", 403)])
def test_every_write_route_needs_an_editor(request, who, status, editor_client, db_session):
    fid = editor_client.post(ITEMS, json=sample_feature("shelters")).json()["id"]
    c = request.getfixturevalue(who)
    before = _count(db_session, "shelters")
    assert c.put(f"{ITEMS}/{fid}", json=sample_feature("shelters")).status_code == status
    assert c.patch(f"{ITEMS}/{fid}", json={"properties": {"name": "x"}}).status_code == status
    assert c.delete(f"{ITEMS}/{fid}").status_code == status
    csv = "名称,队伍类型,经度,纬度\n甲队,fire_rescue,110.30,21.20\n".encode()
    r = c.post("/collections/rescue_teams/import", files={"file": ("t.csv", csv)})
    assert r.status_code == status
    incident = {"lon": 110.36, "lat": 21.27, "event_category": "accident", "event_type": "fire"}
    assert c.post("/incidents", json=incident).status_code == status
    assert _count(db_session, "shelters") == before
    # reads and read-only analyses stay open to them
    assert c.get(f"{ITEMS}/{fid}").status_code == 200
    body = {"lon": 110.36, "lat": 21.27, "radius_m": 1000}
    assert c.post("/analysis/surroundings", json=body).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer om_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "om_abc"],
)
def test_unknown_or_malformed_credentials_are_401(client, header):
    for r in (
        client.get(ITEMS, headers={"Authorization": header}),
        client.post(ITEMS, json=sample_feature("shelters"), headers={"Authorization": header}),
    ):
        assert r.status_code == 401, (header, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "Traceback" not in r.text


def test_revoked_token_is_401_at_once_in_the_revoking_process(app, client, engine):
    with committed_token(engine, Role.editor) as (name, token):
        assert client.get(ITEMS, headers=bearer(token)).status_code == 200  # now cached
        with engine.begin() as conn:
            revoke_token(conn, name)
        forget_cached_tokens(app)  # what an in-process revocation does
        r = client.get(ITEMS, headers=bearer(token))
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_revocation_elsewhere_is_seen_within_the_cache_ttl(settings, db_session, engine):
    """Another process (the CLI) revokes: the cache forgets the token after its TTL."""
    ttl = 0.3
    with committed_token(engine, Role.viewer) as (name, token):
        s = settings.model_copy(update={"token_cache_ttl_s": ttl})
        with client_for(s, db_session, bearer(token)) as c:
            assert c.get(ITEMS).status_code == 200
            with engine.begin() as conn:
                revoke_token(conn, name)
            time.sleep(ttl + 0.05)
            assert c.get(ITEMS).status_code == 401


def test_no_cache_means_revocation_is_immediate(settings, db_session, engine):
    with committed_token(engine, Role.viewer) as (name, token):
        s = settings.model_copy(update={"token_cache_ttl_s": 0})
        with client_for(s, db_session, bearer(token)) as c:
            assert c.get(ITEMS).status_code == 200
            with engine.begin() as conn:
                revoke_token(conn, name)
            assert c.get(ITEMS).status_code == 401


def test_only_the_hash_is_stored(engine):
    with committed_token(engine, Role.viewer) as (name, token):
        with engine.connect() as conn:
            row = conn.execute(select(API_TOKENS).where(API_TOKENS.c.name == name)).one()
        assert token not in [str(v) for v in row]
        assert len(row.token_hash) == 64 and row.token_hash != token


OPEN = ["/", "/healthz", "/conformance", "/api", "/api.html"]
CLOSED = ["/collections", ITEMS, "/collections/shelters/tiles/WebMercatorQuad/tilejson.json"]


def test_anonymous_read_off_needs_a_token_except_open_paths(settings, db_session, role_tokens):
    s = settings.model_copy(update={"anonymous_read": False})
    with client_for(s, db_session) as anon:
        for path in CLOSED:
            r = anon.get(path)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"].startswith("Bearer")
        for path in OPEN:
            assert anon.get(path).status_code == 200, path
        # the map page and its static assets stay open (the data it asks for needs a token)
        from gis_onemap.api.routers.web import asset_url

        assert anon.get(asset_url("app.js")).status_code == 200
        assert anon.get("/map/basemap/10/815/450.mvt").status_code in (200, 204)
        assert anon.get("/api-static/swagger-ui.css").status_code == 200
        assert anon.get("/map").status_code == 200  # its sign-in (auth.js) sends the token
        assert anon.get("/auth/whoami").status_code == 401  # the page says "sign in"
    with client_for(s, db_session, bearer(role_tokens["viewer"])) as viewer:
        for path in CLOSED:
            assert viewer.get(path).status_code == 200, path


def test_anonymous_read_on_by_default(client):
    for path in CLOSED:
        assert client.get(path).status_code == 200, path


def test_openapi_documents_the_bearer_scheme_on_guarded_operations(client):
    doc = client.get("/api").json()
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    items = doc["paths"]["/collections/{collection_id}/items"]
    assert items["post"]["security"] == [{"bearer": []}]
    assert "security" not in items["get"]  # reads work without a token
    one = doc["paths"]["/collections/{collection_id}/items/{feature_id}"]
    assert all(one[m]["security"] == [{"bearer": []}] for m in ("put", "patch", "delete"))
    assert "security" not in one["get"]
    assert doc["paths"]["/incidents"]["post"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/collections/{collection_id}/import"]["post"]["security"]
    assert "security" not in doc["paths"]["/analysis/buffer"]["post"]

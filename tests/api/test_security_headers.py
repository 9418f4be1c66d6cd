"""HTTP hardening (issue #10, finding 11): security headers, JSON-only bodies (CSRF), Host header
never copied into links, credential-dependent responses not shared by caches."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy import table as sql_table

from gis_onemap.api.app import create_app
from gis_onemap.db.tables import table_for
from tests.conftest import bearer, bind_to_test_transaction

FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [110.36, 21.27]},
    "properties": {"name": "csrf 广场", "shelter_type": "fixed", "effective_area_m2": 12000},
}
INCIDENT = {"lon": 110.36, "lat": 21.27, "event_category": "accident",
            "event_type": "hazardous_chemicals", "severity": "III"}  # fmt: skip


def _count(db_session, table: str) -> int:
    return db_session.execute(select(func.count()).select_from(sql_table(table))).scalar_one()


def test_html_gets_csp_frame_and_referrer_headers(client):
    r = client.get("/map")
    assert r.status_code == 200
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # the page config is a JSON data block, not a script
    assert "blob:" in csp["worker-src"]  # MapLibre's workers
    assert csp["frame-ancestors"] == "'self'"
    assert "http" not in r.headers["content-security-policy"]  # nothing from another machine
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_map_product_csp_is_its_own_script_hashes(client):
    r = client.get("/analysis/surroundings/map", params={"lon": 110.36, "lat": 21.27})
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp and "'unsafe-inline' " not in csp.split("style-src")[0]
    assert "frame-ancestors 'self'" in csp
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["cache-control"] == "private"


@pytest.mark.parametrize(
    "path",
    ["/", "/collections/shelters/items", "/map", "/nope", "/tiles/WebMercatorQuad/tilejson.json"],
)
def test_nosniff_on_every_response(client, path):
    assert client.get(path).headers["x-content-type-options"] == "nosniff"


def test_text_plain_posts_are_415_and_create_nothing(trusted_client, db_session):
    """Even with an editor's token (a browser sending cookies-free CSRF would have none),
    a text/plain or form body is refused before any handler runs."""
    before = (_count(db_session, "incidents"), _count(db_session, table_for("shelters").name))
    for path, body in (("/incidents", INCIDENT), ("/collections/shelters/items", FEATURE)):
        r = trusted_client.post(
            path, content=orjson.dumps(body), headers={"content-type": "text/plain"}
        )
        assert r.status_code == 415, r.text
        assert r.json()["code"] == "UnsupportedMediaType"
        assert "application/json" in r.json()["description"]
        r = trusted_client.post(path, content=b"name=x", headers={
            "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert r.status_code == 415
    after = (_count(db_session, "incidents"), _count(db_session, table_for("shelters").name))
    assert after == before
    # the same bodies as JSON types are accepted: the check refuses only the type
    assert trusted_client.post("/incidents", json=INCIDENT).status_code == 201
    r = trusted_client.post("/collections/shelters/items", content=orjson.dumps(FEATURE),
                    headers={"content-type": "application/geo+json"})  # fmt: skip
    assert r.status_code == 201, r.text


def test_import_takes_only_multipart(trusted_client):
    r = trusted_client.post(
        "/collections/shelters/import",
        content=b'{"a": 1}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 415 and "multipart/form-data" in r.json()["description"]


def test_forged_host_never_lands_in_links(client):
    for path in ("/collections/shelters/items", "/tiles/WebMercatorQuad/tilejson.json"):
        r = client.get(path, headers={"Host": "evil.example"})
        assert r.status_code == 400 and "evil.example" not in r.text
        assert r.json()["code"] == "InvalidHost"
    r = client.post("/incidents", json=INCIDENT, headers={"Host": "evil.example:8000"})
    assert r.status_code == 400 and "location" not in r.headers
    # the allowed hosts work, links follow them
    r = client.get("/tiles/WebMercatorQuad/tilejson.json", headers={"Host": "localhost:8000"})
    assert r.status_code == 200
    assert r.json()["tiles"][0].startswith("http://localhost:8000/tiles/")


def test_public_url_is_used_for_links_location_and_tilejson(settings, db_session, role_tokens):
    public = "https://onemap.example/api"
    app = create_app(settings.model_copy(update={"public_url": public}))
    bind_to_test_transaction(app, db_session)
    editor = bearer(role_tokens["editor"])
    with TestClient(app, raise_server_exceptions=False, headers=editor) as c:
        r = c.get("/tiles/WebMercatorQuad/tilejson.json")
        assert r.json()["tiles"][0].startswith(f"{public}/tiles/WebMercatorQuad/")
        r = c.get("/collections/shelters/items", params={"limit": 1})
        hrefs = [link["href"] for link in r.json()["links"]]
        assert hrefs and all(h.startswith(f"{public}/") for h in hrefs), hrefs
        assert f"{public}/collections/shelters/items?limit=1" in hrefs  # self, with its query
        r = c.post("/incidents", json=INCIDENT)
        assert r.status_code == 201
        assert r.headers["location"].startswith(f"{public}/incidents/")
        # the public host is served too (behind a proxy that passes it on)
        assert c.get("/", headers={"Host": "onemap.example"}).status_code == 200


def test_credential_dependent_responses_are_private_and_vary(client):
    r = client.get("/collections/shelters/items")
    assert r.headers["cache-control"] == "private"
    vary = {v.strip().lower() for v in r.headers["vary"].split(",")}
    assert {"authorization", "x-api-key"} <= vary


def test_tiles_stay_publicly_cacheable(client):
    r = client.get("/map/basemap/10/824/450.mvt")
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("public")
    assert "private" not in r.headers["cache-control"]
    assert "x-api-key" not in r.headers.get("vary", "").lower()


def test_public_url_env_and_its_old_name(monkeypatch):
    from gis_onemap.settings import Settings

    monkeypatch.setenv("ONEMAP_BASE_URL", "http://old.example")
    assert Settings().public_url == "http://old.example"
    monkeypatch.setenv("ONEMAP_PUBLIC_URL", "http://new.example")
    assert Settings().public_url == "http://new.example"  # the new name wins

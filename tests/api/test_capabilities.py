"""Landing page, conformance, OpenAPI 3.0, collections metadata, schema, queryables, health."""

from __future__ import annotations

import jsonschema
from fastapi.testclient import TestClient
from openapi_spec_validator import validate as validate_openapi

from gis_onemap.api.app import create_app
from gis_onemap.categories import CATEGORY_IDS, get_category
from gis_onemap.settings import Settings
from tests.samples import sample_feature, sample_properties

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


def test_landing_page_links(client):
    body = client.get("/").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels


def test_conformance_lists_core_geojson_oas30(client):
    classes = client.get("/conformance").json()["conformsTo"]
    for suffix in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{suffix}" in classes
    assert any("ogcapi-features-4" in c for c in classes)
    assert any("cql2-text" in c for c in classes)


def test_openapi_document_is_valid_openapi_30(client):
    r = client.get("/api")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    validate_openapi(doc)
    assert "/collections/{collection_id}/items" in doc["paths"]


def test_api_html_has_no_external_assets(client):
    html = client.get("/api.html").text
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


def test_collections_lists_all_8_with_bilingual_titles(client, trusted_client):
    trusted_client.post("/collections/shelters/items", json=sample_feature("shelters"))
    body = client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == list(CATEGORY_IDS)
    shelters = next(c for c in body["collections"] if c["id"] == "shelters")
    assert shelters["title_zh"] == "应急避难场所"
    assert shelters["itemCount"] >= 1
    minx, miny, maxx, maxy = shelters["extent"]["spatial"]["bbox"][0]
    assert minx <= 110.3594 <= maxx and miny <= 21.2707 <= maxy
    assert any(link["rel"] == "items" for link in shelters["links"])


def test_schema_is_a_valid_json_schema_that_accepts_samples(client):
    for cid in CATEGORY_IDS:
        r = client.get(f"/collections/{cid}/schema")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/schema+json")
        schema = r.json()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "name" in schema["required"]
        props = dict(sample_properties(cid))
        props.pop("substances", None)  # items have their own schema, checked below
        # derived/read-only values are not part of a submitted sample
        jsonschema.validate({**props, "extra": {}}, schema)


def test_schema_carries_enums_ranges_and_labels(client):
    schema = client.get("/collections/hazard_sources/schema").json()
    level = schema["properties"]["level"]
    assert (level["minimum"], level["maximum"]) == (1, 4)
    assert level["x-derived"] is True
    shelter = client.get("/collections/shelters/schema").json()
    assert shelter["properties"]["shelter_type"]["enum"] == ["emergency", "fixed", "central"]
    assert shelter["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"


def test_queryables_exclude_personal_data(client):
    q = client.get("/collections/experts/queryables").json()
    assert "specialties" in q["properties"]
    assert "phone" not in q["properties"] and "email" not in q["properties"]
    assert get_category("experts").field("phone").personal


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"


def test_healthz_503_when_database_unreachable():
    bad = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    with TestClient(create_app(bad), raise_server_exceptions=False) as c:
        r = c.get("/healthz")
        assert r.status_code == 503
        assert r.json()["database"] == "unavailable"
        # other endpoints fail cleanly too, without database error text
        r = c.get("/collections/shelters/items")
        assert r.status_code == 503
        assert "psycopg" not in r.text and "127.0.0.1" not in r.text


def test_demo_city_lists_8_collections_each_with_items(client, db_session):
    from gis_onemap.demo import load_demo

    counts = load_demo(db_session)
    assert sum(counts.values()) >= 3000
    body = client.get("/collections").json()
    assert [c["id"] for c in body["collections"]] == list(CATEGORY_IDS)
    for c in body["collections"]:
        assert c["itemCount"] == counts[c["id"]] > 0, c["id"]
        items = client.get(f"/collections/{c['id']}/items?limit=5").json()
        assert items["numberMatched"] == counts[c["id"]]
        assert len(items["features"]) == 5

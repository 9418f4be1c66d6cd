"""One table of system fields (issue 12): every reader of id/geometry/extra/updated_at agrees."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gis_onemap.categories import CATEGORIES
from gis_onemap.categories.system_fields import (
    QUERYABLE_SYSTEM_FIELDS,
    STORED_PROPERTIES,
    SYSTEM_FIELDS,
)
from gis_onemap.db.tables import table_for


def test_every_system_field_has_its_column_in_every_table() -> None:
    for category in CATEGORIES:
        columns = set(table_for(category.id).c.keys())
        assert {f.column for f in SYSTEM_FIELDS} <= columns, category.id


def test_queryables_and_schema_list_the_system_fields(client: TestClient) -> None:
    for category in CATEGORIES:
        queryables = client.get(f"/collections/{category.id}/queryables").json()["properties"]
        assert set(queryables) >= QUERYABLE_SYSTEM_FIELDS, category.id
        assert "extra" not in queryables  # a JSON blob is not queryable
        schema = client.get(f"/collections/{category.id}/schema").json()["properties"]
        assert {f.name for f in SYSTEM_FIELDS} <= set(schema), category.id
        # the stored system properties come last, after the typed fields
        assert list(schema)[-len(STORED_PROPERTIES) :] == list(STORED_PROPERTIES)


def test_a_written_feature_carries_the_stored_properties(trusted_client: TestClient) -> None:
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [110.36, 21.27]},
        "properties": {"name": "系统字段库", "extra": {"k": "v"}},
    }
    created = trusted_client.post("/collections/depots/items", json=body)
    assert created.status_code == 201, created.text
    props = trusted_client.get(created.headers["Location"]).json()["properties"]
    for name in STORED_PROPERTIES:
        assert name in props
    assert props["extra"] == {"k": "v"}


def test_system_fields_filter_as_declared(client: TestClient) -> None:
    # queryable in CQL2, each with its own type
    for text in ("id > 0", "updated_at > TIMESTAMP('2000-01-01T00:00:00Z')",
                 "S_INTERSECTS(geometry, BBOX(100, 10, 120, 30))"):  # fmt: skip
        r = client.get("/collections/depots/items", params={"filter": text})
        assert r.status_code == 200, (text, r.text)
    # an equality filter on id works, on updated_at/geometry it is refused (datetime/bbox are)
    assert client.get("/collections/depots/items", params={"id": "1"}).status_code == 200
    for name in ("updated_at", "geometry", "extra"):
        r = client.get("/collections/depots/items", params={name: "x"})
        assert r.status_code == 400, name

"""Every bad input gets a clear 4xx JSON error and leaves the database unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gis_onemap.db.tables import TABLES
from tests.samples import BOWTIE, CATEGORY_IDS, point, sample_feature


@pytest.fixture
def row_counts(db_session):
    def counts() -> dict[str, int]:
        return {
            name: db_session.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in TABLES.items()
        }

    return counts


@pytest.fixture
def existing(trusted_client):
    """One existing shelter to aim PUT/PATCH at."""
    return trusted_client.post(
        "/collections/shelters/items", json=sample_feature("shelters")
    ).json()


def _assert_clear_error(r, status_range=(400, 499), needle=None):
    assert status_range[0] <= r.status_code <= status_range[1], (r.status_code, r.text)
    body = r.json()
    assert body["description"], body
    assert "psycopg" not in r.text and "SQL" not in r.text and "Traceback" not in r.text
    if needle:
        assert needle in body["description"], body["description"]


def _with(category, **changes):
    f = sample_feature(category)
    for key, value in changes.items():
        if key == "geometry":
            f["geometry"] = value
        elif value is ...:
            f["properties"].pop(key, None)
        else:
            f["properties"][key] = value
    return f


BAD_FEATURES = {
    "no geometry": (_with("shelters", geometry=None), "no geometry"),
    "wrong geometry type": (
        _with("depots", geometry={"type": "LineString", "coordinates": [[110, 21], [111, 22]]}),
        "not allowed",
    ),
    "polygon for a point-only category": (
        _with("rescue_teams", geometry=BOWTIE),
        "not allowed",
    ),
    "longitude out of range": (_with("shelters", geometry=point(190, 21)), "longitude"),
    "latitude out of range": (_with("shelters", geometry=point(110, -91)), "latitude"),
    "self-intersecting polygon": (_with("shelters", geometry=BOWTIE), "not valid"),
    "missing required name": (_with("shelters", name=...), "'name' is required"),
    "missing required type": (_with("shelters", shelter_type=...), "'shelter_type' is required"),
    "value outside enum": (_with("shelters", shelter_type="palace"), "not one of"),
    "value outside range": (_with("hazard_sources", substances=..., level=7), "≤ 4"),
    "negative capacity": (_with("shelters", capacity=-5), "≥ 0"),
    "text in a number": (_with("supplies", quantity="many"), "number"),
    "bad region code": (_with("shelters", region_code="12AB"), "format"),
    "bad date": (_with("supplies", expiry_date="31/12/2030"), "date"),
    "unknown property": (_with("shelters", colour="red"), "unknown property"),
    "bad list member": (_with("experts", specialties=["fire", "astrology"]), "not one of"),
    "empty geometry": (
        _with("shelters", geometry={"type": "Point", "coordinates": []}),
        "geometry",
    ),
    "not a feature": ({"type": "FeatureCollection", "features": []}, "Feature"),
    "bad substance": (
        _with("hazard_sources", substances=[{"name": "液氨", "q": 1, "Q": 0}]),
        "must be >",
    ),
    "missing depot": (_with("supplies", depot_id=999999), "no such depot"),
}


@pytest.mark.parametrize("case", list(BAD_FEATURES))
def test_bad_feature_on_post_is_rejected_and_changes_nothing(trusted_client, row_counts, case):
    feature, needle = BAD_FEATURES[case]
    collection = {
        "wrong geometry type": "depots",
        "polygon for a point-only category": "rescue_teams",
        "value outside range": "hazard_sources",
        "text in a number": "supplies",
        "bad date": "supplies",
        "bad list member": "experts",
        "bad substance": "hazard_sources",
        "missing depot": "supplies",
    }.get(case, "shelters")
    before = row_counts()
    r = trusted_client.post(f"/collections/{collection}/items", json=feature)
    _assert_clear_error(r, needle=needle)
    assert row_counts() == before


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"[1, 2", "\u00ff".encode("latin-1"), b"null", b"42"]
)
def test_malformed_json(trusted_client, row_counts, body):
    before = row_counts()
    r = trusted_client.post(
        "/collections/shelters/items", content=body, headers={"content-type": "application/json"}
    )
    _assert_clear_error(r)
    assert row_counts() == before


def test_bad_put_and_patch_change_nothing(trusted_client, existing):
    fid = existing["id"]
    url = f"/collections/shelters/items/{fid}"
    before = trusted_client.get(url).json()
    for method, body in [
        ("put", _with("shelters", geometry=BOWTIE)),
        ("put", _with("shelters", name=...)),
        ("patch", {"properties": {"shelter_type": "palace"}}),
        ("patch", {"geometry": point(200, 0)}),
        ("patch", {"properties": "not an object"}),
        ("patch", [1, 2]),
    ]:
        r = getattr(trusted_client, method)(url, json=body)
        _assert_clear_error(r)
    assert trusted_client.get(url).json() == before


@pytest.mark.parametrize("cid", ["nope", "Shelters", "shelters_x"])
def test_unknown_collection_404(editor_client, cid):
    for url in (f"/collections/{cid}", f"/collections/{cid}/items", f"/collections/{cid}/items/1"):
        r = editor_client.get(url)
        assert r.status_code == 404, url
        assert cid in r.json()["description"]
    r = editor_client.post(f"/collections/{cid}/items", json=sample_feature("shelters"))
    assert r.status_code == 404


@pytest.mark.parametrize("fid", ["999999", "0", "-1", "abc", "1.5", "99999999999999999999999"])
def test_unknown_or_malformed_feature_id(editor_client, fid):
    r = editor_client.get(f"/collections/shelters/items/{fid}")
    assert r.status_code in (400, 404), r.text
    assert editor_client.delete(f"/collections/shelters/items/{fid}").status_code in (400, 404)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-5",
        "limit=abc",
        "limit=1.5",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=10,10,0,0",
        "bbox=100,20,200,30",
        "bbox=100,-95,110,30",
        "bbox=nan,1,2,3",
        "bbox=1,2,3,4,5",
        "cursor=@@@",
        "cursor=WzEsMl0",  # [1, 2]: a cursor for another sortby
        "cursor=WyJ4Il0",  # ["x"]: wrong type for the id key
        "sortby=colour",
        "sortby=facilities",
        "datetime=yesterday",
        "datetime=2030-01-01T00:00:00Z/2020-01-01T00:00:00Z",
        "filter=capacity >",
        "filter=colour = 1",
        "filter=capacity = 'x'",
        "filter-lang=sql&filter=capacity=1",
        "colour=red",
        "capacity=abc",
        "shelter_type=palace",
        "offset=100",
        "skipGeometry=true",
    ],
)
def test_bad_items_query_is_400(client, query):
    r = client.get(f"/collections/shelters/items?{query}")
    _assert_clear_error(r, (400, 400))


def test_limit_above_maximum_is_capped(client, settings):
    r = client.get("/collections/shelters/items?limit=100000")
    assert r.status_code == 200
    assert r.json()["numberReturned"] <= settings.max_limit


@pytest.mark.parametrize("cid", CATEGORY_IDS)
def test_every_category_rejects_missing_name(trusted_client, row_counts, cid):
    before = row_counts()
    r = trusted_client.post(f"/collections/{cid}/items", json=_with(cid, name=...))
    _assert_clear_error(r, needle="'name' is required")
    assert row_counts() == before

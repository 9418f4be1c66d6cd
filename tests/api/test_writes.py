"""Writes that mean what they say (issue #10): the write response obeys the read visibility,
ETag/If-Match, derived values cannot be typed in, the body's id must be the URL's, and reads
run in read-only transactions. The concurrency and commit tests are in test_writes_live.py."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import SessionDep
from gis_onemap.categories.derived import shelter_capacity
from tests.samples import CATEGORY_IDS, sample_feature


def _create(client, cid: str, **props) -> int:
    f = sample_feature(cid)
    f["properties"].update(props)
    r = client.post(f"/collections/{cid}/items", json=f)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# ---- finding 5: personal data through the write response ---------------------------------
@pytest.mark.parametrize(
    ("cid", "personal"),
    [("experts", ("phone", "email")), ("rescue_teams", ("leader", "phone"))],
)
def test_write_responses_hide_personal_data_from_anonymous(client, trusted_client, cid, personal):
    """Anonymous callers cannot write at all now (issue 11); what they get back names no
    personal value, and the row is unchanged. The writer (an editor) sees what it wrote."""
    fid = _create(trusted_client, cid)
    url = f"/collections/{cid}/items/{fid}"
    before = trusted_client.get(url).json()
    values = [str(sample_feature(cid)["properties"][k]) for k in personal]
    for r in (
        client.patch(url, json={}),
        client.put(url, json=sample_feature(cid)),
        client.post(f"/collections/{cid}/items", json=sample_feature(cid)),
    ):
        assert r.status_code == 401, r.text
        assert not [v for v in values if v in r.text], r.text
    after = trusted_client.get(url).json()
    assert after["properties"] == before["properties"]
    # the trusted writer still sees what it wrote
    shown = trusted_client.patch(url, json={}).json()["properties"]
    for key in personal:
        assert shown[key] == sample_feature(cid)["properties"][key]


# ---- ETag / If-Match ------------------------------------------------------------------------
def test_etag_on_read_and_write_responses_follows_each_version(trusted_client):
    created = trusted_client.post("/collections/shelters/items", json=sample_feature("shelters"))
    fid = created.json()["id"]
    url = f"/collections/shelters/items/{fid}"
    first = trusted_client.get(url).headers["etag"]
    assert created.headers["etag"] == first and first.startswith('"')
    patched = trusted_client.patch(url, json={"properties": {"address": "新址"}})
    second = trusted_client.get(url).headers["etag"]
    assert patched.headers["etag"] == second != first
    put = trusted_client.put(url, json=sample_feature("shelters"))
    assert put.headers["etag"] == trusted_client.get(url).headers["etag"] != second


def test_stale_if_match_is_refused_with_412_and_changes_nothing(trusted_client):
    fid = _create(trusted_client, "shelters")
    url = f"/collections/shelters/items/{fid}"
    stale = trusted_client.get(url).headers["etag"]
    assert trusted_client.patch(url, json={"properties": {"address": "甲"}}).status_code == 200
    current = trusted_client.get(url)
    for r in (
        trusted_client.patch(
            url, json={"properties": {"address": "乙"}}, headers={"If-Match": stale}
        ),
        trusted_client.put(url, json=sample_feature("shelters"), headers={"If-Match": stale}),
        trusted_client.delete(url, headers={"If-Match": stale}),
        # a weak tag never matches (strong comparison, RFC 9110 §13.1.1)
        trusted_client.delete(url, headers={"If-Match": f"W/{current.headers['etag']}"}),
    ):
        assert r.status_code == 412, r.text
        assert r.json()["code"] == "PreconditionFailed"
        assert "If-Match" in r.json()["description"]
    after = trusted_client.get(url)
    assert after.json()["properties"] == current.json()["properties"]
    assert after.headers["etag"] == current.headers["etag"]


def test_matching_or_star_if_match_is_applied(trusted_client):
    fid = _create(trusted_client, "shelters")
    url = f"/collections/shelters/items/{fid}"
    tag = trusted_client.get(url).headers["etag"]
    r = trusted_client.patch(
        url, json={"properties": {"address": "丙"}}, headers={"If-Match": f'"0-0", {tag}'}
    )
    assert r.status_code == 200, r.text
    assert trusted_client.get(url).json()["properties"]["address"] == "丙"
    r = trusted_client.put(url, json=sample_feature("shelters"), headers={"If-Match": "*"})
    assert r.status_code == 200
    assert trusted_client.delete(url, headers={"If-Match": r.headers["etag"]}).status_code == 204
    assert trusted_client.get(url).status_code == 404


def test_malformed_if_match_is_a_400(trusted_client):
    fid = _create(trusted_client, "shelters")
    r = trusted_client.delete(f"/collections/shelters/items/{fid}", headers={"If-Match": "abc"})
    assert r.status_code == 400 and "If-Match" in r.json()["description"]
    assert trusted_client.get(f"/collections/shelters/items/{fid}").status_code == 200


# ---- finding 10: derived values cannot be typed in ---------------------------------------------
def _shelter(**props):
    f = sample_feature("shelters")
    f["properties"].update({"shelter_type": "emergency", "effective_area_m2": 1000, **props})
    return f


def test_shelter_capacity_above_area_allows_is_refused(trusted_client):
    r = trusted_client.post("/collections/shelters/items", json=_shelter(capacity=999999))
    assert r.status_code == 422, r.text
    (detail,) = r.json()["details"]
    assert detail["property"] == "capacity"
    limit = shelter_capacity(1000, "emergency")  # 1 m² per person (GB 50413)
    assert f"at most {limit}" in detail["message"] and "effective_area_m2" in detail["message"]
    # the same through PATCH, on a stored shelter: refused, nothing changed
    fid = _create(trusted_client, "shelters")
    url = f"/collections/shelters/items/{fid}"
    before = trusted_client.get(url).json()
    r = trusted_client.patch(url, json={"properties": {"capacity": 999999}})
    assert r.status_code == 422 and "capacity" in r.text
    assert trusted_client.get(url).json() == before


def test_shelter_capacity_equal_or_below_the_computed_one_is_kept(trusted_client):
    limit = shelter_capacity(1000, "emergency")
    for given in (limit, limit - 300):
        r = trusted_client.post("/collections/shelters/items", json=_shelter(capacity=given))
        assert r.status_code == 201, r.text
        assert r.json()["properties"]["capacity"] == given


@pytest.mark.parametrize(
    ("props", "field", "inputs"),
    [
        ({"substances": None, "r_value": 80}, "r_value", "substances"),
        ({"substances": None, "s_value": 3}, "s_value", "substances"),
        ({"r_value": 80}, "r_value", "substances"),
        ({"level": 1}, "level", "substances"),
        ({"risk_color": "red"}, "risk_color", "level"),
    ],
)
def test_hazard_values_computed_from_substances_cannot_be_typed_in(
    trusted_client, props, field, inputs
):
    f = sample_feature("hazard_sources")
    for key, value in props.items():
        if value is None:
            f["properties"].pop(key)
        else:
            f["properties"][key] = value
    r = trusted_client.post("/collections/hazard_sources/items", json=f)
    assert r.status_code == 422, r.text
    problems = {d["property"]: d["message"] for d in r.json()["details"]}
    assert field in problems and inputs in problems[field] and "computed" in problems[field]


def test_hazard_values_equal_to_the_computed_ones_are_accepted(trusted_client):
    f = sample_feature("hazard_sources")
    p = f["properties"]
    # by hand from GB 18218-2018: ammonia Q = 10 t (Table 1), β = 2 (Table 3), α = 2.0 for
    # ≥ 100 residents (Table 5): S = 100/10 = 10, R = 2.0 × 2 × 10 = 40 → level 3
    assert p["substances"] == [{"name": "液氨", "cas": "7664-41-7", "q": 100, "Q": 10}]
    assert p["population_500m"] >= 100
    p.update(s_value=10.0, r_value=40.0, level=3)
    r = trusted_client.post("/collections/hazard_sources/items", json=f)
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["r_value"] == pytest.approx(40.0)


@pytest.mark.parametrize("cid", CATEGORY_IDS)
def test_get_edit_put_round_trip_is_accepted(trusted_client, cid):
    fid = _create(trusted_client, cid)
    url = f"/collections/{cid}/items/{fid}"
    got = trusted_client.get(url).json()
    got["properties"]["address"] = "往返地址"
    r = trusted_client.put(url, json=got)  # id, links, updated_at and derived values included
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["address"] == "往返地址"
    derived = {k for k in got["properties"] if k not in sample_feature(cid)["properties"]}
    for key in derived - {"updated_at", "address", "extra"}:
        assert r.json()["properties"][key] == got["properties"][key], key


def test_patch_of_an_input_recomputes_and_keeps_recorded_values(trusted_client):
    fid = _create(trusted_client, "shelters", capacity=5000)  # fixed, 12000 m²: at most 6000
    url = f"/collections/shelters/items/{fid}"
    # an unrelated change keeps the recorded capacity
    r = trusted_client.patch(url, json={"properties": {"name": "改名"}})
    assert r.status_code == 200 and r.json()["properties"]["capacity"] == 5000
    # a new area recomputes it
    r = trusted_client.patch(url, json={"properties": {"effective_area_m2": 3000}})
    assert r.json()["properties"]["capacity"] == shelter_capacity(3000, "fixed")


# ---- finding 10: the body's id must be the URL's ---------------------------------------------
@pytest.mark.parametrize("where", ["feature", "properties"])
def test_body_naming_another_feature_is_refused(trusted_client, where):
    a = _create(trusted_client, "shelters", name="甲场所")
    b = _create(trusted_client, "shelters", name="乙场所")
    before = {
        fid: trusted_client.get(f"/collections/shelters/items/{fid}").json() for fid in (a, b)
    }
    body = sample_feature("shelters")
    body["properties"]["name"] = "被改"
    (body if where == "feature" else body["properties"])["id"] = a
    for r in (
        trusted_client.put(f"/collections/shelters/items/{b}", json=body),
        trusted_client.patch(f"/collections/shelters/items/{b}", json=body),
    ):
        assert r.status_code == 422, r.text
        assert str(a) in r.json()["description"] and str(b) in r.json()["description"]
    for fid in (a, b):
        assert trusted_client.get(f"/collections/shelters/items/{fid}").json() == before[fid]
    # the URL's own id (number or string) is fine
    body["id"] = str(b) if where == "feature" else b
    if where == "properties":
        body["properties"]["id"] = b
    assert trusted_client.put(f"/collections/shelters/items/{b}", json=body).status_code == 200


# ---- reads never write ---------------------------------------------------------------------------
def test_read_sessions_are_read_only(settings):
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the pool and the session factories
        with app.state.read_session_factory() as session:
            assert session.execute(text("SHOW transaction_read_only")).scalar() == "on"
        with app.state.session_factory() as session:
            assert session.execute(text("SHOW transaction_read_only")).scalar() == "off"


def test_every_derived_field_declares_existing_inputs():
    from gis_onemap.categories import CATEGORIES

    for category in CATEGORIES:
        for f in category.all_fields:
            if f.derived:
                assert f.derived_from, (category.id, f.name)
                for name in f.derived_from:
                    assert category.field(name) is not None, (category.id, f.name, name)


def test_a_write_through_the_read_session_fails_loudly(app, client, db_session):
    """The test app's read session is read-only like the real one: a route that wrote through
    it by mistake would fail in the tests, not lose writes in production."""
    router = APIRouter()

    @router.post("/_test/wrong-session")
    def wrong(session: SessionDep) -> dict[str, str]:
        session.execute(
            text("INSERT INTO depots (name, geom) VALUES ('x', 'SRID=4326;POINT(1 1)')")
        )
        return {"ok": "yes"}

    app.include_router(router)
    r = client.post("/_test/wrong-session")
    assert r.status_code == 500, r.text
    n = db_session.execute(text("SELECT count(*) FROM depots WHERE name = 'x'")).scalar_one()
    assert n == 0

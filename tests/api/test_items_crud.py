"""POST → GET → PATCH → PUT → DELETE → 404 for every collection, against real PostGIS."""

from __future__ import annotations

import pytest

from tests.samples import CATEGORY_IDS, SQUARE, point, sample_feature

DERIVED_EXPECTED = {
    # GB 18218: S = 100/10 = 10; α(120 residents) = 2.0; β(ammonia) = 2 → R = 40 → level 3
    "hazard_sources": {"s_value": 10.0, "r_value": 40.0, "level": 3, "risk_color": "yellow"},
    # GB 50413 fixed shelter: 2 m²/person → 12000 / 2 = 6000 persons
    "shelters": {"capacity": 6000, "service_radius_m": 2500.0},
    "supplies": {"supply_class": "1"},
    "plans": {"event_categories": ["accident"]},
}


@pytest.mark.parametrize("cid", CATEGORY_IDS)
def test_create_read_update_delete(trusted_client, cid):
    sent = sample_feature(cid)
    r = trusted_client.post(f"/collections/{cid}/items", json=sent)
    assert r.status_code == 201, r.text
    location = r.headers["Location"]
    fid = r.json()["id"]
    assert location.endswith(f"/collections/{cid}/items/{fid}")

    got = trusted_client.get(f"/collections/{cid}/items/{fid}")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/geo+json")
    body = got.json()
    assert body["geometry"] == sent["geometry"]
    props = body["properties"]
    for key, value in sent["properties"].items():
        assert props[key] == value, key
    for key, value in DERIVED_EXPECTED.get(cid, {}).items():
        assert props[key] == value, key
    assert props["updated_at"]

    new_point = point(110.4, 21.2)
    patched = trusted_client.patch(
        f"/collections/{cid}/items/{fid}",
        json={"geometry": new_point, "properties": {"address": "新地址", "name": "改名"}},
    )
    assert patched.status_code == 200, patched.text
    again = trusted_client.get(f"/collections/{cid}/items/{fid}").json()
    assert again["properties"]["address"] == "新地址"
    assert again["properties"]["name"] == "改名"
    assert again["geometry"] == new_point
    assert again["properties"]["updated_at"] > props["updated_at"]
    # untouched properties survive a merge patch
    for key in sent["properties"]:
        if key not in ("address", "name"):
            assert again["properties"][key] == sent["properties"][key], key

    replaced = sample_feature(cid)
    replaced["properties"].pop("region_code", None)
    r = trusted_client.put(f"/collections/{cid}/items/{fid}", json=replaced)
    assert r.status_code == 200, r.text
    assert (
        "region_code"
        not in trusted_client.get(f"/collections/{cid}/items/{fid}").json()["properties"]
    )

    assert trusted_client.delete(f"/collections/{cid}/items/{fid}").status_code == 204
    assert trusted_client.get(f"/collections/{cid}/items/{fid}").status_code == 404
    assert trusted_client.delete(f"/collections/{cid}/items/{fid}").status_code == 404


@pytest.mark.parametrize("cid", ["hazard_sources", "protected_targets", "shelters", "plans"])
def test_area_geometries_allowed(trusted_client, cid):
    r = trusted_client.post(f"/collections/{cid}/items", json=sample_feature(cid, SQUARE))
    assert r.status_code == 201, r.text
    assert r.json()["geometry"]["type"] == "Polygon"


def test_personal_data_hidden_from_anonymous(client, trusted_client):
    fid = trusted_client.post("/collections/experts/items", json=sample_feature("experts")).json()[
        "id"
    ]
    anon = client.get(f"/collections/experts/items/{fid}").json()["properties"]
    assert "phone" not in anon and "email" not in anon
    assert anon["work_unit"] == "广东海洋大学"
    trusted = trusted_client.get(f"/collections/experts/items/{fid}").json()["properties"]
    assert trusted["phone"] == "13900000000"


def test_patch_recomputes_derived_values(trusted_client):
    fid = trusted_client.post(
        "/collections/shelters/items", json=sample_feature("shelters")
    ).json()["id"]
    r = trusted_client.patch(
        f"/collections/shelters/items/{fid}", json={"properties": {"effective_area_m2": 3000}}
    )
    assert r.status_code == 200
    assert r.json()["properties"]["capacity"] == 1500  # 3000 m² / 2 m² per person


def test_explicit_capacity_wins_over_derivation(trusted_client):
    f = sample_feature("shelters")
    f["properties"]["capacity"] = 999
    r = trusted_client.post("/collections/shelters/items", json=f)
    assert r.json()["properties"]["capacity"] == 999


def test_supply_at_depot_takes_depot_location(trusted_client):
    depot = trusted_client.post(
        "/collections/depots/items", json=sample_feature("depots", point(110.3, 21.15))
    ).json()
    supply = sample_feature("supplies")
    supply["geometry"] = None
    supply["properties"]["depot_id"] = depot["id"]
    r = trusted_client.post("/collections/supplies/items", json=supply)
    assert r.status_code == 201, r.text
    assert r.json()["geometry"]["coordinates"] == [110.3, 21.15]
    # moving the depot moves its stock
    trusted_client.patch(
        f"/collections/depots/items/{depot['id']}", json={"geometry": point(110.31, 21.16)}
    )
    moved = trusted_client.get(f"/collections/supplies/items/{r.json()['id']}").json()
    assert moved["geometry"]["coordinates"] == [110.31, 21.16]

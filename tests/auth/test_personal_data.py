"""Personal fields (phones, e-mail, leaders) never reach anonymous callers, on any surface.

Each check also runs as a viewer, who must see the value: that proves the search would find it.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile

import morecantile
import pytest

from gis_onemap.io.formats import EXPORT_FORMATS
from tests.samples import sample_feature

LON, LAT = 110.3594, 21.2707
EXPERT_PHONE, EXPERT_EMAIL = "13912345678", "expert.secret@example.com"
TEAM_PHONE = "13987654321"
SECRETS = (EXPERT_PHONE.encode(), EXPERT_EMAIL.encode(), TEAM_PHONE.encode())


@pytest.fixture
def people(editor_client):
    """An expert and a rescue team with phone numbers, at the same spot."""
    point = {"type": "Point", "coordinates": [LON, LAT]}
    expert = sample_feature("experts", point)
    expert["properties"].update(phone=EXPERT_PHONE, email=EXPERT_EMAIL)
    team = sample_feature("rescue_teams", point)
    team["properties"].update(phone=TEAM_PHONE)
    ids = {}
    for cid, f in (("experts", expert), ("rescue_teams", team)):
        r = editor_client.post(f"/collections/{cid}/items", json=f)
        assert r.status_code == 201, r.text
        ids[cid] = r.json()["id"]
    return ids


def _bytes(content: bytes) -> bytes:
    """Every byte a client gets: zip members unpacked, gzip undone."""
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            return b"".join(zf.read(n) for n in zf.namelist())
    return content


def _secrets_in(content: bytes) -> set[bytes]:
    data = _bytes(content)
    return {s for s in SECRETS if s in data}


def _check(anon, viewer, method, url, expect_viewer, **kw):
    """Anonymous: none of the secrets; viewer: exactly ``expect_viewer`` of them."""
    a = getattr(anon, method)(url, **kw)
    v = getattr(viewer, method)(url, **kw)
    assert a.status_code == 200, (url, a.text[:300])
    assert v.status_code == 200, (url, v.text[:300])
    assert _secrets_in(a.content) == set(), url
    assert _secrets_in(v.content) == set(expect_viewer), url


BOTH = {EXPERT_PHONE.encode(), EXPERT_EMAIL.encode(), TEAM_PHONE.encode()}
EXPERT = {EXPERT_PHONE.encode(), EXPERT_EMAIL.encode()}


def test_items_and_item(client, viewer_client, people):
    for cid, expect in (("experts", EXPERT), ("rescue_teams", {TEAM_PHONE.encode()})):
        _check(client, viewer_client, "get", f"/collections/{cid}/items", expect)
        _check(client, viewer_client, "get", f"/collections/{cid}/items/{people[cid]}", expect)


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_export_format(client, viewer_client, people, fmt):
    for cid, expect in (("experts", EXPERT), ("rescue_teams", {TEAM_PHONE.encode()})):
        url = f"/collections/{cid}/items?f={fmt}"
        _check(client, viewer_client, "get", url, expect)


def test_tiles_never_carry_personal_data(client, viewer_client, people):
    t = morecantile.tms.get("WebMercatorQuad").tile(LON, LAT, 14)
    for url in (
        f"/collections/experts/tiles/WebMercatorQuad/14/{t.x}/{t.y}",
        f"/collections/rescue_teams/tiles/WebMercatorQuad/14/{t.x}/{t.y}",
        f"/tiles/WebMercatorQuad/14/{t.x}/{t.y}",
    ):
        for c in (client, viewer_client):
            r = c.get(url)
            assert r.status_code == 200, url
            assert _secrets_in(r.content) == set(), url
            assert "霞山消防救援站".encode() in _bytes(r.content) or "experts" in url


def test_analyses(client, viewer_client, people):
    near = {"lon": LON, "lat": LAT}
    for cid, expect in (("experts", EXPERT), ("rescue_teams", {TEAM_PHONE.encode()})):
        p = {**near, "category": cid}
        _check(client, viewer_client, "get", "/analysis/nearest", expect, params=p)
        _check(
            client, viewer_client, "get", "/analysis/within", expect, params=p | {"radius_m": 500}
        )
    body = {**near, "radius_m": 1000}
    _check(client, viewer_client, "post", "/analysis/surroundings", BOTH, json=body)
    buffer = {
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "distances_m": [500],
        "intersect": ["experts", "rescue_teams"],
    }
    _check(client, viewer_client, "post", "/analysis/buffer", BOTH, json=buffer)


def test_html_products(client, viewer_client, editor_client, people):
    """Offline HTML maps: anonymous copies hold no phone anywhere in the page (the maps
    show no phones to viewers either, so only the JSON surroundings check the viewer side)."""
    buffer = {
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "distances_m": [500],
        "intersect": ["experts", "rescue_teams"],
    }
    a = client.post("/analysis/buffer/map", json=buffer)
    assert a.status_code == 200 and _secrets_in(a.content) == set()
    params = {"lon": LON, "lat": LAT, "radius_m": 1000}
    a = client.get("/analysis/surroundings/map", params=params)
    assert a.status_code == 200 and _secrets_in(a.content) == set()
    incident = {"lon": LON, "lat": LAT, "event_category": "accident", "event_type": "fire"}
    iid = editor_client.post("/incidents", json=incident).json()["id"]
    for url in (f"/incidents/{iid}/surroundings", f"/incidents/{iid}/surroundings/map"):
        a = client.get(url, params={"radius_m": 1000})
        assert a.status_code == 200 and _secrets_in(a.content) == set(), url
    v = viewer_client.get(f"/incidents/{iid}/surroundings", params={"radius_m": 1000})
    assert _secrets_in(v.content) == BOTH


@pytest.mark.parametrize(
    "query",
    ["phone=13912345678", "filter=phone='13912345678'", "sortby=phone", "filter=email LIKE 'e%'"],
)
def test_personal_fields_cannot_be_probed_by_filters(client, people, query):
    """No oracle: filtering or sorting on a personal field is refused, not silently answered."""
    r = client.get(f"/collections/experts/items?{query}")
    assert r.status_code == 400, r.text
    assert "Traceback" not in r.text


def test_openapi_document_has_no_phone_numbers_or_emails(client):
    text = client.get("/api").text
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert not re.search(r"[\w.]+@[\w-]+\.[a-z]{2,}", text)

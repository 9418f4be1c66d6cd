"""Odd but possible client input to the roads endpoints: always a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

HUGE = str(2**70)
ODD = [
    ("get", "/analysis/route", {"from": "24.94,60.17", "to": "24.95,60.17", "incident": HUGE}),
    ("get", "/analysis/route", {"from": "nan,60.17", "to": "24.95,60.17"}),
    ("get", "/analysis/route", {"from": "24.94,60.17", "to": f"shelters/{HUGE}"}),
    ("get", "/analysis/route", {"from": "24.94,60.17", "to": "shelters/abc"}),
    ("get", "/analysis/service-area", {"lon": 24.94, "lat": 60.17, "minutes": "nan"}),
    ("get", "/analysis/service-area", {"lon": 24.94, "lat": 60.17, "minutes": "inf"}),
    ("get", "/analysis/nearest-by-time", {"lon": 24.94, "lat": 60.17, "k": HUGE}),
    ("get", f"/roads/closures/{HUGE}", {}),
    ("delete", f"/roads/closures/{HUGE}", {}),
]


@pytest.mark.parametrize("method,path,params", ODD)
def test_odd_input_is_4xx(roads_client, method, path, params):
    r = getattr(roads_client, method)(path, params=params)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["description"]


def test_odd_closure_bodies_are_4xx(roads_client):
    for body in (
        {"edge_ids": [2**70], "reason": "x"},
        {"geometry": {"type": "Polygon", "coordinates": "x"}, "reason": "x"},
        {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}, "reason": "x"},
        {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
         "reason": "x", "valid_from": "2030-01-01T00:00:00"},
        {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
         "reason": "x"},
    ):  # fmt: skip
        r = roads_client.post("/roads/closures", json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)

"""Any GeoDataFrame layer set prints and bundles once registered (how release zones and the risk
map are wired in): one ``register_provider`` call."""

from __future__ import annotations

import re
import zipfile

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gis_onemap.bundle.build import BundleRequest, build_bundle
from gis_onemap.printing.layers import PROVIDERS, PrintLayer, register_provider
from tests.printing.test_print import CENTRE_BBOX, pdf_text


def _zones(ctx, request):  # type: ignore[no-untyped-def]
    """Two rings around the centre of the area, as an analysis module would give them."""
    minx, miny, maxx, maxy = ctx.area.bbox
    centre = shapely.Point((minx + maxx) / 2, (miny + maxy) / 2)
    gdf = gpd.GeoDataFrame(
        {"zone": ["隔离区", "防护行动区"], "distance_m": [800, 3000]},
        geometry=[centre.buffer(0.008), centre.buffer(0.03)],
        crs="EPSG:4326",
    )
    return [PrintLayer("test_zones", "泄漏影响区", gdf, "#ff7f00")]


@pytest.fixture
def zones_provider():
    register_provider("test_zones", _zones)
    yield "test_zones"
    PROVIDERS.pop("test_zones", None)


def test_a_registered_layer_prints(print_client, zones_provider, tmp_path):
    r = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": zones_provider})
    assert r.status_code == 200, r.text
    assert "泄漏影响区（2）" in re.sub(r"\s", "", pdf_text(r.content, tmp_path))
    # without the registration the same request is a clear 400
    PROVIDERS.pop(zones_provider)
    r = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": zones_provider})
    assert r.status_code == 400 and "unknown layer" in r.text


def test_a_registered_layer_is_bundled(print_session, print_settings, zones_provider, tmp_path):
    out = tmp_path / "z.zip"
    build_bundle(
        print_session,
        print_settings,
        BundleRequest(bbox="110.35,21.25,110.40,21.29", layers=[zones_provider, "shelters"]),
        out,
    )
    with zipfile.ZipFile(out) as zf:
        zf.extract("layers.gpkg", tmp_path)
    zones = pyogrio.read_dataframe(tmp_path / "layers.gpkg", layer="test_zones")
    assert list(zones["zone"]) == ["隔离区", "防护行动区"]
    assert zones.crs.to_epsg() == 4490


def test_the_risk_map_prints_with_the_classes_the_api_gives(print_client, tmp_path):
    """layers=risk_map: one legend entry per class, counted as GET /analysis/risk-map counts the
    same cells (same bbox, hexagons of the size the print chose)."""
    from gis_onemap.hazards.printing import cell_size_for

    r = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": "risk_map"})
    assert r.status_code == 200, r.text
    text = re.sub(r"\s", "", pdf_text(r.content, tmp_path))
    minx, miny, maxx, maxy = (float(v) for v in CENTRE_BBOX.split(","))
    box = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs="EPSG:4326")
    size = cell_size_for(float(box.to_crs(box.estimate_utm_crs()).area.iloc[0]), 100, 50_000)
    cells = print_client.get(
        "/analysis/risk-map", params={"bbox": CENTRE_BBOX, "cell": "hex", "size_m": size}
    ).json()["features"]
    labels = {"red": "红色重大风险", "orange": "橙色较大风险", "yellow": "黄色一般风险",
              "blue": "蓝色低风险"}  # fmt: skip
    for cls, label in labels.items():
        n = sum(1 for c in cells if c["properties"]["risk_class"] == cls)
        assert f"{label}（{size / 1000:g}km六边形）（{n}）" in text, (cls, n)


def test_release_zones_print_at_the_area_centre(print_client, tmp_path):
    """layers=release_zones with the release in the layer spec: the legend names each zone the
    release-zones API gives for the same release at the same point."""
    spec = "release_zones:substance=液氯;amount=large;time=night;wind_from_deg=90;wind_speed_ms=3"
    r = print_client.get(
        "/print", params={"bbox": CENTRE_BBOX, "layers": "release_zones,shelters", "filter": spec}
    )
    assert r.status_code == 200, r.text
    text = re.sub(r"\s", "", pdf_text(r.content, tmp_path))
    minx, miny, maxx, maxy = (float(v) for v in CENTRE_BBOX.split(","))
    api = print_client.post("/analysis/release-zones", json={
        "lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2, "substance": "液氯",
        "amount": "large", "time": "night", "wind_from_deg": 90, "wind_speed_ms": 3,
    })  # fmt: skip
    kinds = [f["properties"]["zone"] for f in api.json()["features"]]
    assert kinds and "初始隔离区（1）" in text
    assert ("下风向防护行动区（1）" in text) == ("protective_action" in kinds)
    bad = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": "release_zones",
                                             "filter": "release_zones:colour=red"})  # fmt: skip
    assert bad.status_code == 400 and "unknown key" in bad.text

"""The /map page in real headless Chromium, every request to another host blocked."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pyproj import Geod

from gis_onemap.categories import CATEGORY_IDS
from tests.web.helpers import PageWatch, watch_page

pytestmark = pytest.mark.browser

#: Where the incident is set: central Chikan district (赤坎区), among the demo resources.
INCIDENT = (110.36, 21.27)
#: The whole first load (page, scripts, styles, base map and data tiles) must stay below this.
FIRST_LOAD_BUDGET = 2_000_000

# the page's canvas, downscaled, as RGBA bytes (the map is created with preserveDrawingBuffer)
SNAPSHOT_JS = """() => {
  const src = OneMap.map.getCanvas();
  const c = document.createElement('canvas'); c.width = 256; c.height = 160;
  const ctx = c.getContext('2d'); ctx.drawImage(src, 0, 0, c.width, c.height);
  return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
}"""


# wait_for_function predicates are functions ("() => ..."): a bare expression is run with
# eval, which the page's Content-Security-Policy (script-src 'self') rightly refuses
def open_map(page: Any, base: str, query: str = "") -> PageWatch:
    watch = watch_page(page)
    page.goto(f"{base}/map{query}")
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
    return watch


def wait_idle(page: Any) -> None:
    page.evaluate(
        "() => new Promise(r => { OneMap.map.once('idle', r); OneMap.map.triggerRepaint(); })"
    )


def assert_clean(watch: PageWatch) -> None:
    assert watch.blocked == [], f"requests to other hosts: {watch.blocked}"
    assert watch.console_errors == [], watch.console_errors
    assert watch.failed == [], watch.failed


def item_counts(base: str) -> dict[str, int]:
    doc = httpx.get(f"{base}/collections").json()
    return {c["id"]: c["itemCount"] for c in doc["collections"]}


def set_incident(page: Any, tap: bool) -> dict[str, Any]:
    if tap:
        page.locator("#incident-pick").tap()
        # on a phone the bottom sheet slides away: tap the map only once it is out of the way
        page.wait_for_function(
            "() => document.getElementById('panel').getBoundingClientRect().top"
            " >= window.innerHeight - 1"
        )
    else:
        page.locator("#incident-pick").click()
    box = page.locator("#map").bounding_box()
    pt = page.evaluate(f"() => OneMap.map.project([{INCIDENT[0]}, {INCIDENT[1]}])")
    x, y = box["x"] + pt["x"], box["y"] + pt["y"]
    if tap:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.wait_for_function(
        "() => document.querySelectorAll('#surroundings-list .sur-cat').length === 8",
        timeout=60_000,
    )
    return page.evaluate("() => OneMap.Panels.incident()")


def check_surroundings(page: Any, incident: dict[str, Any]) -> None:
    """Every category listed, nearest first (plans: by jurisdiction), distances geodesic
    (checked with pyproj.Geod)."""
    result = incident["result"]
    geod = Geod(ellps="WGS84")
    for cid in CATEGORY_IDS:
        section = page.locator(f'#surroundings-list .sur-cat[data-category="{cid}"]')
        assert section.count() == 1, cid
        feats = result["collections"][cid]["features"]
        assert feats, f"no {cid} around the incident"
        assert section.locator(".sur-items li").count() == len(feats)
        assert int(section.locator(".sur-count").inner_text()) >= len(feats)
        dists = [f["properties"]["distance_m"] for f in feats]
        if cid != "plans":  # plans come by jurisdiction (enterprise → county → city), issue 13
            assert dists == sorted(dists), f"{cid} not nearest first"
        first_point = next((f for f in feats if f["geometry"]["type"] == "Point"), None)
        if first_point is not None:
            lon, lat = first_point["geometry"]["coordinates"]
            _, _, d = geod.inv(incident["lon"], incident["lat"], lon, lat)
            assert first_point["properties"]["distance_m"] == pytest.approx(d, abs=0.5)
    # the rings drawn: a third, two thirds and all of the radius, geodesic on WGS84
    page.wait_for_function("() => OneMap.Panels.rings() !== null")
    rings = page.evaluate("() => OneMap.Panels.rings()")
    radius = result["radius_m"]
    outer = max(rings["features"], key=lambda f: f["properties"]["distance_m"])
    assert sorted(f["properties"]["distance_m"] for f in rings["features"]) == pytest.approx(
        [radius / 3, 2 * radius / 3, radius], abs=1
    )
    for vlon, vlat in outer["geometry"]["coordinates"][0][::8]:
        _, _, d = geod.inv(incident["lon"], incident["lat"], vlon, vlat)
        assert d == pytest.approx(radius, rel=0.005)


def test_desktop_map_loads_offline_renders_layers_under_budget(live_server, desktop_page):
    page = desktop_page
    # every response, the MapLibre worker's tile fetches included: encoded body + headers
    sizes: list[tuple[str, int]] = []
    page.on(
        "requestfinished",
        lambda r: sizes.append(
            (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])
        ),
    )
    watch = open_map(page, live_server)
    wait_idle(page)
    first_load = sum(n for _, n in sizes)
    assert any("/map/basemap/" in u for u, _ in sizes)  # the base map is counted
    assert any("/tiles/WebMercatorQuad/" in u for u, _ in sizes)  # and the data tiles
    assert 200_000 < first_load < FIRST_LOAD_BUDGET, f"first load {first_load:,} bytes"
    assert_clean(watch)

    # the layers render: every category has features drawn, and hiding them changes the canvas
    state = page.evaluate("() => ({mode: OneMap.state.mode, inView: OneMap.state.inView})")
    assert state["mode"] == "tiles"
    assert all(state["inView"][cid] > 0 for cid in CATEGORY_IDS), state["inView"]
    shown = page.evaluate(SNAPSHOT_JS)
    page.evaluate("() => OneMap.config.categories.forEach(c => OneMap.setVisible(c.id, false))")
    wait_idle(page)
    hidden = page.evaluate(SNAPSHOT_JS)
    changed = sum(1 for i in range(0, len(shown), 4) if shown[i : i + 3] != hidden[i : i + 3])
    assert changed > 0.02 * len(shown) / 4, f"only {changed} pixels changed"
    assert len({tuple(shown[i : i + 3]) for i in range(0, len(shown), 4)}) > 20  # not blank

    # live counts: totals as /collections says
    counts = item_counts(live_server)
    for cid in CATEGORY_IDS:
        text = page.locator(f'[data-count="{cid}"]').inner_text()
        assert text.split("/")[0].strip() == str(counts[cid])


def test_desktop_incident_lists_every_category(live_server, desktop_page):
    page = desktop_page
    watch = open_map(page, live_server)
    incident = set_incident(page, tap=False)
    check_surroundings(page, incident)
    # an event type narrows plans and experts to those that fit it
    page.select_option("#event-select", "hazardous_chemicals")
    page.wait_for_function(
        "() => (OneMap.Panels.incident().result || {}).event_type === 'hazardous_chemicals'"
    )
    assert_clean(watch)


def test_phone_viewport_touch_incident(live_server, phone_page):
    page = phone_page
    watch = open_map(page, live_server)
    assert page.evaluate("() => document.body.classList.contains('panel-open')") is False
    page.locator("#panel-toggle").tap()
    panel = page.locator("#panel").bounding_box()
    assert panel["width"] == pytest.approx(390, abs=2)  # a bottom sheet across the screen
    assert panel["y"] > 844 * 0.3
    incident = set_incident(page, tap=True)
    page.locator("#panel-toggle").tap()
    check_surroundings(page, incident)
    assert_clean(watch)


def test_popup_has_no_personal_data_and_search_and_language(live_server, desktop_page):
    page = desktop_page
    expert = httpx.get(f"{live_server}/collections/experts/items?limit=1").json()["features"][0]
    watch = open_map(page, live_server)
    lon, lat = expert["geometry"]["coordinates"]
    page.evaluate(f"() => OneMap.showFeature('experts', {expert['id']}, [{lon}, {lat}])")
    page.wait_for_selector(".maplibregl-popup .popup h3")
    popup = page.locator(".maplibregl-popup").inner_text()
    assert expert["properties"]["name"] in popup
    assert "专业领域" in popup
    assert "联系电话" not in popup and "电子邮箱" not in popup

    name = expert["properties"]["name"]
    page.fill("#search-input", name[:2])
    page.locator("#search-form button").click()
    page.wait_for_selector("#search-results .results a")
    assert name in page.locator("#search-results").inner_text()

    page.locator("#lang-toggle").click()
    assert page.locator('li[data-category="experts"] .layer-name').inner_text() == "Experts"
    assert page.locator("#incident-pick").inner_text() == "Set incident"
    page.locator("#lang-toggle").click()
    assert page.locator('li[data-category="experts"] .layer-name').inner_text() == "专家"
    assert_clean(watch)


def test_exports_geojson_geopackage_png(live_server, desktop_page, tmp_path):
    page = desktop_page
    watch = open_map(page, live_server)
    page.evaluate("() => OneMap.Panels.fitRegion('440802', false)")
    wait_idle(page)
    for cid in ("protected_targets", "supplies", "experts", "plans"):
        page.locator(f'li[data-category="{cid}"] input[type=checkbox]').uncheck()
    with page.expect_download() as dl:
        page.locator("#export-geojson").click()
    fc = json.loads(dl.value.path().read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection" and fc["features"]
    cats = {f["properties"]["category"] for f in fc["features"]}
    assert cats <= {"hazard_sources", "rescue_teams", "depots", "shelters"}
    west, south, east, north = page.evaluate("() => OneMap.map.getBounds().toArray().flat()")
    for f in fc["features"]:
        if f["geometry"]["type"] == "Point":
            lon, lat = f["geometry"]["coordinates"]
            assert west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6

    page.locator("#export-gpkg").click()
    links = page.locator("#export-links a.gpkg-link")
    assert links.count() == 4
    href = links.first.get_attribute("href")
    gpkg = httpx.get(live_server + href)
    assert gpkg.status_code == 200 and gpkg.content.startswith(b"SQLite format 3\x00")

    with page.expect_download() as dl:
        page.locator("#export-png").click()
    png = dl.value.path().read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert_clean(watch)


def test_gcj02_tile_offset_matches_the_projects_transform(live_server, desktop_page):
    """The GCJ-02 base-map warp (gcoord in the page) agrees with gis_onemap.crs."""
    import math

    from gis_onemap.crs import wgs84_to_gcj02

    page = desktop_page
    open_map(page, live_server)
    z, x, y = 14, 13214, 7186  # a tile over Zhanjiang
    dx, dy = page.evaluate(f"() => OneMap.Basemap.gcjPixelOffset({z}, {x}, {y})")
    n = 2**z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    glon, glat = wgs84_to_gcj02(lon, lat)

    def merc_y(la: float) -> float:
        s = math.sin(math.radians(la))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    world = 256 * n
    assert dx == pytest.approx((glon - lon) / 360 * world, abs=0.05)
    assert dy == pytest.approx((merc_y(glat) - merc_y(lat)) * world, abs=0.05)
    assert 0.5 < math.hypot(dx, dy) < 200  # hundreds of metres at zoom 14: a real shift

"""The map page's road tools in real headless Chromium (only 127.0.0.1 reachable): streets on
the base map from the demo's synthetic network, and — with the roads API — ETAs by travel time,
a route drawn on click, 10/20/30-minute service areas and closures, on desktop and phone."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest

from tests.web.test_map_browser import INCIDENT, assert_clean, open_map, set_incident, wait_idle

pytestmark = pytest.mark.browser

HAS_ROADS_API = importlib.util.find_spec("gis_onemap.api.routers.roads") is not None
NEEDS_ROADS_API = pytest.mark.skipif(
    not HAS_ROADS_API, reason="needs the roads API of helper R1 — the lead enables it at merge"
)


def _streets_in_view(page: Any) -> list[dict[str, Any]]:
    page.evaluate(f"() => OneMap.map.jumpTo({{center: [{INCIDENT[0]}, {INCIDENT[1]}], zoom: 14}})")
    wait_idle(page)
    return page.evaluate(
        "() => OneMap.map.queryRenderedFeatures({layers: ['st-roads']}).map(f => f.properties)"
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_streets_of_the_demo_network_are_drawn(live_server, desktop_page, phone_page, viewport):
    page = desktop_page if viewport == "desktop" else phone_page
    tiles: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: tiles.append((r.url, r.status)) if "/map/basemap/streets/" in r.url else None,
    )
    watch = open_map(page, live_server)
    roads = _streets_in_view(page)
    # the synthetic city-centre grid: named 主干路/次干路/支路 around 赤坎 at zoom 14
    assert {"arterial", "secondary", "branch"} <= {r["class"] for r in roads}
    assert all(r.get("name") for r in roads if r["class"] in ("arterial", "secondary"))
    assert tiles and all(status in (200, 204) for _url, status in tiles)
    assert any(status == 200 for _url, status in tiles)
    # the travel-time tools are shown only by a server with the roads API
    hidden = page.evaluate("() => document.getElementById('travel-tools').hidden")
    assert hidden is (not HAS_ROADS_API)
    assert_clean(watch)


def _open_panel(page: Any, tap: bool) -> None:
    if not page.evaluate("() => document.body.classList.contains('panel-open')"):
        page.locator("#panel-toggle").tap() if tap else page.locator("#panel-toggle").click()
        page.wait_for_timeout(300)


@NEEDS_ROADS_API
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_by_travel_time_etas_route_service_area(live_server, desktop_page, phone_page, viewport):
    tap = viewport == "phone"
    page = desktop_page if not tap else phone_page
    watch = open_map(page, live_server)
    if tap:
        page.locator("#panel-toggle").tap()
    set_incident(page, tap=tap)
    _open_panel(page, tap)
    toggle = page.locator("#by-time")
    toggle.tap() if tap else toggle.click()
    page.wait_for_function(
        "() => document.querySelectorAll('#surroundings-list .eta').length > 0", timeout=60_000
    )
    teams = page.locator('.sur-cat[data-category="rescue_teams"] li')
    etas = list(teams.locator(".eta").all_inner_texts())
    assert etas and all(re.fullmatch(r"(<1|\d+) min|—", e) for e in etas)
    minutes = [0 if e.startswith("<1") else int(e.split()[0]) for e in etas if e != "—"]
    assert minutes == sorted(minutes)  # ordered by travel time
    # a team a minute or more away: the nearest one may sit on the incident's own road vertex,
    # where the route is a point and draws nothing
    away = [i for i, e in enumerate(etas) if re.fullmatch(r"\d+ min", e) and int(e.split()[0]) >= 1]
    assert away, etas
    first = teams.nth(away[0]).locator("a")
    first.tap() if tap else first.click()
    page.wait_for_function("() => OneMap.Roads.drawn().route !== null", timeout=60_000)
    wait_idle(page)
    route = page.evaluate("() => OneMap.Roads.drawn().route")
    drawn = page.evaluate("() => OneMap.map.queryRenderedFeatures({layers: ['road-route']}).length")
    assert drawn > 0  # the line is on the map, not only fetched
    assert route["geometry"]["type"] == "LineString" and route["properties"]["eta_s"] > 0
    _open_panel(page, tap)
    assert "min" in page.locator("#route-info").inner_text()
    area = page.locator("#service-area")
    area.tap() if tap else area.click()
    page.wait_for_function(
        "() => OneMap.Roads.drawn().area && OneMap.Roads.drawn().area.features.length === 3",
        timeout=60_000,
    )
    assert page.evaluate("() => !document.getElementById('closures-block').hidden")
    assert_clean(watch)


def test_a_street_name_shows_on_hover(live_server, desktop_page):
    page = desktop_page
    watch = open_map(page, live_server)
    roads = _streets_in_view(page)
    named = next(r for r in roads if r["class"] == "arterial" and r.get("name"))
    # hover the middle of a drawn arterial: its name appears (no glyphs needed)
    at = page.evaluate(
        """(name) => { const f = OneMap.map.queryRenderedFeatures({layers: ['st-roads']})
             .find(f => f.properties.name === name);
           const c = f.geometry.coordinates; const mid = c[Math.floor(c.length / 2)];
           const a = c[0], b = c[c.length - 1];
           const at = c.length > 2 ? mid : [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
           return OneMap.map.project(at); }""",
        named["name"],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    page.wait_for_selector(".road-tip", timeout=10_000)
    tip = page.locator(".road-tip").inner_text()
    names = {r.get("name") for r in _streets_in_view(page)}
    assert tip in names
    assert_clean(watch)

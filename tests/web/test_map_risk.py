"""The map page's four-colour risk layer in headless Chromium: toggled on, its tiles load from
/analysis/risk-map/tiles, cells are drawn in their class colours, the legend has the 4 classes,
and a cell's popup explains its score."""

from __future__ import annotations

import pytest

from tests.web.test_map_browser import INCIDENT, assert_clean, open_map, wait_idle

pytestmark = pytest.mark.browser


def test_risk_layer_draws_cells_with_legend(live_server, desktop_page):
    page = desktop_page
    tiles: list[int] = []
    page.on(
        "response",
        lambda r: tiles.append(r.status) if "/analysis/risk-map/tiles/" in r.url else None,
    )
    watch = open_map(page, live_server)
    assert page.evaluate("() => document.getElementById('risk-block').hidden") is False
    if not page.evaluate("() => document.body.classList.contains('panel-open')"):
        page.locator("#panel-toggle").click()
        page.wait_for_timeout(300)
    page.locator("#risk-toggle").check()
    page.evaluate(f"() => OneMap.map.jumpTo({{center: [{INCIDENT[0]}, {INCIDENT[1]}], zoom: 10}})")
    page.wait_for_function(
        "() => OneMap.map.queryRenderedFeatures({layers: ['risk-fill']}).length > 0",
        timeout=60_000,
    )
    wait_idle(page)
    cells = page.evaluate(
        "() => OneMap.map.queryRenderedFeatures({layers: ['risk-fill']}).map(f => f.properties)"
    )
    assert {c["risk_class"] for c in cells} <= {"red", "orange", "yellow", "blue"}
    assert all(c["score"] == c["likelihood"] * c["consequence"] for c in cells)
    assert tiles and all(s == 200 for s in tiles)
    legend = page.locator("#risk-legend span").all_inner_texts()
    assert [x.strip() for x in legend] == ["重大风险", "较大风险", "一般风险", "低风险"]
    # a click on a cell opens a popup that names its class and score = L × C
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".maplibregl-popup-content", timeout=10_000)
    text = page.locator(".maplibregl-popup-content").first.inner_text()
    assert "×" in text
    assert_clean(watch)

"""The map page's "shelter coverage" view in real headless Chromium on the demo city (with its
synthetic population grid): covered/uncovered shading drawn, totals shown, no console errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.web.test_map_browser import assert_clean, open_map, wait_idle

pytestmark = pytest.mark.browser


def test_shelter_coverage_view(live_server, desktop_page):
    page = desktop_page
    watch = open_map(page, live_server)
    page.select_option("#region-select", "440802")
    page.wait_for_timeout(500)
    page.locator("#shelter-run").click()
    page.wait_for_function("() => OneMap.Shelters.last() !== null", timeout=60_000)
    wait_idle(page)
    totals = page.evaluate("() => OneMap.Shelters.last().totals")
    assert totals["population"] == 400_100  # 赤坎区's published total, all its cells
    grid = Path(__file__).resolve().parents[2] / "gis_onemap/data/demo/population.geojson"
    pops = [f["properties"]["population"] for f in json.loads(grid.read_text())["features"]
            if f["properties"]["region_code"] == "440802"]  # fmt: skip
    assert totals["demand"] == int(np.round(np.array(pops) * 0.3).sum())  # central share 0.3
    shades = page.evaluate(
        "() => OneMap.map.queryRenderedFeatures({layers: ['shelter-cells-fill']})"
        ".map(f => f.properties.share)"
    )
    assert shades, "no coverage cells drawn"
    note = page.locator("#shelter-note").inner_text()
    assert f"{totals['covered']:,}" in note
    page.locator("#shelter-clear").click()
    assert page.evaluate("() => OneMap.Shelters.last()") is None
    assert_clean(watch)

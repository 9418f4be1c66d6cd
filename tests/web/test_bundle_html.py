"""The offline bundle's ``map.html`` (issue 16) opens in headless Chromium with the network
blocked and draws every feature of the bundle (here, beside the other browser tests: one
Playwright instance per test process)."""

from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import create_engine, pool

from gis_onemap.bundle.build import BundleRequest, build_bundle
from gis_onemap.categories import CATEGORIES
from gis_onemap.settings import Settings
from tests.conftest import rolled_back_session
from tests.printing.test_print import count_in_bbox
from tests.web.helpers import watch_page

BBOX = "110.35,21.25,110.40,21.29"


@pytest.mark.browser
def test_bundle_html_draws_with_the_network_blocked(browser, web_database_url, tmp_path):
    engine = create_engine(web_database_url, poolclass=pool.NullPool)
    out = tmp_path / "area.zip"
    with rolled_back_session(engine) as session:
        build_bundle(
            session, Settings(database_url=web_database_url), BundleRequest(bbox=BBOX), out
        )
        features = sum(count_in_bbox(session, c.id, BBOX) for c in CATEGORIES)
    engine.dispose()
    with zipfile.ZipFile(out) as zf:
        zf.extract("map.html", tmp_path)
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    page = ctx.new_page()
    watch = watch_page(page)
    page.goto((tmp_path / "map.html").as_uri())
    page.wait_for_selector(".leaflet-overlay-pane path", state="attached")
    drawn = page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")
    ctx.close()
    assert watch.blocked == [] and watch.failed == [] and watch.console_errors == []
    # each feature is one SVG path (points are circle markers), plus the area and the districts
    assert drawn >= features > 0

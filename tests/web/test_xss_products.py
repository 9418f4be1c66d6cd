"""Stored XSS (issue #10, finding 4): feature names that are script in HTML, JS strings or
template literals are shown literally by every HTML product and the map page, and run nothing.

Real uvicorn on its own committed database, real headless Chromium: a dialog, a console error
(a CSP violation is one) or a missing literal name fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database
from tests.live_server import live_server as run_live_server
from tests.web.helpers import watch_page

LON, LAT = 110.36, 21.27
PAYLOADS = (
    "${alert(document.domain)}",
    "`);alert(1);//",
    "${'x'}",
    "</script><script>alert(2)</script>\\",
)


@pytest.fixture(scope="module")
def xss_server(test_database_url: str) -> Iterator[tuple[str, int]]:
    """A live server on ``<test db>_xss``: shelters and protected targets named by the payloads
    around (LON, LAT), written through the API (committed), and one incident there."""
    url = fresh_database(test_database_url, "xss")
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    eng = create_engine(url)
    with eng.begin() as conn:  # writes need an editor's token
        auth = {"Authorization": f"Bearer {create_token(conn, 'xss-editor', Role.editor)}"}
    eng.dispose()
    with run_live_server(Settings(database_url=url)) as base:
        for i, evil in enumerate(PAYLOADS):
            for cid, props in (
                ("shelters", {"shelter_type": "emergency", "capacity": 100}),
                ("protected_targets", {"target_type": "school", "population": 50}),
            ):
                dx = 0.002 * (i + 1) * (1 if cid == "shelters" else -1)
                r = httpx.post(
                    f"{base}/collections/{cid}/items",
                    headers=auth,
                    json={
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [LON + dx, LAT]},
                        "properties": {"name": evil, **props},
                    },
                )
                assert r.status_code == 201, r.text
        r = httpx.post(
            f"{base}/incidents",
            headers=auth,
            json={"lon": LON, "lat": LAT, "event_category": "accident",
                  "event_type": "hazardous_chemicals", "severity": "III"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        yield base, r.json()["id"]


def _popup_texts(page: Any) -> list[str]:
    """Open the popup of every point of the folium map, one after the other; their texts."""
    return page.evaluate(
        """() => {
          const map = Object.keys(window).map(k => window[k])
            .find(v => window.L && v instanceof L.Map);
          const texts = [];
          map.eachLayer(l => {
            if (l instanceof L.CircleMarker && l.getPopup()) {
              l.openPopup();
              // the DOM the popup really shows (built by the page's own code)
              const el = l.getPopup().getElement().querySelector('.leaflet-popup-content');
              texts.push(el.textContent);
              l.closePopup();
            }
          });
          return texts;
        }"""
    )


def _open_product(browser: Any, url: str, response: httpx.Response | None = None) -> list[str]:
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    watch = watch_page(page)
    if response is not None:  # a POST product: the browser gets the server's own answer
        page.route(
            url,
            lambda r: r.fulfill(
                status=response.status_code, headers=dict(response.headers), body=response.content
            ),
        )
    page.goto(url)
    page.wait_for_selector(".leaflet-map-pane", state="attached")
    page.wait_for_timeout(300)
    texts = _popup_texts(page)
    page.wait_for_timeout(200)
    ctx.close()
    assert dialogs == [], dialogs
    assert watch.console_errors == [], watch.console_errors
    assert watch.blocked == [], watch.blocked
    return texts


def _assert_every_name_shown(texts: list[str], expected: int) -> None:
    assert len(texts) == expected * len(PAYLOADS), texts
    for evil in PAYLOADS:
        shown = [t for t in texts if t.startswith(evil)]  # the title, then the table
        assert len(shown) == expected, (evil, texts)
        assert all(f"名称{evil}" in t for t in shown)  # and the name row (名称), literally


@pytest.mark.browser
def test_incident_surroundings_map_shows_names_literally(browser, xss_server):
    base, incident = xss_server
    url = f"{base}/incidents/{incident}/surroundings/map?radius_m=3000"
    r = httpx.get(url)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"].startswith("'sha256-")  # only the product's own scripts
    assert "'unsafe-inline'" not in directives["script-src"]
    _assert_every_name_shown(_open_product(browser, url), 2)


@pytest.mark.browser
def test_analysis_surroundings_map_shows_names_literally(browser, xss_server):
    base, _ = xss_server
    url = f"{base}/analysis/surroundings/map?lon={LON}&lat={LAT}&radius_m=3000"
    _assert_every_name_shown(_open_product(browser, url), 2)


@pytest.mark.browser
def test_buffer_map_shows_names_literally(browser, xss_server):
    base, _ = xss_server
    url = f"{base}/analysis/buffer/map"
    body = {
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "distances_m": [1000, 3000],
        "intersect": ["shelters", "protected_targets"],
    }
    r = httpx.post(url, json=body)
    assert r.status_code == 200, r.text
    _assert_every_name_shown(_open_product(browser, url, r), 2)


@pytest.mark.browser
def test_map_page_search_and_popup_show_names_literally(browser, xss_server):
    """The /map page under its CSP: search results list and feature popup, names as text."""
    base, _ = xss_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    watch = watch_page(page)
    page.goto(f"{base}/map")
    try:
        page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
    except Exception:
        raise AssertionError(watch) from None
    page.fill("#search-input", "alert")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results ul.results a", state="attached")
    listed = page.eval_on_selector_all("#search-results a", "els => els.map(e => e.textContent)")
    for evil in PAYLOADS[:2] + PAYLOADS[3:]:  # the names with "alert" in them
        assert evil in listed, (evil, listed)
    page.click("#search-results a >> nth=0")
    page.wait_for_selector(".maplibregl-popup .popup h3", state="attached")
    title = page.text_content(".maplibregl-popup .popup h3")
    assert title in PAYLOADS
    page.wait_for_timeout(300)
    ctx.close()
    assert dialogs == [], dialogs
    assert watch.console_errors == [], watch.console_errors


@pytest.mark.browser
def test_api_docs_page_runs_under_its_csp(browser, xss_server):
    """``/api.html`` (Swagger UI, an inline start-up script) renders under the HTML policy: its
    own script is allowed by hash, and the policy still refuses every other inline script."""
    base, _ = xss_server
    r = httpx.get(f"{base}/api.html")
    script_src = next(
        d for d in r.headers["content-security-policy"].split(";") if "script-src" in d
    )
    assert "'sha256-" in script_src and "unsafe-inline" not in script_src
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    page = ctx.new_page()
    watch = watch_page(page)
    page.goto(f"{base}/api.html")
    page.wait_for_selector(".swagger-ui .info .title", state="attached", timeout=60_000)
    assert "gis_onemap" in page.text_content(".swagger-ui .info .title")
    page.wait_for_timeout(300)
    ctx.close()
    assert watch.console_errors == [], watch.console_errors
    assert watch.blocked == [], watch.blocked

"""folium products as standalone HTML: nothing fetched from the network, opened in Chromium."""

from __future__ import annotations

import re

import folium
import folium.plugins
import httpx
import pytest

from gis_onemap.maps import OfflineAssetError, add_offline_basemap, offline_html
from gis_onemap.maps.offline import VENDOR_DIR, inline_css_urls, prefer_woff2
from tests.web.helpers import watch_page

REMOTE_REF = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', re.I)
REMOTE_CSS = re.compile(r"url\(\s*['\"]?(?:https?:)?//", re.I)


def sample_map(tiles: str | None = "OpenStreetMap") -> folium.Map:
    """A product-like map: base layer, glyphicon/fa/default markers, a cluster, a heat map."""
    m = folium.Map(location=[21.27, 110.36], zoom_start=11, tiles=tiles)
    add_offline_basemap(m)
    folium.Marker([21.27, 110.36], icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
    folium.Marker([21.28, 110.37], icon=folium.Icon(prefix="fa", icon="fire", angle=30)).add_to(m)
    folium.Marker([21.26, 110.35], popup="默认图标 default icon").add_to(m)
    cluster = folium.plugins.MarkerCluster().add_to(m)
    for i in range(5):
        folium.Marker([21.2 + i * 0.01, 110.3]).add_to(cluster)
    folium.plugins.HeatMap([[21.27, 110.36, 1.0], [21.28, 110.37, 0.5]]).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.Circle([21.27, 110.36], radius=1000, color="#d7191c").add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_offline_html_references_nothing_remote():
    html = offline_html(sample_map())
    assert not REMOTE_REF.search(html)
    assert not REMOTE_CSS.search(html)
    assert "tile.openstreetmap.org" not in html  # the network tile layer was dropped
    # the libraries are really inside: Leaflet, jQuery, Bootstrap, the fonts as data URIs
    assert "L.Map" in html or "Leaflet" in html
    assert "jQuery" in html
    assert "data:font/woff2;base64," in html
    assert html.count("<script>") >= 6


def test_offline_html_leaves_the_map_unchanged():
    m = sample_map()
    before = {k: type(v).__name__ for k, v in m._children.items()}
    offline_html(m)
    assert {k: type(v).__name__ for k, v in m._children.items()} == before
    assert "max_zoom" not in m.options


def test_external_tiles_error_or_keep():
    with pytest.raises(OfflineAssetError, match="tiles=None"):
        offline_html(sample_map(), external_tiles="error")
    kept = offline_html(sample_map(), external_tiles="keep")
    assert "tile.openstreetmap.org" in kept


def test_unknown_cdn_asset_is_an_error_not_a_silent_fetch():
    m = folium.Map(tiles=None)
    folium.plugins.Draw().add_to(m)  # leaflet.draw: no local copy
    with pytest.raises(OfflineAssetError, match=r"leaflet\.draw"):
        offline_html(m)


def test_prefer_woff2_and_inline_urls(tmp_path):
    (tmp_path / "f.woff2").write_bytes(b"wOF2fake")
    css = (
        "@font-face{font-family:z;src:url(f.eot);"
        "src:url(f.eot?#iefix) format('eot'),url(f.woff2) format('woff2')}"
    )
    out = inline_css_urls(prefer_woff2(css), tmp_path)
    assert (
        out
        == '@font-face{font-family:z;src:url(data:font/woff2;base64,d09GMmZha2U=) format("woff2");}'
    )
    with pytest.raises(OfflineAssetError, match=r"missing\.png"):
        inline_css_urls(".a{background:url(missing.png)}", tmp_path)


def test_vendor_folder_is_installed():
    assert (VENDOR_DIR / "leaflet" / "dist" / "leaflet.js").is_file()
    assert (VENDOR_DIR / "maplibre-gl" / "dist" / "maplibre-gl.js").is_file()


def _check_leaflet_page(page, watch) -> dict:
    page.wait_for_selector(".leaflet-map-pane", state="attached")
    page.wait_for_timeout(300)
    assert watch.blocked == [], watch.blocked
    assert watch.console_errors == [], watch.console_errors
    assert watch.failed == [], watch.failed
    state = page.evaluate(
        """() => ({
          panes: document.querySelectorAll('.leaflet-map-pane').length,
          markers: document.querySelectorAll('.leaflet-marker-pane > *').length,
          paths: document.querySelectorAll('path.leaflet-interactive').length,
          glyph: getComputedStyle(document.querySelector('.glyphicon') || document.body).fontFamily,
          images: [...document.querySelectorAll('img.leaflet-marker-icon')]
            .every(i => i.complete && i.naturalWidth > 0),
        })"""
    )
    assert state["panes"] == 1
    assert state["markers"] + state["paths"] >= 3
    assert state["images"]  # marker images are data URIs that decode
    return state


@pytest.mark.browser
def test_folium_product_file_renders_with_the_network_blocked(browser, tmp_path):
    path = tmp_path / "product.html"
    path.write_text(offline_html(sample_map()), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    page = ctx.new_page()
    watch = watch_page(page)
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-marker-pane > *", state="attached")
    state = _check_leaflet_page(page, watch)
    assert state["markers"] >= 3  # awesome markers, default markers, clusters
    assert state["paths"] >= 2  # district outlines, circle
    assert "Glyphicons Halflings" in page.evaluate(
        "() => getComputedStyle(document.querySelector('.glyphicon')).fontFamily"
    )
    assert page.evaluate("() => document.fonts.check('12px \"Glyphicons Halflings\"')")
    ctx.close()


@pytest.mark.browser
def test_api_map_product_renders_with_the_network_blocked(browser, live_server):
    """A product served by the API (GET /analysis/surroundings/map) opens with no other host."""
    url = f"{live_server}/analysis/surroundings/map?lon=110.36&lat=21.27&radius_m=3000"
    assert httpx.get(url).status_code == 200
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    page = ctx.new_page()
    watch = watch_page(page)
    page.goto(url)
    _check_leaflet_page(page, watch)
    ctx.close()

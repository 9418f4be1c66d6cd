"""Standalone offline HTML for folium maps: CDN scripts and stylesheets inlined from local files."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import folium

from gis_onemap.settings import DEMO_DATA_DIR

log = logging.getLogger(__name__)

#: Where ``gis_onemap/web/build.sh`` copies the npm packages' dist files (git-ignored).
VENDOR_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor"
#: folium's own package folder: it ships Leaflet.heat locally.
FOLIUM_TEMPLATES = Path(folium.__file__).resolve().parent / "templates"
#: The demo city's districts (WGS84), drawn as the offline base layer of products.
DISTRICTS_GEOJSON = DEMO_DATA_DIR / "districts.geojson"


class OfflineAssetError(RuntimeError):
    """A folium map references a script or stylesheet that has no local copy."""


def _rotate_css() -> str:
    """Folium's ``leaflet.awesome.rotate.css``: one ``.fa-rotate-N`` class per degree.

    Generated rather than vendored: folium does not ship the file in its wheel (it is fetched from
    a CDN), and it is 360 one-line rules.
    """
    return "".join(
        f".fa-rotate-{d}{{-webkit-transform:rotate({d}deg);transform:rotate({d}deg);}}"
        for d in range(360)
    )


# (URL pattern, local file under VENDOR_DIR | callable producing the text). Patterns match the
# URLs that folium 0.17-0.20 and its common plugins put in ``default_js`` / ``default_css``.
_Source = str | Path | Callable[[], str]
_ASSETS: list[tuple[re.Pattern[str], _Source]] = [
    (re.compile(r"/leaflet@1\.[\d.]+/dist/leaflet\.js$"), "leaflet/dist/leaflet.js"),
    (re.compile(r"/leaflet@1\.[\d.]+/dist/leaflet\.css$"), "leaflet/dist/leaflet.css"),
    (re.compile(r"jquery[-/]3\.[\d.]+(/jquery)?\.min\.js$"), "jquery/dist/jquery.min.js"),
    (
        re.compile(r"bootstrap@5\.[\d.]+/dist/js/bootstrap\.bundle\.min\.js$"),
        "bootstrap/dist/js/bootstrap.bundle.min.js",
    ),
    (
        re.compile(r"bootstrap@5\.[\d.]+/dist/css/bootstrap\.min\.css$"),
        "bootstrap/dist/css/bootstrap.min.css",
    ),
    (
        re.compile(r"bootstrap/3\.[\d.]+/css/bootstrap-glyphicons(\.min)?\.css$"),
        "glyphicons-only-bootstrap/css/bootstrap.min.css",
    ),
    (
        re.compile(r"fontawesome-free@6\.[\d.]+/css/all(\.min)?\.css$"),
        "@fortawesome/fontawesome-free/css/all.min.css",
    ),
    (
        re.compile(r"Leaflet\.awesome-markers/2\.[\d.]+/leaflet\.awesome-markers(\.min)?\.js$"),
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    ),
    (
        re.compile(r"Leaflet\.awesome-markers/2\.[\d.]+/leaflet\.awesome-markers\.css$"),
        "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    ),
    (re.compile(r"leaflet\.awesome\.rotate(\.min)?\.css$"), _rotate_css),
    (
        re.compile(r"leaflet\.markercluster/1\.[\d.]+/leaflet\.markercluster\.js$"),
        "leaflet.markercluster/dist/leaflet.markercluster.js",
    ),
    (
        re.compile(r"leaflet\.markercluster/1\.[\d.]+/MarkerCluster\.css$"),
        "leaflet.markercluster/dist/MarkerCluster.css",
    ),
    (
        re.compile(r"leaflet\.markercluster/1\.[\d.]+/MarkerCluster\.Default\.css$"),
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
    ),
    (
        re.compile(r"leaflet\.fullscreen@3\.[\d.]+/Control\.FullScreen(\.min)?\.js$"),
        "leaflet.fullscreen/Control.FullScreen.js",
    ),
    (
        re.compile(r"leaflet\.fullscreen@3\.[\d.]+/Control\.FullScreen\.css$"),
        "leaflet.fullscreen/Control.FullScreen.css",
    ),
    (
        re.compile(
            r"(Leaflet\.heat/dist/leaflet-heat\.js|folium/templates/leaflet_heat\.min\.js)$"
        ),
        FOLIUM_TEMPLATES / "leaflet_heat.min.js",
    ),
]

_SCRIPT_TAG = re.compile(r"<script\s+src=\"(?P<url>[^\"]+)\"\s*>\s*</script>", re.IGNORECASE)
_LINK_TAG = re.compile(
    r"<link\s+rel=\"stylesheet\"\s+href=\"(?P<url>[^\"]+)\"\s*/?>", re.IGNORECASE
)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?P<ref>[^'\")]+)\1\s*\)")
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_SRC_DECL = re.compile(r"src\s*:[^;}]*;?")
_FONT_MIME = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
}


def is_remote_url(url: str) -> bool:
    """Whether a browser would fetch ``url`` from another host than the page's own.

    Examples
    --------
    >>> is_remote_url("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    True
    >>> is_remote_url("//tile.openstreetmap.org/{z}/{x}/{y}.png")
    True
    >>> is_remote_url("/tiles/basemap/{z}/{x}/{y}.png"), is_remote_url("data:image/png;base64,AA")
    (False, False)
    """
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


def prefer_woff2(css: str) -> str:
    """Keep only the WOFF2 source of each ``@font-face`` that has one.

    Every current browser reads WOFF2; inlining the EOT/TTF/SVG fallbacks as well would triple the
    file.

    Examples
    --------
    >>> prefer_woff2("@font-face{font-family:x;src:url(a.eot);src:url(a.woff2) format('woff2'),"
    ...              "url(a.ttf) format('truetype')}")
    '@font-face{font-family:x;src:url(a.woff2) format("woff2");}'
    >>> prefer_woff2("@font-face{font-family:y;src:url(b.ttf)}")
    '@font-face{font-family:y;src:url(b.ttf)}'
    """

    def one(block: re.Match[str]) -> str:
        text = block.group(0)
        woff2 = [m.group("ref") for m in _CSS_URL.finditer(text) if ".woff2" in m.group("ref")]
        if not woff2:
            return text
        text = _SRC_DECL.sub("", text).rstrip("}").rstrip(";")
        return f'{text};src:url({woff2[0]}) format("woff2");}}'

    return _FONT_FACE.sub(one, css)


def _data_uri(path: Path) -> str:
    mime = _FONT_MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return f"data:{mime or 'application/octet-stream'};base64," + base64.b64encode(
        path.read_bytes()
    ).decode("ascii")


def inline_css_urls(css: str, base: Path) -> str:
    """Replace each relative ``url(...)`` of a stylesheet by a data URI of the file it names.

    Data URIs, fragment references (``#default#VML``) and absolute URLs are left alone; a query or
    fragment suffix (``font.eot?#iefix``) is ignored when looking the file up.
    """

    def one(m: re.Match[str]) -> str:
        ref = m.group("ref").strip()
        if ref.startswith(("data:", "#")) or is_remote_url(ref):
            return m.group(0)
        path = (base / re.split(r"[?#]", ref)[0]).resolve()
        if not path.is_file():
            raise OfflineAssetError(f"stylesheet references {ref!r}, not found at {path}")
        return f"url({_data_uri(path)})"

    return _CSS_URL.sub(one, css)


def _local_file(rel: str | Path) -> Path:
    path = rel if isinstance(rel, Path) else VENDOR_DIR / rel
    if not path.is_file():
        raise OfflineAssetError(
            f"missing local asset {path}: run `bash scripts/install_web_assets.sh` "
            "(npm packages of gis_onemap/web copied to gis_onemap/web/static/vendor)"
        )
    return path


def _lookup(url: str) -> _Source:
    for pattern, source in _ASSETS:
        if pattern.search(url):
            return source
    raise OfflineAssetError(
        f"no local copy of {url}: add its npm package to gis_onemap/web/package.json and "
        "build.sh, and a pattern to gis_onemap.maps.offline._ASSETS"
    )


@lru_cache(maxsize=64)
def local_script(url: str) -> str:
    """The text of the local copy of a CDN script ``url`` (cached)."""
    source = _lookup(url)
    if callable(source):
        return source()
    return _local_file(source).read_text(encoding="utf-8")


@lru_cache(maxsize=64)
def local_stylesheet(url: str) -> str:
    """The text of the local copy of a CDN stylesheet ``url``, its fonts/images as data URIs."""
    source = _lookup(url)
    if callable(source):
        return source()
    path = _local_file(source)
    return inline_css_urls(prefer_woff2(path.read_text(encoding="utf-8")), path.parent)


@lru_cache(maxsize=1)
def _leaflet_default_icon_js() -> str:
    """Point Leaflet's default marker icon at data URIs.

    Leaflet finds its marker images by reading the path of a CSS background image and appending
    ``marker-icon.png``; with the stylesheet inlined there is no path, so set the URLs directly.
    """
    images = _local_file("leaflet/dist/leaflet.js").parent / "images"
    urls = {
        "iconUrl": _data_uri(images / "marker-icon.png"),
        "iconRetinaUrl": _data_uri(images / "marker-icon-2x.png"),
        "shadowUrl": _data_uri(images / "marker-shadow.png"),
    }
    return (
        "if (window.L && L.Icon && L.Icon.Default) {L.Icon.Default.imagePath = '';"
        f"L.Icon.Default.mergeOptions({json.dumps(urls)});}}"
    )


def _script_tag(js: str) -> str:
    # "</script" inside the code would end the element early; "<\/" means the same in JS.
    return "<script>" + js.replace("</script", "<\\/script") + "</script>"


@contextmanager
def _without_remote_tiles(m: folium.Map, external_tiles: str) -> Iterator[None]:
    """Temporarily detach tile layers fetched from other hosts (restored afterwards).

    A map with no tile layer has no maximum zoom, which MarkerCluster and fitBounds need: give it
    one for the rendering (Leaflet otherwise takes it from the tile layers).
    """
    removed: dict[str, Any] = {}
    added_max_zoom = False
    for name, child in list(m._children.items()):
        if isinstance(child, folium.TileLayer) and is_remote_url(str(child.tiles)):
            if external_tiles == "error":
                raise OfflineAssetError(
                    f"tile layer {child.tiles!r} is fetched from the network: create the map "
                    "with tiles=None and add_offline_basemap(m)"
                )
            if external_tiles == "drop":
                log.warning("offline_html: dropping network tile layer %s", child.tiles)
                removed[name] = m._children.pop(name)
    has_tiles = any(isinstance(c, folium.TileLayer) for c in m._children.values())
    if not has_tiles and "max_zoom" not in m.options:
        m.options["max_zoom"] = 18
        added_max_zoom = True
    try:
        yield
    finally:
        m._children.update(removed)
        if added_max_zoom:
            del m.options["max_zoom"]


def offline_html(
    m: folium.Map,
    *,
    external_tiles: Literal["drop", "error", "keep"] = "drop",
    title: str | None = None,
) -> str:
    """Render a folium map as one standalone HTML file that opens with no network.

    Every ``<script src>`` and stylesheet ``<link>`` that folium (or one of the supported plugins:
    MarkerCluster, Fullscreen, HeatMap) points at a CDN is replaced by the inline text of the
    copy installed from npm (``gis_onemap/web/static/vendor``, see ``gis_onemap/web/build.sh``)
    or shipped in the folium wheel; fonts and images inside stylesheets become data URIs.

    Parameters
    ----------
    m
        The map. Build it with ``tiles=None`` and :func:`add_offline_basemap` for a base layer.
    external_tiles
        What to do with tile layers fetched from the internet (folium's default OpenStreetMap):
        ``"drop"`` (default; logged), ``"error"``, or ``"keep"`` (e.g. an intranet tile server).
    title
        Optional ``<title>`` of the page.

    Returns
    -------
    str
        The HTML document (about 1 MB: Leaflet, jQuery, Bootstrap and Font Awesome inline).

    Raises
    ------
    OfflineAssetError
        A referenced script/stylesheet has no local copy, or the vendor folder is not installed.
    """
    with _without_remote_tiles(m, external_tiles):
        html = m.get_root().render()
        tile_origins = _tile_origins(m)

    def script(match: re.Match[str]) -> str:
        url = match.group("url")
        if not is_remote_url(url):
            return match.group(0)
        tag = _script_tag(local_script(url))
        if re.search(r"/leaflet@[\d.]+/dist/leaflet\.js$", url):
            tag += _script_tag(_leaflet_default_icon_js())
        return tag

    def link(match: re.Match[str]) -> str:
        url = match.group("url")
        if not is_remote_url(url):
            return match.group(0)
        return "<style>" + local_stylesheet(url).replace("</style", "<\\/style") + "</style>"

    html = _LINK_TAG.sub(link, _SCRIPT_TAG.sub(script, html))
    # an empty icon: served over HTTP, a page without one makes the browser ask for /favicon.ico
    html = html.replace("<head>", '<head><link rel="icon" href="data:,">', 1)
    if title:
        html = html.replace("<head>", f"<head><title>{_escape(title)}</title>", 1)
    # first in <head>: the policy binds every script after it, also when the file is opened from
    # disk; gis_onemap.api.security.html_product_response copies it into the HTTP header
    csp = _escape(product_csp(html, tile_origins)).replace('"', "&quot;")
    html = html.replace(
        "<head>", f'<head><meta http-equiv="Content-Security-Policy" content="{csp}">', 1
    )
    return html


_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.I | re.S)
_DATA_TYPE = re.compile(r"\btype\s*=\s*[\"']?application/(ld\+)?json", re.I)


def script_hashes(html: str) -> list[str]:
    """CSP sources (``'sha256-...'``) of every inline script of a document, in order, once each.

    Data blocks (``type="application/json"``) are not run, so they need no hash.

    >>> script_hashes('<script>alert(1)</script><script type="application/json">{}</script>')
    ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
    """
    out: list[str] = []
    for m in _INLINE_SCRIPT.finditer(html):
        if "src=" in m.group("attrs").lower() or _DATA_TYPE.search(m.group("attrs")):
            continue
        digest = hashlib.sha256(m.group("body").encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if source not in out:
            out.append(source)
    return out


def product_csp(html: str, img_origins: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of a standalone product.

    Only its own inline scripts run (by hash: an injected script has no hash), nothing is fetched
    but ``data:`` images and fonts (plus the origins of tile layers kept on purpose); inline styles
    are allowed, since Leaflet and the products' panels style elements inline.
    """
    scripts = " ".join(script_hashes(html)) or "'none'"
    imgs = " ".join(["data:", *sorted(set(img_origins))])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src {imgs}; "
        "font-src data:; connect-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )


def _tile_origins(m: folium.Map) -> list[str]:
    out = []
    for child in m._children.values():
        if isinstance(child, folium.TileLayer) and is_remote_url(str(child.tiles)):
            parts = urlsplit(str(child.tiles).strip())
            out.append(f"{parts.scheme or 'https'}://{parts.netloc}")
    return out


def _escape(text: str) -> str:
    """HTML-escape text for an element's content.

    >>> _escape("<a & b>")
    '&lt;a &amp; b&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def save_offline_html(m: folium.Map, path: str | Path, **kwargs: object) -> Path:
    """Write :func:`offline_html` of ``m`` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(offline_html(m, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return out


def add_offline_basemap(
    m: folium.Map, path: str | Path | None = None, *, name: str = "行政区划 Districts"
) -> folium.GeoJson | None:
    """Add the demo city's district boundaries (shipped GeoJSON, WGS84) as a light base layer.

    The boundaries are embedded in the HTML, so they draw without any tile server. Returns the
    layer, or None when the file is absent (a deployment without the demo data).
    """
    src = Path(path) if path is not None else DISTRICTS_GEOJSON
    if not src.is_file():
        return None
    data = json.loads(src.read_text(encoding="utf-8"))
    fields = [k for k in ("name", "region_code") if k in data["features"][0]["properties"]]
    layer = folium.GeoJson(
        data,
        name=name,
        style_function=lambda f: {
            "color": "#5b6b7a",
            "weight": 2.5 if f["properties"].get("level") == "municipal" else 1.2,
            "fillColor": "#eef1ea",
            "fillOpacity": 0.0 if f["properties"].get("level") == "municipal" else 0.35,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
        control=True,
        overlay=False,
    )
    layer.add_to(m)
    return layer

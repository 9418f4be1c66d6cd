"""``/map``: the one map page, its static assets (cached a year, pre-compressed) and base map."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import mimetypes
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import brotli
import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gis_onemap.api.routers.streets import streets_config
from gis_onemap.categories import CATEGORIES, Category
from gis_onemap.categories.events import EVENT_CATEGORIES, EVENT_TYPES
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.settings import Settings
from gis_onemap.web import basemap

router = APIRouter(tags=["Map page"])

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_DIR = WEB_DIR / "static"
#: Static assets are addressed by the digest of their content: cache them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
BASEMAP_CACHE = "public, max-age=86400"
_ASSET_REF = re.compile(r"\{\{asset:([A-Za-z0-9_./@-]+)\}\}")
_COMPRESSIBLE = (".js", ".css", ".json", ".svg", ".html", ".ttf", ".txt")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("font/woff2", ".woff2")


def _static_file(rel: str) -> Path:
    """The file ``rel`` under ``web/static``; :class:`NotFound` outside it or when absent."""
    path = (STATIC_DIR / rel).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        raise NotFound(f"no static asset '{rel}'")
    return path


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def asset_digest(rel: str) -> str:
    """The content digest of a static asset (16 hex digits), recomputed when the file changes."""
    path = _static_file(rel)
    return _digest(path, path.stat().st_mtime_ns)


def asset_url(rel: str) -> str:
    """The cache-busting URL of a static asset: ``/map/static/<digest>/<rel>``."""
    return f"/map/static/{asset_digest(rel)}/{rel}"


@lru_cache(maxsize=256)
def _encoded(path: Path, mtime_ns: int, encoding: str) -> bytes:
    """The file's bytes compressed once with ``encoding`` (``br``, ``gzip``) and kept in memory."""
    raw = path.read_bytes()
    if encoding == "br":
        return bytes(brotli.compress(raw, quality=9))
    return gzip.compress(raw, compresslevel=9, mtime=0)


def choose_encoding(accept_encoding: str, filename: str) -> str | None:
    """The best content encoding the client accepts for a file: ``br``, ``gzip`` or none.

    >>> choose_encoding("gzip, deflate, br", "maplibre-gl.js")
    'br'
    >>> choose_encoding("gzip, deflate", "app.css"), choose_encoding("br", "logo.png")
    ('gzip', None)
    >>> choose_encoding("br;q=0, gzip", "a.js")
    'gzip'
    """
    if not filename.endswith(_COMPRESSIBLE):
        return None
    accepted = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if params.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        accepted.add(name.strip())
    for enc in ("br", "gzip"):
        if enc in accepted:
            return enc
    return None


def _category_config(c: Category) -> dict[str, Any]:
    return {
        "id": c.id,
        "zh": c.zh,
        "en": c.en,
        "color": c.color,
        "geometry_types": list(c.geometry_types),
        "fields": [
            {
                "name": f.name,
                "zh": f.zh,
                "en": f.en,
                "type": f.type,
                "in_tiles": f.in_tiles,
                "choices": {ch.value: [ch.zh, ch.en] for ch in f.choices},
            }
            for f in c.public_fields
        ],
    }


def _has_router(name: str) -> bool:
    """Whether the optional router ``gis_onemap.api.routers.<name>`` exists.

    ``create_app`` includes every one that does.
    """
    return importlib.util.find_spec(f"gis_onemap.api.routers.{name}") is not None


def page_config(request: Request) -> dict[str, Any]:
    """What the page needs to know: categories, events, districts, endpoints, base maps."""
    settings: Settings = request.app.state.settings
    tiles = _has_router("tiles")
    analysis = _has_router("analysis")
    external = None
    if settings.basemap_url:
        external = {"url": settings.basemap_url, "crs": settings.basemap_crs.lower()}
    return {
        "categories": [_category_config(c) for c in CATEGORIES],
        "event_categories": [{"value": e.value, "zh": e.zh, "en": e.en} for e in EVENT_CATEGORIES],
        "event_types": [
            {"value": e.value, "category": e.category, "zh": e.zh, "en": e.en} for e in EVENT_TYPES
        ],
        "districts": [
            {"code": d.code, "name": d.name, "level": d.level, "bbox": d.bbox, "label": d.label}
            for d in basemap.districts()
        ],
        "tiles_url": "/tiles/WebMercatorQuad/{z}/{x}/{y}" if tiles else None,
        "cluster_below_zoom": settings.cluster_below_zoom,
        "surroundings_url": "/analysis/surroundings" if analysis else None,
        "buffer_url": "/analysis/buffer" if analysis else None,
        "gpkg_export": _has_router("io"),
        "basemap": {"tiles": "/map/basemap/{z}/{x}/{y}.mvt", "maxzoom": basemap.MAX_ZOOM},
        "external_basemap": external,
        "streets": streets_config(settings),
        "roads_api": _has_router("roads"),
    }


@lru_cache(maxsize=4)
def _template(mtime_ns: int) -> str:
    return (WEB_DIR / "map.html").read_text(encoding="utf-8")


def render_page(request: Request) -> str:
    """``map.html`` with asset URLs (digests) and the page configuration filled in."""
    src = WEB_DIR / "map.html"
    text = _ASSET_REF.sub(lambda m: asset_url(m.group(1)), _template(src.stat().st_mtime_ns))
    config = orjson.dumps(page_config(request)).decode()
    # script text is not HTML-decoded: "<" may only appear inside JSON strings, where \u003c
    # means the same and cannot close the element
    return text.replace("{{config}}", config.replace("<", "\\u003c"))


@router.get("/map", response_class=HTMLResponse, summary="The one map (应急一张图) page")
def map_page(request: Request) -> HTMLResponse:
    return HTMLResponse(
        render_page(request), headers={"Cache-Control": "no-cache", "Vary": "Accept-Language"}
    )


@router.get("/map/static/{digest}/{asset:path}", summary="A static asset of the map page")
async def static_asset(
    request: Request,
    digest: Annotated[str, PathParam(pattern=r"^[0-9a-f]{1,64}$")],
    asset: str,
) -> Response:
    path = _static_file(asset)
    mtime = path.stat().st_mtime_ns
    current = _digest(path, mtime)
    headers = {"ETag": f'"{current}"', "Vary": "Accept-Encoding"}
    # an old digest still gets the current file, but must not be cached for long
    headers["Cache-Control"] = IMMUTABLE if digest == current else "no-cache"
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    enc = choose_encoding(request.headers.get("accept-encoding", ""), path.name)
    if enc is None:
        body = await run_in_threadpool(path.read_bytes)
    else:
        body = await run_in_threadpool(_encoded, path, mtime, enc)
        headers["Content-Encoding"] = enc
    return Response(body, media_type=media, headers=headers)


@router.get("/map/basemap/{z}/{x}/{y}.mvt", summary="Offline base-map vector tile")
async def basemap_tile(
    z: Annotated[int, PathParam(ge=0, le=24)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)],
) -> Response:
    if not basemap.valid_tile(z, x, y):
        raise InvalidInput(f"tile {z}/{x}/{y} is outside the WebMercatorQuad grid")
    body = await run_in_threadpool(basemap.basemap_tile, z, x, y)
    return Response(
        body,
        media_type="application/vnd.mapbox-vector-tile",
        headers={"Cache-Control": BASEMAP_CACHE},
    )

"""OGC API – Tiles: vector (MVT) and PNG tiles, TileJSON, tilesets and tile matrix sets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from gis_onemap.api.deps import CategoryDep, SessionDep
from gis_onemap.api.links import base_url
from gis_onemap.api.params import Col, Row, Zoom
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.dbcontext import DbContext, check_region_codes
from gis_onemap.auth.deps import current_principal
from gis_onemap.categories import CATEGORIES, Category, get_category
from gis_onemap.errors import InvalidInput
from gis_onemap.limits import InputLimits
from gis_onemap.tiles import metadata
from gis_onemap.tiles.grid import TMS_ID, TileIndex, check_tile, check_tms
from gis_onemap.tiles.service import (
    CACHE_CONTROL,
    MVT_MEDIA_TYPE,
    PNG_MEDIA_TYPE,
    TileAnswer,
    TileFilters,
    TileService,
)
from gis_onemap.tiles.sources import TileBackend

router = APIRouter(tags=["Tiles"])
#: Conformance classes of this router (the app factory assembles every router's).
CONFORMANCE = metadata.TILES_CONFORMANCE


def get_tile_service(request: Request) -> TileService:
    """The app's tile service (its cache lives as long as the app; made by ``create_app``)."""
    return request.app.state.tile_service  # type: ignore[no-any-return]


def get_tile_backend(request: Request) -> TileBackend:
    """Where tiles are read: the app's pool and version reader (``create_app``'s lifespan).

    Tests override this dependency with a ``SessionBackend`` on their rolled-back session.
    """
    return request.app.state.tile_backend  # type: ignore[no-any-return]


TileServiceDep = Annotated[TileService, Depends(get_tile_service)]
TileBackendDep = Annotated[TileBackend, Depends(get_tile_backend)]
CollectionId = Annotated[str, Path(description="Collection id, e.g. 'shelters'")]
TmsId = Annotated[str, Path(description=f"Tile matrix set id: only '{TMS_ID}'")]
FilterParam = Annotated[
    str | None,
    Query(description="CQL2 filter, as on /items. Property filters (?name=value) work too."),
]
FilterLang = Annotated[str | None, Query(alias="filter-lang", description="cql2-text | cql2-json")]
DatetimeParam = Annotated[str | None, Query(description="Instant or interval on updated_at")]
CollectionsParam = Annotated[
    str | None,
    Query(description="Comma-separated collection ids (layers) to include; default all 8"),
]


def _doc_param(name: str, where: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": where, "required": False, "schema": {"type": "string"},
            "description": description}  # fmt: skip


#: Parameters the tile handlers read from the request themselves (fewer declared parameters
#: keep FastAPI's per-request work small on the cache-hit path), documented here instead.
IF_NONE_MATCH_DOC = _doc_param("If-None-Match", "header", "ETag of a copy the client holds")
FILTER_DOCS = [
    _doc_param("filter", "query", "CQL2 filter, as on /items; property filters (?name=value) too"),
    _doc_param("filter-lang", "query", "cql2-text | cql2-json"),
    _doc_param("datetime", "query", "Instant or interval on updated_at"),
]
COLLECTIONS_DOC = _doc_param(
    "collections", "query", "Comma-separated collection ids (layers) to include; default all 8"
)

PROPERTIES_DOC = (
    "Properties per feature: `id` and the category's tile fields (see the TileJSON "
    "`vector_layers[].fields`; never personal data). Below the cluster zoom "
    "(settings.cluster_below_zoom, default 12) points are aggregated on a 32×32 grid per tile: "
    "every point feature has `point_count`, `cluster`=true when it stands for several points "
    "(then it has no id nor other properties). Areas are never aggregated."
)


def _tile_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {}}, "description": "The tile"},
        204: {"description": "Empty tile: no feature lies in it"},
        304: {"description": "Not modified: the If-None-Match ETag is current"},
        400: {"description": "Bad zoom (not 0–22), non-integer index or bad filter"},
        404: {"description": "Unknown collection or tile matrix set, or x/y outside the grid"},
    }


def _send(answer: TileAnswer) -> Response:
    headers = {"ETag": answer.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    headers.update(answer.headers)
    if answer.status != 200:
        return Response(status_code=answer.status, headers=headers)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


async def _answer(
    request: Request,
    backend: TileBackend,
    categories: Sequence[Category],
    tile: TileIndex,
    filters: TileFilters,
    *,
    png: bool = False,
) -> Response:
    """Cache hits are answered on the event loop after a (shared) version query.

    Misses are rendered in a worker thread on the tiles' connection pool, with one query.
    """
    service = get_tile_service(request)
    headers = request.headers
    options: dict[str, Any] = {
        "png": png,
        "accept_gzip": _accepts_gzip(headers.get("accept-encoding")),
        "if_none_match": headers.get("if-none-match"),
    }
    context = await _read_scope(request)
    if context is not None:
        filters = replace(filters, scope=context.regions)
    versions = await backend.versions()
    hit = service.cached(versions, categories, tile, filters, **options)
    if hit is not None:
        return _send(hit)

    def render() -> TileAnswer:
        with backend.source(context) as source:
            return service.answer(source, categories, tile, filters, versions=versions, **options)

    return _send(await run_in_threadpool(render))


async def _read_scope(request: Request) -> DbContext | None:
    """The caller's region context when read scope limits its tiles, else ``None``.

    Tile handlers read the token themselves: no per-request work when read scope is off.
    """
    authorization = request.headers.get("authorization")
    if not request.app.state.settings.region_read_scope or not authorization:
        return None  # anonymous callers are never limited to regions
    principal = await current_principal(request, authorization)  # cached: no thread hop
    check_region_codes(principal.region_codes)
    context = DbContext.of(principal, read_scope=True)
    return context if context.scoped_reads else None


def _accepts_gzip(accept_encoding: str | None) -> bool:
    return bool(accept_encoding) and "gzip" in accept_encoding.lower()  # type: ignore[union-attr]


def _filters(request: Request, categories: Sequence[Category]) -> TileFilters:
    params = {k: v for k, v in request.query_params.items() if k != "collections"}
    limits = InputLimits.from_settings(request.app.state.settings)
    return TileFilters.from_params(params, categories, limits)


def _selected(collections: str | None) -> list[Category]:
    if not collections:
        return list(CATEGORIES)
    ids = [c.strip() for c in collections.split(",") if c.strip()]
    if not ids:
        raise InvalidInput("collections: give at least one collection id")
    chosen = {get_category(i).id for i in ids}
    return [c for c in CATEGORIES if c.id in chosen]  # always in the canonical order


def _query_suffix(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


# ---- tile matrix sets ------------------------------------------------------------------------
@router.get("/tileMatrixSets", summary="Tile matrix sets")
def tile_matrix_sets(request: Request) -> FastJSONResponse:
    return FastJSONResponse(metadata.tile_matrix_sets(base_url(request)))


@router.get("/tileMatrixSets/{tms_id}", summary="A tile matrix set definition (OGC 2D TMS)")
def tile_matrix_set(tms_id: TmsId) -> FastJSONResponse:
    check_tms(tms_id)
    return FastJSONResponse(metadata.tile_matrix_set())


# ---- all collections -------------------------------------------------------------------------
@router.get("/tiles", summary="Tilesets of all 8 collections together")
def dataset_tilesets(request: Request) -> FastJSONResponse:
    base = base_url(request)
    return FastJSONResponse(
        metadata.tilesets_list(
            base=base,
            title="应急一张图 / One map",
            root=f"{base}/tiles",
            raster_root=f"{base}/map/tiles",
        )
    )


@router.get("/tiles/{tms_id}", summary="Tileset metadata: all collections, one layer each")
def dataset_tileset(
    request: Request, session: SessionDep, tms_id: TmsId, collections: CollectionsParam = None
) -> FastJSONResponse:
    check_tms(tms_id)
    categories = _selected(collections)
    base = base_url(request)
    return FastJSONResponse(
        metadata.tileset(
            base=base,
            title="应急一张图 / One map",
            root=f"{base}/tiles",
            categories=categories,
            bounds=TileService.extent(session, categories),
            raster_root=f"{base}/map/tiles",
        )
    )


@router.get("/tiles/{tms_id}/tilejson.json", summary="TileJSON 3.0.0 of all collections")
def dataset_tilejson(
    request: Request,
    session: SessionDep,
    service: TileServiceDep,
    tms_id: TmsId,
    collections: CollectionsParam = None,
) -> FastJSONResponse:
    check_tms(tms_id)
    categories = _selected(collections)
    _filters(request, categories)
    base = base_url(request)
    return FastJSONResponse(
        metadata.tilejson(
            name="onemap",
            description="应急一张图: the 8 categories of emergency resources, one layer each",
            tiles_url=f"{base}/tiles/{TMS_ID}/{{z}}/{{x}}/{{y}}{_query_suffix(request)}",
            categories=categories,
            bounds=TileService.extent(session, categories),
            cluster_below_zoom=service.cluster_below_zoom,
        )
    )


@router.get(
    "/tiles/{tms_id}/{z}/{x}/{y}",
    summary="Vector tile (MVT) of all collections, one layer per collection id",
    description=PROPERTIES_DOC,
    response_class=Response,
    responses=_tile_responses(MVT_MEDIA_TYPE),
    openapi_extra={"parameters": [COLLECTIONS_DOC, IF_NONE_MATCH_DOC]},
)
async def dataset_tile(
    request: Request, backend: TileBackendDep, tms_id: TmsId, z: Zoom, x: Col, y: Row
) -> Response:
    check_tms(tms_id)
    tile = check_tile(z, x, y)
    categories = _selected(request.query_params.get("collections"))
    return await _answer(request, backend, categories, tile, _filters(request, categories))


@router.get(
    "/map/tiles/{tms_id}/{z}/{x}/{y}.png",
    summary="PNG map tile of all collections",
    response_class=Response,
    responses=_tile_responses(PNG_MEDIA_TYPE),
    openapi_extra={"parameters": [COLLECTIONS_DOC, IF_NONE_MATCH_DOC]},
)
async def dataset_png(
    request: Request, backend: TileBackendDep, tms_id: TmsId, z: Zoom, x: Col, y: Row
) -> Response:
    check_tms(tms_id)
    tile = check_tile(z, x, y)
    categories = _selected(request.query_params.get("collections"))
    filters = _filters(request, categories)
    return await _answer(request, backend, categories, tile, filters, png=True)


# ---- one collection --------------------------------------------------------------------------
@router.get("/collections/{collection_id}/tiles", summary="Tilesets of a collection")
def collection_tilesets(request: Request, category: CategoryDep) -> FastJSONResponse:
    base = base_url(request)
    root = f"{base}/collections/{category.id}"
    return FastJSONResponse(
        metadata.tilesets_list(
            base=base, title=category.title, root=f"{root}/tiles", raster_root=f"{root}/map/tiles"
        )
    )


@router.get("/collections/{collection_id}/tiles/{tms_id}", summary="Tileset metadata")
def collection_tileset(
    request: Request, session: SessionDep, category: CategoryDep, tms_id: TmsId
) -> FastJSONResponse:
    check_tms(tms_id)
    base = base_url(request)
    root = f"{base}/collections/{category.id}"
    return FastJSONResponse(
        metadata.tileset(
            base=base,
            title=category.title,
            root=f"{root}/tiles",
            categories=[category],
            bounds=TileService.extent(session, [category]),
            raster_root=f"{root}/map/tiles",
        )
    )


@router.get(
    "/collections/{collection_id}/tiles/{tms_id}/tilejson.json",
    summary="TileJSON 3.0.0 of a collection (filters carry over into the tile URL)",
)
def collection_tilejson(
    request: Request,
    session: SessionDep,
    service: TileServiceDep,
    category: CategoryDep,
    tms_id: TmsId,
    filter: FilterParam = None,
    filter_lang: FilterLang = None,
    datetime: DatetimeParam = None,
) -> FastJSONResponse:
    check_tms(tms_id)
    _filters(request, [category]).clauses(category)  # a bad filter is a 400 here already
    base = base_url(request)
    root = f"{base}/collections/{category.id}/tiles/{TMS_ID}"
    return FastJSONResponse(
        metadata.tilejson(
            name=category.id,
            description=f"{category.title}: {category.description}",
            tiles_url=f"{root}/{{z}}/{{x}}/{{y}}{_query_suffix(request)}",
            categories=[category],
            bounds=TileService.extent(session, [category]),
            cluster_below_zoom=service.cluster_below_zoom,
        )
    )


@router.get(
    "/collections/{collection_id}/tiles/{tms_id}/{z}/{x}/{y}",
    summary="Vector tile (MVT) of a collection; the layer is named by the collection id",
    description=PROPERTIES_DOC,
    response_class=Response,
    responses=_tile_responses(MVT_MEDIA_TYPE),
    openapi_extra={"parameters": [*FILTER_DOCS, IF_NONE_MATCH_DOC]},
)
async def collection_tile(
    request: Request,
    backend: TileBackendDep,
    collection_id: CollectionId,
    tms_id: TmsId,
    z: Zoom,
    x: Col,
    y: Row,
) -> Response:
    category = get_category(collection_id)
    check_tms(tms_id)
    tile = check_tile(z, x, y)
    return await _answer(request, backend, [category], tile, _filters(request, [category]))


@router.get(
    "/collections/{collection_id}/map/tiles/{tms_id}/{z}/{x}/{y}.png",
    summary="PNG map tile of a collection (points in the category colour, areas translucent)",
    response_class=Response,
    responses=_tile_responses(PNG_MEDIA_TYPE),
    openapi_extra={"parameters": [*FILTER_DOCS, IF_NONE_MATCH_DOC]},
)
async def collection_png(
    request: Request,
    backend: TileBackendDep,
    collection_id: CollectionId,
    tms_id: TmsId,
    z: Zoom,
    x: Col,
    y: Row,
) -> Response:
    category = get_category(collection_id)
    check_tms(tms_id)
    tile = check_tile(z, x, y)
    filters = _filters(request, [category])
    return await _answer(request, backend, [category], tile, filters, png=True)

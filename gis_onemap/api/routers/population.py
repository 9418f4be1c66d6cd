"""``/collections/population``.

The population layer as a read-only OGC API – Features collection (metadata, items, one item,
queryables). A separate router because the layer is not one of the 8 categories; included before the
categories' router so its paths win. When the layer is not loaded the collection answers 404 saying
so.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.api.deps import SessionDep, SettingsDep, ViewerDep
from gis_onemap.api.links import link
from gis_onemap.api.params import TileDep
from gis_onemap.api.responses import GEOJSON, FastJSONResponse, GeoJSONResponse, SchemaResponse
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.planning.sources import population_present, sql
from gis_onemap.query.items import check_wgs84_bbox, parse_bbox
from gis_onemap.tiles.cache import TileCache, TileKey

router = APIRouter(tags=["Collections"])
PATH = "/collections/population"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Queryable properties and their JSON types (items filter by these with ``prop=value``).
QUERYABLES = {
    "name": "string", "region_code": "string", "kind": "string", "population": "integer",
    "population_day": "integer", "population_night": "integer", "synthetic": "boolean",
}  # fmt: skip


def population_loaded(session: Session) -> bool:
    """Whether the population layer exists and holds features."""
    return population_present(session) and bool(
        session.execute(text("SELECT EXISTS (SELECT 1 FROM population)")).scalar_one()
    )


def _require(session: Session) -> None:
    if not population_present(session):
        raise NotFound("the population layer is not loaded (onemap load FILE --layer population)")


@router.get(PATH, summary="The population layer's metadata (not one of the 8 categories)")
def population_collection(request: Request, session: SessionDep) -> FastJSONResponse:
    _require(session)
    return FastJSONResponse(population_doc(request, session))


def population_doc(request: Request, session: Session) -> dict[str, Any]:
    """The population collection's metadata (also listed in ``GET /collections`` when loaded)."""
    row = session.execute(
        text(
            "SELECT count(*) AS n, coalesce(sum(population), 0) AS people,"
            " coalesce(bool_or(synthetic), false) AS syn,"
            " ST_XMin(ST_Extent(geom)) AS x0, ST_YMin(ST_Extent(geom)) AS y0,"
            " ST_XMax(ST_Extent(geom)) AS x1, ST_YMax(ST_Extent(geom)) AS y1 FROM population"
        )
    ).one()
    bbox = [[row.x0, row.y0, row.x1, row.y1]] if row.n else []
    return {
        "id": "population", "title": "人口 / Population", "itemType": "feature",
        "description": "Resident population by grid cell, village or community (auxiliary layer)"
        + (" — contains SYNTHETIC data" if row.syn else ""),
        "itemCount": row.n, "population": int(row.people), "synthetic": bool(row.syn),
        "storageCrs": CRS84, "crs": [CRS84],
        "extent": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "links": [
            link(request, PATH, "self", "application/json", "Population"),
            link(request, f"{PATH}/items", "items", GEOJSON, "Features (GeoJSON)"),
            link(request, f"{PATH}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}", "item",
                 "application/vnd.mapbox-vector-tile", "Vector tiles (MVT, {z}/{x}/{y})"),
            link(request, f"{PATH}/queryables",
                 "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                 "Queryables"),
        ],
    }  # fmt: skip


@router.get(f"{PATH}/queryables", summary="Queryable properties of the population layer")
def population_queryables(request: Request, session: SessionDep) -> SchemaResponse:
    _require(session)
    props: dict[str, Any] = {k: {"type": t} for k, t in QUERYABLES.items()}
    props["geometry"] = {"$ref": "https://geojson.org/schema/Geometry.json"}
    return SchemaResponse({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": str(request.url), "type": "object", "title": "Population",
        "properties": props, "additionalProperties": False,
    })  # fmt: skip


@router.get(f"{PATH}/items", summary="Population features (GeoJSON), paged by id")
def population_items(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, description="Page size")] = 100,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    after: Annotated[
        int | None, Query(description="Cursor: the last id of the previous page")
    ] = None,
    region_code: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query()] = None,
) -> GeoJSONResponse:
    _require(session)
    limit = min(limit, settings.max_limit)
    box = parse_bbox(bbox)
    if box is not None:
        check_wgs84_bbox(box)
    if kind is not None and kind not in ("grid", "village", "community", "point"):
        raise InvalidInput("kind must be grid, village, community or point")
    params = {
        "x0": box[0] if box else None, "y0": box[1] if box else None,
        "x1": box[2] if box else None, "y1": box[3] if box else None,
        "after": after, "region_code": region_code, "kind": kind, "limit": limit + 1,
    }  # fmt: skip
    rows = session.execute(text(sql("items.sql")), params).all()
    feats = [r.feature for r in rows[:limit]]
    links = [link(request, f"{PATH}/items", "self", GEOJSON)]
    if len(rows) > limit:
        q = dict(request.query_params) | {"after": str(feats[-1]["id"]), "limit": str(limit)}
        query = "&".join(f"{k}={v}" for k, v in q.items())
        links.append(link(request, f"{PATH}/items?{query}", "next", GEOJSON))
    return GeoJSONResponse({
        "type": "FeatureCollection", "features": feats, "numberReturned": len(feats),
        "links": links,
    })  # fmt: skip


@router.get(f"{PATH}/items/{{feature_id}}", summary="One population feature")
def population_item(session: SessionDep, feature_id: str) -> GeoJSONResponse:
    _require(session)
    if not feature_id.isdigit():
        raise NotFound(f"no population feature {feature_id}")
    row = session.execute(
        text(sql("items.sql")),
        {"x0": None, "y0": None, "x1": None, "y1": None, "after": int(feature_id) - 1,
         "region_code": None, "kind": None, "limit": 1},
    ).first()  # fmt: skip
    if row is None or row.feature["id"] != int(feature_id):
        raise NotFound(f"no population feature {feature_id}")
    return GeoJSONResponse(row.feature)


#: MVT media type (as the category tiles).
MVT = "application/vnd.mapbox-vector-tile"


_VERSION = text("SELECT version FROM tile_versions WHERE collection = 'population'")


@router.get(
    f"{PATH}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
    summary="Population as Mapbox vector tiles (layer 'population'), cached by data version",
    response_class=Response,
    responses={204: {"description": "No population in this tile"}, 304: {}},
)
def population_tile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    tile: TileDep,
) -> Response:
    _require(session)
    # every write to the layer bumps its version (migration 0018): a reload gives new keys
    version = session.execute(_VERSION).scalar_one_or_none() or 0
    # a region-limited reader sees only its regions' rows (row-level security): its own tiles
    scope = ",".join(viewer.region_codes) if settings.region_read_scope else ""
    variant = hashlib.blake2b(scope.encode(), digest_size=8).hexdigest() if scope else "-"
    key = TileKey("population", str(version), tile.z, tile.x, tile.y, variant, "mvt")
    etag = key.etag()
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    cache: TileCache = request.app.state.population_tiles
    body = cache.get(key) if settings.population_tile_cache_size else None
    headers["X-Cache"] = "hit" if body is not None else "miss"
    if body is None:
        data = session.execute(text(sql("tile.sql")), tile._asdict()).scalar_one()
        body = bytes(data or b"")
        if settings.population_tile_cache_size:
            cache.put(key, body)
    return Response(body, status_code=200 if body else 204, media_type=MVT, headers=headers)

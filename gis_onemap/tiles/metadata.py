"""Tile metadata documents: TileJSON 3.0.0, OGC API – Tiles tilesets and tile matrix sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gis_onemap.categories import Category
from gis_onemap.tiles.grid import MAX_LATITUDE, MAX_ZOOM, MIN_ZOOM, TMS, TMS_ID
from gis_onemap.tiles.layers import tile_properties

TILEJSON_VERSION = "3.0.0"
WORLD = (-180.0, -MAX_LATITUDE, 180.0, MAX_LATITUDE)
MVT = "application/vnd.mapbox-vector-tile"
JSON = "application/json"
TILEJSON_TYPE = "application/vnd.mapbox.tile+json"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILESETS_MAP = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-map"
#: URI templates of a tile: the path order is z/x/y (tileMatrix/tileCol/tileRow), as tipg.
MVT_TEMPLATE = "{tileMatrix}/{tileCol}/{tileRow}"
PNG_TEMPLATE = "{tileMatrix}/{tileCol}/{tileRow}.png"

#: OGC API – Tiles (and 2D TMS) conformance classes implemented.
TILES_CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
)


def center_of(bounds: tuple[float, float, float, float], zoom: int = 10) -> list[float]:
    """TileJSON ``center``: ``[lon, lat, zoom]`` in the middle of ``bounds``.

    >>> center_of((110.0, 20.0, 111.0, 22.0))
    [110.5, 21.0, 10]
    """
    return [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, zoom]


def vector_layer(category: Category, cluster_below_zoom: int) -> dict[str, Any]:
    """A TileJSON ``vector_layers`` entry: the layer id is the collection id."""
    clustered = cluster_below_zoom > MIN_ZOOM
    note = (
        f" Below zoom {cluster_below_zoom} points are aggregated on a grid: each feature has"
        " point_count, and cluster=true when it stands for several points."
        if clustered
        else ""
    )
    return {
        "id": category.id,
        "description": f"{category.title}: {category.description}{note}",
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        "fields": tile_properties(category, clustered),
    }


def tilejson(
    *,
    name: str,
    description: str,
    tiles_url: str,
    categories: Sequence[Category],
    bounds: tuple[float, float, float, float] | None,
    cluster_below_zoom: int,
) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for vector tiles of ``categories``."""
    box = bounds or WORLD
    return {
        "tilejson": TILEJSON_VERSION,
        "name": name,
        "description": description,
        "version": "1.0.0",
        "attribution": "gis_onemap 应急一张图",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        "bounds": list(box),
        "center": center_of(box, 10 if bounds else 2),
        "vector_layers": [vector_layer(c, cluster_below_zoom) for c in categories],
    }


def tileset(
    *,
    base: str,
    title: str,
    root: str,
    categories: Sequence[Category],
    bounds: tuple[float, float, float, float] | None,
    raster_root: str | None = None,
) -> dict[str, Any]:
    """OGC API – Tiles tileset metadata for ``{root}/{TMS_ID}`` (vector, one layer each)."""
    box = bounds or WORLD
    links = [
        {"href": f"{root}/{TMS_ID}", "rel": "self", "type": JSON, "title": title},
        {"href": f"{root}/{TMS_ID}/tilejson.json", "rel": "alternate", "type": TILEJSON_TYPE},
        _tiling_scheme(base),
        {
            "href": f"{root}/{TMS_ID}/{MVT_TEMPLATE}",
            "rel": "item",
            "type": MVT,
            "templated": True,
            "title": "Vector tiles; path order z/x/y (tileMatrix/tileCol/tileRow)",
        },
    ]
    if raster_root:
        links.append(
            {
                "href": f"{raster_root}/{TMS_ID}/{PNG_TEMPLATE}",
                "rel": "item",
                "type": "image/png",
                "templated": True,
                "title": "Rendered PNG tiles",
            }
        )
    return {
        "title": title,
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": links,
        "boundingBox": {
            "lowerLeft": [box[0], box[1]],
            "upperRight": [box[2], box[3]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "centerPoint": {"coordinates": center_of(box)[:2], "tileMatrix": "10"},
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": (1 << z) - 1,
                "minTileCol": 0,
                "maxTileCol": (1 << z) - 1,
            }
            for z in range(MIN_ZOOM, MAX_ZOOM + 1)
        ],
        "layers": [
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "dataType": "vector",
                **({"geometryDimension": 0} if c.geometry_types == ("Point",) else {}),
                "minTileMatrix": str(MIN_ZOOM),
                "maxTileMatrix": str(MAX_ZOOM),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {k: {"description": v} for k, v in tile_properties(c).items()},
                },
            }
            for c in categories
        ],
    }


def _tiling_scheme(base: str) -> dict[str, str]:
    return {"href": f"{base}/tileMatrixSets/{TMS_ID}", "rel": REL_TILING_SCHEME, "type": JSON}


def tilesets_list(
    *, base: str, title: str, root: str, raster_root: str | None = None
) -> dict[str, Any]:
    """OGC API – Tiles tilesets list for ``{root}`` (one tileset: WebMercatorQuad)."""
    sets = [
        {
            "title": f"{title} (vector tiles)",
            "dataType": "vector",
            "crs": CRS_3857,
            "tileMatrixSetURI": TMS_URI,
            "links": [
                {"href": f"{root}/{TMS_ID}", "rel": "self", "type": JSON},
                _tiling_scheme(base),
            ],
        }
    ]
    if raster_root:
        sets.append(
            {
                "title": f"{title} (PNG map tiles)",
                "dataType": "map",
                "crs": CRS_3857,
                "tileMatrixSetURI": TMS_URI,
                "links": [
                    {
                        "href": f"{raster_root}/{TMS_ID}/{PNG_TEMPLATE}",
                        "rel": "item",
                        "type": "image/png",
                        "templated": True,
                    },
                    {
                        "href": f"{base}/tileMatrixSets/{TMS_ID}",
                        "rel": REL_TILING_SCHEME,
                        "type": JSON,
                    },
                ],
            }
        )
    return {"tilesets": sets, "links": [{"href": root, "rel": "self", "type": JSON}]}


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """The list of tile matrix sets (only WebMercatorQuad)."""
    return {
        "tileMatrixSets": [
            {
                "id": TMS_ID,
                "title": TMS.title or "Google Maps Compatible for the World",
                "uri": TMS_URI,
                "crs": CRS_3857,
                "links": [{"href": f"{base}/tileMatrixSets/{TMS_ID}", "rel": "self", "type": JSON}],
            }
        ]
    }


def tile_matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad definition (OGC 2D TMS 2.0 JSON, from morecantile)."""
    return TMS.model_dump(mode="json", exclude_none=True, by_alias=True)

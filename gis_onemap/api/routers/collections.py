"""``/collections``: the 8 categories, their metadata, schema and queryables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from gis_onemap.api.deps import CategoryDep, SessionDep, SettingsDep, ViewerDep
from gis_onemap.api.links import base_url, link
from gis_onemap.api.responses import GEOJSON, FastJSONResponse, SchemaResponse
from gis_onemap.categories import CATEGORIES, Category
from gis_onemap.categories.schema import feature_schema, queryables_schema
from gis_onemap.crs.edge import SUPPORTED_CRS
from gis_onemap.db.repository import FeatureRepository

router = APIRouter(tags=["Collections"])
#: Conformance classes of this router: queryables and schemas (Features Parts 3 and 5).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def collection_doc(request: Request, session: Session, category: Category) -> dict[str, Any]:
    """The metadata document of one collection, with extent and item count."""
    repo = FeatureRepository(session, category)
    extent = repo.extent()
    last = repo.last_updated()
    j = "application/json"
    path = f"/collections/{category.id}"
    crs_list = list(SUPPORTED_CRS)
    return {
        "id": category.id,
        "title": category.title,
        "title_zh": category.zh,
        "title_en": category.en,
        "description": category.description,
        "itemType": "feature",
        "geometryTypes": list(category.geometry_types),
        "crs": crs_list,
        "storageCrs": CRS84,
        "itemCount": repo.count(),
        "extent": {
            "spatial": {"bbox": [list(extent)] if extent else [], "crs": CRS84},
            "temporal": {
                "interval": [[None, last.isoformat() if last else None]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            },
        },
        "links": [
            link(request, path, "self", j, category.title),
            link(request, f"{path}/items", "items", GEOJSON, "Features (GeoJSON)"),
            link(request, f"{path}/schema", "describedby", "application/schema+json", "Schema"),
            link(
                request,
                f"{path}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "Queryables",
            ),
        ],
    }


@router.get("/collections", summary="The 8 resource collections")
def collections(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> FastJSONResponse:
    docs = [collection_doc(request, session, c) for c in CATEGORIES]
    # the auxiliary population layer (issue 15) is listed once loaded, so clients discover it
    from gis_onemap.api.routers.population import population_doc, population_loaded

    if population_loaded(session):
        docs.append(population_doc(request, session))
    # the open incidents' situation layers the caller may read (issue 17), so QGIS finds them
    from gis_onemap.api.routers.situation import situation_doc
    from gis_onemap.live.situation_layers import listed_layers

    layers = listed_layers(session, viewer, settings.situation_collections_max)
    docs.extend(situation_doc(request, layer) for layer in layers)
    return FastJSONResponse(
        {
            "links": [link(request, "/collections", "self", "application/json")],
            "collections": docs,
        }
    )


@router.get("/collections/{collection_id}", summary="One collection's metadata")
def collection(request: Request, session: SessionDep, category: CategoryDep) -> FastJSONResponse:
    return FastJSONResponse(collection_doc(request, session, category))


@router.get("/collections/{collection_id}/schema", summary="JSON Schema of the features")
def schema(request: Request, category: CategoryDep) -> SchemaResponse:
    sid = f"{base_url(request)}/collections/{category.id}/schema"
    return SchemaResponse(feature_schema(category, sid))


@router.get("/collections/{collection_id}/queryables", summary="Properties usable in filters")
def queryables(request: Request, category: CategoryDep) -> SchemaResponse:
    sid = f"{base_url(request)}/collections/{category.id}/queryables"
    return SchemaResponse(queryables_schema(category, sid))

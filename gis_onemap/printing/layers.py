"""Printable layers: a registry of providers, each turning an area into GeoDataFrames.

A provider is ``(context, request) -> list[PrintLayer]``. The 8 categories and ``surroundings``
(an incident's resources within its radius, usable only) are registered here; another module
adds its own with one line, e.g.
``register_provider("risk_map", risk_map_layers)`` — prints and bundles then accept
``layers=risk_map`` without further changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import MAX_K
from gis_onemap.analysis.surroundings import SurroundingsService
from gis_onemap.categories import CATEGORIES, REGISTRY, Category
from gis_onemap.db.tables import REGIONS, table_for
from gis_onemap.errors import InvalidInput, LimitExceeded
from gis_onemap.limits import InputLimits
from gis_onemap.printing.area import PrintArea
from gis_onemap.query.items import filter_clause
from gis_onemap.settings import Settings

WGS84 = "EPSG:4326"


@dataclass
class PrintLayer:
    """One legend entry: features in WGS84 and how to draw them."""

    id: str  # ASCII name (GeoPackage layer, spreadsheet sheet key)
    title: str  # Chinese legend label
    gdf: gpd.GeoDataFrame
    color: str = "#3388ff"
    category: Category | None = None  # set for layers of a category (spreadsheet headers)
    fill_opacity: float = 0.25
    marker: str = "o"
    zorder: int = 3

    @property
    def legend_label(self) -> str:
        """``title (count)``."""
        return f"{self.title}（{len(self.gdf)}）"


@dataclass(frozen=True)
class LayerRequest:
    """A layer by provider name with an optional CQL2 filter (``name:filter`` on the CLI)."""

    name: str
    filter: str | None = None


@dataclass
class PrintContext:
    """What a provider may use.

    The session (the caller's access rules applied), the area, the input limits (filters) and the
    most features a layer may hold.
    """

    session: Session
    area: PrintArea
    limits: InputLimits = field(default_factory=InputLimits)
    max_features: int = 20_000
    #: the app's settings, for providers whose method is configured (the risk map)
    settings: Settings | None = None


Provider = Callable[[PrintContext, LayerRequest], list[PrintLayer]]
PROVIDERS: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Make ``name`` a printable layer (prints, bundles, ``GET /print?layers=name``)."""
    PROVIDERS[name] = provider


def parse_layer_specs(specs: Sequence[str], filters: Sequence[str] = ()) -> list[LayerRequest]:
    """Layer names (comma-separated items allowed) and ``name:CQL2`` filters → requests.

    >>> for r in parse_layer_specs(["shelters,hazard_sources"], ["hazard_sources:level = 1"]):
    ...     print(r)
    LayerRequest(name='shelters', filter=None)
    LayerRequest(name='hazard_sources', filter='level = 1')
    >>> parse_layer_specs(["volcanoes"])
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: unknown layer 'volcanoes'; printable layers: ...
    """
    names: list[str] = []
    for spec in specs:
        for name in (part.strip() for part in spec.split(",")):
            if name and name not in names:
                names.append(name)
    by_name: dict[str, str] = {}
    for text in filters:
        name, sep, cql = text.partition(":")
        if not sep or not cql.strip():
            raise InvalidInput("a layer filter is layer:CQL2, e.g. hazard_sources:level = 1")
        by_name[name.strip()] = cql.strip()
    for name in [*names, *by_name]:
        if name not in PROVIDERS:
            known = ", ".join(sorted(PROVIDERS))
            raise InvalidInput(f"unknown layer {name!r}; printable layers: {known}")
    for name in by_name:
        if name not in names:
            raise InvalidInput(f"a filter names layer {name!r}, which is not printed")
    return [LayerRequest(n, by_name.get(n)) for n in names]


def _cell(value: Any) -> Any:
    """Lists and objects as JSON text (GeoPackage and spreadsheet cells hold scalars)."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Rows whose last value is WKB → a WGS84 GeoDataFrame."""
    data = {c: [_cell(r[i]) for r in rows] for i, c in enumerate(columns)}
    geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=WGS84)


def category_layer(ctx: PrintContext, category: Category, cql: str | None) -> PrintLayer:
    """The public fields of ``category``'s features intersecting the area (and the filter)."""
    t = table_for(category.id)
    fields = category.public_fields
    area = func.ST_GeomFromWKB(shapely.to_wkb(ctx.area.geometry), 4326)
    stmt = select(t.c.id, *(t.c[f.name] for f in fields), func.ST_AsBinary(t.c.geom)).where(
        t.c.geom.intersects(func.ST_MakeEnvelope(*ctx.area.bbox, 4326)),
        func.ST_Intersects(t.c.geom, area),
    )
    clause = filter_clause(cql, None, category, t, ctx.limits)
    if clause is not None:
        stmt = stmt.where(clause)
    rows = ctx.session.execute(stmt.order_by(t.c.id).limit(ctx.max_features + 1)).all()
    if len(rows) > ctx.max_features:
        raise LimitExceeded(
            f"{category.id}: more than {ctx.max_features} features in the area "
            "(ONEMAP_PRINT_MAX_FEATURES); choose a smaller area or a filter"
        )
    gdf = _frame(rows, ["id", *(f.name for f in fields)])
    return PrintLayer(category.id, category.zh, gdf, category.color, category)


def _category_provider(category: Category) -> Provider:
    def provide(ctx: PrintContext, request: LayerRequest) -> list[PrintLayer]:
        return [category_layer(ctx, category, request.filter)]

    return provide


def surroundings_layers(ctx: PrintContext, request: LayerRequest) -> list[PrintLayer]:
    """The incident's surroundings.

    Each category's usable features within the radius (the same selection as ``GET
    /incidents/{id}/surroundings``), one layer per category.
    """
    incident, radius = ctx.area.incident, ctx.area.radius_m
    if incident is None or radius is None:
        raise InvalidInput("the surroundings layer needs an incident area (incident=ID)")
    if request.filter:
        raise InvalidInput("the surroundings layer takes no filter")
    # every feature within the radius up to the analysis' own most (k ≤ MAX_K), not its default
    k = min(MAX_K, ctx.max_features)
    result = SurroundingsService(ctx.session).surroundings(
        incident.origin, radius, incident.event_category, incident.event_type, k
    )
    out = []
    for cid, fc in result["collections"].items():
        category = REGISTRY[cid]
        feats = fc["features"]
        title = category.zh
        if fc["numberMatched"] > len(feats):  # say so rather than print a short count
            title = f"{category.zh}（最近{len(feats)}个，共{fc['numberMatched']}个）"
        gdf = (
            gpd.GeoDataFrame.from_features(feats, crs=WGS84)
            if feats
            else gpd.GeoDataFrame({"id": []}, geometry=[], crs=WGS84)
        )
        for col in list(gdf.columns):
            if col != "geometry":
                gdf[col] = gdf[col].map(_cell)
        out.append(PrintLayer(f"surroundings_{cid}", title, gdf, category.color, category))
    return out


def districts(session: Session, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Administrative outlines (``regions``) meeting ``bbox``: the base of every print."""
    r = REGIONS
    rows = session.execute(
        select(r.c.code, r.c.name, r.c.level, func.ST_AsBinary(r.c.geom))
        .where(r.c.geom.intersects(func.ST_MakeEnvelope(*bbox, 4326)))
        .order_by(r.c.code)
    ).all()
    return _frame(rows, ["code", "name", "level"])


def load_layers(ctx: PrintContext, requests: Sequence[LayerRequest]) -> list[PrintLayer]:
    """Every requested layer, in order."""
    out: list[PrintLayer] = []
    for request in requests:
        out.extend(PROVIDERS[request.name](ctx, request))
    return out


for _c in CATEGORIES:
    register_provider(_c.id, _category_provider(_c))
register_provider("surroundings", surroundings_layers)


def _risk_map(ctx: PrintContext, req: LayerRequest) -> list[PrintLayer]:
    # imported when used: the hazards package imports this module for PrintLayer
    from gis_onemap.hazards.printing import risk_map_layers

    return risk_map_layers(ctx, req)


register_provider("risk_map", _risk_map)


def _release_zones(ctx: PrintContext, req: LayerRequest) -> list[PrintLayer]:
    from gis_onemap.hazards.printing import release_zone_layers

    return release_zone_layers(ctx, req)


register_provider("release_zones", _release_zones)

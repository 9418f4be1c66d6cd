"""Nearest and within-radius searches, exact on the WGS84 spheroid and served by the GiST index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import CategoryFilters, FilterKey, Origin, category_filters
from gis_onemap.categories import REGISTRY, Category
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for

#: Decimals of ``distance_m`` (mm) and ``bearing_deg`` in the responses.
DISTANCE_DECIMALS = 3
BEARING_DECIMALS = 4
#: Slack (metres) added to the KNN distance bound; extra rows are cut by the final order/limit.
BOUND_SLACK_M = 0.001


def origin_geography() -> ColumnElement[Any]:
    """The origin as a geography, from the bound parameter ``origin`` (EWKT)."""
    return func.ST_GeogFromText(bindparam("origin", type_=String))


def distance_expr(table: Any, origin: ColumnElement[Any]) -> ColumnElement[float]:
    """Geodesic distance in metres on the WGS84 spheroid (PostGIS default for geography)."""
    return func.ST_Distance(func.geography(table.c.geom), origin)


def bearing_expr(table: Any, origin: ColumnElement[Any]) -> ColumnElement[float]:
    """Geodesic azimuth (degrees) from the origin to the feature (its centroid for areas)."""
    target = func.geography(func.ST_Centroid(table.c.geom))
    return func.degrees(func.ST_Azimuth(origin, target))


def _columns(category: Category, include_personal: bool, origin: ColumnElement[Any]) -> list[Any]:
    table = table_for(category.id)
    return [
        literal(category.id, String).label("category"),
        table.c.id.label("id"),
        distance_expr(table, origin).label("distance_m"),
        bearing_expr(table, origin).label("bearing_deg"),
        FeatureRepository(None, category).feature_expr(include_personal).label("feature"),  # type: ignore[arg-type]
    ]


def usable_where(category: Category) -> list[ColumnElement[bool]]:
    """The category's declared "usable now" predicate as a WHERE clause (none if undeclared)."""
    if category.usable is None:
        return []
    return [literal_column(category.usable.usable(category.id), Boolean)]


Number = int | float | ColumnElement[Any]
Count = int | ColumnElement[Any]


def nearest_select(
    category: Category,
    k: Count,
    where: Sequence[ColumnElement[bool]] = (),
    max_distance_m: Number | None = None,
    include_personal: bool = False,
) -> Select[Any]:
    """The ``k`` nearest rows of one category, ordered exactly by spheroid distance.

    The index-assisted KNN operator ``<->`` on geography orders by *sphere* distance, which can
    differ from the spheroid distance by ~0.5 %. So the KNN scan only finds ``k`` candidates;
    the largest spheroid distance among them bounds the true k-th distance (those ``k`` rows lie
    within it), and an index-assisted ``ST_DWithin`` on that bound (plus 1 mm) fetches every row
    that can be in the exact top ``k``, which are then ordered by ``ST_Distance`` (spheroid).
    """
    table = table_for(category.id)
    origin = origin_geography()
    geog = func.geography(table.c.geom)
    candidates = (
        select(distance_expr(table, origin).label("d"))
        .where(*where)
        .order_by(geog.op("<->")(origin))
        .limit(k)
        .subquery("candidates")
    )
    # + 1 mm: ST_DWithin(g, o, ST_Distance(g, o)) is false for about half the rows (rounding).
    bound: ColumnElement[Any] = select(func.max(candidates.c.d)).scalar_subquery() + BOUND_SLACK_M
    if max_distance_m is not None:
        limit = max_distance_m
        bound = func.least(
            bound, limit if isinstance(limit, ColumnElement) else literal(limit, Float)
        )
    dist = distance_expr(table, origin)
    return (
        select(*_columns(category, include_personal, origin))
        .where(*where, func.ST_DWithin(geog, origin, bound))
        .order_by(dist, table.c.id)
        .limit(k)
    )


def within_select(
    category: Category,
    radius_m: Number,
    where: Sequence[ColumnElement[bool]] = (),
    limit: Count | None = None,
    include_personal: bool = False,
) -> Select[Any]:
    """Every row of one category within ``radius_m`` spheroid metres, nearest first."""
    table = table_for(category.id)
    origin = origin_geography()
    stmt = (
        select(*_columns(category, include_personal, origin))
        .where(*where, func.ST_DWithin(func.geography(table.c.geom), origin, radius_m))
        .order_by(distance_expr(table, origin), table.c.id)
    )
    return stmt if limit is None else stmt.limit(limit)


def _merged(parts: list[Select[Any]], limit: Count | None) -> Select[Any]:
    if len(parts) == 1:
        return parts[0]
    union = union_all(*[select(*p.subquery().c) for p in parts]).subquery("hits")
    stmt = select(*union.c).order_by(union.c.distance_m, union.c.category, union.c.id)
    return stmt if limit is None else stmt.limit(limit)


def within_count(
    category: Category, radius_m: float, where: Sequence[ColumnElement[bool]] = ()
) -> Select[Any]:
    """How many rows of one category lie within ``radius_m`` (index-assisted)."""
    table = table_for(category.id)
    geog = func.geography(table.c.geom)
    return (
        select(func.count())
        .select_from(table)
        .where(*where, func.ST_DWithin(geog, origin_geography(), radius_m))
    )


def _where(
    filters: CategoryFilters, category: Category, usable_only: bool
) -> list[ColumnElement[bool]]:
    """The request's property filters, plus "usable now" unless unusable rows are asked for."""
    return [*filters.where(category), *(usable_where(category) if usable_only else [])]


def _param(name: str, type_: Any) -> ColumnElement[Any]:
    return bindparam(name, type_=type_)


# Building these statements costs milliseconds of Python (8 tables × ~20 columns); the shapes
# repeat, so they are built once per shape, with k / radius / limits as bound parameters.
@lru_cache(maxsize=512)
def nearest_statement(
    category_ids: tuple[str, ...],
    personal: bool,
    with_max: bool,
    filter_key: FilterKey,
    usable_only: bool = True,
) -> Select[Any]:
    """The merged nearest statement for a shape (params: ``origin``, ``k``, ``max_d``)."""
    cats = tuple(REGISTRY[c] for c in category_ids)
    filters = category_filters(dict(filter_key), cats)
    k = _param("k", Integer)
    max_d = _param("max_d", Float) if with_max else None
    parts = [
        nearest_select(c, k, _where(filters, c, usable_only), max_d, personal)
        for c in filters.categories(cats)
    ]
    return _merged(parts, k)


@lru_cache(maxsize=512)
def within_statement(
    category_ids: tuple[str, ...], personal: bool, filter_key: FilterKey, usable_only: bool = True
) -> Select[Any]:
    """The merged within statement for a shape (params: ``origin``, ``radius``, ``limit``)."""
    cats = tuple(REGISTRY[c] for c in category_ids)
    filters = category_filters(dict(filter_key), cats)
    radius, limit = _param("radius", Float), _param("limit", Integer)
    parts = [
        within_select(c, radius, _where(filters, c, usable_only), limit, personal)
        for c in filters.categories(cats)
    ]
    return _merged(parts, limit)


@dataclass
class Hits:
    """Features found around an origin, nearest first, and how many matched in all."""

    features: list[dict[str, Any]]
    number_matched: int

    def collection(self) -> dict[str, Any]:
        """As a GeoJSON FeatureCollection."""
        return {
            "type": "FeatureCollection",
            "features": self.features,
            "numberMatched": self.number_matched,
            "numberReturned": len(self.features),
        }


def _feature(row: Any) -> dict[str, Any]:
    feature = dict(row.feature)
    props = dict(feature.get("properties") or {})
    props["category"] = row.category
    props["distance_m"] = round(float(row.distance_m), DISTANCE_DECIMALS)
    props["bearing_deg"] = (
        None if row.bearing_deg is None else round(float(row.bearing_deg), BEARING_DECIMALS)
    )
    feature["properties"] = props
    return feature


class ProximityService:
    """Nearest-first searches over one or more categories."""

    def __init__(
        self, session: Session, include_personal: bool = False, include_unusable: bool = False
    ) -> None:
        self.session = session
        self.include_personal = include_personal
        #: Also find expired/reserved stock and deployed/unavailable teams (default: usable only).
        self.include_unusable = include_unusable

    def nearest(
        self,
        origin: Origin,
        categories: Sequence[Category],
        filters: CategoryFilters,
        k: int,
        max_distance_m: float | None = None,
    ) -> Hits:
        """The ``k`` nearest features over ``categories`` (exact spheroid order)."""
        if not filters.categories(categories):
            return Hits([], 0)
        ids = tuple(c.id for c in categories)
        stmt = nearest_statement(
            ids,
            self.include_personal,
            max_distance_m is not None,
            filters.key,
            not self.include_unusable,
        )
        params = {"origin": origin.ewkt, "k": k, "max_d": max_distance_m}
        rows = self.session.execute(stmt, params).all()
        return Hits([_feature(r) for r in rows], len(rows))

    def within(
        self,
        origin: Origin,
        categories: Sequence[Category],
        filters: CategoryFilters,
        radius_m: float,
        limit: int | None = None,
    ) -> Hits:
        """Every feature within ``radius_m`` over ``categories``, nearest first."""
        chosen = filters.categories(categories)
        if not chosen:
            return Hits([], 0)
        ids = tuple(c.id for c in categories)
        stmt = within_statement(ids, self.include_personal, filters.key, not self.include_unusable)
        params = {"origin": origin.ewkt, "radius": radius_m, "limit": limit}
        rows = self.session.execute(stmt, params).all()
        total = len(rows)
        if limit is not None and total >= limit:
            usable_only = not self.include_unusable
            counts = [within_count(c, radius_m, _where(filters, c, usable_only)) for c in chosen]
            total = sum(self.session.execute(q, params).scalar_one() for q in counts)
        return Hits([_feature(r) for r in rows], total)

"""Geodesic buffer rings around a geometry or selected features, and the features inside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Integer, LargeBinary, bindparam, case, func, literal, select
from sqlalchemy.orm import Session

from gis_onemap.analysis.geodesy import geodesic_area_m2, geodesic_buffer
from gis_onemap.analysis.inputs import check_distances, resolve_categories
from gis_onemap.analysis.schemas import BufferRequest, BufferSource
from gis_onemap.categories import REGISTRY, Category
from gis_onemap.categories.validation import checked_geometry
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput, LimitExceeded, NotFound
from gis_onemap.limits import InputLimits
from gis_onemap.query.items import filter_clause

#: Most source features one buffer request may select.
MAX_SOURCES = 5000
#: Decimals of ring coordinates in responses (≈ 1 mm).
RING_DECIMALS = 8


def parse_geometry(
    geometry: Any, crs: str | None = None, limits: InputLimits | None = None
) -> BaseGeometry:
    """A GeoJSON geometry in ``crs`` → a valid, non-empty WGS84 shapely geometry (else 400).

    >>> parse_geometry({"type": "Point", "coordinates": [110.36, 21.27]})
    <POINT (110.36 21.27)>
    >>> parse_geometry({"type": "Polygon", "coordinates": []})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: the geometry is empty
    """
    return checked_geometry(geometry, InvalidInput, crs, limits)


@dataclass(frozen=True)
class Source:
    """One geometry to buffer and where it came from."""

    geom: BaseGeometry
    collection: str | None = None
    id: int | None = None


def geodesic_disc(geom: BaseGeometry, distance_m: float) -> BaseGeometry:
    """Geodesic buffer of a possibly multi-part geometry: each part in its own projection."""
    parts = shapely.get_parts(geom)
    if len(parts) == 1:
        return geodesic_buffer(parts[0], distance_m)
    return shapely.union_all([geodesic_buffer(p, distance_m) for p in parts])


def rings_for(
    sources: Sequence[BaseGeometry], distances_m: Sequence[float]
) -> list[dict[str, Any]]:
    """Dissolved rings around ``sources``: per distance the disc and the ring beyond the last.

    >>> from shapely import Point
    >>> [r["distance_m"] for r in rings_for([Point(110, 21)], [200.0, 100.0])]
    [100.0, 200.0]
    """
    out: list[dict[str, Any]] = []
    previous: BaseGeometry | None = None
    for d in sorted(set(distances_m)):
        discs = [geodesic_disc(g, d) for g in sources]
        disc = discs[0] if len(discs) == 1 else shapely.union_all(discs)
        ring = disc if previous is None else disc.difference(previous)
        out.append(
            {
                "distance_m": float(d),
                "inner_distance_m": out[-1]["distance_m"] if out else 0.0,
                "disc": disc,
                "ring": ring,
            }
        )
        previous = disc
    return out


def ring_feature(ring: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ring as a GeoJSON Feature with ``distance_m`` and geodesic ``area_m2``."""
    geom = ring["ring"]
    props = {
        "distance_m": ring["distance_m"],
        "inner_distance_m": ring["inner_distance_m"],
        "area_m2": round(geodesic_area_m2(geom), 1),
        **(extra or {}),
    }
    rounded = shapely.transform(geom, lambda xy: xy.round(RING_DECIMALS))
    return {"type": "Feature", "geometry": mapping(rounded), "properties": props}


def check_work(sources: Sequence[Source], distances: Sequence[float], limits: InputLimits) -> None:
    """Refuse (413) a buffer whose (source parts) × distances exceeds ``max_buffer_work``.

    Each part of each source is buffered once per distance (each in its own projection), so
    that product is what the request costs; 500 points × 10 distances took 50 s of CPU.

    >>> from shapely import MultiPoint
    >>> check_work([Source(MultiPoint([(110, 21), (111, 21)]))], [1.0, 2.0], InputLimits())
    >>> check_work([Source(MultiPoint([(110, 21), (111, 21)]))], [1.0, 2.0],
    ...            InputLimits(max_buffer_work=3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.LimitExceeded: ... 2 source parts × 2 distances = 4 rings; at most 3 ...
    """
    parts = sum(int(shapely.get_num_geometries(s.geom)) or 1 for s in sources)
    work = parts * len(distances)
    if work > limits.max_buffer_work:
        raise LimitExceeded(
            f"the buffer would draw {parts} source parts × {len(distances)} distances = {work} "
            f"rings; at most {limits.max_buffer_work} allowed: fewer points or distances"
        )


class BufferService:
    """Buffers around a GeoJSON geometry or selected features, optionally intersected."""

    def __init__(
        self, session: Session, include_personal: bool = False, limits: InputLimits | None = None
    ) -> None:
        self.session = session
        self.include_personal = include_personal
        self.limits = limits or InputLimits()

    # ---- sources -------------------------------------------------------------------------
    def sources(self, req: BufferRequest) -> list[Source]:
        """The geometries to buffer (400/404 for bad or missing ones)."""
        if req.geometry is not None:
            return [Source(parse_geometry(req.geometry, req.crs, self.limits))]
        assert req.source is not None
        return self._selected(req.source)

    def _selected(self, src: BufferSource) -> list[Source]:
        category = REGISTRY.get(src.collection)
        if category is None:
            raise InvalidInput(f"unknown category '{src.collection}'; known: {', '.join(REGISTRY)}")
        table = table_for(category.id)
        stmt = select(table.c.id, table.c.geom).order_by(table.c.id).limit(MAX_SOURCES + 1)
        if src.ids is not None:
            stmt = stmt.where(table.c.id.in_(src.ids))
        else:
            # a decoded CQL2 JSON filter goes in as it is: its depth is checked before it is
            # ever serialised again (orjson refuses > 255 levels: that was a 500)
            lang = src.filter_lang or ("cql2-text" if isinstance(src.filter, str) else "cql2-json")
            clause = filter_clause(src.filter, lang, category, table, self.limits)
            if clause is not None:
                stmt = stmt.where(clause)
        rows = self.session.execute(stmt).all()
        if len(rows) > MAX_SOURCES:
            raise InvalidInput(f"the selection holds more than {MAX_SOURCES} features; narrow it")
        if src.ids is not None:
            missing = sorted(set(src.ids) - {r.id for r in rows})
            if missing:
                raise NotFound(f"no feature {missing[0]} in {category.id}")
        if not rows:
            raise InvalidInput(f"the filter selects no features of {category.id}")
        return [Source(to_shape(r.geom), category.id, r.id) for r in rows]

    # ---- buffer --------------------------------------------------------------------------
    def buffer(self, req: BufferRequest) -> dict[str, Any]:
        """Rings per distance (dissolved, or per source), and with ``intersect`` the features."""
        distances = check_distances(req.distances_m)
        targets = resolve_categories(req.intersect) if req.intersect else ()
        sources = self.sources(req)
        check_work(sources, distances, self.limits)
        dissolved = rings_for([s.geom for s in sources], distances)
        features: list[dict[str, Any]] = []
        inside: list[dict[str, Any]] = []
        if targets:
            inside = self.features_in_rings(dissolved, targets)
        counts = _counts_by_ring(inside, distances)
        if req.dissolve or len(sources) == 1:
            for ring in dissolved:
                extra = {"sources": len(sources), **counts.get(ring["distance_m"], {})}
                features.append(ring_feature(ring, extra))
        else:
            for s in sources:
                for ring in rings_for([s.geom], distances):
                    extra = {"source_collection": s.collection, "source_id": s.id}
                    features.append(ring_feature(ring, extra))
        out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
        if targets:
            out["inside"] = {
                "type": "FeatureCollection",
                "features": inside,
                "numberMatched": len(inside),
                "numberReturned": len(inside),
            }
        return out

    def features_in_rings(
        self, rings: list[dict[str, Any]], categories: Sequence[Category]
    ) -> list[dict[str, Any]]:
        """Features of ``categories`` touching the outermost disc, each in its innermost ring."""
        params = {f"disc{i}": shapely.to_wkb(r["disc"]) for i, r in enumerate(rings)}
        out: list[dict[str, Any]] = []
        for category in categories:
            table = table_for(category.id)

            def disc(i: int) -> Any:
                return func.ST_GeomFromWKB(bindparam(f"disc{i}", type_=LargeBinary), 4326)

            last = literal(len(rings) - 1, Integer)
            whens = [(func.ST_Intersects(table.c.geom, disc(i)), i) for i in range(len(rings) - 1)]
            ring_index = case(*whens, else_=last) if whens else last
            expr = FeatureRepository(self.session, category).feature_expr(self.include_personal)
            stmt = (
                select(expr.label("feature"), ring_index.label("ring"))
                .where(func.ST_Intersects(table.c.geom, disc(len(rings) - 1)))
                .order_by("ring", table.c.id)
            )
            for row in self.session.execute(stmt, params):
                feature = dict(row.feature)
                props = dict(feature["properties"])
                props["category"] = category.id
                props["ring_distance_m"] = rings[row.ring]["distance_m"]
                feature["properties"] = props
                out.append(feature)
        return out


def _counts_by_ring(
    inside: list[dict[str, Any]], distances: list[float]
) -> dict[float, dict[str, Any]]:
    """Per ring: features inside by category, and the protected population."""
    out: dict[float, dict[str, Any]] = {d: {"inside": {}, "population": 0} for d in distances}
    for f in inside:
        p = f["properties"]
        slot = out[p["ring_distance_m"]]
        slot["inside"][p["category"]] = slot["inside"].get(p["category"], 0) + 1
        people = REGISTRY[p["category"]].population_field  # declared: protected targets
        if people is not None:
            slot["population"] += p.get(people) or 0
    return out

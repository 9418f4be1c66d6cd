"""Road use cases shared by the HTTP routers and the CLI.

Nearest by travel time, routes, service areas and closures.

Nearest by time is exact, not a re-ranking of straight-line neighbours: for a time bound ``T``
every resource that can arrive within ``T`` lies within ``T × v_max`` in a straight line, so all
of them are candidates; their times come from one Dijkstra bounded by ``T``
(``pgr_drivingDistance``). The first ``T`` is guessed from the k-th nearest straight-line
distance; when fewer than ``k`` arrive within ``T`` the bound doubles (up to 4 hours).
Resources farther than the snapping limit from any road, or that cannot reach the incident at
all, are listed after the reachable ones with their straight-line distance and
``"reachable": false``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis_onemap.analysis.hazard_zones import hazard_zone_radii
from gis_onemap.analysis.inputs import CategoryFilters, Origin, category_filters
from gis_onemap.analysis.proximity import nearest_statement, within_statement
from gis_onemap.categories import Category, get_category
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.roads import areas, routing
from gis_onemap.roads.hazards import HazardAvoidance, avoid_hazard_zones
from gis_onemap.roads.routing import Snap
from gis_onemap.settings import Settings

#: Longest time bound (seconds): the search widens up to 4 hours.
MAX_BOUND_S = 14400.0
#: First bound = this × (straight-line distance of the k-th nearest) / v_max. Roads are longer
#: than the straight line and slower than v_max; 3 covers a grid at half the top speed. A guess
#: too small costs one more round (the bound doubles), never a wrong answer.
FIRST_BOUND_FACTOR = 3.0
#: Most candidate features read per bound (the nearest in a straight line come first).
MAX_CANDIDATES = 5000

_PATH_LENGTHS_SQL = """
SELECT p.start_vid, sum(e.length_m)
FROM pgr_dijkstra(:sql, CAST(:src AS bigint[]), CAST(:dst AS bigint), true) p
JOIN road_edges e ON e.id = p.edge
GROUP BY p.start_vid
"""


@dataclass(frozen=True)
class Avoid:
    """What routes must not use: active closures, and/or areas set for this transaction."""

    closures: bool = True
    areas: bool = False


def time_bounds(kth_distance_m: float, vmax_mps: float) -> list[float]:
    """Time bounds tried in turn.

    A first guess from the k-th nearest straight-line distance, doubled until 4 hours (each bound is
    exact: every resource arriving within it is found).

    >>> time_bounds(1000.0, 20.0)
    [150.0, 300.0, 600.0, 1200.0, 2400.0, 4800.0, 9600.0, 14400.0]
    >>> time_bounds(0.0, 20.0)[:2]
    [60.0, 120.0]
    """
    first = min(max(FIRST_BOUND_FACTOR * kth_distance_m / vmax_mps, 60.0), MAX_BOUND_S)
    out = [first]
    while out[-1] < MAX_BOUND_S:
        out.append(min(out[-1] * 2, MAX_BOUND_S))
    return out


def parse_avoid(value: str | None) -> set[str]:
    """``avoid=closures,hazard_zones`` → the set of names (unknown names refused).

    >>> sorted(parse_avoid("closures, hazard_zones")), parse_avoid(None)
    (['closures', 'hazard_zones'], set())
    """
    names = {v.strip() for v in (value or "").split(",") if v.strip()}
    unknown = names - {"closures", "hazard_zones"}
    if unknown:
        raise InvalidInput(f"avoid: unknown {sorted(unknown)}; use closures and/or hazard_zones")
    return names


#: The avoid names used when a request gives none: active closures are always respected.
DEFAULT_AVOID = frozenset({"closures"})


class RoadService:
    """Travel-time analyses on the loaded network."""

    def __init__(
        self,
        session: Session,
        *,
        max_snap_m: float = 2000.0,
        hazard_radii: Mapping[int, float] | None = None,
        hazard_near_m: float = 1000.0,
        max_minutes: float = areas.MAX_MINUTES,
        max_bands: int = areas.MAX_BANDS,
    ) -> None:
        self.session = session
        self.max_snap_m = max_snap_m
        self.hazard_radii = hazard_zone_radii(hazard_radii)
        self.hazard_near_m = hazard_near_m
        self.max_minutes = max_minutes
        self.max_bands = max_bands

    @classmethod
    def from_settings(cls, session: Session, settings: Settings) -> RoadService:
        """The service with the limits and hazard-zone radii of ``settings``."""
        return cls(
            session,
            max_snap_m=settings.road_max_snap_m,
            hazard_radii=settings.hazard_zone_radii_m,
            hazard_near_m=settings.road_hazard_zone_near_m,
            max_minutes=settings.road_max_minutes,
            max_bands=settings.road_max_bands,
        )

    def prepare_avoid(
        self, names: Set[str], incident: Origin | None, ends: Sequence[Origin]
    ) -> tuple[Avoid, HazardAvoidance | None]:
        """What this request's routes avoid.

        ``hazard_zones`` closes the zones near ``incident`` (or, without one, near the first of
        ``ends``) for this transaction, except a zone holding one of ``ends`` (see
        :mod:`gis_onemap.roads.hazards`).
        """
        hazards = None
        if "hazard_zones" in names:
            around = incident or (ends[0] if ends else None)
            if around is None:
                raise InvalidInput("avoid=hazard_zones needs an incident or a starting point")
            hazards = avoid_hazard_zones(
                self.session, around, self.hazard_radii, self.hazard_near_m, ends
            )
        return Avoid(closures="closures" in names, areas=hazards is not None), hazards

    def feature_point(self, collection: str, fid: Any) -> Origin:
        """Where to route to for a stored feature: its point, or its first vertex."""
        category = get_category(collection)
        try:
            key = int(fid)
        except (TypeError, ValueError):
            raise NotFound(f"no feature '{fid}' in {collection}") from None
        table = table_for(category.id)
        row = self.session.execute(
            select(func.ST_AsGeoJSON(table.c.geom)).where(table.c.id == key)
        ).first()
        if row is None or row[0] is None:
            raise NotFound(f"no feature {key} in {collection}")
        lon, lat = point_of({"geometry": orjson.loads(row[0])})
        return Origin(lon, lat)

    def evacuation_route(
        self, origin: Origin, people: int | None, avoid: Avoid = Avoid()
    ) -> dict[str, Any]:
        """The route from ``origin`` to the shelter reached first that has room for ``people``.

        Any shelter with a capacity when ``None``; :class:`NotFound` when none can be reached.
        """
        need = 1 if people is None else people
        shelters = (get_category("shelters"),)
        filters = category_filters({"min_capacity": str(need)}, shelters)
        found = self.nearest_by_time(origin, shelters, filters, 1, to_origin=False, avoid=avoid)
        hits = [f for f in found["features"] if f["properties"]["reachable"]]
        if not hits:
            raise NotFound(
                f"no shelter with room for {need} people can be reached over the road network"
            )
        shelter = hits[0]
        lon, lat = point_of(shelter)
        feature = self.route(origin, Origin(lon, lat), avoid)
        props = shelter["properties"]
        feature["properties"].update(
            shelter_id=shelter.get("id"),
            shelter_name=props.get("name"),
            shelter_capacity=props.get("capacity"),
            people=people,
        )
        return feature

    def snap(self, origin: Origin) -> Snap:
        """``origin`` snapped to the nearest road (:class:`InvalidInput` beyond ``max_snap_m``)."""
        return routing.snap(self.session, origin.lon, origin.lat, self.max_snap_m)

    def route(self, a: Origin, b: Origin, avoid: Avoid = Avoid()) -> dict[str, Any]:
        """The fastest route from ``a`` to ``b`` as a GeoJSON Feature."""
        sa, sb = self.snap(a), self.snap(b)
        r = routing.route(
            self.session, sa, sb, avoid_closures=avoid.closures, avoid_areas=avoid.areas
        )
        return {
            "type": "Feature",
            "geometry": r.geometry,
            "properties": {
                "eta_s": round(r.seconds, 1),
                "length_m": round(r.length_m, 1),
                "road_names": r.road_names,
                "from_snap_distance_m": round(sa.distance_m, 2),
                "to_snap_distance_m": round(sb.distance_m, 2),
                "edges": len(r.edges),
            },
        }

    def service_area(
        self, origin: Origin, minutes: Sequence[float], towards: bool, avoid: Avoid = Avoid()
    ) -> dict[str, Any]:
        """Bands reachable from (or, ``towards``, reaching) ``origin`` within each time."""
        return areas.service_area(
            self.session,
            self.snap(origin),
            minutes,
            towards=towards,
            avoid_closures=avoid.closures,
            avoid_areas=avoid.areas,
            max_minutes=self.max_minutes,
            max_bands=self.max_bands,
        )

    def costs(
        self, origin: Snap, vertices: list[int], within_s: float, to_origin: bool, avoid: Avoid
    ) -> dict[int, float]:
        """Seconds between ``origin`` and each of ``vertices`` reached within ``within_s``."""
        return routing.costs_from(
            self.session,
            origin.vertex,
            vertices,
            within_s=within_s,
            around=(origin.lon, origin.lat),
            reverse=to_origin,  # to the origin = from it on the reversed graph
            avoid_closures=avoid.closures,
            avoid_areas=avoid.areas,
        )

    def lengths(
        self, origin: Snap, vertices: list[int], to_origin: bool, avoid: Avoid, within_s: float
    ) -> dict[int, float]:
        """Route lengths (m) of the chosen few, from one many-to-one ``pgr_dijkstra``."""
        others = sorted({v for v in vertices if v != origin.vertex})
        if not others:
            return {origin.vertex: 0.0}
        box = routing.Box.around(
            origin.lon, origin.lat, within_s * routing.max_speed_mps(self.session) + 1.0
        )
        sql = routing.edges_sql(
            box, avoid_closures=avoid.closures, avoid_areas=avoid.areas, reverse=not to_origin
        )
        # from the origin outwards = to the origin on the reversed graph (same paths, same edges)
        rows = self.session.execute(
            text(_PATH_LENGTHS_SQL), {"sql": sql, "src": others, "dst": origin.vertex}
        ).all()
        out = {int(v): float(m) for v, m in rows}
        out[origin.vertex] = 0.0
        return out

    def nearest_by_time(
        self,
        origin: Origin,
        categories: Sequence[Category],
        filters: CategoryFilters,
        k: int,
        *,
        to_origin: bool = True,
        include_personal: bool = False,
        avoid: Avoid = Avoid(),
    ) -> dict[str, Any]:
        """The ``k`` features that reach ``origin`` first, or are reached first from it.

        ``to_origin`` picks the direction; over ``categories``: a FeatureCollection ordered by ETA.
        """
        start = self.snap(origin)
        vmax = routing.max_speed_mps(self.session)
        chosen = filters.categories(categories)
        if not chosen:
            return _collection([], start)
        ids = tuple(c.id for c in categories)
        # the k nearest in a straight line give the first time bound (a cheap KNN query); a
        # tight bound keeps the edges read, the candidates snapped and the search small
        near = self.session.execute(
            nearest_statement(ids, include_personal, False, filters.key),
            {"origin": origin.ewkt, "k": k},
        ).all()
        if not near:
            return _collection([], start, direction="to" if to_origin else "from")
        bounds = time_bounds(max(float(r.distance_m) for r in near), vmax)
        stmt = within_statement(ids, include_personal, filters.key)
        rows: list[Any] = []
        snaps: list[Snap | None] = []
        costs: dict[int, float] = {}
        for bound in bounds:
            params = {"origin": origin.ewkt, "radius": bound * vmax + 1.0, "limit": MAX_CANDIDATES}
            rows = list(self.session.execute(stmt, params).all())
            points = [point_of(r.feature) for r in rows]
            snaps = routing.snap_many(self.session, points, self.max_snap_m)
            vertices = [s.vertex for s in snaps if s is not None]
            costs = self.costs(start, vertices, bound, to_origin, avoid)
            arrived = sum(1 for s in snaps if s is not None and s.vertex in costs)
            if arrived >= k or bound == bounds[-1] or len(rows) == MAX_CANDIDATES:
                break
        ranked = sorted(
            (costs[s.vertex], i) for i, s in enumerate(snaps) if s is not None and s.vertex in costs
        )[:k]
        chosen_vertices = [snaps[i].vertex for _, i in ranked]  # type: ignore[union-attr]
        # the route lengths need only the edges within the k-th ETA, not the whole bound
        reach = ranked[-1][0] + 1.0 if ranked else 0.0
        lengths = self.lengths(start, chosen_vertices, to_origin, avoid, reach) if ranked else {}
        features = []
        for eta, i in ranked:
            s = snaps[i]
            assert s is not None
            features.append(_hit(rows[i], eta, lengths.get(s.vertex), s.distance_m, reachable=True))
        unreachable = [i for i, s in enumerate(snaps) if s is None or s.vertex not in costs]
        for i in unreachable[: max(0, k - len(features))]:
            s = snaps[i]
            features.append(
                _hit(rows[i], None, None, None if s is None else s.distance_m, reachable=False)
            )
        return _collection(features, start, direction="to" if to_origin else "from")


def point_of(feature: Any) -> tuple[float, float]:
    """A representative point of a feature (its point, or its first vertex for areas)."""
    geom = feature["geometry"] if isinstance(feature, dict) else orjson.loads(feature)["geometry"]
    coords: Any = geom["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return float(coords[0]), float(coords[1])


def _hit(
    row: Any, eta: float | None, length: float | None, snap_m: float | None, *, reachable: bool
) -> dict[str, Any]:
    feature = dict(row.feature)
    props = dict(feature.get("properties") or {})
    props.update(
        category=row.category,
        eta_s=None if eta is None else round(eta, 1),
        route_length_m=None if length is None else round(length, 1),
        snap_distance_m=None if snap_m is None else round(snap_m, 2),
        distance_m=round(float(row.distance_m), 3),
        reachable=reachable,
    )
    if not reachable:
        props["fallback"] = "straight_line"
    feature["properties"] = props
    return feature


def _collection(
    features: list[dict[str, Any]], start: Snap, direction: str = "to"
) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": len(features),
        "by": "time",
        "direction": direction,
        "origin_snap_distance_m": round(start.distance_m, 2),
    }


def require_network(session: Session) -> dict[str, Any]:
    """The loaded network's report, or a 404 that says how to load one."""
    try:
        return routing.network_info(session)
    except NotFound:
        raise NotFound("no road network is loaded: onemap roads load FILE") from None

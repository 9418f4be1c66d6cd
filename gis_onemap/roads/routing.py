"""Travel-time queries on the loaded network with pgRouting: snapping, routes, costs, closures.

pgRouting takes the edges as an SQL text. :func:`edges_sql` builds it from numbers formatted by
Python (never client text), so it cannot be injected; closures and areas to avoid live in tables
(``road_closures``) that the text refers to, or hex WKB checked to be hex (areas to avoid).

Costs are seconds. Directions: ``cost`` is the time along the edge's digitised direction,
``reverse_cost`` against it (negative = one-way). For "time from each resource *to* the
incident" the graph is reversed (cost and reverse cost swapped) and searched from the incident.

Reading only the edges that can matter keeps each query small: anything reachable within ``T``
seconds lies within ``T × v_max`` metres of the origin in a straight line (no edge is faster than
``v_max``, recorded at load time), so edges outside that circle's bounding box cannot be on such a
path and are left out without changing any result up to ``T``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from pyproj import Geod
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import InvalidInput, NotFound

_GEOD = Geod(ellps="WGS84")
#: Metres per degree of latitude (upper bound, so boxes err on the large side).
_M_PER_DEG = 110_574.0


@dataclass(frozen=True)
class Snap:
    """A point placed on the network: the nearest vertex and how far it was."""

    vertex: int
    distance_m: float
    lon: float
    lat: float


@dataclass(frozen=True)
class Box:
    """A lon/lat box (degrees)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @classmethod
    def around(cls, lon: float, lat: float, radius_m: float) -> Box:
        """A box holding every point within ``radius_m`` of (lon, lat).

        >>> b = Box.around(110.0, 21.0, 111_000)
        >>> round(b.ymax - 21.0, 3), b.xmax - 110.0 > b.ymax - 21.0
        (1.004, True)
        """
        dlat = radius_m / _M_PER_DEG
        coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
        dlon = min(radius_m / (_M_PER_DEG * coslat), 180.0)
        return cls(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def geodesic_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two WGS84 points on the spheroid (what ``ST_Distance(geography)`` gives).

    >>> round(geodesic_m(110.0, 21.0, 110.0, 21.001), 1)
    110.7
    """
    return float(_GEOD.inv(lon1, lat1, lon2, lat2)[2])


def network_info(session: Session) -> dict[str, Any]:
    """The last load's report; :class:`NotFound` when no network is loaded."""
    row = session.execute(text("SELECT report FROM road_loads ORDER BY id DESC LIMIT 1")).first()
    if row is None or not session.execute(text("SELECT 1 FROM road_edges LIMIT 1")).first():
        raise NotFound("no road network is loaded (onemap roads load FILE)")
    return dict(row[0])


def snap(session: Session, lon: float, lat: float, max_m: float) -> Snap:
    """The network vertex nearest to (lon, lat); :class:`InvalidInput` beyond ``max_m``."""
    row = session.execute(
        text(
            "SELECT id, ST_Distance(geography(geom), geography(p.g)) AS d, ST_X(geom), ST_Y(geom)"
            " FROM road_vertices, (SELECT ST_SetSRID(ST_MakePoint(:x, :y), 4326) AS g) p"
            " ORDER BY geom <-> p.g LIMIT 8"
        ),
        {"x": lon, "y": lat},
    ).all()
    if not row:
        raise NotFound("no road network is loaded (onemap roads load FILE)")
    best = min(row, key=lambda r: r[1])  # the planar KNN order, re-ranked on the spheroid
    if best[1] > max_m:
        raise InvalidInput(
            f"the point ({lon:.6f}, {lat:.6f}) is {best[1]:.0f} m from the nearest road "
            f"(at most {max_m:.0f} m)"
        )
    return Snap(int(best[0]), float(best[1]), float(best[2]), float(best[3]))


def snap_many(
    session: Session, points: Sequence[tuple[float, float]], max_m: float
) -> list[Snap | None]:
    """The nearest vertex of each point in one query (``None`` beyond ``max_m``)."""
    if not points:
        return []
    rows = session.execute(
        text(
            "SELECT p.i, v.id, v.d, v.x, v.y FROM unnest(CAST(:xs AS float8[]),"
            " CAST(:ys AS float8[])) WITH ORDINALITY AS p(x, y, i)"
            # the 8 nearest in the planar KNN order, re-ranked on the spheroid (as snap does):
            # at 60°N a degree of longitude is half a degree of latitude
            " CROSS JOIN LATERAL (SELECT * FROM (SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y,"
            "   ST_Distance(geography(geom), geography(ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)))"
            "   AS d FROM road_vertices"
            "   ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) LIMIT 8) c"
            "   ORDER BY d, id LIMIT 1) v"
        ),
        {"xs": [p[0] for p in points], "ys": [p[1] for p in points]},
    ).all()
    out: list[Snap | None] = [None] * len(points)
    for i, vid, d, x, y in rows:
        if d <= max_m:
            out[int(i) - 1] = Snap(int(vid), float(d), float(x), float(y))
    return out


#: The areas (hex WKB, WGS84) the current request's routes avoid. A context variable, not a temp
#: table: analyses run in read-only transactions (issue 10), where PostgreSQL refuses even
#: CREATE TEMP TABLE; FastAPI runs each request in a copied context, so requests never share it.
_AVOID_AREAS: ContextVar[tuple[str, ...]] = ContextVar("road_avoid_areas", default=())
_HEX = re.compile(r"[0-9A-Fa-f]+")


def set_avoid_areas(session: Session, wkb_hex: Sequence[str]) -> None:
    """Areas (WGS84 polygons, hex WKB) whose roads the routes of this request must not use.

    Read by :func:`edges_where` with ``avoid_areas=True``; ``session`` is kept for callers.
    """
    areas = tuple(wkb_hex)
    if not all(_HEX.fullmatch(w) for w in areas):  # they are inlined into the edges SQL
        raise ValueError("avoid areas must be hex WKB")
    _AVOID_AREAS.set(areas)


def edges_where(
    box: Box | None = None, *, avoid_closures: bool = True, avoid_areas: bool = False
) -> str:
    """The condition on ``road_edges e`` of the open edges (inside ``box``, not closed or avoided).

    >>> edges_where(avoid_closures=False)
    'TRUE'
    """
    where = ["TRUE"]
    if box is not None:
        vals = [float(v) for v in (box.xmin, box.ymin, box.xmax, box.ymax)]
        where.append(
            "e.geom && ST_MakeEnvelope({:.9f}, {:.9f}, {:.9f}, {:.9f}, 4326)".format(*vals)
        )
    if avoid_closures:
        where.append(
            "NOT EXISTS (SELECT 1 FROM road_closures c WHERE"
            " (c.valid_from IS NULL OR c.valid_from <= now())"
            " AND (c.valid_to IS NULL OR c.valid_to > now())"
            " AND (e.id = ANY(c.edge_ids) OR ST_Intersects(c.geom, e.geom)))"
        )
    areas = _AVOID_AREAS.get() if avoid_areas else ()
    if areas:  # hex digits only (checked when set): safe to inline
        values = ", ".join(f"('{w}')" for w in areas)
        where.append(
            f"NOT EXISTS (SELECT 1 FROM (VALUES {values}) a(w) WHERE ST_Intersects("
            "ST_SetSRID(ST_GeomFromWKB(decode(a.w, 'hex')), 4326), e.geom))"
        )
    return " AND ".join(where)


_ACTIVE = (
    "(c.valid_from IS NULL OR c.valid_from <= now()) AND (c.valid_to IS NULL OR c.valid_to > now())"
)


def closed_edges_sql(*, avoid_closures: bool = True, avoid_areas: bool = False) -> str | None:
    """The ids of the edges :func:`edges_where` leaves out, or ``None``.

    Closed now, or in an area to avoid, as a query that starts from the closures (a few rows)
    instead of testing every edge; ``None`` when nothing is avoided.

    >>> closed_edges_sql(avoid_closures=False) is None
    True
    >>> "UNION" in closed_edges_sql()
    True
    """
    parts = []
    if avoid_closures:
        parts.append(f"SELECT unnest(c.edge_ids) FROM road_closures c WHERE {_ACTIVE}")
        parts.append(
            "SELECT e.id FROM road_closures c JOIN road_edges e ON ST_Intersects(c.geom, e.geom)"
            f" WHERE {_ACTIVE}"
        )
    areas = _AVOID_AREAS.get() if avoid_areas else ()
    if areas:  # hex digits only (checked when set): safe to inline
        values = ", ".join(f"('{w}')" for w in areas)
        parts.append(
            f"SELECT e.id FROM (VALUES {values}) a(w) JOIN road_edges e ON ST_Intersects("
            "ST_SetSRID(ST_GeomFromWKB(decode(a.w, 'hex')), 4326), e.geom)"
        )
    return " UNION ".join(parts) or None


def edges_sql(
    box: Box | None = None,
    *,
    avoid_closures: bool = True,
    avoid_areas: bool = False,
    reverse: bool = False,
) -> str:
    """The pgRouting edges query: optionally inside ``box``, without closed or avoided edges.

    >>> "road_closures" in edges_sql(), "VALUES" in edges_sql(avoid_areas=True)
    (True, False)
    >>> "reverse_cost_s AS cost" in edges_sql(reverse=True)
    True
    """
    cost, rcost = ("reverse_cost_s", "cost_s") if reverse else ("cost_s", "reverse_cost_s")
    where = edges_where(box, avoid_closures=avoid_closures, avoid_areas=avoid_areas)
    return (
        f"SELECT id, source, target, {cost} AS cost, {rcost} AS reverse_cost"
        f" FROM road_edges e WHERE {where}"
    )


def max_speed_mps(session: Session) -> float:
    """The fastest edge's speed (m/s), from the last load's report."""
    kmh = float(network_info(session).get("max_speed_kmh") or 0.0)
    return max(kmh / 3.6, 0.1)


_REACHED_SQL = """
SELECT d.node, d.agg_cost
FROM pgr_drivingDistance(:sql, CAST(:start AS bigint), CAST(:within AS float8), true) d
WHERE d.node = ANY(CAST(:wanted AS bigint[]))
"""


def costs_from(
    session: Session,
    start: int,
    wanted: Sequence[int],
    *,
    within_s: float,
    around: tuple[float, float],
    reverse: bool = False,
    avoid_closures: bool = True,
    avoid_areas: bool = False,
) -> dict[int, float]:
    """Seconds from ``start`` to each of ``wanted``, for those within ``within_s``.

    With ``reverse``: from each to ``start``.

    One Dijkstra bounded by the time (``pgr_drivingDistance``) over the edges within
    ``within_s × v_max`` of ``around`` (the start's position), whatever the number of vertices
    wanted: a many-to-one ``pgr_dijkstraCost`` runs one search per source instead, which is what
    made 1,000 candidates slow (bench/roads.py). Exact for every time up to ``within_s``.
    """
    if not wanted:
        return {}
    box = Box.around(around[0], around[1], within_s * max_speed_mps(session) + 1.0)
    sql = edges_sql(box, avoid_closures=avoid_closures, avoid_areas=avoid_areas, reverse=reverse)
    rows = session.execute(
        text(_REACHED_SQL),
        {"sql": sql, "start": start, "within": within_s, "wanted": sorted(set(wanted))},
    ).all()
    out = {int(v): float(c) for v, c in rows if c <= within_s}
    if start in wanted:
        out[start] = 0.0
    return out


def costs_to(
    session: Session,
    target: int,
    sources: Sequence[int],
    *,
    within_s: float,
    around: tuple[float, float],
    avoid_closures: bool = True,
    avoid_areas: bool = False,
) -> dict[int, float]:
    """Seconds from each source vertex to ``target`` (only those reachable within ``within_s``).

    :func:`costs_from` on the reversed graph, ``around`` being the target's position.
    """
    return costs_from(
        session,
        target,
        sources,
        within_s=within_s,
        around=around,
        reverse=True,
        avoid_closures=avoid_closures,
        avoid_areas=avoid_areas,
    )


@dataclass(frozen=True)
class Route:
    """A route: the line, its time and length, and the road names in order."""

    seconds: float
    length_m: float
    geometry: dict[str, Any]
    road_names: list[str]
    edges: list[int]


_ROUTE_SQL = """
WITH path AS (
    SELECT p.seq, p.edge, p.node, p.cost FROM pgr_dijkstra(:sql, CAST(:a AS bigint),
        CAST(:b AS bigint), true) p WHERE p.edge > 0
)
SELECT path.seq, path.edge, e.name, e.length_m, path.cost,
       ST_AsGeoJSON(CASE WHEN e.source = path.node THEN e.geom ELSE ST_Reverse(e.geom) END, 7)
FROM path JOIN road_edges e ON e.id = path.edge ORDER BY path.seq
"""


def route(
    session: Session,
    a: Snap,
    b: Snap,
    *,
    avoid_closures: bool = True,
    avoid_areas: bool = False,
) -> Route:
    """The fastest route from ``a`` to ``b``; :class:`NotFound` when ``b`` cannot be reached."""
    if a.vertex == b.vertex:
        point = {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]}
        return Route(0.0, 0.0, point, [], [])
    sql = edges_sql(None, avoid_closures=avoid_closures, avoid_areas=avoid_areas)
    rows = session.execute(text(_ROUTE_SQL), {"sql": sql, "a": a.vertex, "b": b.vertex}).all()
    if not rows:
        raise NotFound("the destination cannot be reached over the road network")

    coords: list[list[float]] = []
    names: list[str] = []
    seconds = length = 0.0
    for _seq, _edge, name, length_m, cost, geojson in rows:
        part = orjson.loads(geojson)["coordinates"]  # each edge drawn in travel direction
        coords.extend(part if not coords else part[1:])
        length += float(length_m)
        seconds += float(cost)  # the cost pgRouting used: forward or reverse as travelled
        if name and (not names or names[-1] != name):
            names.append(name)
    geometry = {"type": "LineString", "coordinates": coords}
    return Route(seconds, length, geometry, names, [int(r[1]) for r in rows])

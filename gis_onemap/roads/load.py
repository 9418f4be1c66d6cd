"""Road network import: an OSM extract (``.osm.pbf``) or a bureau's road layer → ``road_edges``.

Sources are read into one :class:`RoadFrame` (edges already split at junctions, with node keys),
then written by :func:`load_network`: COPY into a staging table, then, in the same transaction,
the old network is deleted and the new one inserted with geodesic lengths and travel-time costs
computed in PostGIS (C speed; ≥ 50,000 edges/s). A failure anywhere rolls the whole load back, so
the previous network stays in place (atomic re-load); readers keep seeing the old network until
the commit (DELETE, not TRUNCATE, which would lock them out).

OSM extracts are read with pyrosm, which splits ways at shared nodes (a junction is a node two
ways share; a bridge crossing a road shares none, so it stays unconnected — GDAL's OSM driver
would lose the node ids). Bureau layers are assumed digitised with edges ending at junctions (the
usual practice in Shapefiles of road centrelines): ends closer than ``snap_m`` become one node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Column, MetaData, Table, text
from sqlalchemy.orm import Session

from gis_onemap.db.bulk import copy_columns
from gis_onemap.errors import InvalidInput
from gis_onemap.roads.classes import ROAD_CLASS_IDS, class_for, default_speeds, osm_class

#: Values of a oneway field/tag meaning "only in the digitised direction" / "only against it".
ONEWAY_FORWARD = {"yes", "true", "1", "t", "y", "是", "单行", "正向", "ft"}
ONEWAY_BACKWARD = {"-1", "reverse", "tf", "逆向", "反向"}
TRUE_VALUES = {"yes", "true", "1", "t", "y", "是", "viaduct", "aqueduct", "building_passage"}
#: OSM highway values that are one-way unless tagged otherwise (OSM wiki, Key:oneway).
IMPLIED_ONEWAY = {"motorway", "motorway_link"}


@dataclass
class LayerMapping:
    """Which fields of a bureau's road layer hold what (``None`` = not present)."""

    class_field: str = "road_class"
    name_field: str | None = "name"
    speed_field: str | None = None
    oneway_field: str | None = None
    bridge_field: str | None = None
    tunnel_field: str | None = None
    ferry_minutes_field: str | None = None
    #: class value in the layer → class id, for values that are neither ids nor Chinese names
    class_values: Mapping[str, str] = field(default_factory=dict)


@dataclass
class RoadFrame:
    """Edges as columns: node keys ``u``/``v``, WGS84 line geometries and attributes."""

    u: np.ndarray
    v: np.ndarray
    geometry: np.ndarray  # shapely LineStrings, digitised from u to v
    road_class: list[str]
    name: list[str | None]
    oneway: np.ndarray  # bool: only u → v
    bridge: np.ndarray
    tunnel: np.ndarray
    ferry: np.ndarray
    speed_kmh: list[float | None]
    fixed_s: list[float | None]  # a ferry's crossing time, when known
    osm_id: list[int | None]

    def __len__(self) -> int:
        return len(self.u)


def _truthy(values: pd.Series) -> np.ndarray:
    return values.fillna("").astype(str).str.strip().str.lower().isin(TRUE_VALUES).to_numpy()


def _duration_s(value: Any) -> float | None:
    """OSM ``duration`` (``mm``, ``hh:mm`` or ``hh:mm:ss``) in seconds.

    >>> _duration_s("01:30"), _duration_s("45"), _duration_s(None), _duration_s("x")
    (5400.0, 2700.0, None, None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    parts = str(value).strip().split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if len(nums) == 1:
        return nums[0] * 60
    weights = (3600, 60, 1)[: len(nums)]
    return float(sum(n * w for n, w in zip(nums, weights, strict=True)))


def _tag(tags: Any, key: str) -> Any:
    if isinstance(tags, str):
        try:
            tags = orjson.loads(tags)
        except orjson.JSONDecodeError:
            return None
    return tags.get(key) if isinstance(tags, dict) else None


def _endpoint_keys(geoms: np.ndarray, snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Node keys of each line's two ends: ends within about ``snap_m`` share a key (a grid of
    ``snap_m`` metres in latitude; longitude cells shrink with cos(lat), so they stay square)."""
    starts = shapely.get_coordinates(shapely.get_point(geoms, 0))
    ends = shapely.get_coordinates(shapely.get_point(geoms, -1))
    cell = max(snap_m, 0.01) / 111_320.0
    coslat = np.cos(np.radians(np.concatenate([starts[:, 1], ends[:, 1]]).mean()))

    def key(xy: np.ndarray) -> np.ndarray:
        gx = np.round(xy[:, 0] * coslat / cell).astype(np.int64)
        gy = np.round(xy[:, 1] / cell).astype(np.int64)
        return gx * 4_000_000_000 + gy

    return key(starts), key(ends)


def read_osm_pbf(path: Path, bbox: tuple[float, float, float, float] | None = None) -> RoadFrame:
    """Drivable roads (and car ferries) of an OSM extract, split at junctions."""
    import pyrosm

    osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
    got = osm.get_network(network_type="driving", nodes=True)  # nodes=True: edges get u/v
    edges = got[1] if got is not None else pd.DataFrame()
    if len(edges) == 0:
        raise InvalidInput(f"'{path.name}' has no drivable roads" + (" in --bbox" if bbox else ""))
    edges = edges[edges["highway"].map(lambda h: osm_class(str(h)) is not None)]
    if len(edges) == 0:
        raise InvalidInput(f"'{path.name}' has no roads of a known class")
    geoms = shapely.line_merge(np.asarray(edges.geometry.values))
    single = shapely.get_type_id(geoms) == 1  # LineString (MultiLineStrings are rare; skipped)
    edges, geoms = edges[single], geoms[single]
    hw = edges["highway"].astype(str)
    oneway_tag = edges["oneway"].fillna("").astype(str).str.lower()
    tags = edges["tags"] if "tags" in edges else pd.Series([None] * len(edges), index=edges.index)
    roundabout = tags.map(lambda t: _tag(t, "junction") in ("roundabout", "circular")).to_numpy()
    backward = oneway_tag.isin(ONEWAY_BACKWARD).to_numpy()
    forward = (
        oneway_tag.isin(ONEWAY_FORWARD).to_numpy()
        | (hw.isin(IMPLIED_ONEWAY).to_numpy() & (oneway_tag != "no").to_numpy())
        | (roundabout & (oneway_tag != "no").to_numpy())
    )
    u = edges["u"].to_numpy(np.int64).copy()
    v = edges["v"].to_numpy(np.int64).copy()
    geoms = np.where(backward, shapely.reverse(geoms), geoms)
    u, v = np.where(backward, v, u), np.where(backward, u, v)
    names = [_text(n) for n in edges["name"]]
    frame = RoadFrame(
        u=u,
        v=v,
        geometry=geoms,
        road_class=[osm_class(h) or "village" for h in hw],
        name=names,
        oneway=forward | backward,
        bridge=_truthy(edges["bridge"]) if "bridge" in edges else np.zeros(len(u), bool),
        tunnel=_truthy(edges["tunnel"]) if "tunnel" in edges else np.zeros(len(u), bool),
        ferry=np.zeros(len(u), bool),
        speed_kmh=[None] * len(u),
        fixed_s=[None] * len(u),
        osm_id=[int(i) for i in edges["id"]],
    )
    return _with_osm_ferries(osm, frame)


def _with_osm_ferries(osm: Any, roads: RoadFrame) -> RoadFrame:
    """Add ``route=ferry`` ways whose ends meet the road network (matched by coordinates)."""
    try:
        ferries = osm.get_data_by_custom_criteria(
            custom_filter={"route": ["ferry"]}, filter_type="keep", keep_nodes=False,
            keep_relations=False,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - pyrosm raises bare errors on extracts without ferries
        ferries = None
    if ferries is None or len(ferries) == 0:
        return roads
    geoms = shapely.line_merge(np.asarray(ferries.geometry.values))
    geoms = geoms[shapely.get_type_id(geoms) == 1]
    if len(geoms) == 0:
        return roads
    ends = np.concatenate(
        [shapely.get_point(roads.geometry, 0), shapely.get_point(roads.geometry, -1)]
    )
    node_of = dict(zip(map(tuple, np.round(shapely.get_coordinates(ends), 7)),
                       np.concatenate([roads.u, roads.v]), strict=True))  # fmt: skip
    fu, fv, keep = [], [], []
    for i, g in enumerate(geoms):
        a = node_of.get(tuple(np.round(shapely.get_coordinates(g)[0], 7)))
        b = node_of.get(tuple(np.round(shapely.get_coordinates(g)[-1], 7)))
        if a is not None and b is not None:
            fu.append(a), fv.append(b), keep.append(i)  # type: ignore[func-returns-value]
    if not keep:
        return roads
    fg = geoms[keep]
    picked = ferries.iloc[keep]
    tags = picked["tags"] if "tags" in picked else pd.Series([None] * len(keep))
    names = picked["name"] if "name" in picked else pd.Series([None] * len(keep))
    n = len(keep)
    ferry_frame = RoadFrame(
        u=np.asarray(fu, np.int64),
        v=np.asarray(fv, np.int64),
        geometry=fg,
        road_class=["ferry"] * n,
        name=[_text(x) for x in names],
        oneway=np.zeros(n, bool),
        bridge=np.zeros(n, bool),
        tunnel=np.zeros(n, bool),
        ferry=np.ones(n, bool),
        speed_kmh=[None] * n,
        fixed_s=[_duration_s(_tag(t, "duration")) for t in tags],
        osm_id=[int(i) for i in picked["id"]],
    )
    return _concat(roads, ferry_frame)


def _text(value: Any) -> str | None:
    """A cell as text; ``None`` for missing/NaN/blank.

    >>> _text(float("nan")), _text(" "), _text("人民大道")
    (None, None, '人民大道')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def _concat(a: RoadFrame, b: RoadFrame) -> RoadFrame:
    return RoadFrame(
        np.concatenate([a.u, b.u]), np.concatenate([a.v, b.v]),
        np.concatenate([a.geometry, b.geometry]), a.road_class + b.road_class, a.name + b.name,
        np.concatenate([a.oneway, b.oneway]), np.concatenate([a.bridge, b.bridge]),
        np.concatenate([a.tunnel, b.tunnel]), np.concatenate([a.ferry, b.ferry]),
        a.speed_kmh + b.speed_kmh, a.fixed_s + b.fixed_s, a.osm_id + b.osm_id,
    )  # fmt: skip


def read_layer(
    path: Path,
    mapping: LayerMapping,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    snap_m: float = 0.5,
) -> RoadFrame:
    """A bureau's road layer (Shapefile/GPKG/GeoJSON; any CRS with a .prj; GBK honoured)."""
    import geopandas as gpd

    kwargs: dict[str, Any] = {"layer": layer} if layer else {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        gdf = gpd.read_file(path, engine="pyogrio", **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; the message is safe
        raise InvalidInput(f"cannot read '{path.name}' as a road layer") from exc
    if len(gdf) == 0 or gdf.geometry.isna().all():
        raise InvalidInput(f"'{path.name}' has no roads")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    gdf = gdf[gdf.geometry.notna()].explode(index_parts=False)
    gdf = gdf[gdf.geometry.geom_type == "LineString"]
    if len(gdf) == 0:
        raise InvalidInput(f"'{path.name}' has no line geometries")
    for name in (mapping.class_field, mapping.name_field, mapping.speed_field,
                 mapping.oneway_field, mapping.bridge_field, mapping.tunnel_field,
                 mapping.ferry_minutes_field):  # fmt: skip
        if name and name not in gdf.columns:
            raise InvalidInput(f"'{path.name}' has no field '{name}'; fields: {list(gdf.columns)}")
    raw = gdf[mapping.class_field].fillna("").astype(str).str.strip()
    classes = [mapping.class_values.get(r) or class_for(r) for r in raw]
    unknown = sorted({r for r, c in zip(raw, classes, strict=True) if c is None})
    if unknown:
        raise InvalidInput(
            f"unknown road class values in '{mapping.class_field}': {unknown[:20]}; map them "
            f"with --class-map VALUE=CLASS (classes: {', '.join(ROAD_CLASS_IDS)})"
        )
    geoms = np.asarray(gdf.geometry.values)
    n = len(geoms)
    speeds: list[float | None] = [None] * n
    if mapping.speed_field:
        sp = pd.to_numeric(gdf[mapping.speed_field], errors="coerce")
        if (sp.notna() & (sp <= 0)).any():
            raise InvalidInput(f"speeds in '{mapping.speed_field}' must be > 0 km/h")
        speeds = [None if math.isnan(s) else float(s) for s in sp]
    forward = backward = np.zeros(n, bool)
    if mapping.oneway_field:
        ow = gdf[mapping.oneway_field].fillna("").astype(str).str.strip().str.lower()
        forward, backward = ow.isin(ONEWAY_FORWARD).to_numpy(), ow.isin(ONEWAY_BACKWARD).to_numpy()
    geoms = np.where(backward, shapely.reverse(geoms), geoms)
    u, v = _endpoint_keys(geoms, snap_m)
    fixed: list[float | None] = [None] * n
    if mapping.ferry_minutes_field:
        fm = pd.to_numeric(gdf[mapping.ferry_minutes_field], errors="coerce")
        fixed = [None if math.isnan(m) else float(m) * 60 for m in fm]
    names: list[str | None] = [None] * n
    if mapping.name_field:
        names = [_text(x) for x in gdf[mapping.name_field]]
    return RoadFrame(
        u=u, v=v, geometry=geoms, road_class=[c or "village" for c in classes], name=names,
        oneway=forward | backward,
        bridge=_truthy(gdf[mapping.bridge_field]) if mapping.bridge_field else np.zeros(n, bool),
        tunnel=_truthy(gdf[mapping.tunnel_field]) if mapping.tunnel_field else np.zeros(n, bool),
        ferry=np.asarray([c == "ferry" for c in classes]), speed_kmh=speeds, fixed_s=fixed,
        osm_id=[None] * n,
    )  # fmt: skip


_STAGING = Table(
    "road_staging",
    MetaData(),
    *(
        Column(c)
        for c in (
            "u",
            "v",
            "road_class",
            "name",
            "speed_kmh",
            "fixed_s",
            "oneway",
            "bridge",
            "tunnel",
            "ferry",
            "osm_id",
            "length_m",
            "geom",
        )
    ),  # fmt: skip
)
_VERTICES = Table("road_vertices", MetaData(), Column("id"), Column("geom"))
_GEOD = Geod(ellps="WGS84")


def _hex_ewkb(geoms: np.ndarray) -> list[str]:
    """Hex EWKB (SRID 4326) of each geometry for COPY; ``bytes.hex`` is ~3× faster than
    shapely's own ``hex=True`` on 200,000 lines."""
    raw = shapely.to_wkb(shapely.set_srid(geoms, 4326), include_srid=True)
    return [b.hex() for b in raw]


def geodesic_lengths(geoms: np.ndarray) -> np.ndarray:
    """Geodesic length (m, WGS84 spheroid: what ``ST_Length(geography)`` gives) of each
    LineString, vectorised — computed here rather than in SQL, which halved the load time of
    200,000 edges (bench/roads.py).

    >>> line = shapely.LineString([(110, 21), (110, 21.001), (110.001, 21.001)])
    >>> round(float(geodesic_lengths(np.array([line, line]))[1]), 3)
    214.687
    """
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    same = index[1:] == index[:-1]  # consecutive vertices of the same line
    a, b = coords[:-1][same], coords[1:][same]
    _, _, d = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.bincount(index[1:][same], weights=d, minlength=len(geoms))


#: Indexes dropped while a load writes and built again after it: kept up row by row they made
#: inserting 200,000 edges take 5 s, against 0.25 s plus ~1 s to build them (bench/roads.py).
#: Dropping takes an exclusive lock until the load commits, so routing requests wait for the
#: new network (seconds) instead of reading the old one; a failed load restores everything.
_INDEXES = (
    ("ix_road_edges_geom", "road_edges USING gist (geom)"),
    ("ix_road_edges_source", "road_edges (source)"),
    ("ix_road_edges_target", "road_edges (target)"),
    ("ix_road_vertices_geom", "road_vertices USING gist (geom)"),
)

_REPLACE_SQL = """
DELETE FROM road_edges;
DELETE FROM road_vertices;
INSERT INTO road_edges (source, target, road_class, name, length_m, speed_kmh, cost_s,
                        reverse_cost_s, oneway, bridge, tunnel, ferry, osm_id, geom)
SELECT n1.id, n2.id, s.road_class, s.name, len.m, s.speed_kmh, len.cost,
       CASE WHEN s.oneway THEN -1 ELSE len.cost END, s.oneway, s.bridge, s.tunnel, s.ferry,
       s.osm_id, s.geom
FROM road_staging s
JOIN road_nodes n1 ON n1.key = s.u
JOIN road_nodes n2 ON n2.key = s.v
CROSS JOIN LATERAL (
    SELECT s.length_m AS m, coalesce(s.fixed_s, s.length_m / (s.speed_kmh / 3.6)) AS cost
) len;
"""

_REPORT_SQL = """
SELECT road_class, count(*) AS edges, round((sum(length_m) / 1000)::numeric, 3) AS km
FROM road_edges GROUP BY road_class ORDER BY road_class
"""

_COMPONENTS_SQL = """
SELECT count(DISTINCT component) AS pieces,
       max(size) AS largest
FROM (SELECT component, count(*) OVER (PARTITION BY component) AS size
      FROM pgr_connectedComponents(
          'SELECT id, source, target, 1.0 AS cost, 1.0 AS reverse_cost FROM road_edges')) c
"""


def load_network(
    session: Session,
    frame: RoadFrame,
    source: str,
    speeds: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Replace the network with ``frame`` in the session's transaction; returns the report.

    ``speeds`` (km/h per class id) override the defaults; an edge's own speed wins over both.
    Nothing is committed here: the caller commits (or rolls back, keeping the old network).
    """
    if len(frame) == 0:
        raise InvalidInput("the source has no roads")
    table = {**default_speeds(), **(speeds or {})}
    bad = {k: s for k, s in table.items() if not s > 0}
    if bad:
        raise InvalidInput(f"road speeds must be > 0 km/h: {bad}")
    unknown = sorted(set(table) - set(ROAD_CLASS_IDS))
    if unknown:
        raise InvalidInput(f"unknown road classes in the speed table: {unknown}")
    speed = [
        s if s is not None else table[c]
        for s, c in zip(frame.speed_kmh, frame.road_class, strict=True)
    ]
    keys, codes = np.unique(np.concatenate([frame.u, frame.v]), return_inverse=True)
    n = len(frame)
    u_id, v_id = codes[:n] + 1, codes[n:] + 1
    session.execute(text("CREATE TEMP TABLE road_staging (u bigint, v bigint, road_class text, "
                         "name text, speed_kmh float8, fixed_s float8, oneway bool, bridge bool, "
                         "tunnel bool, ferry bool, osm_id bigint, length_m float8, "
                         "geom geometry(LineString, 4326)) "
                         "ON COMMIT DROP"))  # fmt: skip
    session.execute(text("CREATE TEMP TABLE road_nodes (key bigint PRIMARY KEY, id bigint) "
                         "ON COMMIT DROP"))  # fmt: skip
    # node keys are already dense ids here: staging u/v hold them and road_nodes maps id → id,
    # which keeps the SQL the same should keys ever come from elsewhere
    session.execute(text("INSERT INTO road_nodes SELECT g, g FROM generate_series(1, :n) g"),
                    {"n": len(keys)})  # fmt: skip
    ewkb = _hex_ewkb(frame.geometry)
    copy_columns(
        session, _STAGING,
        ["u", "v", "road_class", "name", "speed_kmh", "fixed_s", "oneway", "bridge", "tunnel",
         "ferry", "osm_id", "length_m", "geom"],
        ["int", "int", "text", "text", "float", "float", "bool", "bool", "bool", "bool", "int",
         "float", "raw"],
        [u_id.tolist(), v_id.tolist(), frame.road_class, frame.name, speed, frame.fixed_s,
         frame.oneway.tolist(), frame.bridge.tolist(), frame.tunnel.tolist(),
         frame.ferry.tolist(), frame.osm_id, geodesic_lengths(frame.geometry).tolist(), ewkb],
    )  # fmt: skip
    for name, _on in _INDEXES:
        session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for statement in filter(None, (s.strip() for s in _REPLACE_SQL.split(";"))):
        session.execute(text(statement))
    # each vertex at the first edge end that names it (the ends of one node coincide, or lie
    # within the layer's snapping distance): numpy instead of a sort of every end in SQL
    ends = np.concatenate([u_id, v_id])
    ids, first = np.unique(ends, return_index=True)
    points = np.concatenate(
        [shapely.get_point(frame.geometry, 0), shapely.get_point(frame.geometry, -1)]
    )[first]
    copy_columns(
        session, _VERTICES, ["id", "geom"], ["int", "raw"],
        [ids.tolist(),
         _hex_ewkb(points)],
    )  # fmt: skip
    for name, on in _INDEXES:
        session.execute(text(f"CREATE INDEX {name} ON {on}"))
    session.execute(text("ANALYZE road_edges, road_vertices"))  # the planner sees the new sizes
    by_class = [
        {"road_class": r.road_class, "edges": r.edges, "km": float(r.km)}
        for r in session.execute(text(_REPORT_SQL))
    ]
    comp = session.execute(text(_COMPONENTS_SQL)).one()
    vertices = session.execute(text("SELECT count(*) FROM road_vertices")).scalar_one()
    report = {
        "source": source,
        "edges": int(n),
        "vertices": int(vertices),
        "km": round(sum(c["km"] for c in by_class), 3),
        "by_class": by_class,
        "bridges": int(frame.bridge.sum()),
        "tunnels": int(frame.tunnel.sum()),
        "ferries": int(frame.ferry.sum()),
        "oneway": int(frame.oneway.sum()),
        "pieces": int(comp.pieces or 0),
        "largest_piece_vertices": int(comp.largest or 0),
        "max_speed_kmh": _max_speed_kmh(session),
    }
    session.execute(
        text("INSERT INTO road_loads (source, report) VALUES (:s, CAST(:r AS jsonb))"),
        {"s": source, "r": orjson.dumps(report).decode()},
    )
    return report


def _max_speed_kmh(session: Session) -> float:
    """The fastest effective speed of any edge (ferries with a fixed time included): the bound
    that lets analyses restrict the edges they read to what is reachable in time."""
    v = session.execute(
        text("SELECT max(length_m / nullif(cost_s, 0)) * 3.6 FROM road_edges WHERE cost_s > 0")
    ).scalar_one()
    return float(v or 0.0)

"""Road network import: an OSM extract (``.osm.pbf``) or a bureau's road layer → ``road_edges``.

Sources are read into one :class:`RoadFrame` (edges already split at junctions, with node keys),
then written by :func:`load_network`: node ids, geodesic lengths, travel-time costs, the report
(km by class, connected pieces with SciPy) are computed with numpy and the edges and vertices
COPYed straight into their tables, in the caller's transaction, with the indexes built after
the rows. A failure anywhere rolls the whole load back, so the previous network stays in place
(atomic re-load). Readers are blocked from the moment the indexes are dropped until the commit
(a few seconds for 200,000 edges; see ``_INDEXES``).

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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
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
        """The number of edges."""
        return len(self.u)


def _truthy(values: pd.Series) -> np.ndarray:
    out: np.ndarray = (
        values.fillna("").astype(str).str.strip().str.lower().isin(TRUE_VALUES).to_numpy()
    )
    return out


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
    """Node keys of each line's two ends.

    Ends within about ``snap_m`` share a key (a grid of ``snap_m`` metres in latitude; longitude
    cells shrink with cos(lat), so they stay square).
    """
    starts = shapely.get_coordinates(shapely.get_point(geoms, 0))
    ends = shapely.get_coordinates(shapely.get_point(geoms, -1))
    cell = max(snap_m, 0.01) / 111_320.0
    coslat = np.cos(np.radians(np.concatenate([starts[:, 1], ends[:, 1]]).mean()))

    def key(xy: np.ndarray) -> np.ndarray:
        gx = np.round(xy[:, 0] * coslat / cell).astype(np.int64)
        gy = np.round(xy[:, 1] / cell).astype(np.int64)
        keys: np.ndarray = gx * 4_000_000_000 + gy
        return keys

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
    except Exception:
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
    except Exception as exc:
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


_EDGE_COLUMNS = (
    "source", "target", "road_class", "name", "length_m", "speed_kmh", "cost_s",
    "reverse_cost_s", "oneway", "bridge", "tunnel", "ferry", "osm_id", "geom",
)  # fmt: skip
_EDGES = Table("road_edges", MetaData(), *(Column(c) for c in _EDGE_COLUMNS))
_VERTICES = Table("road_vertices", MetaData(), Column("id"), Column("geom"))
_GEOD = Geod(ellps="WGS84")


#: EWKB header (little-endian, SRID 4326) of a LineString and of a Point, in hex.
_EWKB_LINE = "0102000020E6100000"
_EWKB_POINT = "0101000020E6100000"


def _hex_ewkb_lines(coords: np.ndarray, line: np.ndarray, n: int) -> list[str]:
    """Hex EWKB (SRID 4326) of ``n`` LineStrings, written with numpy in one buffer.

    Given as coordinates and each coordinate's line (``shapely.get_coordinates(...,
    return_index=True)``): ``shapely.set_srid`` + ``to_wkb`` took a fifth of the load of 200,000
    edges.

    >>> line = shapely.LineString([(110, 21), (110.5, 21.5), (111, 21)])
    >>> c, i = shapely.get_coordinates(np.array([line, line]), return_index=True)
    >>> out = _hex_ewkb_lines(c, i, 2)
    >>> out[1] == shapely.to_wkb(shapely.set_srid(line, 4326), hex=True, include_srid=True)
    True
    """
    counts = np.bincount(line, minlength=n)
    sizes = 13 + 16 * counts  # byte order, type, SRID, point count, then x y per point
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    header = np.frombuffer(bytes.fromhex(_EWKB_LINE), dtype=np.uint8)
    out[offsets[:-1, None] + np.arange(9)] = header
    out[offsets[:-1, None] + 9 + np.arange(4)] = counts.astype("<u4").view(np.uint8).reshape(-1, 4)
    starts = np.concatenate([[0], np.cumsum(counts)])[:-1]
    at = offsets[line] + 13 + 16 * (np.arange(len(line)) - starts[line])
    xy = np.ascontiguousarray(coords[:, :2], dtype="<f8").view(np.uint8).reshape(-1, 16)
    out[at[:, None] + np.arange(16)] = xy
    text = out.tobytes().hex().upper()
    bounds = (2 * offsets).tolist()
    return [text[bounds[i] : bounds[i + 1]] for i in range(n)]


def _hex_ewkb_points(xy: np.ndarray) -> list[str]:
    """Hex EWKB (SRID 4326) of points given as an (n, 2) array, without making geometries.

    >>> p = _hex_ewkb_points(np.array([[110.0, 21.0]]))[0]
    >>> shapely.from_wkb(bytes.fromhex(p)).wkt
    'POINT (110 21)'
    """
    body = np.ascontiguousarray(xy, dtype="<f8").tobytes().hex().upper()
    return [_EWKB_POINT + body[i : i + 32] for i in range(0, len(body), 32)]


def geodesic_lengths(
    geoms: np.ndarray, coords: np.ndarray | None = None, index: np.ndarray | None = None
) -> np.ndarray:
    """Geodesic length (m, WGS84 spheroid) of each LineString, vectorised.

    What ``ST_Length(geography)`` gives, computed here rather than in SQL, which halved the load
    time of 200,000 edges (bench/roads.py).

    >>> line = shapely.LineString([(110, 21), (110, 21.001), (110.001, 21.001)])
    >>> round(float(geodesic_lengths(np.array([line, line]))[1]), 3)
    214.687
    """
    if coords is None or index is None:  # the caller's, when it has them already
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
    keys, codes = np.unique(np.concatenate([frame.u, frame.v]), return_inverse=True)
    n = len(frame)
    u_id, v_id = codes[:n] + 1, codes[n:] + 1
    # every column computed here and COPYed straight into road_edges (a staging table and an
    # INSERT ... SELECT joining node ids took a third of the load: bench/roads.py)
    coords, line = shapely.get_coordinates(frame.geometry, return_index=True)
    length = geodesic_lengths(frame.geometry, coords, line)
    speed = np.array(
        [s if s is not None else table[c] for s, c in zip(frame.speed_kmh, frame.road_class,
                                                         strict=True)],
        dtype=float,
    )  # fmt: skip
    fixed = np.array([np.nan if f is None else f for f in frame.fixed_s], dtype=float)
    cost = np.where(np.isnan(fixed), length / (speed / 3.6), fixed)
    reverse = np.where(frame.oneway, -1.0, cost)
    for name, _on in _INDEXES:
        session.execute(text(f"DROP INDEX IF EXISTS {name}"))
    session.execute(text("DELETE FROM road_edges"))
    session.execute(text("DELETE FROM road_vertices"))
    copy_columns(
        session, _EDGES, _EDGE_COLUMNS,
        ["int", "int", "text", "text", "float", "float", "float", "float", "bool", "bool",
         "bool", "bool", "int", "raw"],
        [u_id.tolist(), v_id.tolist(), frame.road_class, frame.name, length.tolist(),
         speed.tolist(), cost.tolist(), reverse.tolist(), frame.oneway.tolist(),
         frame.bridge.tolist(), frame.tunnel.tolist(), frame.ferry.tolist(), frame.osm_id,
         _hex_ewkb_lines(coords, line, n)],
    )  # fmt: skip
    # each vertex at the first edge end that names it (the ends of one node coincide, or lie
    # within the layer's snapping distance)
    starts = np.searchsorted(line, np.arange(n))  # each line's first coordinate ...
    ends = np.append(starts[1:], len(line)) - 1  # ... and its last
    ids, first = np.unique(np.concatenate([u_id, v_id]), return_index=True)
    points = np.concatenate([coords[starts], coords[ends]])[first]
    copy_columns(
        session, _VERTICES, ["id", "geom"], ["int", "raw"], [ids.tolist(), _hex_ewkb_points(points)]
    )
    for name, on in _INDEXES:
        session.execute(text(f"CREATE INDEX {name} ON {on}"))
    session.execute(text("ANALYZE road_edges, road_vertices"))  # the planner sees the new sizes
    by_class = _by_class(frame.road_class, length)
    pieces, largest = _pieces(u_id - 1, v_id - 1, len(keys))
    moving = cost > 0
    max_kmh = float((length[moving] / cost[moving]).max() * 3.6) if moving.any() else 0.0
    report = {
        "source": source,
        "edges": int(n),
        "vertices": len(ids),
        "km": round(sum(c["km"] for c in by_class), 3),
        "by_class": by_class,
        "bridges": int(frame.bridge.sum()),
        "tunnels": int(frame.tunnel.sum()),
        "ferries": int(frame.ferry.sum()),
        "oneway": int(frame.oneway.sum()),
        "pieces": pieces,
        "largest_piece_vertices": largest,
        "max_speed_kmh": max_kmh,
    }
    session.execute(
        text("INSERT INTO road_loads (source, report) VALUES (:s, CAST(:r AS jsonb))"),
        {"s": source, "r": orjson.dumps(report).decode()},
    )
    return report


def _by_class(classes: list[str], length_m: np.ndarray) -> list[dict[str, Any]]:
    """Edges and km per class, by class id.

    >>> out = _by_class(["arterial", "branch", "arterial"], np.array([1000.0, 500.0, 250.0]))
    >>> out[0], out[1]["km"]
    ({'road_class': 'arterial', 'edges': 2, 'km': 1.25}, 0.5)
    """
    names, code = np.unique(np.asarray(classes, dtype=object), return_inverse=True)
    counts = np.bincount(code, minlength=len(names))
    km = np.bincount(code, weights=length_m, minlength=len(names)) / 1000
    return [
        {"road_class": str(c), "edges": int(k), "km": round(float(m), 3)}
        for c, k, m in zip(names, counts, km, strict=True)
    ]


def _pieces(u: np.ndarray, v: np.ndarray, n: int) -> tuple[int, int]:
    """Connected pieces of the network (directions ignored) and the largest one's vertices.

    >>> _pieces(np.array([0, 2]), np.array([1, 3]), 5)
    (3, 2)
    """
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    count, label = connected_components(graph, directed=False)
    return int(count), int(np.bincount(label).max()) if n else 0

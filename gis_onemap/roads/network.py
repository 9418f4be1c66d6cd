"""The loaded road network held in memory, for service areas of large bands.

A 30-minute band in a city reaches most of its network: ``pgr_drivingDistance`` then reads and
builds a graph of every edge per call (≈ 0.3 s for 200,000 edges before any search, and the
polygon step needs every reached edge's geometry again). Here the edges are read once per
process and per load (the key is the last ``road_loads`` id of the database), kept as numpy
arrays, and each request runs SciPy's Dijkstra (``scipy.sparse.csgraph.dijkstra``, bounded by
the band's time) over them: the same edges and costs as pgRouting sees, so the same times.
What a request must avoid (active closures, areas to avoid) is read from the database each
time (:func:`gis_onemap.roads.routing.closed_edges_sql`) and masked out of the graph.

The samples along the edges that :mod:`gis_onemap.roads.area_raster` draws bands from are
cached per sample spacing too, so a request only computes each sample's time.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.roads import area_raster
from gis_onemap.roads.routing import closed_edges_sql

#: Networks kept per process (one per database URL; tests use several databases).
MAX_NETWORKS = 4
#: Sample spacings kept per network.
MAX_SPACINGS = 4
#: A zero-cost edge still counts as an edge for SciPy (explicit zeros may be dropped).
_EPS = 1e-9


@dataclass
class Samples:
    """Points along every edge: position, edge index and fraction along the edge."""

    x: np.ndarray
    y: np.ndarray
    edge: np.ndarray
    frac: np.ndarray


@dataclass
class Network:
    """Every edge of one load as arrays (edges sorted by id; vertices by id)."""

    load_id: int
    edge_id: np.ndarray
    src: np.ndarray  # vertex index of each edge's source
    dst: np.ndarray
    cost: np.ndarray  # seconds along the edge (< 0: closed that way)
    rcost: np.ndarray
    vertex_id: np.ndarray
    geoms: np.ndarray
    bounds: np.ndarray  # xmin, ymin, xmax, ymax of each edge
    _samples: OrderedDict[float, Samples] = field(default_factory=OrderedDict, repr=False)
    _sorted: dict[bool, tuple[np.ndarray, ...]] = field(default_factory=dict, repr=False)
    _graphs: dict[bool, csr_matrix] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def vertex_index(self, vertex: int) -> int:
        """The array index of ``vertex``; :class:`KeyError` when it is not in the network."""
        i = int(np.searchsorted(self.vertex_id, vertex))
        if i >= len(self.vertex_id) or self.vertex_id[i] != vertex:
            raise KeyError(vertex)
        return i

    def at_vertices(self, dist: np.ndarray, vertices: Sequence[int]) -> dict[int, float]:
        """``{vertex: seconds}`` from a :meth:`times` result, for those reached."""
        out = {}
        for v in vertices:
            try:
                t = float(dist[self.vertex_index(v)])
            except KeyError:
                continue
            if math.isfinite(t):
                out[int(v)] = t
        return out

    def edge_mask(self, closed_ids: np.ndarray) -> np.ndarray:
        """True for each edge not in ``closed_ids``."""
        return ~np.isin(self.edge_id, closed_ids)

    def times(
        self, start: int, within_s: float, open_edges: np.ndarray, towards: bool
    ) -> np.ndarray:
        """Seconds from vertex ``start`` to every vertex, over the open edges.

        With ``towards``: from every vertex to it; ``inf`` beyond ``within_s``.
        """
        graph = self._graph(towards) if open_edges.all() else self._build(towards, open_edges)
        at = self.vertex_index(start)
        dist = np.asarray(dijkstra(graph, directed=True, indices=at, limit=within_s))
        dist[at] = 0.0
        return dist

    def _graph(self, towards: bool) -> csr_matrix:
        """The graph with every edge open (cached: building it is most of the work)."""
        with self._lock:
            found = self._graphs.get(towards)
        if found is None:
            found = self._build(towards, np.ones(len(self.edge_id), dtype=bool))
            with self._lock:
                self._graphs[towards] = found
        return found

    def _arcs(self, towards: bool) -> tuple[np.ndarray, ...]:
        """Every arc (from, to, seconds, edge index), sorted by from, to, seconds (cached)."""
        with self._lock:
            found = self._sorted.get(towards)
        if found is not None:
            return found
        # arcs a → b with their time; "towards" = the search runs on the reversed graph
        c, rc = (self.rcost, self.cost) if towards else (self.cost, self.rcost)
        fw, bw = c >= 0, rc >= 0
        edge = np.arange(len(self.edge_id))
        rows = np.concatenate([self.src[fw], self.dst[bw]])
        cols = np.concatenate([self.dst[fw], self.src[bw]])
        w = np.concatenate([c[fw], rc[bw]])
        idx = np.concatenate([edge[fw], edge[bw]])
        keep = rows != cols  # a loop never shortens a path
        order = np.lexsort((w[keep], cols[keep], rows[keep]))
        found = tuple(a[keep][order] for a in (rows, cols, w, idx))
        with self._lock:
            self._sorted[towards] = found
        return found

    def _build(self, towards: bool, open_edges: np.ndarray) -> csr_matrix:
        rows, cols, w, idx = self._arcs(towards)
        m = open_edges[idx]
        rows, cols, w = rows[m], cols[m], w[m]
        # parallel edges: the fastest (first of its group in the sorted order; a COO → CSR
        # conversion would add them up)
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, w = rows[first], cols[first], np.maximum(w[first], _EPS)
        n = len(self.vertex_id)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return csr_matrix((w, cols, indptr), shape=(n, n))

    def samples(self, spacing_deg: float) -> Samples:
        """Points along every edge every ``spacing_deg`` or closer (cached per spacing)."""
        with self._lock:
            found = self._samples.get(spacing_deg)
            if found is not None:
                self._samples.move_to_end(spacing_deg)
                return found
        x, y, edge, frac = area_raster.sample_points(self.geoms, spacing_deg)
        made = Samples(x, y, edge, frac)
        with self._lock:
            self._samples[spacing_deg] = made
            while len(self._samples) > MAX_SPACINGS:
                self._samples.popitem(last=False)
        return made


_NETWORKS: OrderedDict[str, Network] = OrderedDict()
_LOCK = threading.Lock()

_EDGES_SQL = """
SELECT e.id, e.source, e.target, e.cost_s, e.reverse_cost_s, ST_AsBinary(e.geom)
FROM road_edges e ORDER BY e.id
"""


def closed_edges(session: Session, *, avoid_closures: bool, avoid_areas: bool) -> np.ndarray:
    """Ids of the edges closed for this request (active closures, areas to avoid)."""
    sql = closed_edges_sql(avoid_closures=avoid_closures, avoid_areas=avoid_areas)
    if sql is None:
        return np.array([], dtype=np.int64)
    return np.array(session.execute(text(sql)).scalars().all(), dtype=np.int64)


def current(session: Session) -> Network:
    """The network of the session's database as of its last load (read once per load)."""
    load_id = session.execute(text("SELECT max(id) FROM road_loads")).scalar()
    key = session.connection().engine.url.render_as_string(hide_password=True)
    with _LOCK:
        net = _NETWORKS.get(key)
        if net is not None and net.load_id == load_id:
            _NETWORKS.move_to_end(key)
            return net
    net = _read(session, int(load_id or 0))
    with _LOCK:
        _NETWORKS[key] = net
        _NETWORKS.move_to_end(key)
        while len(_NETWORKS) > MAX_NETWORKS:
            _NETWORKS.popitem(last=False)
    return net


def _read(session: Session, load_id: int) -> Network:
    rows: Any = session.execute(text(_EDGES_SQL)).all()
    edge_id = np.array([r[0] for r in rows], dtype=np.int64)
    source = np.array([r[1] for r in rows], dtype=np.int64)
    target = np.array([r[2] for r in rows], dtype=np.int64)
    vertex_id, codes = np.unique(np.concatenate([source, target]), return_inverse=True)
    n = len(rows)
    geoms = shapely.from_wkb([bytes(r[5]) for r in rows])
    return Network(
        load_id=load_id,
        edge_id=edge_id,
        src=codes[:n],
        dst=codes[n:],
        cost=np.array([r[3] for r in rows], dtype=float),
        rcost=np.array([r[4] for r in rows], dtype=float),
        vertex_id=vertex_id,
        geoms=geoms,
        bounds=shapely.bounds(geoms),
    )

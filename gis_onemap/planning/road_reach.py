"""Walking reach over the road network (pgRouting), when one is loaded.

Each shelter and each demand point is snapped to its nearest road vertex; one
``pgr_drivingDistance`` from all shelters' vertices (undirected, metres, no expressways or
ferries) gives the walk to every vertex within the largest reach; a pair's distance is
shelter snap + network walk + cell snap. Points farther than ``max_snap_m`` from any road are
off the network and reach nothing by road (reported).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import LimitExceeded
from gis_onemap.planning.reach import Pairs
from gis_onemap.planning.sources import sql


def network_loaded(session: Session) -> bool:
    """Whether there is a road network (migration 0008 tables, with edges)."""
    if session.execute(text("SELECT to_regclass('road_edges') IS NULL")).scalar_one():
        return False
    return bool(session.execute(text("SELECT EXISTS (SELECT 1 FROM road_edges)")).scalar_one())


def snap(session: Session, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest vertex id and snap distance (m) per point."""
    if len(lonlat) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    rows = session.execute(
        text(sql("snap.sql")), {"lons": lonlat[:, 0].tolist(), "lats": lonlat[:, 1].tolist()}
    ).all()
    return (
        np.array([r.vertex for r in rows], dtype=np.int64),
        np.array([r.snap_m for r in rows], dtype=float),
    )


def road_pairs(
    session: Session, demand_lonlat: np.ndarray, site_lonlat: np.ndarray, reach_m: np.ndarray,
    m_per_min: float, max_snap_m: float, max_pairs: int | None = None,
) -> tuple[Pairs, int]:  # fmt: skip
    """Pairs within walking reach over the roads, and how many demand points are off-network."""
    empty = np.zeros(0, dtype=np.int64)
    c_vtx, c_snap = snap(session, demand_lonlat)
    s_vtx, s_snap = snap(session, site_lonlat)
    on_cells = c_snap <= max_snap_m
    on_sites = s_snap <= max_snap_m
    off = int((~on_cells).sum())
    if not on_cells.any() or not on_sites.any():
        return Pairs(empty, empty, np.zeros(0), np.zeros(0)), off
    starts = sorted({int(v) for v in s_vtx[on_sites]})
    budget = float(np.max(reach_m[on_sites]))
    walk = pd.DataFrame(
        session.execute(text(sql("walk.sql")), {"starts": starts, "max_m": budget}).all(),
        columns=["start", "node", "metres"],
    )
    sites = pd.DataFrame({"j": np.flatnonzero(on_sites), "start": s_vtx[on_sites],
                          "s_snap": s_snap[on_sites]})  # fmt: skip
    cells = pd.DataFrame({"i": np.flatnonzero(on_cells), "node": c_vtx[on_cells],
                          "c_snap": c_snap[on_cells]})  # fmt: skip
    joined = walk.merge(sites, on="start").merge(cells, on="node")
    if max_pairs is not None and len(joined) > max_pairs:
        raise LimitExceeded(
            f"more than {max_pairs} cell-shelter pairs within reach: ask for a smaller area"
        )
    metres = joined["s_snap"].to_numpy() + joined["metres"].to_numpy() + joined["c_snap"].to_numpy()
    j = joined["j"].to_numpy(dtype=np.int64)
    i = joined["i"].to_numpy(dtype=np.int64)
    keep = metres <= reach_m[j]
    order = np.lexsort((j[keep], i[keep]))
    i, j, metres = i[keep][order], j[keep][order], metres[keep][order]
    return Pairs(i, j, metres, metres / m_per_min), off


def walk_routes(
    session: Session, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], tuple[dict[str, Any], float]]:
    """Shortest walking route (GeoJSON line, metres) between road vertices, per pair.

    The pairs go to pgRouting as a combinations query; vertex ids are integers read from our
    own ``road_vertices`` (``int()`` on each), so building that query text is safe.
    """
    wanted = sorted({(int(a), int(b)) for a, b in pairs if int(a) != int(b)})
    if not wanted:
        return {}
    values = ", ".join(f"({a}, {b})" for a, b in wanted)
    pairs_sql = f"SELECT * FROM (VALUES {values}) AS t(source, target)"
    rows = session.execute(text(sql("walk_routes.sql")), {"pairs_sql": pairs_sql}).all()
    return {(r.start, r.finish): (json.loads(r.route), float(r.metres)) for r in rows}

"""Which demand points are within walking reach of which sites, and how many minutes away.

Candidate pairs come from a KD-tree (scipy) in a local azimuthal-equidistant projection centred
on the data, then every pair's distance is the exact geodesic one (``pyproj.Geod``), so a pair
is kept or dropped on the spheroid distance, not the projected one. Minutes = metres ÷ walking
speed (the road network is not used here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Geod, Proj
from scipy.spatial import cKDTree

from gis_onemap.errors import LimitExceeded

GEOD = Geod(ellps="WGS84")
#: The projected search radius is widened by this factor so no pair within the geodesic reach
#: is missed by projection distortion (AEQD is exact from its centre only; < 1 % within 300 km).
_SLACK = 1.02


@dataclass(frozen=True)
class Pairs:
    """Sparse demand × site pairs within reach: row ``i`` (demand), column ``j`` (site)."""

    i: np.ndarray
    j: np.ndarray
    metres: np.ndarray
    minutes: np.ndarray


def pairs_within(
    demand_lonlat: np.ndarray,
    site_lonlat: np.ndarray,
    reach_m: float | np.ndarray,
    m_per_min: float,
    max_pairs: int | None = None,
) -> Pairs:
    """Pairs (demand i, site j) with geodesic distance ≤ the reach of site j.

    ``reach_m`` is one distance or one per site. ``max_pairs`` bounds memory (413 beyond).

    >>> d = np.array([[110.0, 21.0], [110.05, 21.0]])
    >>> s = np.array([[110.0, 21.001]])
    >>> p = pairs_within(d, s, 1000.0, 50.0)
    >>> p.i.tolist(), p.j.tolist(), round(float(p.metres[0]), 1), round(float(p.minutes[0]), 2)
    ([0], [0], 110.7, 2.21)
    """
    n, m = len(demand_lonlat), len(site_lonlat)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or m == 0:
        return Pairs(empty, empty, np.zeros(0), np.zeros(0))
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), (m,))
    everything = np.vstack([demand_lonlat, site_lonlat])
    lon0, lat0 = (everything.min(axis=0) + everything.max(axis=0)) / 2
    proj = Proj(proj="aeqd", lon_0=float(lon0), lat_0=float(lat0), ellps="WGS84")
    dx, dy = proj(demand_lonlat[:, 0], demand_lonlat[:, 1])
    sx, sy = proj(site_lonlat[:, 0], site_lonlat[:, 1])
    tree = cKDTree(np.column_stack([dx, dy]))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    total = 0
    # one query per distinct reach (sites of one type share theirs): few tree passes
    for r in np.unique(reach):
        sel = np.flatnonzero(reach == r)
        hits = tree.query_ball_point(np.column_stack([sx[sel], sy[sel]]), r * _SLACK)
        for k, found in zip(sel, hits, strict=True):
            if found:
                total += len(found)
                if max_pairs is not None and total > max_pairs:
                    raise LimitExceeded(
                        f"more than {max_pairs} cell-shelter pairs within reach: ask for a "
                        "smaller area or a shorter reach"
                    )
                rows.append(np.asarray(found, dtype=np.int64))
                cols.append(np.full(len(found), k, dtype=np.int64))
    if not rows:
        return Pairs(empty, empty, np.zeros(0), np.zeros(0))
    i = np.concatenate(rows)
    j = np.concatenate(cols)
    _, _, dist = GEOD.inv(
        demand_lonlat[i, 0], demand_lonlat[i, 1], site_lonlat[j, 0], site_lonlat[j, 1]
    )
    dist = np.asarray(dist, dtype=float)
    keep = dist <= reach[j]
    order = np.lexsort((j[keep], i[keep]))
    i, j, dist = i[keep][order], j[keep][order], dist[keep][order]
    return Pairs(i, j, dist, dist / m_per_min)


def geodesic_matrix(demand_lonlat: np.ndarray, site_lonlat: np.ndarray) -> np.ndarray:
    """Dense geodesic distances (m), demand rows × site columns (for the siting models).

    >>> d = geodesic_matrix(np.array([[110.0, 21.0]]), np.array([[110.0, 21.0], [110.0, 21.001]]))
    >>> d.round(1).tolist()
    [[0.0, 110.7]]
    """
    n, m = len(demand_lonlat), len(site_lonlat)
    lon1 = np.repeat(demand_lonlat[:, 0], m)
    lat1 = np.repeat(demand_lonlat[:, 1], m)
    lon2 = np.tile(site_lonlat[:, 0], n)
    lat2 = np.tile(site_lonlat[:, 1], n)
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=float).reshape(n, m)

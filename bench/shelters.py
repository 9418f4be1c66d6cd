"""Shelter planning at size (issue 15): the solvers on synthetic demand.

1. MCLP siting: 10,000 demand cells × 500 candidates in a 40 km square, p = 20, reach 2.5 km,
   on spopt + CBC
   (goal: under 2 minutes on 2 cores, gap ≤ 1 %).
2. Capacitated coverage: 100,000 cells × 2,000 shelters, reach 2.5 km — pairs by KD-tree +
   geodesic check, then the min-cost max-flow (OR-Tools) of ``planning.assign`` (goal: under
   60 s); the two-phase HiGHS LP (``assign_lp``) is timed too at a tenth of the size.

Cells and sites are drawn around a few town centres in a 100 km square near Zhanjiang (seeded).
Reports time, status, gap, peak memory (this process, and CBC's as a child process). The
database is not involved: this measures the solvers, which dominate at this size.

Run: ``.venv/bin/python bench/shelters.py [--small] [mclp|coverage]`` (--small: a tenth of each
size; name one part to run only it, so its peak memory is its own: ru_maxrss only grows).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gis_onemap.planning.assign import assign
from gis_onemap.planning.reach import geodesic_matrix, pairs_within
from gis_onemap.planning.siting import solve_model

SMALL = "--small" in sys.argv
ONLY = [a for a in sys.argv[1:] if not a.startswith("--")]
SCALE = 10 if SMALL else 1
CENTRE = (110.3, 21.2)
SIDE_DEG = 0.95  # ≈ 100 km: the coverage problem
MCLP_SIDE_DEG = 0.4  # ≈ 40 km (a county): sites overlap, which makes the MIP harder
WALK = 50.0  # m/min
REACH_M = 2_500.0


def _points(rng: np.random.Generator, n: int, side: float = SIDE_DEG) -> np.ndarray:
    """Half around 12 towns (people cluster), half spread over a square of ``side`` degrees."""
    towns = rng.uniform(-side / 2, side / 2, size=(12, 2)) + CENTRE
    k = n // 2
    near = towns[rng.integers(0, 12, size=k)] + rng.normal(0, side / 20, size=(k, 2))
    far = rng.uniform(-side / 2, side / 2, size=(n - k, 2)) + CENTRE
    return np.vstack([near, far])


def _peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(me, 1), round(kids, 1)


def mclp(n_cells: int, n_cands: int, p: int) -> None:
    rng = np.random.default_rng(15)
    cells = _points(rng, n_cells, MCLP_SIDE_DEG)
    cands = _points(rng, n_cands, MCLP_SIDE_DEG)
    weights = rng.integers(50, 3000, size=n_cells).astype(float)
    t0 = time.perf_counter()
    cost = geodesic_matrix(cells, cands)
    t1 = time.perf_counter()
    res = solve_model("mclp", cost, weights, REACH_M, p, np.zeros(n_cands, dtype=int), None, 600.0)
    t2 = time.perf_counter()
    covered = float(weights[(cost[:, res["chosen"]] <= REACH_M).any(axis=1)].sum())
    print(
        f"MCLP {n_cells:,} cells × {n_cands:,} candidates, p={p}: matrix {t1 - t0:.1f} s, "
        f"build+solve {t2 - t1:.1f} s (CBC {res['seconds']} s), status {res['status']}, "
        f"gap {res['gap']}, covered {covered / weights.sum():.1%}; peak MB (self; largest child "
        f"= CBC, counted from its fork of this process) {_peak_mb()}"
    )
    met = t2 - t0 < 120 and res["gap"] is not None and res["gap"] <= 0.01
    print(f"  goal: < 120 s and gap ≤ 1 % → {'met' if met else 'NOT met'}")


def coverage(n_cells: int, n_shelters: int) -> None:
    rng = np.random.default_rng(16)
    cells = _points(rng, n_cells)
    shelters = _points(rng, n_shelters)
    demand = rng.integers(0, 600, size=n_cells).astype(float)
    capacity = rng.integers(200, 8000, size=n_shelters).astype(float)
    t0, c0 = time.perf_counter(), time.process_time()
    pairs = pairs_within(cells, shelters, REACH_M, WALK)
    t1 = time.perf_counter()
    a = assign(demand, capacity, pairs.i, pairs.j, pairs.minutes)
    t2 = time.perf_counter()
    print(
        f"coverage {n_cells:,} cells × {n_shelters:,} shelters: {len(pairs.i):,} pairs in "
        f"{t1 - t0:.1f} s, flow {t2 - t1:.1f} s ({a.status}; CPU {time.process_time() - c0:.1f} s"
        f" in all), covered {a.covered / demand.sum():.1%}; peak MB (self) {_peak_mb()[0]}"
    )
    print(f"  goal: < 60 s → {'met' if t2 - t0 < 60 else 'NOT met'}")


def lp_reference(n_cells: int, n_shelters: int) -> None:
    """The same problem on the two-phase HiGHS LP (the reference), smaller."""
    from gis_onemap.planning.assign import assign_lp

    rng = np.random.default_rng(16)
    cells, shelters = _points(rng, n_cells), _points(rng, n_shelters)
    demand = rng.integers(0, 600, size=n_cells).astype(float)
    capacity = rng.integers(200, 8000, size=n_shelters).astype(float)
    pairs = pairs_within(cells, shelters, REACH_M, WALK)
    t0 = time.perf_counter()
    lp = assign_lp(demand, capacity, pairs.i, pairs.j, pairs.minutes)
    t1 = time.perf_counter()
    flow = assign(demand, capacity, pairs.i, pairs.j, pairs.minutes)
    t2 = time.perf_counter()
    print(
        f"reference {n_cells:,} × {n_shelters:,}: LP {t1 - t0:.2f} s, flow {t2 - t1:.2f} s; "
        f"covered equal: {lp.covered == flow.covered}"
    )


if __name__ == "__main__":
    if not ONLY or "mclp" in ONLY:
        mclp(10_000 // SCALE, 500 // SCALE, 20 // (2 if SMALL else 1))
    if not ONLY or "coverage" in ONLY:
        coverage(100_000 // SCALE, 2_000 // SCALE)
        lp_reference(10_000 // SCALE, 200 // SCALE)

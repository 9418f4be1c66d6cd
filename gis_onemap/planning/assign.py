"""Capacitated assignment of demand to shelters.

A transportation problem, lexicographic — the most people housed within reach, then the fewest
people-minutes walked:

1. maximise Σ x subject to Σ_j x[i, j] ≤ demand[i] and Σ_i x[i, j] ≤ capacity[j];
2. with Σ x fixed at that maximum, minimise Σ minutes · x.

``x[k]`` are the people of demand point ``i[k]`` sent to shelter ``j[k]`` (only pairs within
reach exist). Two exact solvers, same answer:

- :func:`assign` (the default for whole people): OR-Tools' min-cost max-flow (network simplex,
  C++), source → cells → shelters → sink; walking minutes enter as integer tenths of a minute.
  Seconds for 100,000 cells × 2,000 shelters, where the LP's second phase takes minutes.
- :func:`assign_lp`: the two phases as linear programs on HiGHS (scipy), for fractional
  demands and as the reference the tests compare against.

Not greedy: a nearest-first fill can leave people uncovered that a different split would house
(the tests show such a case).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, vstack

from gis_onemap.errors import OneMapError


class SolverFailed(OneMapError):
    """The LP solver did not reach a solution (should not happen for these feasible LPs)."""

    status_code = 503
    code = "ServiceUnavailable"


@dataclass(frozen=True)
class Assignment:
    """People sent along each pair, and the totals per demand point and per shelter."""

    flow: np.ndarray  # per pair
    served: np.ndarray  # per demand point
    assigned: np.ndarray  # per shelter
    covered: float
    people_minutes: float
    status: str


#: Walking minutes are integer costs of this resolution in the flow network (0.1 minute).
COST_SCALE = 10


def assign(
    demand: np.ndarray,
    capacity: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    minutes: np.ndarray,
) -> Assignment:
    """Most people housed within reach, then the least walking.

    Min-cost max-flow (OR-Tools) for whole people, else :func:`assign_lp`.

    >>> a = assign(np.array([10.0, 10.0]), np.array([10.0, 10.0]),
    ...            np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 1.0]))
    >>> a.covered, a.flow.tolist(), a.assigned.tolist(), a.status
    (20.0, [0.0, 10.0, 10.0], [10.0, 10.0], 'optimal (min-cost max-flow)')
    """
    whole = np.all(np.mod(demand, 1) == 0) and np.all(np.mod(capacity, 1) == 0)
    if not whole or len(i) == 0:
        return assign_lp(demand, capacity, i, j, minutes)
    from ortools.graph.python import min_cost_flow

    n, m, k = len(demand), len(capacity), len(i)
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    cells, shelters = np.arange(n), np.arange(m)
    # arcs: source → cell (its demand), cell → shelter (pairs in reach), shelter → sink
    tails = np.concatenate([np.full(n, source), i, n + shelters])
    heads = np.concatenate([cells, n + j, np.full(m, sink)])
    caps = np.concatenate([demand, np.minimum(demand[i], capacity[j]), capacity]).astype(np.int64)
    costs = np.concatenate(
        [np.zeros(n), np.round(np.asarray(minutes) * COST_SCALE), np.zeros(m)]
    ).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    # offer everyone at the source; the max-flow variant sends as many as the arcs allow
    total = int(demand.sum())
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverFailed(f"the assignment flow failed (status {status})")
    x = flow.flows(np.arange(n, n + k)).astype(float)
    return Assignment(
        flow=x,
        served=np.bincount(i, weights=x, minlength=n),
        assigned=np.bincount(j, weights=x, minlength=m),
        covered=float(x.sum()),
        people_minutes=float((x * minutes).sum()),
        status="optimal (min-cost max-flow)",
    )


def assign_lp(
    demand: np.ndarray,
    capacity: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    minutes: np.ndarray,
) -> Assignment:
    """Most people housed within reach, then the least walking (two LP phases, HiGHS).

    >>> a = assign_lp(np.array([10.0, 10.0]), np.array([10.0, 10.0]),
    ...               np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 1.0]))
    >>> a.covered, a.flow.tolist(), a.assigned.tolist()
    (20.0, [0.0, 10.0, 10.0], [10.0, 10.0])
    """
    n, m, k = len(demand), len(capacity), len(i)
    if k == 0:
        return Assignment(np.zeros(0), np.zeros(n), np.zeros(m), 0.0, 0.0, "no pairs in reach")
    cols = np.arange(k)
    a_dem = csr_array((np.ones(k), (i, cols)), shape=(n, k))
    a_cap = csr_array((np.ones(k), (j, cols)), shape=(m, k))
    a_ub = vstack([a_dem, a_cap]).tocsr()
    b_ub = np.concatenate([demand, capacity]).astype(float)
    phase1 = linprog(-np.ones(k), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if phase1.status != 0:
        raise SolverFailed(f"the assignment LP failed: {phase1.message}")
    best = -float(phase1.fun)
    # phase 2: keep the maximum, spend the freedom on shorter walks (HiGHS's feasibility
    # tolerance absorbs the rounding of ``best``)
    a2 = vstack([a_ub, csr_array(-np.ones((1, k)))]).tocsr()
    b2 = np.concatenate([b_ub, [-best]])
    phase2 = linprog(minutes, A_ub=a2, b_ub=b2, bounds=(0, None), method="highs")
    x = phase2.x if phase2.status == 0 else phase1.x
    if np.all(np.mod(b_ub, 1) == 0) and np.abs(x - np.round(x)).max() < 1e-6:
        # integral data: the optimum is an integral vertex (the phase-2 set is a face of the
        # transportation polytope); remove the solver's 1e-9 noise
        x = np.round(x)
    x = np.where(x < 1e-9, 0.0, x)
    served = np.bincount(i, weights=x, minlength=n)
    assigned = np.bincount(j, weights=x, minlength=m)
    return Assignment(
        flow=x,
        served=served,
        assigned=assigned,
        covered=float(x.sum()),
        people_minutes=float((x * minutes).sum()),
        status="optimal (two-phase LP)",
    )


def nearest_first(
    demand: np.ndarray, capacity: np.ndarray, i: np.ndarray, j: np.ndarray, minutes: np.ndarray
) -> float:
    """People housed by the greedy rule (each point, in order, fills its nearest shelters first).

    The baseline the LP is compared against, never the answer.

    >>> nearest_first(np.array([10.0, 10.0]), np.array([10.0, 10.0]),
    ...               np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 1.0]))
    10.0
    """
    left = capacity.astype(float).copy()
    housed = 0.0
    for point in range(len(demand)):
        need = float(demand[point])
        sel = np.flatnonzero(i == point)
        for k in sel[np.argsort(minutes[sel], kind="stable")]:
            take = min(need, left[j[k]])
            left[j[k]] -= take
            need -= take
            housed += take
    return float(housed)

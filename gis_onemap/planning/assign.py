"""Capacitated assignment of demand to shelters: a linear program solved by HiGHS (scipy).

Variables ``x[k]`` are the people of demand point ``i[k]`` sent to shelter ``j[k]`` (only pairs
within reach exist). Two phases, so the answer does not trade people for shorter walks:

1. maximise Σ x subject to Σ_j x[i, j] ≤ demand[i] and Σ_i x[i, j] ≤ capacity[j];
2. with Σ x fixed at that maximum, minimise Σ minutes · x (people-minutes walked).

This is a transportation problem, so HiGHS returns an integral vertex when demands and
capacities are integers. Not greedy: a nearest-first fill can leave people uncovered that a
different split would house (the tests show such a case).
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


def assign(
    demand: np.ndarray,
    capacity: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    minutes: np.ndarray,
) -> Assignment:
    """Most people housed within reach, then the least walking (two LP phases, HiGHS).

    >>> a = assign(np.array([10.0, 10.0]), np.array([10.0, 10.0]),
    ...            np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 1.0]))
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
        status="optimal",
    )


def nearest_first(
    demand: np.ndarray, capacity: np.ndarray, i: np.ndarray, j: np.ndarray, minutes: np.ndarray
) -> float:
    """People housed by the greedy rule (each point, in order, fills its nearest shelters
    first): the baseline the LP is compared against, never the answer.

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

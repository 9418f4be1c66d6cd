"""Siting new shelters.

PySAL ``spopt`` models (MCLP, p-median, LSCP and their capacitated variants) solved by PuLP's
bundled CBC, with the solver's status, objective, bound and gap.

Existing usable shelters enter as predefined sites (they are already there); candidates near a
major hazard source (GB 50413 §8.2.7 clearance) or inside a hazard zone are never offered to
the solver. When CBC stops on its time limit the best solution found is returned, said so,
with the gap to the LP-relaxation bound (a valid bound: the integer optimum cannot beat it).

Reach is walked over the road network when one is loaded (``network``: auto/roads/geodesic), as
in coverage; the coverage models (MCLP, LSCP) need only "within reach or not", which the roads'
driving-distance search gives; p-median needs every distance, so it stays geodesic.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pulp
from spopt.locate import LSCP, MCLP, PMedian
from spopt.locate.base import FacilityModelBuilder
from sqlalchemy.orm import Session

from gis_onemap.errors import InvalidInput, LimitExceeded, ValidationFailed
from gis_onemap.planning.assign import assign
from gis_onemap.planning.reach import geodesic_matrix, pairs_within
from gis_onemap.planning.road_reach import road_pairs
from gis_onemap.planning.schemas import SitingRequest
from gis_onemap.planning.service import (
    Reach,
    area_of,
    reach_note,
    read_problem,
    uses_roads,
    zones_of,
)
from gis_onemap.planning.sources import Sites, candidate_sites, flag_zones, hazard_distances
from gis_onemap.settings import Settings

MINIMISE = {"pmedian": True, "lscp": True, "mclp": False}


def check_p(model: str, p: int | None, n_candidates: int) -> int:
    """``p`` new sites: needed by mclp/pmedian, 1 ≤ p ≤ the eligible candidates.

    >>> check_p("mclp", 2, 5), check_p("lscp", None, 5)
    (2, 0)
    >>> check_p("mclp", 0, 5)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: p must be at least 1
    """
    if model == "lscp":
        if p is not None:
            raise InvalidInput("lscp chooses as few sites as cover everyone: do not give p")
        return 0
    if p is None:
        raise InvalidInput(f"{model} needs p, the number of new sites to choose")
    if p < 1:
        raise InvalidInput("p must be at least 1")
    if p > n_candidates:
        raise InvalidInput(f"p = {p} is more than the {n_candidates} eligible candidate sites")
    return p


def sparse_mclp(
    cost: np.ndarray, weights: np.ndarray, reach_m: float, p_total: int,
    predefined: np.ndarray | None, site_costs: np.ndarray | None = None,
    budget: float | None = None,
) -> MCLP:  # fmt: skip
    """Spopt's MCLP, its coverage constraints written sparsely.

    ``MCLP.from_cost_matrix`` writes every (demand, site) product, zeros included, as PuLP
    expressions: 5 million of them at 10,000 × 500, minutes of pure Python. This builds the same
    model (spopt's variables, predefined-site and p constraints; the same objective and
    coverage rows) with only the sites within reach in each row, so the object solves and
    reports like spopt's own.

    >>> m = sparse_mclp(np.array([[0.0, 900.0], [900.0, 0.0]]), np.array([5.0, 3.0]), 500, 1, None)
    >>> _ = m.problem.solve(pulp.PULP_CBC_CMD(msg=False))
    >>> [int(v.value()) for v in m.fac_vars], pulp.value(m.problem.objective)
    ([1, 0], 5.0)
    """
    n_cli, n_fac = cost.shape
    model = pulp.LpProblem("mclp", pulp.LpMaximize)
    mclp = MCLP("mclp", model)
    FacilityModelBuilder.add_facility_integer_variable(mclp, range(n_fac), "x[{i}]")
    FacilityModelBuilder.add_client_integer_variable(mclp, range(n_cli), "y[{i}]")
    within = cost <= reach_m
    mclp.aij = within.astype(float)
    fac, cli = mclp.fac_vars, mclp.cli_vars
    model += (
        pulp.LpAffineExpression([(cli[i], float(weights[i])) for i in range(n_cli)]),
        "objective function",
    )
    if predefined is not None:
        FacilityModelBuilder.add_predefined_facility_constraint(mclp, predefined)
    for i in range(n_cli):
        row = np.flatnonzero(within[i])
        expr = pulp.LpAffineExpression([(fac[j], 1.0) for j in row] + [(cli[i], -1.0)])
        model += pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=0.0)
    if budget is None or site_costs is None:
        FacilityModelBuilder.add_facility_constraint(mclp, p_total)
    else:  # the budget variant: new sites' costs (existing ones cost 0) within the budget
        model += pulp.LpConstraint(
            pulp.LpAffineExpression(
                [(fac[j], float(site_costs[j])) for j in range(n_fac) if site_costs[j] > 0]
            ),
            pulp.LpConstraintLE,
            rhs=float(budget),
        )
    return mclp


def solve_model(
    model: str, cost: np.ndarray, weights: np.ndarray, reach_m: float, n_total: int,
    predefined: np.ndarray, capacities: np.ndarray | None, time_limit_s: float,
    site_costs: np.ndarray | None = None, budget: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Build the spopt model, solve with CBC, return chosen indices and solver figures."""
    if model == "mclp":
        if capacities is not None:
            raise InvalidInput("a capacitated mclp is not offered: use pmedian or lscp")
        m = sparse_mclp(cost, weights, reach_m, n_total, predefined, site_costs, budget)
    elif model == "pmedian":
        m = PMedian.from_cost_matrix(
            cost, weights, p_facilities=n_total, predefined_facilities_arr=predefined,
            facility_capacities=capacities,
        )  # fmt: skip
    else:
        m = LSCP.from_cost_matrix(
            cost, reach_m, predefined_facilities_arr=predefined,
            demand_quantity_arr=None if capacities is None else weights,
            facility_capacity_arr=capacities,
        )  # fmt: skip
    problem: pulp.LpProblem = m.problem
    started = time.perf_counter()
    problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    elapsed = time.perf_counter() - started
    sol = problem.sol_status
    if sol not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        if problem.status == pulp.LpStatusInfeasible:
            raise ValidationFailed(
                f"{model}: no choice of sites meets the constraints (infeasible: the candidates "
                "cannot cover every person within reach or hold them)"
            )
        return {"chosen": [], "status": "no solution found within the time limit",
                "objective": None, "bound": None, "gap": None, "seconds": round(elapsed, 3),
                "time_limit_reached": True}  # fmt: skip
    chosen = [j for j, v in enumerate(m.fac_vars) if (v.value() or 0) > 0.5]
    objective = float(pulp.value(problem.objective))
    if sol == pulp.LpSolutionOptimal:
        status, bound, gap = "optimal", objective, 0.0
    else:
        status = "feasible (stopped before proving optimality)"
        for v in problem.variables():
            v.cat = pulp.LpContinuous
        problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
        bound = float(pulp.value(problem.objective))
        denom = max(abs(bound if not MINIMISE[model] else objective), 1e-9)
        gap = abs(bound - objective) / denom
    return {
        "chosen": chosen, "status": status, "objective": round(objective, 4),
        "bound": round(bound, 4), "gap": round(gap, 6), "seconds": round(elapsed, 3),
        "time_limit_reached": sol != pulp.LpSolutionOptimal and elapsed >= 0.95 * time_limit_s,
    }  # fmt: skip


def _covered_within(
    cost: np.ndarray, weights: np.ndarray, cols: list[int], reach_m: float
) -> float:
    if not cols:
        return 0.0
    reached = (cost[:, cols] <= reach_m).any(axis=1)
    return float(weights[reached].sum())


def eligible_candidates(
    session: Session, settings: Settings, cands: Sites, zones: Any
) -> tuple[Sites, list[dict[str, Any]]]:
    """Apply the exclusion rules; the excluded ones are reported with their reason."""
    cands.hazard_m = hazard_distances(
        session, cands.lonlat, settings.shelter_hazard_levels, settings.shelter_hazard_clearance_m
    )
    for k, h in enumerate(cands.hazard_m):
        if h is not None:
            cands.flags[k].append("near_major_hazard")
    flag_zones(cands, zones)
    keep = np.array([not f for f in cands.flags], dtype=bool)
    excluded = [
        {"id": cands.ids[k], "name": cands.names[k], "flags": cands.flags[k],
         "hazard_source_m": cands.hazard_m[k]}
        for k in np.flatnonzero(~keep)
    ]  # fmt: skip
    return cands.subset(keep), excluded


#: The cost of a cell-site pair the roads do not join within reach. Only "within reach or not"
#: matters to the coverage models (mclp, lscp) this is used for; any finite value above the
#: reach says "not" (spopt's models do not take infinities).
_UNREACHED = 1e9


def road_cost(
    session: Session, cells: np.ndarray, sites: np.ndarray, reach_m: float, settings: Settings
) -> tuple[np.ndarray, int]:
    """Walking metres over the roads for the pairs within ``reach_m`` (others unreached).

    Returns the cells × sites matrix and how many cells are off the network.
    """
    pairs, off = road_pairs(
        session, cells, sites, np.full(len(sites), reach_m), settings.shelter_walk_m_per_min,
        settings.road_max_snap_m, settings.shelter_max_pairs,
    )  # fmt: skip
    cost = np.full((len(cells), len(sites)), _UNREACHED)
    cost[pairs.i, pairs.j] = pairs.metres
    return cost, off


def siting(session: Session, settings: Settings, req: SitingRequest) -> dict[str, Any]:
    """``POST /analysis/shelters/siting``."""
    if req.reach is None:
        raise InvalidInput("siting needs reach: the walking minutes a site serves")
    if req.reach > settings.shelter_max_reach_min:
        raise InvalidInput(f"reach must be at most {settings.shelter_max_reach_min} minutes")
    reach_m = req.reach * settings.shelter_walk_m_per_min
    limit = min(req.time_limit_s or settings.shelter_solver_time_limit_s,
                settings.shelter_solver_time_limit_s)  # fmt: skip
    cands = candidate_sites(session, req.candidates, req.capacity, settings.shelter_max_candidates)
    if len(cands) == 0:
        raise InvalidInput("candidates: the set is empty (nothing matched)")
    region_code, area = area_of(req)
    prob = read_problem(
        session, settings, req, exclude_unsafe=True, region_code=region_code, area=area
    )
    eligible, excluded = eligible_candidates(session, settings, cands, zones_of(req.hazard_zones))
    if len(eligible) == 0:
        raise InvalidInput("every candidate site is excluded (near a major hazard or in a zone)")
    if req.budget is not None:
        if req.model != "mclp" or req.p is not None:
            raise InvalidInput("budget replaces p, and only for mclp")
        if eligible.cost is None or np.isnan(eligible.cost).any():
            raise InvalidInput("siting with a budget needs each candidate's 'cost' property")
        p = 0
    else:
        p = check_p(req.model, req.p, len(eligible))
    existing = (
        prob.shelters.subset(prob.usable)
        if req.include_existing
        else prob.shelters.subset(np.zeros(len(prob.shelters), dtype=bool))
    )
    capacities = None
    if req.capacitated:
        if req.model == "mclp":
            raise InvalidInput("a capacitated mclp is not offered: use pmedian or lscp")
        if np.isnan(eligible.capacity).any():
            raise InvalidInput(
                "capacitated siting needs each candidate's capacity: give 'capacity'"
            )
        capacities = np.concatenate([existing.capacity, eligible.capacity])
    # only cells with demand enter the model (a cell of 0 people changes nothing)
    rows = np.flatnonzero(prob.demand > 0)
    lonlat = np.vstack([existing.lonlat, eligible.lonlat])
    if len(rows) * len(lonlat) > settings.shelter_max_pairs:
        raise LimitExceeded(
            f"{len(rows)} cells × {len(lonlat)} sites is more than {settings.shelter_max_pairs} "
            "pairs: ask for a smaller area or fewer candidates"
        )
    how = Reach("roads" if uses_roads(session, req.network) else "geodesic")
    if how.basis == "roads":
        if req.model == "pmedian":
            raise InvalidInput(
                "pmedian weighs every cell-to-site distance, and over the roads only those within "
                "reach are walked: use network=geodesic, or mclp/lscp"
            )
        cost, how.off_network = road_cost(session, prob.cells.lonlat[rows], lonlat, reach_m,
                                          settings)  # fmt: skip
    else:
        cost = geodesic_matrix(prob.cells.lonlat[rows], lonlat)
    weights = prob.demand[rows]
    n_exist = len(existing)
    if req.model == "lscp":
        coverable = (cost <= reach_m).any(axis=1)
        uncoverable = float(weights[~coverable].sum())
        cost, weights, rows = cost[coverable], weights[coverable], rows[coverable]
    else:
        uncoverable = None
    predefined = np.concatenate([np.ones(n_exist), np.zeros(len(eligible))]).astype(int)
    site_costs = None
    if req.budget is not None and eligible.cost is not None:
        site_costs = np.concatenate([np.zeros(n_exist), eligible.cost])
    result = solve_model(
        req.model, cost, weights, reach_m, n_exist + p, predefined, capacities, limit,
        site_costs, req.budget,
    )  # fmt: skip
    chosen_new = [j - n_exist for j in result["chosen"] if j >= n_exist]
    before = _covered_within(cost, weights, list(range(n_exist)), reach_m)
    after = _covered_within(cost, weights, result["chosen"], reach_m)
    out: dict[str, Any] = {
        "model": req.model + (" (capacitated)" if req.capacitated else ""),
        "solver": "CBC (PuLP) on the spopt model",
        "status": result["status"], "objective": result["objective"],
        "bound": result["bound"], "gap": result["gap"], "seconds": result["seconds"],
        "time_limit_s": limit, "time_limit_reached": result["time_limit_reached"],
        "reach": reach_note(req, settings, how), "reach_m": reach_m,
        "chosen": [
            {"id": eligible.ids[k], "name": eligible.names[k],
             "lon": round(float(eligible.lonlat[k, 0]), 7),
             "lat": round(float(eligible.lonlat[k, 1]), 7),
             "capacity": None if np.isnan(eligible.capacity[k]) else int(eligible.capacity[k])}
            for k in chosen_new
        ],
        "existing_sites": n_exist, "candidates": len(cands), "eligible": len(eligible),
        "excluded_candidates": excluded,
        "demand": int(prob.demand.sum()),
        "covered_within_reach": {"before": int(before), "after": int(after),
                                 "gained": int(after - before)},
    }  # fmt: skip
    if uncoverable is not None:
        out["uncoverable_demand"] = int(uncoverable)
    caps_known = not np.isnan(eligible.capacity[chosen_new]).any() if chosen_new else True
    if caps_known:
        out["covered_with_capacity"] = _capacitated_before_after(
            session, prob.cells.lonlat, prob.demand, existing, eligible, chosen_new, reach_m,
            settings, how.basis == "roads",
        )  # fmt: skip
    return out


def _capacitated_before_after(
    session: Session, lonlat: np.ndarray, demand: np.ndarray, existing: Sites, eligible: Sites,
    chosen: list[int], reach_m: float, settings: Settings, roads: bool,
) -> dict[str, int]:  # fmt: skip
    """People housed (the coverage LP) by the existing sites, then with the chosen ones."""
    out = {}
    for label, sites in (("before", existing), ("after", None)):
        if sites is None:
            pts = np.vstack([existing.lonlat, eligible.lonlat[chosen]])
            caps = np.concatenate([existing.capacity, eligible.capacity[chosen]])
        else:
            pts, caps = sites.lonlat, sites.capacity
        if roads:
            pairs, _ = road_pairs(
                session, lonlat, pts, np.full(len(pts), reach_m),
                settings.shelter_walk_m_per_min, settings.road_max_snap_m,
                settings.shelter_max_pairs,
            )  # fmt: skip
        else:
            pairs = pairs_within(lonlat, pts, reach_m, settings.shelter_walk_m_per_min,
                                 settings.shelter_max_pairs)  # fmt: skip
        out[label] = round(assign(demand, caps, pairs.i, pairs.j, pairs.minutes).covered)
    return out

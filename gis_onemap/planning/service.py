"""Shelter coverage and evacuation assignment.

Demand from the population layer, supply from the shelters, assignment by the LP of
:mod:`gis_onemap.planning.assign`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.analysis.buffers import parse_geometry
from gis_onemap.analysis.geodesy import geodesic_buffer
from gis_onemap.categories.derived import SHELTER_PARAMS
from gis_onemap.errors import InvalidInput, LimitExceeded, NotFound
from gis_onemap.planning.assign import Assignment, assign
from gis_onemap.planning.reach import pairs_within
from gis_onemap.planning.rules import share_for
from gis_onemap.planning.schemas import AreaInput, CoverageRequest, EvacuateRequest, PlanningInput
from gis_onemap.planning.sources import (
    Cells,
    Sites,
    flag_zones,
    load_cells,
    load_shelters,
)
from gis_onemap.settings import Settings

METHOD = (
    "transportation problem solved exactly: most people housed within reach, then fewest "
    "people-minutes walked (OR-Tools min-cost max-flow; HiGHS LP for fractional demand); "
    "not greedy"
)
#: Shelters with no type take the fixed type's service radius (the middle of the table).
DEFAULT_TYPE = "fixed"


def area_of(req: AreaInput) -> tuple[str | None, BaseGeometry | None]:
    """The request's region code, or its area as a WGS84 polygon (bbox or GeoJSON)."""
    if req.bbox is not None:
        x0, y0, x1, y1 = req.bbox
        if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
            raise InvalidInput("bbox must be minLon,minLat,maxLon,maxLat within WGS84 range")
        return None, shapely.box(x0, y0, x1, y1)
    if req.polygon is not None:
        geom = parse_geometry(req.polygon)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidInput("polygon must be a GeoJSON Polygon or MultiPolygon")
        return None, geom
    return req.region_code, None


def zones_of(geoms: list[dict[str, Any]] | None) -> BaseGeometry | None:
    """Union of the request's hazard-zone polygons."""
    if not geoms:
        return None
    parts = [parse_geometry(g) for g in geoms]
    for g in parts:
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidInput("hazard_zones must be GeoJSON polygons")
    return shapely.union_all(parts)


def demand_of(cells: Cells, share: float | None, settings: Settings) -> np.ndarray:
    """People needing a shelter per cell.

    Population × share (by district type unless given), whole people (rounded).
    """
    if share is not None:
        shares = np.full(len(cells), share)
    else:
        shares = np.array([
            share_for(code, settings.shelter_share_default, settings.shelter_share_central,
                      settings.shelter_central_districts)
            for code in cells.region_codes
        ])  # fmt: skip
    rounded: np.ndarray = np.round(cells.population * shares)
    return rounded


def reach_m_of(sites: Sites, reach_min: float | None, settings: Settings) -> np.ndarray:
    """Reach (m) per site: the request's walking minutes × speed, else the type's radius."""
    if reach_min is not None:
        if reach_min > settings.shelter_max_reach_min:
            raise InvalidInput(f"reach must be at most {settings.shelter_max_reach_min} minutes")
        return np.full(len(sites), reach_min * settings.shelter_walk_m_per_min)
    return np.array(
        [SHELTER_PARAMS[t or DEFAULT_TYPE].service_radius_m for t in sites.shelter_type],
        dtype=float,
    )


def envelope(lonlat: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box of points."""
    x0, y0 = lonlat.min(axis=0)
    x1, y1 = lonlat.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


@dataclass
class Problem:
    """A coverage problem read from the database, before solving."""

    cells: Cells
    demand: np.ndarray
    shelters: Sites
    usable: np.ndarray  # per shelter: may take people
    reach_m: np.ndarray


def read_problem(
    session: Session, settings: Settings, req: PlanningInput, *, exclude_unsafe: bool,
    region_code: str | None = None, area: BaseGeometry | None = None,
    extra_flags_zone: BaseGeometry | None = None,
) -> Problem:  # fmt: skip
    """Cells and demand of the area, shelters around it with capacity, flags and reach."""
    cells = load_cells(
        session, region_code=region_code, area=area, column=req.population,
        max_rows=settings.shelter_max_cells,
    )  # fmt: skip
    if len(cells) == 0 or cells.population.sum() <= 0:
        raise InvalidInput("the area has no population: no cells of the population layer in it")
    demand = demand_of(cells, req.share, settings)
    max_reach = (
        req.reach * settings.shelter_walk_m_per_min if req.reach is not None
        else max(p.service_radius_m for p in SHELTER_PARAMS.values())
    )  # fmt: skip
    shelters = load_shelters(
        session, envelope=envelope(cells.lonlat), margin_m=max_reach, hazard=req.hazard,
        duration_days=req.duration_days, levels=settings.shelter_hazard_levels,
        clearance_m=settings.shelter_hazard_clearance_m, max_rows=settings.shelter_max_candidates,
    )  # fmt: skip
    flag_zones(shelters, zones_of(req.hazard_zones))
    usable = np.array([u is None for u in shelters.unusable], dtype=bool)
    if exclude_unsafe:
        usable &= np.array([not f for f in shelters.flags], dtype=bool)
    if extra_flags_zone is not None and len(shelters):
        usable &= ~shapely.contains_xy(
            extra_flags_zone, shelters.lonlat[:, 0], shelters.lonlat[:, 1]
        )
    return Problem(cells, demand, shelters, usable, reach_m_of(shelters, req.reach, settings))


@dataclass
class Reach:
    """How pairs were found: ``roads`` or ``geodesic``, and cells off the road network."""

    basis: str
    off_network: int = 0


def uses_roads(session: Session, network: str) -> bool:
    """Whether reach is walked over the roads: ``roads``, or ``auto`` with a network loaded."""
    from gis_onemap.planning.road_reach import network_loaded

    if network == "geodesic":
        return False
    loaded = network_loaded(session)
    if network == "roads" and not loaded:
        raise InvalidInput("network=roads but no road network is loaded (onemap roads load)")
    return loaded


def solve(
    session: Session, problem: Problem, settings: Settings, network: str
) -> tuple[Assignment, Any, Reach]:
    """The LP over the usable shelters; returns the assignment, the pairs and the reach basis."""
    from gis_onemap.planning.road_reach import road_pairs

    use = np.flatnonzero(problem.usable)
    if uses_roads(session, network):
        pairs, off = road_pairs(
            session, problem.cells.lonlat, problem.shelters.lonlat[use], problem.reach_m[use],
            settings.shelter_walk_m_per_min, settings.road_max_snap_m, settings.shelter_max_pairs,
        )  # fmt: skip
        basis = Reach("roads", off)
    else:
        pairs = pairs_within(
            problem.cells.lonlat, problem.shelters.lonlat[use], problem.reach_m[use],
            settings.shelter_walk_m_per_min, settings.shelter_max_pairs,
        )  # fmt: skip
        basis = Reach("geodesic")
    j_full = use[pairs.j]
    result = assign(problem.demand, problem.shelters.capacity, pairs.i, j_full, pairs.minutes)
    return result, (pairs, j_full), basis


def _shelter_rows(p: Problem, result: Assignment) -> list[dict[str, Any]]:
    s = p.shelters
    out = []
    for k in range(len(s)):
        cap = float(s.capacity[k])
        assigned = float(result.assigned[k])
        out.append({
            "id": s.ids[k], "name": s.names[k], "shelter_type": s.shelter_type[k],
            "lon": round(float(s.lonlat[k, 0]), 7), "lat": round(float(s.lonlat[k, 1]), 7),
            "capacity": int(cap), "assigned": round(assigned),
            "remaining": round(cap - assigned),
            "utilisation": round(assigned / cap, 4) if cap > 0 else None,
            "used": bool(p.usable[k]), "not_used_because": s.unusable[k]
            or (None if p.usable[k] else "excluded_unsafe"),
            "flags": s.flags[k], "hazard_source_m": s.hazard_m[k],
        })  # fmt: skip
    return out


def uncovered_areas(cells: Cells, uncovered: np.ndarray) -> dict[str, Any]:
    """Polygons of the cells with people left without a shelter (one merged feature)."""
    mask = uncovered >= 1
    geoms = cells.geoms[mask] if len(cells) else np.array([])
    polys = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    features = []
    if polys:
        merged = shapely.union_all(polys)
        features.append({
            "type": "Feature", "geometry": mapping(merged),
            "properties": {"uncovered": int(uncovered[mask].sum()), "cells": int(mask.sum())},
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def cell_features(p: Problem, result: Assignment) -> dict[str, Any]:
    """Each cell with its population, demand, covered and uncovered people."""
    c = p.cells
    feats = []
    for k in range(len(c)):
        covered = round(result.served[k])
        feats.append({
            "type": "Feature", "id": int(c.ids[k]), "geometry": mapping(c.geoms[k]),
            "properties": {
                "name": c.names[k], "region_code": c.region_codes[k],
                "population": int(c.population[k]), "demand": int(p.demand[k]),
                "covered": covered, "uncovered": int(p.demand[k]) - covered,
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": feats}


def totals(p: Problem, result: Assignment) -> dict[str, Any]:
    """Population, demand, usable capacity, covered and uncovered people."""
    demand = float(p.demand.sum())
    return {
        "population": int(p.cells.population.sum()), "demand": int(demand),
        "capacity": int(p.shelters.capacity[p.usable].sum()) if len(p.shelters) else 0,
        "covered": round(result.covered), "uncovered": round(demand - result.covered),
        "covered_share": round(result.covered / demand, 4) if demand else None,
        "people_minutes": round(result.people_minutes, 1),
        "cells": len(p.cells), "shelters": len(p.shelters),
        "shelters_used": int(p.usable.sum()),
    }  # fmt: skip


def reach_note(req: PlanningInput, settings: Settings, how: Reach | None = None) -> dict[str, Any]:
    """How reach was measured (said in every answer)."""
    if how is not None and how.basis == "roads":
        basis = "walking over the road network (pgRouting; no expressways or ferries)"
    else:
        basis = "geodesic distance at a walking speed (the road network is not used)"
    out = {
        "minutes": req.reach,
        "default": None if req.reach is not None else "each shelter type's service radius",
        "basis": basis,
        "walk_m_per_min": settings.shelter_walk_m_per_min,
    }
    if how is not None and how.basis == "roads":
        out["cells_off_network"] = how.off_network
    return out


def coverage(session: Session, settings: Settings, req: CoverageRequest) -> dict[str, Any]:
    """``POST /analysis/shelters/coverage``."""
    region_code, area = area_of(req)
    p = read_problem(
        session, settings, req, exclude_unsafe=req.exclude_unsafe,
        region_code=region_code, area=area,
    )  # fmt: skip
    result, _, how = solve(session, p, settings, req.network)
    uncovered = p.demand - result.served
    out: dict[str, Any] = {
        "method": METHOD,
        "population_layer": {"present": True, "synthetic": p.cells.synthetic},
        "reach": reach_note(req, settings, how),
        "hazard": req.hazard,
        "totals": totals(p, result),
        "shelters": _shelter_rows(p, result),
        "uncovered_areas": uncovered_areas(p.cells, uncovered),
    }
    if req.cells:
        out["cells"] = cell_features(p, result)
    return out


def incident_zone(session: Session, incident_id: int, radius_m: float) -> BaseGeometry:
    """A geodesic disc of ``radius_m`` around an incident."""
    row = session.execute(
        text("SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incidents WHERE id = :id"),
        {"id": incident_id},
    ).first()
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    return geodesic_buffer(shapely.Point(row.lon, row.lat), radius_m)


def evacuate(session: Session, settings: Settings, req: EvacuateRequest) -> dict[str, Any]:
    """``POST /analysis/shelters/evacuate``.

    People of the cells inside the zone → shelters outside it with room (same LP), and what room is
    left.
    """
    if req.zone is not None:
        zone = parse_geometry(req.zone)
        if zone.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidInput("zone must be a GeoJSON Polygon or MultiPolygon")
    else:
        assert req.incident_id is not None
        zone = incident_zone(session, req.incident_id, req.radius_m)
    planning = PlanningInput(
        hazard=req.hazard, share=req.share, reach=req.reach, duration_days=req.duration_days,
        population=req.population, network=req.network,
    )  # fmt: skip
    p = read_problem(
        session, settings, planning, exclude_unsafe=True, area=zone, extra_flags_zone=zone
    )
    result, (pairs, j_full), how = solve(session, p, settings, req.network)
    moves: dict[int, list[dict[str, Any]]] = {}
    for k in np.flatnonzero(result.flow > 0):
        moves.setdefault(int(pairs.i[k]), []).append({
            "shelter_id": p.shelters.ids[j_full[k]], "people": round(result.flow[k]),
            "walk_min": round(float(pairs.minutes[k]), 1),
            "distance_m": round(float(pairs.metres[k]), 1),
        })  # fmt: skip
    routes_note = None
    if how.basis == "roads" and moves:
        routes_note = _add_walk_routes(session, p, moves, settings.shelter_max_routes)
    cells = cell_features(p, result)
    for n, feat in enumerate(cells["features"]):
        feat["properties"]["assigned_to"] = moves.get(n, [])
    if len(p.shelters) and not p.usable.any():
        note = "no usable shelter outside the zone within reach"
    else:
        note = None
    return {
        "method": METHOD,
        "zone": mapping(zone),
        "reach": reach_note(planning, settings, how),
        "totals": totals(p, result),
        "shelters": [s for s in _shelter_rows(p, result) if s["used"]],
        "cells": cells,
        "note": note,
        "routes": routes_note,
    }


def _add_walk_routes(
    session: Session, p: Problem, moves: dict[int, list[dict[str, Any]]], max_routes: int
) -> str:
    """Give each move (cell → shelter) its walking route over the roads; say how many.

    The largest moves first, at most ``max_routes`` of them.
    """
    from gis_onemap.planning.road_reach import snap, walk_routes

    flat = sorted(((i, m) for i, ms in moves.items() for m in ms), key=lambda im: -im[1]["people"])[
        :max_routes
    ]
    cell_idx = sorted({i for i, _ in flat})
    shelter_ids = sorted({m["shelter_id"] for _, m in flat})
    by_id = {sid: k for k, sid in enumerate(p.shelters.ids)}
    c_vtx, _ = snap(session, p.cells.lonlat[cell_idx])
    s_vtx, _ = snap(session, p.shelters.lonlat[[by_id[s] for s in shelter_ids]])
    cell_v = dict(zip(cell_idx, c_vtx.tolist(), strict=True))
    shel_v = dict(zip(shelter_ids, s_vtx.tolist(), strict=True))
    routes = walk_routes(session, [(cell_v[i], shel_v[m["shelter_id"]]) for i, m in flat])
    routed = 0
    for i, m in flat:
        found = routes.get((cell_v[i], shel_v[m["shelter_id"]]))
        if found is not None:
            m["route"], m["route_m"] = found[0], round(found[1], 1)
            routed += 1
    total = sum(len(ms) for ms in moves.values())
    return f"walking routes for {routed} of {total} moves (largest first, at most {max_routes})"


def check_limits(n_cells: int, n_sites: int, settings: Settings) -> None:
    """Refuse problems beyond the configured sizes (413)."""
    if n_cells > settings.shelter_max_cells or n_sites > settings.shelter_max_candidates:
        raise LimitExceeded("the planning problem is larger than the configured limits")

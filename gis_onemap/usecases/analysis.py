"""Analyses as use cases: nearest, within, surroundings (point or incident), buffers, zones.

Inputs are what both adapters can give: numbers and strings as the client sent them (checked
here, with the same messages for HTTP and CLI) or an already parsed request model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from gis_onemap.analysis.buffers import BufferService
from gis_onemap.analysis.hazard_zones import HazardZoneService, hazard_zone_radii, parse_levels
from gis_onemap.analysis.incidents import IncidentRepository
from gis_onemap.analysis.inputs import (
    category_filters,
    check_k,
    check_radius,
    origin_from,
    resolve_categories,
)
from gis_onemap.analysis.proximity import ProximityService
from gis_onemap.analysis.schemas import BufferRequest, SurroundingsRequest
from gis_onemap.analysis.surroundings import SurroundingsService
from gis_onemap.errors import InvalidInput
from gis_onemap.query.items import check_wgs84_bbox, parse_bbox
from gis_onemap.usecases.context import Caller


def nearest(
    session: Session,
    caller: Caller,
    *,
    lon: Any,
    lat: Any,
    crs: str | None = None,
    categories: Sequence[str] | None = None,
    filters: Mapping[str, str] | None = None,
    k: int = 10,
    max_distance_m: float | None = None,
    include_unusable: bool = False,
) -> dict[str, Any]:
    """The ``k`` nearest features of ``categories`` (all when none), nearest first."""
    origin = origin_from(lon, lat, crs)
    cats = resolve_categories(categories)
    clauses = category_filters(filters or {}, cats)
    limit = None if max_distance_m is None else check_radius(max_distance_m, "max_distance_m")
    service = ProximityService(session, caller.personal, include_unusable)
    return service.nearest(origin, cats, clauses, check_k(k), limit).collection()


def within(
    session: Session,
    caller: Caller,
    *,
    lon: Any,
    lat: Any,
    radius_m: float,
    crs: str | None = None,
    categories: Sequence[str] | None = None,
    filters: Mapping[str, str] | None = None,
    limit: int | None = None,
    include_unusable: bool = False,
) -> dict[str, Any]:
    """Every feature within ``radius_m``, nearest first (at most ``limit`` ≤ max_limit)."""
    origin = origin_from(lon, lat, crs)
    cats = resolve_categories(categories)
    clauses = category_filters(filters or {}, cats)
    if limit is not None and limit < 1:
        raise InvalidInput("limit must be at least 1")
    cap = min(limit or caller.settings.max_limit, caller.settings.max_limit)
    service = ProximityService(session, caller.personal, include_unusable)
    return service.within(origin, cats, clauses, check_radius(radius_m), cap).collection()


def surroundings_around_point(
    session: Session, caller: Caller, req: SurroundingsRequest
) -> dict[str, Any]:
    """The 8 categories around a point (any CRS), with totals and what fits the event."""
    origin = origin_from(req.lon, req.lat, req.crs)
    service = SurroundingsService(session, caller.personal, caller.settings.plan_site_radius_m)
    return service.surroundings(
        origin, req.radius_m, req.event_category, req.event_type, req.k, req.include_unusable
    )


def surroundings_around_incident(
    session: Session,
    caller: Caller,
    incident_id: int,
    *,
    radius_m: float,
    k: int | None = None,
    include_unusable: bool = False,
) -> dict[str, Any]:
    """The surroundings of a stored incident: its point, its event; plus its id and severity."""
    radius_m, k = check_radius(radius_m), None if k is None else check_k(k)
    incident = IncidentRepository(session).get(incident_id)
    service = SurroundingsService(session, caller.personal, caller.settings.plan_site_radius_m)
    result = service.surroundings(
        incident.origin, radius_m, incident.event_category, incident.event_type, k,
        include_unusable,
    )  # fmt: skip
    result["incident_id"] = incident.id
    result["severity"] = incident.severity
    return result


def buffer(session: Session, caller: Caller, req: BufferRequest) -> dict[str, Any]:
    """Geodesic rings around a geometry or selected features (+ the features inside)."""
    return BufferService(session, caller.personal, caller.limits).buffer(req)


def hazard_zones(
    session: Session,
    caller: Caller,
    *,
    levels: Sequence[Any] | None = None,
    bbox: str | None = None,
    region_code: str | None = None,
) -> dict[str, Any]:
    """Zones around hazard sources (radius per level from the settings), targets inside."""
    box = parse_bbox(bbox)
    if box is not None:
        check_wgs84_bbox(box)
    radii = hazard_zone_radii(caller.settings.hazard_zone_radii_m)
    return HazardZoneService(session).zones(parse_levels(levels), radii, box, region_code)

"""The use cases behind the hazard endpoints and ``onemap hazards …``.

Both ``/analysis/release-zones`` / ``/analysis/risk-map`` and the CLI: checked input in,
GeoJSON-ready dicts out (the settings decide the table, the thresholds and the limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from gis_onemap.analysis.schemas import parse_body
from gis_onemap.errors import InvalidInput
from gis_onemap.hazards.release import ReleaseOptions, ReleaseRequest, ReleaseZoneService
from gis_onemap.hazards.risk import RiskMapService, RiskMethod, parse_risk_bbox
from gis_onemap.hazards.table import release_table
from gis_onemap.settings import Settings


def release_zones_of(session: Session, settings: Settings, body: Any) -> dict[str, Any]:
    """Check a release request (a JSON object) and compute its zones."""
    req = parse_body(ReleaseRequest, body)
    path = str(settings.release_table_file) if settings.release_table_file else None
    options = ReleaseOptions(settings.release_large_spill_t, settings.release_calm_wind_ms)
    return ReleaseZoneService(session, release_table(path), options).zones(req)


@dataclass
class RiskRequest:
    """Which units, how big, where (``bbox`` as ``minlon,minlat,maxlon,maxlat`` text)."""

    cell: Literal["hex", "square"] = "hex"
    size_m: float = 500.0
    unit: Literal["cell", "district"] | None = None
    bbox: str | None = None


def check_size(settings: Settings, size_m: float) -> float:
    """The cell size within the configured range (NaN and infinities are outside it)."""
    lo, hi = settings.risk_min_cell_m, settings.risk_max_cell_m
    if not lo <= size_m <= hi:
        raise InvalidInput(f"size_m must be between {lo:g} and {hi:g} m (got {size_m:.10g})")
    return size_m


def risk_service(session: Session, settings: Settings) -> RiskMapService:
    """A risk-map service with the configured method and cell limit."""
    return RiskMapService(session, RiskMethod.from_settings(settings), settings.risk_max_cells)


def risk_map_of(session: Session, settings: Settings, req: RiskRequest) -> dict[str, Any]:
    """The risk map of checked parameters."""
    service = risk_service(session, settings)
    if req.unit == "district":
        box = None if req.bbox is None else parse_risk_bbox(req.bbox, session)
        grid, names = service.districts(box)
        return service.compute(grid, names)
    size = check_size(settings, req.size_m)
    return service.compute(service.grid(req.cell, size, parse_risk_bbox(req.bbox, session)))

"""Request bodies of ``/analysis/shelters/*`` (pydantic; the checks that need no database)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gis_onemap.categories.derived import SHELTER_HAZARDS

Hazard = Literal[SHELTER_HAZARDS]  # type: ignore[valid-type]
PopulationColumn = Literal["total", "day", "night"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaInput(_Strict):
    """Where the demand is.

    A region code, a WGS84 bbox or a GeoJSON polygon (at most one; none = the whole population
    layer).
    """

    region_code: str | None = Field(
        default=None, pattern=r"^[1-9][0-9]{5}$", description="District code, or a city's (…00)"
    )
    bbox: list[float] | None = Field(
        default=None, min_length=4, max_length=4, description="minLon,minLat,maxLon,maxLat"
    )
    polygon: dict[str, Any] | None = Field(default=None, description="GeoJSON (Multi)Polygon")

    @model_validator(mode="after")
    def _one_area(self) -> AreaInput:
        given = [n for n in ("region_code", "bbox", "polygon") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of region_code, bbox, polygon (got {', '.join(given)})")
        return self


class PlanningInput(AreaInput):
    """What every planning request shares: hazard, demand share, reach, stay."""

    hazard: Hazard | None = Field(
        default=None, description="Hazard planned for (typhoon/storm_surge: indoor shelters)"
    )
    share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Share of residents needing a shelter (default by district type)",
    )
    reach: float | None = Field(
        default=None,
        gt=0,
        description="Walking reach in minutes (default: each shelter type's service radius)",
    )
    duration_days: float | None = Field(
        default=None, gt=0, description="Planned stay; > 10 days needs 1.5 m² per person"
    )
    population: PopulationColumn = Field(
        default="total", description="Population column: total, day or night (falls back)"
    )
    network: Literal["auto", "roads", "geodesic"] = Field(
        default="auto",
        description="Walk over the road network (auto: when one is loaded) or geodesic distance",
    )
    hazard_zones: list[dict[str, Any]] | None = Field(
        default=None, description="GeoJSON polygons (flood/hazard zones): shelters inside flagged"
    )


class CoverageRequest(PlanningInput):
    """``POST /analysis/shelters/coverage``."""

    exclude_unsafe: bool = Field(
        default=False,
        description="Leave out shelters near a major hazard source or inside a hazard zone "
        "(they are always flagged)",
    )
    cells: bool = Field(default=True, description="Return every cell (else totals and areas)")


class CandidateSource(_Strict):
    """Candidate sites from a collection, optionally filtered (CQL2 text)."""

    collection: str
    filter: str | None = None


class SitingRequest(PlanningInput):
    """``POST /analysis/shelters/siting``."""

    candidates: dict[str, Any] = Field(
        description="{collection, filter} or a GeoJSON FeatureCollection of candidate sites"
    )
    model: Literal["mclp", "pmedian", "lscp"] = "mclp"
    capacitated: bool = Field(
        default=False, description="Capacitated variant (pmedian, lscp): sites have capacity"
    )
    p: int | None = Field(default=None, description="New sites to choose (mclp, pmedian)")
    budget: float | None = Field(
        default=None, gt=0,
        description="mclp instead of p: total cost of the new sites at most this (candidates "
        "carry a 'cost' property)",
    )  # fmt: skip
    capacity: int | None = Field(
        default=None, description="Capacity of a candidate without its own (capacitated)"
    )
    include_existing: bool = Field(
        default=True, description="Existing usable shelters count as already sited"
    )
    time_limit_s: float | None = Field(default=None, gt=0, description="Solver time limit (s)")


class EvacuateRequest(_Strict):
    """``POST /analysis/shelters/evacuate``."""

    zone: dict[str, Any] | None = Field(default=None, description="GeoJSON hazard-zone polygon")
    incident_id: int | None = Field(default=None, description="Or: the incident's zone")
    radius_m: float = Field(
        # 1 m at least: a zone below that holds no one, and a denormal radius breaks GEOS
        default=3000.0,
        ge=1,
        le=100_000,
        description="Zone radius around the incident (m)",
    )
    hazard: Hazard | None = None
    share: float | None = Field(default=None, gt=0, le=1)
    reach: float | None = Field(default=None, gt=0, description="Walking reach (minutes)")
    duration_days: float | None = Field(default=None, gt=0)
    population: PopulationColumn = "total"
    network: Literal["auto", "roads", "geodesic"] = "auto"

    @model_validator(mode="after")
    def _zone(self) -> EvacuateRequest:
        if (self.zone is None) == (self.incident_id is None):
            raise ValueError("give exactly one of zone (a GeoJSON polygon) or incident_id")
        return self

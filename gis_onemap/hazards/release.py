"""Release zones.

An initial isolation circle and a downwind protective-action zone, plus the fireball and
overpressure circles of a flammable release, each with what lies inside.

Geometry is geodesic (``pyproj.Geod`` on WGS84): the isolation circle comes from
:func:`gis_onemap.analysis.buffers.geodesic_disc`; the protective-action zone is ERG's square
(side = the protective-action distance, the release point in the middle of its upwind side),
oriented downwind = the direction the wind blows FROM + 180°. Below the calm-wind threshold the
direction is meaningless, so the zone is a full circle (a choice, on the safe side).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import shapely
import shapely.geometry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pyproj import Geod
from sqlalchemy import LargeBinary, bindparam, func, select
from sqlalchemy.orm import Session

from gis_onemap.analysis.buffers import geodesic_disc
from gis_onemap.analysis.hazard_zones import HazardZoneService
from gis_onemap.analysis.inputs import origin_from
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.hazards.population import PopulationLayer
from gis_onemap.hazards.table import ReleaseTable, Substance, fireball, overpressure_radii
from gis_onemap.standards.gb18218 import gb18218

GEOD = Geod(ellps="WGS84")
#: Largest release mass accepted (t): the biggest LNG carriers hold about this much.
MAX_TONNES = 100_000.0
#: Vertices along each side of the protective-action square (geodesic edges, not chords).
EDGE_POINTS = 16


class ReleaseRequest(BaseModel):
    """``POST /analysis/release-zones``: where, what, how much, and the weather."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lon: float | None = Field(default=None, description="Release point longitude (or easting)")
    lat: float | None = Field(default=None, description="Release point latitude (or northing)")
    crs: str | None = Field(default=None, description="CRS of lon/lat (EPSG, 'gcj02', 'bd09')")
    hazard_source_id: int | None = Field(
        default=None, description="Release at this hazard source (its point/centroid) instead"
    )
    substance: str = Field(
        max_length=200, description="GB 18218 name/alias, CAS or UN number, e.g. '液氯'"
    )
    amount: Literal["small", "large"] | None = Field(
        default=None, description="ERG spill size; or give tonnes"
    )
    tonnes: float | None = Field(default=None, description="Released mass (t), > 0")
    container: str | None = Field(
        default=None,
        max_length=80,
        description="Large spills of the six ERG Table 3 gases: the transport container (e.g. "
        "'rail_tank_car', 'Highway tank truck or trailer', '多个吨级钢瓶'); default: the largest",
    )
    time: Literal["day", "night"] = Field(default="day", description="Day or night (ERG)")
    wind_from_deg: float = Field(description="Direction the wind blows FROM, degrees (0 = north)")
    wind_speed_ms: float = Field(description="Wind speed (m/s), ≥ 0")

    @field_validator("tonnes")
    @classmethod
    def _tonnes(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError("tonnes must be a positive number")
        if value is not None and value > MAX_TONNES:
            raise ValueError(f"tonnes above {MAX_TONNES:,.0f} is beyond any single release")
        return value

    @field_validator("wind_speed_ms")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError("wind_speed_ms must be ≥ 0")
        if value > 75:
            raise ValueError("wind_speed_ms above 75 m/s is not a wind")
        return value

    @field_validator("wind_from_deg")
    @classmethod
    def _direction(cls, value: float) -> float:
        if not math.isfinite(value) or not -360 <= value <= 360:
            raise ValueError("wind_from_deg must be a direction in degrees (0–360)")
        return value % 360

    @model_validator(mode="after")
    def _where_and_how_much(self) -> ReleaseRequest:
        has_point = self.lon is not None or self.lat is not None
        if has_point == (self.hazard_source_id is not None):
            raise ValueError("give either lon/lat or hazard_source_id")
        if has_point and (self.lon is None or self.lat is None):
            raise ValueError("give both lon and lat")
        if self.amount is not None and self.tonnes is not None:
            raise ValueError("give amount (small/large) or tonnes, not both")
        return self


@dataclass(frozen=True)
class ReleaseOptions:
    """The settings a release computation needs."""

    large_spill_t: float = 0.2
    calm_wind_ms: float = 0.5
    listed_per_zone: int = 1000


def downwind_square(lon: float, lat: float, azimuth: float, length_m: float) -> shapely.Polygon:
    """ERG's protective-action square.

    ``length_m`` downwind along ``azimuth`` and as wide, the release point in the middle of the
    upwind side; geodesic edges.

    >>> sq = downwind_square(110.0, 21.0, 90.0, 1000.0)
    >>> sq.bounds[0] == 110.0 or round(sq.centroid.x, 4) > 110.0
    True
    """
    half = length_m / 2
    left = GEOD.fwd(lon, lat, azimuth - 90, half)[:2]
    right = GEOD.fwd(lon, lat, azimuth + 90, half)[:2]
    far_left = GEOD.fwd(left[0], left[1], azimuth, length_m)[:2]
    far_right = GEOD.fwd(right[0], right[1], azimuth, length_m)[:2]
    corners = [right, left, far_left, far_right, right]
    ring: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(corners):
        ring.append(a)
        ring.extend(GEOD.npts(a[0], a[1], b[0], b[1], EDGE_POINTS))
    ring.append(corners[0])
    return shapely.Polygon(ring)


class ReleaseZoneService:
    """Release zones for a checked request, with the targets, population and shelters inside."""

    def __init__(self, session: Session, table: ReleaseTable, options: ReleaseOptions) -> None:
        self.session = session
        self.table = table
        self.options = options

    def _where(self, req: ReleaseRequest) -> tuple[float, float, dict[str, Any] | None]:
        if req.hazard_source_id is None:
            origin = origin_from(req.lon, req.lat, req.crs)
            return origin.lon, origin.lat, None
        hs = table_for("hazard_sources")
        pos = func.ST_PointOnSurface(hs.c.geom)
        row = self.session.execute(
            select(hs.c.id, hs.c.name, hs.c.substances, func.ST_X(pos), func.ST_Y(pos)).where(
                hs.c.id == req.hazard_source_id
            )
        ).first()
        if row is None:
            raise NotFound(f"no hazard source {req.hazard_source_id}")
        return float(row[3]), float(row[4]), {"id": row.id, "name": row.name, "subs": row[2]}

    def _tonnes_at_source(self, source: dict[str, Any], substance: Substance) -> float | None:
        """The q (t) the hazard source records for this substance, if it lists it."""
        std = gb18218()
        for item in source.get("subs") or []:
            rows = []
            for key, lookup in (("name", std.by_name), ("cas", std.by_cas), ("un", std.by_un)):
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    rows += lookup(value)
            if any(set(e.un) & set(substance.un) for e in rows):
                q = item.get("q")
                if isinstance(q, int | float) and q > 0:
                    return float(q)
        return None

    def zones(self, req: ReleaseRequest) -> dict[str, Any]:
        """The zones as a FeatureCollection (isolation, protective action, fireball, blast)."""
        substance = self.table.resolve(req.substance)
        lon, lat, source = self._where(req)
        tonnes = req.tonnes
        if tonnes is None and req.amount is None and source is not None:
            tonnes = self._tonnes_at_source(source, substance)
        if tonnes is None and req.amount is None:
            raise InvalidInput("give amount (small or large) or tonnes")
        size = req.amount or ("small" if tonnes <= self.options.large_spill_t else "large")  # type: ignore[operator]
        # ERG Table 3: a large spill of one of its six gases reads the container and wind class
        wanted = None if req.container is None else self.table.container_key(req.container)
        wind_class = self.table.wind_class(req.wind_speed_ms)
        container = None
        if size == "large":
            dist, container = self.table.large_spill(substance, wanted, wind_class)
        else:
            dist = substance.small
        notes = []
        if wanted is not None and container is None:
            notes.append("container ignored: ERG Table 3 applies to large spills of its six gases")
        downwind_m = dist.downwind(req.time)
        calm = req.wind_speed_ms < self.options.calm_wind_ms
        azimuth = (req.wind_from_deg + 180.0) % 360.0
        point = shapely.Point(lon, lat)
        population = PopulationLayer(self.session)
        zones: list[tuple[str, shapely.Geometry, dict[str, Any]]] = [
            ("isolation", geodesic_disc(point, dist.isolation_m), {"radius_m": dist.isolation_m})
        ]
        if downwind_m:
            if calm:
                geom = geodesic_disc(point, downwind_m)
                shape = "circle (calm wind: direction unknown)"
            else:
                geom = downwind_square(lon, lat, azimuth, downwind_m)
                shape = "square oriented downwind (ERG)"
            zones.append(("protective_action", geom, {"distance_m": downwind_m, "shape": shape}))
        model: dict[str, Any] = {}
        if substance.kind == "flammable":
            model = self._flammable(substance, tonnes, point, zones)
        features = []
        for kind, geom, extra in zones:
            contents = self._inside(geom, population, req.time)
            features.append({
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {"zone": kind, **extra, **contents},
            })  # fmt: skip
        return {
            "type": "FeatureCollection",
            "features": features,
            "release": {
                "lon": lon, "lat": lat, "hazard_source": None if source is None else
                {"id": source["id"], "name": source["name"]},
                "substance": {"name_zh": substance.name_zh, "name_en": substance.name_en,
                              "un": list(substance.un), "kind": substance.kind,
                              "confirmed": substance.confirmed,
                              "edition": substance.edition or None, "plus": substance.plus},
                "spill": size, "tonnes": tonnes, "time": req.time,
                "container": container,
                "container_label": None if container is None else
                dict(self.table.containers.get(container, {})) or None,
                "wind_class": None if container is None else wind_class, "notes": notes,
                "wind_from_deg": req.wind_from_deg, "wind_speed_ms": req.wind_speed_ms,
                "downwind_azimuth_deg": None if calm else azimuth, "calm": calm,
                "isolation_m": dist.isolation_m, "protective_action_m": downwind_m,
                "source": self.table.sources.get(dist.source, dist.source),
                **model,
            },
            "population_layer": population.present,
        }  # fmt: skip

    def _flammable(
        self,
        substance: Substance,
        tonnes: float | None,
        point: shapely.Point,
        zones: list[tuple[str, shapely.Geometry, dict[str, Any]]],
    ) -> dict[str, Any]:
        """Fireball and overpressure circles (need a mass: tonnes or the source's q)."""
        if tonnes is None:
            return {"fireball": None, "overpressure": None,
                    "model_note": "give tonnes for fireball and overpressure radii"}  # fmt: skip
        kg = tonnes * 1000.0
        fb = fireball(self.table, kg)
        blast = overpressure_radii(self.table, kg, float(substance.heat_of_combustion_mj_kg or 0))
        zones.append(("fireball", geodesic_disc(point, fb["radius_m"]), dict(fb)))
        for r in blast["radii"]:
            zones.append((f"overpressure_{r['overpressure_kpa']:g}kpa",
                          geodesic_disc(point, r["radius_m"]), dict(r)))  # fmt: skip
        return {"fireball": fb, "overpressure": blast,
                "fire_isolation_m": self.table.fire_isolation_m}  # fmt: skip

    def _inside(
        self, zone: shapely.Geometry, population: PopulationLayer, time: str
    ) -> dict[str, Any]:
        targets = HazardZoneService(self.session).targets_inside(zone)
        sh = table_for("shelters")
        z = func.ST_GeomFromWKB(bindparam("zone", type_=LargeBinary), 4326)
        rows = self.session.execute(
            select(sh.c.id, sh.c.name, sh.c.shelter_type, sh.c.capacity)
            .where(func.ST_Intersects(sh.c.geom, z))
            .order_by(sh.c.id),
            {"zone": shapely.to_wkb(zone)},
        ).all()
        n = self.options.listed_per_zone
        return {
            "protected_targets": targets["protected_targets"],
            "target_occupancy": targets["population"],
            "targets_by_type": targets["targets_by_type"],
            "targets": targets["targets"][:n],
            "population": population.inside(zone, time),
            "shelters_inside": len(rows),
            "shelter_capacity_inside": sum(r.capacity or 0 for r in rows),
            "shelters": [
                {"id": r.id, "name": r.name, "shelter_type": r.shelter_type, "capacity": r.capacity}
                for r in rows[:n]
            ],
        }


def close_roads(session: Session, fc: dict[str, Any], created_by: str | None) -> list[int]:
    """Store the isolation and protective-action zones as road closures; their ids."""
    from gis_onemap.roads.closures import ClosureInput, ClosureRepository

    rel = fc["release"]
    ids = []
    repo = ClosureRepository(session)
    for f in fc["features"]:
        kind = f["properties"]["zone"]
        if kind not in ("isolation", "protective_action"):
            continue
        reason = f"{rel['substance']['name_zh']} release: {kind} zone"
        closure = repo.add(ClosureInput(reason=reason, geometry=f["geometry"]), created_by)
        ids.append(int(closure["id"]))
        f["properties"]["road_closure_id"] = closure["id"]
    return ids

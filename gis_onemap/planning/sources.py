"""Read demand (population cells) and supply (shelters, candidate sites) from the database.

The population layer is optional: :func:`population_present` says whether it is loaded, and
the planning endpoints say so instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer

from gis_onemap.categories import get_category
from gis_onemap.errors import InvalidInput, LimitExceeded
from gis_onemap.planning.rules import capacity_of, serves


@cache
def sql(name: str) -> str:
    """The text of ``gis_onemap/planning/sql/<name>``."""
    return (files("gis_onemap.planning") / "sql" / name).read_text(encoding="utf-8")


def population_present(session: Session) -> bool:
    """Whether the population layer (migration 0010) is in this database."""
    present: bool = session.execute(
        text("SELECT to_regclass('population') IS NOT NULL")
    ).scalar_one()
    return present


@dataclass
class Cells:
    """Population cells: demand points (lon/lat), people, and the cell geometries."""

    ids: np.ndarray
    names: list[str | None]
    region_codes: list[str | None]
    population: np.ndarray
    lonlat: np.ndarray
    geoms: np.ndarray  # shapely
    synthetic: bool

    def __len__(self) -> int:
        """The number of cells."""
        return len(self.ids)


def load_cells(
    session: Session, *, region_code: str | None, area: BaseGeometry | None,
    column: str, max_rows: int,
) -> Cells:  # fmt: skip
    """Cells of the area (by each cell's point on surface); ``column`` total/day/night."""
    if not population_present(session):
        raise InvalidInput(
            "no population layer is loaded: import one with "
            "'onemap load FILE --layer population' (or 'onemap demo')"
        )
    rows = session.execute(
        text(sql("cells.sql")),
        {"region_code": region_code, "area": None if area is None else area.wkt,
         "max_rows": max_rows + 1},
    ).mappings().all()  # fmt: skip
    if len(rows) > max_rows:
        raise LimitExceeded(
            f"the area holds more than {max_rows} population cells: ask for a smaller one"
        )
    pop = np.array([r["population"] for r in rows], dtype=float)
    if column != "total" and rows:
        # day/night figures where the cell has them, else its total
        ids = [r["id"] for r in rows]
        alt: dict[int, int | None] = dict(
            session.execute(
                text(f"SELECT id, population_{column} FROM population WHERE id = ANY(:ids)"),
                {"ids": ids},
            ).all()
        )
        pop = np.array(
            [alt.get(i) if alt.get(i) is not None else p for i, p in zip(ids, pop, strict=True)],
            dtype=float,
        )
    return Cells(
        ids=np.array([r["id"] for r in rows], dtype=np.int64),
        names=[r["name"] for r in rows],
        region_codes=[r["region_code"] for r in rows],
        population=pop,
        lonlat=np.array([[r["lon"], r["lat"]] for r in rows], dtype=float).reshape(-1, 2),
        geoms=shapely.from_wkb([bytes(r["wkb"]) for r in rows]) if rows else np.array([]),
        synthetic=any(r["synthetic"] for r in rows),
    )


@dataclass
class Sites:
    """Shelters (or candidate sites): positions, capacities and why any is left out."""

    ids: list[Any]
    names: list[str | None]
    lonlat: np.ndarray
    capacity: np.ndarray
    shelter_type: list[str | None]
    #: per site: reasons it may not be used (unusable, not serving the hazard)
    unusable: list[str | None]
    #: per site: safety flags (near a major hazard source, inside a hazard zone)
    flags: list[list[str]] = field(default_factory=list)
    hazard_m: list[float | None] = field(default_factory=list)
    #: per candidate site: what building it costs (siting with a budget), NaN when unknown
    cost: np.ndarray | None = None

    def __len__(self) -> int:
        """The number of candidate sites."""
        return len(self.ids)

    def subset(self, keep: np.ndarray) -> Sites:
        """The sites where ``keep`` is true."""
        idx = np.flatnonzero(keep)
        return Sites(
            ids=[self.ids[k] for k in idx], names=[self.names[k] for k in idx],
            lonlat=self.lonlat[idx], capacity=self.capacity[idx],
            shelter_type=[self.shelter_type[k] for k in idx],
            unusable=[self.unusable[k] for k in idx], flags=[self.flags[k] for k in idx],
            hazard_m=[self.hazard_m[k] for k in idx],
            cost=None if self.cost is None else self.cost[idx],
        )  # fmt: skip


def load_shelters(
    session: Session, *, envelope: tuple[float, float, float, float], margin_m: float,
    hazard: str | None, duration_days: float | None, levels: Sequence[int],
    clearance_m: float, max_rows: int,
) -> Sites:  # fmt: skip
    """Shelters within ``margin_m`` of the envelope, with capacity for the stay and flags."""
    usability = get_category("shelters").usable
    unusable = "NULL::text" if usability is None else usability.reason("s").replace('"s"', "s")
    stmt = text(sql("shelters.sql").replace("{unusable}", unusable)).bindparams(
        bindparam("levels", type_=ARRAY(Integer))
    )
    x0, y0, x1, y1 = envelope
    rows = session.execute(
        stmt,
        {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "margin_m": margin_m, "levels": list(levels),
         "clearance_m": clearance_m, "max_rows": max_rows + 1},
    ).mappings().all()  # fmt: skip
    if len(rows) > max_rows:
        raise LimitExceeded(f"more than {max_rows} shelters around the area")
    reasons = [r["unusable"] or serves(hazard, r["space_type"], r["hazards_served"]) for r in rows]
    return Sites(
        ids=[r["id"] for r in rows],
        names=[r["name"] for r in rows],
        lonlat=np.array([[r["lon"], r["lat"]] for r in rows], dtype=float).reshape(-1, 2),
        capacity=np.array(
            [
                capacity_of(r["shelter_type"], r["effective_area_m2"], r["capacity"], duration_days)
                for r in rows
            ],
            dtype=float,
        ),
        shelter_type=[r["shelter_type"] for r in rows],
        unusable=reasons,
        flags=[["near_major_hazard"] if r["hazard_m"] is not None else [] for r in rows],
        hazard_m=[None if r["hazard_m"] is None else round(float(r["hazard_m"]), 1) for r in rows],
    )


def hazard_distances(
    session: Session, lonlat: np.ndarray, levels: Sequence[int], clearance_m: float
) -> list[float | None]:
    """Distance (m) from each point to the nearest major hazard source within the clearance."""
    if len(lonlat) == 0:
        return []
    stmt = text(sql("hazard_near.sql")).bindparams(bindparam("levels", type_=ARRAY(Integer)))
    rows = session.execute(
        stmt,
        {"lons": lonlat[:, 0].tolist(), "lats": lonlat[:, 1].tolist(), "levels": list(levels),
         "clearance_m": clearance_m},
    ).all()  # fmt: skip
    return [None if r.hazard_m is None else round(float(r.hazard_m), 1) for r in rows]


def flag_zones(sites: Sites, zones: BaseGeometry | None) -> None:
    """Add ``inside_hazard_zone`` to the flags of sites inside ``zones``."""
    if zones is None or len(sites) == 0:
        return
    inside = shapely.contains_xy(zones, sites.lonlat[:, 0], sites.lonlat[:, 1])
    for k in np.flatnonzero(inside):
        sites.flags[k].append("inside_hazard_zone")


def candidate_sites(
    session: Session, source: dict[str, Any], default_capacity: int | None, max_rows: int
) -> Sites:
    """Candidates from ``{collection, filter}`` or a GeoJSON FeatureCollection.

    Points or areas (their point on surface); capacity from a ``capacity`` property (or the shelter
    rule) or ``default_capacity``.
    """
    from gis_onemap.db.tables import table_for
    from gis_onemap.query.items import filter_clause

    if source.get("type") == "FeatureCollection":
        feats = source.get("features")
        if not isinstance(feats, list):
            raise InvalidInput("candidates: 'features' must be a list")
        if len(feats) > max_rows:
            raise LimitExceeded(f"more than {max_rows} candidate sites")
        from gis_onemap.analysis.buffers import parse_geometry

        ids, names, pts, caps, costs = [], [], [], [], []
        for n, f in enumerate(feats):
            if not isinstance(f, dict):
                raise InvalidInput(f"candidates: feature {n} is not an object")
            props = f.get("properties") or {}
            geom = parse_geometry(f.get("geometry"))
            pt = geom if geom.geom_type == "Point" else geom.point_on_surface()
            cap = props.get("capacity", default_capacity)
            if cap is not None and (not isinstance(cap, int | float) or cap < 0):
                raise InvalidInput(
                    f"candidates: feature {n} has a negative or non-numeric capacity"
                )
            ids.append(f.get("id", props.get("id", n)))
            names.append(props.get("name"))
            pts.append((pt.x, pt.y))
            caps.append(float(cap) if cap is not None else np.nan)
            cost = props.get("cost")
            if cost is not None and (not isinstance(cost, int | float) or cost < 0):
                raise InvalidInput(f"candidates: feature {n} has a negative or non-numeric cost")
            costs.append(float(cost) if cost is not None else np.nan)
        return Sites(ids=ids, names=names, lonlat=np.array(pts, dtype=float).reshape(-1, 2),
                     capacity=np.array(caps, dtype=float), shelter_type=[None] * len(ids),
                     unusable=[None] * len(ids), flags=[[] for _ in ids],
                     hazard_m=[None] * len(ids),
                     cost=np.array(costs, dtype=float))  # fmt: skip
    if set(source) - {"collection", "filter"} or "collection" not in source:
        raise InvalidInput("candidates: give {collection, filter} or a GeoJSON FeatureCollection")
    cat = get_category(str(source["collection"]))
    table = table_for(cat.id)
    where = filter_clause(source.get("filter"), None, cat, table)
    from sqlalchemy import func

    pt = func.ST_PointOnSurface(table.c.geom)
    cols = [table.c.id, table.c.name, func.ST_X(pt).label("lon"), func.ST_Y(pt).label("lat")]
    has_cap = "capacity" in table.c
    if has_cap:
        cols.append(table.c.capacity)
    stmt = select(*cols).order_by(table.c.id).limit(max_rows + 1)
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt).mappings().all()
    if len(rows) > max_rows:
        raise LimitExceeded(f"more than {max_rows} candidate sites")
    caps = [
        float(r["capacity"]) if has_cap and r["capacity"] is not None
        else (float(default_capacity) if default_capacity is not None else np.nan)
        for r in rows
    ]  # fmt: skip
    return Sites(
        ids=[r["id"] for r in rows], names=[r["name"] for r in rows],
        lonlat=np.array([[r["lon"], r["lat"]] for r in rows], dtype=float).reshape(-1, 2),
        capacity=np.array(caps, dtype=float), shelter_type=[None] * len(rows),
        unusable=[None] * len(rows), flags=[[] for _ in rows], hazard_m=[None] * len(rows),
    )  # fmt: skip

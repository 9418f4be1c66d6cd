"""Import a population file into the ``population`` layer.

GeoJSON, GPKG, Shapefile, CSV/XLSX with lon/lat: the same readers as the 8 categories
(:mod:`gis_onemap.io.readers`), a column mapping of its own, every row checked first, written all or
nothing.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from gis_onemap.crs import CRSSpec, parse_crs, to_wgs84
from gis_onemap.db.tables import POPULATION, POPULATION_KINDS
from gis_onemap.errors import InvalidInput, ValidationFailed
from gis_onemap.io.formats import detect_format
from gis_onemap.io.limits import ImportLimits
from gis_onemap.io.readers import read_source

#: Accepted headers (lower-cased) → population columns; English, Chinese, Shapefile-short.
HEADERS: dict[str, str] = {
    "name": "name", "名称": "name", "村": "name", "社区": "name",
    "region_code": "region_code", "行政区划代码": "region_code", "区划代码": "region_code",
    "adcode": "region_code",
    "population": "population", "人口": "population", "常住人口": "population",
    "总人口": "population", "pop": "population",
    "population_day": "population_day", "日间人口": "population_day", "pop_day": "population_day",
    "population_night": "population_night", "夜间人口": "population_night",
    "pop_night": "population_night",
    "kind": "kind", "类型": "kind", "synthetic": "synthetic", "合成": "synthetic",
    "lon": "lon", "longitude": "lon", "经度": "lon", "x": "lon",
    "lat": "lat", "latitude": "lat", "纬度": "lat", "y": "lat",
}  # fmt: skip
#: Chinese kinds accepted as the English ones.
KINDS_ZH = {"网格": "grid", "村": "village", "社区": "community", "点": "point"}


@dataclass
class PopulationReport:
    """What an import did (or would do)."""

    file: str
    rows: int = 0
    imported: int = 0
    population: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replaced: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"file": self.file, "rows": self.rows, "imported": self.imported,
                "population": self.population, "replaced": self.replaced,
                "rejected": self.rejected[:100], "rejected_count": len(self.rejected)}  # fmt: skip


def _int_or_none(value: Any) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None, None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"'{value}' is not a number"
    if number < 0:
        return None, "must not be negative"
    if number != int(number):
        return None, "must be a whole number of people"
    return int(number), None


def import_population(
    session: Session, path: Path, *, crs: str | None = None, layer: str | None = None,
    encoding: str | None = None, replace: bool = False, synthetic: bool | None = None,
    limits: ImportLimits | None = None, dry_run: bool = False,
) -> PopulationReport:  # fmt: skip
    """Read, check every row, then insert all of them (or nothing: 422 listing the rows)."""
    fmt = detect_format(path.name)
    with tempfile.TemporaryDirectory(prefix="onemap-pop-") as tmp:
        table = read_source(
            path, fmt, layer=layer, encoding=encoding, workdir=Path(tmp), limits=limits
        )
    cols = {HEADERS[c.strip().lower()]: v for c, v in table.columns.items()
            if c.strip().lower() in HEADERS}  # fmt: skip
    if "population" not in cols:
        raise InvalidInput("the file has no population column (population / 人口 / 常住人口)")
    spec: CRSSpec = parse_crs(crs or table.file_crs or "EPSG:4326")
    n = table.n_rows
    report = PopulationReport(file=path.name, rows=n)
    if table.geometries is not None:
        geoms = np.array(table.geometries, dtype=object)
    elif "lon" in cols and "lat" in cols:
        lon = pd.to_numeric(pd.Series(cols["lon"]), errors="coerce").to_numpy()
        lat = pd.to_numeric(pd.Series(cols["lat"]), errors="coerce").to_numpy()
        geoms = np.array(
            [None if np.isnan(a) or np.isnan(b) else shapely.Point(a, b)
             for a, b in zip(lon, lat, strict=True)], dtype=object,
        )  # fmt: skip
    else:
        raise InvalidInput("the file has no geometry and no lon/lat columns")
    if not spec.is_wgs84:
        present = np.array([g is not None for g in geoms], dtype=bool)

        def apply(xy: np.ndarray) -> np.ndarray:
            lon2, lat2 = to_wgs84(xy[:, 0], xy[:, 1], spec)
            return np.column_stack([lon2, lat2])

        geoms[present] = shapely.transform(geoms[present], apply)
    values = []
    for k in range(n):
        reasons = []
        row: dict[str, Any] = {}
        for name in ("population", "population_day", "population_night"):
            raw = cols.get(name, [None] * n)[k]
            number, problem = _int_or_none(raw)
            if problem:
                reasons.append(f"{name} {problem}")
            row[name] = number
        if row["population"] is None and not any("population " in r for r in reasons):
            reasons.append("population is missing")
        kind = str(cols.get("kind", [None] * n)[k] or "").strip()
        kind = KINDS_ZH.get(kind, kind.lower())
        g = geoms[k]
        if g is None or g.is_empty:
            reasons.append("no geometry")
        else:
            if not shapely.is_valid(g):
                g = shapely.make_valid(g)
            x0, y0, x1, y1 = g.bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                reasons.append("coordinates out of WGS84 range (wrong CRS?)")
        if not kind:
            kind = "point" if g is not None and g.geom_type == "Point" else "grid"
        if kind not in POPULATION_KINDS:
            reasons.append(f"kind '{kind}' is not one of {', '.join(POPULATION_KINDS)}")
        if reasons:
            report.rejected.append({"row": k + 1, "reasons": reasons})
            continue
        name = cols.get("name", [None] * n)[k]
        code = cols.get("region_code", [None] * n)[k]
        syn = synthetic if synthetic is not None else bool(cols.get("synthetic", [False] * n)[k])
        values.append({
            **row, "name": None if name is None else str(name),
            "region_code": None if code is None or code == "" else str(code).split(".")[0],
            "kind": kind, "synthetic": syn, "extra": {},
            "geom": f"SRID=4326;{g.wkt}",
        })  # fmt: skip
    if report.rejected:
        first = report.rejected[0]
        raise ValidationFailed(
            f"{len(report.rejected)} of {n} rows are invalid (first: row {first['row']}: "
            f"{first['reasons'][0]}); nothing was written",
            details=report.as_dict(),
        )
    report.population = int(sum(v["population"] for v in values))
    if dry_run:
        return report
    with session.begin_nested():
        if replace:
            report.replaced = session.execute(text("DELETE FROM population")).rowcount  # type: ignore[attr-defined]
        if values:
            session.execute(insert(POPULATION), values)
    report.imported = len(values)
    return report


def report_text(report: PopulationReport) -> str:
    """One line for the CLI."""
    return json.dumps(report.as_dict(), ensure_ascii=False)

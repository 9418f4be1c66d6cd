"""The four-colour risk map (红橙黄蓝): risk = likelihood × consequence per cell or district.

Method: the semi-quantitative risk matrix of the urban safety risk assessment guides
(《城市安全风险评估工作指南》-style L × C matrices, after GB/T 27921-2011 风险评估技术 and the
four-colour classes of 国务院安委办《关于实施遏制重特大事故工作指南构建双重预防机制的意见》,
red/orange/yellow/blue = major/high/moderate/low). The guides leave the scoring of L and C to
the assessor; the choices made here (all settings, all reported with each cell) are:

- **Likelihood L (0–4)**: a hazard source *reaches* a cell when the cell lies within the source's
  hazard-zone radius (the level table of :mod:`gis_onemap.analysis.hazard_zones`).
  L = 5 − (best level reaching), so level 1 → 4 … level 4 → 1 (a source without a level counts
  as level 4); +1 when ``count_step`` or more sources reach the cell; −1 (not below 1) when every
  reaching source is under online monitoring; capped at 4. No source reaching → L = 0.
- **Consequence C (1–4)**: 1 + the number of ``population_breaks`` the exposed residents reach
  (the population layer when loaded, else the occupancy of the protected targets in the cell);
  +1 when the cell holds a vulnerable target (schools, kindergartens, hospitals, nursing homes);
  +1 when the shelters within ``shelter_reach_m`` hold fewer than ``shelter_share`` × residents;
  capped at 4.
- **Score** R = L × C (0–16), **class** by ``class_breaks`` (red ≥ 12, orange ≥ 8, yellow ≥ 4,
  else blue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.analysis.hazard_zones import hazard_zone_radii
from gis_onemap.errors import InvalidInput
from gis_onemap.hazards.grid import CellKind, Grid, make_grid
from gis_onemap.hazards.population import PopulationLayer

CLASSES = ("red", "orange", "yellow", "blue")
COLOURS = {
    "red": ("#d7191c", "红", "major"),
    "orange": ("#fd8d3c", "橙", "high"),
    "yellow": ("#ffd92f", "黄", "moderate"),
    "blue": ("#2c7bb6", "蓝", "low"),
}
#: ``unit=`` → the ``regions.level`` it reads: districts are the county-level divisions (区/县/
#: 县级市) of GB/T 2260; townships and villages have no boundaries loaded yet.
UNIT_LEVELS = {"district": "county"}
#: Source ids listed per cell (all are counted).
LISTED_SOURCES = 20


@dataclass(frozen=True)
class RiskMethod:
    """Every choice of the method (see the module docstring)."""

    radii: Mapping[int, float] = field(default_factory=hazard_zone_radii)
    count_step: int = 3
    population_breaks: Sequence[float] = (500.0, 5000.0, 20000.0)
    shelter_reach_m: float = 2000.0
    shelter_share: float = 0.2
    vulnerable_types: frozenset[str] = frozenset(
        {"school", "kindergarten", "hospital", "nursing_home"}
    )
    class_breaks: Mapping[str, float] = field(
        default_factory=lambda: {"red": 12.0, "orange": 8.0, "yellow": 4.0}
    )

    @classmethod
    def from_settings(cls, settings: Any) -> RiskMethod:
        """The method with the configured knobs; bad breaks → :class:`InvalidInput`."""
        breaks = {k: float(v) for k, v in settings.risk_class_breaks.items()}
        if set(breaks) != {"red", "orange", "yellow"} or not (
            breaks["red"] >= breaks["orange"] >= breaks["yellow"] > 0
        ):
            raise InvalidInput("risk_class_breaks needs red ≥ orange ≥ yellow > 0")
        return cls(
            radii=hazard_zone_radii(settings.hazard_zone_radii_m),
            count_step=settings.risk_count_step,
            population_breaks=tuple(sorted(settings.risk_population_breaks)),
            shelter_reach_m=settings.risk_shelter_reach_m,
            shelter_share=settings.risk_shelter_share,
            vulnerable_types=frozenset(settings.risk_vulnerable_types),
            class_breaks=breaks,
        )

    def as_dict(self) -> dict[str, Any]:
        """The method's parameters, for the response."""
        return {
            "likelihood_reach_m_by_level": {str(k): v for k, v in sorted(self.radii.items())},
            "count_step": self.count_step,
            "population_breaks": list(self.population_breaks),
            "shelter_reach_m": self.shelter_reach_m,
            "shelter_share": self.shelter_share,
            "vulnerable_types": sorted(self.vulnerable_types),
            "class_breaks": dict(self.class_breaks),
        }


def likelihood(best_level: int | None, sources: int, unmonitored: int, count_step: int) -> int:
    """L from the best (lowest) level reaching a cell, how many reach it, how many unmonitored.

    >>> likelihood(None, 0, 0, 3), likelihood(1, 1, 1, 3), likelihood(3, 3, 3, 3)
    (0, 4, 3)
    >>> likelihood(2, 1, 0, 3), likelihood(4, 1, 0, 3)
    (2, 1)
    """
    if sources == 0 or best_level is None:
        return 0
    score = 5 - best_level
    if sources >= count_step:
        score += 1
    if unmonitored == 0:
        score = max(1, score - 1)
    return min(4, score)


def consequence(
    residents: float, vulnerable: int, shelter_capacity: float, method: RiskMethod
) -> int:
    """C from the exposed residents, vulnerable targets and shelter capacity within reach.

    >>> m = RiskMethod()
    >>> consequence(0, 0, 0, m), consequence(600, 0, 200, m), consequence(6000, 1, 0, m)
    (1, 2, 4)
    """
    grade = 1 + sum(residents >= b for b in method.population_breaks)
    if vulnerable > 0:
        grade += 1
    if residents > 0 and shelter_capacity < method.shelter_share * residents:
        grade += 1
    return min(4, int(grade))


def risk_class(score: float, breaks: Mapping[str, float]) -> str:
    """The colour class of a score.

    >>> [risk_class(s, {"red": 12, "orange": 8, "yellow": 4}) for s in (16, 12, 9, 4, 3, 0)]
    ['red', 'red', 'orange', 'yellow', 'blue', 'blue']
    """
    for name in ("red", "orange", "yellow"):
        if score >= breaks[name]:
            return name
    return "blue"


def likelihood_grades(
    best: np.ndarray, count: np.ndarray, unmonitored: np.ndarray, count_step: int
) -> np.ndarray:
    """:func:`likelihood` for arrays (``best`` is ignored where ``count`` is 0).

    >>> likelihood_grades(np.array([99, 1, 3, 2, 4]), np.array([0, 1, 3, 1, 1]),
    ...                   np.array([0, 1, 3, 0, 0]), 3).tolist()
    [0, 4, 3, 2, 1]
    """
    grade = np.where(count > 0, 5 - np.minimum(best, 4), 0)
    grade = grade + (count >= count_step)
    grade = np.where((count > 0) & (unmonitored == 0), np.maximum(1, grade - 1), grade)
    return np.minimum(4, grade).astype(np.int64)


def consequence_grades(
    exposed: np.ndarray, vulnerable: np.ndarray, capacity: np.ndarray, method: RiskMethod
) -> np.ndarray:
    """:func:`consequence` for arrays.

    >>> consequence_grades(np.array([0, 600, 6000]), np.array([0, 0, 1]),
    ...                    np.array([0, 200, 0]), RiskMethod()).tolist()
    [1, 2, 4]
    """
    grade = 1 + sum((exposed >= b).astype(np.int64) for b in method.population_breaks)
    grade = grade + (vulnerable > 0)
    grade = grade + ((exposed > 0) & (capacity < method.shelter_share * exposed))
    return np.minimum(4, grade).astype(np.int64)


def class_indices(score: np.ndarray, breaks: Mapping[str, float]) -> np.ndarray:
    """Index into :data:`CLASSES` of each score (:func:`risk_class` for arrays).

    >>> class_indices(np.array([16, 12, 9, 4, 3, 0]), {"red": 12, "orange": 8, "yellow": 4})
    array([0, 0, 1, 2, 3, 3])
    """
    return np.select(
        [score >= breaks["red"], score >= breaks["orange"], score >= breaks["yellow"]],
        [0, 1, 2],
        default=3,
    )


def _pairs_dwithin(tree: shapely.STRtree, pts: np.ndarray, distance: float) -> np.ndarray:
    if len(pts) == 0:
        return np.empty((2, 0), dtype=np.intp)
    pairs: np.ndarray = tree.query(pts, predicate="dwithin", distance=distance)
    return pairs


def _first_cell(tree: shapely.STRtree, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's cell (a point on a shared edge goes to one cell only)."""
    if len(pts) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    src, cell = tree.query(pts, predicate="intersects")
    _, first = np.unique(src, return_index=True)
    return src[first], cell[first]


class RiskMapService:
    """Computes the risk map of an area from the hazard sources, targets, shelters, population."""

    def __init__(self, session: Session, method: RiskMethod, max_cells: int) -> None:
        self.session = session
        self.method = method
        self.max_cells = max_cells

    # ---- the area's units ------------------------------------------------------------------
    def grid(self, kind: CellKind, size_m: float, bbox: tuple[float, float, float, float]) -> Grid:
        """Grid cells over ``bbox``."""
        return make_grid(kind, size_m, bbox, self.max_cells)

    def districts(self, bbox: tuple[float, float, float, float] | None) -> tuple[Grid, list[str]]:
        """County-level administrative units (``regions``) as cells; their names."""
        from pyproj import Transformer

        from gis_onemap.hazards.grid import utm_crs

        where = "level = :level"
        params: dict[str, Any] = {"level": UNIT_LEVELS["district"]}
        if bbox is not None:
            where += " AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
            params.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
        rows = self.session.execute(
            text(f"SELECT code, name, ST_AsBinary(geom) FROM regions WHERE {where} ORDER BY code"),
            params,
        ).all()
        if not rows:
            raise InvalidInput("the area is empty: no district boundaries are loaded there")
        geoms = shapely.from_wkb([bytes(r[2]) for r in rows])
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        crs = utm_crs((x0 + x1) / 2, (y0 + y1) / 2)
        to_proj = Transformer.from_crs(4326, crs, always_xy=True)
        to_wgs84 = Transformer.from_crs(crs, 4326, always_xy=True)
        proj = shapely.transform(geoms, lambda xy: np.column_stack(
            to_proj.transform(xy[:, 0], xy[:, 1])
        ))  # fmt: skip
        return Grid(crs, proj, [str(r[0]) for r in rows], to_proj, to_wgs84), [r[1] for r in rows]

    # ---- inputs -----------------------------------------------------------------------------
    def _points(
        self, sql: str, bbox: tuple[float, float, float, float], margin_m: float
    ) -> list[Any]:
        lat = (bbox[1] + bbox[3]) / 2
        dlat = margin_m / 110_574.0
        dlon = margin_m / max(1.0, 111_320.0 * float(np.cos(np.radians(lat))))
        params = {"x0": bbox[0] - dlon, "y0": bbox[1] - dlat, "x1": bbox[2] + dlon,
                  "y1": bbox[3] + dlat}  # fmt: skip
        return list(self.session.execute(text(sql), params).all())

    def compute(self, grid: Grid, names: Sequence[str] | None = None) -> dict[str, Any]:
        """Scores and inputs of every cell of ``grid`` as a GeoJSON FeatureCollection."""
        m = self.method
        n = len(grid.cells)
        wgs = grid.wgs84()
        b = [float(v) for v in shapely.total_bounds(wgs)]
        bbox = (b[0], b[1], b[2], b[3])
        tree = shapely.STRtree(grid.cells)

        def project(rows: list[Any], xi: int = 0) -> np.ndarray:
            if not rows:
                return np.empty(0, dtype=object)
            arr = np.array([(r[xi], r[xi + 1]) for r in rows], dtype=float)
            x, y = grid.to_proj.transform(arr[:, 0], arr[:, 1])
            points: np.ndarray = shapely.points(x, y)
            return points

        reach = max(m.radii.values())
        src_rows = self._points(
            "SELECT ST_X(p), ST_Y(p), id, level, coalesce(monitored, false) FROM"
            " (SELECT id, level, monitored, ST_PointOnSurface(geom) p FROM hazard_sources"
            "  WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) s",
            bbox, reach,
        )  # fmt: skip
        best = np.full(n, 99, dtype=np.int64)
        count = np.zeros(n, dtype=np.int64)
        unmon = np.zeros(n, dtype=np.int64)
        listed: dict[int, list[int]] = {}
        src_pts = project(src_rows)
        levels = np.array([r[3] if r[3] in m.radii else 4 for r in src_rows], dtype=np.int64)
        for level, radius in m.radii.items():
            sel = np.flatnonzero(levels == level)
            if len(sel) == 0:
                continue
            s_idx, c_idx = _pairs_dwithin(tree, src_pts[sel], radius)
            s_idx = sel[s_idx]
            np.minimum.at(best, c_idx, level)
            np.add.at(count, c_idx, 1)
            mon = np.array([not src_rows[i][4] for i in s_idx], dtype=np.int64)
            np.add.at(unmon, c_idx, mon)
            for s, c in zip(s_idx.tolist(), c_idx.tolist(), strict=True):
                listed.setdefault(c, []).append(int(src_rows[s][2]))

        pop = PopulationLayer(self.session)
        residents = np.zeros(n)
        if pop.present:
            prow = pop.points(bbox)
            p_idx, c_idx = _first_cell(tree, project(prow))
            np.add.at(residents, c_idx, [float(prow[i][2] or 0) for i in p_idx])
        t_rows = self._points(
            "SELECT ST_X(p), ST_Y(p), target_type, coalesce(population, 0) FROM"
            " (SELECT target_type, population, ST_PointOnSurface(geom) p FROM protected_targets"
            "  WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) t",
            bbox, 0.0,
        )  # fmt: skip
        targets = np.zeros(n, dtype=np.int64)
        vulnerable = np.zeros(n, dtype=np.int64)
        occupancy = np.zeros(n)
        t_idx, c_idx = _first_cell(tree, project(t_rows))
        np.add.at(targets, c_idx, 1)
        np.add.at(vulnerable, c_idx, [int(t_rows[i][2] in m.vulnerable_types) for i in t_idx])
        np.add.at(occupancy, c_idx, [float(t_rows[i][3]) for i in t_idx])
        exposed = residents if pop.present else occupancy
        sh_rows = self._points(
            "SELECT ST_X(p), ST_Y(p), coalesce(capacity, 0) FROM"
            " (SELECT capacity, ST_PointOnSurface(geom) p FROM shelters"
            "  WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) s",
            bbox, m.shelter_reach_m,
        )  # fmt: skip
        capacity = np.zeros(n)
        s_idx, c_idx = _pairs_dwithin(tree, project(sh_rows), m.shelter_reach_m)
        np.add.at(capacity, c_idx, [float(sh_rows[i][2]) for i in s_idx])

        L = likelihood_grades(best, count, unmon, m.count_step)
        C = consequence_grades(exposed, vulnerable, capacity, m)
        score = L * C
        cls_idx = class_indices(score, m.class_breaks)
        features = []
        counts = {c: int((cls_idx == k).sum()) for k, c in enumerate(CLASSES)}
        # one conversion to Python lists, sliced per cell (per-cell numpy calls are the cost)
        coords = np.round(shapely.get_coordinates(wgs), 7).tolist()
        offsets = np.cumsum([0, *shapely.get_num_coordinates(wgs).tolist()]).tolist()
        single = all(shapely.get_type_id(wgs) == 3) and all(
            shapely.get_num_interior_rings(wgs) == 0
        )
        cols = {
            "L": L.tolist(), "C": C.tolist(), "score": score.tolist(), "cls": cls_idx.tolist(),
            "count": count.tolist(), "best": best.tolist(), "unmon": unmon.tolist(),
            "residents": np.round(residents).astype(np.int64).tolist(),
            "exposed": np.round(exposed).astype(np.int64).tolist(),
            "targets": targets.tolist(), "vulnerable": vulnerable.tolist(),
            "occupancy": np.round(occupancy).astype(np.int64).tolist(),
            "capacity": np.round(capacity).astype(np.int64).tolist(),
        }  # fmt: skip
        exposed_from = "population" if pop.present else "protected_targets"
        for i in range(n):
            cls = CLASSES[cols["cls"][i]]
            colour, zh, en = COLOURS[cls]
            if single:
                geometry: dict[str, Any] = {
                    "type": "Polygon",
                    "coordinates": [coords[offsets[i] : offsets[i + 1]]],
                }
            else:
                geometry = shapely.geometry.mapping(wgs[i])
            c = cols["count"][i]
            props: dict[str, Any] = {
                "cell": grid.ids[i],
                "risk_class": cls, "colour": colour, "class_zh": zh, "class_en": en,
                "score": cols["score"][i], "likelihood": cols["L"][i],
                "consequence": cols["C"][i],
                "inputs": {
                    "hazard_sources": c, "best_level": cols["best"][i] if c else None,
                    "unmonitored_sources": cols["unmon"][i],
                    "source_ids": sorted(listed[i])[:LISTED_SOURCES] if i in listed else [],
                    "residents": cols["residents"][i] if pop.present else None,
                    "exposed": cols["exposed"][i], "exposed_from": exposed_from,
                    "protected_targets": cols["targets"][i],
                    "vulnerable_targets": cols["vulnerable"][i],
                    "target_occupancy": cols["occupancy"][i],
                    "shelter_capacity_in_reach": cols["capacity"][i],
                },
            }  # fmt: skip
            if names is not None:
                props["name"] = names[i]
            features.append({"type": "Feature", "id": grid.ids[i], "geometry": geometry,
                             "properties": props})  # fmt: skip
        return {
            "type": "FeatureCollection",
            "features": features,
            "numberReturned": n,
            "classes": counts,
            "legend": [
                {
                    "class": c,
                    "colour": COLOURS[c][0],
                    "zh": COLOURS[c][1],
                    "en": COLOURS[c][2],
                    "min_score": m.class_breaks.get(c, 0),
                }
                for c in CLASSES
            ],
            "method": m.as_dict(),
            "population_layer": pop.present,
            "notes": []
            if pop.present
            else [
                "population layer not loaded: population unknown; exposure is the occupancy "
                "of the protected targets in each cell"
            ],
        }


def parse_risk_bbox(raw: str | None, session: Session) -> tuple[float, float, float, float]:
    """The bbox asked for, else the extent of the hazard sources and protected targets."""
    from gis_onemap.query.items import check_wgs84_bbox, parse_bbox

    box = parse_bbox(raw)
    if box is None:
        row = session.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(g) e"
                " FROM (SELECT geom g FROM hazard_sources UNION ALL"
                " SELECT geom FROM protected_targets) u) x"
            )
        ).one()
        if row[0] is None:
            raise InvalidInput("the area is empty: no hazard sources or targets; give a bbox")
        box = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    else:
        check_wgs84_bbox(box)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise InvalidInput("the area is empty: bbox needs minlon < maxlon and minlat < maxlat")
    return (box[0], box[1], box[2], box[3])

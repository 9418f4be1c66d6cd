"""The city-wide four-colour risk map at 500 m hexagons (goal: ≈ 50,000 cells under 30 s),
beside its peer: the same map computed the naive way with geopandas.

Builds its own database (``onemap_bench_risk``) with 2,000 hazard sources (levels 1–4, a third
monitored), 20,000 protected targets and 2,000 shelters spread over a square box around
Zhanjiang sized to hold N_CELLS hexagons (default 50,000: ≈ 180 × 180 km). Then, each in a
fresh child process (so each peak RSS, ``ru_maxrss``, belongs to that way alone):

- **service**: ``RiskMapService`` (numpy grid, STRtree joins, vectorised scoring) plus the
  GeoJSON serialisation (orjson);
- **naive** (the peer): the way an analyst would write it in a notebook — one shapely polygon
  per hexagon in a Python loop, ``geopandas.read_postgis`` of the three tables, ``sjoin``
  (``dwithin`` for the hazard reach per level and the shelter reach, ``intersects`` for the
  targets in a cell), pandas ``groupby`` for the per-cell inputs, the scalar scoring functions
  (``likelihood``/``consequence``/``risk_class``) row by row, ``GeoDataFrame.to_json()``.

Both compute the same grid definition (flat-topped hexagons of edge 500 m in the UTM zone, the
bbox projected with ``transform_bounds``) and the same method; the run checks that every cell
gets the same class, L and C in both and prints the ratio of the times and of the memory. Each
child also reports the peak of Python allocations (tracemalloc) of a second run. Last,
``GET /analysis/risk-map`` through the app (TestClient, gzip off) and that process's peak RSS.
The bench database loads no population layer: exposure is the targets' occupancy in both ways
(the naive way reads the layer too when it has rows).

Run: ``.venv/bin/python bench/risk_map.py [N_CELLS] [--reuse]`` (e.g. 8000 on a busy machine;
``ONEMAP_BENCH_RISK_DB`` names another bench database)
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database
from gis_onemap.db.admin import sibling_url
from gis_onemap.hazards.risk import RiskMapService, RiskMethod
from gis_onemap.settings import Settings

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N_CELLS = int(ARGS[0]) if ARGS and "--child" not in sys.argv else 50_000
REUSE = "--reuse" in sys.argv
#: the bench database (another name keeps two runs on one cluster apart)
DB = os.environ.get("ONEMAP_BENCH_RISK_DB", "onemap_bench_risk")
SIZE_M = 500.0
CENTRE = (110.25, 21.0)
GOAL_S = 30.0


def box(n_cells: int = N_CELLS) -> tuple[float, float, float, float]:
    """A lon/lat square around CENTRE holding about ``n_cells`` hexagons of edge SIZE_M."""
    side_m = math.sqrt(n_cells * 1.5 * math.sqrt(3) * SIZE_M**2)
    dlat = side_m / 2 / 110_574.0
    dlon = side_m / 2 / (111_320.0 * math.cos(math.radians(CENTRE[1])))
    return (CENTRE[0] - dlon, CENTRE[1] - dlat, CENTRE[0] + dlon, CENTRE[1] + dlat)


def fill(url: str, b: tuple[float, float, float, float]) -> None:
    pt = (
        f"ST_SetSRID(ST_MakePoint({b[0]} + random() * {b[2] - b[0]}, "
        f"{b[1]} + random() * {b[3] - b[1]}), 4326)"
    )
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("SELECT setseed(0.16)"))
        c.execute(text(
            "INSERT INTO hazard_sources (name, level, monitored, hazard_type, geom) SELECT "
            f"'危险源' || g, 1 + g % 4, g % 3 = 0, 'storage_unit', {pt} "
            "FROM generate_series(1, 2000) g"
        ))  # fmt: skip
        c.execute(text(
            "INSERT INTO protected_targets (name, target_type, population, geom) SELECT "
            "'目标' || g, (ARRAY['school','hospital','residential','nursing_home'])[1 + g % 4], "
            f"g % 3000, {pt} FROM generate_series(1, 20000) g"
        ))  # fmt: skip
        c.execute(text(
            "INSERT INTO shelters (name, shelter_type, capacity, effective_area_m2, geom) SELECT "
            f"'避难场所' || g, 'emergency', 500 + g % 5000, 500 + g % 5000, {pt} "
            "FROM generate_series(1, 2000) g"
        ))  # fmt: skip
    engine.dispose()


# ---- the two ways ----------------------------------------------------------------------------
def run_service(url: str, b: tuple[float, float, float, float]) -> tuple[dict[str, Any], int]:
    """The service's map: {cell: (class, L, C)} and the GeoJSON size."""
    settings = Settings(database_url=url)
    engine = create_engine(make_url(url))
    with Session(engine) as session:
        service = RiskMapService(session, RiskMethod.from_settings(settings), 1_000_000)
        fc = service.compute(service.grid("hex", SIZE_M, b))
        body = orjson.dumps(fc)
    engine.dispose()
    out = {
        f["id"]: (f["properties"]["risk_class"], f["properties"]["likelihood"],
                  f["properties"]["consequence"])
        for f in fc["features"]
    }  # fmt: skip
    return out, len(body)


def run_naive(url: str, b: tuple[float, float, float, float]) -> tuple[dict[str, Any], int]:
    """The same map the plain geopandas way (see the module docstring)."""
    import geopandas as gpd
    import pandas as pd
    from pyproj import Transformer
    from shapely.geometry import Polygon
    from shapely.geometry import box as shapely_box

    from gis_onemap.hazards.risk import consequence, likelihood, risk_class

    method = RiskMethod.from_settings(Settings(database_url=url))
    engine = create_engine(make_url(url))
    utm = gpd.GeoSeries([shapely_box(*b)], crs=4326).estimate_utm_crs()
    x0, y0, x1, y1 = Transformer.from_crs(4326, utm, always_xy=True).transform_bounds(
        *b, densify_pts=21
    )
    clip = shapely_box(x0, y0, x1, y1)
    s = SIZE_M
    dx, dy = 1.5 * s, math.sqrt(3) * s
    corners = [(s * math.cos(math.radians(a)), s * math.sin(math.radians(a)))
               for a in (0, 60, 120, 180, 240, 300)]  # fmt: skip
    ids, polys = [], []
    for i in range(math.floor((x0 - s) / dx), math.ceil((x1 + s) / dx) + 1):
        for j in range(math.floor((y0 - dy) / dy), math.ceil((y1 + dy) / dy) + 1):
            cx, cy = i * dx, j * dy + (i % 2) * dy / 2
            poly = Polygon([(cx + u, cy + v) for u, v in corners])
            if poly.intersects(clip):
                ids.append(f"h{int(s)}:{i}:{j}")
                polys.append(poly)
    cells = gpd.GeoDataFrame({"cell": ids}, geometry=polys, crs=utm)

    def layer(sql: str) -> gpd.GeoDataFrame:
        return gpd.read_postgis(text(sql), engine, geom_col="geom").to_crs(utm)

    src = layer("SELECT level, coalesce(monitored, false) AS monitored,"
                " ST_PointOnSurface(geom) AS geom FROM hazard_sources")  # fmt: skip
    src["level"] = src["level"].where(src["level"].isin(list(method.radii)), 4).astype(int)
    reached = pd.concat([
        gpd.sjoin(cells, src[src["level"] == level], predicate="dwithin", distance=radius)
        for level, radius in method.radii.items()
    ])  # fmt: skip
    per_cell = reached.groupby(level=0).agg(
        best=("level", "min"), count=("level", "size"),
        unmon=("monitored", lambda m: int((~m.astype(bool)).sum())),
    )  # fmt: skip
    tgt = layer("SELECT target_type, coalesce(population, 0) AS population,"
                " ST_PointOnSurface(geom) AS geom FROM protected_targets")  # fmt: skip
    inside = gpd.sjoin(tgt, cells, predicate="intersects").reset_index()
    # a point on a shared edge counts in one cell only (the lower index, as the service does)
    inside = inside.sort_values(["index", "index_right"]).drop_duplicates("index")
    inside["vulnerable"] = inside["target_type"].isin(method.vulnerable_types).astype(int)
    tg = inside.groupby("index_right").agg(
        targets=("vulnerable", "size"), vulnerable=("vulnerable", "sum"),
        occupancy=("population", "sum"),
    )  # fmt: skip
    sh = layer("SELECT coalesce(capacity, 0) AS capacity, ST_PointOnSurface(geom) AS geom"
               " FROM shelters")  # fmt: skip
    cap = gpd.sjoin(cells, sh, predicate="dwithin", distance=method.shelter_reach_m)
    capacity = cap.groupby(level=0)["capacity"].sum()
    cells = cells.join(per_cell).join(tg).join(capacity.rename("capacity"))
    # the population layer counts when loaded (a table with rows), else the targets' occupancy
    with engine.connect() as c:
        loaded = bool(c.execute(text("SELECT to_regclass('population') IS NOT NULL")).scalar())
        loaded = loaded and bool(
            c.execute(text("SELECT EXISTS (SELECT 1 FROM population)")).scalar()
        )
    cells["residents"] = 0.0
    if loaded:
        pop = layer("SELECT coalesce(population_day, population) AS residents,"
                    " ST_PointOnSurface(geom) AS geom FROM population")  # fmt: skip
        hit = gpd.sjoin(pop, cells, predicate="intersects").reset_index()
        hit = hit.sort_values(["index", "index_right"]).drop_duplicates("index")
        cells["residents"] = hit.groupby("index_right")["residents_left"].sum()
    cells = cells.fillna({"count": 0, "unmon": 0, "targets": 0, "vulnerable": 0,
                          "occupancy": 0, "capacity": 0, "residents": 0})  # fmt: skip
    rows = []
    for r in cells.itertuples():
        best = None if r.count == 0 else int(r.best)
        L = likelihood(best, int(r.count), int(r.unmon), method.count_step)
        exposed = float(r.residents) if loaded else float(r.occupancy)
        C = consequence(exposed, int(r.vulnerable), float(r.capacity), method)
        rows.append((risk_class(L * C, method.class_breaks), L, C, L * C))
    cells["risk_class"] = [r[0] for r in rows]
    cells["likelihood"] = [r[1] for r in rows]
    cells["consequence"] = [r[2] for r in rows]
    cells["score"] = [r[3] for r in rows]
    body = cells.to_crs(4326).to_json()
    engine.dispose()
    out = {r.cell: (r.risk_class, r.likelihood, r.consequence) for r in cells.itertuples()}
    return out, len(body)


def child(way: str, url: str, bbox: str, out_path: str) -> None:
    """Run one way twice (timed, then under tracemalloc); its figures as JSON on stdout."""
    b = tuple(float(v) for v in bbox.split(","))
    fn = run_service if way == "service" else run_naive
    t0 = time.perf_counter()
    cells, size = fn(url, b)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()  # a second run: tracing slows Python several times over
    fn(url, b)  # type: ignore[arg-type]
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    Path(out_path).write_bytes(orjson.dumps(cells))
    print(json.dumps({"s": elapsed, "rss_mb": rss, "py_mb": peak, "bytes": size}))


def compare(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> str:
    """How the two maps agree, cell by cell."""
    common = a.keys() & b.keys()
    differ = [c for c in common if a[c] != b[c]]
    text_ = (f"{len(common):,} cells in both, {len(a.keys() - b.keys())} only in the service's, "
             f"{len(b.keys() - a.keys())} only in the naive one; "
             f"class, L and C differ in {len(differ)}")  # fmt: skip
    if differ:
        text_ += " (e.g. " + ", ".join(f"{c}: {a[c]} vs {b[c]}" for c in sorted(differ)[:3]) + ")"
    return text_


def main() -> int:
    settings = Settings()
    url = sibling_url(settings.resolved_database_url(), DB) if REUSE else bench_database(DB)
    b = box()
    if not REUSE:
        fill(url, b)
    results: dict[str, dict[str, Any]] = {}
    maps: dict[str, dict[str, list[Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for way in ("service", "naive"):
            out = Path(tmp) / f"{way}.json"
            proc = subprocess.run(
                [sys.executable, __file__, "--child", way, url, ",".join(map(str, b)), str(out)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[way] = json.loads(proc.stdout.strip().splitlines()[-1])
            maps[way] = orjson.loads(out.read_bytes())
    s, n = results["service"], results["naive"]
    print(
        f"risk map of {len(maps['service']):,} hexagons of {SIZE_M:g} m, each way in its own "
        "process (time of the first run; peak RSS; peak Python allocations of a second run):"
    )
    for way, r in (("service (numpy + STRtree)", s), ("naive (geopandas sjoin)", n)):
        print(
            f"  {way:27s} {r['s']:6.2f} s   RSS {r['rss_mb']:5.0f} MB   "
            f"Python {r['py_mb']:5.0f} MB   GeoJSON {r['bytes'] / 1e6:.0f} MB"
        )
    print(f"  naive / service: time × {n['s'] / s['s']:.1f}, RSS × {n['rss_mb'] / s['rss_mb']:.2f},"
          f" Python allocations × {n['py_mb'] / s['py_mb']:.2f}")  # fmt: skip
    agreement = compare(maps["service"], maps["naive"])
    print(f"  same map? {agreement}")

    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app

    with TestClient(create_app(Settings(database_url=url))) as client:
        t0 = time.perf_counter()
        r = client.get(
            "/analysis/risk-map",
            params={"cell": "hex", "size_m": SIZE_M, "bbox": ",".join(map(str, b))},
            headers={"Accept-Encoding": "identity"},
        )
        http_s = time.perf_counter() - t0
    assert r.status_code == 200, r.text[:300]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"GET /analysis/risk-map: {http_s:.1f} s, {len(r.content) / 1e6:.0f} MB; "
          f"peak RSS of that process {rss:.0f} MB")  # fmt: skip
    verdict = "OK" if max(s["s"], http_s) < GOAL_S else "SLOW"
    print(f"goal: under {GOAL_S:g} s (for ≈ 50,000 cells) → {verdict}")
    return 0 if agreement.endswith("differ in 0") else 1


if __name__ == "__main__":
    if len(sys.argv) > 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
    else:
        sys.exit(main())

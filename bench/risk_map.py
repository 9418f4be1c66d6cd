"""The city-wide four-colour risk map at 500 m hexagons (goal: ≈ 50,000 cells under 30 s).

Builds its own database (``onemap_bench_risk``) with 2,000 hazard sources (levels 1–4, a third
monitored), 20,000 protected targets and 2,000 shelters spread over a square box around
Zhanjiang sized to hold N_CELLS hexagons (default 50,000: ≈ 180 × 180 km), then times
``RiskMapService`` (grid, spatial joins, scoring) plus the GeoJSON serialisation (orjson), and
``GET /analysis/risk-map`` through the app (TestClient, gzip off), and prints the peak Python
memory (tracemalloc) and the process's peak RSS.

Run: ``.venv/bin/python bench/risk_map.py [N_CELLS] [--reuse]``
"""

from __future__ import annotations

import math
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import orjson
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database
from gis_onemap.db.admin import sibling_url
from gis_onemap.hazards.risk import RiskMapService, RiskMethod
from gis_onemap.settings import Settings

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N_CELLS = int(ARGS[0]) if ARGS else 50_000
REUSE = "--reuse" in sys.argv
DB = "onemap_bench_risk"
SIZE_M = 500.0
CENTRE = (110.25, 21.0)
GOAL_S = 30.0


def box() -> tuple[float, float, float, float]:
    """A lon/lat square around CENTRE holding about N_CELLS hexagons of edge SIZE_M."""
    side_m = math.sqrt(N_CELLS * 1.5 * math.sqrt(3) * SIZE_M**2)
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


def main() -> None:
    settings = Settings()
    url = sibling_url(settings.resolved_database_url(), DB) if REUSE else bench_database(DB)
    b = box()
    if not REUSE:
        fill(url, b)
    run_settings = Settings(database_url=url)
    engine = create_engine(make_url(url))

    def run() -> tuple[dict, bytes]:
        with Session(engine) as session:
            service = RiskMapService(session, RiskMethod.from_settings(run_settings), 1_000_000)
            fc = service.compute(service.grid("hex", SIZE_M, b))
        return fc, orjson.dumps(fc)

    t0 = time.perf_counter()
    fc, body = run()
    elapsed = time.perf_counter() - t0
    tracemalloc.start()  # a second run: tracing slows Python several times over
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(fc["features"])
    print(f"risk map: {n:,} hexagons of {SIZE_M:g} m in {elapsed:.1f} s "
          f"({len(body) / 1e6:.0f} MB GeoJSON); classes {fc['classes']}")  # fmt: skip
    print(f"peak Python memory (tracemalloc, second run) {peak / 1e6:.0f} MB")

    from fastapi.testclient import TestClient

    from gis_onemap.api.app import create_app

    with TestClient(create_app(run_settings)) as client:
        t0 = time.perf_counter()
        r = client.get(
            "/analysis/risk-map",
            params={"cell": "hex", "size_m": SIZE_M, "bbox": ",".join(map(str, b))},
            headers={"Accept-Encoding": "identity"},
        )
        http_s = time.perf_counter() - t0
    assert r.status_code == 200, r.text[:300]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"GET /analysis/risk-map: {http_s:.1f} s, {len(r.content) / 1e6:.0f} MB")
    print(f"peak RSS of this process {rss:.0f} MB")
    verdict = "OK" if max(elapsed, http_s) < GOAL_S else "SLOW"
    print(f"goal: under {GOAL_S:g} s (for ≈ 50,000 cells) → {verdict}")
    engine.dispose()


if __name__ == "__main__":
    main()

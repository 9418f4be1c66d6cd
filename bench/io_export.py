"""Export throughput to GeoPackage (goal ≥ 100,000 features/s) and peak memory at 100k vs 1M.

Fills ``onemap_bench_io_export`` with N rescue teams (default 1,000,000) in SQL, then exports
the first 100,000 and all N features to GPKG, each in a fresh child process so that its peak
RSS (``ru_maxrss``) belongs to that export alone. A second pair of runs under ``tracemalloc``
gives the peak of Python allocations. Flat memory = the 1M peak ≈ the 100k peak. The floor is
reading the same rows through the same server-side cursor without writing anything.

Run: ``.venv/bin/python bench/io_export.py [N]``
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--child" else 1_000_000
GOAL = 100_000


def fill(url: str, n: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO rescue_teams (name, team_type, headcount, readiness, region_code,
                                          phone, geom)
                SELECT '救援队' || g || '号',
                       (ARRAY['fire_rescue','medical','flood','mine'])[1 + g % 4],
                       g % 200, 'on_duty', '440803', '1380000' || lpad((g % 10000)::text, 4, '0'),
                       ST_SetSRID(ST_MakePoint(109.5 + random() * 1.5, 20.2 + random() * 1.6),
                                  4326)
                FROM generate_series(1, :n) g
                """
            ),
            {"n": n},
        )
        conn.execute(text("ANALYZE rescue_teams"))
    engine.dispose()


def child(url: str, limit: int, trace: bool) -> None:
    """One export in this process; prints seconds, count and memory figures as JSON."""
    from gis_onemap.categories import get_category
    from gis_onemap.crs import parse_crs
    from gis_onemap.io.export import ExportSpec, export_collection

    engine = create_engine(url)
    if trace:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp, Session(engine) as session:
        out = Path(tmp) / "teams.gpkg"
        t0 = time.perf_counter()
        spec = ExportSpec(crs=parse_crs(None), include_personal=True, limit=limit)
        result = export_collection(session, get_category("rescue_teams"), "gpkg", out, spec)
        seconds = time.perf_counter() - t0
        size = out.stat().st_size
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "count": result.count, "rss_kib": rss,
                      "py_peak": peak, "bytes": size}))  # fmt: skip


def fetch_floor(url: str, limit: int) -> float:
    """Reading the rows (same columns, same server-side cursor) without writing them."""
    from gis_onemap.categories import get_category
    from gis_onemap.crs import parse_crs
    from gis_onemap.db.bulk import stream_chunks
    from gis_onemap.io.export import ExportSpec, _row_columns, _select

    cat = get_category("rescue_teams")
    spec = ExportSpec(crs=parse_crs(None), include_personal=True, limit=limit)
    engine = create_engine(url)
    with Session(engine) as session:
        t0 = time.perf_counter()
        n = sum(
            len(c)
            for c in stream_chunks(
                session, _select(cat, spec, _row_columns(cat, spec), None), 50_000
            )
        )
        seconds = time.perf_counter() - t0
    assert n == limit
    return seconds


def run_child(url: str, limit: int, trace: bool) -> dict:
    args = [sys.executable, __file__, "--child", url, str(limit), "1" if trace else "0"]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    url = bench_database("onemap_bench_io_export")
    t0 = time.perf_counter()
    fill(url, N)
    print(f"filled {N:,} rescue teams in {time.perf_counter() - t0:.1f} s")
    sizes = [min(100_000, N), N]
    print(f"{'export to GPKG':16} {'seconds':>8} {'features/s':>11} {'vs goal':>8} "
          f"{'read floor s':>12} {'peak RSS MiB':>13} {'py peak MiB':>12}")  # fmt: skip
    results = {}
    for size in sizes:
        timing = run_child(url, size, trace=False)
        traced = run_child(url, size, trace=True)
        floor = fetch_floor(url, size)
        assert timing["count"] == size
        rate = size / timing["seconds"]
        results[size] = (timing["rss_kib"] / 1024, traced["py_peak"] / 2**20)
        print(f"{size:>16,} {timing['seconds']:8.2f} {rate:11,.0f} {rate / GOAL:7.2f}x "
              f"{floor:12.2f} {results[size][0]:13.0f} {results[size][1]:12.1f}")  # fmt: skip
    small, big = results[sizes[0]], results[sizes[-1]]
    print(
        f"memory growth {sizes[0]:,} → {sizes[-1]:,} features ({sizes[-1] / sizes[0]:.0f}x the "
        f"data): peak RSS ×{big[0] / small[0]:.2f}, Python peak ×{big[1] / small[1]:.2f}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
    else:
        main()

"""Import throughput: points per second from CSV and GeoPackage (goal ≥ 50,000 points/s).

Generates N rescue teams (7 columns, Chinese names, random points around Zhanjiang) as a CSV
and a GeoPackage, then times the whole ``import_file`` pipeline (read → validate every row →
duplicate search → COPY, committed) into an empty table and, for duplicates against real data,
into a table already holding the first import. The raw-SQL floor is a bare COPY of the same rows
already in memory. Each run is in its own migrated database ``onemap_bench_io``.

Run: ``.venv/bin/python bench/io_import.py [N]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database
from gis_onemap.categories import get_category
from gis_onemap.db.bulk import format_column
from gis_onemap.io.importer import ImportOptions, import_file

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
GOAL = 50_000
TIERS = ["main", "professional", "commando", "auxiliary"]  # rescue_teams.tier (required)


def make_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "名称": [f"救援队{i}号" for i in range(n)],
            "力量类别": rng.choice(TIERS, n),
            "人数": rng.integers(5, 200, n),
            "战备状态": rng.choice(["on_duty", "standby"], n),
            "行政区划代码": rng.choice(["440802", "440803", "440804", "440811"], n),
            "联系电话": [f"1380000{i % 10000:04d}" for i in range(n)],
            "经度": np.round(109.5 + rng.random(n) * 1.5, 7),
            "纬度": np.round(20.2 + rng.random(n) * 1.6, 7),
        }
    )


def run_import(url: str, path: Path) -> tuple[float, int]:
    engine = create_engine(url)
    t0 = time.perf_counter()
    with Session(engine) as session:
        report = import_file(session, get_category("rescue_teams"), path, ImportOptions())
        session.commit()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed, report.imported


def copy_floor(url: str, frame: pd.DataFrame) -> float:
    """COPY of the same rows pre-formatted as COPY text (formatting not timed): the server's
    cost of parsing, checking and indexing the rows, which any importer pays."""
    geoms = shapely.to_wkb(shapely.points(frame["经度"], frame["纬度"]), hex=True)
    cols = ["name", "tier", "headcount", "status", "region_code", "phone", "extra", "geom"]
    kinds = ["text", "text", "int", "text", "text", "text", "json", "raw"]
    data = [frame["名称"].tolist(), frame["力量类别"].tolist(), frame["人数"].tolist(),
            frame["战备状态"].tolist(), frame["行政区划代码"].tolist(), frame["联系电话"].tolist(),
            [{}] * len(frame), geoms.tolist()]  # fmt: skip
    cells = [format_column(k, c) for k, c in zip(kinds, data, strict=True)]
    payload = "".join("\t".join(r) + "\n" for r in zip(*cells, strict=True)).encode()
    engine = create_engine(url)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        t0 = time.perf_counter()
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY rescue_teams ({', '.join(cols)}) FROM STDIN") as cp,
        ):
            cp.write(payload)
        elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE rescue_teams"))
    engine.dispose()


def main() -> None:
    url = bench_database("onemap_bench_io")
    frame = make_frame(N)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "teams.csv"
        frame.to_csv(csv_path, index=False)
        gpkg_path = Path(tmp) / "teams.gpkg"
        gdf = gpd.GeoDataFrame(
            frame.drop(columns=["经度", "纬度"]),
            geometry=gpd.points_from_xy(frame["经度"], frame["纬度"]),
            crs="EPSG:4326",
        )
        gdf.to_file(gpkg_path, driver="GPKG", engine="pyogrio")
        print(f"import benchmark: {N:,} points, rescue_teams (8 columns), goal ≥ {GOAL:,}/s")
        print(f"{'case':44} {'seconds':>8} {'points/s':>10} {'vs goal':>8}")
        floor = copy_floor(url, frame)
        truncate(url)
        print(f"{'raw COPY floor (pre-formatted text)':44} {floor:8.2f} {N / floor:10,.0f} "
              f"{N / floor / GOAL:7.2f}x")  # fmt: skip
        for label, path in (("CSV", csv_path), ("GeoPackage", gpkg_path)):
            secs, imported = run_import(url, path)
            assert imported == N, imported
            rate = N / secs
            print(f"{label + ' → empty table':44} {secs:8.2f} {rate:10,.0f} {rate / GOAL:7.2f}x"
                  f"   ({floor / secs:.2f} of the COPY floor's speed)")  # fmt: skip
            truncate(url)
        run_import(url, csv_path)
        shifted = frame.copy()
        shifted["经度"] += 0.01  # ≈ 1 km away: every row is checked, none is a duplicate
        shifted_path = Path(tmp) / "shifted.csv"
        shifted.to_csv(shifted_path, index=False)
        secs, imported = run_import(url, shifted_path)
        print(f"{'CSV → table of N (duplicate search on N)':44} {secs:8.2f} {N / secs:10,.0f} "
              f"{N / secs / GOAL:7.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()

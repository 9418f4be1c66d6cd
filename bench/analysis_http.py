"""Analysis through HTTP vs the SQL floor: nearest (k=10), within (5 km), surroundings (5 km).

Builds 1,000,000 resources over the 8 tables (generate_series in SQL) in its own database
(``onemap_bench_analysis``), serves the app with uvicorn on 127.0.0.1:8201 in a subprocess, and
for the same random query points times each request through HTTP (httpx, keep-alive) and the
very statement the service runs, executed directly on the same database. Prints p50/p95, the
HTTP/SQL ratio (goal: p50 ≤ 3×), the surroundings p50 (goal ≤ 100 ms), and whether the plans use
the spatial indexes (no Seq Scan).

Run: ``.venv/bin/python bench/analysis_http.py [N_TOTAL] [--reuse]``
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p, serve, timed
from gis_onemap.analysis.inputs import Origin, resolve_categories
from gis_onemap.analysis.proximity import nearest_statement, within_statement
from gis_onemap.analysis.surroundings import SurroundingsService, summary_sql
from gis_onemap.settings import Settings

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N_TOTAL = int(ARGS[0]) if ARGS else 1_000_000
REUSE = "--reuse" in sys.argv
DB = "onemap_bench_analysis"
PORT = 8201
REPEAT = 200
BOX = (109.5, 20.2, 111.0, 21.8)  # the Zhanjiang area, ~155 × 177 km

#: Share of the resources per table (sums to 1).
SHARES = {
    "hazard_sources": 0.10, "protected_targets": 0.20, "rescue_teams": 0.10, "supplies": 0.25,
    "depots": 0.05, "shelters": 0.125, "experts": 0.10, "plans": 0.075,
}  # fmt: skip

_PT = (
    f"ST_SetSRID(ST_MakePoint({BOX[0]} + random() * {BOX[2] - BOX[0]}, "
    f"{BOX[1]} + random() * {BOX[3] - BOX[1]}), 4326)"
)
FILL = {
    "depots": f"INSERT INTO depots (name, depot_level, geom) SELECT '库' || g, 'county', {_PT} "
    "FROM generate_series(1, :n) g",
    "hazard_sources": "INSERT INTO hazard_sources (name, level, hazard_type, geom) "
    f"SELECT '危险源' || g, 1 + g % 4, 'storage_unit', {_PT} FROM generate_series(1, :n) g",
    "protected_targets": "INSERT INTO protected_targets (name, target_type, population, geom) "
    f"SELECT '目标' || g, (ARRAY['school','hospital','residential','nursing_home'])[1 + g % 4], "
    f"g % 3000, {_PT} FROM generate_series(1, :n) g",
    "rescue_teams": "INSERT INTO rescue_teams (name, tier, specialties, headcount, geom) "
    "SELECT '队伍' || g, (ARRAY['main','professional','commando','auxiliary'])[1 + g % 4], "
    "ARRAY[(ARRAY['fire_rescue','medical','flood','hazardous_chemicals'])[1 + g % 4]], "
    f"5 + g % 120, {_PT} FROM generate_series(1, :n) g",
    "supplies": "INSERT INTO supplies (name, item_name, unit, quantity, depot_id, geom) "
    "SELECT '物资' || g, (ARRAY['帐篷','饮用水','棉被','发电机','救生衣'])[1 + g % 5], "
    "(ARRAY['顶','箱','床','台','件'])[1 + g % 5], 1 + g % 500, "
    f"CASE WHEN g % 2 = 0 THEN 1 + g % :depots END, {_PT} FROM generate_series(1, :n) g",
    "shelters": "INSERT INTO shelters (name, shelter_type, capacity, effective_area_m2, geom) "
    f"SELECT '避难所' || g, 'emergency', 100 + g % 5000, 100 + g % 5000, {_PT} "
    "FROM generate_series(1, :n) g",
    "experts": "INSERT INTO experts (name, specialties, geom) "
    f"SELECT '专家' || g, ARRAY[(ARRAY['fire','geology','medical','flood','hazardous_chemicals'])"
    f"[1 + g % 5]], {_PT} FROM generate_series(1, :n) g",
    "plans": "INSERT INTO plans (name, plan_type, event_types, geom) "
    "SELECT '预案' || g, 'special', "
    "ARRAY[(ARRAY['fire','flood','hazardous_chemicals'])[1 + g % 3]], "
    f"CASE WHEN g % 10 = 0 THEN ST_Expand({_PT}, 0.02) ELSE {_PT} END "
    "FROM generate_series(1, :n) g",
}
ORDER = ("depots", "hazard_sources", "protected_targets", "rescue_teams", "supplies", "shelters",
         "experts", "plans")  # fmt: skip


def build(url: str) -> None:
    engine = create_engine(url)
    counts = {c: int(N_TOTAL * SHARES[c]) for c in ORDER}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for c in ORDER:
            t = time.perf_counter()
            conn.execute(text(FILL[c]), {"n": counts[c], "depots": counts["depots"]})
            print(f"  {c:<18} {counts[c]:>9,} rows  {time.perf_counter() - t:6.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"built {sum(counts.values()):,} resources in {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def points(n: int, seed: int = 5) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    m = 0.05  # stay off the edges
    return [
        (rng.uniform(BOX[0] + m, BOX[2] - m), rng.uniform(BOX[1] + m, BOX[3] - m)) for _ in range(n)
    ]


def sql_runner(conn: Any, stmt: Any, params: dict[str, Any], pts: list[tuple[float, float]]) -> Any:
    it = iter(pts * 2)

    def run() -> None:
        lon, lat = next(it)
        conn.execute(stmt, {**params, "origin": Origin(lon, lat).ewkt}).all()

    return run


def http_runner(client: httpx.Client, path: str, params: dict[str, Any], pts: Any) -> Any:
    it = iter(pts * 2)

    def run() -> None:
        lon, lat = next(it)
        r = client.get(path, params={**params, "lon": lon, "lat": lat})
        r.raise_for_status()

    return run


def explain(conn: Any, stmt: Any, values: dict[str, Any], origin: Origin) -> str:
    compiled = stmt.compile(conn)
    params = {**compiled.params, **values, "origin": origin.ewkt}
    plan = conn.exec_driver_sql("EXPLAIN " + str(compiled), params).scalars().all()
    return "\n".join(plan)


def index_verdict(plan: str) -> str:
    seq = "Seq Scan" in plan
    names = sorted(set(re.findall(r"Index Scan (?:using|on) (ix_\w+)", plan)))
    return f"{'SEQ SCAN!' if seq else 'no seq scan'}; indexes: {', '.join(names) or 'none'}"


def row(name: str, http_ms: list[float], sql_ms: list[float] | None) -> None:
    ratio = f"{p(http_ms, 0.5) / p(sql_ms, 0.5):5.2f}×" if sql_ms else "   - "
    sql = f"{p(sql_ms, 0.5):7.2f} {p(sql_ms, 0.95):7.2f}" if sql_ms else "      -       -"
    print(f"{name:<36} {p(http_ms, 0.5):7.2f} {p(http_ms, 0.95):7.2f}   {sql}   {ratio}")


def main() -> None:
    if REUSE:
        url = make_url(Settings().resolved_database_url()).set(database=DB)
        url = url.render_as_string(hide_password=False)
    else:
        url = bench_database(DB)
        print(f"building {N_TOTAL:,} resources in {DB} ...", flush=True)
        build(url)
    all8 = tuple(c.id for c in resolve_categories(None))
    cases = {
        "nearest k=10, all 8 categories": (
            "/analysis/nearest", {"k": 10},
            nearest_statement(all8, False, False, ()), {"k": 10, "max_d": None},
        ),
        "nearest k=10, shelters": (
            "/analysis/nearest", {"k": 10, "category": "shelters"},
            nearest_statement(("shelters",), False, False, ()), {"k": 10, "max_d": None},
        ),
        "within 5 km, shelters": (
            "/analysis/within", {"radius_m": 5000, "category": "shelters"},
            within_statement(("shelters",), False, ()), {"radius": 5000.0, "limit": 10_000},
        ),
        "within 5 km, all 8 categories": (
            "/analysis/within", {"radius_m": 5000},
            within_statement(all8, False, ()), {"radius": 5000.0, "limit": 10_000},
        ),
    }  # fmt: skip
    pts = points(REPEAT)
    engine = create_engine(url)
    with engine.connect() as conn, serve(url, PORT) as base, httpx.Client(base_url=base) as client:
        print("\nplans (EXPLAIN of the statements the service runs):")
        for name, (_, _, stmt, values) in cases.items():
            plan = explain(conn, stmt, values, Origin(*pts[0]))
            print(f"  {name:<34} {index_verdict(plan)}")
        plan = conn.execute(
            text("EXPLAIN " + summary_sql()),
            {"origin": Origin(*pts[0]).ewkt, "radius": 5000.0, "event_types": ["fire"],
             "specialties": ["fire"], "include_unusable": False, "site_radius": 1000.0},
        ).scalars().all()  # fmt: skip
        print(f"  {'surroundings summary SQL':<34} {index_verdict(chr(10).join(plan))}")

        for _ in range(10):
            client.get("/conformance")
        floor = timed(lambda: client.get("/conformance").raise_for_status(), REPEAT)
        print(f"\nHTTP floor (GET /conformance, no database): p50 {p(floor, 0.5):.2f} ms")
        print(f"\n{REPEAT} random points; milliseconds")
        print(f"{'query':<36} {'HTTP p50':>7} {'p95':>7}   {'SQL p50':>7} {'p95':>7}   HTTP/SQL")
        sizes = {}
        for name, (path, params, stmt, values) in cases.items():
            for _ in range(10):  # warm up both paths
                http_runner(client, path, params, pts)()
                sql_runner(conn, stmt, values, pts)()
            sql_ms = timed(sql_runner(conn, stmt, values, pts), REPEAT)
            http_ms = timed(http_runner(client, path, params, pts), REPEAT)
            sizes[name] = len(
                client.get(path, params={**params, "lon": pts[0][0], "lat": pts[0][1]}).json()[
                    "features"
                ]
            )
            row(name, http_ms, sql_ms)

        from sqlalchemy.orm import Session

        session = Session(bind=conn)
        service = SurroundingsService(session)
        it = iter(pts * 2)

        def surroundings_sql() -> None:
            lon, lat = next(it)
            service.surroundings(Origin(lon, lat), 5000.0, "accident", "fire")

        it2 = iter(pts * 2)

        def surroundings_http() -> None:
            lon, lat = next(it2)
            body = {"lon": lon, "lat": lat, "radius_m": 5000, "event_type": "fire"}
            client.post("/analysis/surroundings", json=body).raise_for_status()

        for _ in range(5):
            surroundings_http()
        svc_ms = timed(surroundings_sql, REPEAT // 2)
        http_ms = timed(surroundings_http, REPEAT // 2)
        row("surroundings 8 cats 5 km (service)", http_ms, svc_ms)
        print(f"\nfeatures per response at the first point: {sizes}")
        verdict = "meets" if p(http_ms, 0.5) <= 100 else "MISSES"
        print(f"surroundings HTTP p50 {p(http_ms, 0.5):.1f} ms: {verdict} the 100 ms goal")
    engine.dispose()


if __name__ == "__main__":
    main()

"""Roads at city scale: import rate, ETA of the 10 nearest teams, 30-minute service areas.

Builds its own database (``onemap_bench_roads``) with a synthetic network of ≥ 200,000 edges —
a perturbed 325 × 325 street grid (≈ 120 m blocks, ≈ 39 km across, around Zhanjiang) with a
hierarchy of classes (urban expressways every 25th line, arterials every 8th, secondary streets
every 4th, branch streets between), one-way streets (every 4th line offset by 2, alternating
direction) and 3 % of the branch blocks missing — generated with numpy and loaded with
:func:`gis_onemap.roads.load.load_network`; then 1,000 rescue teams at random points.

Measured (p50/p95 over random incident points), each beside the naive way in the same run:
- ETA of the 10 nearest teams (``RoadService.nearest_by_time``, goal p50 ≤ 150 ms) vs one
  ``pgr_dijkstra`` per team (timed on a sample of teams, scaled to 1,000) and vs networkx with
  the graph built from the database per request;
- a 30-minute service area (``RoadService.service_area``, goal p50 ≤ 500 ms; SciPy's Dijkstra
  over the network held in memory, read by the first call after a load, timed apart) vs
  networkx with the graph built per request (Dijkstra with a cutoff, reached edges buffered
  with shapely);
- the import rate (goal ≥ 50,000 edges/s) and the peak RSS of this process.

Run: ``.venv/bin/python bench/roads.py [GRID_SIZE] [--reuse] [--repeat N]``
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p
from gis_onemap.analysis.inputs import Origin, category_filters
from gis_onemap.categories import get_category
from gis_onemap.db.admin import sibling_url
from gis_onemap.roads.load import RoadFrame, load_network
from gis_onemap.roads.service import RoadService
from gis_onemap.settings import Settings

_cli = argparse.ArgumentParser(description="Roads benchmark (see the module docstring).")
_cli.add_argument("grid", nargs="?", type=int, default=325, help="grid size n (n × n nodes)")
_cli.add_argument("--reuse", action="store_true", help="keep the network already loaded")
_cli.add_argument("--repeat", type=int, default=30, help="incident points per measurement")
_cli.add_argument("--db", default="onemap_bench_roads", help="bench database name (recreated)")
_OPTS = _cli.parse_args()
GRID = _OPTS.grid
REUSE = _OPTS.reuse
REPEAT = _OPTS.repeat
DB = _OPTS.db
TEAMS = 1000
LON0, LAT0 = 110.20, 21.10  # south-west corner (Zhanjiang)
BLOCK_M = 120.0
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * float(np.cos(np.radians(LAT0 + 0.2)))


def line_class(i: int) -> str:
    """The class of grid line ``i``."""
    if i % 25 == 0:
        return "urban_expressway"
    if i % 8 == 0:
        return "arterial"
    if i % 4 == 0:
        return "secondary"
    return "branch"


def synthetic_grid(n: int, seed: int = 14) -> RoadFrame:
    """A perturbed ``n × n`` street grid as a :class:`RoadFrame` (≈ 2 n (n - 1) edges)."""
    rng = np.random.default_rng(seed)
    jj, ii = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # jj: row (y), ii: col (x)
    x_m = ii * BLOCK_M + rng.uniform(-25, 25, size=ii.shape)
    y_m = jj * BLOCK_M + rng.uniform(-25, 25, size=jj.shape)
    lon = LON0 + x_m / M_PER_DEG_LON
    lat = LAT0 + y_m / M_PER_DEG_LAT
    key = jj * n + ii + 1
    us, vs, classes, names, oneway = [], [], [], [], []
    # east-west edges along row j, north-south edges along column i
    for horizontal in (True, False):
        if horizontal:
            a = (jj[:, :-1], ii[:, :-1])
            b = (jj[:, 1:], ii[:, 1:])
            line = jj[:, :-1]
        else:
            a = (jj[:-1, :], ii[:-1, :])
            b = (jj[1:, :], ii[1:, :])
            line = ii[:-1, :]
        ka, kb, ln = key[a].ravel(), key[b].ravel(), line.ravel()
        cls = np.array([line_class(int(k)) for k in range(n)])[ln]
        one = (ln % 4 == 2) & (cls == "branch")
        flip = one & ((ln // 4) % 2 == 1)  # alternate the one-way direction
        u = np.where(flip, kb, ka)
        v = np.where(flip, ka, kb)
        keep = (cls != "branch") | (rng.random(len(u)) >= 0.03) | one
        us.append(u[keep])
        vs.append(v[keep])
        classes.append(cls[keep])
        prefix = "东西路" if horizontal else "南北路"
        names.append(np.array([f"{prefix}{k}" for k in range(n)])[ln][keep])
        oneway.append(one[keep])
    u = np.concatenate(us)
    v = np.concatenate(vs)
    flat_lon, flat_lat = lon.ravel(), lat.ravel()
    coords = np.stack(
        [
            np.stack([flat_lon[u - 1], flat_lat[u - 1]], axis=1),
            np.stack([flat_lon[v - 1], flat_lat[v - 1]], axis=1),
        ],
        axis=1,
    )
    m = len(u)
    return RoadFrame(
        u=u,
        v=v,
        geometry=shapely.linestrings(coords),
        road_class=np.concatenate(classes).tolist(),
        name=np.concatenate(names).tolist(),
        oneway=np.concatenate(oneway),
        bridge=np.zeros(m, dtype=bool),
        tunnel=np.zeros(m, dtype=bool),
        ferry=np.zeros(m, dtype=bool),
        speed_kmh=[None] * m,
        fixed_s=[None] * m,
        osm_id=[None] * m,
    )


def extent(n: int) -> tuple[float, float, float, float]:
    span = (n - 1) * BLOCK_M
    return LON0, LAT0, LON0 + span / M_PER_DEG_LON, LAT0 + span / M_PER_DEG_LAT


def build(url: str) -> dict[str, float]:
    """Generate and load the network and the teams; the timings of each stage."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    frame = synthetic_grid(GRID)
    out["generate_s"] = time.perf_counter() - t0
    out["edges"] = len(frame)
    engine = create_engine(url)
    with Session(engine) as session:
        t0 = time.perf_counter()
        report = load_network(session, frame, f"synthetic grid {GRID}x{GRID}")
        session.commit()
        out["load_s"] = time.perf_counter() - t0
        out["vertices"] = report["vertices"]
        out["pieces"] = report["pieces"]
        xmin, ymin, xmax, ymax = extent(GRID)
        session.execute(
            text(
                "INSERT INTO rescue_teams (name, tier, specialties, status, headcount, geom)"
                " SELECT '队伍' || g, 'professional', ARRAY['fire_rescue'], 'on_duty', 20,"
                " ST_SetSRID(ST_MakePoint(:x0 + random() * :dx,"
                " :y0 + random() * :dy), 4326) FROM generate_series(1, :n) g"
            ),
            {"x0": xmin, "y0": ymin, "dx": xmax - xmin, "dy": ymax - ymin, "n": TEAMS},
        )
        session.commit()
    # steady state, as autovacuum would leave it: hint bits set, statistics current
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE road_edges, road_vertices, rescue_teams"))
    engine.dispose()
    return out


def points(n: int, seed: int) -> list[Origin]:
    """Random incident points in the middle 60 % of the grid."""
    rng = random.Random(seed)
    xmin, ymin, xmax, ymax = extent(GRID)
    dx, dy = xmax - xmin, ymax - ymin
    return [
        Origin(xmin + dx * rng.uniform(0.2, 0.8), ymin + dy * rng.uniform(0.2, 0.8))
        for _ in range(n)
    ]


def timed_each(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def nx_graph(session: Session, reverse: bool = False):  # type: ignore[no-untyped-def]
    """The naive way: the whole network read and turned into a networkx graph."""
    import networkx as nx

    graph = nx.DiGraph()
    rows = session.execute(
        text("SELECT source, target, cost_s, reverse_cost_s FROM road_edges")
    ).all()
    for s, t, c, rc in rows:
        a, b = (t, s) if reverse else (s, t)
        graph.add_edge(a, b, w=c)
        if rc >= 0:
            graph.add_edge(b, a, w=rc)
    return graph


def main() -> None:
    import networkx as nx

    url = sibling_url(Settings().resolved_database_url(), DB) if REUSE else bench_database(DB)
    print(f"database {DB}; grid {GRID}×{GRID}")
    if not REUSE:
        stats = build(url)
        rate = stats["edges"] / stats["load_s"]
        print(
            f"network: {int(stats['edges']):,} edges, {int(stats['vertices']):,} vertices, "
            f"{int(stats['pieces'])} piece(s); generated in {stats['generate_s']:.1f} s"
        )
        print(
            f"import: load_network {stats['load_s']:.1f} s = {rate:,.0f} edges/s "
            f"(goal ≥ 50,000) {'OK' if rate >= 50_000 else 'MISSED'}"
        )
    engine = create_engine(url)
    teams = (get_category("rescue_teams"),)
    filters = category_filters({}, teams)
    origins = points(REPEAT, 7)

    with Session(engine) as session:
        svc = RoadService(session)
        svc.nearest_by_time(origins[0], teams, filters, 10)  # warm caches
        eta = timed_each(lambda o: svc.nearest_by_time(o, teams, filters, 10), origins)
        session.rollback()
        t0 = time.perf_counter()  # the first one reads the network into memory (once per load)
        svc.service_area(origins[0], [30], towards=False)
        first_area_ms = (time.perf_counter() - t0) * 1000
        area = timed_each(lambda o: svc.service_area(o, [30], towards=False), origins[:10])
        session.rollback()

        # naive 1: one pgr_dijkstra (whole network) per team, on a sample of teams
        team_vertices = [
            int(r[0])
            for r in session.execute(
                text(
                    "SELECT v.id FROM rescue_teams t CROSS JOIN LATERAL (SELECT id FROM"
                    " road_vertices ORDER BY geom <-> t.geom LIMIT 1) v ORDER BY t.id"
                )
            )
        ]
        sample = 5
        per_team = []
        for o in origins[:3]:
            target = svc.snap(o).vertex
            for vid in team_vertices[:sample]:
                t0 = time.perf_counter()
                session.execute(
                    text(
                        "SELECT sum(cost) FROM pgr_dijkstra('SELECT id, source, target,"
                        " cost_s AS cost, reverse_cost_s AS reverse_cost FROM road_edges',"
                        " CAST(:a AS bigint), CAST(:b AS bigint), true)"
                    ),
                    {"a": vid, "b": target},
                ).all()
                per_team.append((time.perf_counter() - t0) * 1000)
        naive_pgr = [t * TEAMS for t in per_team]  # one request = one query per team

        # naive 2: networkx with the graph built per request
        naive_nx = []
        naive_nx_area = []
        for o in origins[:3]:
            t0 = time.perf_counter()
            g = nx_graph(session, reverse=True)
            cost = nx.single_source_dijkstra_path_length(g, svc.snap(o).vertex, weight="w")
            sorted((cost.get(v, float("inf")), i) for i, v in enumerate(team_vertices))[:10]
            naive_nx.append((time.perf_counter() - t0) * 1000)
        xy = {
            int(i): (x, y)
            for i, x, y in session.execute(
                text("SELECT id, ST_X(geom), ST_Y(geom) FROM road_vertices")
            )
        }
        for o in origins[:2]:  # ~1 minute each at full size
            t0 = time.perf_counter()
            g = nx_graph(session)
            cost = nx.single_source_dijkstra_path_length(
                g, svc.snap(o).vertex, cutoff=1800.0, weight="w"
            )
            lines = [
                shapely.LineString([xy[a], xy[b]]) for a, b in g.edges() if a in cost and b in cost
            ]
            shapely.union_all(shapely.buffer(np.array(lines), 5 / M_PER_DEG_LAT, quad_segs=2))
            naive_nx_area.append((time.perf_counter() - t0) * 1000)
    engine.dispose()

    def row(name: str, ms: list[float], goal: float | None = None) -> None:
        verdict = ""
        if goal is not None:
            verdict = f" (goal p50 ≤ {goal:.0f} ms) {'OK' if p(ms, 0.5) <= goal else 'MISSED'}"
        print(
            f"{name:<44} p50 {p(ms, 0.5):9.1f} ms  p95 {p(ms, 0.95):9.1f} ms  n={len(ms)}{verdict}"
        )

    print()
    row("ETA to the 10 nearest teams (RoadService)", eta, 150)
    row(f"  naive: pgr_dijkstra per team (×{TEAMS}, est.)", naive_pgr)
    row("  naive: networkx, graph built per request", naive_nx)
    print(
        f"  ratios: pgr-per-team / ours = {p(naive_pgr, 0.5) / p(eta, 0.5):,.0f}×, "
        f"networkx / ours = {p(naive_nx, 0.5) / p(eta, 0.5):,.1f}×"
    )
    row("30-minute service area (RoadService)", area, 500)
    print(f"  (the first after a load, reading the network into memory: {first_area_ms:.0f} ms)")
    row("  naive: networkx + shapely, graph per request", naive_nx_area)
    print(f"  ratio: networkx / ours = {p(naive_nx_area, 0.5) / p(area, 0.5):,.1f}×")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {rss:,.0f} MB (PostgreSQL backends not included)")


if __name__ == "__main__":
    main()

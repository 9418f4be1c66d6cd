"""Where the time of a small read goes: nearest k=10 on one category, stage by stage.

Uses the database of ``bench/analysis_http.py`` (``onemap_bench_analysis``; run that first, any
size). For the same random points it times, in milliseconds (p50 over ``REPEAT`` requests):

1. ``sql``: the statement the service runs, on an open connection (the floor);
2. ``sql + request transaction``: the same statement as a request runs it: a fresh read-only
   session with the caller's database context (``BEGIN READ ONLY``, the ``set_config`` of
   ``auth/dbcontext.py``, the query, ``ROLLBACK``): the round trips a request adds;
3. ``service in-process``: that plus building the hits and the orjson body, no HTTP;
4. ``HTTP``: the full app under uvicorn (one worker, as ``onemap serve``), then the same app
   with each of the 4 pure-ASGI middlewares removed, and with all of them removed;

and, for every HTTP variant, the server process's CPU time per request (utime + stime from
``/proc``), which unlike wall time does not depend on what else the machine is doing.
The machine is shared, so every variant is measured in ``ROUNDS`` interleaved rounds and the
best round's p50 is kept.

Run: ``.venv/bin/python bench/overhead.py`` (after ``bench/analysis_http.py [N] ``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent

PORT = 8203
REPEAT = 300
ROUNDS = 3
PATH = "/analysis/nearest"
PARAMS = {"k": 10, "category": "shelters"}
MIDDLEWARES = ("QueryTokenGuard", "SecurityMiddleware", "BodySizeLimit", "GZipMiddleware")
TCK = os.sysconf("SC_CLK_TCK")


def make_app() -> Any:
    """``create_app()`` without the middlewares named in ``OVERHEAD_DROP`` (comma-separated)."""
    from gis_onemap.api.app import create_app

    drop = set(filter(None, os.environ.get("OVERHEAD_DROP", "").split(",")))
    app = create_app()
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in drop]
    return app


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def p50(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Any, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def http_variant(url: str, drop: str, pts: list[tuple[float, float]]) -> tuple[float, float]:
    """(p50 ms, server CPU ms per request) of the nearest request on the app minus ``drop``."""
    # BENCH_SERVER_ROOT: serve another checkout's gis_onemap (e.g. `git archive` of an older
    # commit) for before/after figures in the same conditions
    root = os.environ.get("BENCH_SERVER_ROOT", str(ROOT))
    env = dict(os.environ, ONEMAP_DATABASE_URL=url, OVERHEAD_DROP=drop)
    env["PYTHONPATH"] = f"{root}:{ROOT}"
    cmd = [
        sys.executable, "-m", "uvicorn", "bench.overhead:make_app", "--factory",
        "--host", "127.0.0.1", "--port", str(PORT), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}") as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

            def get(i: int) -> None:
                lon, lat = pts[i % len(pts)]
                client.get(PATH, params={**PARAMS, "lon": lon, "lat": lat}).raise_for_status()

            timed(get, 30)  # warm up: pool connections, caches
            c0 = cpu_seconds(proc.pid)
            ms = timed(get, REPEAT)
            cpu = (cpu_seconds(proc.pid) - c0) / REPEAT * 1000
        return p50(ms), cpu
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    # imported here: the server subprocess imports this module for make_app only
    import orjson
    from sqlalchemy import make_url, text

    sys.path.insert(0, str(ROOT))
    from bench.analysis_http import DB, points
    from gis_onemap.analysis.inputs import Origin, category_filters, resolve_categories
    from gis_onemap.analysis.proximity import ProximityService, nearest_statement
    from gis_onemap.auth.dbcontext import apply_principal
    from gis_onemap.auth.principal import ANONYMOUS
    from gis_onemap.db.engine import make_engine, make_read_session_factory
    from gis_onemap.settings import Settings

    url = make_url(Settings().resolved_database_url()).set(database=DB)
    url_s = url.render_as_string(hide_password=False)
    pts = points(REPEAT)
    shelters = resolve_categories(["shelters"])
    stmt = nearest_statement(("shelters",), False, False, ())
    settings = Settings(database_url=url_s)
    engine = make_engine(settings)
    factory = make_read_session_factory(engine)
    filters = category_filters({}, shelters)

    def sql(i: int, conn: Any) -> None:
        lon, lat = pts[i % len(pts)]
        conn.execute(stmt, {"origin": Origin(lon, lat).ewkt, "k": 10, "max_d": None}).all()

    def request_tx(i: int) -> None:
        session = factory()
        try:
            apply_principal(session, ANONYMOUS, settings.region_read_scope)
            lon, lat = pts[i % len(pts)]
            session.execute(stmt, {"origin": Origin(lon, lat).ewkt, "k": 10, "max_d": None}).all()
        finally:
            session.close()

    def service(i: int) -> None:
        session = factory()
        try:
            apply_principal(session, ANONYMOUS, settings.region_read_scope)
            lon, lat = pts[i % len(pts)]
            hits = ProximityService(session).nearest(Origin(lon, lat), shelters, filters, 10)
            orjson.dumps(hits.collection())
        finally:
            session.close()

    variants = {"full app": ""}
    variants |= {f"without {m}": m for m in MIDDLEWARES}
    variants["without all 4 middlewares"] = ",".join(MIDDLEWARES)
    results: dict[str, list[tuple[float, float]]] = {}
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        for name in ("sql", "sql + request transaction", "service in-process"):
            results[name] = []
        for _ in range(ROUNDS):
            timed(lambda i: sql(i, conn), 20)
            results["sql"].append((p50(timed(lambda i: sql(i, conn), REPEAT)), 0.0))
            results["sql + request transaction"].append((p50(timed(request_tx, REPEAT)), 0.0))
            results["service in-process"].append((p50(timed(service, REPEAT)), 0.0))
            for name, drop in variants.items():
                results.setdefault(name, []).append(http_variant(url_s, drop, pts))
    engine.dispose()
    floor = min(r[0] for r in results["sql"])
    print(f"nearest k=10, category=shelters; p50 of {REPEAT} requests, best of {ROUNDS} rounds")
    print(f"{'stage':<38} {'p50 ms':>7} {'× sql':>6} {'server CPU ms/req':>18}")
    for name, runs in results.items():
        best = min(runs, key=lambda r: r[0])
        cpu = f"{min(r[1] for r in runs):18.2f}" if best[1] else " " * 18
        print(f"{name:<38} {best[0]:7.2f} {best[0] / floor:6.2f} {cpu}")


if __name__ == "__main__":
    main()

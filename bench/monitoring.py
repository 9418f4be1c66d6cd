"""Monitoring ingest: 1,000 sensors × 1 reading/s through ``POST /monitoring/readings``.

Ten gateway threads each own 100 sensors and post one batch per second (what a plant's data
gateway does); every 5 s one sensor crosses its red threshold and falls back the next second.
Printed: per-batch latency p50/p95/p99 (goal p99 ≤ 50 ms), the time from sending a crossing
reading until ``GET /warnings`` lists the warning (goal ≤ 1 s; polled every 100 ms, so the
figure includes up to 100 ms of polling), the same batch inserted by bare SQL (the peer: no HTTP,
no checks, no warnings) and one-reading-per-request posting (the naive way) as ratios, the
server's peak RSS, and the bytes per stored reading extrapolated to a year of 1-minute readings
from 1,000 sensors.

Gateways are independent devices whose clocks are not aligned to the millisecond, so by default
gateway g posts at g/10 s into each second (``spread``); ``--aligned`` makes all ten post at the
same instant every second (the worst case: ten batches queue behind each other). ``--workers N``
serves with N uvicorn processes (``onemap serve --workers``).

Run: ``.venv/bin/python bench/monitoring.py [SECONDS] [--aligned] [--workers N]`` (default 300
s, spread, one worker; database ``onemap_bench_monitoring``; port 8214).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psutil
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p
from gis_onemap.auth.tokens import new_token, token_hash

SENSORS = 1000
GATEWAYS = 10
PORT = 8214
WARMUP = 3  # seconds of posting before the timed run (not counted)


def _setup(url: str) -> str:
    engine = create_engine(url)
    token = new_token()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO api_tokens (name, token_hash, role) VALUES ('feed', :h, 'editor')"),
            {"h": token_hash(token)},
        )
        hazards = (
            conn.execute(
                text(
                    "INSERT INTO hazard_sources (name, region_code, hazard_type, geom) "
                    "SELECT 'bench ' || g, '440803', 'storage_unit', "
                    "ST_SetSRID(ST_MakePoint(110.3 + g * 0.001, 21.2), 4326) "
                    "FROM generate_series(1, 100) g RETURNING id"
                )
            )
            .scalars()
            .all()
        )
        conn.execute(
            text(
                "INSERT INTO monitoring_points (code, name, hazard_source_id, sensor_type, unit,"
                " thresholds, interval_s, region_code) "
                "SELECT 'S' || g, 'sensor ' || g, (CAST(:h AS bigint[]))[1 + g % 100],"
                " 'combustible_gas', '%LEL', '{\"yellow\": 20, \"red\": 50}', 1, '440803' "
                "FROM generate_series(0, :n - 1) g"
            ),
            {"h": list(hazards), "n": SENSORS},
        )
    engine.dispose()
    return token


def _serve(url: str, workers: int = 1) -> subprocess.Popen[bytes]:
    env = dict(os.environ, ONEMAP_DATABASE_URL=url)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gis_onemap.cli.main",
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not start")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(seconds: int, aligned: bool = False, workers: int = 1) -> None:
    url = bench_database("onemap_bench_monitoring")
    token = _setup(url)
    headers = {"Authorization": f"Bearer {token}"}
    proc = _serve(url, workers)
    base = f"http://127.0.0.1:{PORT}"
    latencies: list[float] = []
    worst: list[tuple[float, int, int]] = []
    crossings: dict[str, float] = {}  # sensor code → monotonic time the crossing was sent
    seen: dict[str, float] = {}
    lock = threading.Lock()
    stop = threading.Event()
    start = time.monotonic() + WARMUP

    def gateway(g: int) -> None:
        codes = [f"S{i}" for i in range(g, SENSORS, GATEWAYS)]
        rnd = random.Random(g)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for second in range(-WARMUP, seconds):
                wake = start + second + (0 if aligned else g / GATEWAYS)
                hot = f"S{(second // 5) % SENSORS}" if second >= 0 and second % 5 == 0 else None
                # the body is built before the wake-up: a gateway is its own device, so its JSON
                # encoding must not queue behind the other gateways' on this process's GIL
                observed = datetime.fromtimestamp(
                    time.time() + max(0.0, wake - time.monotonic()), UTC
                )
                readings = []
                for code in codes:
                    value = 5 + rnd.random() * 10
                    if code == hot:
                        value = 95.0
                    readings.append(
                        {"point": code, "observed_at": observed.isoformat(), "value": value}
                    )
                body = orjson.dumps({"readings": readings})
                if (delay := wake - time.monotonic()) > 0:
                    time.sleep(delay)
                sent = time.monotonic()
                t0 = time.perf_counter()
                r = client.post(
                    "/monitoring/readings",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                ms = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, r.text
                if second < 0:
                    continue  # warm-up: the first requests build FastAPI's route state
                with lock:
                    latencies.append(ms)
                    worst.append((ms, second, g))
                    if hot in codes:
                        crossings[hot] = sent

    def poller() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            while not stop.is_set():
                for f in client.get("/warnings", params={"active": "false", "limit": 50}).json()[
                    "features"
                ]:
                    code = f["properties"]["point"]
                    with lock:
                        if code in crossings and code not in seen:
                            seen[code] = time.monotonic()
                time.sleep(0.1)

    threads = [threading.Thread(target=gateway, args=(g,)) for g in range(GATEWAYS)]
    watcher = threading.Thread(target=poller)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.5)
    stop.set()
    watcher.join()

    # the naive way: one reading per request, 1,000 readings
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        t0 = time.perf_counter()
        now = datetime.now(UTC) + timedelta(seconds=1)
        for i in range(SENSORS):
            r = client.post(
                "/monitoring/readings",
                json={
                    "readings": [{"point": f"S{i}", "observed_at": now.isoformat(), "value": 1.0}]
                },
            )
            assert r.status_code == 200
        naive_s = time.perf_counter() - t0
    rss = _peak_rss_mb(proc.pid) + sum(
        _peak_rss_mb(c.pid) for c in psutil.Process(proc.pid).children(recursive=True)
    )
    proc.terminate()
    proc.wait(timeout=20)

    # the peer: the same 100-reading batch by bare SQL (superuser, no checks, no warning logic)
    engine = create_engine(url)
    bare: list[float] = []
    with engine.connect() as conn:
        ids = list(
            conn.execute(text("SELECT id FROM monitoring_points ORDER BY id LIMIT 100")).scalars()
        )
        conn.commit()
        for k in range(200):
            t = datetime.now(UTC) + timedelta(seconds=10 + k)
            t0 = time.perf_counter()
            with conn.begin():
                conn.execute(
                    text(
                        "INSERT INTO monitoring_readings (observed_at, point_id, value) "
                        "SELECT :t, unnest(CAST(:p AS int[])), 1.0 ON CONFLICT DO NOTHING"
                    ),
                    {"t": t, "p": ids},
                )
            bare.append((time.perf_counter() - t0) * 1000)
        rows = conn.execute(text("SELECT count(*) FROM monitoring_readings")).scalar_one()
        size = conn.execute(
            text(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                "WHERE inhparent = 'monitoring_readings'::regclass"
            )
        ).scalar_one()
    engine.dispose()

    waits = [seen[c] - crossings[c] for c in crossings if c in seen]
    missed = len(crossings) - len(waits)
    size = float(size)
    per_row = size / rows
    year_gb = per_row * SENSORS * 525_600 / 1e9
    print(
        f"monitoring ingest: {SENSORS} sensors x 1/s for {seconds} s, {GATEWAYS} gateways, "
        f"{len(latencies)} batches of {SENSORS // GATEWAYS}, "
        f"{'aligned (all at once)' if aligned else 'spread over each second'}, "
        f"{workers} server process(es)"
    )
    print(
        f"  batch latency ms: p50 {p(latencies, 0.5):.1f}  p95 {p(latencies, 0.95):.1f}  "
        f"p99 {p(latencies, 0.99):.1f}  (goal p99 <= 50)"
    )
    print(
        f"  bare SQL insert of the same batch ms: p50 {p(bare, 0.5):.1f}  p99 {p(bare, 0.99):.1f}"
        f"  -> HTTP/SQL p50 ratio {p(latencies, 0.5) / p(bare, 0.5):.1f}x"
    )
    if waits:
        print(
            f"  crossing -> listed in GET /warnings s: p50 {p(waits, 0.5):.2f}  "
            f"max {max(waits):.2f}  ({len(waits)} crossings, {missed} not seen; goal <= 1 s)"
        )
    naive_ms = naive_s * 1000 / SENSORS
    batch_ms = p(latencies, 0.5) / (SENSORS // GATEWAYS)
    print(
        f"  per reading: naive one-per-request {naive_ms:.2f} ms vs batched {batch_ms:.3f} ms "
        f"({naive_ms / batch_ms:.0f}x)"
    )
    print("  slowest batches (ms, second, gateway):", sorted(worst, reverse=True)[:8])
    print(f"  server peak RSS {rss:.0f} MB (all its processes)")
    print(
        f"  storage: {rows} readings in {size / 1e6:.1f} MB = {per_row:.0f} B/reading (with the "
        f"primary key) -> 1 year of 1-minute readings from {SENSORS} sensors ~ {year_gb:.0f} GB"
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seconds", nargs="?", type=int, default=300)
    parser.add_argument("--aligned", action="store_true", help="all gateways post at once")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()
    main(args.seconds, aligned=args.aligned, workers=args.workers)

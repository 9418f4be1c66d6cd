"""Live events at scale (issue 17): N concurrent SSE clients on one incident, each update
committed by another connection; how long until every client has it (p50/p99/max) and the
server's peak memory.

Builds ``onemap_bench_live``, serves the app with uvicorn in a subprocess (one process, as
``onemap serve``), opens N streams (httpx, one connection each) with a viewer token, then
publishes ROUNDS events through ``gis_onemap.live.events.publish`` on its own connection and
times, for every client, COMMIT → event parsed. Goal: p99 ≤ 2 s with 500 clients. Memory is the
server process's resident set, sampled every 50 ms (peak) and its kernel high-water mark.

Run: ``.venv/bin/python bench/live.py [CLIENTS] [ROUNDS]`` (default 500 clients, 10 rounds;
``bench/live.py 50 3`` for a quick look).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, pool, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.live.events import publish

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
CLIENTS = int(ARGS[0]) if ARGS else 500
ROUNDS = int(ARGS[1]) if len(ARGS) > 1 else 10
DB = "onemap_bench_live"
PORT = 8217


def _setup() -> tuple[str, str, int]:
    url = bench_database(DB)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        token = create_token(conn, "bench-live-viewer", Role.viewer)
        incident = conn.execute(
            text(
                "INSERT INTO incidents (event_category, event_type, severity, geom) VALUES "
                "('accident', 'fire', 'III', ST_SetSRID(ST_MakePoint(110.36, 21.27), 4326)) "
                "RETURNING id"
            )
        ).scalar_one()
    engine.dispose()
    return url, token, int(incident)


class MemoryWatch(threading.Thread):
    """Peak resident memory of a process, sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.05)

    def high_water_mark(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None


async def _client(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], ready: asyncio.Event,
    opened: list[int], got: dict[int, list[float]],
) -> None:  # fmt: skip
    async with http.stream("GET", url, headers=headers) as resp:
        resp.raise_for_status()
        event = ""
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "ready":
                    opened.append(1)
                    if len(opened) == CLIENTS:
                        ready.set()
                elif event == "bench.tick":
                    n = json.loads(line[6:])["payload"]["n"]
                    got.setdefault(n, []).append(time.perf_counter())


async def _run(base: str, db_url: str, token: str, incident: int) -> dict[str, object]:
    url = f"{base}/live/events?incident={incident}"
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=0)
    opened: list[int] = []
    got: dict[int, list[float]] = {}
    ready = asyncio.Event()
    engine = create_engine(db_url, poolclass=pool.NullPool)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), limits=limits) as http:
        t_open = time.perf_counter()
        tasks = [
            asyncio.create_task(_client(http, url, headers, ready, opened, got))
            for _ in range(CLIENTS)
        ]
        await asyncio.wait_for(ready.wait(), 120)
        open_s = time.perf_counter() - t_open
        sent: dict[int, float] = {}
        for n in range(ROUNDS):

            def commit(n: int = n) -> float:
                with Session(engine) as session:
                    publish(session, incident_id=incident, kind="bench.tick", payload={"n": n})
                    session.commit()
                return time.perf_counter()  # the moment the COMMIT returned

            sent[n] = await asyncio.to_thread(commit)
            deadline = time.perf_counter() + 10
            while len(got.get(n, [])) < CLIENTS and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    engine.dispose()
    latencies = [(t - sent[n]) * 1000 for n, ts in got.items() for t in ts]
    missing = CLIENTS * ROUNDS - len(latencies)
    return {"open_s": open_s, "latencies": latencies, "missing": missing}


def main() -> None:
    db_url, token, incident = _setup()
    env = dict(os.environ, ONEMAP_DATABASE_URL=db_url, ONEMAP_LIVE_MAX_CLIENTS=str(CLIENTS + 100))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gis_onemap.api.app:create_app",
         "--host", "127.0.0.1", "--port", str(PORT), "--log-level", "warning",
         "--timeout-graceful-shutdown", "3"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        watch = MemoryWatch(proc.pid)
        idle_rss = watch.proc.memory_info().rss
        watch.start()
        result = asyncio.run(_run(base, db_url, token, incident))
        watch.stop.set()
        watch.join()
        lat = result["latencies"]
        assert isinstance(lat, list)
        print(f"live events: {CLIENTS} SSE clients × {ROUNDS} updates "
              f"(all open in {result['open_s']:.1f} s)")  # fmt: skip
        if lat:
            print(f"  COMMIT → received: p50 {p(lat, 0.5):.0f} ms, p99 {p(lat, 0.99):.0f} ms, "
                  f"max {max(lat):.0f} ms; missing {result['missing']}")  # fmt: skip
            met = p(lat, 0.99) <= 2000 and not result["missing"]
            print(f"  goal p99 ≤ 2000 ms: {'met' if met else 'NOT met'}")
        hwm = watch.high_water_mark()
        hwm_mib = hwm / 2**20 if hwm else float("nan")
        print(f"  server memory: idle {idle_rss / 2**20:.0f} MiB, peak sampled "
              f"{watch.peak / 2**20:.0f} MiB, VmHWM {hwm_mib:.0f} MiB")  # fmt: skip
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()

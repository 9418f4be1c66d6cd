"""Vector tiles: gis_onemap vs tipg on the same 1,000,000-point table; cold and warm tiles/s.

One database (``onemap_bench_tiles``, migrated) holds N points in ``rescue_teams`` (made once
with generate_series; reused when the count matches). tipg (uvicorn, 127.0.0.1:8302) and
gis_onemap (uvicorn on the ``create_app`` factory as ``onemap serve`` runs it, 127.0.0.1:8301;
both without access logs) reach it over TCP, one worker each, and get the same list of ~350
different tiles at z10–z14 over the data's extent, from the same asyncio client (4 keep-alive
connections, ``Accept-Encoding: gzip``), asking both for the same properties.

- tipg: no tile cache; its best of 2 timed passes, after one untimed pass to warm PostgreSQL.
- gis_onemap cold: a freshly started server process (empty in-memory cache, no disk cache),
  first given 81 *other* tiles untimed (so its pooled connections are open, as tipg's are),
  then each tile of the list once: every request renders from PostgreSQL; best of 2 restarts.
- gis_onemap warm: the same list 5 times over on that process (every request a cache hit; each
  still waits for a data-version query sent after it arrived, shared by the requests that
  arrive together, so edits show at once).

Goals (issue 6): cold ≥ 2× tipg; warm ≥ 20× our cold rate. It also prints the largest tile
(decoded MVT bytes) at every zoom 0–14 over the extent (goal < 500 KB).

Run: ``.venv/bin/python bench/tiles/bench_tiles.py [N]`` (needs ``pip install tipg``).
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, pool, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.common import bench_database  # noqa: E402
from gis_onemap.settings import Settings  # noqa: E402
from gis_onemap.tiles.grid import tiles_covering  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
DB = "onemap_bench_tiles"
OURS_PORT, TIPG_PORT = 8301, 8302
CONNECTIONS = 4  # concurrent keep-alive client connections
WARM_PASSES = 5  # the warm timing fetches the list 5 times over (1,750 requests)
PROPS = "name,tier,specialties,headcount,status"  # = the rescue_teams tile fields (+ id)
OURS_TILES = "/collections/rescue_teams/tiles/WebMercatorQuad"
BBOX = (109.6, 20.2, 110.9, 21.9)  # Zhanjiang-sized area, like the demo city

FILL_SQL = """
INSERT INTO rescue_teams (name, tier, specialties, headcount, status, geom)
SELECT '救援队 ' || g,
       (ARRAY['main', 'professional', 'commando', 'auxiliary'])[1 + g % 4],
       ARRAY[(ARRAY['fire_rescue', 'forest_fire', 'flood', 'medical', 'mine', 'maritime',
                    'communications', 'other'])[1 + g % 8]],
       5 + g % 200,
       (ARRAY['on_duty', 'standby', 'deployed', 'unavailable'])[1 + g % 4],
       ST_SetSRID(ST_MakePoint(:w + random() * (:e - :w), :s + random() * (:n - :s)), 4326)
FROM generate_series(1, :count) g
"""


def database() -> str:
    """The bench database with N points (reused when it already holds exactly N)."""
    base = make_url(Settings().resolved_database_url()).set(database=DB)
    url = base.render_as_string(hide_password=False)
    try:
        eng = create_engine(url, poolclass=pool.NullPool)
        with eng.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM rescue_teams")).scalar_one()
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        eng.dispose()
    except Exception:
        count, head = -1, None
    from alembic.script import ScriptDirectory

    from gis_onemap.db.migrate import alembic_config

    current = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if count == N and head == current:
        print(f"reusing {DB}: {count:,} points in rescue_teams (migrated to {head})")
        return url
    url = bench_database(DB)
    eng = create_engine(url, poolclass=pool.NullPool)
    t0 = time.perf_counter()
    with eng.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        w, s, e, n = BBOX
        conn.execute(text(FILL_SQL), {"w": w, "s": s, "e": e, "n": n, "count": N})
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE rescue_teams"))
    eng.dispose()
    print(f"made {DB}: {N:,} points in {time.perf_counter() - t0:.0f} s")
    return url


def tile_list(total: int = 350, seed: int = 20261125) -> list[tuple[int, int, int]]:
    """``total`` different tiles z10–z14 over the extent: all of z10 (few), the rest evenly."""
    rng = random.Random(seed)
    chosen: list[tuple[int, int, int]] = []
    remaining = total
    for z in range(10, 15):
        tiles = [(t.z, t.x, t.y) for t in tiles_covering(BBOX, (z, z))]
        rng.shuffle(tiles)
        take = tiles[: remaining // (15 - z)]
        chosen += take
        remaining -= len(take)
    return chosen


def warmup_list(exclude: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """80 tiles z12–z14 that are not in the measured list (to warm connections, not caches)."""
    taken = set(exclude)
    rng = random.Random(99)
    out = []
    for z in (12, 13, 14):
        tiles = [
            (t.z, t.x, t.y) for t in tiles_covering(BBOX, (z, z)) if (t.z, t.x, t.y) not in taken
        ]
        out += rng.sample(tiles, min(len(tiles), 27))
    return out


def _wait(port: int, path: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} did not start")


@contextmanager
def server(
    cmd: Sequence[str], env: dict[str, str], port: int, ready: str, cwd: Path = ROOT
) -> Iterator[int]:
    proc = subprocess.Popen(
        list(cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd
    )
    try:
        _wait(port, ready, proc)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def ours(tcp_url: str) -> AbstractContextManager[int]:
    env = dict(os.environ, ONEMAP_DATABASE_URL=tcp_url)
    env.pop("ONEMAP_TILE_CACHE_DIR", None)  # memory cache only: a restart is a cold cache
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "gis_onemap.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(OURS_PORT),
        "--log-level",
        "warning",
    ]  # fmt: skip  (as `onemap serve`, without the per-request access log, like tipg here)
    # BENCH_SERVER_ROOT: serve another checkout's code (e.g. `git archive` of an older commit)
    # against the same database, for before/after figures measured in the same conditions
    root = Path(os.environ.get("BENCH_SERVER_ROOT", ROOT))
    env["PYTHONPATH"] = str(root)
    return server(cmd, env, OURS_PORT, "/healthz", root)


def tipg(tipg_url: str) -> AbstractContextManager[int]:
    env = dict(
        os.environ,
        DATABASE_URL=tipg_url,
        TIPG_DB_SCHEMAS='["public"]',
        TIPG_DB_TABLES='["public.rescue_teams"]',
        TIPG_DB_SPATIAL_EXTENT="false",
        TIPG_DB_DATETIME_EXTENT="false",
    )
    cmd = [
        sys.executable, "-m", "uvicorn", "tipg.main:app",
        "--host", "127.0.0.1", "--port", str(TIPG_PORT), "--log-level", "warning",
    ]  # fmt: skip
    return server(cmd, env, TIPG_PORT, "/healthz")


async def _get_all(
    port: int, paths: Sequence[str], keep: bool
) -> tuple[dict[str, bytes], dict[int, int]]:
    """A minimal HTTP/1.1 keep-alive client on asyncio: CONNECTIONS connections share the list.

    Hand-written for the benchmark: a threaded Python client is bound by the GIL and, on the
    2 cores it shares with the servers, measures itself more than the server.
    """
    bodies: dict[str, bytes] = {}
    statuses: dict[int, int] = {}
    todo = iter(paths)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path in todo:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n".encode()
            )
            status = int((await reader.readline()).split()[1])
            headers = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("transfer-encoding") == "chunked":
                body = b""
                while size := int((await reader.readline()).strip(), 16):
                    body += await reader.readexactly(size)
                    await reader.readline()
                await reader.readline()
            else:
                body = await reader.readexactly(int(headers.get("content-length", 0)))
            statuses[status] = statuses.get(status, 0) + 1
            if keep:
                gz = headers.get("content-encoding") == "gzip"
                bodies[path] = gzip.decompress(body) if gz else body
        writer.close()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return bodies, statuses


TCK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """utime + stime of a live process (seconds); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TCK


class CpuProbe:
    """CPU seconds spent by a server process and by the PostgreSQL backends connected to the
    bench database (read from /proc, so unlike wall time it does not depend on what else the
    shared machine runs). Parallel query workers are short-lived and not counted: that can
    only flatter tipg (it runs with parallel plans; gis_onemap's tile pool turns them off)."""

    def __init__(self, url: str, server_pid: int) -> None:
        self.engine = create_engine(url, poolclass=pool.NullPool)
        self.server_pid = server_pid

    def _backends(self) -> dict[int, float]:
        with self.engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return {pid: _cpu(pid) for pid in pids}

    def snapshot(self) -> tuple[float, dict[int, float]]:
        return _cpu(self.server_pid), self._backends()

    def since(self, before: tuple[float, dict[int, float]]) -> tuple[float, float]:
        """(server CPU s, database CPU s) since ``before``; new backends count from 0."""
        server, backends = self.snapshot()
        db = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in backends.items())
        return server - before[0], db


def fetch_by_zoom(
    port: int, paths: Sequence[str], probe: CpuProbe | None = None
) -> tuple[float, dict[str, bytes], dict[int, int], dict[int, float]]:
    """Like :func:`fetch_all`, one zoom after the other; also the seconds spent per zoom
    (the path's zoom is its 3rd-last segment), and with a ``probe`` the CPU per zoom in
    :data:`CPU` (port → zoom → (server s, database s))."""
    per_zoom: dict[int, float] = {}
    bodies: dict[str, bytes] = {}
    statuses: dict[int, int] = {}
    for z in sorted({int(p.split("?")[0].split("/")[-3]) for p in paths}):
        group = [p for p in paths if int(p.split("?")[0].split("/")[-3]) == z]
        before = probe.snapshot() if probe else None
        seconds, got, status = fetch_all(port, group)
        if probe and before:
            CPU.setdefault(port, {}).setdefault(z, []).append(probe.since(before))
        per_zoom[z] = seconds
        bodies.update(got)
        for k, v in status.items():
            statuses[k] = statuses.get(k, 0) + v
    return sum(per_zoom.values()), bodies, statuses, per_zoom


#: CPU seconds (server, database) per timed pass: port → zoom → one pair per pass.
CPU: dict[int, dict[int, list[tuple[float, float]]]] = {}


def fetch_all(
    port: int, paths: Sequence[str], keep: bool = True
) -> tuple[float, dict[str, bytes], dict[int, int]]:
    """GET every path in turn; (seconds, decoded bodies when ``keep``, statuses)."""
    t0 = time.perf_counter()
    bodies, statuses = asyncio.run(_get_all(port, paths, keep))
    return time.perf_counter() - t0, bodies, statuses


def main() -> None:
    url = database()
    u = make_url(url)
    tcp = u.set(host="127.0.0.1", port=int(str(u.query.get("port", 55432))), query={})
    tcp_url = tcp.render_as_string(hide_password=False)
    tipg_url = tcp.set(drivername="postgresql").render_as_string(hide_password=False)
    tiles = tile_list()
    by_zoom = {z: sum(1 for t in tiles if t[0] == z) for z in range(10, 15)}
    print(f"{len(tiles)} different tiles, per zoom {by_zoom}; {CONNECTIONS} client connections")
    ours_paths = [
        f"/collections/rescue_teams/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles
    ]
    tipg_paths = [
        f"/collections/public.rescue_teams/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={PROPS}"
        for z, x, y in tiles
    ]  # fmt: skip

    with tipg(tipg_url) as pid:
        fetch_all(TIPG_PORT, tipg_paths)  # untimed: warms PostgreSQL's buffers for everyone
        probe = CpuProbe(url, pid)
        runs = [fetch_by_zoom(TIPG_PORT, tipg_paths, probe) for _ in range(2)]
    tipg_s, tipg_bodies, tipg_status, tipg_zoom = min(runs, key=lambda r: r[0])
    tipg_rate = len(tiles) / tipg_s
    print(
        f"tipg {_version('tipg')}: {tipg_rate:7.1f} tiles/s  ({tipg_s:.2f} s, status {tipg_status})"
    )

    cold = []
    warm_up = [f"{OURS_TILES}/{z}/{x}/{y}" for z, x, y in warmup_list(tiles)]
    for attempt in range(2):
        with ours(tcp_url) as pid:
            fetch_all(OURS_PORT, warm_up, False)  # opens pooled connections; other tiles
            cold.append(fetch_by_zoom(OURS_PORT, ours_paths, CpuProbe(url, pid)))
            if attempt == 1:
                warm = [fetch_all(OURS_PORT, ours_paths * WARM_PASSES, False) for _ in range(3)]
                sizes = max_sizes(url)
    cold_s, cold_bodies, cold_status, cold_zoom = min(cold, key=lambda r: r[0])
    cold_rate = len(tiles) / cold_s
    warm_s, _, warm_status = min(warm, key=lambda r: r[0])
    warm_rate = len(tiles) * WARM_PASSES / warm_s
    print(
        f"gis_onemap cold: {cold_rate:7.1f} tiles/s  ({cold_s:.2f} s, status {cold_status}; "
        "fresh server process, warmed on 81 other tiles: none of the list cached, every tile "
        "rendered by PostgreSQL)"
    )
    print(
        f"gis_onemap warm: {warm_rate:7.1f} tiles/s  ({warm_s:.2f} s, status {warm_status}; "
        f"list x{WARM_PASSES}, all cache hits; each answer still waits for a data-version "
        "query sent after it arrived, shared by concurrent requests)"
    )
    print(f"cold ratio gis_onemap / tipg: {cold_rate / tipg_rate:.2f}x (goal >= 2)")
    print(f"warm / cold (gis_onemap):     {warm_rate / cold_rate:.1f}x (goal >= 20)")
    print("cold tiles/s per zoom (each zoom timed on its own; sums to the totals above):")
    for z in sorted(cold_zoom):
        ours_rate, peer_rate = by_zoom[z] / cold_zoom[z], by_zoom[z] / tipg_zoom[z]
        print(
            f"  z{z}: gis_onemap {ours_rate:7.1f}  tipg {peer_rate:7.1f}  "
            f"ratio {ours_rate / peer_rate:.2f}x"
        )
    print("CPU ms per cold tile, server process + PostgreSQL backends (min over passes; load-")
    print("independent, unlike tiles/s on a shared machine; tipg's parallel workers not counted):")
    for z in sorted(cold_zoom):
        ours_cpu = min(sum(p) for p in CPU[OURS_PORT][z]) / by_zoom[z] * 1000
        peer_cpu = min(sum(p) for p in CPU[TIPG_PORT][z]) / by_zoom[z] * 1000
        o_srv, o_db = min(CPU[OURS_PORT][z], key=sum)
        t_srv, t_db = min(CPU[TIPG_PORT][z], key=sum)
        print(
            f"  z{z}: gis_onemap {ours_cpu:6.2f} (server {o_srv / by_zoom[z] * 1000:5.2f}, "
            f"db {o_db / by_zoom[z] * 1000:5.2f})  tipg {peer_cpu:6.2f} (server "
            f"{t_srv / by_zoom[z] * 1000:5.2f}, db {t_db / by_zoom[z] * 1000:5.2f})  "
            f"ratio {peer_cpu / ours_cpu:.2f}x"
        )
    ours_bytes = sum(len(b) for b in cold_bodies.values())
    tipg_bytes = sum(len(b) for b in tipg_bodies.values())
    print(f"decoded bytes over the list: gis_onemap {ours_bytes:,}, tipg {tipg_bytes:,}")
    print("note: tipg sends at most 10,000 features per tile (its default); below zoom 12")
    print("      gis_onemap sends grid clusters with counts of all points instead.")
    print("largest decoded tile per zoom over the extent (goal < 500 KB):")
    print("  " + ", ".join(f"z{z} {kb:.0f} KB" for z, kb in sizes.items()))


def max_sizes(url: str) -> dict[int, float]:
    """Largest decoded tile (KB) per zoom 0–14: all tiles z0–11, a sample above (warm server)."""
    rng = random.Random(5)
    out = {}
    for z in range(0, 15):
        tiles = [tuple(t) for t in tiles_covering(BBOX, (z, z))]
        if len(tiles) > 40:
            tiles = rng.sample(tiles, 40)
        paths = [
            f"/collections/rescue_teams/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles
        ]
        _, bodies, _ = fetch_all(OURS_PORT, paths)
        out[z] = max(len(b) for b in bodies.values()) / 1024
    return out


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()

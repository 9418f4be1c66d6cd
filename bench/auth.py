"""What authentication costs: p50 of an item read with a Bearer token vs the same anonymously.

Builds a small database (``onemap_bench_auth``), creates an editor token, serves the app with
uvicorn on 127.0.0.1:8202 in a subprocess and times ``GET /collections/shelters/items/{id}``
through HTTP (httpx, keep-alive), alternating anonymous and authenticated requests so both see
the same server state. Runs twice: with the in-process token cache (default TTL 1 s) and with
it off (``ONEMAP_TOKEN_CACHE_TTL_S=0``: one indexed lookup of ``api_tokens`` per request).
Prints p50s, the ratio and the difference in ms (goal: auth adds ≤ 0.3 ms).

Run: ``.venv/bin/python bench/auth.py [REPEAT]``
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, pool, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p, serve
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
REPEAT = int(ARGS[0]) if ARGS else 1000
DB = "onemap_bench_auth"
PORT = 8202


def _setup() -> tuple[str, str, int]:
    url = bench_database(DB)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        fid = (
            conn.execute(
                text(
                    "INSERT INTO shelters (name, shelter_type, area_m2, geom) SELECT '场所' || g, "
                    "'fixed', 5000, ST_SetSRID(ST_MakePoint(110.3 + g * 1e-4, 21.2), 4326) "
                    "FROM generate_series(1, 1000) g RETURNING id"
                )
            )
            .scalars()
            .first()
        )
        for i in range(50):  # a realistic table: many tokens, some revoked
            create_token(conn, f"bench-{i}", Role.viewer)
        conn.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE name LIKE 'bench-1%'"))
        token = create_token(conn, "bench-editor", Role.editor)
    engine.dispose()
    return url, token, int(fid)


def _measure(base: str, token: str, fid: int) -> tuple[list[float], list[float]]:
    url = f"{base}/collections/shelters/items/{fid}"
    auth = {"Authorization": f"Bearer {token}"}
    anon_ms, auth_ms = [], []
    with httpx.Client(timeout=10) as c:
        for _ in range(50):  # warm up both paths
            c.get(url).raise_for_status()
            c.get(url, headers=auth).raise_for_status()
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            c.get(url).raise_for_status()
            t1 = time.perf_counter()
            c.get(url, headers=auth).raise_for_status()
            t2 = time.perf_counter()
            anon_ms.append((t1 - t0) * 1000)
            auth_ms.append((t2 - t1) * 1000)
    return anon_ms, auth_ms


def main() -> None:
    url, token, fid = _setup()
    for label, ttl in (("token cache on (TTL 1 s)", "1"), ("token cache off", "0")):
        os.environ["ONEMAP_TOKEN_CACHE_TTL_S"] = ttl
        with serve(url, PORT) as base:
            anon, auth = _measure(base, token, fid)
        a, b = p(anon, 0.5), p(auth, 0.5)
        print(
            f"{label}: item read p50 anonymous {a:.3f} ms, with Bearer {b:.3f} ms; "
            f"ratio {b / a:.3f}, difference {b - a:+.3f} ms (goal ≤ +0.3 ms) "
            f"[p95 {p(anon, 0.95):.3f} / {p(auth, 0.95):.3f} ms, n={REPEAT}]",
            flush=True,
        )
    os.environ.pop("ONEMAP_TOKEN_CACHE_TTL_S", None)


if __name__ == "__main__":
    main()

"""Atomic stock adjustment: ``POST .../supplies/items/{fid}/adjust`` with a bearer token
(auth lookup, app role + region context, audit trigger, commit) vs the bare UPDATE on the same
database (superuser: no RLS context, audit trigger still fires). Prints p50/p95 and the ratio.

Run: ``.venv/bin/python bench/adjust.py [REPEAT]`` (database ``onemap_bench_adjust``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p, serve, timed
from gis_onemap.auth.tokens import new_token, token_hash


def main(repeat: int) -> None:
    url = bench_database("onemap_bench_adjust")
    engine = create_engine(url)
    token = new_token()
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO api_tokens (name, token_hash, role, region_codes) "
                 "VALUES ('bench', :h, 'editor', ARRAY['4408'])"),
            {"h": token_hash(token)},
        )  # fmt: skip
        fid = conn.execute(
            text("INSERT INTO supplies (name, region_code, item_name, item_code, quantity, unit, "
                 "geom) VALUES ('bench', '440803', '帐篷', '1010101', 1e9, '顶', "
                 "ST_SetSRID(ST_MakePoint(110.36, 21.27), 4326)) RETURNING id")
        ).scalar_one()  # fmt: skip
    with serve(url, 8207) as base, httpx.Client(base_url=base) as client:
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/collections/supplies/items/{fid}/adjust"
        body = {"delta": -1, "reason": "bench"}

        def http() -> None:
            assert client.post(path, json=body, headers=headers).status_code == 200

        http()  # warm
        http_ms = timed(http, repeat)

    def bare() -> None:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE supplies SET quantity = quantity + :d, updated_at = clock_timestamp()"
                     " WHERE id = :f AND quantity + :d >= 0 RETURNING quantity"),
                {"d": -1, "f": fid},
            ).one()  # fmt: skip

    bare()
    sql_ms = timed(bare, repeat)
    engine.dispose()
    print(
        f"adjust over HTTP with auth: p50 {p(http_ms, 0.5):.2f} ms, p95 {p(http_ms, 0.95):.2f} ms"
    )
    print(f"bare UPDATE (pooled): p50 {p(sql_ms, 0.5):.2f} ms, p95 {p(sql_ms, 0.95):.2f} ms")
    print(f"ratio p50 HTTP/SQL: {p(http_ms, 0.5) / p(sql_ms, 0.5):.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

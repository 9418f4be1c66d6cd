"""Items paging: first-page vs deep-page latency through HTTP (keyset paging; goal ≤ 2×).

Builds a 100,000-feature collection in its own database, follows the ``next`` links to the
end once (checking every feature comes exactly once), then times the first page and a page
near the end, and prints the same deep page fetched with OFFSET in raw SQL for contrast.

Run: ``.venv/bin/python bench/items_paging.py [N]``
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database, p, serve, timed

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
LIMIT = 100
PORT = 8099


def fill(url: str, n: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO protected_targets (name, target_type, population, geom)
                SELECT '目标' || g, 'school', g % 900,
                       ST_SetSRID(ST_MakePoint(109.5 + random() * 1.5,
                                               20.2 + random() * 1.6), 4326)
                FROM generate_series(1, :n) g
                """
            ),
            {"n": n},
        )
        conn.execute(text("ANALYZE protected_targets"))
    engine.dispose()


def main() -> None:
    url = bench_database("onemap_bench_paging")
    fill(url, N)
    with serve(url, PORT) as base, httpx.Client(base_url=base, timeout=60) as client:
        path = f"/collections/protected_targets/items?limit={LIMIT}"
        seen: list[int] = []
        next_path = path
        last_cursor_path = path
        while next_path:
            body = client.get(next_path).json()
            seen += [f["id"] for f in body["features"]]
            links = [lk["href"] for lk in body["links"] if lk["rel"] == "next"]
            if links:
                last_cursor_path = next_path
                parts = urlsplit(links[0])
                next_path = f"{parts.path}?{parts.query}"
            else:
                next_path = ""
        assert len(seen) == len(set(seen)) == N, "paging lost or repeated features"
        first = timed(lambda: client.get(path).raise_for_status(), 40)
        deep = timed(lambda: client.get(last_cursor_path).raise_for_status(), 40)
    engine = create_engine(url)
    with engine.connect() as conn:
        offset_sql = text("SELECT id, name FROM protected_targets ORDER BY id LIMIT :l OFFSET :o")
        keyset_sql = text(
            "SELECT id, name FROM protected_targets WHERE id > :a ORDER BY id LIMIT :l"
        )
        off = timed(lambda: conn.execute(offset_sql, {"l": LIMIT, "o": N - 2 * LIMIT}).all(), 40)
        key = timed(lambda: conn.execute(keyset_sql, {"l": LIMIT, "a": N - 2 * LIMIT}).all(), 40)
    engine.dispose()
    print(f"collection: {N:,} features, limit={LIMIT}; paged through all: each exactly once")
    print(f"HTTP first page  p50 {p(first, 0.5):7.2f} ms  p95 {p(first, 0.95):7.2f} ms")
    print(f"HTTP deep page   p50 {p(deep, 0.5):7.2f} ms  p95 {p(deep, 0.95):7.2f} ms")
    print(f"deep / first (p50): {p(deep, 0.5) / p(first, 0.5):.2f}x  (goal ≤ 2x)")
    print(f"raw SQL deep page: keyset {p(key, 0.5):.2f} ms vs OFFSET {p(off, 0.5):.2f} ms")


if __name__ == "__main__":
    main()

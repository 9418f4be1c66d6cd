"""First load of /map with the demo city: bytes on the wire by kind, time to a drawn map.

Run: ``.venv/bin/python bench/web_first_load.py``. Serves the app (``onemap serve``) on its own
database ``onemap_bench_web`` loaded with the demo data, opens /map in headless Chromium and
counts encoded bytes (body + headers) of every response. Also prints the static
assets raw vs gzip vs brotli (the ratios the app serves), and the budget ratio (limit 2 MB).
"""

from __future__ import annotations

import gzip
import sys
import time
from collections import defaultdict
from pathlib import Path

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_database, serve
from gis_onemap.api.routers.web import STATIC_DIR
from gis_onemap.demo import load_demo_if_empty
from gis_onemap.settings import Settings

BUDGET = 2_000_000
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def kind(url: str) -> str:
    if "/map/static/" in url:
        return "static " + url.rsplit(".", 1)[-1]
    if "/map/basemap/" in url:
        return "base-map tiles"
    if "/tiles/" in url:
        return "data tiles"
    if url.endswith("/map"):
        return "page"
    return "api json"


def load(browser, base: str, context) -> tuple[dict[str, int], float]:  # type: ignore[no-untyped-def]
    page = context.new_page()
    sizes: list[tuple[str, int]] = []  # the MapLibre worker's tile fetches are reported too
    page.on(
        "requestfinished",
        lambda r: sizes.append(
            (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])
        ),
    )
    t0 = time.perf_counter()
    page.goto(f"{base}/map")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
    elapsed = time.perf_counter() - t0
    by_kind: dict[str, int] = defaultdict(int)
    page.wait_for_timeout(300)
    for u, n in sizes:
        by_kind[kind(u)] += n
    page.close()
    return dict(by_kind), elapsed


def main() -> None:
    from playwright.sync_api import sync_playwright

    url = bench_database("onemap_bench_web")
    print(load_demo_if_empty(Settings(database_url=url)))
    print("\nstatic assets: raw → gzip-9 / brotli-9 (what /map/static serves)")
    for rel in (
        "vendor/maplibre-gl/dist/maplibre-gl.js",
        "vendor/maplibre-gl/dist/maplibre-gl.css",
        "app.js",
        "panels.js",
        "app.css",
    ):
        raw = (STATIC_DIR / rel).read_bytes()
        gz, br = len(gzip.compress(raw, 9)), len(brotli.compress(raw, quality=9))
        print(f"  {rel:45s} {len(raw):>9,} → {gz:>8,} / {br:>8,}  (×{len(raw) / br:.1f})")
    with serve(url, 8791) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        for label in ("cold", "warm (browser cache)"):
            by_kind, elapsed = load(browser, base, context)
            total = sum(by_kind.values())
            print(
                f"\n{label}: {total:,} bytes on the wire, map drawn in {elapsed:.2f} s "
                f"(budget {BUDGET:,}: {total / BUDGET:.0%} used)"
            )
            for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1]):
                print(f"  {k:18s} {n:>9,}")
        browser.close()


if __name__ == "__main__":
    main()

"""Shared helpers for the benchmarks: a fresh migrated database and a live uvicorn server."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.settings import Settings


def bench_database(name: str) -> str:
    """Drop and recreate database ``name`` beside the configured one; migrate it; return URL."""
    return recreate_database(sibling_url(Settings().resolved_database_url(), name))


@contextmanager
def serve(database_url: str, port: int) -> Iterator[str]:
    """Run ``onemap serve`` on 127.0.0.1:``port`` against ``database_url``; yield its base URL."""
    env = dict(os.environ, ONEMAP_DATABASE_URL=database_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gis_onemap.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall-clock milliseconds of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``."""
    if q == 0.5:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

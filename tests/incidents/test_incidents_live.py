"""Incident PATCHes against a real uvicorn server on a committed database: concurrent patches of
different figures all survive (the row is locked ``FOR UPDATE`` before the merge), and of
several writers holding the same ETag exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database
from tests.live_server import live_server

ACCIDENT = {"lon": 110.36, "lat": 21.27, "event_category": "accident", "event_type": "fire"}


@pytest.fixture(scope="module")
def database_url(test_database_url: str) -> str:
    return fresh_database(test_database_url, "incidents")


@pytest.fixture(scope="module")
def auth(database_url: str) -> dict[str, str]:
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    eng = create_engine(database_url)
    try:
        with eng.begin() as conn:
            return {"Authorization": f"Bearer {create_token(conn, 'incidents', Role.editor)}"}
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    with live_server(Settings(database_url=database_url)) as url:
        yield url


def _at_once(server: str, auth: dict[str, str], calls: list[tuple[str, dict, dict]]) -> list[int]:
    """PATCH each ``(url, body, headers)`` at the same moment, one connection each."""
    barrier = threading.Barrier(len(calls))
    statuses = [0] * len(calls)

    def send(i: int, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        with httpx.Client(base_url=server, timeout=60, headers=auth) as c:
            c.get("/healthz")
            barrier.wait()
            statuses[i] = c.patch(url, json=body, headers=headers).status_code

    threads = [threading.Thread(target=send, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_patches_of_different_figures_all_survive(server, auth):
    figures = {"dead": 4, "missing": 2, "injured": 30, "seriously_injured": 12,
               "affected_people": 900, "direct_loss_yuan": 3e6}  # fmt: skip
    with httpx.Client(base_url=server, timeout=30, headers=auth) as c:
        for _ in range(3):
            fid = c.post("/incidents", json=ACCIDENT).json()["id"]
            calls = [(f"/incidents/{fid}", {k: v}, {}) for k, v in figures.items()]
            assert _at_once(server, auth, calls) == [200] * len(figures)
            props = c.get(f"/incidents/{fid}").json()["properties"]
            assert {k: props[k] for k in figures} == figures
            assert props["severity"] == "III"  # 4 dead + 2 missing ≥ 3, re-derived at the end


def test_of_writers_holding_one_etag_exactly_one_wins(server, auth):
    with httpx.Client(base_url=server, timeout=30, headers=auth) as c:
        created = c.post("/incidents", json=ACCIDENT)
        fid, etag = created.json()["id"], created.headers["ETag"]
        calls = [(f"/incidents/{fid}", {"dead": n}, {"If-Match": etag}) for n in range(1, 6)]
        statuses = _at_once(server, auth, calls)
        assert sorted(statuses) == [200, 412, 412, 412, 412]
        winner = statuses.index(200) + 1
        assert c.get(f"/incidents/{fid}").json()["properties"]["dead"] == winner

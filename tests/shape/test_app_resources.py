"""``create_app`` owns every resource; tiles read through an overridable backend; each router
declares its conformance classes (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient

from gis_onemap.api.app import assemble_conformance, create_app
from gis_onemap.api.routers import core, items, tiles
from gis_onemap.api.routers.tiles import get_tile_backend
from gis_onemap.io.crs_params import CRS_CONFORMANCE
from gis_onemap.settings import Settings
from gis_onemap.tiles.metadata import TILES_CONFORMANCE
from gis_onemap.tiles.sources import SessionSource


def test_lifespan_opens_and_closes_the_tile_connections(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        backend = client.app.state.tile_backend
        # open before any tile request (they used to open lazily on the first one)
        assert backend.pool._pool is not None
        assert backend.version_reader._conn is not None and not backend.version_reader._conn.closed
        conn = backend.version_reader._conn
        assert client.get("/tiles/WebMercatorQuad/0/0/0").status_code in (200, 204)
    assert backend.pool._pool is None
    assert conn.closed


class _RecordingBackend:
    """A backend that renders in the test's session and records what the route asked."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.calls: list[str] = []

    async def versions(self) -> dict[str, int]:
        self.calls.append("versions")
        return {}  # version 0 everywhere: a cache key no other test uses with this app

    @contextmanager
    def source(self, context: Any = None) -> Iterator[SessionSource]:
        self.calls.append("source")
        yield SessionSource(self.session)


def test_tile_routes_use_the_backend_dependency(settings: Settings, db_session) -> None:
    app = create_app(settings)
    backend = _RecordingBackend(db_session)
    app.dependency_overrides[get_tile_backend] = lambda: backend
    with TestClient(app) as client:
        first = client.get("/collections/shelters/tiles/WebMercatorQuad/3/6/3")
        assert first.status_code in (200, 204)
        assert backend.calls == ["versions", "source"]  # a miss: rendered from the backend
        again = client.get("/collections/shelters/tiles/WebMercatorQuad/3/6/3")
        assert again.status_code == first.status_code
        assert backend.calls == ["versions", "source", "versions"]  # a hit: versions only


def test_conformance_is_assembled_from_the_routers(client) -> None:
    listed = client.get("/conformance").json()["conformsTo"]
    assert len(listed) == len(set(listed))
    for declared in (core.CONFORMANCE, items.CONFORMANCE, tiles.CONFORMANCE):
        assert set(declared) <= set(listed)
    assert CRS_CONFORMANCE in listed and set(TILES_CONFORMANCE) <= set(listed)
    # nothing global is appended to: a second app lists the same, a module without the
    # attribute adds nothing, a new module's classes come last, once
    assert create_app(client.app.state.settings).state.conformance == tuple(listed)
    extra = SimpleNamespace(CONFORMANCE=("urn:x", core.CONFORMANCE[0]))
    assert assemble_conformance([core, SimpleNamespace(), extra]) == (*core.CONFORMANCE, "urn:x")

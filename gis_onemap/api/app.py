"""``create_app(settings)``: the FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from gis_onemap.api.docs import install_api_docs
from gis_onemap.api.errors import install_error_handlers
from gis_onemap.api.limits import BodySizeLimit
from gis_onemap.api.routers import (
    analysis,
    audit,
    collections,
    core,
    dispatch,
    duty,
    hazards,
    incidents,
    io,
    items,
    live,
    monitoring,
    population,
    positions,
    printing,
    reports,
    roads,
    shelters,
    situation,
    stock,
    streets,
    tiles,
    web,
)
from gis_onemap.api.security import SecurityMiddleware
from gis_onemap.auth.deps import require_read
from gis_onemap.auth.query_tokens import QueryTokenGuard
from gis_onemap.auth.whoami import router as whoami_router
from gis_onemap.db.engine import make_engine, make_read_session_factory, make_session_factory
from gis_onemap.live.hub import LiveHub
from gis_onemap.settings import Settings, get_settings
from gis_onemap.tiles.cache import TileCache
from gis_onemap.tiles.service import TileService
from gis_onemap.tiles.sources import PooledBackend

log = logging.getLogger("gis_onemap")


def assemble_conformance(modules: Iterable[ModuleType]) -> tuple[str, ...]:
    """The conformance classes the routers declare (``CONFORMANCE``), in order, once each."""
    out: list[str] = []
    for module in modules:
        out += [c for c in getattr(module, "CONFORMANCE", ()) if c not in out]
    return tuple(out)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app.

    It owns every resource: the database pool, the tiles' connection pool and version connection
    open and close with the app's lifespan.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.read_session_factory = make_read_session_factory(engine)
        tile_backend = PooledBackend(settings)  # tests override get_tile_backend instead
        app.state.tile_backend = tile_backend
        app.state.live_hub = LiveHub(
            settings.resolved_database_url(),
            queue_size=settings.live_client_queue,
            max_clients=settings.live_max_clients,
            retention_s=settings.live_retention_hours * 3600,
        )
        await app.state.live_hub.start()  # the process's one LISTEN connection (issue 17)
        try:
            await tile_backend.open()
            yield
        finally:
            await app.state.live_hub.close()
            tile_backend.close()
            engine.dispose()

    app = FastAPI(
        title="gis_onemap 应急一张图",
        description="Emergency resources on one map: OGC API – Features, tiles and analyses.",
        version="0.1.0",
        openapi_url=None,  # served as OpenAPI 3.0 by gis_onemap.api.docs
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(require_read)],  # anonymous_read=false: reads need a token
    )
    app.state.settings = settings
    app.state.tile_service = TileService(settings)  # the tile cache lives as long as the app
    # tiles drawn from other layers, keyed by those layers' data versions
    app.state.population_tiles = TileCache(settings.population_tile_cache_size)
    app.state.risk_tiles = TileCache(settings.risk_tile_cache_size)
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    if settings.cors_origins:  # closed unless origins are listed; no cookies, so no credentials
        if "*" in settings.cors_origins:
            raise ValueError("ONEMAP_CORS_ORIGINS: list each origin; '*' is not allowed")
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "Accept-Language"],
            expose_headers=["Location", "ETag", "Content-Disposition"],
            allow_credentials=False,
        )
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )  # added last = outermost: it sees the raw body first
    # refuses forged Hosts and non-JSON bodies, sees every response's headers
    app.add_middleware(SecurityMiddleware, settings=settings)
    app.add_middleware(QueryTokenGuard)  # outermost: a token in the URL is refused and redacted
    app.include_router(situation.router)  # before collections: /collections/situation-{id}
    app.include_router(population.router)  # before collections: its paths win
    modules = (core, collections, items, stock, audit, io, incidents, analysis, tiles, web)
    for module in modules:
        app.include_router(module.router)
    app.state.conformance = assemble_conformance(modules)
    app.include_router(roads.router)
    app.include_router(streets.router)
    app.include_router(hazards.router)
    app.include_router(monitoring.router)
    app.include_router(dispatch.router)
    app.include_router(duty.router)
    app.include_router(reports.router)
    app.include_router(printing.router)
    app.include_router(live.router)
    app.include_router(positions.router)
    app.include_router(shelters.router)
    app.include_router(whoami_router)  # the map page's sign-in (GET /auth/whoami)
    install_api_docs(app)
    return app

"""``create_app(settings)``: the FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from gis_onemap.api.docs import install_api_docs
from gis_onemap.api.errors import install_error_handlers
from gis_onemap.api.routers import (
    analysis,
    collections,
    core,
    incidents,
    io,
    items,
    streets,
    tiles,
    web,
)
from gis_onemap.db.engine import make_engine, make_session_factory
from gis_onemap.settings import Settings, get_settings

log = logging.getLogger("gis_onemap")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database pool opens and closes with the app's lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        try:
            yield
        finally:
            tile_service = getattr(app.state, "tile_service", None)
            if tile_service is not None:  # made on the first tile request
                tile_service.close()
                app.state.tile_service = None
            engine.dispose()

    app = FastAPI(
        title="gis_onemap 应急一张图",
        description="Emergency resources on one map: OGC API – Features, tiles and analyses.",
        version="0.1.0",
        openapi_url=None,  # served as OpenAPI 3.0 by gis_onemap.api.docs
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    for module in (core, collections, items, io, incidents, analysis, tiles, web):
        app.include_router(module.router)
    app.include_router(streets.router)
    install_api_docs(app)
    return app

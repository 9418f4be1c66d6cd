"""``create_app(settings)``: the FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
    incidents,
    io,
    items,
    population,
    roads,
    shelters,
    stock,
    streets,
    tiles,
    web,
)
from gis_onemap.api.security import SecurityMiddleware
from gis_onemap.auth.deps import require_read
from gis_onemap.auth.query_tokens import QueryTokenGuard
from gis_onemap.db.engine import make_engine, make_read_session_factory, make_session_factory
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
        app.state.read_session_factory = make_read_session_factory(engine)
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
        dependencies=[Depends(require_read)],  # anonymous_read=false: reads need a token
    )
    app.state.settings = settings
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
    app.include_router(population.router)  # before collections: its paths win
    for module in (core, collections, items, stock, audit, io, incidents, analysis, tiles, web):
        app.include_router(module.router)
    app.include_router(roads.router)
    app.include_router(streets.router)
    app.include_router(shelters.router)
    install_api_docs(app)
    return app

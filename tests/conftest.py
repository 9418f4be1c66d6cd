"""Shared fixtures: a real PostGIS test database built by the migrations, rolled back per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, pool, text
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session, get_write_session
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.settings import Settings

TEST_API_KEY = "test-trusted-key"


def _test_url() -> str:
    """Test database: ``ONEMAP_TEST_DATABASE`` or ``<configured db>_test``, same server."""
    configured = Settings().resolved_database_url()
    name = os.environ.get("ONEMAP_TEST_DATABASE") or f"{make_url(configured).database}_test"
    return sibling_url(configured, name)


@pytest.fixture(scope="session")
def test_database_url() -> str:
    """A fresh database beside the configured one, migrated with ``alembic upgrade head``."""
    return recreate_database(_test_url())


@pytest.fixture(scope="session")
def settings(test_database_url: str) -> Settings:
    return Settings(database_url=test_database_url, api_keys=[TEST_API_KEY])


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    eng = create_engine(settings.resolved_database_url(), poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def app(settings: Settings, db_session: Session) -> FastAPI:
    """The app, its sessions bound to the test's rolled-back transaction."""
    application = create_app(settings)

    def _session() -> Iterator[Session]:
        try:
            yield db_session
            db_session.commit()  # releases the test's savepoint, the outer transaction remains
        except BaseException:
            db_session.rollback()
            raise

    def _read_session() -> Iterator[Session]:
        # read-only as in production (a write route given the read session must fail here
        # too): in a savepoint, whose rollback restores read-write for the rest of the test
        savepoint = db_session.begin_nested()
        db_session.execute(text("SET LOCAL transaction_read_only = on"))
        try:
            yield db_session
        finally:
            savepoint.rollback()

    # reads and writes share the test's transaction (the write dependency keeps its
    # scope="function": its "commit" runs before the response is sent, as in production)
    application.dependency_overrides[get_session] = _read_session
    application.dependency_overrides[get_write_session] = _session
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def trusted_client(app: FastAPI) -> Iterator[TestClient]:
    """A client whose requests carry a trusted API key (sees personal data)."""
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": TEST_API_KEY}) as c:
        yield c

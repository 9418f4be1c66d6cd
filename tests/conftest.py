"""Shared fixtures: a real PostGIS test database built by the migrations, rolled back per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, pool, text
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session, get_write_session
from gis_onemap.api.routers.tiles import get_tile_backend
from gis_onemap.db.admin import sibling_url
from gis_onemap.settings import Settings
from gis_onemap.tiles.sources import SessionBackend
from tests.helpers.databases import fresh_database

#: Debian's Chromium, driven by Playwright (never ``playwright install``): browser tests.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Names of the tokens created (committed) in the test database, one per role.
TEST_TOKEN_NAMES = {"viewer": "test-viewer", "editor": "test-editor", "admin": "test-admin"}


def _test_url() -> str:
    """Test database: ``ONEMAP_TEST_DATABASE`` or ``<configured db>_test``, same server; under
    pytest-xdist one per worker (``…_gw0``, ``…_gw1``), so workers never share committed rows."""
    configured = Settings().resolved_database_url()
    name = os.environ.get("ONEMAP_TEST_DATABASE") or f"{make_url(configured).database}_test"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return sibling_url(configured, f"{name}_{worker}" if worker else name)


@pytest.fixture(scope="session")
def test_database_url() -> str:
    """A fresh database beside the configured one, migrated with ``alembic upgrade head`` (a
    copy of this process's migrated template: ``tests/helpers/databases.py``)."""
    return fresh_database(_test_url())


@pytest.fixture(scope="session")
def settings(test_database_url: str) -> Settings:
    return Settings(database_url=test_database_url)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    eng = create_engine(settings.resolved_database_url(), poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def role_tokens(engine: Engine) -> dict[str, str]:
    """A Bearer token per role, committed (the app checks tokens on its own connections)."""
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    with engine.begin() as conn:
        return {
            role: create_token(conn, name, Role[role]) for role, name in TEST_TOKEN_NAMES.items()
        }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, launched once per test module and shared by its browser tests.

    Per module, not per session: Playwright's sync API keeps an event loop running in this
    thread while it is open, so a later module's ``asyncio.run`` (live events, tile versions,
    export downloads) would fail beside it; and one session at a time, as a second Playwright
    session opened beside the first fails too.
    """
    from playwright.sync_api import sync_playwright

    # a missing browser is a failed set-up, not a reason to skip the tests
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: run scripts/install_system_packages.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end (its commits only release
    savepoints), on ``engine``'s database."""
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
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with rolled_back_session(engine) as session:
        yield session


def bind_to_test_transaction(application: FastAPI, db_session: Session) -> FastAPI:
    """Make ``application``'s read and write sessions the test's rolled-back transaction."""

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
    # tiles read and render in the test's transaction too (the app's pool would not see it)
    application.dependency_overrides[get_tile_backend] = lambda: SessionBackend(db_session)
    return application


@pytest.fixture
def app(settings: Settings, db_session: Session) -> FastAPI:
    """The app, its sessions bound to the test's rolled-back transaction."""
    return bind_to_test_transaction(create_app(settings), db_session)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def viewer_client(app: FastAPI, role_tokens: dict[str, str]) -> Iterator[TestClient]:
    """A client with a viewer's Bearer token (sees personal data, cannot write)."""
    headers = bearer(role_tokens["viewer"])
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


@pytest.fixture
def trusted_client(editor_client: TestClient) -> TestClient:
    """A signed-in client that sees personal data and may write: the editor client."""
    return editor_client


@pytest.fixture
def editor_client(app: FastAPI, role_tokens: dict[str, str]) -> Iterator[TestClient]:
    """A client with an editor's Bearer token (writes)."""
    headers = bearer(role_tokens["editor"])
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


@pytest.fixture
def admin_client(app: FastAPI, role_tokens: dict[str, str]) -> Iterator[TestClient]:
    """A client with an admin's Bearer token."""
    headers = bearer(role_tokens["admin"])
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the files holding a ``slow`` or ``browser`` test go first (a stable
    sort: each file's tests keep their order). ``--dist loadfile --no-loadscope-reorder`` hands
    files out in collection order, and a file of one long test (a fuzz half, a notebook, the
    wheel) dealt out last would leave one worker running alone at the end. A plain run keeps
    pytest's order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow_files = {
        item.path
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in slow_files)

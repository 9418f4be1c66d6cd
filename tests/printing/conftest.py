"""Fixtures of the print and bundle tests: the demo city in its own committed database
(``<test database>_print``), sessions rolled back per test, an app bound to them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.settings import Settings
from tests.conftest import bearer, bind_to_test_transaction, rolled_back_session
from tests.live_server import demo_database


@pytest.fixture(scope="session")
def print_settings(test_database_url: str) -> Settings:
    return Settings(database_url=demo_database(test_database_url, "print"))


@pytest.fixture(scope="session")
def print_engine(print_settings: Settings) -> Iterator[Engine]:
    eng = create_engine(print_settings.resolved_database_url(), poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def print_editor_headers(print_engine: Engine) -> dict[str, str]:
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    with print_engine.begin() as conn:
        return bearer(create_token(conn, "print-editor", Role.editor))


@pytest.fixture
def print_session(print_engine: Engine) -> Iterator[Session]:
    with rolled_back_session(print_engine) as session:
        yield session


@pytest.fixture
def print_client(print_settings: Settings, print_session: Session) -> Iterator[TestClient]:
    app = bind_to_test_transaction(create_app(print_settings), print_session)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c

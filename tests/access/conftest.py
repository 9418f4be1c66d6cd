"""Access tests run against real servers on a committed database of their own: region scope
lives in the database (row-level security on the app role), so only real sessions show it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.orm import Session

from gis_onemap.categories import get_category
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database
from tests.helpers.tokens import token_maker
from tests.live_server import live_server
from tests.samples import point, sample_feature


@pytest.fixture(scope="session")
def access_url(test_database_url: str) -> str:
    return fresh_database(test_database_url, "access")


@pytest.fixture(scope="session")
def access_engine(access_url: str) -> Iterator[Engine]:
    """Superuser connections (bypass RLS): set-up and independent checks."""
    eng = create_engine(access_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def make_token(access_engine: Engine) -> Callable[..., str]:
    """``make_token("editor", ["440803"])`` → a committed bearer token."""
    return token_maker(access_engine, "access")


@pytest.fixture(scope="session")
def server(access_url: str) -> Iterator[str]:
    """Read scope off (the default)."""
    with live_server(Settings(database_url=access_url)) as url:
        yield url


@pytest.fixture(scope="session")
def scoped_server(access_url: str) -> Iterator[str]:
    """``region_read_scope`` on."""
    with live_server(Settings(database_url=access_url, region_read_scope=True)) as url:
        yield url


def feature(collection: str, region: str, **props: Any) -> dict[str, Any]:
    f = sample_feature(collection)
    f["properties"].update(region_code=region, **props)
    if f.get("geometry") is None or f["geometry"].get("type") == "Point":
        f["geometry"] = point()
    return f


def insert(engine: Engine, collection: str, region: str, **props: Any) -> int:
    """A committed feature, inserted as the superuser (no scope)."""
    with Session(engine) as session:
        fid = FeatureRepository(session, get_category(collection)).create(
            feature(collection, region, **props)
        )
        session.commit()
    return fid

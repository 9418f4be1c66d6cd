"""Access tests run against real servers on a committed database of their own: region scope
lives in the database (row-level security on the app role), so only real sessions show it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, pool, text
from sqlalchemy.orm import Session

from gis_onemap.auth.tokens import new_token, token_hash
from gis_onemap.categories import get_category
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.settings import Settings
from tests.live_server import live_server
from tests.samples import point, sample_feature

_names = itertools.count()


@pytest.fixture(scope="session")
def access_url(test_database_url: str) -> str:
    name = f"{make_url(test_database_url).database}_access"
    return recreate_database(sibling_url(test_database_url, name))


@pytest.fixture(scope="session")
def access_engine(access_url: str) -> Iterator[Engine]:
    """Superuser connections (bypass RLS): set-up and independent checks."""
    eng = create_engine(access_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def make_token(access_engine: Engine) -> Callable[..., str]:
    """``make_token("editor", ["440803"])`` → a committed bearer token."""

    def make(role: str, regions: list[str] | None = None) -> str:
        token = new_token()
        with access_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_tokens (name, token_hash, role, region_codes) "
                    "VALUES (:n, :h, :r, :c)"
                ),
                {"n": f"{role}-{next(_names)}", "h": token_hash(token), "r": role,
                 "c": regions or []},
            )  # fmt: skip
        return token

    return make


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


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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

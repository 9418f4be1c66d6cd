"""Live-operation tests run against a real uvicorn server on a committed demo database of their
own: NOTIFY is only delivered on COMMIT, so the per-test rolled-back session cannot show it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, pool, text

from gis_onemap.settings import Settings
from tests.helpers.tokens import token_maker
from tests.live_server import demo_database, live_server


@pytest.fixture(scope="session")
def live_url(test_database_url: str) -> str:
    """``<test database>_live``: migrated, demo city loaded, committed."""
    return demo_database(test_database_url, "live")


@pytest.fixture(scope="session")
def live_engine(live_url: str) -> Iterator[Engine]:
    eng = create_engine(live_url, poolclass=pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def live_settings(live_url: str) -> Settings:
    return Settings(database_url=live_url, live_heartbeat_s=1.0, live_client_queue=50)


@pytest.fixture(scope="session")
def server(live_settings: Settings) -> Iterator[str]:
    with live_server(live_settings) as url:
        yield url


@pytest.fixture(scope="session")
def make_token(live_engine: Engine) -> Callable[..., str]:
    """``make_token("editor", ["440803"])`` → a committed bearer token on the live database."""
    return token_maker(live_engine, "live")


@pytest.fixture(scope="session")
def two_regions(live_engine: Engine) -> list[dict[str, Any]]:
    """Two county-level regions of the demo city with a point inside each."""
    with live_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT code, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT code, "
                "ST_PointOnSurface(geom) AS p, ST_Area(geom) AS a FROM regions "
                "WHERE code NOT LIKE '%00') r ORDER BY a LIMIT 2"
            )
        ).all()
    assert len(rows) == 2
    return [{"code": r.code, "lon": r.lon, "lat": r.lat} for r in rows]


@pytest.fixture(scope="session")
def make_incident(live_engine: Engine) -> Callable[[float, float], int]:
    """A committed incident at (lon, lat)."""

    def make(lon: float, lat: float) -> int:
        with live_engine.begin() as conn:
            return int(
                conn.execute(
                    text(
                        "INSERT INTO incidents (event_category, event_type, severity, geom) "
                        "VALUES ('accident', 'fire', 'IV', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
                        "RETURNING id"
                    ),
                    {"x": lon, "y": lat},
                ).scalar_one()
            )

    return make

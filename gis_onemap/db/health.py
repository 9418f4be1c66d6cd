"""Database health check used by ``/healthz`` and ``onemap db status``."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, pool, text


def engine_status(engine: Engine) -> str:
    """``ok`` when the database answers and has PostGIS, else a short reason (no DB text)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    except Exception:
        return "unavailable"
    return "ok"


def database_status(url: str) -> str:
    """:func:`engine_status` for a URL, with a throwaway connection."""
    engine = create_engine(url, poolclass=pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        return engine_status(engine)
    finally:
        engine.dispose()

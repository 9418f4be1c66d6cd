"""Engine and session factory (the pool is opened and closed by the app's lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from gis_onemap.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """A pooled engine for the configured database, with a server-side statement timeout."""
    return create_engine(
        settings.resolved_database_url(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        # no pre-ping: it costs a round trip on every request; a connection broken by a
        # database restart fails one request (503) and is then replaced by the pool
        pool_recycle=1800,
        connect_args={"options": f"-c statement_timeout={settings.statement_timeout_ms}"},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

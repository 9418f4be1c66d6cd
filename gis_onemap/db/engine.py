"""Engine and session factories, and a commit that raises domain errors.

The pool is opened and closed by the app's lifespan; the commit turns a failure at COMMIT into a
domain error instead of a lost write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gis_onemap.errors import Conflict, DatabaseUnavailable, OneMapError
from gis_onemap.settings import Settings

#: SQLSTATEs of a transaction that lost a race (serialization failure, deadlock, lock not
#: available): nothing was stored and the same request may simply be sent again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


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
    """Sessions for writes (the caller commits, see :func:`commit`)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose transactions are ``READ ONLY``: a read can never write by mistake.

    psycopg starts the transaction with ``BEGIN READ ONLY`` (no extra round trip); the pool
    resets the flag when the connection is returned.
    """
    return sessionmaker(
        bind=engine.execution_options(postgresql_readonly=True),
        expire_on_commit=False,
        autoflush=False,
    )


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (``None`` when there is none)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def database_error(exc: DBAPIError) -> OneMapError | None:
    """The user-safe domain error for a database error that a client can cause or retry.

    ``None`` for the others (they become a 500 with a generic text).
    """
    state = sqlstate(exc) or ""
    if state in RETRYABLE_SQLSTATES:
        return Conflict(
            "the change collided with a concurrent change and was not stored; "
            "send the request again",
            details={"retry": True},
        )
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return Conflict("the change conflicts with existing data and was not stored")
    if isinstance(exc, OperationalError):
        # a connection lost during COMMIT leaves the outcome unknown: say so
        return DatabaseUnavailable(
            "the database is unavailable; the change may not have been stored, "
            "check before sending it again"
        )
    return None


def commit(session: Session) -> None:
    """Commit, or roll back and raise a domain error (409 conflict / 503) or the original one.

    Deferred constraints and serialization checks run at COMMIT, so a write is only
    answered after this returned.
    """
    try:
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        mapped = database_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        commit(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

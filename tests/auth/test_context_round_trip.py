"""A request's transaction begins with its database context in one round trip.

The libpq trace of a real pooled connection (not the rolled-back test transaction) shows what
the client sends: ``BEGIN`` and the ``set_config`` of the caller's context as one query, then
the handler's query, then ``ROLLBACK`` — and the context is really in force (role, read only,
regions, actor), also for an actor name that needs quoting.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text

from gis_onemap.auth.dbcontext import apply_principal
from gis_onemap.auth.principal import ANONYMOUS, Principal, Role
from gis_onemap.db.engine import make_engine, make_read_session_factory, make_session_factory

CHECK = text(
    "SELECT current_user, current_setting('transaction_read_only'),"
    " current_setting('onemap.regions'), current_setting('onemap.actor')"
)


@pytest.fixture
def traced(settings) -> Iterator[tuple]:
    engine = make_engine(settings)
    with tempfile.TemporaryFile("w+") as trace:

        @event.listens_for(engine, "checkout")
        def _trace(dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
            dbapi_conn.pgconn.trace(trace.fileno())

        yield engine, trace
        engine.dispose()


def _sent(trace) -> list[str]:
    """What the client sent that waits for an answer: simple queries and Syncs."""
    trace.flush()
    trace.seek(0)
    out = []
    for line in trace.read().splitlines():
        parts = line.split("\t")
        if len(parts) > 4 and parts[1] == "F" and parts[3] in ("Query", "Sync"):
            out.append(parts[4].strip() if parts[3] == "Query" else "Sync")
    return out


def test_read_transaction_is_three_round_trips_with_the_context_in_force(traced):
    engine, trace = traced
    session = make_read_session_factory(engine)()
    try:
        apply_principal(session, ANONYMOUS, False)
        row = session.execute(CHECK).one()
    finally:
        session.close()
    assert tuple(row) == ("onemap_app", "on", "*", "anonymous")
    sent = _sent(trace)
    assert len(sent) == 3, sent
    assert sent[0].startswith("\"BEGIN READ ONLY; SELECT set_config('role', 'onemap_app'")
    assert sent[2] == '"ROLLBACK"'


def test_write_transaction_and_a_quoted_actor(traced):
    engine, trace = traced
    who = Principal("o'brien; DROP TABLE x --", Role.editor, ("4408",))
    session = make_session_factory(engine)()
    try:
        apply_principal(session, who, True)
        row = session.execute(CHECK).one()
        session.rollback()
    finally:
        session.close()
    # read scope on and limited to regions: the scoped role; the name arrives verbatim
    assert tuple(row) == ("onemap_app_scoped", "off", "4408%", "o'brien; DROP TABLE x --")
    assert len(_sent(trace)) == 3

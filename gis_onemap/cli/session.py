"""The one database session helper for CLI commands.

Committed on success (or rolled back for a read-only command), rolled back and closed otherwise, its
engine disposed (a CLI run is short; no pool kept). Every ``onemap`` command that talks to the
database uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from gis_onemap.errors import OneMapError
from gis_onemap.settings import Settings, get_settings


def print_error(exc: OneMapError) -> None:
    """The default report of a domain error: ``error: <user-safe message>`` on stderr."""
    typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)


@contextmanager
def cli_session(
    settings: Settings | None = None,
    *,
    commit: bool = True,
    exit_code: int = 2,
    report: Callable[[OneMapError], None] = print_error,
) -> Iterator[Session]:
    """A session on the configured database.

    A :class:`OneMapError` is ``report``-ed and becomes a clean exit ``exit_code`` (no traceback).
    ``commit=False``: always rolled back (analyses and exports only read).
    """
    from gis_onemap.db.engine import make_engine, make_session_factory

    engine = make_engine(settings or get_settings())
    session = make_session_factory(engine)()
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except OneMapError as exc:
        session.rollback()
        report(exc)
        raise typer.Exit(exit_code) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()

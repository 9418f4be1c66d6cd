"""The one database session helper for CLI commands: committed on success, rolled back and
closed otherwise, its engine disposed (a CLI run is short; no pool kept)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from gis_onemap.errors import OneMapError
from gis_onemap.settings import Settings, get_settings


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session on the configured database; a :class:`OneMapError` becomes a clean exit 2."""
    from gis_onemap.db.engine import make_engine, make_session_factory

    engine = make_engine(settings or get_settings())
    session = make_session_factory(engine)()
    try:
        yield session
        session.commit()
    except OneMapError as exc:
        session.rollback()
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        engine.dispose()

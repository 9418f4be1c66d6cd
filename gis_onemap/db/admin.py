"""Creating fresh, migrated databases beside the configured one (tests, benchmarks)."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, pool, text

from gis_onemap.db.migrate import upgrade_head


def sibling_url(url: str, database: str) -> str:
    """``url`` with another database name on the same server.

    >>> sibling_url("postgresql+psycopg://u@h:5432/onemap", "onemap_test")
    'postgresql+psycopg://u@h:5432/onemap_test'
    """
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def recreate_database(url: str, *, migrate: bool = True, template: str | None = None) -> str:
    """Drop (forcing out sessions) and create the database of ``url``; migrate it to head.

    With ``template`` (a database name) the new database is a copy of it (``CREATE DATABASE …
    TEMPLATE``), already migrated as far as the template is: pass ``migrate=False``.
    """
    target = make_url(url)
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(
        target.set(database="postgres"), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"{copy}'))
    finally:
        admin.dispose()
    if migrate:
        upgrade_head(url)
    return url

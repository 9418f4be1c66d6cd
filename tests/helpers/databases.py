"""Fresh test databases cloned from templates built once per test process.

Migrating a database costs seconds and loading the demo city ten more; a dozen test modules
each need a database of their own (committed rows a live server must see). So the first
request builds ``<test db>_tpl`` (migrated) and ``<test db>_tpl_demo`` (migrated + demo city)
once, and every fresh database is ``CREATE DATABASE … TEMPLATE`` of one of them: a file copy
in PostgreSQL, a tenth of a second. The copies are exactly what migrating (and loading) would
have produced; the tests of the migrations themselves (``tests/test_migrations.py``,
``tests/test_migration_upgrade.py``, the wheel test) still run Alembic on empty databases.

Under pytest-xdist every worker has its own test database name, hence its own templates: no
lock is needed, and nothing connects to a template after it is built (PostgreSQL refuses to
copy a database that has sessions).
"""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, pool, text

from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.demo import load_demo_if_empty
from gis_onemap.settings import Settings

#: Templates built by this process (a template from an earlier run may hold an older schema).
_built: set[str] = set()


def _name(url: str) -> str:
    return str(make_url(url).database)


def _clone(template_url: str, url: str) -> str:
    """Drop (forcing out sessions) the database of ``url`` and copy ``template_url`` to it."""
    target = make_url(url)
    admin = create_engine(
        target.set(database="postgres"), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(
                text(f'CREATE DATABASE "{target.database}" TEMPLATE "{_name(template_url)}"')
            )
    finally:
        admin.dispose()
    return url


def migrated_template(test_url: str) -> str:
    """``<test db>_tpl``: migrated to head, built on first use in this process."""
    url = sibling_url(test_url, f"{_name(test_url)}_tpl")
    if url not in _built:
        recreate_database(url)
        _built.add(url)
    return url


def demo_template(test_url: str) -> str:
    """``<test db>_tpl_demo``: migrated, the demo city loaded (committed), built on first use."""
    url = sibling_url(test_url, f"{_name(test_url)}_tpl_demo")
    if url not in _built:
        _clone(migrated_template(test_url), url)
        load_demo_if_empty(Settings(database_url=url))  # disposes its engine: no session left
        _built.add(url)
    return url


def fresh_database(test_url: str, suffix: str = "", *, demo: bool = False) -> str:
    """A new database ``<test db>_<suffix>`` (``test_url``'s own database when ``suffix`` is
    empty), migrated, and with the demo city loaded when ``demo``; replaces any old one."""
    url = sibling_url(test_url, f"{_name(test_url)}_{suffix}") if suffix else test_url
    return _clone(demo_template(test_url) if demo else migrated_template(test_url), url)

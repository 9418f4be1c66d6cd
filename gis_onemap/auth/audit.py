"""Reading the audit log.

Rows are written by the triggers of migration 0005, in the same transaction as each change, so a
rolled-back change leaves no entry and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gis_onemap.db.tables import AUDIT_LOG


@dataclass
class AuditFilter:
    """What ``GET /audit`` asks for."""

    collection: str | None = None
    fid: int | None = None
    actor: str | None = None
    since: datetime | None = None
    before_id: int | None = None
    limit: int = 100


#: Columns PostgreSQL derives from others (generated): in the trigger's row images, not shown.
DERIVED_COLUMNS = frozenset({"geom_3857"})


def _image(image: Any) -> Any:
    """A row image without the derived columns (the audit trigger stores whole rows)."""
    if isinstance(image, dict):
        return {k: v for k, v in image.items() if k not in DERIVED_COLUMNS}
    return image


def _row(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "actor": r.actor,
        "action": r.action,
        "collection": r.collection,
        "fid": r.fid,
        "before": _image(r.before),
        "after": _image(r.after),
        "reason": r.reason,
    }


def audit_page(session: Session, f: AuditFilter) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; returns the rows and the ``before_id`` of the next page (or ``None``)."""
    a = AUDIT_LOG
    stmt = select(a)
    if f.collection:
        stmt = stmt.where(a.c.collection == f.collection)
    if f.fid is not None:
        stmt = stmt.where(a.c.fid == f.fid)
    if f.actor:
        stmt = stmt.where(a.c.actor == f.actor)
    if f.since is not None:
        stmt = stmt.where(a.c.at >= f.since)
    if f.before_id is not None:
        stmt = stmt.where(a.c.id < f.before_id)
    rows = session.execute(stmt.order_by(a.c.id.desc()).limit(f.limit + 1)).all()
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    return [_row(r) for r in rows], (rows[-1].id if more and rows else None)


def history(session: Session, collection: str, fid: int) -> list[dict[str, Any]]:
    """Every change of one feature, oldest first.

    Its own rows, and the import that made it (an import is one summary row listing the new ids).
    """
    a = AUDIT_LOG
    stmt = (
        select(a)
        .where(
            a.c.collection == collection,
            or_(
                a.c.fid == fid,
                and_(a.c.action == "import", a.c.after["ids"].op("@>")(func.to_jsonb(fid))),
            ),
        )
        .order_by(a.c.id)
    )
    return [_row(r) for r in session.execute(stmt).all()]


def strip_fields(entry: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """``entry`` with ``hidden`` keys removed from its before/after row images.

    >>> strip_fields({"before": {"phone": "1", "name": "a"}, "after": None}, {"phone"})
    {'before': {'name': 'a'}, 'after': None}
    """
    for side in ("before", "after"):
        image = entry.get(side)
        if isinstance(image, dict):
            entry[side] = {k: v for k, v in image.items() if k not in hidden}
    return entry

"""Atomic stock changes and the audit mark they carry (stock adjust and dispatch share them)."""

from __future__ import annotations

from sqlalchemy import Table, func, text, update
from sqlalchemy.orm import Session

_MARK = text(
    "SELECT set_config('onemap.action', :action, true), set_config('onemap.reason', :reason, true)"
)


def mark(session: Session, action: str, reason: str) -> None:
    """Name the action and reason the audit triggers record for this transaction's writes."""
    session.execute(_MARK, {"action": action, "reason": reason})


def change_stock(
    session: Session, table: Table, field: str, fid: int, delta: float
) -> float | None:
    """Add ``delta`` to a stock quantity, never below zero; the new quantity, or ``None``.

    One ``UPDATE … WHERE q + delta >= 0 RETURNING q`` checks and changes under the row lock, so
    concurrent changes never oversell. ``None``: no such row, or not enough stock.
    """
    q = table.c[field]
    row = session.execute(
        update(table)
        .where(table.c.id == fid, q + delta >= 0)
        .values({q: q + delta, table.c.updated_at: func.clock_timestamp()})
        .returning(q)
    ).first()
    return None if row is None else float(row[0])

"""Duty roster and log use cases over one session (the caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis_onemap.db.rows import row_json
from gis_onemap.db.tables import DUTY_LOG, DUTY_SHIFTS
from gis_onemap.errors import Conflict, NotFound, ValidationFailed

LOG_KINDS: tuple[str, ...] = ("event", "action", "call", "handover", "note")


@dataclass(frozen=True)
class ShiftInput:
    """One shift: when, who, which post (带班领导, 值班员 ...), how to reach them."""

    starts_at: datetime
    ends_at: datetime
    person: str
    post: str
    phone: str | None = None
    region_code: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class LogInput:
    """One duty-log entry; ``shift_id`` defaults to the shift on duty at ``at``."""

    kind: str
    text: str
    at: datetime | None = None
    shift_id: int | None = None
    incident_id: int | None = None


class DutyService:
    """The roster and the log."""

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor

    def add_shift(self, body: ShiftInput) -> dict[str, Any]:
        """Book a shift; 409 when the person already holds an overlapping one."""
        if body.ends_at <= body.starts_at:
            raise ValidationFailed("ends_at must be after starts_at")
        if (body.ends_at - body.starts_at).total_seconds() > 7 * 86400:
            raise ValidationFailed("a shift lasts at most 7 days")
        try:
            with self.session.begin_nested():
                sid = self.session.execute(
                    insert(DUTY_SHIFTS)
                    .values(**body.__dict__, created_by=self.actor)
                    .returning(DUTY_SHIFTS.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            if "ex_duty_shifts_person_overlap" in str(exc.orig):
                raise Conflict(f"{body.person} already has a shift overlapping this one") from exc
            raise
        return self.shift(sid)

    def shift(self, sid: int) -> dict[str, Any]:
        """One shift (404 when unknown)."""
        row = self.session.execute(select(DUTY_SHIFTS).where(DUTY_SHIFTS.c.id == sid)).first()
        if row is None:
            raise NotFound(f"no shift {sid}")
        return row_json(row)

    def delete_shift(self, sid: int) -> None:
        """Remove a shift (its log entries stay, detached)."""
        gone = self.session.execute(
            delete(DUTY_SHIFTS).where(DUTY_SHIFTS.c.id == sid).returning(DUTY_SHIFTS.c.id)
        ).first()
        if gone is None:
            raise NotFound(f"no shift {sid}")

    def roster(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Shifts overlapping ``[start, end)``, by start time."""
        s = DUTY_SHIFTS
        rows = self.session.execute(
            select(s)
            .where(s.c.starts_at < end, s.c.ends_at > start)
            .order_by(s.c.starts_at, s.c.id)
            .limit(10_000)
        )
        return [row_json(r) for r in rows]

    def on_duty(self, at: datetime) -> list[dict[str, Any]]:
        """Who is on duty at ``at``."""
        s = DUTY_SHIFTS
        rows = self.session.execute(
            select(s).where(s.c.starts_at <= at, s.c.ends_at > at).order_by(s.c.post, s.c.id)
        )
        return [row_json(r) for r in rows]

    def add_log(self, body: LogInput) -> dict[str, Any]:
        """Write a log entry, attached to its shift (given, or the one on duty at its time)."""
        if body.kind not in LOG_KINDS:
            raise ValidationFailed(f"kind must be one of {', '.join(LOG_KINDS)}")
        at = body.at or self.session.execute(select(func.now())).scalar_one()
        shift_id = body.shift_id
        if shift_id is not None:
            self.shift(shift_id)
        else:
            s = DUTY_SHIFTS
            shift_id = self.session.execute(
                select(s.c.id)
                .where(s.c.starts_at <= at, s.c.ends_at > at)
                .order_by(s.c.starts_at, s.c.id)
                .limit(1)
            ).scalar()
        if body.incident_id is not None:
            found = self.session.execute(
                text("SELECT 1 FROM incidents WHERE id = :i"), {"i": body.incident_id}
            ).first()
            if found is None:
                raise NotFound(f"no incident {body.incident_id}")
        lid = self.session.execute(
            insert(DUTY_LOG)
            .values(
                at=at,
                shift_id=shift_id,
                incident_id=body.incident_id,
                kind=body.kind,
                text=body.text,
                author=self.actor,
            )
            .returning(DUTY_LOG.c.id)
        ).scalar_one()
        row = self.session.execute(select(DUTY_LOG).where(DUTY_LOG.c.id == lid)).one()
        return row_json(row)

    def log(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        shift_id: int | None = None,
        incident_id: int | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Log entries, newest first, by time window, shift or incident."""
        g = DUTY_LOG
        where = []
        if start is not None:
            where.append(g.c.at >= start)
        if end is not None:
            where.append(g.c.at < end)
        if shift_id is not None:
            where.append(g.c.shift_id == shift_id)
        if incident_id is not None:
            where.append(g.c.incident_id == incident_id)
        q = select(g).order_by(g.c.at.desc(), g.c.id.desc()).limit(limit)
        if where:
            q = q.where(and_(*where))
        return [row_json(r) for r in self.session.execute(q)]


__all__ = ["LOG_KINDS", "DutyService", "LogInput", "ShiftInput"]

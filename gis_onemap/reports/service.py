"""Reporting use cases: the deadlines an incident owes, reports filed against them, drafts.

``refresh`` recomputes an incident's open obligations from its times, event and severity under
the current table (call it whenever those change); fulfilled ones stay as they were. Filing a
report fulfils the earliest open obligation of the same kind and form; a written report also
fulfils an open verbal one of the same kind (the written report says at least as much).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from gis_onemap.categories.events import EVENT_CATEGORIES, EVENT_TYPES_BY_VALUE, SEVERITIES
from gis_onemap.db.rows import row_json
from gis_onemap.db.tables import (
    INCIDENT_REPORTS,
    REPORT_ATTACHMENTS,
    REPORT_DEADLINE_TABLES,
    REPORT_OBLIGATIONS,
)
from gis_onemap.errors import LimitExceeded, NotFound, ValidationFailed
from gis_onemap.live.events import publish
from gis_onemap.reports.deadlines import check_table, default_table, obligations

_INCIDENT = text("SELECT *, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incidents WHERE id = :id")
_CAT_ZH = {c.value: c.zh for c in EVENT_CATEGORIES}
_SEV_ZH = {s.value: s.zh for s in SEVERITIES}
_KIND_ZH = {"initial": "初报", "follow_up": "续报", "final": "终报"}
_FORM_ZH = {"verbal": "口头", "written": "书面"}


@dataclass(frozen=True)
class Attachment:
    """A file sent with a report (base64 in JSON bodies)."""

    name: str
    media_type: str
    data_base64: str


@dataclass(frozen=True)
class ReportInput:
    """A report as filed."""

    kind: str
    form: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)
    filed_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()


class ReportService:
    """Reports and deadlines over one session (the caller's transaction)."""

    def __init__(
        self, session: Session, actor: str = "system", max_attachment_bytes: int = 5 * 1024**2
    ) -> None:
        self.session = session
        self.actor = actor
        self.max_attachment_bytes = max_attachment_bytes

    # -- the deadline table -----------------------------------------------------------------------
    def table(self) -> dict[str, Any]:
        """The table in force: the newest stored one, else the shipped default."""
        stored = self.session.execute(
            select(REPORT_DEADLINE_TABLES.c.table)
            .order_by(REPORT_DEADLINE_TABLES.c.id.desc())
            .limit(1)
        ).scalar()
        return dict(stored) if stored else default_table()

    def put_table(self, table: Any) -> dict[str, Any]:
        """Store a bureau's table (422 listing gaps/overlaps) and re-time every open report."""
        checked = check_table(table)
        self.session.execute(
            insert(REPORT_DEADLINE_TABLES).values(table=checked, created_by=self.actor)
        )
        open_ids = self.session.execute(
            select(REPORT_OBLIGATIONS.c.incident_id)
            .where(REPORT_OBLIGATIONS.c.report_id.is_(None))
            .distinct()
        ).scalars()
        for incident_id in list(open_ids):
            self.refresh(incident_id)
        return checked

    # -- obligations ------------------------------------------------------------------------------
    def _incident(self, incident_id: int) -> Any:
        row = self.session.execute(_INCIDENT, {"id": incident_id}).mappings().first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return row

    def refresh(self, incident_id: int) -> None:
        """Recompute the incident's open obligations; fulfilled ones are kept.

        Run after a create or a change of its times, event or severity.
        """
        inc = self._incident(incident_id)
        o = REPORT_OBLIGATIONS
        self.session.execute(
            delete(o).where(o.c.incident_id == incident_id, o.c.report_id.is_(None))
        )
        done = {
            (r.kind, r.form)
            for r in self.session.execute(
                select(o.c.kind, o.c.form).where(o.c.incident_id == incident_id)
            )
        }
        times = {k: inc.get(k) for k in ("occurred_at", "reported_at", "received_at")}
        severity = inc.get("severity_effective", inc.get("severity"))
        due = obligations(self.table(), inc["event_category"], severity, times)
        rows = [
            {"incident_id": incident_id, "kind": d.kind, "form": d.form, "due_at": d.due_at,
             "rule": d.rule}
            for d in due
            if (d.kind, d.form) not in done
        ]  # fmt: skip
        if rows:
            self.session.execute(insert(o), rows)
        # reports filed before the obligation existed (e.g. the severity rose) still count
        for r in self.session.execute(
            select(INCIDENT_REPORTS.c.id, INCIDENT_REPORTS.c.kind, INCIDENT_REPORTS.c.form,
                   INCIDENT_REPORTS.c.filed_at)
            .where(INCIDENT_REPORTS.c.incident_id == incident_id)
            .order_by(INCIDENT_REPORTS.c.filed_at)
        ):  # fmt: skip
            self._fulfil(incident_id, r.id, r.kind, r.form, r.filed_at)

    def _fulfil(
        self, incident_id: int, report_id: int, kind: str, form: str, filed_at: datetime
    ) -> None:
        o = REPORT_OBLIGATIONS
        forms = ["written", "verbal"] if form == "written" else ["verbal"]
        open_rows = self.session.execute(
            select(o.c.id, o.c.form)
            .where(
                o.c.incident_id == incident_id,
                o.c.kind == kind,
                o.c.form.in_(forms),
                o.c.report_id.is_(None),
            )
            .order_by(o.c.due_at)
        ).all()
        # the obligation of the report's own form first, then (written only) the verbal one
        for oid, _ in sorted(open_rows, key=lambda r: r.form != form):
            self.session.execute(
                update(o).where(o.c.id == oid).values(report_id=report_id, done_at=filed_at)
            )

    def clocks(self, incident_id: int, now: datetime | None = None) -> dict[str, Any]:
        """What is done, due and overdue for the incident."""
        self._incident(incident_id)
        now = now or self.session.execute(select(func.now())).scalar_one()
        o = REPORT_OBLIGATIONS
        rows = self.session.execute(
            select(o).where(o.c.incident_id == incident_id).order_by(o.c.due_at, o.c.id)
        ).all()
        out = []
        for r in rows:
            item = row_json(r)
            if r.report_id is not None:
                item["state"] = "done" if r.done_at <= r.due_at else "done_late"
            else:
                item["state"] = "overdue" if r.due_at < now else "due"
            item["label"] = f"{_KIND_ZH[r.kind]}（{_FORM_ZH[r.form]}）"
            out.append(item)
        return {
            "incident_id": incident_id,
            "now": now.isoformat(),
            "obligations": out,
            "overdue": sum(1 for x in out if x["state"] == "overdue"),
            "due": sum(1 for x in out if x["state"] == "due"),
        }

    def overdue_incident_ids(self) -> list[int]:
        """Incidents with at least one report past its deadline and not filed."""
        o = REPORT_OBLIGATIONS
        return list(
            self.session.execute(
                select(o.c.incident_id)
                .where(o.c.report_id.is_(None), o.c.due_at < func.now())
                .distinct()
                .order_by(o.c.incident_id)
            ).scalars()
        )

    # -- reports ----------------------------------------------------------------------------------
    def file(self, incident_id: int, body: ReportInput) -> dict[str, Any]:
        """File a report (with attachments); it fulfils the matching open deadline."""
        self._incident(incident_id)
        files = []
        problems = []
        for i, a in enumerate(body.attachments):
            try:
                data = base64.b64decode(a.data_base64, validate=True)
            except (binascii.Error, ValueError):
                problems.append(f"attachments[{i}]: data_base64 is not base64")
                continue
            if len(data) > self.max_attachment_bytes:
                raise LimitExceeded(
                    f"attachments[{i}] is {len(data)} bytes; the limit is "
                    f"{self.max_attachment_bytes}"
                )
            files.append((a, data))
        if problems:
            raise ValidationFailed("the report is not valid", details=problems)
        values: dict[str, Any] = {
            "incident_id": incident_id,
            "kind": body.kind,
            "form": body.form,
            "text": body.text,
            "figures": body.figures,
            "author": self.actor,
        }
        if body.filed_at is not None:
            values["filed_at"] = body.filed_at
        rid, filed_at = self.session.execute(
            insert(INCIDENT_REPORTS)
            .values(values)
            .returning(INCIDENT_REPORTS.c.id, INCIDENT_REPORTS.c.filed_at)
        ).one()
        for a, data in files:
            self.session.execute(
                insert(REPORT_ATTACHMENTS).values(
                    report_id=rid,
                    name=a.name,
                    media_type=a.media_type,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    data=data,
                )
            )
        self._fulfil(incident_id, rid, body.kind, body.form, filed_at)
        # last in the transaction (the bus serialises publishers until COMMIT)
        publish(
            self.session,
            incident_id=incident_id,
            kind="report.filed",
            payload={"id": rid, "kind": body.kind, "form": body.form},
        )
        return self.report(incident_id, rid)

    def report(self, incident_id: int, report_id: int) -> dict[str, Any]:
        """One report with its attachments' names, sizes and hashes."""
        r = INCIDENT_REPORTS
        row = self.session.execute(
            select(r).where(r.c.id == report_id, r.c.incident_id == incident_id)
        ).first()
        if row is None:
            raise NotFound(f"no report {report_id} for incident {incident_id}")
        a = REPORT_ATTACHMENTS
        item = row_json(row)
        item["attachments"] = [
            row_json(x)
            for x in self.session.execute(
                select(a.c.id, a.c.name, a.c.media_type, a.c.size, a.c.sha256)
                .where(a.c.report_id == report_id)
                .order_by(a.c.id)
            )
        ]
        return item

    def reports(self, incident_id: int) -> list[dict[str, Any]]:
        """The incident's reports, in the order they were filed."""
        self._incident(incident_id)
        r = INCIDENT_REPORTS
        ids = self.session.execute(
            select(r.c.id).where(r.c.incident_id == incident_id).order_by(r.c.filed_at, r.c.id)
        ).scalars()
        return [self.report(incident_id, rid) for rid in list(ids)]

    # -- a draft for the duty officer -----------------------------------------------------------
    def draft(self, incident_id: int, radius_m: float = 5000.0) -> dict[str, Any]:
        """A report text from the map: where, what, how severe, what is around, what was sent.

        Counts are of usable resources (as in the surroundings) within ``radius_m``; the text
        is a starting point the duty officer edits, not a filed report.
        """
        inc = self._incident(incident_id)
        district = self.session.execute(
            text(
                "SELECT name FROM regions WHERE level = 'county' AND "
                "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) LIMIT 1"
            ),
            {"x": inc["lon"], "y": inc["lat"]},
        ).scalar()
        around = (
            self.session.execute(
                text(_AROUND_SQL), {"x": inc["lon"], "y": inc["lat"], "r": radius_m}
            )
            .mappings()
            .one()
        )
        sent = self.session.execute(
            text(
                "SELECT collection, count(*) AS n, coalesce(sum(people), 0)::bigint AS people, "
                "coalesce(sum(vehicles), 0)::bigint AS vehicles FROM dispatches "
                "WHERE incident_id = :i AND status <> 'released' GROUP BY collection"
            ),
            {"i": incident_id},
        ).mappings().all() if self._has_table("dispatches") else []  # fmt: skip
        event = EVENT_TYPES_BY_VALUE.get(inc["event_type"])
        severity = inc.get("severity_effective", inc.get("severity"))
        when = inc.get("occurred_at") or inc.get("reported_at") or inc["received_at"]
        lines = [
            f"【{_CAT_ZH.get(inc['event_category'], inc['event_category'])}·"
            f"{event.zh if event else inc['event_type']}】事件报告（草稿）",
            f"一、时间：{when.astimezone().strftime('%Y年%m月%d日%H时%M分')}。",
            f"二、地点：{district or '湛江市'}，经度{inc['lon']:.5f}、纬度{inc['lat']:.5f}。",
            f"三、事件等级：{_SEV_ZH.get(severity, '待定') if severity else '待定'}。",
        ]
        casualties = [
            (label, inc.get(col))
            for label, col in (("死亡", "dead"), ("失踪", "missing"), ("受伤", "injured"))
            if inc.get(col) is not None
        ]
        if casualties:
            lines.append("四、人员伤亡：" + "，".join(f"{k}{v}人" for k, v in casualties) + "。")
        else:
            lines.append("四、人员伤亡：正在核实。")
        lines.append(
            f"五、周边情况（{radius_m / 1000:g}公里内）：重点防护目标{around['targets']}处"
            f"（涉及人员约{around['target_people']}人），重大危险源{around['hazards']}处，"
            f"可用救援队伍{around['teams']}支（{around['team_people']}人），"
            f"应急避难场所{around['shelters']}处（可容纳{around['shelter_capacity']}人）。"
        )
        if sent:
            parts = []
            for s in sent:
                if s["collection"] == "rescue_teams":
                    parts.append(f"救援队伍{s['n']}支（{s['people']}人、车辆{s['vehicles']}台）")
                else:
                    parts.append(f"物资{s['n']}批")
            lines.append("六、已调派力量：" + "，".join(parts) + "。")
        else:
            lines.append("六、已调派力量：暂无。")
        lines.append("七、下一步工作：（请值班人员填写）")
        return {
            "incident_id": incident_id,
            "radius_m": radius_m,
            "text": "\n".join(lines),
            "figures": {
                "district": district,
                **{k: around[k] for k in around},
                "dispatched": [dict(s) for s in sent],
            },
        }

    def _has_table(self, name: str) -> bool:
        return bool(self.session.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar())


# usable resources only, the same rules as the surroundings (deployed teams are left out)
_AROUND_SQL = """
WITH o AS (SELECT ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography AS g)
SELECT
  (SELECT count(*) FROM protected_targets t, o WHERE ST_DWithin(t.geom::geography, o.g, :r))
    AS targets,
  (SELECT coalesce(sum(population), 0)::bigint FROM protected_targets t, o
    WHERE ST_DWithin(t.geom::geography, o.g, :r)) AS target_people,
  (SELECT count(*) FROM hazard_sources t, o WHERE ST_DWithin(t.geom::geography, o.g, :r))
    AS hazards,
  (SELECT count(*) FROM rescue_teams t, o WHERE ST_DWithin(t.geom::geography, o.g, :r)
    AND t.status IS DISTINCT FROM 'deployed' AND t.status IS DISTINCT FROM 'unavailable')
    AS teams,
  (SELECT coalesce(sum(headcount), 0)::bigint FROM rescue_teams t, o
    WHERE ST_DWithin(t.geom::geography, o.g, :r)
    AND t.status IS DISTINCT FROM 'deployed' AND t.status IS DISTINCT FROM 'unavailable')
    AS team_people,
  (SELECT count(*) FROM shelters t, o WHERE ST_DWithin(t.geom::geography, o.g, :r)) AS shelters,
  (SELECT coalesce(sum(capacity), 0)::bigint FROM shelters t, o
    WHERE ST_DWithin(t.geom::geography, o.g, :r)) AS shelter_capacity
"""

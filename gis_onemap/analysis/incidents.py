"""Incident repository.

Store reported incidents (server time), update them as they evolve (``PATCH``: row locked,
``If-Match`` checked, severity re-derived) and read them as GeoJSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis_onemap.analysis.incident_rules import (
    PEOPLE_FIELDS,
    IncidentRules,
    check_incident,
    resolve_severity,
)
from gis_onemap.analysis.inputs import Origin, origin_from
from gis_onemap.analysis.schemas import IncidentCreate, IncidentPatch, _check_event
from gis_onemap.auth.dbcontext import is_rls_violation
from gis_onemap.db.engine import database_error
from gis_onemap.db.etags import IfMatch, feature_etag
from gis_onemap.db.geojson import feature_json
from gis_onemap.db.tables import INCIDENTS, REPORT_OBLIGATIONS
from gis_onemap.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed

_PROPS = (
    "event_category",
    "event_type",
    "severity",
    "severity_source",
    "severity_derived",
    "severity_basis",
    "severity_reported",
    "severity_override",
    "severity_override_reason",
    "occurred_at",
    "reported_at",
    "received_at",
    "updated_at",
    *PEOPLE_FIELDS,
    "direct_loss_yuan",
    "description",
)
#: Body fields stored under another column name.
_COLUMN_OF = {"severity": "severity_reported"}
#: What a create or patch may set (besides the point).
_FACTS = (
    "event_category",
    "event_type",
    "occurred_at",
    "reported_at",
    *PEOPLE_FIELDS,
    "direct_loss_yuan",
    "severity_reported",
    "severity_override",
    "severity_override_reason",
    "description",
)


@dataclass(frozen=True)
class Incident:
    """An incident as the analyses need it."""

    id: int
    origin: Origin
    event_category: str
    event_type: str
    severity: str | None
    received_at: datetime


def _feature_expr() -> Any:
    return feature_json(INCIDENTS, _PROPS, strip_nulls=False)


class IncidentRepository:
    """Create, read and list incidents."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, body: IncidentCreate, rules: IncidentRules | None = None) -> int:
        """Store an incident (its point converted to WGS84); returns the new id.

        :class:`ValidationFailed` lists every problem of its facts; nothing is written. ``rules``:
        the grading table and clock tolerance (default: the shipped ones).
        """
        rules = rules or IncidentRules.default()
        origin = origin_from(body.lon, body.lat, body.crs)
        state = {_COLUMN_OF.get(k, k): v for k, v in body.model_dump().items()}
        values = self._checked(state, rules)
        stmt = (
            insert(INCIDENTS)
            .values(
                **values,
                received_at=func.now(),
                updated_at=func.clock_timestamp(),
                geom=func.ST_GeomFromEWKT(origin.ewkt),
            )
            .returning(INCIDENTS.c.id)
        )
        return int(self._write(stmt).scalar_one())

    def patch(
        self, incident_id: int, body: IncidentPatch, rules: IncidentRules, if_match: IfMatch | None
    ) -> None:
        """Merge the fields sent into the stored incident and re-derive its severity.

        The row is locked ``FOR UPDATE``, so that concurrent patches queue; the merged state is
        checked before the severity is derived.
        """
        t = INCIDENTS
        row = self.session.execute(
            select(*(t.c[c] for c in _FACTS), t.c.updated_at)
            .where(t.c.id == incident_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        if if_match is not None and not if_match.matches(feature_etag(incident_id, row.updated_at)):
            raise PreconditionFailed(
                f"incident {incident_id} has changed since the version in If-Match; "
                "GET it again (its ETag) and re-apply the change"
            )
        state = dict(row._mapping)
        del state["updated_at"]
        if state["direct_loss_yuan"] is not None:
            state["direct_loss_yuan"] = float(state["direct_loss_yuan"])
        sent = body.model_dump(include=body.model_fields_set)
        state.update({_COLUMN_OF.get(k, k): v for k, v in sent.items()})
        if "severity_override" in sent and sent["severity_override"] is None:
            state["severity_override_reason"] = None  # no override, no reason for one
        problems: list[dict[str, str]] = [
            {"parameter": k, "message": f"{k} cannot be cleared (send another value)"}
            for k in ("event_category", "event_type")
            if k in sent and sent[k] is None
        ]
        if not problems and ("event_category" in sent or "event_type" in sent):
            try:
                _check_event(state["event_category"], state["event_type"])
            except ValueError as exc:
                problems.append({"parameter": "event_type", "message": str(exc)})
        values = self._checked(state, rules, problems)
        self._write(
            update(t)
            .where(t.c.id == incident_id)
            .values(**values, updated_at=func.clock_timestamp())
        )

    @staticmethod
    def _checked(
        state: dict[str, Any], rules: IncidentRules, problems: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        problems = [
            *(problems or []),
            *check_incident(state, datetime.now(UTC), rules.future_tolerance),
        ]
        if problems:
            first = problems[0]["message"]
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise ValidationFailed(f"invalid incident: {first}{more}", details=problems)
        return {**{c: state.get(c) for c in _FACTS}, **resolve_severity(state, rules.table)}

    def _write(self, stmt: Any) -> Any:
        try:
            with self.session.begin_nested():
                return self.session.execute(stmt)
        except DBAPIError as exc:
            if is_rls_violation(exc):  # row-level security (migration 0019): another region
                raise Forbidden("the incident's place is outside this token's regions") from exc
            mapped = database_error(exc)  # a lost race: 409 "send again"; unreachable: 503
            raise (mapped or ValidationFailed("the database rejected the incident")) from exc

    def versioned(self, incident_id: int) -> tuple[dict[str, Any], str]:
        """One incident as a GeoJSON Feature and its ETag; :class:`NotFound` if there is none."""
        row = self.session.execute(
            select(_feature_expr(), INCIDENTS.c.updated_at).where(INCIDENTS.c.id == incident_id)
        ).first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return row[0], feature_etag(incident_id, row[1])

    def feature(self, incident_id: int) -> dict[str, Any]:
        """One incident as a GeoJSON Feature; :class:`NotFound` if there is none."""
        row = self.session.execute(
            select(_feature_expr()).where(INCIDENTS.c.id == incident_id)
        ).first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return row[0]  # type: ignore[no-any-return]

    def get(self, incident_id: int) -> Incident:
        """One incident for the analyses; :class:`NotFound` if there is none."""
        t = INCIDENTS
        row = self.session.execute(
            select(
                t.c.id,
                func.ST_X(t.c.geom),
                func.ST_Y(t.c.geom),
                t.c.event_category,
                t.c.event_type,
                t.c.severity,
                t.c.received_at,
            ).where(t.c.id == incident_id)
        ).first()
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return Incident(row[0], Origin(row[1], row[2]), row[3], row[4], row[5], row[6])

    def list(
        self,
        limit: int = 100,
        before_id: int | None = None,
        event_category: str | None = None,
        event_type: str | None = None,
        overdue: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` pages further back.

        ``overdue`` keeps the incidents with (``True``) or without (``False``) a report past its
        deadline and not filed.
        """
        t = INCIDENTS
        stmt = select(_feature_expr()).order_by(t.c.id.desc()).limit(limit)
        if overdue is not None:
            # the same predicate as /reports/overdue, on the partial index of open obligations
            o = REPORT_OBLIGATIONS
            late = select(o.c.incident_id).where(o.c.report_id.is_(None), o.c.due_at < func.now())
            stmt = stmt.where(t.c.id.in_(late) if overdue else t.c.id.not_in(late))
        if before_id is not None:
            stmt = stmt.where(t.c.id < before_id)
        if event_category:
            stmt = stmt.where(t.c.event_category == event_category)
        if event_type:
            stmt = stmt.where(t.c.event_type == event_type)
        return [r[0] for r in self.session.execute(stmt)]

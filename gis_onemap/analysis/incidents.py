"""Incident repository: store reported incidents (server time) and read them back as GeoJSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import Origin, origin_from
from gis_onemap.analysis.schemas import IncidentCreate
from gis_onemap.db.engine import database_error
from gis_onemap.db.geojson import feature_json
from gis_onemap.db.tables import INCIDENTS
from gis_onemap.errors import NotFound, ValidationFailed

_PROPS = ("event_category", "event_type", "severity", "reported_at", "received_at", "description")


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

    def create(self, body: IncidentCreate) -> int:
        """Store an incident (its point converted to WGS84); returns the new id."""
        origin = origin_from(body.lon, body.lat, body.crs)
        stmt = (
            insert(INCIDENTS)
            .values(
                event_category=body.event_category,
                event_type=body.event_type,
                severity=body.severity,
                reported_at=body.reported_at,
                description=body.description,
                received_at=func.now(),
                geom=func.ST_GeomFromEWKT(origin.ewkt),
            )
            .returning(INCIDENTS.c.id)
        )
        try:
            with self.session.begin_nested():
                return int(self.session.execute(stmt).scalar_one())
        except DBAPIError as exc:
            mapped = database_error(exc)  # a lost race: 409 "send again"; unreachable: 503
            raise (mapped or ValidationFailed("the database rejected the incident")) from exc

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
    ) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` pages further back."""
        t = INCIDENTS
        stmt = select(_feature_expr()).order_by(t.c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(t.c.id < before_id)
        if event_category:
            stmt = stmt.where(t.c.event_category == event_category)
        if event_type:
            stmt = stmt.where(t.c.event_type == event_type)
        return [r[0] for r in self.session.execute(stmt)]

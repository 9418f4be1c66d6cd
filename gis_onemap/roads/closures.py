"""Road closures.

Store, list and remove them (the use cases behind ``/roads/closures`` and ``onemap roads
closures``).

A closure is an area (Polygon/MultiPolygon, WGS84) whose roads are closed, and/or a list of
edge ids, for a reason and an optional validity window. Routing reads ``road_closures``
directly (:func:`gis_onemap.roads.routing.edges_sql`), so a stored closure takes effect on the
next request. Everything is checked before anything is stored: a bad closure changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import shapely
import shapely.geometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import NotFound, ValidationFailed

#: Most vertices of one closure polygon (bounds the work of every route that reads it).
MAX_VERTICES = 10_000
#: Most edge ids listed in one closure.
MAX_EDGE_IDS = 10_000
#: Longest reason text.
MAX_REASON = 500

_FEATURE_SQL = """
SELECT c.id, ST_AsGeoJSON(c.geom, 7), c.reason, c.edge_ids, c.valid_from, c.valid_to,
       c.created_at, c.created_by,
       (SELECT count(*) FROM road_edges e
        WHERE e.id = ANY(c.edge_ids) OR (c.geom IS NOT NULL AND ST_Intersects(c.geom, e.geom)))
       AS closed_edges,
       (c.valid_from IS NULL OR c.valid_from <= now())
       AND (c.valid_to IS NULL OR c.valid_to > now()) AS active
FROM road_closures c
"""


@dataclass(frozen=True)
class ClosureInput:
    """A closure as a client sends it (checked by :func:`check_closure`)."""

    reason: str | None
    geometry: dict[str, Any] | None = None
    edge_ids: Sequence[int] = ()
    valid_from: datetime | None = None
    valid_to: datetime | None = None


def check_geometry(geometry: Any, max_vertices: int = MAX_VERTICES) -> shapely.Geometry:
    """A closure area: a valid Polygon or MultiPolygon of ≤ ``max_vertices`` WGS84 vertices.

    >>> check_geometry({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}).area
    0.5
    >>> check_geometry({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ValidationFailed: a closure's geometry must be a Polygon or MultiPolygon \
(got LineString)
    """
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed(
            f"a closure's geometry must be a Polygon or MultiPolygon (got {kind or 'nothing'})"
        )
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise ValidationFailed("the closure's geometry is not a valid GeoJSON polygon") from None
    n = shapely.get_num_coordinates(shape)
    if n > max_vertices:
        raise ValidationFailed(f"a closure polygon may have at most {max_vertices} vertices")
    if shape.is_empty or not shapely.is_valid(shape):
        reason = shapely.is_valid_reason(shape)
        raise ValidationFailed(f"the closure's polygon is not valid ({reason})")
    xmin, ymin, xmax, ymax = shape.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise ValidationFailed("the closure's coordinates must be WGS84 longitude/latitude")
    return shape


def check_closure(
    session: Session, body: ClosureInput, max_vertices: int = MAX_VERTICES
) -> tuple[shapely.Geometry | None, list[int]]:
    """The checked area and edge ids; :class:`ValidationFailed` (422) names what is wrong."""
    if not body.reason or not body.reason.strip():
        raise ValidationFailed("a closure needs a reason")
    if len(body.reason) > MAX_REASON:
        raise ValidationFailed(f"the reason may be at most {MAX_REASON} characters")
    shape = None if body.geometry is None else check_geometry(body.geometry, max_vertices)
    ids = sorted({int(i) for i in body.edge_ids})
    if shape is None and not ids:
        raise ValidationFailed("a closure needs a geometry (polygon) or edge_ids, or both")
    if len(ids) > MAX_EDGE_IDS:
        raise ValidationFailed(f"at most {MAX_EDGE_IDS} edge_ids per closure")
    if ids:
        known = {
            int(r[0])
            for r in session.execute(
                text("SELECT id FROM road_edges WHERE id = ANY(CAST(:ids AS bigint[]))"),
                {"ids": ids},
            )
        }
        unknown = [i for i in ids if i not in known]
        if unknown:
            shown = ", ".join(str(i) for i in unknown[:10])
            raise ValidationFailed(f"unknown edge_ids: {shown}", details={"unknown": unknown[:100]})
    if body.valid_from and body.valid_to and body.valid_to <= body.valid_from:
        raise ValidationFailed("valid_to must be after valid_from")
    for name, value in (("valid_from", body.valid_from), ("valid_to", body.valid_to)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(f"{name} needs a time zone (RFC 3339, e.g. ...+08:00)")
    return shape, ids


class ClosureRepository:
    """Road closures in ``road_closures``."""

    def __init__(self, session: Session, *, max_vertices: int = MAX_VERTICES) -> None:
        self.session = session
        self.max_vertices = max_vertices

    def add(self, body: ClosureInput, created_by: str | None = None) -> dict[str, Any]:
        """Store a checked closure; returns it as a Feature with ``closed_edges``."""
        shape, ids = check_closure(self.session, body, self.max_vertices)
        new_id = self.session.execute(
            text(
                "INSERT INTO road_closures (reason, geom, edge_ids, valid_from, valid_to,"
                " created_by) VALUES (:reason, ST_GeomFromWKB(:wkb, 4326),"
                " CAST(:ids AS bigint[]), :vf, :vt, :by) RETURNING id"
            ),
            {
                "reason": body.reason.strip() if body.reason else body.reason,
                "wkb": None if shape is None else shapely.to_wkb(shape),
                "ids": ids,
                "vf": body.valid_from,
                "vt": body.valid_to,
                "by": created_by,
            },
        ).scalar_one()
        return self.get(int(new_id))

    def get(self, closure_id: int) -> dict[str, Any]:
        """One closure as a Feature; :class:`NotFound` if there is none."""
        row = self.session.execute(
            text(_FEATURE_SQL + " WHERE c.id = :id"), {"id": closure_id}
        ).first()
        if row is None:
            raise NotFound(f"no road closure {closure_id}")
        return _feature(row)

    def list(self, include_expired: bool = False) -> dict[str, Any]:
        """Active and future closures (every one with ``include_expired``), oldest first."""
        where = "" if include_expired else " WHERE c.valid_to IS NULL OR c.valid_to > now()"
        rows = self.session.execute(text(_FEATURE_SQL + where + " ORDER BY c.id")).all()
        features = [_feature(r) for r in rows]
        return {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}

    def remove(self, closure_id: int) -> None:
        """Delete a closure (its roads open again); :class:`NotFound` if there is none."""
        gone = self.session.execute(
            text("DELETE FROM road_closures WHERE id = :id RETURNING id"), {"id": closure_id}
        ).first()
        if gone is None:
            raise NotFound(f"no road closure {closure_id}")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _feature(row: Any) -> dict[str, Any]:
    cid, geojson, reason, edge_ids, vf, vt, created, by, closed, active = row
    return {
        "type": "Feature",
        "id": int(cid),
        "geometry": orjson.loads(geojson) if geojson else None,
        "properties": {
            "reason": reason,
            "edge_ids": [int(i) for i in edge_ids or []],
            "valid_from": _iso(vf),
            "valid_to": _iso(vt),
            "created_at": _iso(created),
            "created_by": by,
            "closed_edges": int(closed),
            "active": bool(active),
        },
    }

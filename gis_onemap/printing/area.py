"""What area a print or bundle covers.

A WGS84 bbox, a region (``regions`` table) or an incident with a radius; exactly one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis_onemap.analysis.geodesy import geodesic_buffer
from gis_onemap.analysis.incidents import Incident, IncidentRepository
from gis_onemap.analysis.inputs import check_radius
from gis_onemap.db.tables import REGIONS
from gis_onemap.errors import InvalidInput, NotFound
from gis_onemap.query.items import check_wgs84_bbox, parse_bbox

#: Radius (m) around an incident when none is given.
DEFAULT_INCIDENT_RADIUS_M = 5000.0

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class PrintArea:
    """The area of interest in WGS84: its outline, bbox and a Chinese name for titles."""

    geometry: BaseGeometry
    label: str
    region_code: str | None = None
    incident: Incident | None = None
    radius_m: float | None = None

    @property
    def bbox(self) -> Bbox:
        """The area's bounding box (lon/lat)."""
        minx, miny, maxx, maxy = self.geometry.bounds
        return (float(minx), float(miny), float(maxx), float(maxy))


def check_extent(box: Bbox) -> Bbox:
    """A WGS84 box with some width and height (an empty area cannot be printed).

    >>> check_extent((110.0, 21.0, 110.2, 21.1))
    (110.0, 21.0, 110.2, 21.1)
    >>> check_extent((110.0, 21.0, 110.0, 21.1))
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: the area is empty: bbox must have a width and a height
    """
    check_wgs84_bbox(box)
    if not (box[2] > box[0] and box[3] > box[1]):
        raise InvalidInput("the area is empty: bbox must have a width and a height")
    return box


def resolve_area(
    session: Session,
    *,
    bbox: str | Bbox | None = None,
    region_code: str | None = None,
    incident_id: int | None = None,
    radius_m: float | None = None,
) -> PrintArea:
    """The area named by exactly one of ``bbox``, ``region_code`` or ``incident_id``.

    ``bbox`` is ``minlon,minlat,maxlon,maxlat``, ``region_code`` a code of the ``regions`` table,
    ``incident_id`` goes with ``radius_m``.
    """
    given = [bbox is not None, region_code is not None, incident_id is not None]
    if sum(given) != 1:
        raise InvalidInput("give exactly one area: bbox, region_code or incident")
    if bbox is not None:
        box = parse_bbox(bbox) if isinstance(bbox, str) else tuple(float(v) for v in bbox)
        if box is None or len(box) != 4:
            raise InvalidInput("bbox must be minlon,minlat,maxlon,maxlat")
        box = check_extent(box)
        label = f"{box[0]:.3f},{box[1]:.3f} – {box[2]:.3f},{box[3]:.3f}"
        return PrintArea(shapely.box(*box), label)
    if region_code is not None:
        row = session.execute(
            select(REGIONS.c.name, func.ST_AsBinary(REGIONS.c.geom)).where(
                REGIONS.c.code == region_code
            )
        ).first()
        if row is None:
            raise NotFound(f"no region with code {region_code!r}")
        return PrintArea(shapely.from_wkb(bytes(row[1])), str(row[0]), region_code=region_code)
    assert incident_id is not None
    radius = check_radius(DEFAULT_INCIDENT_RADIUS_M if radius_m is None else radius_m)
    incident = IncidentRepository(session).get(incident_id)
    circle = geodesic_buffer(shapely.Point(incident.origin.lon, incident.origin.lat), radius)
    return PrintArea(circle, f"事件{incident.id}", incident=incident, radius_m=radius)

"""Which incidents' situation layers a caller may discover and read (issue 17).

``GET /collections`` lists one ``situation-{id}`` collection per *open* incident so that an OGC
client (QGIS) finds the layers it can edit. Incidents carry no status column: an incident is
closed once its final report (终报) is filed — the reporting rules end there — and closed
incidents are not listed (their layers stay reachable by id). The list is the newest open
incidents first, at most ``Settings.situation_collections_max``, because incidents accumulate
for years while a client's collection list must stay short.

Who may see a layer follows the live events (``live/events.py``): reading needs a token
(viewer and above); a token limited to regions sees the incidents whose region — the smallest
region holding the point — lies in its regions, never one whose region is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.auth.principal import Principal, Role
from gis_onemap.errors import Forbidden, NotFound

_SQL = text((Path(__file__).parent / "sql" / "situation_collections.sql").read_text("utf-8"))


def region_patterns(principal: Principal) -> list[str]:
    r"""``LIKE`` patterns of the caller's regions (a code covers the codes it starts with).

    >>> region_patterns(Principal("d", Role.viewer, ("4408", "44_1")))
    ['4408%', '44\\_1%']
    >>> region_patterns(Principal("all", Role.viewer))
    []
    """
    escape = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
    return [c.translate(escape) + "%" for c in principal.region_codes]


@dataclass(frozen=True)
class SituationLayer:
    """One incident's situation layer as the collection list shows it."""

    incident_id: int
    lon: float
    lat: float
    region_code: str | None
    count: int
    annotations_bbox: tuple[float, float, float, float] | None
    closed: bool

    @property
    def bbox(self) -> list[float]:
        """The extent: the annotations' and the incident point's.

        >>> SituationLayer(1, 110.3, 21.2, None, 0, None, False).bbox
        [110.3, 21.2, 110.3, 21.2]
        >>> SituationLayer(1, 110.3, 21.2, None, 1, (110.2, 21.3, 110.4, 21.4), False).bbox
        [110.2, 21.2, 110.4, 21.4]
        """
        b = self.annotations_bbox
        if b is None:
            return [self.lon, self.lat, self.lon, self.lat]
        return [min(b[0], self.lon), min(b[1], self.lat), max(b[2], self.lon), max(b[3], self.lat)]


def _query(
    session: Session, principal: Principal, limit: int, incident_id: int | None
) -> list[SituationLayer]:
    rows = session.execute(
        _SQL,
        {
            "incident_id": incident_id,
            "all_regions": not principal.region_codes,
            "patterns": region_patterns(principal),
            "n": limit,
        },
    ).all()
    return [
        SituationLayer(
            int(r.id), float(r.lon), float(r.lat), r.region_code, int(r.n),
            None if r.x0 is None else (float(r.x0), float(r.y0), float(r.x1), float(r.y1)),
            bool(r.closed),
        )
        for r in rows
    ]  # fmt: skip


def listed_layers(session: Session, principal: Principal, limit: int) -> list[SituationLayer]:
    """The open incidents' layers this caller may read, newest first (none for anonymous)."""
    if principal.role < Role.viewer or limit <= 0:
        return []
    return _query(session, principal, limit, None)


def readable_layer(session: Session, principal: Principal, incident_id: int) -> SituationLayer:
    """One incident's layer, open or closed.

    ``NotFound`` without the incident, ``Forbidden`` when it lies outside the caller's regions.
    """
    found = _query(session, principal, 1, incident_id)
    if found:
        return found[0]
    exists = session.execute(
        text("SELECT 1 FROM incidents WHERE id = :id"), {"id": incident_id}
    ).first()
    if exists is None:
        raise NotFound(f"no incident {incident_id}")
    raise Forbidden(f"incident {incident_id} lies outside the regions of this token")

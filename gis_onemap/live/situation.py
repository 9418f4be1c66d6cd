"""The shared situation layer (态势标绘).

Annotations of one incident — a point, line or polygon with a symbol from the shipped set
(``symbols.py``), a label, the time it was observed and its author (the caller's name) — as OGC API
Features items with Part 4 writes.

Writes lock the row (``SELECT … FOR UPDATE``), check ``If-Match`` against its ETag (id +
``updated_at``, as for the category items), and publish a ``situation.created`` /
``situation.updated`` / ``situation.deleted`` event in the same transaction, so every open
map shows the change once it is committed. A token limited to regions writes only on
incidents located in them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.auth.principal import Principal
from gis_onemap.categories.validation import checked_geometry
from gis_onemap.db.etags import IfMatch, feature_etag
from gis_onemap.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from gis_onemap.limits import InputLimits
from gis_onemap.live.events import incident_region, publish
from gis_onemap.live.symbols import symbols

#: The properties a client may send (the others are the server's).
WRITABLE = ("symbol", "label", "observed_at")
SERVER_SET = ("incident_id", "author", "created_at", "updated_at", "symbol_zh", "symbol_en")
MAX_LABEL = 500

_FEATURE_SQL = """
SELECT a.id, a.updated_at, json_build_object(
    'type', 'Feature', 'id', a.id,
    'geometry', CAST(ST_AsGeoJSON(a.geom, 7) AS json),
    'properties', json_build_object(
        'incident_id', a.incident_id, 'symbol', a.symbol, 'label', a.label,
        'observed_at', a.observed_at, 'author', a.author,
        'created_at', a.created_at, 'updated_at', a.updated_at)) AS feature
FROM situation_annotations a
"""


def _with_labels(feature: dict[str, Any]) -> dict[str, Any]:
    sym = symbols().get(feature["properties"]["symbol"])
    if sym is not None:
        feature["properties"]["symbol_zh"] = sym.zh
        feature["properties"]["symbol_en"] = sym.en
    return feature


def _observed_at(value: Any) -> datetime | str | None:
    """A parsed time, ``None``, or an error message."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        return "must be an ISO 8601 time with its offset"
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return "must be an ISO 8601 time with its offset"
    return parsed if parsed.tzinfo else "needs a time zone offset, e.g. +08:00"


def check_annotation(
    feature: Any, limits: InputLimits, *, partial: bool = False
) -> tuple[dict[str, Any], BaseGeometry | None]:
    """A GeoJSON Feature → properties to store and its WGS84 geometry.

    The geometry is ``None`` when a PATCH leaves it; ``ValidationFailed`` lists every problem.

    >>> props, geom = check_annotation({"type": "Feature", "geometry": {"type": "Point",
    ...     "coordinates": [110.36, 21.27]}, "properties": {"symbol": "command_post"}},
    ...     InputLimits())
    >>> props["symbol"], geom.wkt
    ('command_post', 'POINT (110.36 21.27)')
    """
    if not isinstance(feature, dict):
        raise ValidationFailed("send a GeoJSON Feature object")
    if not partial and feature.get("type") != "Feature":
        raise ValidationFailed("'type' must be 'Feature'")
    props_in = feature.get("properties") or {}
    if not isinstance(props_in, dict):
        raise ValidationFailed("'properties' must be an object")
    problems: list[dict[str, str]] = []
    props: dict[str, Any] = {}
    for key, value in props_in.items():
        if key in SERVER_SET:
            continue  # echoed back from a GET: ignored, the server sets them
        if key not in WRITABLE:
            problems.append({"property": str(key)[:40], "message": "is not a property of "
                             "situation annotations (symbol, label, observed_at)"})  # fmt: skip
            continue
        if key == "symbol":
            if not isinstance(value, str) or value not in symbols():
                problems.append({"property": "symbol", "message": "must be one of "
                                 + ", ".join(symbols())})  # fmt: skip
            else:
                props["symbol"] = value
        elif key == "label":
            if value is not None and (not isinstance(value, str) or len(value) > MAX_LABEL):
                problems.append({"property": "label", "message": f"must be text of at most "
                                 f"{MAX_LABEL} characters"})  # fmt: skip
            else:
                props["label"] = value
        else:
            parsed = _observed_at(value)
            if isinstance(parsed, str):
                problems.append({"property": "observed_at", "message": parsed})
            else:
                props["observed_at"] = parsed
    if (
        not partial
        and "symbol" not in props
        and not any(p["property"] == "symbol" for p in problems)
    ):
        problems.append({"property": "symbol", "message": "is required"})
    geom = None
    if "geometry" in feature or not partial:
        try:
            geom = checked_geometry(feature.get("geometry"), limits=limits)
        except ValidationFailed as exc:
            problems.append({"property": "geometry", "message": exc.message})
    if problems:
        first = "; ".join(f"'{p['property']}' {p['message']}" for p in problems[:5])
        raise ValidationFailed(f"invalid annotation: {first}", details=problems)
    return props, geom


def _check_symbol_geometry(symbol: str, geom: BaseGeometry) -> None:
    allowed = symbols()[symbol].geometry_types
    if geom.geom_type not in allowed:
        raise ValidationFailed(
            f"a '{symbol}' is drawn as {' or '.join(allowed)}, not {geom.geom_type}",
            details=[{"property": "geometry", "message": f"must be {' or '.join(allowed)}"}],
        )


class SituationRepository:
    """The annotations of one incident."""

    def __init__(self, session: Session, incident_id: int, limits: InputLimits | None = None):
        self.session = session
        self.incident_id = incident_id
        self.limits = limits or InputLimits()

    def check_incident(self) -> None:
        """:class:`NotFound` unless the incident exists."""
        found = self.session.execute(
            text("SELECT 1 FROM incidents WHERE id = :id"), {"id": self.incident_id}
        ).first()
        if found is None:
            raise NotFound(f"no incident {self.incident_id}")

    def _check_writer(self, principal: Principal) -> None:
        self.check_incident()
        if principal.region_codes:
            region = incident_region(self.session, self.incident_id)
            if not principal.in_region(region):
                raise Forbidden(
                    f"incident {self.incident_id} lies outside the regions of this token"
                )

    # ---- reads ---------------------------------------------------------------------------------
    def features(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of the incident's annotations as GeoJSON Features, and their total."""
        rows = self.session.execute(
            text(_FEATURE_SQL + " WHERE a.incident_id = :i ORDER BY a.id LIMIT :n OFFSET :o"),
            {"i": self.incident_id, "n": limit, "o": offset},
        )
        feats = [_with_labels(r.feature) for r in rows]
        total = self.session.execute(
            text("SELECT count(*) FROM situation_annotations WHERE incident_id = :i"),
            {"i": self.incident_id},
        ).scalar_one()
        return feats, int(total)

    def extent(self) -> list[float] | None:
        """The bounding box of the incident's annotations, or ``None`` when there are none."""
        row = self.session.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(geom) AS e FROM situation_annotations WHERE incident_id = :i) s"
            ),
            {"i": self.incident_id},
        ).first()
        return None if row is None or row[0] is None else [float(v) for v in row]

    def get(self, fid: int, *, lock: bool = False) -> tuple[dict[str, Any], str]:
        """One annotation as a GeoJSON Feature and its ETag (row locked when ``lock``)."""
        sql = _FEATURE_SQL + " WHERE a.id = :id AND a.incident_id = :i"
        row = self.session.execute(
            text(sql + (" FOR UPDATE" if lock else "")), {"id": fid, "i": self.incident_id}
        ).first()
        if row is None:
            raise NotFound(f"no annotation {fid} on incident {self.incident_id}")
        return _with_labels(row.feature), feature_etag(fid, row.updated_at)

    def _locked(self, fid: int, if_match: IfMatch | None) -> dict[str, Any]:
        feature, etag = self.get(fid, lock=True)
        if if_match is not None and not if_match.matches(etag):
            raise PreconditionFailed(
                f"annotation {fid} changed since that version was read (ETag now {etag}); "
                "read it again and re-apply the change"
            )
        return feature

    # ---- writes --------------------------------------------------------------------------------
    def create(self, principal: Principal, body: Any) -> int:
        """Add an annotation from a GeoJSON Feature; returns its id."""
        self._check_writer(principal)
        props, geom = check_annotation(body, self.limits)
        assert geom is not None
        _check_symbol_geometry(props["symbol"], geom)
        fid = int(
            self.session.execute(
                text(
                    "INSERT INTO situation_annotations "
                    "(incident_id, symbol, label, observed_at, author, geom) VALUES "
                    "(:i, :symbol, :label, :observed_at, :author, ST_GeomFromWKB(:wkb, 4326)) "
                    "RETURNING id"
                ),
                {
                    "i": self.incident_id,
                    "symbol": props["symbol"],
                    "label": props.get("label"),
                    "observed_at": props.get("observed_at"),
                    "author": principal.actor,
                    "wkb": geom.wkb,
                },
            ).scalar_one()
        )
        self._publish("situation.created", fid, principal)
        return fid

    def replace(self, principal: Principal, fid: int, body: Any, if_match: IfMatch | None) -> None:
        """Replace an annotation by a GeoJSON Feature (``if_match`` checked)."""
        self._check_writer(principal)
        props, geom = check_annotation(body, self.limits)
        assert geom is not None
        _check_symbol_geometry(props["symbol"], geom)
        self._locked(fid, if_match)
        self._update(fid, {"label": None, "observed_at": None, **props}, geom)
        self._publish("situation.updated", fid, principal)

    def patch(self, principal: Principal, fid: int, body: Any, if_match: IfMatch | None) -> None:
        """Change the fields sent of an annotation (``if_match`` checked)."""
        self._check_writer(principal)
        props, geom = check_annotation(body, self.limits, partial=True)
        current = self._locked(fid, if_match)
        symbol = props.get("symbol", current["properties"]["symbol"])
        if geom is not None or "symbol" in props:
            from shapely.geometry import shape

            _check_symbol_geometry(symbol, geom if geom is not None else shape(current["geometry"]))
        self._update(fid, props, geom)
        self._publish("situation.updated", fid, principal)

    def _update(self, fid: int, props: dict[str, Any], geom: BaseGeometry | None) -> None:
        sets = [f"{k} = :{k}" for k in props]
        params: dict[str, Any] = {**props, "id": fid}
        if geom is not None:
            sets.append("geom = ST_GeomFromWKB(:wkb, 4326)")
            params["wkb"] = geom.wkb
        sets.append("updated_at = clock_timestamp()")
        # the keys are the checked WRITABLE names, never client text
        self.session.execute(
            text(f"UPDATE situation_annotations SET {', '.join(sets)} WHERE id = :id"), params
        )

    def delete(self, principal: Principal, fid: int, if_match: IfMatch | None) -> None:
        """Delete an annotation (``if_match`` checked)."""
        self._check_writer(principal)
        self._locked(fid, if_match)
        self.session.execute(text("DELETE FROM situation_annotations WHERE id = :id"), {"id": fid})
        publish(
            self.session,
            incident_id=self.incident_id,
            kind="situation.deleted",
            payload={"id": fid, "by": principal.actor},
        )

    def _publish(self, kind: str, fid: int, principal: Principal) -> None:
        feature, etag = self.get(fid)
        publish(
            self.session,
            incident_id=self.incident_id,
            kind=kind,
            payload={"feature": orjson.loads(orjson.dumps(feature)), "etag": etag,
                     "by": principal.actor},
        )  # fmt: skip


def check_paging(limit: int, offset: int, max_limit: int) -> None:
    """``InvalidInput`` for a page outside the limits.

    >>> check_paging(10, 0, 100)
    >>> check_paging(0, 0, 100)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: 'limit' must be within [1, 100]
    """
    if not 1 <= limit <= max_limit:
        raise InvalidInput(f"'limit' must be within [1, {max_limit}]")
    if offset < 0:
        raise InvalidInput("'offset' must not be negative")

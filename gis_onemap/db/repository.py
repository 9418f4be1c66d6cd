"""Feature repository: reads and writes one category's table; raises domain errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Text,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis_onemap.auth.dbcontext import is_rls_violation, missing_or_forbidden
from gis_onemap.categories import Category
from gis_onemap.categories.system_fields import STORED_PROPERTIES
from gis_onemap.categories.validation import (
    stale_derived,
    validate_geometry,
    validate_properties,
)
from gis_onemap.db.engine import database_error
from gis_onemap.db.etags import IfMatch, feature_etag
from gis_onemap.db.geojson import feature_json
from gis_onemap.db.paging import (
    SortKey,
    after,
    check_cursor_types,
    decode_cursor,
    encode_cursor,
)
from gis_onemap.db.tables import table_for
from gis_onemap.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from gis_onemap.limits import InputLimits


@dataclass
class ItemQuery:
    """What ``/items`` asks for, already parsed and checked."""

    limit: int = 100
    bbox: tuple[float, float, float, float] | None = None
    where: list[ColumnElement[bool]] = field(default_factory=list)
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    cursor: str | None = None
    include_personal: bool = False
    count: bool = True


@dataclass
class Page:
    """One page of features, the total matched, and the cursor of the next page."""

    features: list[dict[str, Any]]
    number_matched: int | None
    next_cursor: str | None


class FeatureRepository:
    """CRUD and queries on the table of one category."""

    def __init__(
        self, session: Session, category: Category, limits: InputLimits | None = None
    ) -> None:
        self.session = session
        self.category = category
        self.table = table_for(category.id)
        self.limits = limits or InputLimits()  # geometry and 'extra' size of writes

    @staticmethod
    def table_of(category: Category) -> Any:
        """The table behind a category (for building filter clauses)."""
        return table_for(category.id)

    # ---- reading -------------------------------------------------------------------------
    def _property_columns(self, include_personal: bool) -> list[str]:
        fields = self.category.all_fields if include_personal else self.category.public_fields
        return [f.name for f in fields] + list(STORED_PROPERTIES)

    def feature_expr(self, include_personal: bool = False) -> ColumnElement[Any]:
        """SQL building one GeoJSON Feature (as json) per row."""
        return feature_json(self.table, self._property_columns(include_personal))

    def _filtered(self, q: ItemQuery, columns: Sequence[Any]) -> Select[Any]:
        t = self.table
        stmt = select(*columns)
        if q.bbox is not None:
            stmt = stmt.where(t.c.geom.intersects(func.ST_MakeEnvelope(*q.bbox, 4326)))
        for clause in q.where:
            stmt = stmt.where(clause)
        return stmt

    def sort_keys(self, sortby: Sequence[tuple[str, bool]]) -> list[SortKey]:
        """Sort keys for ``sortby`` with ``id`` appended as the unique tie-breaker."""
        keys = []
        for name, desc in sortby:
            if name == "id":
                continue
            f = self.category.field(name)
            keys.append(SortKey(self.table.c[name], desc, nullable=not (f and f.required)))
        last_desc = dict(sortby).get("id", False)
        keys.append(SortKey(self.table.c.id, last_desc, nullable=False))
        return keys

    def query(self, q: ItemQuery) -> Page:
        """A page of features matching ``q`` (keyset paging; no OFFSET scans)."""
        keys = self.sort_keys(q.sortby)
        stmt = self._filtered(q, [self.feature_expr(q.include_personal), *[k.column for k in keys]])
        if q.cursor:
            values = decode_cursor(q.cursor, len(keys))
            check_cursor_types(keys, values)
            stmt = stmt.where(after(keys, values))
        stmt = stmt.order_by(*[k.order_by() for k in keys]).limit(q.limit + 1)
        rows = self.session.execute(stmt).all()
        next_cursor = None
        if len(rows) > q.limit:
            rows = rows[: q.limit]
            next_cursor = encode_cursor(list(rows[-1][1:]))
        matched = None
        if q.count:
            matched = self.session.execute(
                self._filtered(q, [func.count()]).select_from(self.table)
            ).scalar_one()
        return Page([r[0] for r in rows], matched, next_cursor)

    def get(self, fid: int, include_personal: bool = False) -> dict[str, Any]:
        """One feature by id; :class:`NotFound` if there is none."""
        row = self.session.execute(
            select(self.feature_expr(include_personal)).where(self.table.c.id == fid)
        ).first()
        if row is None:
            raise NotFound(f"no feature {fid} in {self.category.id}")
        feature: dict[str, Any] = row[0]
        return feature

    def count(self) -> int:
        """The number of features in the table."""
        return self.session.execute(select(func.count()).select_from(self.table)).scalar_one()

    def extent(self) -> tuple[float, float, float, float] | None:
        """Bounding box of all features (lon/lat), or ``None`` when empty."""
        box = self.session.execute(
            select(
                func.ST_XMin(func.ST_Extent(self.table.c.geom)),
                func.ST_YMin(func.ST_Extent(self.table.c.geom)),
                func.ST_XMax(func.ST_Extent(self.table.c.geom)),
                func.ST_YMax(func.ST_Extent(self.table.c.geom)),
            )
        ).one()
        return None if box[0] is None else tuple(float(v) for v in box)  # type: ignore[return-value]

    def last_updated(self) -> datetime | None:
        """The newest ``updated_at`` of the table, or ``None`` when empty."""
        newest: datetime | None = self.session.execute(
            select(func.max(self.table.c.updated_at))
        ).scalar_one()
        return newest

    # ---- writing -------------------------------------------------------------------------
    def _values(self, feature: Any, *, lenient: bool = False) -> dict[str, Any]:
        """Column values for a GeoJSON Feature, validated (raises :class:`ValidationFailed`)."""
        if not isinstance(feature, dict):
            raise ValidationFailed("the body must be a GeoJSON Feature object")
        if feature.get("type") != "Feature":
            raise ValidationFailed("the body must be a GeoJSON Feature ('type': 'Feature')")
        props = feature.get("properties")
        if props is None:
            props = {}
        geometry = feature.get("geometry")
        at = self.category.located_at  # e.g. a supply held at a depot takes the depot's point
        located = geometry is None and at is not None and props.get(at.field)
        # geometry errors are reported before property errors
        geom = None if located else validate_geometry(self.category, geometry, self.limits)
        values = validate_properties(self.category, props, lenient=lenient, limits=self.limits)
        for check in self.category.db_checks:  # e.g. plans: known region codes (issue 13)
            check(self.session, values)
        referenced = self._referenced_geometry(values)
        values["geom"] = referenced if geom is None else from_shape(geom, srid=4326)
        return values

    def _referenced_geometry(self, values: dict[str, Any]) -> Any:
        """The point of the feature named by the category's ``located_at`` field, if any.

        One lookup that also proves the referenced feature exists (else 422), so a reference
        is checked even when the feature brings its own geometry.
        """
        at = self.category.located_at
        ref = values.get(at.field) if at is not None else None
        if at is None or ref is None:
            return None
        table = table_for(at.collection)
        geom = self.session.execute(select(table.c.geom).where(table.c.id == ref)).scalar()
        if geom is None:
            raise ValidationFailed(f"'{at.field}' {ref}: no such {at.noun}")
        return geom

    def _write(self, stmt: Any, rows: list[dict[str, Any]] | None = None) -> Any:
        """Run a write inside a savepoint so that a failure leaves the transaction usable."""
        try:
            with self.session.begin_nested():
                return self.session.execute(stmt, rows) if rows else self.session.execute(stmt)
        except DBAPIError as exc:
            if is_rls_violation(exc):  # row-level security: outside the caller's regions
                raise Forbidden("the feature's region is outside this token's regions") from exc
            mapped = database_error(exc)  # lost races → 409 "send again", integrity → 409
            if mapped is not None:
                raise mapped from exc
            raise ValidationFailed("the database rejected the values") from exc

    def _locked(self, fid: int, if_match: IfMatch | None) -> dict[str, Any]:
        """The stored feature, its row locked (``FOR UPDATE``) until the transaction ends.

        So concurrent writes to it run one after the other, each on the latest version;
        :class:`NotFound`, or :class:`PreconditionFailed` when ``if_match`` names another version.
        """
        try:
            row = self.session.execute(
                select(self.feature_expr(True), self.table.c.updated_at)
                .where(self.table.c.id == fid)
                .with_for_update()
            ).first()
        except DBAPIError as exc:
            mapped = database_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
        if row is None:  # FOR UPDATE sees only rows the caller may change (row-level security)
            raise missing_or_forbidden(self.session, self.table, fid)
        if if_match is not None and not if_match.matches(feature_etag(fid, row[1])):
            raise PreconditionFailed(
                f"feature {fid} in {self.category.id} has changed since the version in "
                "If-Match; GET it again (its ETag) and re-apply the change"
            )
        return row[0]  # type: ignore[no-any-return]

    def get_versioned(self, fid: int, include_personal: bool = False) -> tuple[dict[str, Any], str]:
        """One feature and its ETag, read together."""
        row = self.session.execute(
            select(self.feature_expr(include_personal), self.table.c.updated_at).where(
                self.table.c.id == fid
            )
        ).first()
        if row is None:
            raise NotFound(f"no feature {fid} in {self.category.id}")
        return row[0], feature_etag(fid, row[1])

    def create(self, feature: Any) -> int:
        """Insert one feature; returns its new id."""
        values = self._values(feature)
        stmt = insert(self.table).values(**values).returning(self.table.c.id)
        new_id: int = self._write(stmt).scalar_one()
        return new_id

    def insert_many(self, features: Iterable[Any], *, lenient: bool = False) -> list[int]:
        """Validate all features first, then insert them in one statement (all or nothing)."""
        rows = []
        for i, feature in enumerate(features):
            try:
                rows.append(self._values(feature, lenient=lenient))
            except ValidationFailed as exc:
                raise ValidationFailed(f"feature {i}: {exc.message}", details=exc.details) from None
        if not rows:
            return []
        columns = sorted({k for r in rows for k in r})
        rows = [{c: r.get(c) for c in columns} for r in rows]
        rows = [{**r, "extra": r["extra"] if r.get("extra") is not None else {}} for r in rows]
        stmt = insert(self.table).returning(self.table.c.id, sort_by_parameter_order=True)
        result = self._write(stmt, rows)
        return [r[0] for r in result]

    @staticmethod
    def _check_body_id(fid: int, body: Any) -> None:
        """A body that names another feature is refused rather than silently applied to ``fid``."""
        if not isinstance(body, dict):
            return
        props = body.get("properties")
        for where, given in (
            ("'id'", body.get("id")),
            ("'properties.id'", props.get("id") if isinstance(props, dict) else None),
        ):
            if given is not None and str(given) != str(fid):
                raise ValidationFailed(
                    f"the body's {where} is {json.dumps(given, ensure_ascii=False)[:40]} but the "
                    f"URL names feature {fid}; send the body to its own URL or drop the id"
                )

    def replace(self, fid: int, feature: Any, if_match: IfMatch | None = None) -> None:
        """Replace a feature's properties and geometry (PUT)."""
        self._check_body_id(fid, feature)
        self._locked(fid, if_match)
        values = self._values(feature)
        for f in self.category.all_fields:
            values.setdefault(f.name, None)
        self._update(fid, values)

    def patch(self, fid: int, patch: Any, if_match: IfMatch | None = None) -> None:
        """Merge a partial Feature into an existing one (PATCH, JSON merge semantics).

        The row is locked first, so the merge starts from the latest stored version; ``extra``
        is merged by the UPDATE itself (``extra || added - removed``).
        """
        if not isinstance(patch, dict):
            raise ValidationFailed("the body must be a JSON object")
        self._check_body_id(fid, patch)
        new_props = patch.get("properties") or {}
        if not isinstance(new_props, dict):
            raise ValidationFailed("'properties' must be a JSON object")
        current = self._locked(fid, if_match)
        props = dict(current["properties"])
        # stored derived values whose inputs change are recomputed, the others are kept
        for name in stale_derived(self.category, set(new_props)):
            props.pop(name, None)
        extra_patch: dict[str, Any] | None = None
        for key, value in new_props.items():
            if key == "extra" and isinstance(value, dict):
                extra_patch = value
                merged = {**props.get("extra", {}), **value}
                props["extra"] = {k: v for k, v in merged.items() if v is not None}
            elif value is None:
                props.pop(key, None)
            else:
                props[key] = value
        merged_feature = {
            "type": "Feature",
            "properties": props,
            "geometry": patch["geometry"] if "geometry" in patch else current["geometry"],
        }
        values = self._values(merged_feature)
        for f in self.category.all_fields:
            values.setdefault(f.name, None)
        if extra_patch is not None:
            added = {k: v for k, v in extra_patch.items() if v is not None}
            removed = [k for k, v in extra_patch.items() if v is None]
            extra_col = self.table.c.extra
            values["extra"] = extra_col.op("||")(cast(added, JSONB)).op("-")(
                cast(removed, ARRAY(Text))
            )
        elif "extra" not in new_props:
            values.pop("extra")  # untouched: the stored value stays as it is
        self._update(fid, values)

    def _update(self, fid: int, values: dict[str, Any]) -> None:
        values["updated_at"] = func.clock_timestamp()
        stmt = update(self.table).where(self.table.c.id == fid).values(**values)
        if self._write(stmt).rowcount == 0:
            raise missing_or_forbidden(self.session, self.table, fid)

    def delete(self, fid: int, if_match: IfMatch | None = None) -> None:
        """Delete a feature; :class:`NotFound` if there is none."""
        self._locked(fid, if_match)
        result = self._write(delete(self.table).where(self.table.c.id == fid))
        if result.rowcount == 0:
            raise missing_or_forbidden(self.session, self.table, fid)

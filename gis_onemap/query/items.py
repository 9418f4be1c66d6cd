"""Parse ``/items`` query parameters (bbox, limit, property filters, sortby, datetime, filter)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, literal, or_

from gis_onemap.categories import Category
from gis_onemap.categories.schema import equality_filter_names, queryable_names
from gis_onemap.categories.system_fields import ITEMS_PARAMS
from gis_onemap.categories.validation import coerce_value
from gis_onemap.errors import InvalidInput
from gis_onemap.limits import InputLimits
from gis_onemap.query.cql2 import parse_filter, to_clause


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` as four finite numbers, min ≤ max (a 6-number 3D box too).

    >>> parse_bbox("110,21,111,22")
    (110.0, 21.0, 111.0, 22.0)
    """
    if text is None:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise InvalidInput("bbox must be 4 comma-separated numbers: minx,miny,maxx,maxy") from None
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise InvalidInput("bbox must be 4 comma-separated numbers: minx,miny,maxx,maxy")
    minx, miny, maxx, maxy = parts
    if miny > maxy:
        raise InvalidInput("bbox: miny must not be greater than maxy")
    if minx > maxx:
        raise InvalidInput(
            "bbox: minx must not be greater than maxx (antimeridian boxes are not supported)"
        )
    return minx, miny, maxx, maxy


def check_wgs84_bbox(box: tuple[float, float, float, float]) -> None:
    """A lon/lat bbox must lie within [-180, 180] × [-90, 90]."""
    if box[0] < -180 or box[2] > 180:
        raise InvalidInput("bbox: longitude must be within [-180, 180]")
    if box[1] < -90 or box[3] > 90:
        raise InvalidInput("bbox: latitude must be within [-90, 90]")


def parse_sortby(
    text: str | None, category: Category, limits: InputLimits | None = None
) -> list[tuple[str, bool]]:
    """``sortby=+name,-capacity`` → ``[("name", False), ("capacity", True)]``.

    At most ``limits.max_sortby_keys`` properties, each once (a repeated one is refused: its
    second direction would mean nothing, and thousands of them made PostgreSQL give up).

    >>> from gis_onemap.categories import get_category
    >>> parse_sortby("-capacity,name", get_category("shelters"))
    [('capacity', True), ('name', False)]
    >>> parse_sortby("name,-name", get_category("shelters"))
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: sortby: 'name' is given more than once
    """
    if not text:
        return []
    limits = limits or InputLimits()
    raws = text.split(",")
    if len(raws) > limits.max_sortby_keys:
        raise InvalidInput(
            f"sortby: {len(raws)} properties given; at most {limits.max_sortby_keys} allowed"
        )
    allowed = queryable_names(category) - {"geometry"}
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for raw in raws:
        item = raw.strip()
        desc = item.startswith("-")
        name = item.lstrip("+- ")
        if name not in allowed:
            raise InvalidInput(f"sortby: unknown or non-sortable property '{name}'")
        f = category.field(name)
        if f is not None and f.type.endswith("_list"):
            raise InvalidInput(f"sortby: '{name}' is a list and cannot be sorted")
        if name in seen:
            raise InvalidInput(f"sortby: '{name}' is given more than once")
        seen.add(name)
        out.append((name, desc))
    return out


def _parse_instant(text: str) -> datetime | None:
    if text in ("..", ""):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"datetime: '{text}' is not an RFC 3339 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def datetime_clause(text: str | None, table: Table) -> ColumnElement[bool] | None:
    """OGC ``datetime`` (instant or ``start/end`` interval, ``..`` open) on ``updated_at``."""
    if not text:
        return None
    col = table.c.updated_at
    if "/" in text:
        start_s, end_s = text.split("/", 1)
        start, end = _parse_instant(start_s), _parse_instant(end_s)
        if start and end and start > end:
            raise InvalidInput("datetime: the interval's start is after its end")
        terms: list[ColumnElement[bool]] = []
        if start is not None:
            terms.append(col >= start)
        if end is not None:
            terms.append(col <= end)
        return and_(*terms) if terms else None
    instant = _parse_instant(text)
    if instant is None:
        raise InvalidInput("datetime: '..' alone is not a date-time")
    return col == instant


def property_filters(
    params: Mapping[str, str], category: Category, table: Table
) -> list[ColumnElement[bool]]:
    """Equality filters ``?name=value`` on queryable properties (``a,b`` = either, for enums)."""
    allowed = equality_filter_names(category)
    clauses: list[ColumnElement[bool]] = []
    for key, raw in params.items():
        if key in ITEMS_PARAMS:  # not properties: categories/system_fields.py
            continue
        if key not in allowed:
            raise InvalidInput(f"unknown query parameter or property '{key}'")
        if key == "id":
            try:
                clauses.append(table.c.id.in_([int(v) for v in raw.split(",")]))
            except ValueError:
                raise InvalidInput("id must be an integer") from None
            continue
        f = category.field(key)
        assert f is not None
        values = raw.split(",") if (f.choices or f.type in ("integer", "number")) else [raw]
        typed: list[Any] = []
        for v in values:
            try:
                typed.append(
                    v if f.type == "string_list" else coerce_value(f, v.strip(), lenient=True)
                )
            except ValueError as exc:
                raise InvalidInput(f"'{key}' {exc}") from None
        if f.enum:
            unknown = [v for v in typed if str(v).strip() not in f.enum]
            if unknown:
                raise InvalidInput(f"'{key}': '{unknown[0]}' is not one of {list(f.enum)}")
        if f.type == "string_list":
            clauses.append(or_(*[literal(v.strip()) == table.c[key].any_() for v in typed]))
        else:
            clauses.append(table.c[key].in_(typed))
    return clauses


def filter_clause(
    text: str | dict[str, Any] | None,
    lang: str | None,
    category: Category,
    table: Table,
    limits: InputLimits | None = None,
) -> ColumnElement[bool] | None:
    """The CQL2 ``filter`` as a SQL clause (bound parameters only); size/depth in ``limits``."""
    if not text:
        return None
    tree = parse_filter(text, lang, limits)
    return to_clause(tree, category, table, queryable_names(category))

"""Keyset (seek) paging: opaque cursors and the WHERE clause that resumes after a row."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, false, or_

from gis_onemap.errors import InvalidInput


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: a column, its direction, and whether it may be NULL."""

    column: Any
    descending: bool = False
    nullable: bool = True

    def order_by(self) -> Any:
        """The ORDER BY term of this key (NULLs last)."""
        col = self.column.desc() if self.descending else self.column.asc()
        return col.nulls_last()


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return {"$t": v.isoformat()}
    return v


_INVALID = "invalid 'cursor': follow the 'next' link as given"


def _restore(v: Any) -> Any:
    """A cursor value back from JSON: scalars as they are, ``{"$t": iso}`` as date/datetime.

    Anything else (other objects, arrays, a ``$t`` that is not an ISO date) is not one of our
    cursors: :class:`InvalidInput`, never a 500.

    >>> _restore({"$t": "2024-05-01"})
    datetime.date(2024, 5, 1)
    >>> _restore({"$t": 5})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: invalid 'cursor': follow the 'next' link as given
    """
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if not (isinstance(v, dict) and set(v) == {"$t"} and isinstance(v["$t"], str)):
        raise InvalidInput(_INVALID)
    text = v["$t"]
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_INVALID) from None


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque, URL-safe cursor for the sort values of the last row of a page.

    >>> decode_cursor(encode_cursor([3, "a"]), 2)
    [3, 'a']
    """
    raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, n: int) -> list[Any]:
    """The sort values in ``cursor``; :class:`InvalidInput` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # orjson refuses JSON nested over 1,024 levels instead of recursing (json.loads
        # raised RecursionError on a 3,000-deep array: a 500)
        values = orjson.loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise InvalidInput(_INVALID) from None
    if not isinstance(values, list) or len(values) != n:
        raise InvalidInput("invalid 'cursor': it does not match this 'sortby'")
    return [_restore(v) for v in values]


def check_cursor_types(keys: Sequence[SortKey], values: Sequence[Any]) -> None:
    """Each cursor value must fit its sort column's type (else :class:`InvalidInput`)."""
    for key, value in zip(keys, values, strict=True):
        if value is None:
            continue
        try:
            expected = key.column.type.python_type
        except NotImplementedError:  # pragma: no cover - all sortable columns have one
            continue
        ok = (isinstance(value, expected) and not isinstance(value, bool)) or (
            expected is float and isinstance(value, int) and not isinstance(value, bool)
        )
        if expected is bool:
            ok = isinstance(value, bool)
        if not ok:
            raise InvalidInput("invalid 'cursor': follow the 'next' link as given")


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """WHERE clause selecting the rows after ``values`` in the order of ``keys`` (NULLS LAST).

    Expands to ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``, so that a b-tree on the
    leading key serves the default ``ORDER BY id``.
    """
    terms = []
    for i, (key, value) in enumerate(zip(keys, values, strict=True)):
        prefix = [
            k.column.is_(None) if v is None else k.column == v
            for k, v in zip(keys[:i], values[:i], strict=True)
        ]
        if value is None:
            beyond: ColumnElement[bool] = false()  # nothing sorts after NULL within NULLS LAST
        else:
            cmp = key.column < value if key.descending else key.column > value
            beyond = or_(cmp, key.column.is_(None)) if key.nullable else cmp
        terms.append(and_(*prefix, beyond) if prefix else beyond)
    return or_(*terms)

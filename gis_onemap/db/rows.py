"""Rows as JSON-ready dicts (for the small tables served as plain JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def row_json(row: Any) -> dict[str, Any]:
    """A SQLAlchemy row as a dict: dates as ISO 8601 text, keys as plain ``str``.

    ``str()`` because column names are ``quoted_name``, a ``str`` subclass orjson refuses as a
    key.

    >>> from collections import namedtuple
    >>> R = namedtuple("R", "id at")
    >>> row_json(R(1, datetime(2026, 12, 1, 8, 0)))
    {'id': 1, 'at': '2026-12-01T08:00:00'}
    """
    return {
        str(k): (v.isoformat() if isinstance(v, datetime | date) else v)
        for k, v in row._asdict().items()
    }

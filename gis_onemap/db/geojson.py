"""SQL that builds a GeoJSON Feature per row in PostgreSQL (no per-row work in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, Table, cast, func, literal
from sqlalchemy.dialects.postgresql import JSON

#: Coordinates are returned with 9 decimals (≈ 0.1 mm), enough for lossless round trips.
COORD_DECIMALS = 9


def feature_json(
    table: Table, properties: Iterable[str], *, strip_nulls: bool = True
) -> ColumnElement[Any]:
    """``json_build_object('type','Feature','id',…,'geometry',…,'properties',{…})`` of a row.

    >>> from gis_onemap.db.tables import table_for
    >>> sql = str(feature_json(table_for("depots"), ["name"]))
    >>> "ST_AsGeoJSON(depots.geom" in sql and "json_strip_nulls" in sql
    True
    """
    pairs: list[Any] = []
    for name in properties:
        pairs += [literal(name, String), table.c[name]]
    props: ColumnElement[Any] = func.json_build_object(*pairs)
    if strip_nulls:
        props = func.json_strip_nulls(props)
    return func.json_build_object(
        literal("type", String),
        literal("Feature", String),
        literal("id", String),
        table.c.id,
        literal("geometry", String),
        cast(func.ST_AsGeoJSON(table.c.geom, COORD_DECIMALS), JSON),
        literal("properties", String),
        props,
    )

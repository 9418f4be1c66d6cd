"""The one table of system fields and of the query parameters that are not properties.

Every feature of every category carries the same four properties the server sets or keeps
apart from the category's typed fields: ``id``, ``geometry``, ``extra`` and ``updated_at``.
Queryables, CQL2, property filters, JSON Schema, the repository, exports, tiles and the
analyses all read them from here, so a new system field (or a new reserved query parameter)
is one line, not six (issue 12).

>>> [f.name for f in SYSTEM_FIELDS]
['id', 'geometry', 'extra', 'updated_at']
>>> sorted(QUERYABLE_SYSTEM_FIELDS)
['geometry', 'id', 'updated_at']
>>> STORED_PROPERTIES
('extra', 'updated_at')
>>> "filter" in ITEMS_PARAMS and "filter" in TILE_FILTER_PARAMS and "k" in ANALYSIS_PARAMS
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SystemType = Literal["integer", "geometry", "object", "datetime"]


@dataclass(frozen=True)
class SystemField:
    """A property every feature has, whatever its category.

    ``column`` is the table column behind it (``geometry`` is stored as ``geom``).
    ``queryable``: usable in CQL2 and ``sortby``; ``equality``: usable as ``?name=value``;
    ``property``: carried inside GeoJSON ``properties`` (``id`` and ``geometry`` are members
    of the Feature itself); ``client_set``: a client may send it in a body (only ``extra``).
    """

    name: str
    column: str
    type: SystemType
    schema: Mapping[str, Any] = field(default_factory=dict)
    queryable: bool = False
    equality: bool = False
    property: bool = False
    client_set: bool = False


SYSTEM_FIELDS: tuple[SystemField, ...] = (
    SystemField(
        "id",
        "id",
        "integer",
        {"title": "标识 / Identifier", "type": "integer", "x-ogc-role": "id", "readOnly": True},
        queryable=True,
        equality=True,
    ),
    # the geometry's schema depends on the category's geometry types (categories/schema.py)
    SystemField("geometry", "geom", "geometry", queryable=True),
    SystemField(
        "extra",
        "extra",
        "object",
        {"title": "扩展字段 / Extra fields", "type": "object"},
        property=True,
        client_set=True,
    ),
    SystemField(
        "updated_at",
        "updated_at",
        "datetime",
        {
            "title": "更新时间 / Updated at",
            "type": "string",
            "format": "date-time",
            "readOnly": True,
            "x-ogc-role": "primary-instant",
        },
        queryable=True,
        property=True,
    ),
)

#: System fields by name.
SYSTEM_BY_NAME: dict[str, SystemField] = {f.name: f for f in SYSTEM_FIELDS}
#: Names usable in CQL2 filters and ``sortby`` besides the category's public fields.
QUERYABLE_SYSTEM_FIELDS = frozenset(f.name for f in SYSTEM_FIELDS if f.queryable)
#: Queryable system fields that are *not* equality filters (``?updated_at=`` means nothing:
#: ``datetime`` is the parameter for it; ``?geometry=`` neither: ``bbox`` is).
NOT_EQUALITY_FILTERS = frozenset(f.name for f in SYSTEM_FIELDS if f.queryable and not f.equality)
#: System properties carried in GeoJSON ``properties`` (and exports), after the typed fields.
STORED_PROPERTIES: tuple[str, ...] = tuple(f.name for f in SYSTEM_FIELDS if f.property)
#: System fields a client never sets (sent values are ignored by imports, refused by writes).
SERVER_SET: tuple[str, ...] = tuple(
    f.name for f in SYSTEM_FIELDS if not f.client_set and f.name != "geometry"
)
#: Property names a client may not use for its own data (``category`` names the collection in
#: analysis results).
RESERVED_PROPERTIES: tuple[str, ...] = (*SERVER_SET, "extra", "category")

# ---- query parameters that are not properties ----------------------------------------------
#: Parameters of ``/items`` that are not property filters.
ITEMS_PARAMS = frozenset(
    {"limit", "bbox", "bbox-crs", "crs", "filter", "filter-lang", "sortby", "cursor"}
    | {"datetime", "f"}
)
#: Parameters of ``/items`` that also apply to tiles (besides property filters).
TILE_FILTER_PARAMS = frozenset({"filter", "filter-lang", "datetime"})
#: Query parameters of the analysis endpoints that are not property filters.
ANALYSIS_PARAMS = frozenset(
    {"lon", "lat", "crs", "category", "k", "max_distance_m", "radius_m", "limit", "f"}
    | {"include_unusable"}
    | {"by"}  # by=time: ranked by travel time (gis_onemap.roads.ranking)
)

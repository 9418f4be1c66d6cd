"""The building blocks of a category definition: typed fields and the category itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gis_onemap.categories.system_fields import RESERVED_PROPERTIES as _RESERVED_PROPERTIES

FieldType = Literal[
    "string", "integer", "number", "boolean", "date", "datetime", "string_list", "object_list"
]
GeometryKind = Literal["Point", "Polygon", "MultiPolygon"]

POINT_ONLY: tuple[GeometryKind, ...] = ("Point",)
POINT_OR_AREA: tuple[GeometryKind, ...] = ("Point", "Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enumerated field, with its Chinese and English labels."""

    value: str
    zh: str
    en: str


@dataclass(frozen=True)
class Field:
    """A typed, validated property of a category.

    ``derived`` fields are computed from the fields named in ``derived_from``: a client may
    send the computed value (a GET → edit → PUT round trip) but not a different one. When
    ``derived_at_most`` the computed value is an upper bound and a smaller one may be
    recorded (shelter capacity: the standard gives a *minimum* area per person); when
    ``recordable`` a value may be recorded while the inputs are missing (a register's figure);
    ``personal`` fields (phone numbers, e-mail) never leave the server for anonymous users
    nor appear in tiles.
    """

    name: str
    type: FieldType
    zh: str
    en: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    item_schema: Mapping[str, Any] | None = None
    derived: bool = False
    derived_from: tuple[str, ...] = ()
    derived_at_most: bool = False
    recordable: bool = False
    #: shown on the feature but never taken from a client (an explanation of other values, e.g.
    #: GB 18218's per-substance terms): a sent value is ignored and recomputed, never compared
    output_only: bool = False
    personal: bool = False
    in_tiles: bool = False
    description: str = ""
    #: the collection whose feature id this integer field holds (a foreign key, SET NULL)
    references: str | None = None

    @property
    def enum(self) -> tuple[str, ...] | None:
        """The allowed values, or ``None`` for a free field."""
        return tuple(c.value for c in self.choices) or None


@dataclass(frozen=True)
class Usability:
    """When a row of a category can be used now, and why not (issue 13).

    Totals count only usable resources by default.

    ``reason_sql`` is a SQL expression over the category's table written with ``{t}`` for the
    table name: NULL when the row is usable, else a short reason key (``'expired'``,
    ``'deployed'`` ...). One expression gives both the filter and the "excluded" breakdown, so
    the two cannot disagree. ``unit`` names what is counted (``records``, ``teams``) and
    ``measure`` the summed column reported with it (``quantity``, ``headcount`` as ``people``).
    """

    reason_sql: str
    unit: str
    measure_column: str
    measure_name: str
    #: Sum the measure separately per value of this column (e.g. supplies per ``unit``: adding
    #: 箱 to 顶 means nothing).
    measure_per: str | None = None

    def reason(self, table: str) -> str:
        """The reason expression for ``table`` (a trusted identifier, never client input)."""
        return self.reason_sql.format(t=f'"{table}"')

    def usable(self, table: str) -> str:
        """SQL predicate: the row of ``table`` is usable."""
        return f"({self.reason(table)}) IS NULL"


@dataclass(frozen=True)
class Dispatch:
    """How a category's resources are sent to an incident (issue 17), declared by the category.

    ``mode="stock"``: a quantity leaves the category's ``stock_field`` atomically (never below
    zero) and what comes back unused on release is added again. ``mode="status"``: the whole
    resource goes; its ``status_field`` becomes ``dispatched_status`` (so totals elsewhere leave
    it out through ``Usability``) and ``released_status`` on release. Either way only a usable
    resource (``Category.usable``) can be sent. ``counts`` names the numbers a dispatch may carry
    (people and vehicles sent with a team).
    """

    mode: Literal["stock", "status"]
    status_field: str | None = None
    #: column stamped with the time whenever the status changes
    status_time_field: str | None = None
    dispatched_status: str | None = None
    released_status: str | None = None
    counts: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocatedAt:
    """A feature sent without a geometry takes the point of the feature it references.

    ``field`` holds the id of a feature of ``collection`` (supplies: ``depot_id`` → ``depots``):
    writes and imports look the referenced point up, and a missing one is a 422.
    """

    field: str
    collection: str
    #: what one referenced feature is called in messages ("no such depot")
    noun: str


#: How the surroundings of an incident select a category's rows: those within the radius, or
#: those whose jurisdiction contains the incident (plans: ``analysis/jurisdiction.py``).
Selection = Literal["radius", "jurisdiction"]


@dataclass(frozen=True)
class Category:
    """One of the 8 resource categories of the one map (collection id = ``id``)."""

    id: str
    zh: str
    en: str
    description: str
    fields: tuple[Field, ...]
    geometry_types: tuple[GeometryKind, ...] = POINT_ONLY
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    color: str = "#3388ff"
    #: numeric field that ``POST .../items/{fid}/adjust`` changes atomically (stock counts)
    stock_field: str | None = None
    #: What "usable" means for this category (``None``: every row is usable).
    usable: Usability | None = None
    #: How the category's resources are dispatched to incidents (``None``: they are not).
    dispatch: Dispatch | None = None
    #: Checks that need the database (e.g. referenced region codes exist); each gets the session
    #: and the validated column values and raises ``ValidationFailed`` (422).
    db_checks: tuple[Callable[[Any, dict[str, Any]], None], ...] = ()
    #: Where a feature sent without a geometry is located (``None``: a geometry is required).
    located_at: LocatedAt | None = None
    #: A ``string_list`` field matched against an incident's event: its values come from the
    #: vocabulary of the same name on ``analysis.surroundings.EventFit`` (``specialties`` for
    #: experts, ``event_types`` for plans); ``None``: every row fits every event.
    event_match: str | None = None
    #: How the surroundings of an incident select rows (``"jurisdiction"``: plans).
    selection: Selection = "radius"
    #: A field counting people (summed per ring by buffers as the exposed population).
    population_field: str | None = None
    #: Extra b-tree indexes, one per column named (besides geometry, geography, updated_at).
    indexed: tuple[str, ...] = ()
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the fields by name and check that every declared hook names a field."""
        object.__setattr__(self, "_by_name", {f.name: f for f in self.all_fields})
        # a declared hook must name a field of the category: a typo fails at import, not later
        named = [*self.indexed, self.event_match, self.population_field]
        named.append(self.located_at.field if self.located_at else None)
        unknown = [n for n in named if n is not None and n not in self._by_name]
        if unknown:
            raise ValueError(f"category {self.id}: unknown field(s) {unknown} in its declarations")

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """Common fields (name, region_code, address) followed by the category's own."""
        return COMMON_FIELDS + self.fields

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or ``None``."""
        return self._by_name.get(name)

    @property
    def public_fields(self) -> tuple[Field, ...]:
        """Fields that may be shown to anyone (no personal data)."""
        return tuple(f for f in self.all_fields if not f.personal)

    @property
    def tile_fields(self) -> tuple[Field, ...]:
        """Fields carried in map tiles for styling and popups."""
        return tuple(f for f in self.all_fields if f.in_tiles and not f.personal)

    @property
    def title(self) -> str:
        """Bilingual title, e.g. ``应急避难场所 / Shelters``."""
        return f"{self.zh} / {self.en}"


COMMON_FIELDS: tuple[Field, ...] = (
    Field("name", "string", "名称", "Name", required=True, max_length=200, in_tiles=True),
    Field(
        "region_code",
        "string",
        "行政区划代码",
        "Administrative division code",
        pattern=r"^[1-9][0-9]{5}$",
        description="6-digit code of the administrative division (GB/T 2260).",
    ),
    Field("address", "string", "地址", "Address", max_length=500),
)

#: Properties the server sets or keeps apart from the category's typed fields (one table:
#: ``categories/system_fields.py``).
RESERVED_PROPERTIES = _RESERVED_PROPERTIES

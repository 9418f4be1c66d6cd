"""Request bodies of the analysis and incident endpoints (pydantic; cross-field checks here)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gis_onemap.analysis.inputs import MAX_DISTANCES, MAX_K, MAX_RADIUS_M
from gis_onemap.categories.events import EVENT_TYPES_BY_VALUE, event_types_of
from gis_onemap.errors import InvalidInput

EventCategory = Literal["natural_disaster", "accident", "public_health", "social_security"]
Severity = Literal["I", "II", "III", "IV"]

#: Naive report times are read as China Standard Time (UTC+8), the bureaus' clock.
CHINA_TIME = timezone(timedelta(hours=8))


_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_event(category: str | None, event_type: str | None) -> None:
    if event_type is None:
        return
    et = EVENT_TYPES_BY_VALUE.get(event_type)
    if et is None:
        raise ValueError(
            f"unknown event_type '{event_type}'; known: {', '.join(EVENT_TYPES_BY_VALUE)}"
        )
    if category is not None and et.category != category:
        raise ValueError(
            f"event_type '{event_type}' is not a {category} event; "
            f"{category} types: {', '.join(event_types_of(category))}"
        )


class PointInput(_Strict):
    """A point as ``lon``/``lat`` (or easting/northing) in ``crs`` (default WGS84)."""

    lon: float = Field(description="Longitude (or easting in a projected crs)")
    lat: float = Field(description="Latitude (or northing in a projected crs)")
    crs: str | None = Field(
        default=None, description="CRS of lon/lat: EPSG code or URI, 'gcj02', 'bd09'"
    )


def _china_time(value: datetime | None) -> datetime | None:
    """Naive times are China Standard Time; the future is judged later (a setting)."""
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TIME)
    return value


_COUNT: dict[str, Any] = {"minimum": 0}  # shown in OpenAPI; checked with the rest (422)


class IncidentFacts(_Strict):
    """What is known of an incident, in ``POST`` and ``PATCH`` (``null`` = not known yet).

    Ranges, dates and the override's reason are checked together after merging with the stored
    incident (``analysis/incident_rules.py``): 422 with every problem listed.
    """

    occurred_at: datetime | None = Field(
        default=None, description="When it happened (RFC 3339; naive = UTC+8)"
    )
    reported_at: datetime | None = Field(
        default=None, description="When it was reported (RFC 3339; naive = UTC+8)"
    )
    dead: int | None = Field(default=None, description="死亡 (people)", json_schema_extra=_COUNT)
    missing: int | None = Field(default=None, description="失踪", json_schema_extra=_COUNT)
    injured: int | None = Field(
        default=None, description="受伤, all injured (incl. seriously)", json_schema_extra=_COUNT
    )
    seriously_injured: int | None = Field(
        default=None,
        description="重伤 (incl. acute industrial poisoning)",
        json_schema_extra=_COUNT,
    )
    affected_people: int | None = Field(
        default=None, description="受影响/受灾人口", json_schema_extra=_COUNT
    )
    direct_loss_yuan: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="直接经济损失 (yuan)",
        json_schema_extra=_COUNT,
    )
    severity: Severity | None = Field(
        default=None,
        description="The reported grade I–IV (used when no override and no derived grade: "
        "e.g. social_security events graded by local plans)",
    )
    severity_override: Severity | None = Field(
        default=None, description="A grade set by a person over the derived one (needs a reason)"
    )
    severity_override_reason: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=4000)

    _tz = field_validator("occurred_at", "reported_at")(_china_time)


class IncidentCreate(PointInput, IncidentFacts):
    """``POST /incidents``: where, what, and what is known so far."""

    event_category: EventCategory
    event_type: str

    @model_validator(mode="after")
    def _consistent(self) -> IncidentCreate:
        _check_event(self.event_category, self.event_type)
        return self


class IncidentPatch(IncidentFacts):
    """``PATCH /incidents/{id}`` (JSON merge patch).

    Only the fields sent change; ``null`` clears one. The event type may be corrected within its
    category's types.
    """

    event_category: EventCategory | None = None
    event_type: str | None = None


class SurroundingsRequest(PointInput):
    """``POST /analysis/surroundings``."""

    radius_m: float = Field(default=5000.0, gt=0, le=MAX_RADIUS_M)
    event_category: EventCategory | None = None
    event_type: str | None = None
    k: int | None = Field(
        default=None, ge=1, le=MAX_K, description="Features per category (nearest first)"
    )
    include_unusable: bool = Field(
        default=False,
        description="Also list and count expired/reserved stock and deployed/unavailable teams",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SurroundingsRequest:
        _check_event(self.event_category, self.event_type)
        if self.event_type and not self.event_category:
            self.event_category = EVENT_TYPES_BY_VALUE[self.event_type].category  # type: ignore[assignment]
        return self


class BufferSource(_Strict):
    """Features of one collection to buffer: by ``ids`` or by a CQL2 ``filter``."""

    collection: str
    ids: list[int] | None = Field(default=None, min_length=1, max_length=10_000)
    filter: str | dict[str, Any] | None = None
    filter_lang: Literal["cql2-text", "cql2-json"] | None = Field(default=None, alias="filter-lang")

    @model_validator(mode="after")
    def _one_selector(self) -> BufferSource:
        if (self.ids is None) == (self.filter is None):
            raise ValueError("give either 'ids' or 'filter' to select the source features")
        return self


class BufferRequest(_Strict):
    """``POST /analysis/buffer``: rings at ``distances_m`` around a geometry or features."""

    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON geometry")
    source: BufferSource | None = None
    distances_m: list[float] = Field(min_length=1, max_length=MAX_DISTANCES)
    dissolve: bool = True
    intersect: list[str] | None = Field(default=None, description="Categories to intersect")
    crs: str | None = Field(default=None, description="CRS of the geometry's coordinates")

    @model_validator(mode="after")
    def _one_source(self) -> BufferRequest:
        if (self.geometry is None) == (self.source is None):
            raise ValueError("give either 'geometry' or 'source' (collection with ids or filter)")
        return self


def parse_body(model: type[_M], data: Any) -> _M:
    """Validate a JSON body against ``model``; errors become one clear :class:`InvalidInput`.

    >>> parse_body(PointInput, {"lon": 110.3, "lat": 21.2}).lon
    110.3
    >>> parse_body(PointInput, {"lon": "x", "lat": 21.2})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: 'lon': Input should be a valid number, ...
    """
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            details.append({"parameter": where, "message": msg})
        first = details[0]
        text = first["message"]
        if first["parameter"]:
            text = f"'{first['parameter']}': {text}"
        raise InvalidInput(text, details=details) from None

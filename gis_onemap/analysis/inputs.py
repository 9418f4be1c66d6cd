"""Checked inputs of the analyses: origin point (any CRS), radius, k, categories, filters."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement

from gis_onemap.categories import REGISTRY, Category
from gis_onemap.categories.schema import equality_filter_names
from gis_onemap.categories.system_fields import ANALYSIS_PARAMS as _ANALYSIS_PARAMS
from gis_onemap.categories.validation import coerce_value
from gis_onemap.crs.edge import point_to_wgs84
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput
from gis_onemap.query.items import property_filters

#: Largest search radius or buffer distance (metres).
MAX_RADIUS_M = 500_000.0
#: Most features a nearest-neighbour query returns.
MAX_K = 1000
#: Most distances in one buffer request.
MAX_DISTANCES = 20

#: Query parameters of the analysis endpoints that are not property filters (one table:
#: ``categories/system_fields.py``; re-exported here for the routers).
ANALYSIS_PARAMS = _ANALYSIS_PARAMS


@dataclass(frozen=True)
class Origin:
    """A WGS84 lon/lat point, converted from the caller's CRS."""

    lon: float
    lat: float

    @property
    def ewkt(self) -> str:
        """``SRID=4326;POINT(lon lat)`` with full precision."""
        return f"SRID=4326;POINT({self.lon!r} {self.lat!r})"


def origin_from(x: Any, y: Any, crs: str | None = None) -> Origin:
    """The WGS84 origin for coordinates ``x, y`` given in ``crs`` (default WGS84 lon/lat).

    Raises :class:`InvalidInput` for non-numbers, an unknown CRS or out-of-range coordinates.

    >>> origin_from(110.36, 21.27)
    Origin(lon=110.36, lat=21.27)
    >>> origin_from(110.0, 95.0)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: latitude must be within [-90, 90]
    """
    try:
        fx, fy = float(x), float(y)
    except (TypeError, ValueError):
        raise InvalidInput("lon and lat must be numbers") from None
    if not (math.isfinite(fx) and math.isfinite(fy)):
        raise InvalidInput("lon and lat must be finite numbers")
    return Origin(*point_to_wgs84(fx, fy, crs))  # the one CRS edge: gis_onemap.crs.edge


def check_radius(radius_m: Any, name: str = "radius_m") -> float:
    """A radius in metres: 0 < r ≤ 500 km.

    >>> check_radius(5000)
    5000.0
    >>> check_radius(0)
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: radius_m must be greater than 0 and at most 500000 m
    """
    try:
        r = float(radius_m)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number of metres") from None
    if not math.isfinite(r) or r <= 0 or r > MAX_RADIUS_M:
        raise InvalidInput(f"{name} must be greater than 0 and at most {MAX_RADIUS_M:.0f} m")
    return r


def check_k(k: Any) -> int:
    """A neighbour count 1 ≤ k ≤ 1000.

    >>> check_k(10)
    10
    """
    if isinstance(k, bool) or not isinstance(k, int | str):
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}")
    try:
        value = int(k)
    except ValueError:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}") from None
    if not 1 <= value <= MAX_K:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}")
    return value


def check_distances(distances: Any) -> list[float]:
    """Buffer distances: 1 to 20 positive numbers ≤ 500 km, returned sorted and unique.

    >>> check_distances([1000, 500, 1000])
    [500.0, 1000.0]
    """
    if not isinstance(distances, list | tuple) or not distances:
        raise InvalidInput("distances_m must be a non-empty list of metres")
    if len(distances) > MAX_DISTANCES:
        raise InvalidInput(f"at most {MAX_DISTANCES} buffer distances are allowed")
    return sorted({check_radius(d, "each of distances_m") for d in distances})


def resolve_categories(ids: Iterable[str] | None) -> tuple[Category, ...]:
    """Categories by collection id (all 8 when none are given); unknown ids → 400.

    >>> [c.id for c in resolve_categories(["shelters", "depots", "shelters"])]
    ['shelters', 'depots']
    >>> len(resolve_categories(None))
    8
    """
    chosen = [i.strip() for raw in (ids or []) for i in str(raw).split(",") if i.strip()]
    if not chosen:
        return tuple(REGISTRY.values())
    unknown = [c for c in chosen if c not in REGISTRY]
    if unknown:
        raise InvalidInput(f"unknown category '{unknown[0]}'; known: {', '.join(REGISTRY)}")
    return tuple(REGISTRY[c] for c in dict.fromkeys(chosen))


#: The property filters of a request as a hashable, ordered tuple of (key, value).
FilterKey = tuple[tuple[str, str], ...]


@dataclass
class CategoryFilters:
    """Per-category SQL clauses from property filters; categories lacking a property drop out."""

    clauses: dict[str, list[ColumnElement[bool]]] = field(default_factory=dict)
    key: FilterKey = ()

    def categories(self, among: Sequence[Category]) -> tuple[Category, ...]:
        """The categories (of ``among``) that every filter applies to."""
        return tuple(c for c in among if c.id in self.clauses)

    def where(self, category: Category) -> list[ColumnElement[bool]]:
        """The compiled filter clauses for ``category`` (none when it has no filter)."""
        return self.clauses.get(category.id, [])


def _range_field(category: Category, key: str) -> tuple[str, str] | None:
    for prefix, op in (("min_", ">="), ("max_", "<=")):
        if key.startswith(prefix):
            f = category.field(key[len(prefix) :])
            if f is not None and f.type in ("integer", "number") and not f.personal:
                return f.name, op
    return None


def category_filters(params: Mapping[str, str], categories: Sequence[Category]) -> CategoryFilters:
    """Property filters (``team_type=...``, ``item_name=...``, ``min_capacity=...``).

    Equality filters work as on ``/items`` (``a,b`` = either); ``min_<p>``/``max_<p>`` bound a
    numeric property. A filter naming a property that none of ``categories`` has → 400; a
    category that lacks a filtered property is left out of the search.
    """
    keys = sorted(k for k in params if k not in ANALYSIS_PARAMS)
    result = CategoryFilters(key=tuple((k, str(params[k])) for k in keys))
    known: set[str] = set()
    for category in categories:
        table = table_for(category.id)
        names = equality_filter_names(category)
        equality = {k: params[k] for k in keys if k in names}
        ranges: dict[str, tuple[str, str]] = {}
        for k in keys:
            found = None if k in names else _range_field(category, k)
            if found is not None:
                ranges[k] = found
        known |= set(equality) | set(ranges)
        if len(equality) + len(ranges) < len(keys):
            continue  # this category lacks a filtered property
        clauses = property_filters(equality, category, table)
        for key, (name, op) in ranges.items():
            f = category.field(name)
            assert f is not None
            try:
                bound = coerce_value(f, params[key].strip(), lenient=True)
            except ValueError as exc:
                raise InvalidInput(f"'{key}' {exc}") from None
            col = table.c[name]
            clauses.append(col >= bound if op == ">=" else col <= bound)
        result.clauses[category.id] = clauses
    unknown = [k for k in keys if k not in known]
    if unknown:
        ids = ", ".join(c.id for c in categories)
        raise InvalidInput(f"unknown filter property '{unknown[0]}' for category {ids}")
    return result

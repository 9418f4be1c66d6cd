"""Column headers: English names, Chinese labels, Shapefile short names and coordinate columns."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from gis_onemap.categories import CATEGORIES, REGISTRY, Category
from gis_onemap.categories.system_fields import SERVER_SET, STORED_PROPERTIES

#: Shapefile (dBase) field names are at most 10 characters. Every property name longer than that
#: gets this documented short name on export, and the import maps it back (per category).
SHAPEFILE_NAMES: dict[str, str] = {
    "region_code": "region",
    "hazard_type": "haz_type",
    "population_500m": "pop_500m",
    "contact_person": "contact",
    "contact_phone": "cont_phone",
    "target_type": "tgt_type",
    "supply_class": "sup_class",
    "expiry_date": "expiry",
    "depot_level": "dep_level",
    "shelter_type": "shel_type",
    "shelter_class": "shel_class",
    "service_radius_m": "radius_m",
    "specialties": "specialty",
    "event_types": "evt_types",
    "event_categories": "evt_cats",
    "issuing_unit": "issuer",
    "issued_date": "issued",
    "response_levels": "resp_lvls",
    "document_no": "doc_no",
}

#: Headers recognised as longitude/easting and latitude/northing (after normalisation).
LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "point_x", "easting", "经度", "x坐标",
               "东坐标", "横坐标")  # fmt: skip
LAT_HEADERS = ("lat", "latitude", "y", "point_y", "northing", "纬度", "y坐标", "北坐标",
               "纵坐标")  # fmt: skip
WKT_HEADERS = ("wkt", "geometry", "geom", "the_geom", "几何", "空间位置")

_UNIT_SUFFIX = re.compile(r"[(（][^)）]*[)）]$")


def normalise_header(text: str) -> str:
    r"""A header folded for matching: NFKC (full-width → ASCII), no BOM, spaces or case.

    >>> normalise_header("\ufeff 名称 ")
    '名称'
    >>> normalise_header("Shelter  Type")
    'shelter_type'
    """
    folded = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", folded)


def shapefile_name(name: str) -> str:
    """The Shapefile field name of a property (≤ 10 characters).

    >>> shapefile_name("population_500m"), shapefile_name("name")
    ('pop_500m', 'name')
    """
    return SHAPEFILE_NAMES.get(name, name)


def header_aliases(category: Category) -> dict[str, str]:
    """Normalised header → property name: names, zh/en labels, labels without units, short names."""
    return _aliases(category.id)


@lru_cache(maxsize=16)
def _aliases(collection_id: str) -> dict[str, str]:
    category = REGISTRY[collection_id]
    aliases: dict[str, str] = {}
    for f in category.all_fields:
        labels = [f.name, f.zh, f.en, _UNIT_SUFFIX.sub("", f.zh), _UNIT_SUFFIX.sub("", f.en)]
        labels += [shapefile_name(f.name), f"{f.zh}/{f.en}", f"{f.zh} / {f.en}"]
        labels.append(f.name[:10])  # GDAL truncates long dBase field names to 10 characters
        for label in labels:
            aliases.setdefault(normalise_header(label), f.name)
    aliases.setdefault("extra", "extra")
    aliases.setdefault("扩展字段", "extra")
    for reserved in SERVER_SET:
        aliases.setdefault(reserved, reserved)
    return aliases


@dataclass
class HeaderMap:
    """How a file's columns map to properties and coordinates."""

    properties: dict[str, str] = field(default_factory=dict)  # column → property name
    unknown: list[str] = field(default_factory=list)  # columns kept in ``extra``
    lon: str | None = None
    lat: str | None = None
    wkt: str | None = None
    ignored: list[str] = field(default_factory=list)  # id, updated_at, duplicates
    dropped: list[str] = field(default_factory=list)  # personal data with no personal field


def _first(columns: Sequence[str], names: Iterable[str]) -> str | None:
    by_norm = {normalise_header(c): c for c in reversed(columns)}
    for name in names:
        if name in by_norm:
            return by_norm[name]
    return None


def map_headers(
    category: Category, columns: Sequence[str], *, coordinates: bool = True
) -> HeaderMap:
    """Map a file's column headers to the category's properties.

    ``coordinates`` also picks longitude/latitude (or x/y) and WKT columns (CSV, XLSX).

    >>> from gis_onemap.categories import get_category
    >>> m = map_headers(get_category("shelters"), ["名称", "避难场所类型", "经度", "纬度", "备注"])
    >>> m.properties, m.lon, m.lat, m.unknown
    ({'名称': 'name', '避难场所类型': 'shelter_type'}, '经度', '纬度', ['备注'])
    """
    aliases = header_aliases(category)
    out = HeaderMap()
    if coordinates:
        out.lon, out.lat = _first(columns, LON_HEADERS), _first(columns, LAT_HEADERS)
        out.wkt = _first(columns, WKT_HEADERS)
    taken = {c for c in (out.lon, out.lat, out.wkt) if c}
    seen: set[str] = set()
    for col in columns:
        if col in taken:
            continue
        prop = aliases.get(normalise_header(col))
        if prop in SERVER_SET or (prop is not None and prop in seen):
            out.ignored.append(col)
        elif prop is not None:
            out.properties[col] = prop
            seen.add(prop)
        else:
            out.unknown.append(col)
    _route_personal(category, out, seen)
    return out


def _route_personal(category: Category, out: HeaderMap, taken: set[str]) -> None:
    """Route unknown columns named like personal data to a personal field.

    Unknown columns named like personal data (电话, 手机号码, e-mail, 身份证号) go into a free
    personal field of the same kind, or are dropped: never into the public ``extra``.

    >>> from gis_onemap.categories import get_category
    >>> m = map_headers(get_category("experts"), ["姓名", "手机号码", "邮箱", "身份证号", "备注"])
    >>> m.properties["手机号码"], m.properties["邮箱"], m.dropped, m.unknown
    ('phone', 'email', ['身份证号'], ['姓名', '备注'])
    """
    from gis_onemap.io.personal import personal_fields, personal_kind

    for col in list(out.unknown):
        kind = personal_kind(normalise_header(col))
        if kind is None:
            continue
        out.unknown.remove(col)
        free = [f for f in personal_fields(category, kind) if f not in taken]
        if free:
            out.properties[col] = free[0]
            taken.add(free[0])
        else:
            out.dropped.append(col)


@lru_cache(maxsize=64)
def _choice_labels(collection_id: str, field_name: str) -> dict[str, str]:
    f = REGISTRY[collection_id].field(field_name)
    assert f is not None
    labels: dict[str, str] = {}
    for c in f.choices:
        for label in (c.value, c.zh, c.en):
            labels.setdefault(normalise_header(label), c.value)
    return labels


def choice_value(category: Category, field_name: str, text: str) -> str:
    """The value of an enumerated field named by its value or its Chinese/English label.

    >>> from gis_onemap.categories import get_category
    >>> choice_value(get_category("protected_targets"), "target_type", "学校")
    'school'
    >>> choice_value(get_category("protected_targets"), "target_type", "城堡")
    '城堡'
    """
    return _choice_labels(category.id, field_name).get(normalise_header(text), text)


def check_shapefile_names() -> None:
    """Every category's Shapefile names are ≤ 10 characters and unique (run by the tests)."""
    for category in CATEGORIES:
        names = [shapefile_name(f.name) for f in category.all_fields] + list(STORED_PROPERTIES)
        too_long = [n for n in names if len(n) > 10]
        if too_long or len(set(names)) != len(names):
            raise AssertionError(f"{category.id}: bad Shapefile names {too_long or names}")

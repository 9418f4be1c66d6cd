"""The SQL of one category's MVT layer, built once from the .sql templates and the definition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from gis_onemap.categories import REGISTRY, Category, Field

#: MVT tile extent (coordinate units per tile side) and buffer, as tipg and pygeoapi use.
EXTENT = 4096
BUFFER = 64
#: Below the cluster zoom, points are aggregated on a CELLS × CELLS grid per tile: at most
#: 1,024 cluster features, each 16 px of a 512-px tile, so a tile stays small whatever the count.
CELLS = 32
#: Above the cluster zoom a tile holding more features than this is clustered anyway: with the
#: tile fields of the 8 categories (~50 bytes a point) that keeps every tile well under 500 KB.
MAX_TILE_FEATURES = 5000

#: Description of the properties every layer carries (documented in TileJSON and OpenAPI).
COMMON_TILE_PROPERTIES: dict[str, str] = {
    "id": "Integer: feature id (the MVT feature id too; absent on clusters)",
}
CLUSTER_TILE_PROPERTIES: dict[str, str] = {
    "point_count": "Integer: number of points the feature stands for (below the cluster zoom)",
    "cluster": "Boolean: true when the feature aggregates several points (below the cluster zoom)",
}


@cache
def template(name: str) -> str:
    """The SQL template ``name`` from ``gis_onemap/tiles/sql`` without its comment lines."""
    text = resources.files("gis_onemap.tiles").joinpath("sql", name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def column_sql(table: str, f: Field) -> str:
    """The select-list expression of a tile property: MVT values are text, numbers or booleans.

    >>> from gis_onemap.categories import get_category
    >>> column_sql("experts", get_category("experts").field("specialties"))
    "array_to_string(experts.specialties, ',') AS specialties"
    >>> column_sql("shelters", get_category("shelters").field("capacity"))
    'shelters.capacity'
    """
    col = f"{table}.{f.name}"
    if f.type == "string_list":
        return f"array_to_string({col}, ',') AS {f.name}"
    if f.type in ("date", "datetime", "object_list"):
        return f"{col}::text AS {f.name}"
    return col


def field_description(f: Field) -> str:
    """How a tile property is described in TileJSON ``vector_layers[].fields``.

    >>> from gis_onemap.categories import get_category
    >>> field_description(get_category("shelters").field("capacity"))
    'Number: 容纳人数 / Capacity (persons)'
    """
    kind = {"integer": "Number", "number": "Number", "boolean": "Boolean"}.get(f.type, "String")
    extra = " (comma-separated)" if f.type == "string_list" else ""
    return f"{kind}: {f.zh} / {f.en}{extra}"


def tile_properties(category: Category, clustered: bool = True) -> dict[str, str]:
    """Name → description of every property in the category's tiles (never personal data)."""
    props = dict(COMMON_TILE_PROPERTIES)
    props.update({f.name: field_description(f) for f in category.tile_fields})
    if clustered:
        props.update(CLUSTER_TILE_PROPERTIES)
    return props


@dataclass(frozen=True)
class LayerSQL:
    """The two SQL statements of a layer, with a ``{where}`` slot for extra filter clauses.

    ``plain`` yields NULL instead of a tile with more than :data:`MAX_TILE_FEATURES` features.
    """

    plain: str
    clustered: str

    def statement(self, clustered: bool, where: str = "") -> str:
        """The statement for a tile; ``where`` is ``" AND <clause>"`` or empty."""
        return (self.clustered if clustered else self.plain).replace("{where}", where)


def layer_sql(category: Category) -> LayerSQL:
    """The SQL of the category's layer (built once per category)."""
    return _layer_sql(category.id)


@cache
def _layer_sql(collection_id: str) -> LayerSQL:
    """Identifiers come from the category definitions, never from a request."""
    category = REGISTRY[collection_id]
    table = category.id
    columns = "".join(f",\n           {column_sql(table, f)}" for f in category.tile_fields)
    has_areas = category.geometry_types != ("Point",)
    # found with the GiST index of geom; encoded from geom_3857 (migration 0012)
    spatial = (
        f"ST_Intersects({table}.geom, bounds.geo)" if has_areas else f"{table}.geom && bounds.geo"
    )
    common = {
        "table": table,
        "layer": category.id,
        "columns": columns,
        "extent": str(EXTENT),
        "buffer": str(BUFFER),
        "where": "{where}",
    }
    plain = template("layer.sql").format(
        spatial=spatial, max_features=str(MAX_TILE_FEATURES), **common
    )
    areas = "\n" + template("cluster_areas.sql").format(**common) if has_areas else ""
    points_only = f" AND ST_GeometryType({table}.geom_3857) = 'ST_Point'" if has_areas else ""
    clustered = template("cluster.sql").format(
        cells=str(CELLS), points_only=points_only, areas=areas, **common
    )
    return LayerSQL(plain=plain, clustered=clustered)

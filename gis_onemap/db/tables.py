"""SQLAlchemy tables built from the category definitions (the migrations create them)."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gis_onemap.categories import CATEGORIES, Category, Field

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_SQL_TYPES: dict[str, Any] = {
    "string": Text,
    "integer": BigInteger,
    "number": Double,
    "boolean": Boolean,
    "date": Date,
    "datetime": DateTime(timezone=True),
    "string_list": ARRAY(Text),
    "object_list": JSONB,
}


def _column(category: Category, f: Field) -> Column[Any]:
    kwargs: dict[str, Any] = {"nullable": not f.required, "comment": f"{f.zh} / {f.en}"}
    if f.name == "depot_id":
        return Column(f.name, BigInteger, ForeignKey("depots.id", ondelete="SET NULL"), **kwargs)
    if f.name == "hazard_source_id":  # an enterprise plan's site (issue 13)
        target = ForeignKey("hazard_sources.id", ondelete="SET NULL")
        return Column(f.name, BigInteger, target, **kwargs)
    sql_type = _SQL_TYPES[f.type]
    return Column(f.name, sql_type() if isinstance(sql_type, type) else sql_type, **kwargs)


def _checks(f: Field) -> list[CheckConstraint]:
    """Database-side guards mirroring the validation (defence in depth)."""
    checks = []
    col = f'"{f.name}"'
    if f.enum and f.type == "string":
        values = ", ".join(f"'{v}'" for v in f.enum)
        checks.append(CheckConstraint(f"{col} IN ({values})", name=f"{f.name}_enum"))
    if f.enum and f.type == "string_list":
        values = ", ".join(f"'{v}'" for v in f.enum)
        checks.append(CheckConstraint(f"{col} <@ ARRAY[{values}]::text[]", name=f"{f.name}_enum"))
    if f.minimum is not None:
        checks.append(CheckConstraint(f"{col} >= {f.minimum:g}", name=f"{f.name}_min"))
    if f.maximum is not None:
        checks.append(CheckConstraint(f"{col} <= {f.maximum:g}", name=f"{f.name}_max"))
    return checks


def _build_table(category: Category) -> Table:
    geom_types = ", ".join(f"'ST_{t}'" for t in category.geometry_types)
    cols: list[Any] = [
        Column("id", BigInteger, Identity(always=False), primary_key=True),
    ]
    for f in category.all_fields:
        cols.append(_column(category, f))
        cols.extend(_checks(f))
    cols += [
        Column("extra", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column(
            "geom",
            Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        CheckConstraint(f"ST_GeometryType(geom) IN ({geom_types})", name="geom_type"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint("region_code ~ '^[1-9][0-9]{5}$'", name="region_code_format"),
    ]
    table = Table(category.id, metadata, *cols)
    Index(f"ix_{category.id}_geom", table.c.geom, postgresql_using="gist")
    Index(
        f"ix_{category.id}_geog",
        func.geography(table.c.geom),
        postgresql_using="gist",
    )
    Index(f"ix_{category.id}_updated_at", table.c.updated_at)
    if category.id == "supplies":
        Index("ix_supplies_depot_id", table.c.depot_id)
    return table


TABLES: dict[str, Table] = {c.id: _build_table(c) for c in CATEGORIES}


def table_for(collection_id: str) -> Table:
    """The table of a collection (id == table name)."""
    return TABLES[collection_id]


# Incidents reported by commanders (issue 5); event vocabulary from gis_onemap.categories.events.
def _build_incidents_table() -> Table:
    from gis_onemap.categories.events import EVENT_CATEGORIES, EVENT_TYPES, SEVERITIES

    def _in(values: Any) -> str:
        return ", ".join(f"'{v}'" for v in values)

    table = Table(
        "incidents",
        metadata,
        Column("id", BigInteger, Identity(always=False), primary_key=True),
        Column("event_category", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("severity", Text, nullable=True),
        Column("reported_at", DateTime(timezone=True), nullable=True),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("description", Text, nullable=True),
        Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        CheckConstraint(
            f"event_category IN ({_in(c.value for c in EVENT_CATEGORIES)})", name="event_category"
        ),
        CheckConstraint(f"event_type IN ({_in(e.value for e in EVENT_TYPES)})", name="event_type"),
        CheckConstraint(f"severity IN ({_in(s.value for s in SEVERITIES)})", name="severity"),
    )
    Index("ix_incidents_geom", table.c.geom, postgresql_using="gist")
    Index("ix_incidents_received_at", table.c.received_at)
    return table


INCIDENTS: Table = _build_incidents_table()


#: One row per collection: a version bumped by statement-level triggers on every write to its
#: table (migration 0003), so that tile caches (keys, ETags) never serve a stale tile (issue 6).
TILE_VERSIONS: Table = Table(
    "tile_versions",
    metadata,
    Column("collection", Text, primary_key=True),
    Column("version", BigInteger, nullable=False, server_default=text("0")),
)


#: Bearer tokens (issue 11): only a SHA-256 hash of each token is stored.
API_TOKENS: Table = Table(
    "api_tokens",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("region_codes", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),
)

#: Who changed what, when, with the row before and after (issue 11); written in the same
#: transaction as the change.
AUDIT_LOG: Table = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("collection", Text, nullable=False),
    Column("fid", BigInteger, nullable=True),
    Column("before", JSONB, nullable=True),
    Column("after", JSONB, nullable=True),
    Column("reason", Text, nullable=True),
    CheckConstraint(
        "action IN ('create', 'update', 'delete', 'import', 'adjust', 'restore')", name="action"
    ),
)
Index("ix_audit_log_collection_fid", AUDIT_LOG.c.collection, AUDIT_LOG.c.fid)
Index("ix_audit_log_at", AUDIT_LOG.c.at)
Index("ix_audit_log_actor", AUDIT_LOG.c.actor)


#: Administrative regions (GB/T 2260 code, name, level, WGS84 boundary) that plans apply to
#: (issue 13); migration 0007 loads the shipped Zhanjiang boundaries (data/demo/districts.geojson).
REGIONS: Table = Table(
    "regions",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("parent_code", Text, nullable=True),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint("code ~ '^[1-9][0-9]{5}$'", name="code_format"),
)
Index("ix_regions_geom", REGIONS.c.geom, postgresql_using="gist")


# ---- roads (issue 14): a pgRouting network; costs are travel times in seconds -------------------
def _road_class_ids() -> str:
    from gis_onemap.roads.classes import ROAD_CLASS_IDS

    return ", ".join(f"'{c}'" for c in ROAD_CLASS_IDS)


#: Edges of the routable network. ``reverse_cost_s`` < 0 marks a one-way edge (pgRouting's
#: convention); a load replaces every row in one transaction (atomic re-load).
ROAD_EDGES: Table = Table(
    "road_edges",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("source", BigInteger, nullable=False),
    Column("target", BigInteger, nullable=False),
    Column("road_class", Text, nullable=False),
    Column("name", Text, nullable=True),
    Column("length_m", Double, nullable=False),
    Column("speed_kmh", Double, nullable=False),
    Column("cost_s", Double, nullable=False),
    Column("reverse_cost_s", Double, nullable=False),
    Column("oneway", Boolean, nullable=False, server_default=text("false")),
    Column("bridge", Boolean, nullable=False, server_default=text("false")),
    Column("tunnel", Boolean, nullable=False, server_default=text("false")),
    Column("ferry", Boolean, nullable=False, server_default=text("false")),
    Column("osm_id", BigInteger, nullable=True),
    Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint(f"road_class IN ({_road_class_ids()})", name="road_class"),
    CheckConstraint("speed_kmh > 0", name="speed_positive"),
    CheckConstraint("length_m >= 0 AND cost_s >= 0", name="cost_nonnegative"),
)
Index("ix_road_edges_geom", ROAD_EDGES.c.geom, postgresql_using="gist")
Index("ix_road_edges_source", ROAD_EDGES.c.source)
Index("ix_road_edges_target", ROAD_EDGES.c.target)

#: Network nodes (edge ends); ids are the edges' ``source``/``target``.
ROAD_VERTICES: Table = Table(
    "road_vertices",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
)
Index("ix_road_vertices_geom", ROAD_VERTICES.c.geom, postgresql_using="gist")

#: Closures: a polygon (every edge it covers) or a list of edges, with a reason and validity.
ROAD_CLOSURES: Table = Table(
    "road_closures",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=True),
    Column("edge_ids", ARRAY(BigInteger), nullable=False, server_default=text("'{}'::bigint[]")),
    Column("valid_from", DateTime(timezone=True), nullable=True),
    Column("valid_to", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=True),
    CheckConstraint(
        "geom IS NULL OR ST_GeometryType(geom) IN ('ST_Polygon', 'ST_MultiPolygon')",
        name="polygonal",
    ),
    CheckConstraint("geom IS NOT NULL OR cardinality(edge_ids) > 0", name="what_is_closed"),
    CheckConstraint(
        "valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from", name="valid"
    ),
)
Index("ix_road_closures_geom", ROAD_CLOSURES.c.geom, postgresql_using="gist")

#: One row per network load: where it came from and the load report (edges, km by class...).
ROAD_LOADS: Table = Table(
    "road_loads",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("source", Text, nullable=False),
    Column("report", JSONB, nullable=False),
)

# ---- tiles (issue 12, migration 0012): a stored Web-Mercator copy of each category geometry.
#: Generated by PostgreSQL from ``geom`` (never written by the app); what tiles encode, so no
#: tile transforms a feature. Not indexed: tiles find features with the index of ``geom``.
MERCATOR_COLUMN = "geom_3857"
for _table in TABLES.values():
    _table.append_column(
        Column(
            MERCATOR_COLUMN,
            Geometry("GEOMETRY", srid=3857, spatial_index=False),
            Computed("ST_Transform(geom, 3857)", persisted=True),
            nullable=True,
        )
    )

"""SQLAlchemy tables built from the category definitions (the migrations create them)."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    REAL,
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
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint

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
    if f.references is not None:  # declared: a supply's depot, an enterprise plan's site
        target = ForeignKey(f"{f.references}.id", ondelete="SET NULL")
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
    for indexed in category.indexed:  # declared by the category (supplies: depot_id)
        Index(f"ix_{category.id}_{indexed}", table.c[indexed])
    return table


TABLES: dict[str, Table] = {c.id: _build_table(c) for c in CATEGORIES}


def table_for(collection_id: str) -> Table:
    """The table of a collection (id == table name)."""
    return TABLES[collection_id]


# Incidents reported by commanders (issue 5); event vocabulary from gis_onemap.categories.events.
#: Incident people counts and severity columns (migration 0009; NULL = not known yet).
INCIDENT_PEOPLE = ("dead", "missing", "injured", "seriously_injured", "affected_people")
INCIDENT_SEVERITY_COLUMNS = ("severity_reported", "severity_derived", "severity_override")


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
        # issue 13, migration 0009: incidents that evolve (analysis/incident_rules.py)
        Column("occurred_at", DateTime(timezone=True), nullable=True),
        *(Column(c, Integer, nullable=True) for c in INCIDENT_PEOPLE),
        Column("direct_loss_yuan", Numeric(18, 2), nullable=True),
        *(Column(c, Text, nullable=True) for c in INCIDENT_SEVERITY_COLUMNS),
        Column("severity_source", Text, nullable=True),
        Column("severity_basis", Text, nullable=True),
        Column("severity_override_reason", Text, nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # migration 0019: the smallest loaded region holding the point, set by a trigger; the
        # region scope's policies read it (NULL: outside every region, unscoped tokens only)
        Column("region_code", Text, nullable=True),
        *(CheckConstraint(f"{c} >= 0", name=f"{c}_nonnegative") for c in INCIDENT_PEOPLE),
        CheckConstraint("direct_loss_yuan >= 0", name="direct_loss_yuan_nonnegative"),
        *(
            CheckConstraint(f"{c} IN ({_in(s.value for s in SEVERITIES)})", name=c)
            for c in INCIDENT_SEVERITY_COLUMNS
        ),
        CheckConstraint(
            "severity_source IN ('override', 'derived', 'reported')", name="severity_source"
        ),
        CheckConstraint(
            "severity_override IS NULL OR btrim(coalesce(severity_override_reason, '')) <> ''",
            name="override_reason",
        ),
        CheckConstraint("occurred_at <= reported_at", name="occurred_before_reported"),
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

# --- monitoring feeds (migration 0014) ---------------------------------------------------------
#: Sensors attached to hazard sources, with their warning thresholds (蓝/黄/橙/红).
MONITORING_POINTS: Table = Table(
    "monitoring_points",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column(
        "hazard_source_id",
        BigInteger,
        ForeignKey("hazard_sources.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("sensor_type", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("direction", Text, nullable=False, server_default=text("'above'")),
    Column("thresholds", JSONB, nullable=False),
    Column("interval_s", Integer, nullable=False, server_default=text("60")),
    Column("region_code", Text, nullable=True),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("direction IN ('above', 'below')", name="direction"),
    CheckConstraint("interval_s BETWEEN 1 AND 86400", name="interval"),
)

#: The latest reading per point (kept apart so ingest does not fire the points' audit triggers).
MONITORING_STATE: Table = Table(
    "monitoring_state",
    metadata,
    Column(
        "point_id",
        BigInteger,
        ForeignKey("monitoring_points.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("last_observed_at", DateTime(timezone=True), nullable=False),
    Column("last_value", Double, nullable=False),
    Column("last_level", Text, nullable=True),
)

#: Readings, partitioned by month on ``observed_at`` (partitions made on demand).
MONITORING_READINGS: Table = Table(
    "monitoring_readings",
    metadata,
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("point_id", Integer, nullable=False),
    Column("value", REAL, nullable=False),
    # point first: per-sensor series and the duplicate check use it
    PrimaryKeyConstraint("point_id", "observed_at"),
    postgresql_partition_by="RANGE (observed_at)",
)

#: Warnings opened when a reading crosses a threshold; at most one open per point.
MONITORING_WARNINGS: Table = Table(
    "monitoring_warnings",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "point_id",
        BigInteger,
        ForeignKey("monitoring_points.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("hazard_source_id", BigInteger, nullable=False),
    Column("level", Text, nullable=False),
    Column("value", Double, nullable=False),
    Column("threshold", Double, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, index=True),
    Column(
        "raised_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=text("clock_timestamp()"),
    ),
    Column("escalated_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("region_code", Text, nullable=True),
    CheckConstraint("level IN ('blue', 'yellow', 'orange', 'red')", name="level"),
)
Index(
    "ux_monitoring_warnings_open",
    MONITORING_WARNINGS.c.point_id,
    unique=True,
    postgresql_where=text("closed_at IS NULL"),
)

# --- dispatch (migration 0015) -----------------------------------------------------------------
#: Teams and supplies sent to an incident, with the time of each status.
DISPATCHES: Table = Table(
    "dispatches",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("collection", Text, nullable=False),
    Column("feature_id", BigInteger, nullable=False),
    Column("quantity", Double, nullable=True),
    Column("returned_quantity", Double, nullable=True),
    Column("people", Integer, nullable=True),
    Column("vehicles", Integer, nullable=True),
    Column("status", Text, nullable=False, server_default=text("'assigned'")),
    Column("eta_s", Double, nullable=True),
    Column("note", Text, nullable=True),
    Column("region_code", Text, nullable=True),
    Column("created_by", Text, nullable=True),
    Column(
        "assigned_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=text("clock_timestamp()"),
    ),
    Column("en_route_at", DateTime(timezone=True), nullable=True),
    Column("on_site_at", DateTime(timezone=True), nullable=True),
    Column("released_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('assigned', 'en_route', 'on_site', 'released')", name="status"),
    CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
    CheckConstraint(
        "returned_quantity IS NULL OR (returned_quantity >= 0 AND returned_quantity <= quantity)",
        name="returned",
    ),
)
Index("ix_dispatches_collection", DISPATCHES.c.collection, DISPATCHES.c.feature_id)

# --- duty roster and log (migration 0016) --------------------------------------------------------
#: Who is on duty when (带班领导, 值班员 ...), with contact; no overlapping shifts per person.
DUTY_SHIFTS: Table = Table(
    "duty_shifts",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("person", Text, nullable=False),
    Column("post", Text, nullable=False),
    Column("phone", Text, nullable=True),
    Column("region_code", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("created_by", Text, nullable=True),
    CheckConstraint("ends_at > starts_at", name="order"),
    CheckConstraint("ends_at - starts_at <= interval '7 days'", name="length"),
    # one person, one shift at a time (btree_gist: ``=`` on text inside a GiST index)
    ExcludeConstraint(
        (column("person"), "="),
        (func.tstzrange(column("starts_at"), column("ends_at")), "&&"),
        name="ex_duty_shifts_person_overlap",
        using="gist",
    ),
)

#: What happened and what was done, per shift (值班日志).
DUTY_LOG: Table = Table(
    "duty_log",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(), index=True),
    Column(
        "shift_id",
        BigInteger,
        ForeignKey("duty_shifts.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("incident_id", BigInteger, ForeignKey("incidents.id", ondelete="SET NULL")),
    Column("kind", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("region_code", Text, nullable=True),
    CheckConstraint("kind IN ('event', 'action', 'call', 'handover', 'note')", name="kind"),
)

# --- incident reports and their deadlines (migration 0017) ---------------------------------------
#: Reports filed for an incident (初报/续报/终报, verbal or written).
INCIDENT_REPORTS: Table = Table(
    "incident_reports",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column(
        "filed_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=text("clock_timestamp()"),
    ),
    Column("text", Text, nullable=False),
    Column("figures", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("author", Text, nullable=False),
    CheckConstraint("kind IN ('initial', 'follow_up', 'final')", name="kind"),
    CheckConstraint("form IN ('verbal', 'written')", name="form"),
)

#: Files attached to a report (photos, scanned forms), size-limited by a setting.
REPORT_ATTACHMENTS: Table = Table(
    "report_attachments",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "report_id",
        BigInteger,
        ForeignKey("incident_reports.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("media_type", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

#: Each report an incident owes, when, under which rule, and the report that fulfilled it.
REPORT_OBLIGATIONS: Table = Table(
    "report_obligations",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("rule", Text, nullable=False),
    Column("report_id", BigInteger, ForeignKey("incident_reports.id", ondelete="SET NULL")),
    Column("done_at", DateTime(timezone=True), nullable=True),
)
Index(
    "ix_report_obligations_open",
    REPORT_OBLIGATIONS.c.due_at,
    postgresql_where=text("report_id IS NULL"),
)

#: A bureau's own deadline tables; the newest is used (none: the shipped default).
REPORT_DEADLINE_TABLES: Table = Table(
    "report_deadline_tables",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("table", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", Text, nullable=True),
)


# ---- live operations (issue 17 part 1): event bus, situation layer, team positions ------------
def _situation_symbol_ids() -> str:
    from gis_onemap.live.symbols import symbol_ids

    return ", ".join(f"'{s}'" for s in symbol_ids())


#: The event bus: one row per published event; ``id`` is the SSE event id (``Last-Event-ID``).
#: ``region_code`` decides who may see it (a region-limited token sees its regions' events);
#: NULL with no incident = a global event every reader sees.
LIVE_EVENTS: Table = Table(
    "live_events",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("incident_id", BigInteger, nullable=True),
    Column("kind", Text, nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("region_code", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("kind ~ '^[a-z][a-z0-9_.]{0,62}$'", name="kind_format"),
)
Index("ix_live_events_created_at", LIVE_EVENTS.c.created_at)
Index("ix_live_events_incident_id_id", LIVE_EVENTS.c.incident_id, LIVE_EVENTS.c.id)

#: The shared situation layer (态势标绘): annotations of one incident, OGC API Features items.
SITUATION_ANNOTATIONS: Table = Table(
    "situation_annotations",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "incident_id",
        BigInteger,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("symbol", Text, nullable=False),
    Column("label", Text, nullable=True),
    Column("observed_at", DateTime(timezone=True), nullable=True),
    Column("author", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint(f"symbol IN ({_situation_symbol_ids()})", name="symbol"),
    CheckConstraint(
        "ST_GeometryType(geom) IN ('ST_Point', 'ST_LineString', 'ST_Polygon')", name="geom_type"
    ),
    CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
)
Index("ix_situation_annotations_incident_id", SITUATION_ANNOTATIONS.c.incident_id)
Index("ix_situation_annotations_geom", SITUATION_ANNOTATIONS.c.geom, postgresql_using="gist")

#: Team positions from field devices: one row per (team, time), duplicates ignored; points
#: that imply an impossible speed or lie in the future are kept with a flag.
TEAM_POSITIONS: Table = Table(
    "team_positions",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "team_id",
        BigInteger,
        ForeignKey("rescue_teams.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("speed_mps", Double, nullable=True),
    Column("heading_deg", Double, nullable=True),
    Column("flags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint("speed_mps IS NULL OR speed_mps >= 0", name="speed_nonnegative"),
    CheckConstraint(
        "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)", name="heading_range"
    ),
)
Index(
    "uq_team_positions_team_id_observed_at",
    TEAM_POSITIONS.c.team_id,
    TEAM_POSITIONS.c.observed_at,
    unique=True,
)


#: Population (issue 15): an auxiliary layer, not one of the 8 — grid cells, villages (村),
#: communities (社区) or points with their resident population (day/night when known).
POPULATION_KINDS = ("grid", "village", "community", "point")
POPULATION: Table = Table(
    "population",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("name", Text, nullable=True),
    Column("region_code", Text, nullable=True),
    Column("population", Integer, nullable=False),
    Column("population_day", Integer, nullable=True),
    Column("population_night", Integer, nullable=True),
    Column("kind", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    Column("extra", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint("population >= 0", name="population_non_negative"),
    CheckConstraint("population_day IS NULL OR population_day >= 0", name="day_non_negative"),
    CheckConstraint("population_night IS NULL OR population_night >= 0", name="night_non_negative"),
    CheckConstraint("kind IN ('grid', 'village', 'community', 'point')", name="kind"),
)
Index("ix_population_geom", POPULATION.c.geom, postgresql_using="gist")
Index("ix_population_region_code", POPULATION.c.region_code)


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

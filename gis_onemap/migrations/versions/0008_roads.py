"""roads: pgRouting extension, road_edges/road_vertices/road_closures/road_loads (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Road class ids at this revision (gis_onemap/roads/data/road_classes.json).
ROAD_CLASSES = (
    "expressway", "national", "provincial", "county", "township", "urban_expressway",
    "arterial", "secondary", "branch", "village", "ferry",
)  # fmt: skip


def _require_pgrouting() -> None:
    bind = op.get_bind()
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting'")
    ).first()
    if available is None:
        raise RuntimeError(
            "the pgRouting extension is not installed on the database server: install the "
            "Debian package postgresql-<version>-pgrouting (scripts/install_system_packages.sh "
            "does) or ask the database administrator to, then migrate again"
        )
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")


def upgrade() -> None:
    _require_pgrouting()
    classes = ", ".join(f"'{c}'" for c in ROAD_CLASSES)
    op.create_table(
        "road_edges",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("road_class", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("length_m", sa.Double(), nullable=False),
        sa.Column("speed_kmh", sa.Double(), nullable=False),
        sa.Column("cost_s", sa.Double(), nullable=False),
        sa.Column("reverse_cost_s", sa.Double(), nullable=False),
        sa.Column("oneway", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("bridge", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tunnel", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ferry", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "geom",
            Geometry(geometry_type="LINESTRING", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint(f"road_class IN ({classes})", name=op.f("ck_road_edges_road_class")),
        sa.CheckConstraint("speed_kmh > 0", name=op.f("ck_road_edges_speed_positive")),
        sa.CheckConstraint(
            "length_m >= 0 AND cost_s >= 0", name=op.f("ck_road_edges_cost_nonnegative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edges")),
    )
    op.create_index("ix_road_edges_geom", "road_edges", ["geom"], postgresql_using="gist")
    op.create_index("ix_road_edges_source", "road_edges", ["source"])
    op.create_index("ix_road_edges_target", "road_edges", ["target"])
    op.create_table(
        "road_vertices",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "geom", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_vertices")),
    )
    op.create_index("ix_road_vertices_geom", "road_vertices", ["geom"], postgresql_using="gist")
    op.create_table(
        "road_closures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.Column(
            "edge_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'::bigint[]"),
            nullable=False,
        ),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "geom IS NULL OR ST_GeometryType(geom) IN ('ST_Polygon', 'ST_MultiPolygon')",
            name=op.f("ck_road_closures_polygonal"),
        ),
        sa.CheckConstraint(
            "geom IS NOT NULL OR cardinality(edge_ids) > 0",
            name=op.f("ck_road_closures_what_is_closed"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from",
            name=op.f("ck_road_closures_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_closures")),
    )
    op.create_index("ix_road_closures_geom", "road_closures", ["geom"], postgresql_using="gist")
    op.create_table(
        "road_loads",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_loads")),
    )


def downgrade() -> None:
    for table in ("road_loads", "road_closures", "road_vertices", "road_edges"):
        op.drop_table(table)
    op.execute("DROP EXTENSION IF EXISTS pgrouting")

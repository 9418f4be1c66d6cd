"""live operations: live_events (the event bus), situation_annotations, team_positions (issue 17)

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Situation symbols at this revision (gis_onemap/live/data/situation_symbols.json).
SYMBOLS = (
    "command_post", "cordon", "evacuation_route", "water_source", "fire_front", "staging_area",
    "casualty_point", "danger_zone", "roadblock", "medical_point", "note",
)  # fmt: skip
APP_ROLES = ("onemap_app", "onemap_app_scoped")
TABLES = ("live_events", "situation_annotations", "team_positions")


def upgrade() -> None:
    op.create_table(
        "live_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind ~ '^[a-z][a-z0-9_.]{0,62}$'", name=op.f("ck_live_events_kind_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
    )
    op.create_index("ix_live_events_created_at", "live_events", ["created_at"])
    op.create_index("ix_live_events_incident_id_id", "live_events", ["incident_id", "id"])

    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    op.create_table(
        "situation_annotations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint(f"symbol IN ({symbols})", name=op.f("ck_situation_annotations_symbol")),
        sa.CheckConstraint(
            "ST_GeometryType(geom) IN ('ST_Point', 'ST_LineString', 'ST_Polygon')",
            name=op.f("ck_situation_annotations_geom_type"),
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_situation_annotations_geom_valid")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_situation_annotations_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_situation_annotations")),
    )
    op.create_index(
        "ix_situation_annotations_incident_id", "situation_annotations", ["incident_id"]
    )
    op.create_index(
        "ix_situation_annotations_geom",
        "situation_annotations",
        ["geom"],
        postgresql_using="gist",
    )

    op.create_table(
        "team_positions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("speed_mps", sa.Double(), nullable=True),
        sa.Column("heading_deg", sa.Double(), nullable=True),
        sa.Column(
            "flags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint(
            "speed_mps IS NULL OR speed_mps >= 0", name=op.f("ck_team_positions_speed_nonnegative")
        ),
        sa.CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg < 360)",
            name=op.f("ck_team_positions_heading_range"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["rescue_teams.id"],
            name=op.f("fk_team_positions_team_id_rescue_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_positions")),
    )
    op.create_index(
        "uq_team_positions_team_id_observed_at",
        "team_positions",
        ["team_id", "observed_at"],
        unique=True,
    )
    # situation edits are audited like the category tables (migration 0005's trigger functions)
    for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
        ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
            event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
        )
        op.execute(
            f"CREATE TRIGGER situation_annotations_audit_{fn} AFTER {event} "
            f"ON situation_annotations REFERENCING {ref} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
        )
    # the app roles got default privileges in 0005; say it again for databases whose tables
    # were created by another owner
    for role in APP_ROLES:
        for t in TABLES:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role}")
            op.execute(f"GRANT USAGE, SELECT, UPDATE ON SEQUENCE {t}_id_seq TO {role}")


def downgrade() -> None:
    op.drop_index("uq_team_positions_team_id_observed_at", table_name="team_positions")
    op.drop_table("team_positions")
    op.drop_index("ix_situation_annotations_geom", table_name="situation_annotations")
    op.drop_index("ix_situation_annotations_incident_id", table_name="situation_annotations")
    op.drop_table("situation_annotations")
    op.drop_index("ix_live_events_incident_id_id", table_name="live_events")
    op.drop_index("ix_live_events_created_at", table_name="live_events")
    op.drop_table("live_events")

"""Monitoring feeds: points on hazard sources, time-partitioned readings, warnings.

``monitoring_readings`` is partitioned by month on ``observed_at`` (PostgreSQL declarative
partitioning; TimescaleDB is not in Debian): a year of 1-minute readings from 1,000 sensors is
525 M narrow rows, and retention is ``DROP``/``DETACH`` of a month, not a ``DELETE``. Partitions
are created on demand by ``monitoring_ensure_partitions`` (SECURITY DEFINER, so the app role
needs no DDL rights). Rows are kept narrow on purpose (timestamptz + int4 + float4: 16 bytes of
data): the primary key (point_id, observed_at) drops re-sent readings and serves per-sensor series.

Revision ID: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels = None
depends_on = None

APP_ROLES = ("onemap_app", "onemap_app_scoped")
REGION_TABLES = ("monitoring_points", "monitoring_warnings")

ENSURE_PARTITIONS = """
CREATE FUNCTION monitoring_ensure_partitions(first timestamptz, last timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    m date := date_trunc('month', first AT TIME ZONE 'UTC')::date;
    stop date := date_trunc('month', last AT TIME ZONE 'UTC')::date;
    made integer := 0;
    name text;
BEGIN
    IF stop - m > 800 THEN
        RAISE EXCEPTION 'monitoring_ensure_partitions: span too long' USING ERRCODE = '22023';
    END IF;
    WHILE m <= stop LOOP
        name := format('monitoring_readings_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        IF to_regclass(name) IS NULL THEN
            -- a concurrent ingest may be creating the same month: its CREATE waits for that
            -- transaction and then fails with duplicate_table, which means the month exists
            -- (an advisory lock would not do: the catalog cache is not refreshed by it)
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF monitoring_readings '
                    'FOR VALUES FROM (%L) TO (%L)',
                    name, (m::timestamp AT TIME ZONE 'UTC'),
                    ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                made := made + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL;
            END;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "monitoring_points",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hazard_source_id", sa.BigInteger(), nullable=False),
        sa.Column("sensor_type", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), server_default=sa.text("'above'"), nullable=False),
        sa.Column("thresholds", JSONB(), nullable=False),
        sa.Column("interval_s", sa.Integer(), server_default=sa.text("60"), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "direction IN ('above', 'below')", name="ck_monitoring_points_direction"
        ),
        sa.CheckConstraint("interval_s BETWEEN 1 AND 86400", name="ck_monitoring_points_interval"),
        sa.ForeignKeyConstraint(
            ["hazard_source_id"],
            ["hazard_sources.id"],
            ondelete="CASCADE",
            name="fk_monitoring_points_hazard_source_id_hazard_sources",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_points"),
        sa.UniqueConstraint("code", name="uq_monitoring_points_code"),
    )
    op.create_index(
        "ix_monitoring_points_hazard_source_id", "monitoring_points", ["hazard_source_id"]
    )
    # the latest reading per point, apart from the point itself: updating it on every ingest
    # must not fire the points' audit triggers (one audit row per reading would drown the log)
    op.create_table(
        "monitoring_state",
        sa.Column("point_id", sa.BigInteger(), nullable=False),
        sa.Column("last_observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=False),
        sa.Column("last_level", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            ondelete="CASCADE",
            name="fk_monitoring_state_point_id_monitoring_points",
        ),
        sa.PrimaryKeyConstraint("point_id", name="pk_monitoring_state"),
    )
    op.execute(
        "CREATE TABLE monitoring_readings ("
        " observed_at timestamptz NOT NULL,"
        " point_id integer NOT NULL,"
        " value real NOT NULL,"
        " CONSTRAINT pk_monitoring_readings PRIMARY KEY (point_id, observed_at)"
        ") PARTITION BY RANGE (observed_at)"
    )
    op.create_table(
        "monitoring_warnings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("point_id", sa.BigInteger(), nullable=False),
        sa.Column("hazard_source_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "raised_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "level IN ('blue', 'yellow', 'orange', 'red')", name="ck_monitoring_warnings_level"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["monitoring_points.id"],
            ondelete="CASCADE",
            name="fk_monitoring_warnings_point_id_monitoring_points",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_warnings"),
    )
    # at most one open warning per point: concurrent ingests cannot open two
    op.create_index(
        "ux_monitoring_warnings_open",
        "monitoring_warnings",
        ["point_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("ix_monitoring_warnings_opened_at", "monitoring_warnings", ["opened_at"])
    op.execute(ENSURE_PARTITIONS)
    for role in APP_ROLES:
        op.execute(
            f"GRANT EXECUTE ON FUNCTION monitoring_ensure_partitions(timestamptz, "
            f"timestamptz) TO {role}"
        )
    # region scope as on the 8 categories (migration 0005): a point or warning belongs to the
    # region of its hazard source
    roles = ", ".join(APP_ROLES)
    for t in REGION_TABLES:
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {t}_read ON {t} FOR SELECT TO onemap_app USING (true)")
        op.execute(
            f"CREATE POLICY {t}_read_scoped ON {t} FOR SELECT TO onemap_app_scoped "
            "USING (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_insert ON {t} FOR INSERT TO {roles} "
            "WITH CHECK (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_update ON {t} FOR UPDATE TO {roles} "
            "USING (onemap_region_allowed(region_code)) "
            "WITH CHECK (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_delete ON {t} FOR DELETE TO {roles} "
            "USING (onemap_region_allowed(region_code))"
        )
    for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
        ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
            event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
        )
        op.execute(
            f"CREATE TRIGGER monitoring_points_audit_{fn} AFTER {event} ON monitoring_points "
            f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
        )


def downgrade() -> None:
    op.drop_table("monitoring_warnings")
    op.execute("DROP TABLE monitoring_readings")  # with its partitions
    op.execute("DROP FUNCTION monitoring_ensure_partitions(timestamptz, timestamptz)")
    op.drop_table("monitoring_state")
    op.drop_table("monitoring_points")

"""Dispatch: teams and supplies sent to incidents, with their status times (issue 17).

Revision ID: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels = None
depends_on = None

APP_ROLES = ("onemap_app", "onemap_app_scoped")
STATUSES = "('assigned', 'en_route', 'on_site', 'released')"


def upgrade() -> None:
    op.create_table(
        "dispatches",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=True),
        sa.Column("returned_quantity", sa.Double(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("vehicles", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'assigned'"), nullable=False),
        sa.Column("eta_s", sa.Double(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("en_route_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_site_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_dispatches_status"),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity > 0", name="ck_dispatches_quantity_positive"
        ),
        sa.CheckConstraint(
            "returned_quantity IS NULL OR (returned_quantity >= 0 AND returned_quantity <= quantity)",
            name="ck_dispatches_returned",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            ondelete="CASCADE",
            name="fk_dispatches_incident_id_incidents",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dispatches"),
    )
    op.create_index("ix_dispatches_incident_id", "dispatches", ["incident_id"])
    op.create_index("ix_dispatches_collection", "dispatches", ["collection", "feature_id"])
    roles = ", ".join(APP_ROLES)
    op.execute("ALTER TABLE dispatches ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY dispatches_read ON dispatches FOR SELECT TO onemap_app USING (true)")
    op.execute(
        "CREATE POLICY dispatches_read_scoped ON dispatches FOR SELECT TO onemap_app_scoped "
        "USING (onemap_region_allowed(region_code))"
    )
    op.execute(
        f"CREATE POLICY dispatches_insert ON dispatches FOR INSERT TO {roles} "
        "WITH CHECK (onemap_region_allowed(region_code))"
    )
    op.execute(
        f"CREATE POLICY dispatches_update ON dispatches FOR UPDATE TO {roles} "
        "USING (onemap_region_allowed(region_code)) "
        "WITH CHECK (onemap_region_allowed(region_code))"
    )
    for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
        ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
            event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
        )
        op.execute(
            f"CREATE TRIGGER dispatches_audit_{fn} AFTER {event} ON dispatches "
            f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
        )


def downgrade() -> None:
    op.drop_table("dispatches")

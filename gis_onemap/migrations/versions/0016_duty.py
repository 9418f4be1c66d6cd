"""Duty: the roster (who is on duty when, with contact) and the duty log per shift (issue 17).

A person cannot hold two overlapping shifts: an exclusion constraint over the shift's time range
(``btree_gist`` lets a GiST index compare the person's name with ``=``), so two editors booking
the same person at once cannot both succeed.

Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels = None
depends_on = None

APP_ROLES = ("onemap_app", "onemap_app_scoped")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("post", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ck_duty_shifts_order"),
        sa.CheckConstraint(
            "ends_at - starts_at <= interval '7 days'", name="ck_duty_shifts_length"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_duty_shifts"),
    )
    op.execute(
        "ALTER TABLE duty_shifts ADD CONSTRAINT ex_duty_shifts_person_overlap "
        "EXCLUDE USING gist (person WITH =, tstzrange(starts_at, ends_at) WITH &&)"
    )
    op.create_index("ix_duty_shifts_starts_at", "duty_shifts", ["starts_at"])
    op.create_table(
        "duty_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("shift_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('event', 'action', 'call', 'handover', 'note')", name="ck_duty_log_kind"
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["duty_shifts.id"],
            ondelete="SET NULL",
            name="fk_duty_log_shift_id_duty_shifts",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            ondelete="SET NULL",
            name="fk_duty_log_incident_id_incidents",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_duty_log"),
    )
    op.create_index("ix_duty_log_at", "duty_log", ["at"])
    op.create_index("ix_duty_log_shift_id", "duty_log", ["shift_id"])
    for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
        ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
            event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
        )
        for t in ("duty_shifts", "duty_log"):
            op.execute(
                f"CREATE TRIGGER {t}_audit_{fn} AFTER {event} ON {t} "
                f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
            )


def downgrade() -> None:
    op.drop_table("duty_log")
    op.drop_table("duty_shifts")

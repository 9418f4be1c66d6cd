"""Incident reports and their deadlines (issue 17).

``report_obligations`` holds each report an incident owes (kind, form, due time, the rule) and
which report fulfilled it, so "overdue" is one indexed query (``report_id IS NULL AND due_at <
now()``) rather than a recomputation over every incident. ``report_deadline_tables`` keeps the
bureau's own tables (the newest is used; none = the shipped default).

Revision ID: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column(
            "filed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("figures", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('initial', 'follow_up', 'final')", name="ck_incident_reports_kind"
        ),
        sa.CheckConstraint("form IN ('verbal', 'written')", name="ck_incident_reports_form"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            ondelete="CASCADE",
            name="fk_incident_reports_incident_id_incidents",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_reports"),
    )
    op.create_index("ix_incident_reports_incident_id", "incident_reports", ["incident_id"])
    op.create_table(
        "report_attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["incident_reports.id"],
            ondelete="CASCADE",
            name="fk_report_attachments_report_id_incident_reports",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_attachments"),
    )
    op.create_index("ix_report_attachments_report_id", "report_attachments", ["report_id"])
    op.create_table(
        "report_obligations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            ondelete="CASCADE",
            name="fk_report_obligations_incident_id_incidents",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["incident_reports.id"],
            ondelete="SET NULL",
            name="fk_report_obligations_report_id_incident_reports",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_obligations"),
    )
    op.create_index("ix_report_obligations_incident_id", "report_obligations", ["incident_id"])
    op.create_index(
        "ix_report_obligations_open",
        "report_obligations",
        ["due_at"],
        postgresql_where=sa.text("report_id IS NULL"),
    )
    op.create_table(
        "report_deadline_tables",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("table", JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_report_deadline_tables"),
    )
    for t in ("incident_reports", "report_deadline_tables"):
        for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
            ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
                event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
            )
            op.execute(
                f"CREATE TRIGGER {t}_audit_{fn} AFTER {event} ON {t} "
                f"REFERENCING {ref} FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
            )


def downgrade() -> None:
    op.drop_table("report_deadline_tables")
    op.drop_table("report_obligations")
    op.drop_table("report_attachments")
    op.drop_table("incident_reports")

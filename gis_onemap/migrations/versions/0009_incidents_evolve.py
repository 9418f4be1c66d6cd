"""incidents that evolve: occurred_at, casualties, loss, derived severity, audit (issue 13)

Carries every incident forward: its ``severity`` (given in the report) is kept as the effective
severity and copied to ``severity_reported`` with ``severity_source = 'reported'``; casualties
and loss are unknown (NULL); ``updated_at`` (the ETag of ``PATCH``) starts at ``received_at``.
Incident writes now reach the audit log through the triggers of migration 0005.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PEOPLE = ("dead", "missing", "injured", "seriously_injured", "affected_people")
SEVERITY_COLUMNS = ("severity_reported", "severity_derived", "severity_override")
SEVERITIES = "'I', 'II', 'III', 'IV'"


def upgrade() -> None:
    op.add_column("incidents", sa.Column("occurred_at", sa.DateTime(timezone=True)))
    for c in PEOPLE:
        op.add_column("incidents", sa.Column(c, sa.Integer()))
    op.add_column("incidents", sa.Column("direct_loss_yuan", sa.Numeric(18, 2)))
    for c in SEVERITY_COLUMNS:
        op.add_column("incidents", sa.Column(c, sa.Text()))
    op.add_column("incidents", sa.Column("severity_source", sa.Text()))
    op.add_column("incidents", sa.Column("severity_basis", sa.Text()))
    op.add_column("incidents", sa.Column("severity_override_reason", sa.Text()))
    op.add_column(
        "incidents",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.execute(
        "UPDATE incidents SET updated_at = received_at, severity_reported = severity, "
        "severity_source = CASE WHEN severity IS NULL THEN NULL ELSE 'reported' END"
    )
    for c in PEOPLE:
        op.create_check_constraint(op.f(f"ck_incidents_{c}_nonnegative"), "incidents", f"{c} >= 0")
    op.create_check_constraint(
        op.f("ck_incidents_direct_loss_yuan_nonnegative"), "incidents", "direct_loss_yuan >= 0"
    )
    for c in SEVERITY_COLUMNS:
        op.create_check_constraint(op.f(f"ck_incidents_{c}"), "incidents", f"{c} IN ({SEVERITIES})")
    op.create_check_constraint(
        op.f("ck_incidents_severity_source"),
        "incidents",
        "severity_source IN ('override', 'derived', 'reported')",
    )
    op.create_check_constraint(
        op.f("ck_incidents_override_reason"),
        "incidents",
        "severity_override IS NULL OR btrim(coalesce(severity_override_reason, '')) <> ''",
    )
    op.create_check_constraint(
        op.f("ck_incidents_occurred_before_reported"), "incidents", "occurred_at <= reported_at"
    )
    # the same statement-level audit triggers as the 8 categories (migration 0005)
    for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
        ref = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}.get(
            event, "OLD TABLE AS old_rows NEW TABLE AS new_rows"
        )
        op.execute(
            f"CREATE TRIGGER incidents_audit_{fn} AFTER {event} ON incidents REFERENCING {ref} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
        )


def downgrade() -> None:
    for fn in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS incidents_audit_{fn} ON incidents")
    # an override was the effective severity: keep it in the old single column
    op.execute("UPDATE incidents SET severity = coalesce(severity_override, severity)")
    for c in (
        "updated_at",
        "severity_override_reason",
        "severity_basis",
        "severity_source",
        *SEVERITY_COLUMNS,
        "direct_loss_yuan",
        *PEOPLE,
        "occurred_at",
    ):
        op.drop_column("incidents", c)  # its check constraints go with it

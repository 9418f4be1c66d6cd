"""tile_versions: per-collection version bumped on every write, for tile caches (issue 6)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The 8 category tables (fixed at this revision; a later category adds its own trigger).
CATEGORY_TABLES = (
    "hazard_sources",
    "protected_targets",
    "rescue_teams",
    "supplies",
    "depots",
    "shelters",
    "experts",
    "plans",
)

# The version only ever grows and is at least the clock in microseconds, so versions are not
# reused even if the database is rebuilt (a disk tile cache can then never serve an old tile).
# The upsert keeps working for a table whose row is missing. Statement-level triggers fire once
# per INSERT/UPDATE/DELETE/TRUNCATE statement, including the supplies updates made by the
# depots_move_supplies trigger, and for writes from any process.
BUMP_FUNCTION = """
CREATE FUNCTION onemap_bump_tile_version() RETURNS trigger AS $$
BEGIN
    INSERT INTO tile_versions AS v (collection, version)
    VALUES (TG_TABLE_NAME, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (collection) DO UPDATE SET version = GREATEST(
        v.version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.create_table(
        "tile_versions",
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("collection", name=op.f("pk_tile_versions")),
    )
    op.execute(BUMP_FUNCTION)
    for table in CATEGORY_TABLES:
        op.execute(
            f"INSERT INTO tile_versions (collection, version) VALUES ('{table}', "
            "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint)"
        )
        op.execute(
            f"CREATE TRIGGER {table}_bump_tile_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION onemap_bump_tile_version()"
        )


def downgrade() -> None:
    for table in CATEGORY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_tile_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS onemap_bump_tile_version()")
    op.drop_table("tile_versions")

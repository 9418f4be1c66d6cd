"""population bumps its tile version on every write, so its tiles and the risk map's can be cached

The population layer (migration 0010) had no ``tile_versions`` trigger: a reload changed nothing
a cache key could see, so cached risk-map tiles (which count population) stayed as they were
until the process restarted, and the population tiles could not be cached at all.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the same statement trigger and function as the 8 categories (migration 0003)
    op.execute(
        "INSERT INTO tile_versions (collection, version) VALUES ('population', "
        "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint) "
        "ON CONFLICT (collection) DO NOTHING"
    )
    op.execute(
        "CREATE TRIGGER population_bump_tile_version "
        "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON population "
        "FOR EACH STATEMENT EXECUTE FUNCTION onemap_bump_tile_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS population_bump_tile_version ON population")
    op.execute("DELETE FROM tile_versions WHERE collection = 'population'")

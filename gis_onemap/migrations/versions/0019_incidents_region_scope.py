"""incidents get the region scope of the 8 categories: a region_code from their point, and policies

Until now a token limited to regions saw every incident through ``GET /incidents``; the routes
added later (live events, situation layers) filtered by the incident's region in SQL. The
incident's region is the smallest loaded region holding its point (as ``live/events.py``
computes it), kept by a trigger on every insert and move, and backfilled here; the policies are
migration 0005's (a region-limited token reads and writes its regions' incidents only; an
incident outside every loaded region is seen by unscoped tokens only).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

from gis_onemap.migrations.region_scope import add_region_policies, drop_region_policies

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels = None
depends_on = None

REGION_OF = (
    "(SELECT r.code FROM regions r WHERE ST_Covers(r.geom, {point}) "
    "ORDER BY ST_Area(r.geom) LIMIT 1)"
)

# SECURITY DEFINER: the region is the point's, whoever writes (regions are reference data)
FUNCTION = f"""
CREATE FUNCTION onemap_incident_region() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    NEW.region_code := {REGION_OF.format(point="NEW.geom")};
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE incidents ADD COLUMN region_code text")
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER incidents_region BEFORE INSERT OR UPDATE OF geom ON incidents "
        "FOR EACH ROW EXECUTE FUNCTION onemap_incident_region()"
    )
    op.execute(f"UPDATE incidents i SET region_code = {REGION_OF.format(point='i.geom')}")
    add_region_policies("incidents")


def downgrade() -> None:
    drop_region_policies("incidents")
    op.execute("DROP TRIGGER IF EXISTS incidents_region ON incidents")
    op.execute("DROP FUNCTION IF EXISTS onemap_incident_region()")
    op.execute("ALTER TABLE incidents DROP COLUMN region_code")

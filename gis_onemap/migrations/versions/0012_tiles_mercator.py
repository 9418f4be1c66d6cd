"""tiles: a stored Web-Mercator copy of every category geometry (issue 12)

Vector tiles are cut in EPSG:3857. Transforming each feature per tile costed ~15 % of the
database time of a dense tile (bench/tiles/RESULTS.md); a generated column is computed once
per write by PostgreSQL itself (ST_Transform is immutable), so imports, edits and the API need
no change, and tiles encode it directly. No index on it: tiles find their features with the
GiST index of ``geom`` (the tile envelope transformed once), and a second GiST index would
have cost imports ~5 µs a row (80 % of the column's write cost, bench/tiles/RESULTS.md).

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-01 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The category tables at this revision.
TABLES = (
    "hazard_sources", "protected_targets", "rescue_teams", "supplies", "depots", "shelters",
    "experts", "plans",
)  # fmt: skip


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column(
                "geom_3857",
                Geometry("GEOMETRY", srid=3857, spatial_index=False),
                sa.Computed("ST_Transform(geom, 3857)", persisted=True),
                nullable=True,
            ),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "geom_3857")

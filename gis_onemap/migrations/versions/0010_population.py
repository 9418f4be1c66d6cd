"""population: the auxiliary population layer (grid cells, villages, communities, points; issue 15)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "population",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_day", sa.Integer(), nullable=True),
        sa.Column("population_night", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "extra",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint("population >= 0", name=op.f("ck_population_population_non_negative")),
        sa.CheckConstraint(
            "population_day IS NULL OR population_day >= 0",
            name=op.f("ck_population_day_non_negative"),
        ),
        sa.CheckConstraint(
            "population_night IS NULL OR population_night >= 0",
            name=op.f("ck_population_night_non_negative"),
        ),
        sa.CheckConstraint(
            "kind IN ('grid', 'village', 'community', 'point')", name=op.f("ck_population_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population")),
    )
    op.create_index("ix_population_geom", "population", ["geom"], postgresql_using="gist")
    op.create_index("ix_population_region_code", "population", ["region_code"])


def downgrade() -> None:
    op.drop_table("population")

"""The migrations build exactly the schema the category definitions describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import inspect

from gis_onemap.categories import CATEGORIES
from gis_onemap.db.tables import metadata


def _include(obj, name, type_, reflected, compare_to):
    if type_ == "table" and reflected and compare_to is None:
        return False  # PostGIS's own tables
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def test_migrated_schema_matches_category_definitions(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": _include, "compare_type": True}
        )
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_every_category_field_is_a_column(engine):
    insp = inspect(engine)
    for category in CATEGORIES:
        columns = {c["name"] for c in insp.get_columns(category.id)}
        for f in category.all_fields:
            assert f.name in columns, (category.id, f.name)
        assert {"id", "geom", "extra", "updated_at"} <= columns

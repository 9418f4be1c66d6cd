"""The region scope's row-level-security policies for one table, as migration 0005 made them.

Migration 0005 wrote these five policies for the 8 categories, and later migrations repeated the
block for their own tables (0010, 0011, 0014–0017, frozen as they shipped); new migrations call
:func:`add_region_policies` instead. The table needs a ``region_code`` column.
"""

from __future__ import annotations

from alembic import op

APP_ROLE, SCOPED_ROLE = "onemap_app", "onemap_app_scoped"


def add_region_policies(table: str) -> None:
    """Enable row-level security on ``table`` with 0005's read, insert, update, delete policies.

    Unscoped app sessions read every row; region-limited reads (``onemap_app_scoped``) and every
    write keep to ``onemap_region_allowed(region_code)``.
    """
    t, roles = table, f"{APP_ROLE}, {SCOPED_ROLE}"
    allowed = "onemap_region_allowed(region_code)"
    op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {t}_read ON {t} FOR SELECT TO {APP_ROLE} USING (true)")
    op.execute(
        f"CREATE POLICY {t}_read_scoped ON {t} FOR SELECT TO {SCOPED_ROLE} USING ({allowed})"
    )
    op.execute(f"CREATE POLICY {t}_insert ON {t} FOR INSERT TO {roles} WITH CHECK ({allowed})")
    op.execute(
        f"CREATE POLICY {t}_update ON {t} FOR UPDATE TO {roles} "
        f"USING ({allowed}) WITH CHECK ({allowed})"
    )
    op.execute(f"CREATE POLICY {t}_delete ON {t} FOR DELETE TO {roles} USING ({allowed})")


def drop_region_policies(table: str) -> None:
    """Undo :func:`add_region_policies`."""
    for p in ("read", "read_scoped", "insert", "update", "delete"):
        op.execute(f"DROP POLICY IF EXISTS {table}_{p} ON {table}")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

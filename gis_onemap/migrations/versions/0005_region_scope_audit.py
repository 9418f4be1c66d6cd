"""Region scope by row-level security, and audit triggers (issue 11, second half)

The app connects as a superuser locally, and superusers bypass RLS; so every request
transaction switches to a NOLOGIN role without BYPASSRLS and sets ``onemap.regions`` /
``onemap.actor`` (see gis_onemap/auth/dbcontext.py). Policies on the 8 category tables then
decide, for every statement whatever code path sent it: writes only inside the caller's regions.
Two roles, because a read policy that is not the constant ``true`` is a security barrier: the
planner may then not use an index for a non-LEAKPROOF operator, and PostGIS's ``&&`` is not
one (a bbox query becomes a sequential scan). ``onemap_app`` reads everything (``USING (true)``
keeps the indexes); ``onemap_app_scoped`` (read scope on, caller limited to regions) reads only
its regions and pays that cost.

Audit: statement-level triggers with transition tables, SECURITY DEFINER (the app roles may
read audit_log but never write it, so they cannot forge or erase entries). A statement that
inserts one row is a 'create' with the row; one that inserts several (an import by COPY) is a
single 'import' row with the count and the new ids: one INSERT instead of 100,000 jsonb rows
keeps big imports fast. Updates and deletes are one row per feature with before/after.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 22:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
APP_ROLE = "onemap_app"
SCOPED_ROLE = "onemap_app_scoped"
APP_ROLES = (APP_ROLE, SCOPED_ROLE)

# Roles belong to the cluster, not the database: other databases (tests) may have made them.
CREATE_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN NOBYPASSRLS;
    END IF;
END $$;
"""

# Separate grants, no role membership: policies apply to members of a role too, and the
# scoped role must not inherit the app role's read-everything policy.
GRANTS = """
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM {role};
"""

# onemap.regions: '*' = every region, else comma-separated LIKE patterns ('4408%,440803%');
# empty/unset = none (fail closed for the app role). Simple SQL functions: inlined in policies.
FUNCTIONS = """
CREATE FUNCTION onemap_region_allowed(code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('onemap.regions', true), '') = '*'
        OR coalesce(code LIKE ANY (string_to_array(
               nullif(current_setting('onemap.regions', true), ''), ',')), false)
$$;
CREATE FUNCTION onemap_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('onemap.actor', true), ''), 'db:' || session_user)
$$;
CREATE FUNCTION onemap_audit_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM new_rows;
    IF n = 1 THEN
        INSERT INTO audit_log (actor, action, collection, fid, after, reason)
        SELECT onemap_actor(), 'create', TG_TABLE_NAME, r.id, to_jsonb(r),
               nullif(current_setting('onemap.reason', true), '')
        FROM new_rows r;
    ELSIF n > 1 THEN
        INSERT INTO audit_log (actor, action, collection, fid, after, reason)
        SELECT onemap_actor(), 'import', TG_TABLE_NAME, NULL,
               jsonb_build_object('count', count(*), 'ids', jsonb_agg(r.id ORDER BY r.id)),
               nullif(current_setting('onemap.reason', true), '')
        FROM new_rows r;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION onemap_audit_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO audit_log (actor, action, collection, fid, before, after, reason)
    SELECT onemap_actor(),
           CASE WHEN current_setting('onemap.action', true) = 'adjust' THEN 'adjust'
                ELSE 'update' END,
           TG_TABLE_NAME, n.id, to_jsonb(o), to_jsonb(n),
           nullif(current_setting('onemap.reason', true), '')
    FROM old_rows o JOIN new_rows n ON n.id = o.id;
    RETURN NULL;
END $$;
CREATE FUNCTION onemap_audit_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO audit_log (actor, action, collection, fid, before, reason)
    SELECT onemap_actor(), 'delete', TG_TABLE_NAME, o.id, to_jsonb(o),
           nullif(current_setting('onemap.reason', true), '')
    FROM old_rows o;
    RETURN NULL;
END $$;
"""

MOVE_TRIGGER = """CREATE TRIGGER depots_move_supplies AFTER UPDATE OF geom ON depots
    FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION onemap_depot_move_supplies()"""


def upgrade() -> None:
    for role in APP_ROLES:
        op.execute(CREATE_ROLE.format(role=role))
    op.execute(FUNCTIONS)
    # moving a depot moves all of its stock, whoever owns the region of each supply
    op.execute("ALTER FUNCTION onemap_depot_move_supplies() SECURITY DEFINER")
    op.execute("ALTER FUNCTION onemap_depot_move_supplies() SET search_path = public, pg_temp")
    # pg_restore runs with an empty search_path, where ``geometry IS DISTINCT FROM geometry``
    # finds no unique operator and the restore fails: compare the EWKB bytes instead (same
    # meaning: position, SRID and vertex order), with a schema-qualified function
    op.execute("DROP TRIGGER depots_move_supplies ON depots")
    op.execute(MOVE_TRIGGER.format(when="public.st_asewkb(NEW.geom) IS DISTINCT FROM "
                                        "public.st_asewkb(OLD.geom)"))  # fmt: skip
    for t in CATEGORY_TABLES:
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        roles = ", ".join(APP_ROLES)
        op.execute(f"CREATE POLICY {t}_read ON {t} FOR SELECT TO {APP_ROLE} USING (true)")
        op.execute(
            f"CREATE POLICY {t}_read_scoped ON {t} FOR SELECT TO {SCOPED_ROLE} "
            "USING (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_insert ON {t} FOR INSERT TO {roles} "
            "WITH CHECK (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_update ON {t} FOR UPDATE TO {roles} "
            "USING (onemap_region_allowed(region_code)) "
            "WITH CHECK (onemap_region_allowed(region_code))"
        )
        op.execute(
            f"CREATE POLICY {t}_delete ON {t} FOR DELETE TO {roles} "
            "USING (onemap_region_allowed(region_code))"
        )
        for event, fn in (("INSERT", "insert"), ("UPDATE", "update"), ("DELETE", "delete")):
            table_kind = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
            ref = table_kind.get(event, "OLD TABLE AS old_rows NEW TABLE AS new_rows")
            op.execute(
                f"CREATE TRIGGER {t}_audit_{fn} AFTER {event} ON {t} REFERENCING {ref} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION onemap_audit_{fn}()"
            )
    for role in APP_ROLES:
        op.execute(GRANTS.format(role=role))


def downgrade() -> None:
    for t in CATEGORY_TABLES:
        for fn in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}_audit_{fn} ON {t}")
        for p in ("read", "read_scoped", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {t}_{p} ON {t}")
        op.execute(f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY")
    op.execute("ALTER FUNCTION onemap_depot_move_supplies() SECURITY INVOKER")
    op.execute("DROP TRIGGER depots_move_supplies ON depots")
    op.execute(MOVE_TRIGGER.format(when="NEW.geom IS DISTINCT FROM OLD.geom"))
    for fn in ("audit_insert", "audit_update", "audit_delete", "actor"):
        op.execute(f"DROP FUNCTION IF EXISTS onemap_{fn}()")
    op.execute("DROP FUNCTION IF EXISTS onemap_region_allowed(text)")
    # the roles are shared by every database of the cluster: only this database's grants go
    for role in APP_ROLES:
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {role}")
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
        op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {role}")
        op.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")

"""usable resources, plans by jurisdiction, standards-shaped enumerations (issue 13)

Carries every row forward and maps old values to new ones:

- rescue_teams: ``team_type`` (mixed tier and specialty) → ``tier`` + ``specialties``;
  ``readiness`` → ``status`` (same values) + ``status_updated_at`` (= ``updated_at``).
- supplies: new ``status`` (existing rows: ``available``; expiry is judged by date at query time).
- shelters: ``area_m2`` → ``effective_area_m2``; new ``space_type`` (from the site type where it is
  clear), ``hazards_served`` (unknown: NULL), derived ``warnings`` (GB 21734 §5.4).
- plans: ``plan_type`` ``enterprise`` → ``enterprise_comprehensive``; new ``issuer_level``,
  ``area_codes`` (from the issuing unit's region name, else the region code) and
  ``hazard_source_id`` (enterprise plans: the issuer's hazard source nearest the plan).
- incidents: social-security events may carry a severity.
- regions: new table, loaded with the shipped boundaries (``data/demo/districts.geojson``).

Revision ID: 0007
Revises: 0006
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DISTRICTS = Path(__file__).resolve().parents[2] / "data" / "demo" / "districts.geojson"

#: Old team_type → (tier, specialties).
TEAM_TYPE_MAP = {
    "fire_rescue": ("main", ["fire_rescue"]),
    "forest_fire": ("professional", ["forest_fire"]),
    "earthquake_geological": ("professional", ["earthquake_geological"]),
    "mine": ("professional", ["mine"]),
    "hazardous_chemicals": ("professional", ["hazardous_chemicals"]),
    "flood": ("professional", ["flood"]),
    "medical": ("professional", ["medical"]),
    "maritime": ("professional", ["maritime"]),
    "social_volunteer": ("auxiliary", []),
    "other": ("professional", ["other"]),
}
TEAM_SPECIALTIES = (
    "fire_rescue", "full_time_fire", "forest_fire", "earthquake_geological", "mine",
    "hazardous_chemicals", "flood", "medical", "epidemic_prevention", "maritime", "oil_spill",
    "aviation", "communications", "power_repair", "engineering", "militia", "other",
)  # fmt: skip
SHELTER_HAZARDS = (
    "earthquake", "typhoon", "flood", "storm_surge", "geological", "fire", "hazardous_chemicals",
)  # fmt: skip
NEW_PLAN_TYPES = (
    "overall", "special", "departmental", "enterprise_comprehensive", "enterprise_special",
    "enterprise_on_site", "grassroots",
)  # fmt: skip
OLD_PLAN_TYPES = ("overall", "special", "departmental", "enterprise", "grassroots")
OLD_TEAM_TYPES = tuple(TEAM_TYPE_MAP)


PLAN_AREA_SQL = """
CREATE FUNCTION onemap_plan_check_area() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(NEW.area_codes) AS c(code)
               WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.code = c.code)) THEN
        RAISE EXCEPTION 'plans.area_codes: unknown region code' USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER plans_check_area BEFORE INSERT OR UPDATE OF area_codes ON plans
    FOR EACH ROW EXECUTE FUNCTION onemap_plan_check_area();
"""


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _load_regions() -> None:
    if not DISTRICTS.exists():
        return
    conn = op.get_bind()
    features = json.loads(DISTRICTS.read_text(encoding="utf-8"))["features"]
    for f in features:
        p = f["properties"]
        code = p["region_code"]
        if code.endswith("0000"):
            parent = None
        elif code.endswith("00"):
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00"
        conn.execute(
            sa.text(
                "INSERT INTO regions (code, name, level, parent_code, geom) VALUES "
                "(:code, :name, :level, :parent, "
                " ST_Multi(ST_CollectionExtract(ST_MakeValid("
                "   ST_SetSRID(ST_GeomFromGeoJSON(:geom), 4326)), 3)))"
            ),
            {
                "code": code,
                "name": p["name"],
                "level": p["level"],
                "parent": parent,
                "geom": json.dumps(f["geometry"]),
            },
        )


def upgrade() -> None:
    # ---- regions ------------------------------------------------------------------------
    op.create_table(
        "regions",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[1-9][0-9]{5}$'", name=op.f("ck_regions_code_format")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_index("ix_regions_geom", "regions", ["geom"], postgresql_using="gist")
    _load_regions()

    # ---- rescue teams ---------------------------------------------------------------------
    op.add_column("rescue_teams", sa.Column("tier", sa.Text(), comment="力量类别 / Force tier"))
    op.add_column(
        "rescue_teams",
        sa.Column("specialties", postgresql.ARRAY(sa.Text()), comment="专业类别 / Specialties"),
    )
    op.add_column(
        "rescue_teams",
        sa.Column(
            "status_updated_at",
            sa.DateTime(timezone=True),
            comment="状态更新时间 / Status updated at",
        ),
    )
    conn = op.get_bind()
    for old, (tier, specs) in TEAM_TYPE_MAP.items():
        conn.execute(
            sa.text(
                "UPDATE rescue_teams SET tier = :tier, specialties = CAST(:specs AS text[]) "
                "WHERE team_type = :old"
            ),
            {"tier": tier, "specs": specs, "old": old},
        )
    op.drop_constraint(op.f("ck_rescue_teams_team_type_enum"), "rescue_teams", type_="check")
    op.drop_column("rescue_teams", "team_type")
    op.alter_column("rescue_teams", "tier", nullable=False)
    op.alter_column(
        "rescue_teams", "readiness", new_column_name="status", comment="战备状态 / Status"
    )
    op.drop_constraint(op.f("ck_rescue_teams_readiness_enum"), "rescue_teams", type_="check")
    op.execute("UPDATE rescue_teams SET status_updated_at = updated_at WHERE status IS NOT NULL")
    op.create_check_constraint(
        op.f("ck_rescue_teams_tier_enum"),
        "rescue_teams",
        "tier IN ('main', 'professional', 'commando', 'auxiliary')",
    )
    op.create_check_constraint(
        op.f("ck_rescue_teams_specialties_enum"),
        "rescue_teams",
        f"specialties <@ ARRAY[{_in(TEAM_SPECIALTIES)}]::text[]",
    )
    op.create_check_constraint(
        op.f("ck_rescue_teams_status_enum"),
        "rescue_teams",
        "status IN ('on_duty', 'standby', 'deployed', 'unavailable')",
    )

    # ---- supplies -------------------------------------------------------------------------
    op.add_column("supplies", sa.Column("status", sa.Text(), comment="物资状态 / Status"))
    op.execute("UPDATE supplies SET status = 'available'")
    op.create_check_constraint(
        op.f("ck_supplies_status_enum"),
        "supplies",
        "status IN ('available', 'reserved', 'expired', 'damaged')",
    )

    # ---- shelters -------------------------------------------------------------------------
    op.alter_column("shelters", "area_m2", new_column_name="effective_area_m2")
    op.execute(
        "ALTER TABLE shelters RENAME CONSTRAINT ck_shelters_area_m2_min "
        "TO ck_shelters_effective_area_m2_min"
    )
    op.add_column(
        "shelters",
        sa.Column("space_type", sa.Text(), comment="空间类型 / Space type (GB/T 44013)"),
    )
    op.add_column(
        "shelters",
        sa.Column(
            "hazards_served",
            postgresql.ARRAY(sa.Text()),
            comment="避难种类 / Hazards served (GB/T 44013)",
        ),
    )
    op.add_column(
        "shelters",
        sa.Column("warnings", postgresql.ARRAY(sa.Text()), comment="核查提示 / Warnings"),
    )
    # Parks and squares are open ground; schools and civil-defence works are buildings.
    # Stadiums and "other" can be either: left unknown rather than guessed.
    op.execute(
        "UPDATE shelters SET space_type = CASE site_type "
        "WHEN 'park' THEN 'outdoor' WHEN 'square' THEN 'outdoor' "
        "WHEN 'school' THEN 'indoor' WHEN 'civil_defence' THEN 'indoor' END"
    )
    # The same GB 21734 §5.4 checks as gis_onemap.categories.derived.shelter_warnings.
    op.execute(
        "UPDATE shelters SET warnings = array_remove(ARRAY["
        " CASE WHEN effective_area_m2 <= 2000 THEN 'effective_area_below_min' END,"
        " CASE WHEN capacity > 0 AND effective_area_m2 / capacity <= 1.5"
        "      THEN 'area_per_person_below_min' END]::text[], NULL)"
    )
    op.create_check_constraint(
        op.f("ck_shelters_space_type_enum"), "shelters", "space_type IN ('indoor', 'outdoor')"
    )
    op.create_check_constraint(
        op.f("ck_shelters_hazards_served_enum"),
        "shelters",
        f"hazards_served <@ ARRAY[{_in(SHELTER_HAZARDS)}]::text[]",
    )
    op.create_check_constraint(
        op.f("ck_shelters_warnings_enum"),
        "shelters",
        "warnings <@ ARRAY['effective_area_below_min', 'area_per_person_below_min']::text[]",
    )

    # ---- plans ----------------------------------------------------------------------------
    op.add_column("plans", sa.Column("issuer_level", sa.Text(), comment="发布层级 / Issuer level"))
    op.add_column(
        "plans",
        sa.Column("area_codes", postgresql.ARRAY(sa.Text()), comment="适用区域代码 / Area codes"),
    )
    op.add_column(
        "plans",
        sa.Column(
            "hazard_source_id", sa.BigInteger(), comment="企业危险源 / Enterprise hazard source id"
        ),
    )
    op.drop_constraint(op.f("ck_plans_plan_type_enum"), "plans", type_="check")
    op.execute(
        "UPDATE plans SET plan_type = 'enterprise_comprehensive' WHERE plan_type = 'enterprise'"
    )
    op.create_check_constraint(
        op.f("ck_plans_plan_type_enum"), "plans", f"plan_type IN ({_in(NEW_PLAN_TYPES)})"
    )
    enterprise = "plan_type LIKE 'enterprise%'"
    op.execute(f"UPDATE plans SET issuer_level = 'enterprise' WHERE {enterprise}")
    op.execute("UPDATE plans SET issuer_level = 'township' WHERE plan_type = 'grassroots'")
    # A government plan applies in its issuer's region: the region whose name begins the issuing
    # unit (湛江市人民政府 → 440800), the longest such name first.
    op.execute(
        f"""
        UPDATE plans p SET area_codes = ARRAY[r.code], issuer_level = r.level
        FROM regions r
        WHERE NOT ({enterprise}) AND p.plan_type <> 'grassroots'
          AND p.issuing_unit LIKE r.name || '%'
          AND r.code = (SELECT r2.code FROM regions r2
                        WHERE p.issuing_unit LIKE r2.name || '%'
                        ORDER BY length(r2.name) DESC, r2.code LIMIT 1)
        """
    )
    # Otherwise the record's own region code, graded by its form (GB/T 2260).
    op.execute(
        f"""
        UPDATE plans SET area_codes = ARRAY[region_code],
            issuer_level = CASE WHEN region_code LIKE '%0000' THEN 'provincial'
                                WHEN region_code LIKE '%00' THEN 'municipal'
                                ELSE 'county' END
        WHERE area_codes IS NULL AND region_code IS NOT NULL
          AND NOT ({enterprise}) AND plan_type <> 'grassroots'
          AND region_code IN (SELECT code FROM regions)
        """
    )
    op.execute(
        f"""
        UPDATE plans p SET hazard_source_id = (
            SELECT h.id FROM hazard_sources h WHERE h.enterprise = p.issuing_unit
            ORDER BY h.geom <-> p.geom, h.id LIMIT 1)
        WHERE {enterprise}
        """
    )
    op.create_check_constraint(
        op.f("ck_plans_issuer_level_enum"),
        "plans",
        "issuer_level IN ('national', 'provincial', 'municipal', 'county', 'township', "
        "'village', 'enterprise')",
    )
    op.create_check_constraint(
        op.f("ck_plans_hazard_source_id_min"), "plans", "hazard_source_id >= 1"
    )
    op.create_foreign_key(
        op.f("fk_plans_hazard_source_id_hazard_sources"),
        "plans",
        "hazard_sources",
        ["hazard_source_id"],
        ["id"],
        ondelete="SET NULL",
    )
    # Every path that writes plans (API, COPY import, SQL) meets the same guard as the API's
    # check: area codes must be known regions (an array cannot carry a foreign key).
    op.execute(PLAN_AREA_SQL)

    # ---- incidents: local plans grade social-security events too ---------------------------
    op.drop_constraint(op.f("ck_incidents_no_social_severity"), "incidents", type_="check")


def downgrade() -> None:
    op.execute(
        "DELETE FROM incidents WHERE event_category = 'social_security' AND severity IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_incidents_no_social_severity"),
        "incidents",
        "event_category <> 'social_security' OR severity IS NULL",
    )
    op.execute("DROP TRIGGER plans_check_area ON plans")
    op.execute("DROP FUNCTION onemap_plan_check_area()")
    op.drop_constraint(
        op.f("fk_plans_hazard_source_id_hazard_sources"), "plans", type_="foreignkey"
    )
    for name in ("issuer_level_enum", "hazard_source_id_min", "plan_type_enum"):
        op.drop_constraint(op.f(f"ck_plans_{name}"), "plans", type_="check")
    op.execute("UPDATE plans SET plan_type = 'enterprise' WHERE plan_type LIKE 'enterprise%'")
    op.create_check_constraint(
        op.f("ck_plans_plan_type_enum"), "plans", f"plan_type IN ({_in(OLD_PLAN_TYPES)})"
    )
    for col in ("issuer_level", "area_codes", "hazard_source_id"):
        op.drop_column("plans", col)

    for name in ("space_type_enum", "hazards_served_enum", "warnings_enum"):
        op.drop_constraint(op.f(f"ck_shelters_{name}"), "shelters", type_="check")
    for col in ("space_type", "hazards_served", "warnings"):
        op.drop_column("shelters", col)
    op.execute(
        "ALTER TABLE shelters RENAME CONSTRAINT ck_shelters_effective_area_m2_min "
        "TO ck_shelters_area_m2_min"
    )
    op.alter_column("shelters", "effective_area_m2", new_column_name="area_m2")

    op.drop_constraint(op.f("ck_supplies_status_enum"), "supplies", type_="check")
    op.drop_column("supplies", "status")

    for name in ("tier_enum", "specialties_enum", "status_enum"):
        op.drop_constraint(op.f(f"ck_rescue_teams_{name}"), "rescue_teams", type_="check")
    op.alter_column(
        "rescue_teams", "status", new_column_name="readiness", comment="战备状态 / Readiness"
    )
    op.create_check_constraint(
        op.f("ck_rescue_teams_readiness_enum"),
        "rescue_teams",
        "readiness IN ('on_duty', 'standby', 'deployed', 'unavailable')",
    )
    op.add_column("rescue_teams", sa.Column("team_type", sa.Text(), comment="队伍类型 / Team type"))
    # The first specialty back to the old type; tier-only teams become social/other.
    op.execute(
        f"""UPDATE rescue_teams SET team_type = CASE
            WHEN specialties[1] IN ({_in(OLD_TEAM_TYPES)}) THEN specialties[1]
            WHEN tier = 'auxiliary' THEN 'social_volunteer' ELSE 'other' END"""
    )
    op.alter_column("rescue_teams", "team_type", nullable=False)
    op.create_check_constraint(
        op.f("ck_rescue_teams_team_type_enum"),
        "rescue_teams",
        f"team_type IN ({_in(OLD_TEAM_TYPES)})",
    )
    for col in ("tier", "specialties", "status_updated_at"):
        op.drop_column("rescue_teams", col)

    op.drop_index("ix_regions_geom", table_name="regions")
    op.drop_table("regions")

"""Upgrading a database filled under the previous schema (revision 0004) keeps every row and maps
old values to new ones (migration 0007, issue 13)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, make_url, pool, text

from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.db.migrate import alembic_config

TABLES = (
    "hazard_sources", "protected_targets", "rescue_teams", "supplies", "depots", "shelters",
    "experts", "plans", "incidents",
)  # fmt: skip
PT = "ST_SetSRID(ST_MakePoint({x}, {y}), 4326)"
CHIKAN = PT.format(x=110.37, y=21.27)  # in 赤坎区 (440802)
FAR = PT.format(x=109.9, y=21.6)  # in 廉江市 (440881)

OLD_TEAM_TYPES = {  # old team_type → (tier, specialties) expected after the upgrade
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
OLD_ROWS = [
    f"""INSERT INTO hazard_sources (name, enterprise, level, geom) VALUES
        ('甲罐区', '湛江某化工有限公司', 2, {FAR}), ('乙罐区', '湛江某化工有限公司', 3, {CHIKAN}),
        ('丙站', '湛江另一公司', 4, {CHIKAN})""",
    f"INSERT INTO protected_targets (name, target_type, geom) VALUES ('一中', 'school', {CHIKAN})",
    f"INSERT INTO depots (name, depot_level, area_m2, geom) "
    f"VALUES ('库', 'municipal', 800, {CHIKAN})",
    f"""INSERT INTO supplies (name, item_name, item_code, quantity, unit, expiry_date, depot_id,
        geom) VALUES ('s1', '帐篷', '1010101', 10, '顶', NULL,
        (SELECT id FROM depots LIMIT 1), {CHIKAN}),
        ('s2', '饮用水', '1040101', 20, '箱', '2020-01-01', NULL, {CHIKAN})""",
    *[
        f"INSERT INTO rescue_teams (name, team_type, headcount, readiness, geom) VALUES "
        f"('{t}队', '{t}', {i + 1}, '{('on_duty', 'deployed')[i % 2]}', {CHIKAN})"
        for i, t in enumerate(OLD_TEAM_TYPES)
    ],
    f"""INSERT INTO shelters (name, shelter_type, site_type, area_m2, capacity, geom) VALUES
        ('公园', 'emergency', 'park', 1500, 1500, {CHIKAN}),
        ('学校', 'fixed', 'school', 12000, 6000, {CHIKAN}),
        ('体育馆', 'fixed', 'stadium', NULL, NULL, {CHIKAN})""",
    f"INSERT INTO experts (name, specialties, geom) VALUES ('专家', ARRAY['fire'], {CHIKAN})",
    f"""INSERT INTO plans (name, plan_type, event_types, issuing_unit, region_code, geom) VALUES
        ('city', 'special', ARRAY['fire'], '湛江市人民政府办公室', '440802', {CHIKAN}),
        ('county', 'departmental', ARRAY['fire'], '赤坎区应急管理局', '440802', {CHIKAN}),
        ('by_code', 'special', ARRAY['fire'], '某指挥部', '440883', {CHIKAN}),
        ('nowhere', 'special', ARRAY['fire'], '某指挥部', NULL, {CHIKAN}),
        ('plant', 'enterprise', ARRAY['fire'], '湛江某化工有限公司', '440802', {CHIKAN}),
        ('town', 'grassroots', ARRAY['flood'], '某镇人民政府', '440802', {CHIKAN})""",
    f"""INSERT INTO incidents (event_category, event_type, severity, geom) VALUES
        ('accident', 'fire', 'III', {CHIKAN}),
        ('social_security', 'mass_incident', NULL, {CHIKAN})""",
]


@pytest.fixture(scope="module")
def upgraded(test_database_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    """A fresh database at 0004, filled with old rows, then upgraded to head."""
    name = f"{make_url(test_database_url).database}_upgrade"
    url = recreate_database(sibling_url(test_database_url, name), migrate=False)
    command.upgrade(alembic_config(url), "0004")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        for sql in OLD_ROWS:
            conn.execute(text(sql))
        before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    command.upgrade(alembic_config(url), "head")
    yield engine, before
    engine.dispose()


def _rows(engine: Engine, sql: str) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def test_every_row_is_kept(upgraded):
    engine, before = upgraded
    after = {t: _rows(engine, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    assert after == before
    assert all(n > 0 for n in before.values())


def test_team_type_becomes_tier_and_specialties_readiness_becomes_status(upgraded):
    engine, _ = upgraded
    rows = _rows(engine, "SELECT name, tier, specialties, status, status_updated_at, headcount "
                         "FROM rescue_teams ORDER BY headcount")  # fmt: skip
    assert len(rows) == len(OLD_TEAM_TYPES)
    for i, (old, (tier, specs)) in enumerate(OLD_TEAM_TYPES.items()):
        name, got_tier, got_specs, status, changed, headcount = rows[i]
        assert (name, headcount) == (f"{old}队", i + 1)
        assert (got_tier, list(got_specs)) == (tier, specs)
        assert status == ("on_duty", "deployed")[i % 2]
        assert changed is not None


def test_supplies_get_a_status_and_keep_their_expiry(upgraded):
    engine, _ = upgraded
    rows = _rows(engine, "SELECT name, status, expiry_date::text FROM supplies ORDER BY name")
    assert [tuple(r) for r in rows] == [
        ("s1", "available", None),
        ("s2", "available", "2020-01-01"),
    ]


def test_shelters_effective_area_space_type_and_warnings(upgraded):
    engine, _ = upgraded
    rows = {r[0]: r[1:] for r in _rows(
        engine, "SELECT name, effective_area_m2, space_type, warnings FROM shelters"
    )}  # fmt: skip
    assert rows["公园"] == (
        1500,
        "outdoor",
        ["effective_area_below_min", "area_per_person_below_min"],
    )
    assert rows["学校"] == (12000, "indoor", [])
    assert rows["体育馆"] == (None, None, [])  # a stadium may be either: not guessed


def test_plans_get_their_jurisdiction(upgraded):
    engine, _ = upgraded
    rows = {r[0]: tuple(r[1:]) for r in _rows(
        engine, "SELECT p.name, p.plan_type, p.issuer_level, p.area_codes, h.name FROM plans p "
                "LEFT JOIN hazard_sources h ON h.id = p.hazard_source_id"
    )}  # fmt: skip
    # the city's plan, filed under the district of its office, applies to the whole city
    assert rows["city"] == ("special", "municipal", ["440800"], None)
    assert rows["county"] == ("departmental", "county", ["440802"], None)
    assert rows["by_code"] == ("special", "county", ["440883"], None)
    assert rows["nowhere"] == ("special", None, None, None)
    # enterprise → GB/T 29639 comprehensive plan, at the issuer's hazard source nearest to it
    assert rows["plant"] == ("enterprise_comprehensive", "enterprise", None, "乙罐区")
    assert rows["town"] == ("grassroots", "township", None, None)


def test_regions_are_loaded_and_social_security_may_be_graded(upgraded):
    engine, _ = upgraded
    codes = [r[0] for r in _rows(engine, "SELECT code FROM regions ORDER BY code")]
    assert codes[0] == "440800" and len(codes) == 10
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO incidents (event_category, event_type, severity, geom) VALUES "
            f"('social_security', 'terrorism', 'II', {CHIKAN})"
        ))  # fmt: skip


def test_incidents_keep_their_severity_as_reported(upgraded):
    """Migration 0009: the old severity stays effective, now marked as reported; figures unknown."""
    engine, _ = upgraded
    rows = _rows(
        engine,
        "SELECT event_type, severity, severity_reported, severity_source, severity_derived, "
        "dead, direct_loss_yuan, updated_at = received_at FROM incidents "
        "WHERE event_type IN ('fire', 'mass_incident') ORDER BY id",
    )
    assert [tuple(r) for r in rows] == [
        ("fire", "III", "III", "reported", None, None, None, True),
        ("mass_incident", None, None, None, None, None, None, True),
    ]

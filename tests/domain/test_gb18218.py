"""GB 18218-2018 major hazard sources: Q/β by lookup, S ≥ 1, R, α, level — against real PostGIS.

The expected numbers are worked by hand here from the standard's table values written into
this file (Table 1 Q, Table 2 Q by code, Table 3/4 β, Table 5 α, the level bands), not by
calling the code under test.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, func, pool, select, text
from sqlalchemy.engine import make_url

from gis_onemap.categories import get_category
from gis_onemap.categories.validation import validate_properties
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.db.migrate import alembic_config
from gis_onemap.db.tables import TABLES
from gis_onemap.settings import DEMO_DATA_DIR, PROJECT_ROOT
from gis_onemap.standards import assess_unit, gb18218
from tests.samples import point

# ---- the standard's values, written out by hand ----------------------------------------------
Q_TABLE1 = {
    "氯": 5, "氨": 10, "液化石油气": 50, "煤气": 20, "硝酸铵(含可燃物≤0.2%)": 50, "甲醇": 500,
}  # fmt: skip
Q_TABLE2 = {"W2": 10, "W5.1": 10, "W5.3": 1000, "W5.4": 5000, "J1": 5}
BETA_TABLE3 = {"氯": 4, "氨": 2, "煤气": 2}  # CO (煤气) 2, NH3 2, Cl2 4
BETA_TABLE4 = {"W2": 1.5, "W5.1": 1.5, "W9.2": 1, "W5.3": 1}


def alpha(population: int) -> float:
    """Table 5, by hand."""
    if population >= 100:
        return 2.0
    if population >= 50:
        return 1.5
    if population >= 30:
        return 1.2
    if population >= 1:
        return 1.0
    return 0.5


def level(r: float) -> int:
    """Level bands, by hand: 一级 R ≥ 100; 二级 50–100; 三级 10–50; 四级 < 10."""
    return 1 if r >= 100 else 2 if r >= 50 else 3 if r >= 10 else 4


def unit(population: int, *substances: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A hazard-source feature (storage unit) with the given substances."""
    props = {
        "name": "湛江测试储罐区",
        "region_code": "440803",
        "hazard_type": "storage_unit",
        "population_500m": population,
        "substances": list(substances),
        **extra,
    }
    return {"type": "Feature", "geometry": point(), "properties": props}


def count(db_session, table: str) -> int:
    return db_session.execute(select(func.count()).select_from(TABLES[table])).scalar_one()


# name, population, substances, [(q, Q, β)] from the tables above
WORKED = {
    "chlorine": (40, [{"name": "液氯", "q": 30}], [(30, Q_TABLE1["氯"], BETA_TABLE3["氯"])]),
    "ammonia (R = 100 exactly: level 1)": (
        150,
        [{"name": "液氨", "q": 250}],
        [(250, Q_TABLE1["氨"], BETA_TABLE3["氨"])],
    ),
    "LPG (Table 1 Q, β of W2 from Table 4)": (
        60,
        [{"name": "液化石油气", "q": 400}],
        [(400, Q_TABLE1["液化石油气"], BETA_TABLE4["W2"])],
    ),
    "category-1 flammable liquid (W5.1, not in Table 1)": (
        0,
        [{"name": "异戊烷", "hazard_code": "W5.1", "q": 80}],
        [(80, Q_TABLE2["W5.1"], BETA_TABLE4["W5.1"])],
    ),
    "propylene (W2, not in Table 1)": (
        6601,
        [{"name": "丙烯", "cas": "115-07-1", "hazard_code": "W2", "q": 47.14}],
        [(47.14, Q_TABLE2["W2"], BETA_TABLE4["W2"])],
    ),
    "mixture of three": (
        500,
        [
            {"name": "氯气", "q": 20},
            {"cas": "7664-41-7", "q": 40},
            {"un": "UN1075", "q": 150},
        ],
        [
            (20, Q_TABLE1["氯"], BETA_TABLE3["氯"]),
            (40, Q_TABLE1["氨"], BETA_TABLE3["氨"]),
            (150, Q_TABLE1["液化石油气"], BETA_TABLE4["W2"]),
        ],
    ),
}


def _expected(population: int, terms: list[tuple[float, float, float]]) -> tuple[float, ...]:
    s = sum(q / big_q for q, big_q, _ in terms)
    r = alpha(population) * sum(beta * q / big_q for q, big_q, beta in terms)
    return s, r, alpha(population), level(r)


@pytest.mark.parametrize("case", list(WORKED))
def test_worked_examples_through_the_api(editor_client, case):
    population, substances, terms = WORKED[case]
    s, r, a, lv = _expected(population, terms)
    resp = editor_client.post(
        "/collections/hazard_sources/items", json=unit(population, *substances)
    )
    assert resp.status_code == 201, resp.text
    props = editor_client.get(resp.headers["Location"]).json()["properties"]
    assert props["s_value"] == pytest.approx(s)
    assert props["r_value"] == pytest.approx(r)
    assert props["alpha"] == a
    assert props["level"] == lv
    assert props["risk_color"] == {1: "red", 2: "orange", 3: "yellow", 4: "blue"}[lv]
    # each substance's term is shown: q, Q, β, q/Q, βq/Q and where Q and β came from
    assert props["substances"] == substances  # the input stays as given
    for term, (q, big_q, beta) in zip(props["substance_terms"], terms, strict=True):
        assert (term["q"], term["Q"], term["beta"]) == (q, big_q, beta)
        assert term["q_over_Q"] == pytest.approx(q / big_q)
        assert term["beta_q_over_Q"] == pytest.approx(beta * q / big_q)
        assert term["Q_source"] in ("table1", "table2")
        assert term["beta_source"] in ("table3", "table4")


def test_worked_levels_cover_every_band():
    levels = {_expected(p, t)[3] for p, _, t in WORKED.values()}
    assert levels == {1, 2, 3, 4}


def test_sources_of_q_and_beta_are_named():
    a, problems = assess_unit(
        [
            {"name": "氯", "q": 10},  # Table 1 + Table 3
            {"name": "液化石油气", "q": 100},  # Table 1 + Table 4 (W2)
            {"name": "丙烯", "hazard_code": "W2", "q": 10},  # Table 2 + Table 4
        ],
        10,
    )
    assert problems == [] and a is not None
    assert [(t["Q_source"], t["beta_source"]) for t in a.terms] == [
        ("table1", "table3"),
        ("table1", "table4"),
        ("table2", "table4"),
    ]
    assert a.terms[0]["table1_no"] == 12 and a.terms[0]["table1_name"] == "氯"


@pytest.mark.parametrize("population", [0, 1, 29, 30, 49, 50, 99, 100, 5000])
def test_each_alpha_band(population):
    # ammonia 100 t: S = 100/10 = 10, Σβq/Q = 2 × 10 = 20
    a, problems = assess_unit([{"name": "氨", "q": 100}], population)
    assert problems == [] and a is not None
    assert a.alpha == alpha(population)
    assert a.r_value == pytest.approx(alpha(population) * 20)
    assert a.level == level(alpha(population) * 20)


def test_lookup_by_name_alias_cas_and_un_agree():
    std = gb18218()
    rows = {
        std.by_name("氯")[0].no,
        std.by_name("液氯")[0].no,
        std.by_name("chlorine")[0].no,
        std.by_cas("7782-50-5")[0].no,
        std.by_un("1017")[0].no,
    }
    assert rows == {12}
    co, w2 = std.by_name("一氧化碳")[0], std.classes["W2"]
    assert (co.no, co.Q) == (13, Q_TABLE1["煤气"])  # CO is 煤气 in Table 1: 20 t
    assert (w2.code, w2.Q) == ("W2", Q_TABLE2["W2"])
    assert std.by_name("丙烯") == []  # propylene is not in Table 1


def test_table_values_match_domain_notes():
    """Table 3 and Table 4 as DOMAIN.md states them; Table 2 rows all have a Q and β."""
    std = gb18218()
    table3 = {
        "一氧化碳": 2, "二氧化硫": 2, "氨": 2, "环氧乙烷": 2, "氯化氢": 3, "溴甲烷": 3, "氯": 4,
        "硫化氢": 5, "氟化氢": 5, "二氧化氮": 10, "氰化氢": 10, "光气": 20, "磷化氢": 20,
        "异氰酸甲酯": 20,
    }  # fmt: skip
    for name, beta in table3.items():
        (entry,) = std.by_name(name)
        assert entry.beta == beta, name
    table4 = {"J1": 4, "J2": 1, "J3": 2, "J4": 2, "J5": 1, "W1.1": 2, "W1.2": 2, "W1.3": 2,
              "W2": 1.5, "W5.1": 1.5, "W6.1": 1.5, "W7.1": 1.5}  # fmt: skip
    for code, hc in std.classes.items():
        assert hc.Q > 0
        assert hc.beta == table4.get(code, 1), code
    doc = json.loads(
        (PROJECT_ROOT / "gis_onemap/standards/data/gb18218_2018.json").read_text("utf-8")
    )
    assert "GB 18218-2018" in doc["standard"] and doc["sources"]
    assert any(not e["confirmed"] for e in doc["table1"])  # unconfirmed values are marked


# ---- S < 1 and bad input ----------------------------------------------------------------------
def test_s_below_one_is_not_a_major_hazard_source(editor_client, db_session):
    before = count(db_session, "hazard_sources")
    # chlorine 1.5 t: S = 1.5 / 5 = 0.30
    resp = editor_client.post(
        "/collections/hazard_sources/items", json=unit(10, {"name": "氯", "q": 1.5})
    )
    assert resp.status_code == 422
    assert "not a major hazard source (S = 0.30 < 1)" in resp.text
    assert count(db_session, "hazard_sources") == before


def test_every_problem_is_listed_and_nothing_written(editor_client, db_session):
    before = count(db_session, "hazard_sources")
    feature = unit(
        120,
        {"name": "氯七", "q": 3},  # unknown name (close: 氯, 氯气...)
        {"name": "氨", "q": -5},  # negative quantity
        {"name": "液化石油气", "q": 100, "Q_override": 80},  # override without a reason
        {"cas": "1234-56-7", "q": 10},  # unknown CAS
        {"name": "一氧化碳", "q": 50, "Q": 10},  # Q typed, and wrong (Table 1: 20 t)
    )
    resp = editor_client.post("/collections/hazard_sources/items", json=feature)
    assert resp.status_code == 422
    body = resp.json()
    text_ = json.dumps(body, ensure_ascii=False)
    assert "氯七" in text_ and "close names" in text_ and "氯气" in text_
    assert "must be ≥ 0" in text_
    assert "override_reason" in text_
    assert "1234-56-7" in text_
    assert "differs from GB 18218-2018 (table1: 20)" in text_
    props = {p["property"] for p in body["details"]}
    assert {
        "substances[0].name",
        "substances[1].q",
        "substances[2].override_reason",
        "substances[3].cas",
        "substances[4].Q",
    } <= props
    assert count(db_session, "hazard_sources") == before


@pytest.mark.parametrize(
    "substance, needle",
    [
        ({"name": "丙烯", "q": 50}, "give its hazard_code"),  # not in Table 1, no code
        ({"name": "丙烯", "hazard_code": "W99", "q": 50}, "not a GB 18218-2018 Table 2 code"),
        ({"name": "硝酸铵", "q": 500}, "matches several"),  # two Table 1 rows, 5 t and 50 t
        ({"name": "氯", "cas": "7664-41-7", "q": 50}, "identifiers disagree"),
        ({"q": 50}, "give a name, cas, un or hazard_code"),
        ({"name": "氨", "q": 50, "beta_override": 3, "override_reason": " "}, "override_reason"),
    ],
)
def test_bad_substances_are_refused(editor_client, db_session, substance, needle):
    before = count(db_session, "hazard_sources")
    resp = editor_client.post("/collections/hazard_sources/items", json=unit(50, substance))
    assert resp.status_code == 422, resp.text
    assert needle in resp.text
    assert count(db_session, "hazard_sources") == before


def test_override_with_reason_is_used_and_shown(editor_client):
    # LPG at 400 t with Q overridden to 40 t (e.g. a stricter local rule): S = 10, β = 1.5
    reason = "地方标准要求按40吨计"
    sub = {"name": "液化石油气", "q": 400, "Q_override": 40, "override_reason": reason}
    resp = editor_client.post("/collections/hazard_sources/items", json=unit(10, sub))
    assert resp.status_code == 201, resp.text
    props = editor_client.get(resp.headers["Location"]).json()["properties"]
    (term,) = props["substance_terms"]
    assert (term["Q"], term["Q_source"], term["override_reason"]) == (40, "override", reason)
    assert term["beta_source"] == "table4"
    assert props["s_value"] == pytest.approx(10.0)
    assert props["r_value"] == pytest.approx(1.0 * 1.5 * 10)


def test_client_cannot_plant_terms(editor_client):
    planted = [{"name": "液氨", "q": 1, "Q": 1, "beta": 1}]
    resp = editor_client.post(
        "/collections/hazard_sources/items",
        json=unit(0, {"name": "液氨", "q": 100}, substance_terms=planted),
    )
    assert resp.status_code == 201, resp.text
    props = editor_client.get(resp.headers["Location"]).json()["properties"]
    assert props["substance_terms"][0]["Q"] == Q_TABLE1["氨"]


def test_pipelines_are_not_hazard_sources(editor_client):
    resp = editor_client.post(
        "/collections/hazard_sources/items",
        json=unit(10, {"name": "天然气", "q": 60}, hazard_type="pipeline"),
    )
    assert resp.status_code == 422 and "hazard_type" in resp.text
    target = {
        "type": "Feature",
        "geometry": point(),
        "properties": {"name": "高压燃气管线阀室", "target_type": "pipeline"},
    }
    assert (
        editor_client.post("/collections/protected_targets/items", json=target).status_code == 201
    )


# ---- the demo units whose level the lookup corrects ----------------------------------------
def _demo_unit(name: str) -> dict[str, Any]:
    path = DEMO_DATA_DIR / "hazard_sources.geojson"
    for f in json.loads(path.read_text("utf-8"))["features"]:
        if f["properties"]["name"] == name:
            return f["properties"]
    raise AssertionError(name)


# unit → (old level with the hand-typed Q/β, [(substance, Q, β) by the tables above])
# The regenerated demo (issue 13, storage rules) no longer has the two propylene stores whose
# level changed (the W2 lookup is the worked example "propylene (W2, not in Table 1)" above, with
# the old demo quantity) nor 源丰's class-乙 warehouse with ammonium nitrate and methanol: that
# was the impossible storage the issue names (tests/test_demo_data.py checks the rules).
DEMO_CHANGES = {
    # Q: 煤气 (CO) is 20 t in Table 1, not 10 → R halves: 一级 → 二级
    "湛江顺通钢铁有限公司煤气柜区": (1, {"一氧化碳": (Q_TABLE1["煤气"], BETA_TABLE3["煤气"])}),
    # β: low-carbon ammonium nitrate is an oxidiser (W9.2, β 1), not an explosive (β 2)
    "湛江联创危险品仓储有限公司甲类仓库": (
        2,
        {"硝酸铵(含可燃物≤0.2%)": (Q_TABLE1["硝酸铵(含可燃物≤0.2%)"], BETA_TABLE4["W9.2"])},
    ),
}


@pytest.mark.parametrize("name", list(DEMO_CHANGES))
def test_demo_units_have_the_corrected_level(name):
    old_level, table = DEMO_CHANGES[name]
    props = _demo_unit(name)
    pop = props["population_500m"]
    r = alpha(pop) * sum(
        table[s["name"]][1] * s["q"] / table[s["name"]][0] for s in props["substances"]
    )
    derived = validate_properties(get_category("hazard_sources"), props)
    assert derived["r_value"] == pytest.approx(r)
    assert derived["level"] == level(r) != old_level


def test_steel_works_gas_holder_is_level_two():
    props = _demo_unit("湛江顺通钢铁有限公司煤气柜区")
    derived = validate_properties(get_category("hazard_sources"), props)
    assert derived["level"] == 2  # 一级 with the old Q of 10 t


# ---- migration 0006 carries old rows forward ----------------------------------------------------
def test_migration_moves_pipelines_and_looks_up_substances(test_database_url):
    url = sibling_url(test_database_url, make_url(test_database_url).database + "_mig")
    recreate_database(url, migrate=False)
    cfg = alembic_config(url)
    command.upgrade(cfg, "0004")
    eng = create_engine(url, poolclass=pool.NullPool)
    old_subs = [  # the old shape: Q and β typed by hand (CO's Q wrong), a pre-2018 class
        {"name": "一氧化碳", "cas": "630-08-0", "substance_class": "toxic_gas", "q": 40, "Q": 10},
        {"name": "丙烯", "substance_class": "flammable_gas", "q": 5, "Q": 20},
    ]
    try:
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO hazard_sources (name, hazard_type, level, population_500m, "
                    "substances, geom) VALUES "
                    "('某燃气管网高压管线', 'pipeline', 2, 300, NULL, "
                    " ST_SetSRID(ST_MakePoint(110.3, 21.2), 4326)), "
                    "('某钢铁厂煤气柜', 'production_unit', 1, 300, CAST(:subs AS jsonb), "
                    " ST_SetSRID(ST_MakePoint(110.31, 21.21), 4326)), "
                    "('某无名物质仓库', 'warehouse', 3, 0, "
                    ' CAST(\'[{"name": "某物质", "q": 5, "Q": 1}]\' AS jsonb), '
                    " ST_SetSRID(ST_MakePoint(110.32, 21.22), 4326))"
                ),
                {"subs": json.dumps(old_subs, ensure_ascii=False)},
            )
        command.upgrade(cfg, "0006")
        with eng.connect() as conn:
            hazards = {
                r.name: r
                for r in conn.execute(
                    text("SELECT name, hazard_type, level, s_value, r_value, alpha, substances, "
                         "substance_terms, extra FROM hazard_sources")
                )
            }  # fmt: skip
            moved = conn.execute(
                text("SELECT name, target_type, extra FROM protected_targets")
            ).all()
        assert set(hazards) == {"某钢铁厂煤气柜", "某无名物质仓库"}
        assert [(m.name, m.target_type) for m in moved] == [("某燃气管网高压管线", "pipeline")]
        assert moved[0].extra["former_hazard_source"]["level"] == 2  # kept, not lost
        steel = hazards["某钢铁厂煤气柜"]
        # by hand: CO 40/20 = 2 (β 2), propylene 5/10 = 0.5 (W2, β 1.5); α(300) = 2
        assert steel.s_value == pytest.approx(2.5)
        assert steel.r_value == pytest.approx(2.0 * (2 * 2 + 1.5 * 0.5))
        assert (steel.alpha, steel.level) == (2.0, level(9.5))
        assert [t["Q_source"] for t in steel.substance_terms] == ["table1", "table2"]
        assert all("Q" not in s for s in steel.substances)
        unknown = hazards["某无名物质仓库"]
        assert unknown.level == 3 and unknown.substance_terms is None  # kept for review
        assert "某物质" in json.dumps(unknown.extra["gb18218_review"], ensure_ascii=False)

        command.downgrade(cfg, "0004")
        with eng.connect() as conn:
            back = conn.execute(
                text("SELECT name, hazard_type, level, substances FROM hazard_sources "
                     "ORDER BY name")
            ).all()  # fmt: skip
            targets = conn.execute(text("SELECT count(*) FROM protected_targets")).scalar_one()
        assert {(b.name, b.hazard_type) for b in back} >= {("某燃气管网高压管线", "pipeline")}
        assert targets == 0
        steel_back = next(b for b in back if b.name == "某钢铁厂煤气柜")
        assert [s["Q"] for s in steel_back.substances] == [20, 10]  # old shape, looked-up Q
        assert math.isclose(steel_back.substances[0]["beta"], 2)
    finally:
        eng.dispose()


def test_patch_population_recomputes_alpha_and_r(editor_client):
    # ammonia 100 t: S = 10, Σβq/Q = 20; 10 residents → α 1.0, R 20; 120 → α 2.0, R 40
    resp = editor_client.post(
        "/collections/hazard_sources/items", json=unit(10, {"name": "氨", "q": 100})
    )
    assert resp.status_code == 201, resp.text
    loc = resp.headers["Location"]
    assert editor_client.get(loc).json()["properties"]["r_value"] == pytest.approx(20)
    patched = editor_client.patch(loc, json={"properties": {"population_500m": 120}})
    assert patched.status_code == 200, patched.text
    props = editor_client.get(loc).json()["properties"]
    assert (props["alpha"], props["r_value"], props["level"]) == (2.0, pytest.approx(40), 3)


def test_a_feature_read_back_can_be_put_unchanged(editor_client):
    resp = editor_client.post(
        "/collections/hazard_sources/items", json=unit(10, {"name": "氨", "q": 100})
    )
    loc = resp.headers["Location"]
    body = editor_client.get(loc).json()
    body["properties"].pop("id", None)
    again = editor_client.put(loc, json={"type": "Feature", "geometry": body["geometry"],
                                  "properties": body["properties"]})  # fmt: skip
    assert again.status_code == 200, again.text
    assert (
        editor_client.get(loc).json()["properties"]["substance_terms"]
        == body["properties"]["substance_terms"]
    )

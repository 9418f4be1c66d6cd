"""Issue 13: usable resources only by default, plans by jurisdiction, standards-shaped enums.

Expected numbers are computed here from the rows the test inserts (the usable rule written out
in Python), never copied from the server's answer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, pool, text

from gis_onemap.analysis.inputs import origin_from
from gis_onemap.analysis.surroundings import SurroundingsService
from gis_onemap.categories import get_category
from gis_onemap.categories.derived import SHELTER_PARAMS
from gis_onemap.categories.validation import validate_properties
from gis_onemap.db.engine import make_engine, make_session_factory
from gis_onemap.errors import ValidationFailed
from gis_onemap.settings import Settings
from tests.analysis.helpers import add, offset
from tests.live_server import demo_database

LON, LAT = 110.52, 21.05  # away from other tests' rows
RADIUS = 2000.0
TODAY = date.today()
PAST, FUTURE = TODAY - timedelta(days=30), TODAY + timedelta(days=30)

SUPPLY_ROWS = [  # item, unit, quantity, expiry, status
    ("帐篷", "顶", 100.0, None, "available"),
    ("帐篷", "顶", 40.0, PAST, "available"),  # expired by date
    ("帐篷", "顶", 25.0, FUTURE, "reserved"),
    ("饮用水", "箱", 30.0, FUTURE, "expired"),  # marked expired
    ("饮用水", "箱", 60.0, FUTURE, "available"),
    ("饮用水", "箱", 7.0, None, None),  # no status recorded: counted
    ("饮用水", "箱", 11.0, PAST, "damaged"),  # expired wins over damaged
]
TEAM_ROWS = [  # status, headcount
    ("on_duty", 30), ("standby", 20), ("deployed", 15), ("deployed", 5), ("unavailable", 8),
    (None, 12),
]  # fmt: skip


def supply_reason(expiry: date | None, status: str | None) -> str | None:
    """The usable rule for stock, written independently of the server's SQL."""
    if status == "expired" or (expiry is not None and expiry < TODAY):
        return "expired"
    if status not in (None, "available"):
        return status
    return None


def team_reason(status: str | None) -> str | None:
    return status if status in ("deployed", "unavailable") else None


@pytest.fixture
def stock(db_session):
    """Supplies and teams within the radius (random bearings), plus their reasons."""
    placed: dict[str, list[dict]] = defaultdict(list)
    for i, (item, unit, qty, expiry, status) in enumerate(SUPPLY_ROWS):
        lon, lat = offset(LON, LAT, 37.0 * i, 150.0 + 97.0 * i)
        props = {"item_name": item, "unit": unit, "quantity": qty, "expiry_date": expiry}
        fid = add(db_session, "supplies", lon, lat, name=f"s{i}", status=status, **props)
        placed["supplies"].append({"id": fid, **props, "reason": supply_reason(expiry, status)})
    for i, (status, headcount) in enumerate(TEAM_ROWS):
        lon, lat = offset(LON, LAT, 53.0 * i, 120.0 + 131.0 * i)
        fid = add(db_session, "rescue_teams", lon, lat, name=f"t{i}", status=status,
                  headcount=headcount, tier="professional")  # fmt: skip
        placed["rescue_teams"].append(
            {"id": fid, "headcount": headcount, "reason": team_reason(status)}
        )
    # one of each far outside the radius: never counted either way
    add(db_session, "supplies", *offset(LON, LAT, 0, 3 * RADIUS), name="far", status="damaged",
        item_name="帐篷", unit="顶", quantity=999.0)  # fmt: skip
    add(db_session, "rescue_teams", *offset(LON, LAT, 0, 3 * RADIUS), name="far",
        status="deployed", headcount=99)  # fmt: skip
    return placed


def expected_excluded(placed: dict[str, list[dict]]) -> dict:
    out: dict = {"supplies": {}, "rescue_teams": {}}
    for s in placed["supplies"]:
        if s["reason"]:
            e = out["supplies"].setdefault(s["reason"], {"records": 0, "quantity": {}})
            e["records"] += 1
            e["quantity"][s["unit"]] = e["quantity"].get(s["unit"], 0) + s["quantity"]
    for t in placed["rescue_teams"]:
        if t["reason"]:
            e = out["rescue_teams"].setdefault(t["reason"], {"teams": 0, "people": 0})
            e["teams"] += 1
            e["people"] += t["headcount"]
    return out


def _surroundings(client, **extra):
    body = {"lon": LON, "lat": LAT, "radius_m": RADIUS, "k": 100, **extra}
    r = client.post("/analysis/surroundings", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_totals_leave_out_expired_stock_and_deployed_teams(client, stock):
    out = _surroundings(client)
    s = out["summary"]
    usable_s = [x for x in stock["supplies"] if x["reason"] is None]
    usable_t = [x for x in stock["rescue_teams"] if x["reason"] is None]
    assert s["counts"]["supplies"] == len(usable_s)
    assert s["counts"]["rescue_teams"] == len(usable_t)
    assert s["team_headcount"] == sum(t["headcount"] for t in usable_t)
    items: dict[tuple[str, str], float] = defaultdict(float)
    for x in usable_s:
        items[(x["item_name"], x["unit"])] += x["quantity"]
    got = {(i["item_name"], i["unit"]): i["quantity"] for i in s["supplies_by_item"]}
    assert got == pytest.approx(dict(items))
    # per item: what was left out of that item's total
    left: dict[tuple[str, str], float] = defaultdict(float)
    for x in stock["supplies"]:
        if x["reason"]:
            left[(x["item_name"], x["unit"])] += x["quantity"]
    got_left = {(i["item_name"], i["unit"]): i["excluded_quantity"] for i in s["supplies_by_item"]}
    assert got_left == pytest.approx(dict(left))
    # and why, overall
    assert s["excluded"] == expected_excluded(stock)
    assert s["excluded"]["supplies"]["expired"]["records"] == 3  # the fixture has both kinds
    assert s["unusable_included"] == {}
    listed = {f["id"] for f in out["collections"]["supplies"]["features"]}
    assert listed == {x["id"] for x in usable_s}
    listed = {f["id"] for f in out["collections"]["rescue_teams"]["features"]}
    assert listed == {x["id"] for x in usable_t}


def test_include_unusable_counts_everything_and_says_what(client, stock):
    out = _surroundings(client, include_unusable=True)
    s = out["summary"]
    assert out["include_unusable"] is True
    assert s["counts"]["supplies"] == len(stock["supplies"])
    assert s["team_headcount"] == sum(t["headcount"] for t in stock["rescue_teams"])
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for x in stock["supplies"]:
        totals[(x["item_name"], x["unit"])] += x["quantity"]
    got = {(i["item_name"], i["unit"]): i["quantity"] for i in s["supplies_by_item"]}
    assert got == pytest.approx(dict(totals))
    assert s["excluded"] == {}
    assert s["unusable_included"] == expected_excluded(stock)
    listed = {f["id"] for f in out["collections"]["rescue_teams"]["features"]}
    assert listed == {x["id"] for x in stock["rescue_teams"]}


def test_nearest_and_within_find_usable_only_unless_asked(client, stock):
    usable = {x["id"] for x in stock["rescue_teams"] if x["reason"] is None}
    every = {x["id"] for x in stock["rescue_teams"]}
    base = {"lon": LON, "lat": LAT, "category": "rescue_teams"}
    r = client.get("/analysis/within", params={**base, "radius_m": RADIUS})
    assert {f["id"] for f in r.json()["features"]} == usable
    r = client.get(
        "/analysis/within", params={**base, "radius_m": RADIUS, "include_unusable": True}
    )
    assert {f["id"] for f in r.json()["features"]} == every
    r = client.get("/analysis/nearest", params={**base, "k": len(TEAM_ROWS)})
    assert {f["id"] for f in r.json()["features"]} == usable
    r = client.get(
        "/analysis/nearest", params={**base, "k": len(TEAM_ROWS), "include_unusable": "true"}
    )
    assert {f["id"] for f in r.json()["features"]} == every
    r = client.get("/analysis/within", params={**base, "radius_m": 10, "include_unusable": "maybe"})
    assert r.status_code in (400, 422)


# ---- plans by jurisdiction -----------------------------------------------------------------
def _inside(db_session, code: str) -> tuple[float, float]:
    row = db_session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM regions "
            "WHERE code = :c) x"
        ),
        {"c": code},
    ).one()
    return float(row[0]), float(row[1])


def _plan(trusted_client, name, lon, lat, **props):
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "plan_type": "special", "event_types": ["fire"], **props},
    }
    return trusted_client.post("/collections/plans/items", json=body)


def test_plans_for_an_incident_are_those_of_its_jurisdictions_closest_first(
    trusted_client, db_session
):
    lon, lat = _inside(db_session, "440803")
    far_lon, far_lat = _inside(db_session, "440881")  # the city's plans sit far from the incident
    hs = add(db_session, "hazard_sources", *offset(lon, lat, 45, 300), name="plant")
    ids = {}
    for key, props, where in [
        ("city", {"issuer_level": "municipal", "area_codes": ["440800"]}, (far_lon, far_lat)),
        ("county", {"issuer_level": "county", "area_codes": ["440803"]}, (far_lon, far_lat)),
        ("other", {"issuer_level": "county", "area_codes": ["440881"]}, (lon, lat)),
        ("site", {"issuer_level": "enterprise", "plan_type": "enterprise_on_site",
                  "hazard_source_id": hs}, (far_lon, far_lat)),
        ("flood", {"issuer_level": "municipal", "area_codes": ["440800"],
                   "event_types": ["flood"]}, (lon, lat)),
    ]:  # fmt: skip
        r = _plan(trusted_client, key, *where, **props)
        assert r.status_code == 201, r.text
        ids[key] = int(r.headers["location"].rsplit("/", 1)[1])
    r = trusted_client.post(
        "/analysis/surroundings",
        json={"lon": lon, "lat": lat, "radius_m": 100, "event_type": "fire"},
    )
    assert r.status_code == 200, r.text
    got = [f["id"] for f in r.json()["collections"]["plans"]["features"]]
    mine = [i for i in got if i in ids.values()]
    # the other county's plan lies at the incident but is not responsible; flood does not fit
    assert mine == [ids["site"], ids["county"], ids["city"]]
    assert r.json()["summary"]["counts"]["plans"] == len(got)
    # with k, the closest responsibilities are kept (not the plans filed nearest)
    r = trusted_client.post(
        "/analysis/surroundings",
        json={"lon": lon, "lat": lat, "radius_m": 100, "event_type": "fire", "k": 2},
    )
    assert [f["id"] for f in r.json()["collections"]["plans"]["features"]] == [
        ids["site"], ids["county"]
    ]  # fmt: skip
    # beyond the site radius the enterprise plan no longer applies
    lon2, lat2 = offset(lon, lat, 225, 3000)
    r = trusted_client.post(
        "/analysis/surroundings", json={"lon": lon2, "lat": lat2, "radius_m": 100,
                                        "event_type": "fire"},
    )  # fmt: skip
    got = [f["id"] for f in r.json()["collections"]["plans"]["features"]]
    assert ids["site"] not in got


@pytest.mark.parametrize(
    "props,message",
    [
        ({"area_codes": ["440899"]}, "440899"),
        ({"area_codes": ["440800", "abc"]}, "abc"),
        ({"hazard_source_id": 987654321}, "hazard_source_id"),
    ],
)
def test_unknown_plan_area_is_422_and_writes_nothing(trusted_client, db_session, props, message):
    before = db_session.execute(text("SELECT count(*) FROM plans")).scalar_one()
    r = _plan(trusted_client, "bad", LON, LAT, **props)
    assert r.status_code == 422, r.text
    assert message in r.json()["description"]
    assert db_session.execute(text("SELECT count(*) FROM plans")).scalar_one() == before


# ---- enumerations shaped by the standards ---------------------------------------------------
@pytest.mark.parametrize(
    "code,ok",
    [("1010101", True), ("2999999", True), ("3019901", True), ("1000101", False),
     ("1010001", False), ("1010100", False), ("4010101", False), ("101010", False)],
)  # fmt: skip
def test_supply_codes_follow_gbt_38565_levels(code, ok):
    props = {"name": "x", "item_name": "x", "quantity": 1, "unit": "个", "item_code": code}
    if ok:
        assert validate_properties(get_category("supplies"), props)["item_code"] == code
    else:
        with pytest.raises(ValidationFailed):
            validate_properties(get_category("supplies"), props)


def test_team_tier_and_new_specialties(trusted_client):
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "properties": {"name": "溢油队", "tier": "professional",
                       "specialties": ["oil_spill", "aviation", "full_time_fire", "militia",
                                       "epidemic_prevention", "communications"],
                       "status": "standby", "status_updated_at": "2026-11-30T08:00:00+08:00"},
    }  # fmt: skip
    r = trusted_client.post("/collections/rescue_teams/items", json=body)
    assert r.status_code == 201, r.text
    body["properties"]["tier"] = "fire_rescue"  # a specialty is not a tier
    r = trusted_client.post("/collections/rescue_teams/items", json=body)
    assert r.status_code == 422


def test_enterprise_plan_types_of_gbt_29639():
    enum = get_category("plans").field("plan_type").enum
    assert {"enterprise_comprehensive", "enterprise_special", "enterprise_on_site"} <= set(enum)
    assert "enterprise" not in enum


def test_shelter_checks_of_gb_21734_are_warnings(trusted_client):
    def create(**props):
        body = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [LON, LAT]},
            "properties": {"name": "s", "shelter_type": "fixed", "space_type": "indoor",
                           "hazards_served": ["typhoon", "flood"]} | props,
        }  # fmt: skip
        r = trusted_client.post("/collections/shelters/items", json=body)
        assert r.status_code == 201, r.text
        return trusted_client.get(r.headers["location"]).json()["properties"]

    ok = create(effective_area_m2=12_000)  # fixed: 2 m²/person → 6,000 persons
    assert ok["capacity"] == 12_000 // SHELTER_PARAMS["fixed"].area_per_person_m2
    assert ok["warnings"] == []
    # a capacity may not exceed area ÷ m² per person of the type (GB 50413: fixed 2, emergency
    # 1), so only an emergency shelter can plan below GB 21734's 1.5 m² per person
    small = create(shelter_type="emergency", effective_area_m2=1_800, capacity=1_500)  # 1.2 m²
    assert small["warnings"] == ["effective_area_below_min", "area_per_person_below_min"]
    edge = create(shelter_type="emergency", effective_area_m2=2_001, capacity=1_334)  # 1.4999
    assert edge["warnings"] == ["area_per_person_below_min"]


def test_one_service_radius_table_for_the_maps(monkeypatch):
    from gis_onemap.maps import products

    drawn: list[float] = []
    real = products.geodesic_buffer

    def recording(geom, radius):
        drawn.append(radius)
        return real(geom, radius)

    monkeypatch.setattr(products, "geodesic_buffer", recording)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]},
         "properties": {"name": t, "shelter_type": t}} for t in SHELTER_PARAMS]}  # fmt: skip
    products.render_shelter_coverage(fc)
    # shelters without their own radius are drawn with derived.SHELTER_PARAMS' radius
    assert drawn == [p.service_radius_m for p in SHELTER_PARAMS.values()]


def test_social_security_incidents_may_carry_a_severity(trusted_client):
    r = trusted_client.post(
        "/incidents",
        json={"lon": LON, "lat": LAT, "event_category": "social_security",
              "event_type": "mass_incident", "severity": "III"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["severity"] == "III"


# ---- the demo city --------------------------------------------------------------------------
#: Event types an incident at a demo hazard source can be (plants, stores, pipelines of
#: hazardous chemicals): what the city must have a plan for.
HAZARD_EVENTS = ("hazardous_chemicals", "fire", "explosion", "environmental")


@pytest.fixture(scope="module")
def demo_url(test_database_url):
    return demo_database(test_database_url, "plans")


def test_the_citys_plan_is_listed_at_every_demo_hazard_source(demo_url):
    engine = make_engine(Settings(database_url=demo_url))
    try:
        with make_session_factory(engine)() as session:
            sources = session.execute(
                text(
                    "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                    "FROM hazard_sources ORDER BY id"
                )
            ).all()
            city_plans = {
                r.id: set(r.event_types)
                for r in session.execute(
                    text(
                        "SELECT id, event_types FROM plans WHERE plan_type = 'special' "
                        "AND area_codes = ARRAY['440800'] AND issuer_level = 'municipal'"
                    )
                )
            }
            assert len(sources) >= 100
            service = SurroundingsService(session)
            missing = []
            for fid, lon, lat in sources:
                for event in HAZARD_EVENTS:
                    wanted = {i for i, types in city_plans.items() if event in types}
                    assert wanted, f"the demo city has no special plan for {event}"
                    out = service.surroundings(origin_from(lon, lat), 50.0, None, event, k=200)
                    got = {f["id"] for f in out["collections"]["plans"]["features"]}
                    if not wanted <= got:
                        missing.append((fid, event))
            assert missing == []
    finally:
        engine.dispose()


def test_demo_has_some_unusable_stock_and_teams(demo_url):
    engine = create_engine(demo_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            q = "SELECT count(*) FILTER (WHERE {c}), count(*) FROM {t}"
            expired, dated = conn.execute(text(q.format(
                c="expiry_date < CURRENT_DATE", t="supplies WHERE expiry_date IS NOT NULL"
            ))).one()  # fmt: skip
            out, teams = conn.execute(
                text(q.format(c="status IN ('deployed', 'unavailable')", t="rescue_teams"))
            ).one()
    finally:
        engine.dispose()
    assert 0 < expired < dated / 2  # some, not most
    assert 0 < out < teams / 4


def test_the_database_guards_plan_areas_on_every_write_path(db_session):
    """Imports and SQL bypass the API's check; the trigger and foreign key of 0007 do not."""
    from sqlalchemy.exc import DBAPIError

    for column, value in (("area_codes", "ARRAY['440899']"), ("hazard_source_id", "987654321")):
        with pytest.raises(DBAPIError), db_session.begin_nested():
            db_session.execute(text(
                "INSERT INTO plans (name, plan_type, event_types, geom, " + column + ") VALUES "
                "('x', 'special', ARRAY['fire'], ST_SetSRID(ST_MakePoint(110, 21), 4326), "
                + value + ")"
            ))  # fmt: skip
    hs = add(db_session, "hazard_sources", LON, LAT, name="gone")
    pid = add(db_session, "plans", LON, LAT, name="p", hazard_source_id=hs,
              area_codes=["440800"])  # fmt: skip
    db_session.execute(text("DELETE FROM hazard_sources WHERE id = :i"), {"i": hs})
    row = db_session.execute(
        text("SELECT hazard_source_id, area_codes FROM plans WHERE id = :i"), {"i": pid}
    ).one()
    assert tuple(row) == (None, ["440800"])  # the site is gone, the plan stays

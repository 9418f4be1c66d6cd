"""Incidents that evolve (issue 13): casualties and loss, severity derived from the grading table
(checked against an independent reading of the table here), overrides with a reason, PATCH with
ETag/If-Match, every problem listed with nothing written, audit entries, editors only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gis_onemap.categories.severity import DEFAULT_TABLE
from gis_onemap.db.tables import AUDIT_LOG, INCIDENTS

POINT = {"lon": 110.36, "lat": 21.27}
ACCIDENT = {**POINT, "event_category": "accident", "event_type": "hazardous_chemicals"}
TABLE = json.loads(DEFAULT_TABLE.read_text(encoding="utf-8"))


def expected_grade(dead=0, missing=0, serious=0, loss=0.0) -> str:
    """The grade by reading the JSON table directly: the most severe row any bound reaches."""
    deaths = dead + (missing if TABLE["count_missing_as_dead"] else 0)
    rows = sorted(TABLE["grades"], key=lambda r: -r["dead_min"])  # most severe first
    reached = [
        r["severity"]
        for r in rows
        if deaths >= r["dead_min"]
        or serious >= r["seriously_injured_min"]
        or loss >= r["direct_loss_yuan_min"]
    ]
    return reached[0]


def _cases() -> list[dict]:
    """Each grade's bounds exactly, one below them, and mixed criteria."""
    cases: list[dict] = []
    for r in TABLE["grades"]:
        d, s, loss = r["dead_min"], r["seriously_injured_min"], r["direct_loss_yuan_min"]
        cases += [{"dead": d}, {"seriously_injured": s, "injured": s}, {"direct_loss_yuan": loss}]
        if d:
            cases += [
                {"dead": d - 1},
                {"seriously_injured": s - 1, "injured": s},
                {"direct_loss_yuan": loss - 0.01},
                {"dead": d - 1, "missing": 1},
            ]
    cases.append({"dead": 2, "seriously_injured": 60, "injured": 80, "direct_loss_yuan": 1e7})
    return cases


def _post(client, **facts):
    r = client.post("/incidents", json={**ACCIDENT, **facts})
    assert r.status_code == 201, r.text
    return r


def _count(db_session, table=INCIDENTS) -> int:
    return db_session.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize(
    "facts", _cases(), ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items())
)
def test_severity_is_derived_from_the_table(editor_client, facts):
    props = _post(editor_client, **facts).json()["properties"]
    want = expected_grade(
        facts.get("dead", 0),
        facts.get("missing", 0),
        facts.get("seriously_injured", 0),
        facts.get("direct_loss_yuan", 0.0),
    )
    assert props["severity_derived"] == want
    assert props["severity"] == want and props["severity_source"] == "derived"
    assert props["severity_basis"]


def test_the_deciding_criterion_is_shown(editor_client):
    props = _post(editor_client, dead=1, seriously_injured=55, injured=70).json()["properties"]
    assert props["severity"] == "II"  # 55 seriously injured ≥ 50 decides, not 1 dead
    assert props["severity_basis"].startswith("seriously_injured 55")
    props = _post(editor_client, direct_loss_yuan=2e8).json()["properties"]
    assert props["severity"] == "I" and props["severity_basis"].startswith("direct_loss_yuan")
    assert props["direct_loss_yuan"] == 2e8  # a JSON number (numeric column)


def test_no_figures_keep_the_reported_grade(editor_client):
    props = _post(editor_client, severity="III").json()["properties"]
    assert (props["severity"], props["severity_source"], props["severity_derived"]) == (
        "III",
        "reported",
        None,
    )


def test_social_security_takes_a_reported_grade_and_is_not_derived(editor_client):
    r = editor_client.post(
        "/incidents",
        json={**POINT, "event_category": "social_security", "event_type": "mass_incident",
              "severity": "II", "dead": 40},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["severity"] == "II" and props["severity_derived"] is None
    assert props["dead"] == 40


def test_override_with_reason_shows_both(editor_client):
    props = _post(
        editor_client, dead=4, severity_override="II", severity_override_reason="市政府提级响应"
    ).json()["properties"]
    assert props["severity"] == "II" and props["severity_source"] == "override"
    assert props["severity_derived"] == expected_grade(dead=4) == "III"
    assert props["severity_override_reason"] == "市政府提级响应"


def test_bad_facts_are_all_listed_and_nothing_is_written(editor_client, db_session):
    before = _count(db_session)
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = editor_client.post(
        "/incidents",
        json={**ACCIDENT, "dead": -1, "injured": -2, "direct_loss_yuan": -5,
              "occurred_at": future, "severity_override": "I"},
    )  # fmt: skip
    assert r.status_code == 422, r.text
    params = [d["parameter"] for d in r.json()["details"]]
    assert params == [
        "dead", "injured", "direct_loss_yuan", "occurred_at", "severity_override_reason"
    ]  # fmt: skip
    assert _count(db_session) == before


def test_occurred_after_reported_is_refused(editor_client):
    r = editor_client.post(
        "/incidents",
        json={**ACCIDENT, "occurred_at": "2026-07-01T10:00:00+08:00",
              "reported_at": "2026-07-01T09:00:00+08:00"},
    )  # fmt: skip
    assert r.status_code == 422
    assert "after reported_at" in r.json()["description"]


def test_naive_times_are_china_time_and_within_tolerance(editor_client):
    soon = (datetime.now(UTC) + timedelta(seconds=60)).astimezone(UTC).replace(tzinfo=None)
    naive_china = (soon + timedelta(hours=8)).isoformat()  # 60 s ahead: inside 300 s
    props = _post(editor_client, reported_at=naive_china).json()["properties"]
    stored = datetime.fromisoformat(props["reported_at"])
    assert abs((stored - soon.replace(tzinfo=UTC)).total_seconds()) < 1


def test_patch_updates_rederives_and_checks_the_etag(editor_client, db_session):
    created = _post(editor_client, dead=1, reported_at="2026-07-01T09:00:00+08:00")
    fid, etag = created.json()["id"], created.headers["ETag"]
    assert created.json()["properties"]["severity"] == "IV"
    assert editor_client.get(f"/incidents/{fid}").headers["ETag"] == etag

    r = editor_client.patch(
        f"/incidents/{fid}",
        json={"dead": 11, "missing": 2, "occurred_at": "2026-07-01T08:40:00+08:00"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["dead"] == 11 and props["missing"] == 2
    assert props["severity"] == expected_grade(dead=11, missing=2) == "II"
    assert props["reported_at"] and props["occurred_at"]  # untouched field kept
    new_etag = r.headers["ETag"]
    assert new_etag != etag

    # a second writer still holding the first version: 412, nothing changed
    stale = editor_client.patch(f"/incidents/{fid}", json={"dead": 0}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert editor_client.get(f"/incidents/{fid}").json()["properties"]["dead"] == 11

    # null clears a figure; the grade follows what is left
    r = editor_client.patch(
        f"/incidents/{fid}", json={"dead": None}, headers={"If-Match": new_etag}
    )
    assert r.status_code == 200 and r.json()["properties"]["dead"] is None
    assert r.json()["properties"]["severity"] == expected_grade(missing=2) == "IV"


def test_patch_override_then_remove_it(editor_client):
    fid = _post(editor_client, dead=3).json()["id"]
    r = editor_client.patch(f"/incidents/{fid}", json={"severity_override": "I"})
    assert r.status_code == 422 and "severity_override_reason" in r.text
    r = editor_client.patch(
        f"/incidents/{fid}",
        json={"severity_override": "I", "severity_override_reason": "国务院工作组定性"},
    )
    assert r.json()["properties"]["severity"] == "I"
    # the stored reason still stands when only the override changes
    r = editor_client.patch(f"/incidents/{fid}", json={"severity_override": "II"})
    assert r.status_code == 200 and r.json()["properties"]["severity"] == "II"
    r = editor_client.patch(f"/incidents/{fid}", json={"severity_override": None})
    props = r.json()["properties"]
    assert props["severity"] == "III" and props["severity_source"] == "derived"
    assert props["severity_override_reason"] is None


def test_patch_problems_merge_with_the_stored_row(editor_client, db_session):
    fid = _post(editor_client, injured=5, reported_at="2026-07-01T09:00:00+08:00").json()["id"]
    r = editor_client.patch(
        f"/incidents/{fid}",
        json={"seriously_injured": 6, "occurred_at": "2026-07-01T09:30:00+08:00",
              "direct_loss_yuan": -1, "event_type": "earthquake"},
    )  # fmt: skip
    assert r.status_code == 422
    params = sorted(d["parameter"] for d in r.json()["details"])
    assert params == ["direct_loss_yuan", "event_type", "occurred_at", "seriously_injured"]
    stored = db_session.execute(
        select(INCIDENTS.c.seriously_injured, INCIDENTS.c.event_type).where(INCIDENTS.c.id == fid)
    ).one()
    assert tuple(stored) == (None, "hazardous_chemicals")


def test_patch_bad_shapes_and_unknown(editor_client):
    fid = _post(editor_client).json()["id"]
    assert editor_client.patch(f"/incidents/{fid}", json={"colour": "red"}).status_code == 400
    assert editor_client.patch(f"/incidents/{fid}", json={"dead": "many"}).status_code == 400
    assert editor_client.patch("/incidents/987654321", json={"dead": 1}).status_code == 404
    r = editor_client.patch(f"/incidents/{fid}", json={"dead": 1}, headers={"If-Match": "nope"})
    assert r.status_code == 400
    r = editor_client.patch(f"/incidents/{fid}", json={"event_category": None, "dead": -1})
    assert r.status_code == 422
    assert [d["parameter"] for d in r.json()["details"]] == ["event_category", "dead"]
    r = editor_client.patch(f"/incidents/{fid}", json={"event_category": "natural_disaster"})
    assert r.status_code == 422 and "not a natural_disaster event" in r.text
    r = editor_client.patch(
        f"/incidents/{fid}", json={"event_category": "natural_disaster", "event_type": "typhoon"}
    )
    assert r.status_code == 200 and r.json()["properties"]["event_type"] == "typhoon"


def test_writes_are_audited(editor_client, db_session):
    fid = _post(editor_client, dead=0).json()["id"]
    editor_client.patch(f"/incidents/{fid}", json={"dead": 5})
    rows = db_session.execute(
        select(AUDIT_LOG.c.action, AUDIT_LOG.c.before, AUDIT_LOG.c.after)
        .where(AUDIT_LOG.c.collection == "incidents", AUDIT_LOG.c.fid == fid)
        .order_by(AUDIT_LOG.c.id)
    ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].before["dead"] == 0 and rows[1].after["dead"] == 5
    assert rows[1].after["severity"] == "III"


def test_anonymous_and_viewers_cannot_write(client, viewer_client, editor_client, db_session):
    fid = _post(editor_client).json()["id"]
    before = _count(db_session)
    r = client.patch(f"/incidents/{fid}", json={"dead": 1})
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
    assert client.post("/incidents", json=ACCIDENT).status_code == 401
    assert viewer_client.patch(f"/incidents/{fid}", json={"dead": 1}).status_code == 403
    assert _count(db_session) == before
    assert client.get(f"/incidents/{fid}").json()["properties"]["dead"] is None


def test_openapi_documents_the_patch_body(client):
    op = client.get("/api").json()["paths"]["/incidents/{incident_id}"]["patch"]
    schema = op["requestBody"]["content"]["application/merge-patch+json"]["schema"]
    assert {"dead", "severity_override", "severity_override_reason"} <= set(schema["properties"])

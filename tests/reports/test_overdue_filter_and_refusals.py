"""Issue 17 audit: ``GET /incidents?overdue=true`` (the Build list's filter) follows the reporting
clocks — an incident appears while a report is past its deadline and leaves once it is filed —
and a refused deadline table (a gap) changes nothing: not the table in force, not a due time."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.reports.deadlines import shipped_tables


def _incident(client: TestClient, minutes_ago: float) -> int:
    reported = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    r = client.post("/incidents", json={
        "lon": 110.36, "lat": 21.27, "event_category": "accident", "event_type": "fire",
        "severity": "II", "reported_at": reported})  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _ids(client: TestClient, overdue: str) -> set[int]:
    r = client.get("/incidents", params={"overdue": overdue, "limit": 1000})
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


def test_incidents_overdue_filter_follows_the_clocks(editor_client: TestClient) -> None:
    late = _incident(editor_client, minutes_ago=30)  # II: verbal within 20 min → overdue
    fresh = _incident(editor_client, minutes_ago=1)  # nothing due yet
    assert late in _ids(editor_client, "true") and fresh not in _ids(editor_client, "true")
    assert fresh in _ids(editor_client, "false") and late not in _ids(editor_client, "false")
    # the same answer as /reports/overdue
    overdue = set(editor_client.get("/reports/overdue").json()["incident_ids"])
    assert late in overdue and fresh not in overdue
    assert _ids(editor_client, "true") <= overdue
    filed = editor_client.post(f"/incidents/{late}/reports", json={
        "kind": "initial", "form": "verbal", "text": "电话报告"})  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert late not in _ids(editor_client, "true") and late in _ids(editor_client, "false")
    # without the filter both are listed; a bad value is a clear 4xx
    everything = {f["id"] for f in editor_client.get("/incidents?limit=1000").json()["features"]}
    assert {late, fresh} <= everything
    bad = editor_client.get("/incidents", params={"overdue": "sometimes"})
    assert bad.status_code in (400, 422) and "overdue" in bad.text


def test_a_table_with_a_gap_is_refused_and_changes_nothing(
    editor_client: TestClient, admin_client: TestClient, db_session: Session
) -> None:
    inc = _incident(editor_client, minutes_ago=5)
    before_table = editor_client.get("/reports/deadline-table").json()
    before_due = editor_client.get(f"/incidents/{inc}/reporting").json()["obligations"]
    stored = "SELECT count(*) FROM report_deadline_tables"
    before_rows = db_session.execute(text(stored)).scalar_one()
    gap = copy.deepcopy(shipped_tables()["tables"]["county"])
    gap["rules"][0]["severities"] = ["I"]  # II and III left without a rule
    r = admin_client.put("/reports/deadline-table", json=gap)
    assert r.status_code == 422, r.text
    assert "no rule for" in r.text and "II" in r.text
    assert editor_client.get("/reports/deadline-table").json() == before_table
    assert editor_client.get(f"/incidents/{inc}/reporting").json()["obligations"] == before_due
    assert db_session.execute(text(stored)).scalar_one() == before_rows

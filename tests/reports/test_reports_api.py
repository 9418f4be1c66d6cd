"""Reporting clocks over HTTP on real PostGIS: overdue appears and clears when the report is
filed, a bureau's table re-times open deadlines, tables with gaps are refused, drafts count what
is around."""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod

from gis_onemap.reports.deadlines import shipped_tables
from tests.samples import point, sample_feature

LON, LAT = 110.36, 21.27
GEOD = Geod(ellps="WGS84")


def _incident(client: TestClient, minutes_ago: float, severity: str | None = "II") -> int:
    reported = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    body = {"lon": LON, "lat": LAT, "event_category": "accident", "event_type": "fire",
            "reported_at": reported}  # fmt: skip
    if severity:
        body["severity"] = severity
    r = client.post("/incidents", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _states(client: TestClient, inc: int) -> dict[str, str]:
    clocks = client.get(f"/incidents/{inc}/reporting").json()
    return {o["form"]: o["state"] for o in clocks["obligations"]}


def test_overdue_appears_and_clears_when_the_report_is_filed(editor_client: TestClient) -> None:
    inc = _incident(editor_client, minutes_ago=30)  # II: verbal within 20 min, written 120
    assert _states(editor_client, inc) == {"verbal": "overdue", "written": "due"}
    assert inc in editor_client.get("/reports/overdue").json()["incident_ids"]
    r = editor_client.post(
        f"/incidents/{inc}/reports",
        json={"kind": "initial", "form": "verbal", "text": "电话报告：仓库起火"},
    )
    assert r.status_code == 201, r.text
    assert _states(editor_client, inc) == {"verbal": "done_late", "written": "due"}
    assert inc not in editor_client.get("/reports/overdue").json()["incident_ids"]


def test_a_written_report_in_time_fulfils_both(editor_client: TestClient) -> None:
    inc = _incident(editor_client, minutes_ago=5)
    r = editor_client.post(
        f"/incidents/{inc}/reports",
        json={"kind": "initial", "form": "written", "text": "书面报告"},
    )
    assert r.status_code == 201
    assert _states(editor_client, inc) == {"verbal": "done", "written": "done"}
    reports = editor_client.get(f"/incidents/{inc}/reports").json()["reports"]
    assert [x["form"] for x in reports] == ["written"]


def test_a_bureau_table_retimes_open_deadlines_and_gaps_are_refused(
    editor_client: TestClient, admin_client: TestClient
) -> None:
    inc = _incident(editor_client, minutes_ago=25)  # II: overdue under the provincial rule
    assert _states(editor_client, inc)["verbal"] == "overdue"
    county = shipped_tables()["tables"]["county"]  # II: verbal 30, written 60
    gap = copy.deepcopy(county)
    gap["rules"][1]["severities"] = ["IV"]  # ungraded incidents left without a rule
    assert editor_client.put("/reports/deadline-table", json=county).status_code == 403
    r = admin_client.put("/reports/deadline-table", json=gap)
    assert r.status_code == 422 and "no rule for accident / ungraded" in r.text
    assert admin_client.put("/reports/deadline-table", json=county).status_code == 200
    clocks = editor_client.get(f"/incidents/{inc}/reporting").json()["obligations"]
    reported = datetime.fromisoformat(
        editor_client.get(f"/incidents/{inc}").json()["properties"]["reported_at"]
    )
    due = {o["form"]: datetime.fromisoformat(o["due_at"]) for o in clocks}
    assert due == {"verbal": reported + timedelta(minutes=30),
                   "written": reported + timedelta(minutes=60)}  # fmt: skip
    assert _states(editor_client, inc) == {"verbal": "due", "written": "due"}


def test_attachments_are_stored_with_their_hash_and_bounded(editor_client: TestClient) -> None:
    inc = _incident(editor_client, minutes_ago=1)
    data = "现场照片".encode() * 100
    body = {"kind": "follow_up", "form": "written", "text": "续报",
            "attachments": [{"name": "scene.jpg", "media_type": "image/jpeg",
                             "data_base64": base64.b64encode(data).decode()}]}  # fmt: skip
    r = editor_client.post(f"/incidents/{inc}/reports", json=body)
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][0]
    assert att["size"] == len(data) and att["sha256"] == hashlib.sha256(data).hexdigest()
    body["attachments"][0]["data_base64"] = "***not base64***"
    assert editor_client.post(f"/incidents/{inc}/reports", json=body).status_code == 422
    assert len(editor_client.get(f"/incidents/{inc}/reports").json()["reports"]) == 1


def test_reports_for_unknown_incidents_and_roles(
    client: TestClient, editor_client: TestClient
) -> None:
    body = {"kind": "initial", "form": "verbal", "text": "x"}
    assert editor_client.post("/incidents/987654321/reports", json=body).status_code == 404
    inc = _incident(editor_client, minutes_ago=1)
    assert client.post(f"/incidents/{inc}/reports", json=body).status_code == 401
    assert editor_client.get("/incidents/987654321/reporting").status_code == 404


@pytest.mark.parametrize("km", [1.0])
def test_the_draft_counts_what_lies_around(editor_client: TestClient, km: float) -> None:
    inc = _incident(editor_client, minutes_ago=1)
    near_lon, near_lat, _ = GEOD.fwd(LON, LAT, 45, km * 1000)
    far_lon, far_lat, _ = GEOD.fwd(LON, LAT, 45, 5200)  # outside the 5 km radius
    for lon, lat in ((near_lon, near_lat), (far_lon, far_lat)):
        target = sample_feature("protected_targets", point(lon, lat))
        r = editor_client.post("/collections/protected_targets/items", json=target)
        assert r.status_code == 201
    draft = editor_client.get(f"/incidents/{inc}/report-draft").json()
    assert draft["figures"]["targets"] == 1
    assert draft["figures"]["target_people"] == 3200  # the sample target's population
    assert "重点防护目标1处" in draft["text"] and "事件报告（草稿）" in draft["text"]
    assert "重大" in draft["text"]  # severity II


def test_a_filed_report_is_published(editor_client: TestClient, db_session) -> None:
    from sqlalchemy import text

    inc = _incident(editor_client, minutes_ago=1)
    body = {"kind": "initial", "form": "verbal", "text": "电话报告"}
    rid = editor_client.post(f"/incidents/{inc}/reports", json=body).json()["id"]
    payloads = (
        db_session.execute(
            text(
                "SELECT payload FROM live_events WHERE incident_id = :i AND kind = 'report.filed'"
            ),
            {"i": inc},
        )
        .scalars()
        .all()
    )
    assert payloads == [{"id": rid, "kind": "initial", "form": "verbal"}]

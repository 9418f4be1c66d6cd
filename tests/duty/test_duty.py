"""Duty roster and log over HTTP on real PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

T0 = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 Beijing time


def _shift(client: TestClient, person: str, start: datetime, hours: float, post: str = "值班员"):
    return client.post(
        "/duty/shifts",
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(),
            "person": person,
            "post": post,
            "phone": "0759-3333333",
        },
    )


def test_roster_and_who_is_on_duty(editor_client: TestClient, viewer_client: TestClient) -> None:
    a = _shift(editor_client, "陈值班", T0, 24)
    b = _shift(editor_client, "李带班", T0, 12, post="带班领导")
    c = _shift(editor_client, "王值班", T0 + timedelta(hours=24), 24)
    assert {a.status_code, b.status_code, c.status_code} == {201}
    at = (T0 + timedelta(hours=13)).isoformat()
    now = viewer_client.get("/duty/now", params={"at": at}).json()["shifts"]
    assert [s["person"] for s in now] == ["陈值班"]  # 李带班's 12 h ended at 20:30
    day = viewer_client.get(
        "/duty/shifts",
        params={"start": T0.isoformat(), "end": (T0 + timedelta(hours=24)).isoformat()},
    ).json()["shifts"]
    assert sorted(s["person"] for s in day) == ["李带班", "陈值班"]
    assert day[0]["phone"] == "0759-3333333"


def test_a_person_cannot_hold_overlapping_shifts(editor_client: TestClient) -> None:
    assert _shift(editor_client, "陈值班", T0, 24).status_code == 201
    clash = _shift(editor_client, "陈值班", T0 + timedelta(hours=23), 2)
    assert clash.status_code == 409 and "overlapping" in clash.text
    # back to back is fine
    assert _shift(editor_client, "陈值班", T0 + timedelta(hours=24), 24).status_code == 201


def test_bad_shifts_are_refused(editor_client: TestClient, db_session: Session) -> None:
    assert _shift(editor_client, "x", T0, -1).status_code == 422  # ends before it starts
    assert _shift(editor_client, "x", T0, 24 * 8).status_code == 422  # longer than 7 days
    naive = {"starts_at": "2026-12-01T08:30:00", "ends_at": "2026-12-01T20:30:00",
             "person": "x", "post": "值班员"}  # fmt: skip
    assert editor_client.post("/duty/shifts", json=naive).status_code == 400
    assert db_session.execute(text("SELECT count(*) FROM duty_shifts")).scalar_one() == 0


def test_the_log_attaches_entries_to_the_shift_on_duty(
    editor_client: TestClient, viewer_client: TestClient, db_session: Session
) -> None:
    first = _shift(editor_client, "陈值班", T0, 24).json()["id"]
    second = _shift(editor_client, "王值班", T0 + timedelta(hours=24), 24).json()["id"]
    for hours, words in ((2, "接报：霞山区仓库起火"), (30, "交接班：火情已扑灭")):
        r = editor_client.post(
            "/duty/log",
            json={"kind": "event", "text": words, "at": (T0 + timedelta(hours=hours)).isoformat()},
        )
        assert r.status_code == 201, r.text
    by_shift = {
        sid: [e["text"] for e in viewer_client.get("/duty/log", params={"shift_id": sid}).json()[
            "entries"]]
        for sid in (first, second)
    }  # fmt: skip
    assert by_shift == {first: ["接报：霞山区仓库起火"], second: ["交接班：火情已扑灭"]}
    audit = db_session.execute(
        text("SELECT count(*) FROM audit_log WHERE collection = 'duty_log' AND action = 'create'")
    ).scalar_one()
    assert audit == 2


def test_the_roster_is_for_signed_in_users_and_editors_write(
    client: TestClient, viewer_client: TestClient, editor_client: TestClient
) -> None:
    params = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
    assert client.get("/duty/shifts", params=params).status_code == 401
    assert client.get("/duty/log").status_code == 401
    assert viewer_client.get("/duty/shifts", params=params).status_code == 200
    assert _shift(viewer_client, "x", T0, 1).status_code == 403
    r = viewer_client.post("/duty/log", json={"kind": "note", "text": "x"})
    assert r.status_code == 403
    assert client.post("/duty/log", json={"kind": "note", "text": "x"}).status_code == 401
    bad = {"kind": "gossip", "text": "x"}
    assert editor_client.post("/duty/log", json=bad).status_code == 400

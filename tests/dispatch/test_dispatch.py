"""Dispatch over HTTP on real PostGIS: stock leaves and comes back atomically, teams are deployed
and stood down, statuses only advance, every step is audited, and totals elsewhere see it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.samples import point, sample_feature

LON, LAT = 110.36, 21.27


def _create(client: TestClient, category: str, **props: Any) -> int:
    feature = sample_feature(category, point(LON + 0.001, LAT))
    feature["properties"].update(props)
    r = client.post(f"/collections/{category}/items", json=feature)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _incident(client: TestClient) -> int:
    r = client.post(
        "/incidents",
        json={"lon": LON, "lat": LAT, "event_category": "accident", "event_type": "fire"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _quantity(client: TestClient, fid: int) -> float:
    return float(client.get(f"/collections/supplies/items/{fid}").json()["properties"]["quantity"])


def _audit(db: Session, collection: str, fid: int) -> list[tuple[str, str | None]]:
    rows = db.execute(
        text("SELECT action, reason FROM audit_log WHERE collection = :c AND fid = :f ORDER BY id"),
        {"c": collection, "f": fid},
    )
    return [(r.action, r.reason) for r in rows]


def test_dispatching_more_than_the_stock_is_409_and_changes_nothing(
    editor_client: TestClient, db_session: Session
) -> None:
    tents = _create(editor_client, "supplies", quantity=20)
    inc = _incident(editor_client)
    before = _audit(db_session, "supplies", tents)
    r = editor_client.post(
        f"/incidents/{inc}/dispatches",
        json={"collection": "supplies", "feature_id": tents, "quantity": 30},
    )
    assert r.status_code == 409 and "not enough stock" in r.text
    assert _quantity(editor_client, tents) == 20
    assert _audit(db_session, "supplies", tents) == before
    assert editor_client.get(f"/incidents/{inc}/dispatches").json()["dispatches"] == []


def test_dispatch_and_release_round_trip_restores_the_stock_and_is_audited(
    editor_client: TestClient, db_session: Session
) -> None:
    tents = _create(editor_client, "supplies", quantity=20)
    inc = _incident(editor_client)
    r = editor_client.post(
        f"/incidents/{inc}/dispatches",
        json={"collection": "supplies", "feature_id": tents, "quantity": 12},
    )
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "assigned" and d["name"] == "帐篷储备" and d["quantity"] == 12
    assert _quantity(editor_client, tents) == 8
    for status in ("en_route", "on_site"):
        r = editor_client.patch(f"/incidents/{inc}/dispatches/{d['id']}", json={"status": status})
        assert r.status_code == 200 and r.json()[f"{status}_at"], r.text
    r = editor_client.patch(
        f"/incidents/{inc}/dispatches/{d['id']}",
        json={"status": "released", "returned_quantity": 12},
    )
    assert r.status_code == 200, r.text
    assert r.json()["released_at"] and r.json()["returned_quantity"] == 12
    assert _quantity(editor_client, tents) == 20
    steps = _audit(db_session, "supplies", tents)
    assert steps[-2:] == [
        ("adjust", f"dispatch to incident {inc}"),
        ("adjust", f"returned from incident {inc}"),
    ]
    trail = _audit(db_session, "dispatches", d["id"])
    assert [a for a, _ in trail] == ["create", "update", "update", "update"]


def test_partly_used_supplies_return_only_what_is_left(editor_client: TestClient) -> None:
    water = _create(editor_client, "supplies", quantity=100)
    inc = _incident(editor_client)
    d = editor_client.post(
        f"/incidents/{inc}/dispatches",
        json={"collection": "supplies", "feature_id": water, "quantity": 40},
    ).json()
    url = f"/incidents/{inc}/dispatches/{d['id']}"
    assert editor_client.patch(url, json={"status": "released"}).status_code == 422
    too_many = {"status": "released", "returned_quantity": 41}
    assert editor_client.patch(url, json=too_many).status_code == 422
    assert _quantity(editor_client, water) == 60  # nothing moved by the refused releases
    ok = editor_client.patch(url, json={"status": "released", "returned_quantity": 15})
    assert ok.status_code == 200
    assert _quantity(editor_client, water) == 75


def test_a_team_is_deployed_while_dispatched_and_drops_out_of_totals(
    editor_client: TestClient,
) -> None:
    team = _create(editor_client, "rescue_teams", status="on_duty", headcount=45)
    inc = _incident(editor_client)
    body = {"lon": LON, "lat": LAT, "radius_m": 2000}

    def headcount() -> int:
        r = editor_client.post("/analysis/surroundings", json=body)
        assert r.status_code == 200, r.text
        return int(r.json()["summary"]["team_headcount"])

    before = headcount()
    d = editor_client.post(
        f"/incidents/{inc}/dispatches",
        json={"collection": "rescue_teams", "feature_id": team, "people": 30, "vehicles": 4},
    )
    assert d.status_code == 201, d.text
    did = d.json()["id"]
    props = editor_client.get(f"/collections/rescue_teams/items/{team}").json()["properties"]
    assert props["status"] == "deployed"
    assert headcount() == before - 45  # committed here, so not counted as available elsewhere
    listed = editor_client.get(f"/incidents/{inc}/dispatches").json()
    assert listed["active"] == {"teams": 1, "people": 30, "vehicles": 4, "supply_records": 0}
    # a deployed team cannot be sent again
    again = editor_client.post(
        f"/incidents/{inc}/dispatches", json={"collection": "rescue_teams", "feature_id": team}
    )
    assert again.status_code == 409 and "deployed" in again.text
    r = editor_client.patch(f"/incidents/{inc}/dispatches/{did}", json={"status": "released"})
    assert r.status_code == 200
    props = editor_client.get(f"/collections/rescue_teams/items/{team}").json()["properties"]
    assert props["status"] == "standby"
    assert headcount() == before


def test_statuses_only_advance(editor_client: TestClient) -> None:
    team = _create(editor_client, "rescue_teams", status="standby")
    inc = _incident(editor_client)
    did = editor_client.post(
        f"/incidents/{inc}/dispatches", json={"collection": "rescue_teams", "feature_id": team}
    ).json()["id"]
    url = f"/incidents/{inc}/dispatches/{did}"
    assert editor_client.patch(url, json={"status": "on_site"}).status_code == 200
    back = editor_client.patch(url, json={"status": "en_route"})
    assert back.status_code == 409 and "only advance" in back.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"collection": "supplies", "feature_id": 1}, 422),  # no quantity
        ({"collection": "rescue_teams", "feature_id": 1, "quantity": 2}, 422),
        ({"collection": "shelters", "feature_id": 1}, 400),  # not dispatchable
        ({"collection": "supplies", "feature_id": 1, "quantity": -5}, 400),
    ],
)
def test_bad_dispatches_are_refused(
    editor_client: TestClient, body: dict[str, Any], status: int
) -> None:
    inc = _incident(editor_client)
    r = editor_client.post(f"/incidents/{inc}/dispatches", json=body)
    assert r.status_code == status, r.text


def test_unknown_incident_resource_and_roles(
    client: TestClient, viewer_client: TestClient, editor_client: TestClient
) -> None:
    tents = _create(editor_client, "supplies", quantity=5)
    inc = _incident(editor_client)
    body = {"collection": "supplies", "feature_id": tents, "quantity": 1}
    assert editor_client.post("/incidents/987654321/dispatches", json=body).status_code == 404
    missing = {"collection": "supplies", "feature_id": 987654321, "quantity": 1}
    assert editor_client.post(f"/incidents/{inc}/dispatches", json=missing).status_code == 404
    assert client.post(f"/incidents/{inc}/dispatches", json=body).status_code == 401
    assert viewer_client.post(f"/incidents/{inc}/dispatches", json=body).status_code == 403
    assert _quantity(editor_client, tents) == 5


def test_expired_stock_cannot_be_dispatched(editor_client: TestClient) -> None:
    old = _create(editor_client, "supplies", quantity=50, expiry_date="2020-01-01")
    inc = _incident(editor_client)
    r = editor_client.post(
        f"/incidents/{inc}/dispatches",
        json={"collection": "supplies", "feature_id": old, "quantity": 5},
    )
    assert r.status_code == 409 and "expired" in r.text
    assert _quantity(editor_client, old) == 50


def test_every_step_is_published_to_the_live_stream(
    editor_client: TestClient, db_session: Session
) -> None:
    team = _create(editor_client, "rescue_teams", status="standby")
    inc = _incident(editor_client)
    did = editor_client.post(
        f"/incidents/{inc}/dispatches", json={"collection": "rescue_teams", "feature_id": team}
    ).json()["id"]
    editor_client.patch(f"/incidents/{inc}/dispatches/{did}", json={"status": "en_route"})
    kinds = (
        db_session.execute(
            text("SELECT kind FROM live_events WHERE incident_id = :i ORDER BY id"), {"i": inc}
        )
        .scalars()
        .all()
    )
    assert [k for k in kinds if k.startswith("dispatch.")] == ["dispatch.assigned",
                                                              "dispatch.en_route"]  # fmt: skip

"""The incident workspace in real headless Chromium (only 127.0.0.1 reachable), desktop and
phone: reporting clocks show an overdue report that clears when it is filed from a draft, a
supply is dispatched and moved along, a monitoring warning is listed and drawn."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from gis_onemap.auth.tokens import new_token, token_hash
from tests.web.test_map_browser import assert_clean, open_map, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def editor_token(web_database_url: str) -> str:
    token = new_token()
    engine = create_engine(web_database_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO api_tokens (name, token_hash, role) VALUES (:n, :h, 'editor')"),
            {"n": f"ws-{uuid.uuid4().hex[:8]}", "h": token_hash(token)},
        )
    engine.dispose()
    return token


def _setup(base: str, token: str) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        reported = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
        inc = c.post("/incidents", json={"lon": 110.36, "lat": 21.27, "event_category": "accident",
                                         "event_type": "fire", "severity": "II",
                                         "reported_at": reported})  # fmt: skip
        assert inc.status_code == 201, inc.text
        supplies = c.get("/collections/supplies/items", params={"limit": 200}).json()["features"]
        today = datetime.now(UTC).date().isoformat()
        supply = next(
            f for f in supplies
            if (f["properties"].get("status") in (None, "available"))
            and (f["properties"].get("expiry_date") or "9999") > today
            and f["properties"]["quantity"] >= 5
        )  # fmt: skip
        hazard = c.get("/collections/hazard_sources/items", params={"limit": 1}).json()
        code = f"WS-{uuid.uuid4().hex[:8]}"
        p = c.post("/monitoring/points", json={
            "code": code, "name": "可燃气体探测器", "hazard_source_id": hazard["features"][0]["id"],
            "sensor_type": "combustible_gas", "thresholds": {"yellow": 20, "red": 50}})  # fmt: skip
        assert p.status_code == 201, p.text
        now = datetime.now(UTC).isoformat()
        reading = {"point": code, "observed_at": now, "value": 60}
        r = c.post("/monitoring/readings", json={"readings": [reading]})
        assert r.json()["warnings"]["opened"], r.text
    return {"incident": inc.json()["id"], "supply": supply["id"], "code": code}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_incident_workspace(live_server, desktop_page, phone_page, editor_token, viewport):
    tap = viewport == "phone"
    page = desktop_page if not tap else phone_page
    made = _setup(live_server, editor_token)
    page.add_init_script(f"sessionStorage.setItem('onemap.token', '{editor_token}')")
    watch = open_map(page, live_server)
    if tap:
        page.locator("#panel-toggle").tap()

    def press(selector: str) -> None:
        loc = page.locator(selector)
        loc.scroll_into_view_if_needed()
        loc.tap() if tap else loc.click()

    page.wait_for_function(
        f"() => OneMap.Workspace.state.incident === '{made['incident']}'", timeout=30_000
    )
    page.wait_for_selector("#ws-clocks li[data-state='overdue']", timeout=30_000)
    press("#ws-draft")
    page.wait_for_function("() => document.getElementById('ws-report-text').value.includes('草稿')")
    press("#ws-file")  # initial, verbal (the first options)
    page.wait_for_selector("#ws-clocks li[data-state='done_late']", timeout=30_000)
    assert page.locator("#ws-clocks li[data-state='overdue']").count() == 0

    page.locator("#ws-feature").fill(str(made["supply"]))
    page.locator("#ws-amount").fill("2")
    press("#ws-assign")
    page.wait_for_selector("#ws-dispatches li[data-status='assigned']", timeout=30_000)
    press("#ws-dispatches li[data-status='assigned'] .ws-advance")
    page.wait_for_selector("#ws-dispatches li[data-status='en_route']", timeout=30_000)

    warning = page.locator("#ws-warnings li[data-level='red']")
    assert warning.count() >= 1
    page.wait_for_function("() => !!OneMap.map.getLayer('ws-warnings')", timeout=30_000)
    warning.first.scroll_into_view_if_needed()
    warning.first.tap() if tap else warning.first.click()  # flies to it
    page.wait_for_timeout(2500)
    wait_idle(page)
    drawn = page.evaluate(
        "() => OneMap.map.queryRenderedFeatures({layers: ['ws-warnings']}).length"
    )
    assert drawn >= 1  # on the map, not only in the list
    assert_clean(watch)

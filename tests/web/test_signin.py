"""The map page's one sign-in (issue 17), in real headless Chromium, desktop and phone: a viewer
sees its name and role and the write buttons off with the reason; an editor draws a situation
annotation that the server stores under its name; a bad token gets a clear message; signing out
goes back to anonymous; a reload keeps the session, a new tab does not (sessionStorage); every
request of the page carries the token (panels, tiles, live stream)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from gis_onemap.auth.tokens import new_token, token_hash
from tests.web.test_map_browser import assert_clean, open_map

pytestmark = pytest.mark.browser

AT = (110.36, 21.27)


@pytest.fixture(scope="module")
def make_token(web_database_url: str) -> Callable[[str], tuple[str, str]]:
    """``make_token("viewer")`` → (token, name), committed on the web database."""
    engine = create_engine(web_database_url)

    def make(role: str) -> tuple[str, str]:
        token, name = new_token(), f"duty-{role}-{uuid.uuid4().hex[:6]}"
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO api_tokens (name, token_hash, role) VALUES (:n, :h, :r)"),
                {"n": name, "h": token_hash(token), "r": role},
            )
        return token, name

    yield make
    engine.dispose()


def _page(viewport: str, desktop_page: Any, phone_page: Any) -> tuple[Any, bool]:
    return (phone_page, True) if viewport == "phone" else (desktop_page, False)


def _press(page: Any, selector: str, tap: bool) -> None:
    loc = page.locator(selector)
    loc.scroll_into_view_if_needed()
    loc.tap() if tap else loc.click()


def _sign_in(page: Any, token: str, tap: bool) -> None:
    if page.locator("#auth-box").is_hidden():
        _press(page, "#auth-toggle", tap)
    page.locator("#auth-token").fill(token)
    _press(page, "#auth-signin", tap)


def _open_panel(page: Any, tap: bool) -> None:
    if tap and not page.evaluate("() => document.body.classList.contains('panel-open')"):
        page.locator("#panel-toggle").tap()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_viewer_sees_its_role_and_no_write_buttons_then_signs_out(
    live_server, desktop_page, phone_page, make_token, viewport
):
    page, tap = _page(viewport, desktop_page, phone_page)
    token, name = make_token("viewer")
    watch = open_map(page, live_server)
    assert page.evaluate("() => document.body.dataset.role") == "anonymous"
    # anonymous: the write buttons are already off, with the reason
    assert page.locator("#ws-file").is_disabled()
    sent: list[dict[str, str]] = []
    page.on("request", lambda r: sent.append({"url": r.url, **r.headers}))

    _sign_in(page, token, tap)
    page.wait_for_function("() => document.body.dataset.role === 'viewer'", timeout=10_000)
    who = page.locator("#auth-who").inner_text()
    assert name in who and "查看" in who  # name and role shown in the header
    assert page.locator("#auth-who").is_visible()
    # the whole top bar fits the viewport (a phone's too), nothing pushed or scrolled off it
    fits = """() => [...document.querySelectorAll('#topbar > *')].every(e => {
        const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; })"""
    assert page.evaluate(fits)
    _open_panel(page, tap)
    for button in ("#ws-file", "#ws-assign", "#live-point", "#live-line", "#live-polygon"):
        assert page.locator(button).is_disabled(), button
    reason = page.locator("#ws-access")
    assert reason.is_visible() and "查看" in reason.inner_text()
    assert "不能修改" in page.locator("#live-access").inner_text()
    assert page.locator("#live-connect").is_enabled()  # a viewer may watch the situation

    # the requests made after signing in carry it (the workspace reloads its incidents)
    def api() -> list[dict[str, str]]:
        return [r for r in sent if r["url"].startswith(f"{live_server}/incidents")]

    for _ in range(50):
        if api():
            break
        page.wait_for_timeout(100)
    api = api()
    assert api and all(r.get("authorization") == f"Bearer {token}" for r in api), api
    assert not any(token in r["url"] for r in sent)  # never in a URL

    # sign out: anonymous again, the tab forgets the token
    if page.locator("#auth-box").is_hidden():
        _press(page, "#auth-toggle", tap)
    _press(page, "#auth-signout", tap)
    page.wait_for_function("() => document.body.dataset.role === 'anonymous'", timeout=5_000)
    assert page.evaluate("() => sessionStorage.getItem('onemap.token')") is None
    assert page.evaluate("() => OneMap.Auth.token()") == ""
    assert "登录" in page.locator("#auth-who").inner_text()
    assert_clean(watch)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_bad_token_is_refused_with_a_clear_message(
    live_server, desktop_page, phone_page, viewport
):
    page, tap = _page(viewport, desktop_page, phone_page)
    open_map(page, live_server)
    _sign_in(page, "om_this_is_not_a_token", tap)
    msg = page.locator("#auth-message")
    page.wait_for_function(
        "() => document.getElementById('auth-message').textContent.includes('令牌无效')",
        timeout=10_000,
    )
    assert msg.is_visible() and "error" in (msg.get_attribute("class") or "")
    assert page.evaluate("() => document.body.dataset.role") == "anonymous"
    assert page.evaluate("() => sessionStorage.getItem('onemap.token')") is None
    _sign_in(page, "", tap)
    assert "请粘贴令牌" in msg.inner_text()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_draws_and_saves_an_annotation_and_the_session_survives_a_reload(
    live_server, desktop_page, phone_page, make_token, viewport
):
    page, tap = _page(viewport, desktop_page, phone_page)
    token, name = make_token("editor")
    h = {"Authorization": f"Bearer {token}"}
    made = httpx.post(f"{live_server}/incidents", headers=h, json={
        "lon": AT[0], "lat": AT[1], "event_category": "accident", "event_type": "fire",
        "severity": "IV"})  # fmt: skip
    assert made.status_code == 201, made.text
    incident = made.json()["id"]
    watch = open_map(page, live_server, f"?incident={incident}")
    _sign_in(page, token, tap)
    page.wait_for_function("() => document.body.dataset.role === 'editor'", timeout=10_000)
    assert "编辑" in page.locator("#auth-who").inner_text()

    # a reload keeps the session (sessionStorage); the page checks the token again
    page.reload()
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
    page.wait_for_function("() => document.body.dataset.role === 'editor'", timeout=10_000)
    assert name in page.locator("#auth-who").inner_text()
    # a new tab does not share it
    other = page.context.new_page()
    open_map(other, live_server)
    other.wait_for_function("() => OneMap.Auth.ready.then(() => true)")
    assert other.evaluate("() => document.body.dataset.role") == "anonymous"
    assert other.evaluate("() => sessionStorage.getItem('onemap.token')") is None
    other.close()

    _open_panel(page, tap)
    assert not page.locator("#ws-access").is_visible()
    assert page.locator("#ws-file").is_enabled()
    _press(page, "#live-connect", tap)
    page.wait_for_function("() => OneMap.Live.state().connected === true", timeout=15_000)
    page.locator("#live-symbol").select_option("command_post")
    page.locator("#live-label").fill("前方指挥部")
    _press(page, "#live-point", tap)
    if tap:
        # the bottom sheet covers the lower map: tap in the visible upper part
        box = page.locator("#map").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + 60)
    else:
        pt = page.evaluate(f"() => OneMap.map.project([{AT[0]}, {AT[1]}])")
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    page.wait_for_function(
        "() => OneMap.Live.features().some(f => f.properties.label === '前方指挥部')",
        timeout=10_000,
    )
    stored = httpx.get(f"{live_server}/collections/situation-{incident}/items", headers=h).json()
    (feature,) = stored["features"]
    assert feature["properties"]["symbol"] == "command_post"
    assert feature["properties"]["author"] == name  # saved under the signed-in name
    assert_clean(watch)


def test_with_anonymous_reads_off_the_page_asks_for_a_sign_in_then_loads_with_it(
    web_database_url, desktop_page, make_token
):
    """``anonymous_read=false``: the page opens, says a sign-in is needed, and once signed in its
    counts, tiles and workspace load with the token."""
    from gis_onemap.settings import Settings
    from tests.live_server import live_server as run_live_server

    page = desktop_page
    token, name = make_token("viewer")
    tiles: list[tuple[int, str | None]] = []

    def on_response(r: Any) -> None:
        if "/tiles/WebMercatorQuad/" in r.url:
            tiles.append((r.status, r.request.headers.get("authorization")))

    page.on("response", on_response)
    with run_live_server(Settings(database_url=web_database_url, anonymous_read=False)) as base:
        page.goto(f"{base}/map")
        page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
        msg = page.locator("#auth-message")
        page.wait_for_function(
            "() => document.getElementById('auth-message').textContent.includes('需要登录')",
            timeout=10_000,
        )
        assert page.locator("#auth-box").is_visible() and msg.is_visible()
        assert tiles and all(status == 401 for status, _ in tiles)  # nothing without a token
        assert page.evaluate("() => OneMap.state.totals.shelters") is None
        _sign_in(page, token, tap=False)
        page.wait_for_function("() => document.body.dataset.role === 'viewer'", timeout=10_000)
        assert name in page.locator("#auth-who").inner_text()
        page.wait_for_function("() => OneMap.state.totals.shelters > 0", timeout=20_000)
        expected = httpx.get(
            f"{base}/collections/shelters", headers={"Authorization": f"Bearer {token}"}
        ).json()["itemCount"]
        assert page.evaluate("() => OneMap.state.totals.shelters") == expected
        page.wait_for_function(
            "() => document.getElementById('ws-incident').options.length > 0", timeout=20_000
        )
        for _ in range(100):  # the tiles are drawn again, with the token
            if any(s == 200 and a == f"Bearer {token}" for s, a in tiles):
                break
            page.wait_for_timeout(100)
        assert any(s == 200 and a == f"Bearer {token}" for s, a in tiles), tiles[-5:]

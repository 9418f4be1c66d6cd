"""Browser-test fixtures: a live uvicorn server on its own demo database, headless Chromium."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import make_url

from gis_onemap.api.app import create_app
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.demo import load_demo_if_empty
from gis_onemap.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def web_database_url(test_database_url: str) -> str:
    """``<test database>_web``: migrated and loaded with the demo city, committed (the live
    server's own connections must see the rows, so the per-test rollback cannot be used)."""
    name = f"{make_url(test_database_url).database}_web"
    return recreate_database(sibling_url(test_database_url, name))


@pytest.fixture(scope="session")
def live_server(web_database_url: str) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: the app served by uvicorn in a thread, demo data loaded."""
    settings = Settings(database_url=web_database_url)
    load_demo_if_empty(settings)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    # a missing browser is a failed set-up, not a reason to skip the tests
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} missing: run scripts/install_system_packages.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def desktop_page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = ctx.new_page()
    yield page
    ctx.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = ctx.new_page()
    yield page
    ctx.close()

"""Browser-test fixtures: a live uvicorn server on its own demo database, pages of the shared
headless Chromium (``browser`` in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gis_onemap.settings import Settings
from tests.live_server import demo_database
from tests.live_server import live_server as run_live_server

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def web_database_url(test_database_url: str) -> str:
    """``<test database>_web``: migrated and loaded with the demo city, committed."""
    return demo_database(test_database_url, "web")


@pytest.fixture(scope="session")
def live_server(web_database_url: str) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: the app served by uvicorn in a thread, demo data loaded."""
    with run_live_server(Settings(database_url=web_database_url)) as url:
        yield url


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

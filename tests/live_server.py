"""A real uvicorn server in a thread, on its own committed demo database (browser, fuzz tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from gis_onemap.api.app import create_app
from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_database(test_database_url: str, suffix: str) -> str:
    """``<test database>_<suffix>``, migrated and loaded with the demo city (committed: the
    server's own connections must see the rows, so the per-test rollback cannot be used); a
    copy of the demo template (``tests/helpers/databases.py``), not a new load."""
    return fresh_database(test_database_url, suffix, demo=True)


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving ``create_app(settings)`` until the block ends."""
    port = free_port()
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

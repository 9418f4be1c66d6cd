"""CORS closed by default; tokens refused (and redacted) in URLs; ``onemap token`` CLI."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

import httpx
import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from gis_onemap.auth.query_tokens import QueryTokenGuard
from gis_onemap.cli.main import app as cli_app
from gis_onemap.db.tables import API_TOKENS
from tests.auth.helpers import bearer, client_for

ORIGIN = "https://command.bureau.example"


def test_cors_closed_by_default(client):
    r = client.get("/collections", headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/collections/shelters/items",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_opened_for_listed_origins_only(settings, db_session):
    s = settings.model_copy(update={"cors_origins": [ORIGIN]})
    with client_for(s, db_session) as c:
        r = c.get("/collections", headers={"Origin": ORIGIN})
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "access-control-allow-credentials" not in r.headers
        pre = c.options(
            "/collections/shelters/items",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in pre.headers["access-control-allow-headers"].lower()
        other = c.get("/collections", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_cors_star_is_refused(settings):
    from gis_onemap.api.app import create_app

    with pytest.raises(ValueError, match=r"\*"):
        create_app(settings.model_copy(update={"cors_origins": ["*"]}))


@pytest.mark.parametrize("param", ["access_token", "token", "api_key", "Access_Token"])
def test_token_in_query_string_is_refused(client, role_tokens, param):
    secret = role_tokens["editor"]
    r = client.get(f"/collections/shelters/items?limit=1&{param}={secret}")
    assert r.status_code == 400
    assert secret not in r.text
    assert "Authorization" in r.json()["description"]
    r = client.post(f"/collections/shelters/items?{param}={secret}", json={})
    assert r.status_code == 400  # not a write, whatever the token's role


def test_the_access_log_never_sees_the_token():
    """uvicorn logs ``scope['query_string']`` of the same dict after the app answered."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/collections",
        "query_string": b"limit=2&access_token=om_SECRET",
        "headers": [],
    }
    sent = []

    async def inner(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the app must not see the request")

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    # in a thread of its own: another test's event loop (Playwright) may be running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, QueryTokenGuard(inner)(scope, receive, send)).result()
    assert sent[0]["status"] == 400
    assert b"om_SECRET" not in scope["query_string"]
    assert scope["query_string"] == b"limit=2&access_token=REDACTED"


def test_uvicorn_access_log_line_is_redacted(settings, role_tokens):
    """End to end: a real uvicorn server's access log line holds no token."""
    import threading
    import time

    import uvicorn

    from gis_onemap.api.app import create_app
    from tests.live_server import free_port

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    secret = role_tokens["viewer"]
    access = logging.getLogger("uvicorn.access")
    handler, old_level = Collect(), access.level
    access.addHandler(handler)  # uvicorn writes access lines only when a handler exists
    access.setLevel(logging.INFO)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        r = httpx.get(f"{base}/collections?limit=2&access_token={secret}", timeout=10)
        ok = httpx.get(f"{base}/collections", headers=bearer(secret), timeout=10)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        access.removeHandler(handler)
        access.setLevel(old_level)
    assert r.status_code == 400 and ok.status_code == 200
    assert any("access_token=REDACTED" in line for line in handler.lines), handler.lines
    assert not any(secret in line for line in handler.lines)


@pytest.fixture
def cli(test_database_url, monkeypatch, engine):
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    from gis_onemap.settings import get_settings

    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(delete(API_TOKENS).where(API_TOKENS.c.name.like("cli-%")))


def test_cli_create_list_revoke(cli, engine, settings, db_session):
    r = cli.invoke(
        cli_app,
        ["token", "create", "--name", "cli-ops", "--role", "editor", "--region-code", "4408"],
    )
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("om_")
    with engine.connect() as conn:
        row = conn.execute(select(API_TOKENS).where(API_TOKENS.c.name == "cli-ops")).one()
    assert (row.role, list(row.region_codes), row.revoked_at) == ("editor", ["4408"], None)
    assert token not in [str(v) for v in row]

    s = settings.model_copy(update={"token_cache_ttl_s": 0})
    with client_for(s, db_session, bearer(token)) as c:
        assert c.get("/collections").status_code == 200
        listed = cli.invoke(cli_app, ["token", "list"])
        assert listed.exit_code == 0
        line = next(x for x in listed.output.splitlines() if x.startswith("cli-ops"))
        assert "editor" in line and "4408" in line and "active" in line
        assert token not in listed.output

        r = cli.invoke(cli_app, ["token", "revoke", "cli-ops"])
        assert r.exit_code == 0, r.output
        assert c.get("/collections").status_code == 401
    listed = cli.invoke(cli_app, ["token", "list"])
    assert "revoked" in next(x for x in listed.output.splitlines() if x.startswith("cli-ops"))
    again = cli.invoke(cli_app, ["token", "revoke", "cli-ops"])
    assert again.exit_code != 0 and "no active token" in again.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "editor", "--region-code", "440899"], "unknown region code(s): 440899"),
        (["--role", "editor", "--region-code", "4409"], "unknown region code(s): 4409"),
        (["--role", "editor", "--region-code", "abc"], "unknown region code(s): abc"),
        (["--role", "root"], "--role must be one of viewer, editor, admin"),
    ],
)
def test_cli_create_refuses_bad_input(cli, engine, args, message):
    r = cli.invoke(cli_app, ["token", "create", "--name", "cli-bad", *args])
    assert r.exit_code != 0
    assert message in r.output
    with engine.connect() as conn:
        assert (
            conn.execute(select(API_TOKENS).where(API_TOKENS.c.name == "cli-bad")).first() is None
        )


def test_cli_known_district_codes_and_duplicate_names(cli):
    r = cli.invoke(
        cli_app,
        ["token", "create", "--name", "cli-d", "--role", "viewer", "--region-code", "440803"],
    )
    assert r.exit_code == 0, r.output
    r = cli.invoke(cli_app, ["token", "create", "--name", "cli-d", "--role", "viewer"])
    assert r.exit_code != 0 and "exists already" in r.output

"""Issue #10 finding 9: malformed cursors, sortby abuse and database errors get their real status.

Database errors are raised by the real PostgreSQL (``RAISE ... USING ERRCODE``, a statement
timeout, a too-wide select list), never mocked: the mapping goes by their SQLSTATE.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from tests.analysis.helpers import add


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_CURSORS = {
    "$t of the wrong type": _cursor('[{"$t":5}]'),
    "a bad date": _cursor('[{"$t":"2024-13-45"}]'),
    "a bad timestamp": _cursor('[{"$t":"2024-01-01Tnoon"}]'),
    "3,000-deep array": _cursor("[" * 3000 + "]" * 3000),
    "an object with other keys": _cursor('[{"$t":"2024-01-01","x":1}]'),
    "a nested list": _cursor("[[1]]"),
    "not base64": "!!!%%%",
    "not JSON": _cursor("[1,"),
    "not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(),
    "an object": _cursor('{"a":1}'),
    "wrong count": _cursor("[1,2,3]"),
    "a string for the integer id": _cursor('["1"]'),
}


@pytest.mark.parametrize("cursor", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_malformed_cursor_is_400(client, cursor):
    r = client.get("/collections/shelters/items", params={"cursor": cursor})
    assert r.status_code == 400, (r.status_code, r.text)
    assert "invalid 'cursor'" in r.json()["description"]


def test_cursor_on_a_date_sort_still_pages(client, db_session):
    ids = [add(db_session, "shelters", 110.36, 21.27, f"s{i}") for i in range(3)]
    r = client.get("/collections/shelters/items", params={"limit": 2, "sortby": "updated_at"})
    assert r.status_code == 200
    nxt = next(link["href"] for link in r.json()["links"] if link["rel"] == "next")
    r2 = client.get(nxt)
    assert r2.status_code == 200, r2.text
    seen = [f["id"] for f in r.json()["features"]] + [f["id"] for f in r2.json()["features"]]
    assert sorted(seen) == sorted(ids)


def test_sortby_with_thousands_of_keys_is_a_clear_400(client):
    """It was a 503 "database is unavailable" (really PostgreSQL's 1,664-column limit)."""
    r = client.get("/collections/shelters/items", params={"sortby": ",".join(["name"] * 2000)})
    assert r.status_code == 400, r.text
    assert r.json()["description"] == "sortby: 2000 properties given; at most 8 allowed"


def test_sortby_repeating_a_property_is_400(client):
    r = client.get("/collections/shelters/items", params={"sortby": "name,-capacity,-name"})
    assert r.status_code == 400
    assert r.json()["description"] == "sortby: 'name' is given more than once"


def test_sortby_limit_is_a_setting(make_client):
    client = make_client(max_sortby_keys=2)
    ok = client.get("/collections/shelters/items", params={"sortby": "name,-capacity"})
    assert ok.status_code == 200, ok.text
    r = client.get("/collections/shelters/items", params={"sortby": "name,-capacity,id"})
    assert r.status_code == 400 and "at most 2 allowed" in r.json()["description"]


def _raise(code: str) -> list[str]:
    return [f"DO $$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '{code}'; END $$"]


#: SQL that makes PostgreSQL fail with a given SQLSTATE, and what the client must get.
DATABASE_ERRORS = {
    "54011 too many columns": (["SELECT " + ",".join(["1"] * 1700)], 400, "TooComplex"),
    "57014 statement timeout": (
        ["SET statement_timeout = 50", "SELECT pg_sleep(2)"],
        503,
        "Timeout",
    ),
    "22012 division by zero": (["SELECT 1 / 0"], 400, "InvalidParameterValue"),
    "40001 serialization": (_raise("40001"), 409, "Conflict"),
    "40P01 deadlock": (_raise("40P01"), 409, "Conflict"),
    "08006 connection failure": (_raise("08006"), 503, "ServiceUnavailable"),
    "57P01 admin shutdown": (_raise("57P01"), 503, "ServiceUnavailable"),
    "42601 other": (_raise("42601"), 500, "ServerError"),
}


@pytest.mark.parametrize("sql,status,code", DATABASE_ERRORS.values(), ids=DATABASE_ERRORS.keys())
def test_database_errors_map_by_sqlstate(app, engine, sql, status, code):
    from fastapi.testclient import TestClient

    @app.get("/_probe")
    def probe() -> None:
        with engine.connect() as conn:
            for statement in sql:
                conn.execute(text(statement))

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/_probe")
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert "probe" not in r.text and "psycopg" not in r.text
    if status in (409, 503):
        assert r.headers["Retry-After"].isdigit()
    if code == "Timeout":
        assert "took too long" in body["description"]

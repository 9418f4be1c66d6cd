"""Writes against a real uvicorn server on a committed database (issue #10 findings 2 and 3):
a 2xx is sent only after the COMMIT, a failed COMMIT is never a 2xx, and concurrent PATCHes
of different fields or ``extra`` keys all survive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database
from tests.live_server import live_server
from tests.samples import sample_feature

MARKER = "FAIL-AT-COMMIT"
#: The editor's Authorization header of this module's server (set by the ``http`` fixture).
AUTH: dict[str, str] = {}


@pytest.fixture(scope="module")
def writes_database_url(test_database_url: str) -> str:
    """``<test database>_writes``: migrated, empty, its own (committed) rows."""
    return fresh_database(test_database_url, "writes")


@pytest.fixture(scope="module")
def editor_token(writes_database_url: str) -> str:
    """An editor's Bearer token in this database (writes need one)."""
    from gis_onemap.auth.principal import Role
    from gis_onemap.auth.tokens import create_token

    eng = create_engine(writes_database_url)
    try:
        with eng.begin() as conn:
            return create_token(conn, "writes-editor", Role.editor)
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def server(writes_database_url: str) -> Iterator[str]:
    settings = Settings(database_url=writes_database_url)
    with live_server(settings) as url:
        yield url


@pytest.fixture(scope="module")
def db(writes_database_url: str) -> Iterator[Engine]:
    eng = create_engine(writes_database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def http(server: str, editor_token: str) -> Iterator[httpx.Client]:
    """A keep-alive client: the next request reuses the connection the write was answered on."""
    auth = {"Authorization": f"Bearer {editor_token}"}
    AUTH.update(auth)  # for the concurrent writers' own clients
    with httpx.Client(base_url=server, headers=auth, timeout=30) as c:
        yield c


def _create(http: httpx.Client, cid: str = "shelters", **props: Any) -> int:
    f = sample_feature(cid)
    f["properties"].update(props)
    r = http.post(f"/collections/{cid}/items", json=f)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# ---- finding 2: answered only once stored ------------------------------------------------------
@pytest.mark.slow
def test_every_read_right_after_a_write_sees_it(http: httpx.Client) -> None:
    stale = []
    for i in range(300):
        fid = _create(http, name=f"轮次{i}")
        url = f"/collections/shelters/items/{fid}"
        r = http.patch(
            url, json={"properties": {"address": f"地址{i}", "effective_area_m2": 2000 + i}}
        )
        assert r.status_code == 200, r.text
        got = http.get(url).json()["properties"]
        if (got["address"], got["capacity"]) != (f"地址{i}", (2000 + i) // 2):
            stale.append((i, "patch", got))
        assert http.delete(url).status_code == 204
        if http.get(url).status_code != 404:
            stale.append((i, "delete", None))
    assert not stale, stale[:5]


@pytest.fixture
def fail_at_commit(db: Engine) -> Iterator[Any]:
    """Install, per table, a DEFERRABLE INITIALLY DEFERRED constraint trigger that raises at
    COMMIT (with a chosen SQLSTATE) for rows whose ``column`` holds the marker; dropped after."""
    installed: list[str] = []

    def install(table: str, column: str, sqlstate: str) -> None:
        with db.begin() as conn:
            conn.execute(
                text(
                    f"""
                    CREATE OR REPLACE FUNCTION onemap_test_fail_at_commit() RETURNS trigger AS $$
                    DECLARE rec jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD)
                                              ELSE to_jsonb(NEW) END;
                    BEGIN
                        IF rec ->> TG_ARGV[0] = '{MARKER}' THEN
                            IF TG_ARGV[1] = 'disconnect' THEN  -- the server goes away
                                PERFORM pg_terminate_backend(pg_backend_pid());
                            END IF;
                            RAISE EXCEPTION 'failing at commit on purpose'
                                USING ERRCODE = TG_ARGV[1];
                        END IF;
                        RETURN NULL;
                    END $$ LANGUAGE plpgsql SECURITY DEFINER"""
                )
            )
            conn.execute(
                text(
                    f"CREATE CONSTRAINT TRIGGER onemap_test_fail_at_commit "
                    f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION onemap_test_fail_at_commit('{column}', '{sqlstate}')"
                )
            )
        installed.append(table)

    yield install
    with db.begin() as conn:
        for table in installed:
            conn.execute(text(f"DROP TRIGGER IF EXISTS onemap_test_fail_at_commit ON {table}"))
        conn.execute(text("DROP FUNCTION IF EXISTS onemap_test_fail_at_commit()"))


@pytest.mark.parametrize(
    ("sqlstate", "status"),
    # serialization failure, check violation, the connection lost during COMMIT, any other
    [("40001", 409), ("23514", 409), ("disconnect", 503), ("P0001", 500)],
)
def test_a_write_failing_at_commit_is_not_answered_2xx_and_stores_nothing(
    server: str,
    http: httpx.Client,
    db: Engine,
    fail_at_commit: Any,
    sqlstate: str,
    status: int,
    editor_token: str,
) -> None:
    def failing(method: str, url: str, **kwargs: Any) -> httpx.Response:
        # its own connection: uvicorn closes the connection after an unexpected error (500)
        headers = {"Authorization": f"Bearer {editor_token}"}
        return httpx.request(method, f"{server}{url}", headers=headers, timeout=30, **kwargs)

    kept = _create(http, name="留存")
    fail_at_commit("shelters", "name", sqlstate)
    url = f"/collections/shelters/items/{kept}"
    before = http.get(url).json()

    def count_marked() -> int:
        with db.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM shelters WHERE name = :m"), {"m": MARKER}
                ).scalar_one()
            )

    marked = count_marked()  # rows an earlier case left behind on purpose
    body = sample_feature("shelters")
    body["properties"]["name"] = MARKER
    r = failing("POST", "/collections/shelters/items", json=body)
    assert r.status_code == status, r.text
    assert "Location" not in r.headers
    if sqlstate == "40001":
        assert r.json()["details"] == {"retry": True} and "again" in r.json()["description"]
    assert count_marked() == marked

    r = failing("PATCH", url, json={"properties": {"name": MARKER}})
    assert r.status_code == status, r.text
    assert http.get(url).json() == before

    # a row that carries the marker already: its DELETE fails at COMMIT and it stays
    with db.begin() as conn:
        conn.execute(text("ALTER TABLE shelters DISABLE TRIGGER onemap_test_fail_at_commit"))
        conn.execute(
            text("UPDATE shelters SET name = :m WHERE id = :id"), {"m": MARKER, "id": kept}
        )
        conn.execute(text("ALTER TABLE shelters ENABLE TRIGGER onemap_test_fail_at_commit"))
    r = failing("DELETE", url)
    assert r.status_code == status, r.text
    assert http.get(url).status_code == 200


def test_an_incident_failing_at_commit_is_not_answered_2xx(
    http: httpx.Client, db: Engine, fail_at_commit: Any
) -> None:
    fail_at_commit("incidents", "description", "40001")
    body = {
        "lon": 110.36,
        "lat": 21.27,
        "event_category": "accident",
        "event_type": "hazardous_chemicals",
        "description": MARKER,
    }
    r = http.post("/incidents", json=body)
    assert r.status_code == 409, r.text
    with db.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM incidents WHERE description = :m"), {"m": MARKER}
        ).scalar_one()
    assert n == 0
    assert http.post("/incidents", json={**body, "description": "正常"}).status_code == 201


# ---- finding 3: no lost updates --------------------------------------------------------------
def _concurrently(server: str, requests: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """Send the requests at once, one thread and connection each; their status codes."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(i: int, method: str, url: str, body: dict[str, Any]) -> None:
        with httpx.Client(base_url=server, timeout=60, headers=dict(AUTH)) as c:
            c.get("/healthz")  # connect first, so that the writes start together
            barrier.wait()
            statuses[i] = c.request(method, url, json=body).status_code

    threads = [threading.Thread(target=send, args=(i, *req)) for i, req in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_patches_of_different_extra_keys_all_survive(
    server: str, http: httpx.Client
) -> None:
    fid = _create(http, extra={"origin": "survey"})
    url = f"/collections/shelters/items/{fid}"
    requests = [("PATCH", url, {"properties": {"extra": {f"k{i}": i}}}) for i in range(20)]
    assert _concurrently(server, requests) == [200] * 20
    extra = http.get(url).json()["properties"]["extra"]
    assert extra == {"origin": "survey", **{f"k{i}": i for i in range(20)}}


def test_concurrent_patches_of_different_fields_all_survive(
    server: str, http: httpx.Client
) -> None:
    fid = _create(http)
    url = f"/collections/shelters/items/{fid}"
    changes = {"address": "新地址", "region_code": "440804", "site_type": "park"}
    for _ in range(3):  # a few rounds: each is a fresh race
        requests = [("PATCH", url, {"properties": {k: v}}) for k, v in changes.items()]
        assert _concurrently(server, requests) == [200] * 3
        props = http.get(url).json()["properties"]
        assert {k: props.get(k) for k in changes} == changes
        http.patch(url, json={"properties": dict.fromkeys(changes)})  # back to none


def test_concurrent_removals_and_additions_of_extra_keys(server: str, http: httpx.Client) -> None:
    fid = _create(http, extra={f"old{i}": i for i in range(5)})
    url = f"/collections/shelters/items/{fid}"
    requests = [("PATCH", url, {"properties": {"extra": {f"old{i}": None}}}) for i in range(5)]
    requests += [("PATCH", url, {"properties": {"extra": {f"new{i}": i}}}) for i in range(5)]
    assert _concurrently(server, requests) == [200] * 10
    assert http.get(url).json()["properties"]["extra"] == {f"new{i}": i for i in range(5)}


def test_stale_if_match_on_the_live_server(http: httpx.Client, db: Engine) -> None:
    fid = _create(http)
    url = f"/collections/shelters/items/{fid}"
    tag = http.get(url).headers["etag"]
    assert (
        http.patch(
            url, json={"properties": {"address": "一"}}, headers={"If-Match": tag}
        ).status_code
        == 200
    )
    r = http.patch(url, json={"properties": {"address": "二"}}, headers={"If-Match": tag})
    assert r.status_code == 412
    with db.connect() as conn:
        stored = conn.execute(text("SELECT address FROM shelters WHERE id = :id"), {"id": fid})
        assert stored.scalar_one() == "一"

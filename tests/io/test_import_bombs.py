"""Decompression bombs and codec bombs are refused fast, with little memory and a 4xx."""

from __future__ import annotations

import os
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import psutil
import pytest
from shapely.geometry import Point

from gis_onemap.errors import ImportTooLarge, InvalidInput
from gis_onemap.io.limits import ImportLimits
from gis_onemap.io.readers import unpack_shapefile_zip
from tests.io.bombs import Member, deflated, write_zip, zeros_member, zlib_bomb
from tests.io.helpers import count, load

MB = 1024**2


def _measure(call: Callable[[], Any]) -> tuple[Any, float, int]:
    """(result, seconds, peak RSS growth in bytes) of ``call``, RSS sampled every 2 ms."""
    proc = psutil.Process(os.getpid())
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    # CPU seconds of this process, reported with a failure; not asserted: a busy machine
    # stretches any clock, and timings live in bench/ (the bounds asserted are memory and 4xx)
    start = time.process_time()
    try:
        result = call()
    finally:
        elapsed = time.process_time() - start
        done.set()
        thread.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return result, elapsed, peak[0] - base


def _shapefile_parts(tmp_path: Path) -> dict[str, bytes]:
    """The parts of a one-point rescue_teams Shapefile."""
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame(
        {"name": ["甲队"], "tier": ["main"], "headcount": [45]},
        geometry=[Point(110.3, 21.2)], crs=4326,
    ).to_file(folder / "teams.shp", encoding="UTF-8")  # fmt: skip
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def gib_of_zeros() -> Member:
    return zeros_member("teams.shp.xml", 1024**3)


def test_zip_bomb_is_refused_fast_over_http(editor_client, db_session, tmp_path, gib_of_zeros):
    """A 1 MB zip with a 1 GiB (unused) sidecar: 413 from the central directory."""
    parts = [deflated(data, name) for name, data in _shapefile_parts(tmp_path).items()]
    bomb = write_zip(tmp_path / "teams.zip", [*parts, gib_of_zeros])
    assert bomb.stat().st_size < 2 * MB
    before = count(db_session, "rescue_teams")
    r, seconds, grown = _measure(
        lambda: editor_client.post(
            "/collections/rescue_teams/import", files={"file": ("teams.zip", bomb.read_bytes())}
        )
    )
    assert r.status_code == 413, r.text
    assert "teams.shp.xml" in r.text and "max_zip_ratio" in r.text
    assert grown < 100 * MB, (seconds, grown / MB)
    assert count(db_session, "rescue_teams") == before


def test_a_big_member_within_the_ratio_is_refused_by_size(db_session, tmp_path):
    """An incompressible member over ``max_unzipped_member_bytes``; the total limit likewise."""
    parts = [deflated(data, name) for name, data in _shapefile_parts(tmp_path).items()]
    noise = deflated(os.urandom(3 * MB), "teams.dbf.bak")
    path = write_zip(tmp_path / "teams.zip", [*parts, noise])
    with pytest.raises(ImportTooLarge, match=r"teams.dbf.bak.*max_unzipped_member_bytes"):
        load(db_session, "rescue_teams", path, limits=ImportLimits(max_unzipped_member_bytes=MB))
    with pytest.raises(ImportTooLarge, match="max_unzipped_bytes"):
        load(db_session, "rescue_teams", path, limits=ImportLimits(max_unzipped_bytes=2 * MB))
    report = load(db_session, "rescue_teams", path, dry_run=True)  # the defaults allow it
    assert report.rows_read == 1


def test_a_lying_declared_size_is_caught_while_extracting(editor_client, db_session, tmp_path):
    """The .dbf declares 100 bytes but inflates to 64 MiB: a 4xx (was a 500), no big file."""
    parts = _shapefile_parts(tmp_path)
    members = [deflated(data, name) for name, data in parts.items() if name != "teams.dbf"]
    liar = zeros_member("teams.dbf", 64 * MB)
    liar.size = 100
    path = write_zip(tmp_path / "teams.zip", [*members, liar])
    with zipfile.ZipFile(path) as zf:  # the central directory believes the lie
        assert zf.getinfo("teams.dbf").file_size == 100
    before = count(db_session, "rescue_teams")
    r, seconds, grown = _measure(
        lambda: editor_client.post(
            "/collections/rescue_teams/import", files={"file": ("teams.zip", path.read_bytes())}
        )
    )
    assert r.status_code in (400, 413, 422), r.text
    assert "teams.dbf" in r.text and "declares" in r.text
    assert grown < 100 * MB, seconds
    assert count(db_session, "rescue_teams") == before


def test_a_lying_size_leaves_no_partial_file(tmp_path):
    """Extraction stops at the declared size (zipfile checks the CRC there): a clear error
    naming the member, and the partly written member is removed."""
    liar = zeros_member("teams.dbf", 16 * MB)
    liar.size = 100
    parts = _shapefile_parts(tmp_path)
    members = [deflated(d, n) for n, d in parts.items() if n != "teams.dbf"]
    path = write_zip(tmp_path / "teams.zip", [*members, liar])
    into = tmp_path / "out"
    into.mkdir()
    with pytest.raises(InvalidInput, match=r"teams\.dbf"):
        unpack_shapefile_zip(path, into, None, ImportLimits(max_unzipped_member_bytes=4 * MB))
    assert not (into / "teams.dbf").exists()


def test_only_the_layer_s_parts_are_extracted(tmp_path):
    parts = _shapefile_parts(tmp_path)
    extra = {"teams.shp.xml": b"<x/>" * 1000, "teams.sbn": b"\0" * 100, "readme.txt": b"hi",
             "other.dbf": b"\0" * 100}  # fmt: skip
    members = [deflated(d, n) for n, d in {**parts, **extra}.items()]
    path = write_zip(tmp_path / "teams.zip", members)
    into = tmp_path / "out"
    into.mkdir()
    shp = unpack_shapefile_zip(path, into, None)
    assert shp == into / "teams.shp"
    wanted = {n for n in parts if Path(n).suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
    assert {p.name for p in into.iterdir()} == wanted


@pytest.mark.parametrize("codec", ["zlib", "bz2", "base64", "hex", "rot13", "zip", "uu"])
def test_non_text_codecs_are_refused(db_session, tmp_path, codec):
    path = tmp_path / "teams.csv"
    path.write_text("name,tier,headcount,lon,lat\n甲队,main,45,110.3,21.2\n")
    with pytest.raises(InvalidInput, match=r"not a text encoding|unknown encoding"):
        load(db_session, "rescue_teams", path, encoding=codec)


def test_codec_bomb_is_refused_fast_over_http(editor_client, db_session):
    """256 KB that encoding=zlib would inflate to 256 MiB: 400, fast, flat memory."""
    bomb = zlib_bomb(256 * MB)
    assert len(bomb) < 300 * 1024
    r, seconds, grown = _measure(
        lambda: editor_client.post(
            "/collections/rescue_teams/import",
            files={"file": ("teams.csv", bomb)},
            data={"encoding": "zlib"},
        )
    )
    assert r.status_code == 400, r.text
    assert "not a text encoding" in r.text
    assert grown < 100 * MB, (seconds, grown / MB)


def test_text_encodings_outside_the_allow_list_are_refused_and_configurable(db_session, tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text("name,tier,headcount,lon,lat\n甲队,main,45,110.3,21.2\n")
    with pytest.raises(InvalidInput, match="not accepted"):
        load(db_session, "rescue_teams", path, encoding="utf-32", dry_run=True)
    limits = ImportLimits(import_encodings=("utf-8", "utf-32"))
    with pytest.raises(InvalidInput, match="not valid utf-32"):  # allowed now, but wrong
        load(db_session, "rescue_teams", path, encoding="utf-32", dry_run=True, limits=limits)
    for name in ("GBK", "cp936", "utf-8", "UTF8", "gb18030", "latin-1"):
        assert ImportLimits().check_encoding(name)


def test_an_xlsx_bomb_is_refused_before_it_is_opened(db_session, tmp_path, gib_of_zeros):
    """An XLSX is a zip too: its members are checked before openpyxl inflates them."""
    sheet = Member("xl/worksheets/sheet1.xml", gib_of_zeros.data, gib_of_zeros.crc,
                   gib_of_zeros.size)  # fmt: skip
    path = write_zip(tmp_path / "teams.xlsx", [deflated(b"<Types/>", "[Content_Types].xml"), sheet])

    def run() -> None:
        with pytest.raises(ImportTooLarge):
            load(db_session, "rescue_teams", path)

    _, seconds, grown = _measure(run)
    assert grown < 100 * MB, seconds

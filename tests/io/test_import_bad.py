"""Bad inputs: a clear per-row or per-file report, and nothing written."""

from __future__ import annotations

import zipfile

import pytest

from gis_onemap.errors import Conflict, InvalidInput, ValidationFailed
from tests.io.helpers import count, load, write_csv
from tests.samples import sample_feature

HEADER = ["name", "tier", "headcount", "lon", "lat"]
GOOD = ["甲队", "main", "45", "110.30", "21.20"]


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (["乙队", "main", "45", "abc", "21.2"], "'lon' is not a number: 'abc'"),
        (["乙队", "main", "45", "250", "21.2"], "longitude must be within [-180, 180]"),
        (["乙队", "main", "45", "110.3", ""], "only one of the two coordinates"),
        (["乙队", "main", "45", "", ""], "missing coordinates"),
        (["", "main", "45", "110.3", "21.2"], "'name' is required"),
        (["乙队", "main", "四十五", "110.3", "21.2"], "'headcount' must be an integer"),
        (["乙队", "spaceship", "45", "110.3", "21.2"], "'tier' 'spaceship' is not one of"),
        (["乙队", "main", "-3", "110.3", "21.2"], "'headcount' must be ≥ 0"),
    ],
)
def test_one_bad_row_is_named_and_nothing_is_written(db_session, tmp_path, bad_row, reason):
    path = write_csv(tmp_path / "teams.csv", HEADER, [GOOD, GOOD[:1] + GOOD[1:], bad_row])
    before = count(db_session, "rescue_teams")
    with pytest.raises(ValidationFailed) as err:
        load(db_session, "rescue_teams", path)
    report = err.value.details
    assert report["rejected_count"] == 1 and report["written"] is False
    assert report["rejected"][0]["row"] == 3
    assert any(reason in r for r in report["rejected"][0]["reasons"]), report["rejected"]
    assert count(db_session, "rescue_teams") == before


def test_skip_invalid_writes_the_good_rows(db_session, tmp_path):
    bad = ["乙队", "main", "很多", "110.31", "21.21"]
    path = write_csv(tmp_path / "teams.csv", HEADER, [GOOD, bad])
    before = count(db_session, "rescue_teams")
    report = load(db_session, "rescue_teams", path, skip_invalid=True)
    assert (report.imported, report.rejected_count) == (1, 1)
    assert report.rejected[0]["row"] == 2
    assert count(db_session, "rescue_teams") == before + 1


def test_dry_run_writes_nothing(db_session, tmp_path):
    path = write_csv(tmp_path / "teams.csv", HEADER, [GOOD])
    before = count(db_session, "rescue_teams")
    report = load(db_session, "rescue_teams", path, dry_run=True)
    assert report.imported == 1 and not report.written
    assert count(db_session, "rescue_teams") == before


def _zip_without_shp(tmp_path):
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.dbf", b"x")
        zf.writestr("readme.txt", "no shapefile here")
    return path


@pytest.mark.parametrize(
    ("make", "options", "message"),
    [
        (lambda p: write_csv(p / "t.csv", HEADER, [GOOD]), {"crs": "EPSG:999999"},
         "unknown coordinate reference system"),
        (lambda p: write_csv(p / "t.csv", HEADER, [GOOD]), {"crs": "mars2000"},
         "not on the Earth"),
        (lambda p: (p / "t.pdf").write_bytes(b"%PDF-1.4") and p / "t.pdf", {}, "unknown format"),
        (lambda p: (p / "t.csv").write_bytes(b"") or p / "t.csv", {}, "the file is empty"),
        (lambda p: (p / "t.csv").write_text("name,lon,lat\n") and p / "t.csv", {}, "no data rows"),
        (lambda p: (p / "t.geojson").write_text("") or p / "t.geojson", {}, "the file is empty"),
        (lambda p: (p / "t.gpkg").write_bytes(b"") or p / "t.gpkg", {}, "the file is empty"),
        (_zip_without_shp, {}, "contains no .shp"),
        (lambda p: (p / "t.zip").write_bytes(b"not a zip") and p / "t.zip", {}, "not a valid zip"),
        (lambda p: write_csv(p / "t.csv", HEADER, [["霞山队", *GOOD[1:]]], "gbk"),
         {"encoding": "utf-8"}, "not valid utf-8"),
        (lambda p: write_csv(p / "t.csv", HEADER, [GOOD]), {"encoding": "klingon"},
         "unknown encoding"),
        (lambda p: write_csv(p / "t.csv", ["name", "tier", "x"], [["a", "professional", "1"]]), {},
         "only one coordinate column"),
        (lambda p: write_csv(p / "t.csv", ["name", "tier"], [["a", "professional"]]), {},
         "no coordinate columns"),
        (lambda p: write_csv(p / "t.csv", ["tier", "lon", "lat"], [["professional", 1, 2]]), {},
         "no column for the required properties 'name'"),
        (lambda p: (p / "t.geojson").write_text("{not json") and p / "t.geojson", {},
         "not valid JSON"),
        (lambda p: (p / "t.gpkg").write_bytes(b"garbage" * 100) and p / "t.gpkg", {},
         "could not open"),
        (lambda p: (p / "t.xlsx").write_bytes(b"garbage") and p / "t.xlsx", {},
         "could not read the Excel file"),
        (lambda p: write_csv(p / "t.csv", HEADER, [GOOD]), {"on_duplicate": "merge"},
         "on_duplicate must be one of"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_whole(db_session, tmp_path, make, options, message):
    path = make(tmp_path)
    before = count(db_session, "rescue_teams")
    with pytest.raises(InvalidInput) as err:
        load(db_session, "rescue_teams", path, **options)
    assert message in err.value.message
    assert "/tmp" not in err.value.message
    assert count(db_session, "rescue_teams") == before


def test_duplicates_skip_update_error(db_session, tmp_path):
    from gis_onemap.categories import get_category
    from gis_onemap.db.repository import FeatureRepository

    repo = FeatureRepository(db_session, get_category("rescue_teams"))
    existing = sample_feature("rescue_teams")  # 霞山消防救援站 at ZHANJIANG
    lon, lat = existing["geometry"]["coordinates"]
    [fid] = repo.insert_many([existing])
    rows = [
        ["霞山消防救援站 ", "main", "60", lon + 0.00005, lat],  # ≈ 5 m away, same name
        ["霞山消防救援站", "main", "60", lon + 0.001, lat],  # ≈ 100 m away: not a duplicate
        ["赤坎医院", "professional", "10", lon, lat + 0.00003],  # 3 m away, another name
    ]
    path = write_csv(tmp_path / "t.csv", HEADER, rows)
    before = count(db_session, "rescue_teams")

    with pytest.raises(Conflict) as err:
        load(db_session, "rescue_teams", path, on_duplicate="error")
    assert err.value.details["duplicates"][0]["row"] == 1
    assert err.value.details["duplicates"][0]["existing_id"] == fid
    assert count(db_session, "rescue_teams") == before

    report = load(db_session, "rescue_teams", path, dry_run=True)
    assert report.duplicate_count == 1 and report.imported == 2
    assert 4 < report.duplicates[0]["distance_m"] < 6

    report = load(db_session, "rescue_teams", path, on_duplicate="update")
    assert (report.imported, report.updated) == (2, 1)
    assert repo.get(fid, include_personal=True)["properties"]["headcount"] == 60
    assert count(db_session, "rescue_teams") == before + 2


def test_an_import_cannot_type_in_a_derived_value(editor_client, db_session):
    """Issue #10 finding 10 on the import path: capacity 999999 on 1,000 m² is refused (an
    emergency shelter holds at most 1,000 ÷ 1 m²/person = 1,000 people), nothing written."""
    from sqlalchemy import text

    before = db_session.execute(text("SELECT count(*) FROM shelters")).scalar_one()
    csv = "name,shelter_type,effective_area_m2,capacity,lon,lat\n" + (
        "广场A,emergency,1000,999999,110.36,21.27\n广场B,emergency,1000,800,110.37,21.27\n"
    )
    r = editor_client.post(
        "/collections/shelters/import", files={"file": ("s.csv", csv.encode("utf-8"))}
    )
    assert r.status_code == 422, r.text
    assert "capacity" in r.text and "1000" in r.text
    assert db_session.execute(text("SELECT count(*) FROM shelters")).scalar_one() == before

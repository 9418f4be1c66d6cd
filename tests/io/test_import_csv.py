"""CSV import: Chinese headers, list cells, GBK, validation-first all-or-nothing, duplicates."""

from __future__ import annotations

import pytest

from gis_onemap.errors import ValidationFailed
from tests.io.helpers import count, load, write_csv

TEAM_HEADER = ["名称", "力量类别", "人数", "经度", "纬度", "备注"]


def test_chinese_headers_and_extra_columns(db_session, tmp_path):
    path = write_csv(
        tmp_path / "teams.csv",
        TEAM_HEADER,
        [["霞山消防救援站", "main", "45", "110.3594", "21.2707", "24小时值守"],
         ["赤坎医疗队", "professional", "", "110.36", "21.27", ""]],
    )  # fmt: skip
    before = count(db_session, "rescue_teams")
    report = load(db_session, "rescue_teams", path)
    assert (report.rows_read, report.imported, report.rejected_count) == (2, 2, 0)
    assert report.written
    assert count(db_session, "rescue_teams") == before + 2


def test_one_bad_row_writes_nothing_and_names_the_row(db_session, tmp_path):
    path = write_csv(
        tmp_path / "teams.csv",
        TEAM_HEADER,
        [["甲队", "main", "45", "110.30", "21.20", ""],
         ["乙队", "main", "很多", "110.31", "21.21", ""],
         ["丙队", "main", "12", "110.32", "21.22", ""]],
    )  # fmt: skip
    before = count(db_session, "rescue_teams")
    with pytest.raises(ValidationFailed) as err:
        load(db_session, "rescue_teams", path)
    report = err.value.details
    assert report["rejected_count"] == 1
    assert report["rejected"][0]["row"] == 2 and report["rejected"][0]["line"] == 3
    assert "人数" in report["rejected"][0]["reasons"][0]
    assert "integer" in report["rejected"][0]["reasons"][0]
    assert count(db_session, "rescue_teams") == before


def test_awkward_text_survives_the_copy_writer(db_session, tmp_path):
    """Backslashes, tabs, newlines, quotes and \\N in cells and list items reach the table."""
    from gis_onemap.categories import get_category
    from gis_onemap.db.repository import FeatureRepository, ItemQuery

    name = 'A\\B\t"C"\nD \\N'
    path = write_csv(
        tmp_path / "experts.csv",
        ["name", "specialties", "title", "lon", "lat"],
        [[name, '["fire", "geology"]', "\\N", "110.3", "21.2"]],
    )
    load(db_session, "experts", path)
    page = FeatureRepository(db_session, get_category("experts")).query(ItemQuery())
    props = [f["properties"] for f in page.features if f["properties"]["name"] == name]
    assert props and props[0]["specialties"] == ["fire", "geology"]
    assert props[0]["title"] == "\\N"

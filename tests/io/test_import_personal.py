"""Personal data in import columns never lands in the public ``extra`` (issue #10, finding 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gis_onemap.db.tables import table_for
from gis_onemap.errors import ValidationFailed
from tests.io.helpers import load, write_csv


def _features(session, collection: str, name: str) -> list[dict]:
    t = table_for(collection)
    rows = session.execute(select(t).where(t.c.name == name)).mappings().all()
    return [dict(r) for r in rows]


def _upload(client, cid, header, row):
    text = ",".join(header) + "\n" + ",".join(row) + "\n"
    files = {"file": ("f.csv", text.encode())}
    return client.post(f"/collections/{cid}/import", files=files)


def test_personal_columns_go_to_the_personal_fields(client, trusted_client, db_session):
    header = ["名称", "专业领域", "手机号码", "邮箱", "经度", "纬度"]
    row = ["钱七", "fire", "13912345678", "qian@example.com", "110.31", "21.21"]
    r = _upload(trusted_client, "experts", header, row)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1
    [feature] = _features(db_session, "experts", "钱七")
    assert (feature["phone"], feature["email"], feature["extra"]) == (
        "13912345678", "qian@example.com", {},
    )  # fmt: skip
    public = client.get("/collections/experts/items?name=钱七").text
    assert "13912345678" not in public and "qian@example.com" not in public
    trusted = trusted_client.get("/collections/experts/items?name=钱七").json()
    assert trusted["features"][0]["properties"]["phone"] == "13912345678"


def test_team_leader_phone_goes_to_the_team_phone(db_session, tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        ["name", "tier", "负责人", "负责人电话", "lon", "lat"],
        [["孙队", "main", "孙八", "13712345678", "110.3", "21.2"]],
    )
    load(db_session, "rescue_teams", path)
    [feature] = _features(db_session, "rescue_teams", "孙队")
    assert (feature["leader"], feature["phone"], feature["extra"]) == ("孙八", "13712345678", {})


def test_personal_columns_without_a_field_are_dropped_and_reported(trusted_client, db_session):
    header = ["名称", "避难场所类型", "电话", "身份证号", "备注", "经度", "纬度"]
    row = ["周场所", "fixed", "0759-1234567", "440802199001011234", "有水有电", "110.3", "21.2"]
    r = _upload(trusted_client, "shelters", header, row)
    assert r.status_code == 200, r.text
    warnings = " ".join(r.json()["warnings"])
    assert "'电话'" in warnings and "'身份证号'" in warnings and "not imported" in warnings
    [feature] = _features(db_session, "shelters", "周场所")
    assert feature["extra"] == {"备注": "有水有电"}  # ordinary unknown columns still kept


def test_a_second_phone_column_does_not_overflow_into_extra(db_session, tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        ["name", "specialties", "联系电话", "手机", "lon", "lat"],
        [["吴专家", "fire", "0759-7654321", "13612345678", "110.3", "21.2"]],
    )
    report = load(db_session, "experts", path)
    assert any("'手机'" in w for w in report.warnings)
    [feature] = _features(db_session, "experts", "吴专家")
    assert (feature["phone"], feature["extra"]) == ("0759-7654321", {})


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("值班请联系13812345678", "mobile number"),
        ("zhang@example.com", "e-mail"),
        ("44080219900101123X", "ID-card number"),
    ],
)
def test_personal_values_in_unknown_columns_are_refused(db_session, tmp_path, value, kind):
    path = write_csv(
        tmp_path / "t.csv",
        ["name", "shelter_type", "备注", "lon", "lat"],
        [["甲", "fixed", "正常备注", "110.3", "21.2"], ["乙", "fixed", value, "110.4", "21.3"]],
    )
    with pytest.raises(ValidationFailed) as err:
        load(db_session, "shelters", path)
    [rejected] = err.value.details["rejected"]
    assert rejected["row"] == 2
    assert f"'备注' holds what looks like a {kind}" in rejected["reasons"][0]
    assert not _features(db_session, "shelters", "甲")
    report = load(db_session, "shelters", path, skip_invalid=True)
    assert report.imported == 1
    assert _features(db_session, "shelters", "甲")[0]["extra"] == {"备注": "正常备注"}


def test_personal_values_in_an_extra_column_are_refused(db_session, tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        ["name", "shelter_type", "extra", "lon", "lat"],
        [["丙", "fixed", '{"管理员": {"手机": "13512345678"}}', "110.3", "21.2"]],
    )
    with pytest.raises(ValidationFailed, match="'extra' holds what looks like a mobile number"):
        load(db_session, "shelters", path)

"""The HTTP side: POST /collections/{id}/import, /items?f=... downloads, crs and bbox-crs."""

from __future__ import annotations

import io
import zipfile

import pyogrio
import pytest
from pyproj import Transformer

from tests.io.helpers import count
from tests.samples import sample_feature

CSV_OK = "名称,力量类别,人数,联系电话,经度,纬度\n甲队,main,45,13800000000,110.30,21.20\n"
CSV_BAD = CSV_OK + "乙队,main,很多,13800000001,110.31,21.21\n"


def _upload(client, cid, name, data, **form):
    return client.post(f"/collections/{cid}/import", files={"file": (name, data)}, data=form)


def test_import_csv_upload(editor_client, db_session):
    before = count(db_session, "rescue_teams")
    r = _upload(editor_client, "rescue_teams", "teams.csv", CSV_OK.encode("gbk"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows_read"], body["imported"], body["encoding"]) == (1, 1, "gb18030")
    assert count(db_session, "rescue_teams") == before + 1


def test_bad_row_is_422_with_the_report_and_nothing_written(editor_client, db_session):
    before = count(db_session, "rescue_teams")
    r = _upload(editor_client, "rescue_teams", "teams.csv", CSV_BAD.encode())
    assert r.status_code == 422
    details = r.json()["details"]
    assert details["rejected"] == [
        {"row": 2, "line": 3, "reasons": ["'人数' (headcount) must be an integer, got '很多'"]}
    ]
    assert count(db_session, "rescue_teams") == before
    r = _upload(editor_client, "rescue_teams", "teams.csv", CSV_BAD.encode(), skip_invalid="true")
    assert r.status_code == 200 and r.json()["imported"] == 1
    assert count(db_session, "rescue_teams") == before + 1


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "form", "status", "message"),
    [
        ("t.pdf", b"%PDF", {}, 400, "unknown format"),
        ("t.csv", b"", {}, 400, "the file is empty"),
        ("t.zip", _zip({"a.txt": b"x"}), {}, 400, "contains no .shp"),
        ("t.csv", CSV_OK.encode(), {"crs": "EPSG:0"}, 400, "unknown coordinate reference system"),
        ("t.csv", CSV_OK.encode("gbk"), {"encoding": "utf-8"}, 400, "not valid utf-8"),
        ("t.csv", CSV_OK.encode(), {"on_duplicate": "merge"}, 400, "on_duplicate"),
        ("t.csv", CSV_OK.encode(), {"distance_m": "-5"}, 400, "distance_m"),
        ("t.geojson", b'{"type": "Feature"', {}, 400, "not valid JSON"),
        ("t.csv", "名称,经度,纬度\n甲,110,21\n".encode(), {}, 400, "'tier'"),
    ],
)
def test_bad_uploads_are_4xx_and_write_nothing(
    editor_client, db_session, name, data, form, status, message
):
    before = count(db_session, "rescue_teams")
    r = _upload(editor_client, "rescue_teams", name, data, **form)
    assert r.status_code == status, r.text
    assert message in r.json()["description"] + str(r.json().get("details"))
    assert "Traceback" not in r.text and "psycopg" not in r.text
    assert count(db_session, "rescue_teams") == before


def test_import_needs_a_file(editor_client):
    # multipart (the only type an import takes: gis_onemap.api.security) without a file part
    r = editor_client.post("/collections/rescue_teams/import", files={"crs": (None, "gcj02")})
    assert r.status_code == 400


def test_duplicate_upload_with_error_is_409(editor_client, db_session):
    assert _upload(editor_client, "rescue_teams", "t.csv", CSV_OK.encode()).status_code == 200
    before = count(db_session, "rescue_teams")
    r = _upload(editor_client, "rescue_teams", "t.csv", CSV_OK.encode(), on_duplicate="error")
    assert r.status_code == 409
    assert r.json()["details"]["duplicates"][0]["row"] == 1
    assert count(db_session, "rescue_teams") == before


@pytest.fixture
def two_teams(trusted_client):
    ids = []
    for lon, lat in ((110.30, 21.20), (110.50, 21.40)):
        feature = sample_feature("rescue_teams", {"type": "Point", "coordinates": [lon, lat]})
        feature["properties"]["name"] = f"队{lon}"
        r = trusted_client.post("/collections/rescue_teams/items", json=feature)
        assert r.status_code == 201
        ids.append(r.json()["id"])
    return ids


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "csv", "kml", "fgb"])
def test_downloads(client, two_teams, tmp_path, fmt):
    r = client.get(f"/collections/rescue_teams/items?f={fmt}&bbox=110.2,21.1,110.4,21.3")
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    path = tmp_path / ("x.zip" if fmt == "shp" else f"x.{fmt}")
    path.write_bytes(r.content)
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            assert {n.rsplit(".", 1)[1] for n in zf.namelist()} >= {"shp", "dbf", "prj", "cpg"}
        frame = pyogrio.read_dataframe(f"/vsizip/{path}")
    elif fmt == "csv":
        text = r.content.decode("utf-8-sig")
        assert "队110.3" in text and "队110.5" not in text
        assert "leader" not in text.splitlines()[0]  # personal data stays on the server
        return
    else:
        frame = pyogrio.read_dataframe(path)
    names = set(frame["Name" if fmt == "kml" else "name"])
    assert names == {"队110.3"}
    assert "phone" not in frame.columns and "leader" not in frame.columns


def test_unknown_download_format_is_400(client):
    r = client.get("/collections/rescue_teams/items?f=dwg")
    assert r.status_code == 400 and "unknown" in r.json()["description"]


def test_output_crs_uses_the_crs_axis_order(client, two_teams):
    r = client.get(f"/collections/rescue_teams/items/{two_teams[0]}?crs=EPSG:4549")
    assert r.status_code == 200
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4549>"
    northing, easting = r.json()["geometry"]["coordinates"]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True).transform(110.30, 21.20)
    assert abs(easting - x) < 0.001 and abs(northing - y) < 0.001
    items = client.get(
        "/collections/rescue_teams/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326"
    )
    lat, lon = items.json()["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) in ((110.30, 21.20), (110.50, 21.40))
    gcj = client.get(f"/collections/rescue_teams/items/{two_teams[0]}?crs=gcj02").json()
    assert 0.003 < abs(gcj["geometry"]["coordinates"][0] - 110.30) < 0.01  # a real offset


def test_bbox_crs(client, two_teams):
    # EPSG:4326 is latitude first
    r = client.get("/collections/rescue_teams/items?bbox=21.1,110.2,21.3,110.4&bbox-crs=EPSG:4326")
    assert [f["id"] for f in r.json()["features"]] == [two_teams[0]]
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4546", always_xy=True)
    (x0, y0), (x1, y1) = to_gk.transform(110.45, 21.35), to_gk.transform(110.55, 21.45)
    box = f"{y0},{x0},{y1},{x1}"  # EPSG:4546 (CGCS2000 GK CM 111°E) is northing first
    r = client.get(f"/collections/rescue_teams/items?bbox={box}&bbox-crs=EPSG:4546")
    assert [f["id"] for f in r.json()["features"]] == [two_teams[1]]


@pytest.mark.parametrize(
    "query", ["crs=EPSG:99999", "bbox-crs=nowhere&bbox=1,2,3,4", "crs=mars2000"]
)
def test_bad_crs_is_400(client, query):
    r = client.get(f"/collections/rescue_teams/items?{query}")
    assert r.status_code == 400, r.text


def test_conformance_declares_crs(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_zipped_gbk_shapefile_upload(editor_client, db_session, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"名称": ["霞山区应急物资储备库"], "储备库级别": ["县级"]},
        geometry=[Point(110.4, 21.2)],
        crs="EPSG:4326",
    )
    frame.to_file(tmp_path / "depots.shp", encoding="GBK")
    data = _zip({p.name: p.read_bytes() for p in tmp_path.glob("depots.*")})
    before = count(db_session, "depots")
    r = _upload(editor_client, "depots", "仓库.zip", data)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 1 and r.json()["format"] == "shp"
    items = editor_client.get("/collections/depots/items?depot_level=county").json()["features"]
    assert "霞山区应急物资储备库" in [f["properties"]["name"] for f in items]
    assert count(db_session, "depots") == before + 1


def test_supplies_placed_at_their_depot(editor_client, trusted_client, db_session):
    depot = sample_feature("depots", {"type": "Point", "coordinates": [110.41, 21.19]})
    depot_id = trusted_client.post("/collections/depots/items", json=depot).json()["id"]
    csv = (
        "物资名称,名称,数量,计量单位,所在储备库\n"
        f"帐篷,帐篷储备,500,顶,{depot_id}\n水,水,9,箱,999999\n"
    )
    r = _upload(editor_client, "supplies", "s.csv", csv.encode())
    assert r.status_code == 422
    assert r.json()["details"]["rejected"][0]["reasons"] == ["'depot_id' 999999: no such depot"]
    good = "\n".join(csv.splitlines()[:2]) + "\n"
    r = _upload(editor_client, "supplies", "s.csv", good.encode())
    assert r.status_code == 200, r.text
    items = editor_client.get("/collections/supplies/items").json()["features"]
    placed = [f for f in items if f["properties"].get("depot_id") == depot_id]
    assert placed and placed[0]["geometry"]["coordinates"] == [110.41, 21.19]

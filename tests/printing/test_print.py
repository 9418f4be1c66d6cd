"""Printed maps: Chinese text in the PDF's text layer, a PNG that is not blank, every label
covered by the font, the scale and area checks, bad input → 4xx."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image
from sqlalchemy import text
from typer.testing import CliRunner

from gis_onemap.categories import REGISTRY
from gis_onemap.printing.fonts import find_cjk_font
from gis_onemap.printing.render import render_map
from gis_onemap.printing.service import PrintRequest, prepare

XIASHAN = "440803"
#: central Zhanjiang (赤坎/霞山), where the demo city has many resources
CENTRE_BBOX = "110.33,21.2,110.42,21.3"


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "map.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=60)  # fmt: skip
    return out.stdout.decode("utf-8")


def count_in_region(session, table: str, code: str, where: str = "true") -> int:
    """Features of ``table`` meeting the region's boundary, counted by PostGIS directly."""
    sql = (
        f"SELECT count(*) FROM {table} t JOIN regions r ON r.code = :code "
        f"WHERE ST_Intersects(t.geom, r.geom) AND {where}"
    )
    return int(session.execute(text(sql), {"code": code}).scalar_one())


def count_in_bbox(session, table: str, bbox: str) -> int:
    box = [float(v) for v in bbox.split(",")]
    sql = (
        f"SELECT count(*) FROM {table} WHERE ST_Intersects(geom, ST_MakeEnvelope(:a,:b,:c,:d,4326))"
    )
    return int(session.execute(text(sql), dict(zip("abcd", box, strict=True))).scalar_one())


def test_pdf_text_layer_has_the_chinese_title_and_legend(print_client, print_session, tmp_path):
    title = "霞山区应急避难场所与重大危险源分布图"
    r = print_client.get(
        "/print",
        params={"region_code": XIASHAN, "layers": "shelters,hazard_sources", "title": title},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    body = pdf_text(r.content, tmp_path)
    flat = re.sub(r"\s+", "", body)
    assert title in flat
    assert "图例" in flat
    shelters = count_in_region(print_session, "shelters", XIASHAN)
    hazards = count_in_region(print_session, "hazard_sources", XIASHAN)
    assert shelters > 0 and hazards > 0
    assert f"{REGISTRY['shelters'].zh}（{shelters}）" in flat
    assert f"{REGISTRY['hazard_sources'].zh}（{hazards}）" in flat
    assert "霞山区边界" in flat  # the region's outline is a legend entry
    assert "比例尺1:" in flat and "北" in flat
    assert "CGCS2000" in flat and f"制图日期：{date.today().isoformat()}" in flat
    assert "数据来源" in flat


def test_the_pdf_embeds_the_truetype_cjk_font(print_client, tmp_path):
    r = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": "shelters"})
    assert r.status_code == 200, r.text
    path = tmp_path / "map.pdf"
    path.write_bytes(r.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, timeout=60)
    # the reduced WenQuanYi font of fonts.core_font (the page's texts are all in GB 2312)
    rows = [line for line in fonts.stdout.decode().splitlines() if "OneMapPrintCJK" in line]
    assert rows, fonts.stdout.decode()
    # embedded (emb = yes) CID TrueType with a ToUnicode map (uni = yes): searchable Chinese
    assert all("CID TrueType" in row and row.split()[-5:-2] == ["yes", "yes", "yes"]
               for row in rows)  # fmt: skip


def test_filter_selects_the_features_the_legend_counts(print_client, print_session, tmp_path):
    r = print_client.get(
        "/print",
        params={"region_code": "440800", "layers": "hazard_sources", "filter":
                "hazard_sources:level = 1", "paper": "A3", "orientation": "landscape"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    n = count_in_region(print_session, "hazard_sources", "440800", "t.level = 1")
    total = count_in_region(print_session, "hazard_sources", "440800")
    assert 0 < n < total
    assert f"{REGISTRY['hazard_sources'].zh}（{n}）" in re.sub(
        r"\s", "", pdf_text(r.content, tmp_path)
    )


def test_png_is_a_page_with_the_layers_drawn(print_client, print_session):
    r = print_client.get(
        "/print", params={"bbox": CENTRE_BBOX, "layers": "shelters", "format": "png"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    img = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB")).astype(int)
    # A4 portrait at the default 200 dpi
    assert abs(img.shape[1] - 210 / 25.4 * 200) <= 2 and abs(img.shape[0] - 297 / 25.4 * 200) <= 2
    assert img.std() > 10  # not blank
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50
    # the shelters' colour is on the page (their markers), within anti-aliasing
    colour = np.array([int(REGISTRY["shelters"].color[i : i + 2], 16) for i in (1, 3, 5)])
    close = (np.abs(img - colour).sum(axis=2) <= 6).sum()
    assert close > 20 * count_in_bbox(print_session, "shelters", CENTRE_BBOX) > 0


def _font_cmap(path: Path) -> set[int]:
    """The font's cmap read by fontTools here, not through the module under test."""
    if path.suffix == ".ttc":
        return set(TTCollection(str(path), lazy=True).fonts[0].getBestCmap())
    return set(TTFont(str(path), lazy=True).getBestCmap())


@pytest.mark.parametrize(
    "req",
    [
        PrintRequest(region_code="440800", paper="A3", orientation="landscape", grid=True),
        PrintRequest(bbox=CENTRE_BBOX, layers=["shelters", "plans"], crs=4326, grid=True),
        # 喆 and 堃 are not in GB 2312: the full font must be used for this page
        PrintRequest(bbox=CENTRE_BBOX, layers=["shelters"], title="喆堃社区应急资源图"),
    ],
)
def test_every_label_is_covered_by_the_font(print_session, print_settings, req):
    """No tofu: each character of each text on the page has a glyph in the embedded font."""
    prepared = prepare(print_session, print_settings, req)
    rendered = render_map(prepared.spec, "png", dpi=50)
    labels = rendered.labels
    cmap = _font_cmap(rendered.font_file)
    chinese = [t for t in labels if re.search(r"[\u4e00-\u9fff]", t)]
    assert len(chinese) >= 5  # title, legend, footer, district names: the check is not vacuous
    missing = {ch for t in labels for ch in t if not ch.isspace() and ord(ch) not in cmap}
    assert missing == set()
    if req.grid:
        assert any("°" in t for t in labels)  # grid labels are checked too
    if req.title and "喆" in req.title:
        assert req.title in labels and rendered.font_file == find_cjk_font()


def test_a_title_outside_gb2312_is_printed_searchable(print_client, tmp_path):
    title = "喆堃社区应急资源图"
    r = print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": "shelters",
                                           "title": title})  # fmt: skip
    assert r.status_code == 200, r.text
    assert title in re.sub(r"\s", "", pdf_text(r.content, tmp_path))


def test_incident_print_draws_its_surroundings(print_client, print_session, tmp_path,
                                               print_editor_headers):  # fmt: skip
    body = {"lon": 110.36, "lat": 21.27, "event_category": "accident",
            "event_type": "hazardous_chemicals"}  # fmt: skip
    created = print_client.post("/incidents", json=body, headers=print_editor_headers)
    assert created.status_code == 201, created.text
    incident = created.json()["id"]
    r = print_client.get("/print", params={"incident": incident, "radius_m": 3000})
    assert r.status_code == 200, r.text
    flat = re.sub(r"\s", "", pdf_text(r.content, tmp_path))
    assert f"事件{incident}周边应急资源图" in flat
    assert "事发地点" in flat and "搜索半径3,000米" in flat
    for table, at_least in (("shelters", 1), ("protected_targets", 101)):
        n = int(
            print_session.execute(
                text(f"SELECT count(*) FROM {table} WHERE ST_DWithin(geom::geography, "
                     "ST_SetSRID(ST_MakePoint(110.36, 21.27), 4326)::geography, 3000, true)")
            ).scalar_one()
        )  # fmt: skip
        # more than the surroundings' default k (100): the print shows them all
        assert n >= at_least
        assert f"{REGISTRY[table].zh}（{n}）" in flat


def test_grid_and_crs_labels(print_client, tmp_path):
    plain = pdf_text(
        print_client.get("/print", params={"bbox": CENTRE_BBOX, "layers": "shelters"}).content,
        tmp_path,
    )
    gridded = pdf_text(
        print_client.get(
            "/print",
            params={"bbox": CENTRE_BBOX, "layers": "shelters", "grid": "true", "crs": 4326},
        ).content,
        tmp_path,
    )
    assert "°" not in plain and "CGCS2000" in plain
    assert re.search(r"110°\d+\.\d′E", gridded) and re.search(r"21°\d+\.\d′N", gridded)
    assert "WGS84" in gridded and "CGCS2000" not in gridded


def test_area_too_large_for_the_scale_is_refused(print_client, print_settings, print_session):
    r = print_client.get("/print", params={"bbox": "100,15,125,30", "layers": "shelters"})
    assert r.status_code == 422
    msg = r.json().get("description", r.text)
    assert "1:1,000,000" in msg and "A3" in msg
    # the limit is a setting: 霞山区 on A4 needs about 1:150,000
    strict = print_settings.model_copy(update={"print_max_scale_denominator": 50_000})
    with pytest.raises(Exception, match="ONEMAP_PRINT_MAX_SCALE_DENOMINATOR"):
        prepare(print_session, strict, PrintRequest(region_code=XIASHAN))
    assert prepare(print_session, print_settings, PrintRequest(region_code=XIASHAN)).layers


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"bbox": "110.9,20.0,111.0,20.1"}, 422, "the area is empty"),  # the sea east of 徐闻
        ({"bbox": "110.3,21.2,110.3,21.3"}, 400, "empty"),
        ({"bbox": "110.3,21.2"}, 400, "bbox"),
        ({}, 400, "exactly one area"),
        ({"bbox": CENTRE_BBOX, "region_code": XIASHAN}, 400, "exactly one area"),
        ({"region_code": "449999"}, 404, "449999"),
        ({"incident": 999999}, 404, "999999"),
        ({"bbox": CENTRE_BBOX, "layers": "volcanoes"}, 400, "unknown layer 'volcanoes'"),
        ({"bbox": CENTRE_BBOX, "layers": "surroundings"}, 400, "needs an incident"),
        ({"bbox": CENTRE_BBOX, "layers": "shelters", "filter": "shelters:nonsense >"}, 400, ""),
        ({"bbox": CENTRE_BBOX, "filter": "depots:level = 1", "layers": "shelters"}, 400,
         "not printed"),
        ({"bbox": CENTRE_BBOX, "paper": "A5"}, 400, ""),
        ({"bbox": CENTRE_BBOX, "format": "svg"}, 400, ""),
        ({"bbox": CENTRE_BBOX, "crs": "3857"}, 400, ""),
        ({"bbox": CENTRE_BBOX, "radius_m": "-5", "incident": 1}, 400, ""),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_4xx(print_client, params, status, words):
    r = print_client.get("/print", params=params)
    assert 400 <= r.status_code < 500, r.text
    if status != 400 or words:
        assert r.status_code == status, r.text
    assert words in r.text
    assert "Traceback" not in r.text


def test_cli_prints_a3_landscape(print_settings, tmp_path, monkeypatch):
    from gis_onemap.cli.main import app
    from gis_onemap.settings import get_settings

    monkeypatch.setenv("ONEMAP_DATABASE_URL", print_settings.resolved_database_url())
    get_settings.cache_clear()
    out = tmp_path / "map.pdf"
    try:
        result = CliRunner().invoke(
            app, ["print", "--region-code", XIASHAN, "--layers", "shelters", "--paper", "A3",
                  "--landscape", "--out", str(out)],
        )  # fmt: skip
        bad = CliRunner().invoke(app, ["print", "--bbox", "100,15,125,30", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, check=True, timeout=60)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout.decode())
    assert size is not None
    # A3 landscape = 420 × 297 mm = 1190.55 × 841.89 pt
    assert abs(float(size.group(1)) - 420 / 25.4 * 72) < 1
    assert abs(float(size.group(2)) - 297 / 25.4 * 72) < 1
    assert bad.exit_code == 2 and "1:1,000,000" in bad.output

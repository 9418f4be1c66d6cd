"""Planning results as files.

JSON/GeoJSON, GeoPackage (pyogrio), Excel with Chinese headers (a printable summary table) and an
offline HTML map (folium, every asset inlined).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, shape

from gis_onemap.errors import InvalidInput

#: Chinese column headers of the summary tables.
SHELTER_HEADERS = {
    "id": "编号", "name": "名称", "shelter_type": "避难场所类型", "capacity": "容纳人数",
    "assigned": "已分配人数", "remaining": "剩余容量", "utilisation": "利用率",
    "used": "是否启用", "not_used_because": "未启用原因", "flags": "安全提示",
    "hazard_source_m": "距重大危险源(米)", "lon": "经度", "lat": "纬度",
}  # fmt: skip
CELL_HEADERS = {
    "name": "名称", "region_code": "行政区划代码", "population": "人口",
    "demand": "需避难人数", "covered": "已安置人数", "uncovered": "未安置人数",
}  # fmt: skip
TOTAL_HEADERS = {
    "population": "总人口", "demand": "需避难人数", "capacity": "可用容量",
    "covered": "已安置人数", "uncovered": "未安置人数", "covered_share": "安置率",
    "people_minutes": "总步行人·分钟", "cells": "网格数", "shelters": "避难场所数",
    "shelters_used": "启用避难场所数",
}  # fmt: skip
CHOSEN_HEADERS = {
    "id": "编号",
    "name": "名称",
    "lon": "经度",
    "lat": "纬度",
    "capacity": "容纳人数",
}
FORMATS = (".json", ".geojson", ".gpkg", ".xlsx", ".html")


def _frames(result: dict[str, Any]) -> dict[str, gpd.GeoDataFrame]:
    """Layers of a result: cells, shelters, uncovered areas, chosen sites."""
    out: dict[str, gpd.GeoDataFrame] = {}
    cells = (result.get("cells") or {}).get("features") or []
    if cells:
        rows = [{k: v for k, v in f["properties"].items() if k != "assigned_to"} for f in cells]
        out["cells"] = gpd.GeoDataFrame(
            rows, geometry=[shape(f["geometry"]) for f in cells], crs="EPSG:4326"
        )
    if result.get("shelters"):
        rows = [{**s, "flags": ",".join(s["flags"])} for s in result["shelters"]]
        out["shelters"] = gpd.GeoDataFrame(
            rows, geometry=[Point(s["lon"], s["lat"]) for s in rows], crs="EPSG:4326"
        )
    areas = (result.get("uncovered_areas") or {}).get("features") or []
    if areas:
        out["uncovered_areas"] = gpd.GeoDataFrame(
            [f["properties"] for f in areas], geometry=[shape(f["geometry"]) for f in areas],
            crs="EPSG:4326",
        )  # fmt: skip
    if result.get("chosen"):
        out["chosen_sites"] = gpd.GeoDataFrame(
            result["chosen"], geometry=[Point(c["lon"], c["lat"]) for c in result["chosen"]],
            crs="EPSG:4326",
        )  # fmt: skip
    return out


def write_result(result: dict[str, Any], path: Path, title: str = "避难场所覆盖分析") -> Path:
    """Write ``result`` in the format named by ``path``'s suffix."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"--out must end in one of {', '.join(FORMATS)}")
    if suffix == ".json":
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".geojson":
        frames = _frames(result)
        feats: list[dict[str, Any]] = []
        for layer, frame in frames.items():
            for f in json.loads(frame.to_json())["features"]:
                f["properties"]["layer"] = layer
                feats.append(f)
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                                   ensure_ascii=False), encoding="utf-8")  # fmt: skip
    elif suffix == ".gpkg":
        if path.exists():
            path.unlink()
        for layer, frame in _frames(result).items():
            frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    elif suffix == ".xlsx":
        write_excel(result, path)
    else:
        from gis_onemap.maps.offline import save_offline_html

        save_offline_html(result_map(result, title), path, title=title)
    return path


def write_excel(result: dict[str, Any], path: Path) -> None:
    """Summary, shelters, cells (and chosen sites) as sheets with Chinese headers."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        if "totals" in result:
            t = result["totals"]
            pd.DataFrame(
                [(TOTAL_HEADERS.get(k, k), v) for k, v in t.items()], columns=["项目", "数值"]
            ).to_excel(xl, sheet_name="汇总", index=False)
        if result.get("chosen") is not None:
            summary = [
                ("模型", result.get("model")),
                ("求解状态", result.get("status")),
                ("目标值", result.get("objective")),
                ("界", result.get("bound")),
                ("最优性间隙", result.get("gap")),
                ("用时(秒)", result.get("seconds")),
            ]
            cov = result.get("covered_within_reach") or {}
            summary += [("选址前覆盖人数", cov.get("before")), ("选址后覆盖人数", cov.get("after"))]
            pd.DataFrame(summary, columns=["项目", "数值"]).to_excel(
                xl, sheet_name="选址汇总", index=False
            )
            pd.DataFrame(result["chosen"], columns=list(CHOSEN_HEADERS)).rename(
                columns=CHOSEN_HEADERS
            ).to_excel(xl, sheet_name="新选址", index=False)  # fmt: skip
        if result.get("shelters"):
            rows = [{**s, "flags": ",".join(s["flags"])} for s in result["shelters"]]
            pd.DataFrame(rows, columns=list(SHELTER_HEADERS)).rename(
                columns=SHELTER_HEADERS
            ).to_excel(xl, sheet_name="避难场所", index=False)
        cells = (result.get("cells") or {}).get("features") or []
        if cells:
            pd.DataFrame([f["properties"] for f in cells], columns=list(CELL_HEADERS)).rename(
                columns=CELL_HEADERS
            ).to_excel(xl, sheet_name="网格", index=False)


def _shade(props: dict[str, Any]) -> str:
    demand = props.get("demand") or 0
    if demand <= 0:
        return "#dddddd"
    share = (props.get("covered") or 0) / demand
    return "#1a9641" if share >= 0.999 else "#fdae61" if share >= 0.5 else "#d7191c"


def result_map(result: dict[str, Any], title: str) -> Any:
    """A folium map.

    Cells shaded covered (green) / partly (orange) / uncovered (red), shelters sized by capacity,
    chosen sites starred.
    """
    import folium

    from gis_onemap.maps.offline import add_offline_basemap

    frames = _frames(result)
    bounds = None
    for frame in frames.values():
        bounds = frame.total_bounds if bounds is None else bounds
    m = folium.Map(tiles=None, control_scale=True)
    add_offline_basemap(m)
    if "cells" in frames:
        folium.GeoJson(
            json.loads(frames["cells"].to_json()), name="网格覆盖 Coverage",
            style_function=lambda f: {"fillColor": _shade(f["properties"]), "color": "#666",
                                      "weight": 0.3, "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(fields=[k for k in CELL_HEADERS
                                                  if k in frames["cells"].columns],
                                          aliases=[v for k, v in CELL_HEADERS.items()
                                                   if k in frames["cells"].columns]),
        ).add_to(m)  # fmt: skip
    for s in result.get("shelters") or []:
        color = "#2b83ba" if s["used"] else "#999999"
        folium.CircleMarker(
            [s["lat"], s["lon"]], radius=4 + min(10, (s["capacity"] or 0) ** 0.5 / 15),
            color=color, fill=True, fill_opacity=0.8,
            tooltip=f"{s['name']}: {s['assigned']}/{s['capacity']}",
        ).add_to(m)  # fmt: skip
    for c in result.get("chosen") or []:
        folium.Marker([c["lat"], c["lon"]], tooltip=f"新选址 {c['name'] or c['id']}").add_to(m)
    if bounds is not None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.LayerControl().add_to(m)
    return m

"""The resources of a bundle as spreadsheets with Chinese headers.

XLSX, one sheet per layer, and, for older Excel, GBK-encoded CSV files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import shapely

from gis_onemap.io.export import neutralise_cell
from gis_onemap.printing.layers import PrintLayer

#: Headers of the columns that are not category fields.
ID_HEADER = "编号"
X_HEADER, Y_HEADER = "经度", "纬度"


def _sheet_name(title: str, used: set[str]) -> str:
    r"""An Excel sheet name: at most 31 characters, none of ``[]:*?/\``, unique.

    >>> _sheet_name("应急避难场所", set()), _sheet_name("a/b:c", {"a_b_c"})
    ('应急避难场所', 'a_b_c 2')
    """
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:28]
    out, n = name, 1
    while out in used:
        n += 1
        out = f"{name} {n}"
    used.add(out)
    return out


def table_of(layer: PrintLayer) -> pd.DataFrame:
    """The layer's attributes with Chinese headers, in the layer's CRS.

    Headers are the category's field names in Chinese, plus the longitude/latitude of each feature
    (a point inside areas); text that a spreadsheet would run as a formula is neutralised.
    """
    gdf = layer.gdf
    headers = {"id": ID_HEADER}
    if layer.category is not None:
        headers |= {f.name: f.zh for f in layer.category.all_fields}
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    df = pd.DataFrame({headers.get(c, c): gdf[c].map(neutralise_cell) for c in columns})
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            # Excel has no time zones: Beijing time, which is what a reader expects
            df[col] = df[col].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    points = shapely.point_on_surface(gdf.geometry.values) if len(gdf) else []
    df[X_HEADER] = [round(p.x, 7) for p in points]
    df[Y_HEADER] = [round(p.y, 7) for p in points]
    return df


def write_xlsx(layers: Sequence[PrintLayer], path: Path) -> list[str]:
    """One sheet per layer with features; returns the sheet names."""
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for layer in layers:
            if layer.gdf.empty:
                continue
            table_of(layer).to_excel(writer, sheet_name=_sheet_name(layer.title, used), index=False)
        if not used:  # openpyxl needs at least one sheet
            pd.DataFrame({"说明": ["本区域没有资源"]}).to_excel(
                writer, sheet_name="说明", index=False
            )
            used.add("说明")
    return sorted(used)


def write_gbk_csv(layer: PrintLayer, path: Path) -> int:
    """The layer as a GBK CSV (Excel on Chinese Windows opens it without an import dialog).

    Characters GBK lacks become ``?``. Returns how many cells lost characters that way.
    """
    df = table_of(layer)
    lost = 0
    for col in df.columns:
        if df[col].dtype == object:
            for value in df[col]:
                if isinstance(value, str):
                    try:
                        value.encode("gbk")
                    except UnicodeEncodeError:
                        lost += 1
    df.to_csv(path, index=False, encoding="gbk", errors="replace")
    return lost

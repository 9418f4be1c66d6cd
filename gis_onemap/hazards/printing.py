"""The four-colour risk map as a printable layer (``layers=risk_map`` in prints and bundles).

Cells are hexagons sized so that the printed area holds at most about 20,000 of them (500 m at
city scale): finer cells would print as a grey blur. One legend entry per class, 红橙黄蓝.
"""

from __future__ import annotations

import math

import geopandas as gpd

from gis_onemap.errors import InvalidInput
from gis_onemap.hazards.risk import CLASSES, COLOURS
from gis_onemap.hazards.usecases import risk_service
from gis_onemap.printing.layers import WGS84, LayerRequest, PrintContext, PrintLayer

_LABEL = {"red": "重大风险", "orange": "较大风险", "yellow": "一般风险", "blue": "低风险"}
MAX_PRINT_CELLS = 20_000


def cell_size_for(area_m2: float, min_size_m: float, max_size_m: float) -> float:
    """A hexagon size (m, across flats) giving at most ``MAX_PRINT_CELLS`` cells, ≥ 500 m.

    >>> cell_size_for(4e6, 100, 50_000)  # a 2 km square: 500 m cells
    500.0
    >>> round(cell_size_for(13_000e6, 100, 50_000))  # about the demo city
    866
    """
    # a hexagon across flats s covers s² · √3/2
    size = math.sqrt(area_m2 / MAX_PRINT_CELLS / (math.sqrt(3) / 2))
    return float(min(max_size_m, max(min_size_m, 500.0, round(size, 0))))


def risk_map_layers(ctx: PrintContext, req: LayerRequest) -> list[PrintLayer]:
    """The risk cells over the print area, one layer per class."""
    if ctx.settings is None:
        raise InvalidInput("the risk map needs the server's settings")
    if req.filter:
        raise InvalidInput("the risk_map layer takes no filter")
    settings = ctx.settings
    service = risk_service(ctx.session, settings)
    area_m2 = float(
        gpd.GeoSeries([ctx.area.geometry], crs=WGS84)
        .to_crs(gpd.GeoSeries([ctx.area.geometry], crs=WGS84).estimate_utm_crs())
        .area.iloc[0]
    )
    size = cell_size_for(area_m2, settings.risk_min_cell_m, settings.risk_max_cell_m)
    fc = service.compute(service.grid("hex", size, ctx.area.bbox))
    cells = gpd.GeoDataFrame.from_features(fc["features"], crs=WGS84)
    layers = []
    for cls in CLASSES:
        part = cells[cells["risk_class"] == cls] if len(cells) else cells
        layers.append(
            PrintLayer(
                id=f"risk_{cls}",
                title=f"{COLOURS[cls][1]}色 {_LABEL[cls]}（{size / 1000:g} km 六边形）",
                gdf=part.reset_index(drop=True),
                color=COLOURS[cls][0],
                fill_opacity=0.55,
                zorder=1,
            )
        )
    return layers

"""The four-colour risk map as a printable layer (``layers=risk_map`` in prints and bundles).

Cells are hexagons sized so that the printed area holds at most about 20,000 of them (500 m at
city scale): finer cells would print as a grey blur. One legend entry per class, 红橙黄蓝.
"""

from __future__ import annotations

import math
from typing import Any

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


#: Release zones as printed: legend label and colour per zone kind.
_ZONES = {
    "isolation": ("初始隔离区", "#d7191c"),
    "protective_action": ("下风向防护行动区", "#fd8d3c"),
    "fireball": ("火球热辐射区", "#b2182b"),
}
_RELEASE_KEYS = {
    "substance": str, "amount": str, "tonnes": float, "time": str,
    "wind_from_deg": float, "wind_speed_ms": float, "hazard_source_id": int,
    "container": str,
}  # fmt: skip


def parse_release_spec(spec: str | None) -> dict[str, Any]:
    """The release of a ``release_zones:key=value;…`` layer spec.

    >>> parse_release_spec("substance=液氯;tonnes=5;wind_from_deg=90;wind_speed_ms=3")
    {'substance': '液氯', 'tonnes': 5.0, 'wind_from_deg': 90.0, 'wind_speed_ms': 3.0}
    >>> parse_release_spec("substance=液氯;amount=large;container=rail_tank_car")["container"]
    'rail_tank_car'
    >>> parse_release_spec("colour=red")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: release_zones: unknown key 'colour' (use amount, ...)
    """
    if not spec:
        raise InvalidInput(
            "release_zones needs the release: release_zones:substance=…;tonnes=…;"
            "wind_from_deg=…;wind_speed_ms=…"
        )
    out: dict[str, Any] = {}
    for part in spec.split(";"):
        key, _, value = part.partition("=")
        key = key.strip()
        if key not in _RELEASE_KEYS:
            raise InvalidInput(
                f"release_zones: unknown key {key[:30]!r} (use {', '.join(sorted(_RELEASE_KEYS))})"
            )
        try:
            out[key] = _RELEASE_KEYS[key](value.strip())
        except ValueError:
            raise InvalidInput(f"release_zones: {key} must be a number") from None
    return out


def release_zone_layers(ctx: PrintContext, req: LayerRequest) -> list[PrintLayer]:
    """Release zones, one layer per zone kind, as ``POST /analysis/release-zones`` gives them.

    The release is at the print area's incident, else its centre, or at a hazard source given
    in the spec.
    """
    from gis_onemap.hazards.usecases import release_zones_of

    if ctx.settings is None:
        raise InvalidInput("release zones need the server's settings")
    body = parse_release_spec(req.filter)
    if "hazard_source_id" not in body:
        if ctx.area.incident is not None:
            origin = ctx.area.incident.origin
            body["lon"], body["lat"] = origin.lon, origin.lat
        else:
            centre = ctx.area.geometry.centroid
            body["lon"], body["lat"] = centre.x, centre.y
    fc = release_zones_of(ctx.session, ctx.settings, body)
    zones = gpd.GeoDataFrame.from_features(fc["features"], crs=WGS84)
    layers = []
    for kind in dict.fromkeys(zones["zone"]) if len(zones) else []:
        title, colour = _ZONES.get(kind, (str(kind), "#984ea3"))
        part = zones[zones["zone"] == kind].reset_index(drop=True)
        layers.append(PrintLayer(f"zone_{kind}", title, part, colour, fill_opacity=0.3, zorder=2))
    return layers

"""One entry point for HTTP and the CLI.

A print request → the area, its layers, the scale check and the rendered PDF/PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
from sqlalchemy.orm import Session

from gis_onemap.errors import InvalidInput, ValidationFailed
from gis_onemap.limits import InputLimits
from gis_onemap.printing.area import PrintArea, resolve_area
from gis_onemap.printing.fonts import find_cjk_font
from gis_onemap.printing.layers import (
    PrintContext,
    PrintLayer,
    districts,
    load_layers,
    parse_layer_specs,
)
from gis_onemap.printing.page import Orientation, Page, Paper, framed_bbox, nice_scale
from gis_onemap.printing.page import scale_denominator as needed_scale
from gis_onemap.printing.render import MapSpec, OutputFormat, RenderedMap, render_map
from gis_onemap.settings import Settings

#: Extra room around the area of interest (fraction of its size on each side).
PADDING = 0.04


@dataclass
class PrintRequest:
    """A print job as HTTP and the CLI describe it (validated by :func:`prepare`)."""

    bbox: str | None = None
    region_code: str | None = None
    incident_id: int | None = None
    radius_m: float | None = None
    layers: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    title: str | None = None
    paper: Paper = "A4"
    orientation: Orientation = "portrait"
    format: OutputFormat = "pdf"
    crs: int = 4490  # 4490 (CGCS2000) or 4326 (WGS84), checked by prepare()
    grid: bool = False


@dataclass
class PreparedPrint:
    """The resolved area and layers, before drawing (bundles reuse the layers)."""

    area: PrintArea
    layers: list[PrintLayer]
    spec: MapSpec


def _padded(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    dx, dy = (box[2] - box[0]) * PADDING, (box[3] - box[1]) * PADDING
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def _default_title(area: PrintArea, names: list[str]) -> str:
    if area.incident is not None:
        return f"事件{area.incident.id}周边应急资源图（{area.radius_m:,.0f}米）"
    if area.region_code is not None:
        return f"{area.label}应急资源分布图"
    return "应急资源分布图"


def prepare(session: Session, settings: Settings, req: PrintRequest) -> PreparedPrint:
    """Resolve and check everything: bad input → 4xx before anything is drawn."""
    if req.paper not in ("A4", "A3"):
        raise InvalidInput("paper must be A4 or A3")
    if req.orientation not in ("portrait", "landscape"):
        raise InvalidInput("orientation must be portrait or landscape")
    if req.format not in ("pdf", "png"):
        raise InvalidInput("format must be pdf or png")
    if req.crs not in (4490, 4326):
        raise InvalidInput("crs must be 4490 (CGCS2000) or 4326 (WGS84)")
    if req.title is not None and not (0 < len(req.title.strip()) <= 60):
        raise InvalidInput("title must have 1 to 60 characters")
    area = resolve_area(
        session,
        bbox=req.bbox,
        region_code=req.region_code,
        incident_id=req.incident_id,
        radius_m=req.radius_m,
    )
    page = Page(req.paper, req.orientation)
    need = needed_scale(_padded(area.bbox), page)
    if need > settings.print_max_scale_denominator:
        raise ValidationFailed(
            f"the area needs a scale of 1:{need:,.0f} on {req.paper} {req.orientation}; the "
            f"smallest allowed is 1:{settings.print_max_scale_denominator:,} "
            "(ONEMAP_PRINT_MAX_SCALE_DENOMINATOR): choose a smaller area, A3 or landscape"
        )
    names = req.layers or (["surroundings"] if area.incident is not None else [])
    if not names:
        from gis_onemap.categories import CATEGORIES

        names = [c.id for c in CATEGORIES]
    requests = parse_layer_specs(names, req.filters)
    ctx = PrintContext(
        session,
        area,
        InputLimits.from_settings(settings),
        settings.print_max_features,
        settings=settings,
    )
    layers = load_layers(ctx, requests)
    if not any(len(layer.gdf) for layer in layers):
        raise ValidationFailed(
            "the area is empty: no features of the chosen layers lie in it "
            f"({', '.join(r.name for r in requests)})"
        )
    denominator = nice_scale(need)
    frame = framed_bbox(area.bbox, page, denominator)
    to_crs = f"EPSG:{req.crs}"  # a null transform between WGS84 and CGCS2000, kept honest
    for layer in layers:
        layer.gdf = layer.gdf.to_crs(to_crs)
    ring = None
    incident_xy = None
    if area.incident is not None:
        incident_xy = (area.incident.origin.lon, area.incident.origin.lat)
        ring = gpd.GeoDataFrame(geometry=[area.geometry], crs="EPSG:4326").to_crs(to_crs)
    elif area.region_code is not None:
        ring = gpd.GeoDataFrame(geometry=[area.geometry], crs="EPSG:4326").to_crs(to_crs)
    spec = MapSpec(
        page=page,
        title=(req.title or "").strip() or _default_title(area, [r.name for r in requests]),
        frame_bbox=frame,
        denominator=denominator,
        layers=layers,
        base=districts(session, frame).to_crs(to_crs),
        font_file=find_cjk_font(settings.print_font_file),
        crs_epsg=req.crs,
        grid=req.grid,
        sources=settings.print_sources,
        incident=incident_xy,
        ring=ring,
        ring_label=(
            f"搜索半径 {area.radius_m:,.0f} 米"
            if area.incident is not None
            else f"{area.label}边界"
        ),
    )
    return PreparedPrint(area, layers, spec)


def print_map(session: Session, settings: Settings, req: PrintRequest) -> RenderedMap:
    """The printed map of ``req`` (PDF or PNG bytes and the texts drawn)."""
    prepared = prepare(session, settings, req)
    return render_map(prepared.spec, req.format, settings.print_png_dpi)

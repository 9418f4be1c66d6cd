"""Draw a print-ready map with matplotlib (no browser).

Title, map frame with the layers, legend, scale bar, north arrow, optional coordinate grid, and a
footer with the CRS, sources and date.

matplotlib + geopandas rather than a headless browser: a PDF with real (searchable, embedded)
text, the same result on any server, and an A3 page in about a second. Coordinates are drawn in
the map CRS's degrees (CGCS2000 and WGS84 are both geographic) with the frame's aspect set so
that one scale holds at the centre (``page.framed_bbox``).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import shapely
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator

from gis_onemap.printing.fonts import font_for, missing_glyphs
from gis_onemap.printing.layers import PrintLayer
from gis_onemap.printing.page import FOOTER_MM, MARGIN_MM, TITLE_MM, Page, scale_bar_length_m

OutputFormat = Literal["pdf", "png"]
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png"}
#: The two map CRSs a print may be labelled in (both geographic; PROJ's transform between them
#: is a null transform: they differ by centimetres).
CRS_LABELS = {4490: "CGCS2000（EPSG:4490）地理坐标", 4326: "WGS84（EPSG:4326）地理坐标"}
MM = 1 / 25.4
#: matplotlib's rcParams (font, PDF font type) are process-global and ``rc_context`` swaps them:
#: two prints at once in the server's thread pool must not swap them under each other.
_RENDER_LOCK = threading.Lock()


@dataclass
class MapSpec:
    """Everything drawn on the page."""

    page: Page
    title: str
    frame_bbox: tuple[float, float, float, float]  # WGS84, the frame's aspect
    denominator: int
    layers: list[PrintLayer]
    base: gpd.GeoDataFrame  # district outlines (code, name, level)
    font_file: Path
    crs_epsg: int = 4490
    grid: bool = False
    sources: str = ""
    printed_on: date = field(default_factory=date.today)
    incident: tuple[float, float] | None = None  # lon, lat
    ring: gpd.GeoDataFrame | None = None  # the search radius around the incident
    ring_label: str = ""


@dataclass
class RenderedMap:
    """The file and every text drawn on it (for the glyph-coverage check)."""

    content: bytes
    media_type: str
    labels: list[str]
    font_file: Path


def _font_family(path: Path) -> str:
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _degrees(value: float, axis: str) -> str:
    """``110°21.5′E`` style tick labels.

    >>> _degrees(110.358, "x"), _degrees(21.25, "y"), _degrees(-0.5, "y")
    ('110°21.5′E', '21°15.0′N', '0°30.0′S')
    """
    hemi = ("E" if value >= 0 else "W") if axis == "x" else ("N" if value >= 0 else "S")
    v = abs(value)
    deg = int(v)
    return f"{deg}°{(v - deg) * 60:.1f}′{hemi}"


def _length(m: float) -> str:
    """A ground length in metres or kilometres.

    >>> _length(500), _length(20000)
    ('500 米', '20 公里')
    """
    return f"{m / 1000:g} 公里" if m >= 1000 else f"{m:g} 米"


#: Areas larger than this share of the frame (plan jurisdictions, whole districts) are drawn as
#: outlines only: filled, they would hide everything under them.
LARGE_AREA_SHARE = 0.005


def _draw_layer(ax: Axes, layer: PrintLayer, frame_area: float) -> None:
    gdf = layer.gdf
    if gdf.empty:
        return
    kinds = gdf.geometry.geom_type
    points = gdf[kinds.isin(["Point", "MultiPoint"])]
    areas = gdf[kinds.isin(["Polygon", "MultiPolygon"])]
    lines = gdf[kinds.isin(["LineString", "MultiLineString"])]
    if not areas.empty:
        # in degrees², like frame_area: only the share matters
        large = shapely.area(areas.geometry.values) > LARGE_AREA_SHARE * frame_area
        if large.any():
            areas[large].boundary.plot(ax=ax, color=layer.color, linewidth=0.9, zorder=layer.zorder)
        if (~large).any():
            areas[~large].plot(
                ax=ax,
                facecolor=layer.color,
                alpha=layer.fill_opacity,
                edgecolor=layer.color,
                linewidth=0.6,
                zorder=layer.zorder,
            )
    if not lines.empty:
        lines.plot(ax=ax, color=layer.color, linewidth=1.2, zorder=layer.zorder)
    if not points.empty:
        points.plot(
            ax=ax,
            color=layer.color,
            marker=layer.marker,
            markersize=16,
            edgecolor="white",
            linewidth=0.4,
            zorder=layer.zorder + 1,
        )


def _handle(layer: PrintLayer) -> Line2D | Patch:
    kinds = set(layer.gdf.geometry.geom_type) if not layer.gdf.empty else {"Point"}
    if kinds <= {"Polygon", "MultiPolygon"}:
        return Patch(
            facecolor=layer.color, edgecolor=layer.color, alpha=0.5, label=layer.legend_label
        )
    return Line2D(
        [],
        [],
        marker=layer.marker,
        linestyle="",
        color=layer.color,
        markeredgecolor="white",
        markersize=7,
        label=layer.legend_label,
    )


def _scale_bar(ax: Axes, spec: MapSpec) -> None:
    """A black-and-white bar at the lower left, its length a round number of metres."""
    minx, miny, maxx, maxy = spec.frame_bbox
    fw_mm = spec.page.frame_mm[0]
    length_m = scale_bar_length_m(spec.denominator)
    # frame width in ground metres at this scale ÷ frame width in degrees
    deg_per_m = (maxx - minx) / (spec.denominator * fw_mm / 1000.0)
    x0 = minx + (maxx - minx) * 0.04
    y0 = miny + (maxy - miny) * 0.035
    h = (maxy - miny) * 0.008
    seg = length_m * deg_per_m / 4
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * seg, y0),
                seg,
                h,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=20,
            )
        )
    for i, value in ((0, 0.0), (2, length_m / 2), (4, length_m)):
        text = "0" if value == 0 else _length(value)
        ax.text(x0 + i * seg, y0 + h * 1.8, text, ha="center", va="bottom", fontsize=7, zorder=20)
    ax.text(
        x0,
        y0 + h * 5.0,
        f"比例尺 1:{spec.denominator:,}",
        ha="left",
        va="bottom",
        fontsize=8,
        zorder=20,
    )


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "北\nN",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        zorder=20,
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 11, "headlength": 10},
    )


def _user_text(spec: MapSpec) -> str:
    """The texts of a page that come from data or the caller (the fixed ones are GB 2312)."""
    names = [] if spec.base.empty else [str(n) for n in spec.base["name"]]
    legend = [layer.legend_label for layer in spec.layers]
    ring = spec.ring_label if spec.ring is not None else ""
    return "".join([spec.title, spec.sources, ring, *legend, *names])


def render_map(spec: MapSpec, fmt: OutputFormat = "pdf", dpi: int = 200) -> RenderedMap:
    """Draw ``spec`` on one page; the file's bytes, the texts on it and the font used.

    The reduced core font (:func:`~gis_onemap.printing.fonts.font_for`) when it covers every
    text, else the full font; checked again on the texts actually drawn.
    """
    font = font_for(_user_text(spec), spec.font_file)
    rendered = _render(spec, fmt, dpi, font)
    if font != spec.font_file and missing_glyphs("".join(rendered.labels), font):
        rendered = _render(spec, fmt, dpi, spec.font_file)
    return rendered


def _render(spec: MapSpec, fmt: OutputFormat, dpi: int, font: Path) -> RenderedMap:
    family = _font_family(font)
    rc: dict[str, Any] = {
        "font.family": [family],
        "pdf.fonttype": 42,  # TrueType embedded (searchable text), not Type 3 outlines
        "axes.unicode_minus": False,  # U+2212 is not in every CJK font
        "svg.fonttype": "none",
    }
    with _RENDER_LOCK, rc_context(rc):  # type: ignore[arg-type]  # keys are literals
        w_mm, h_mm = spec.page.size_mm
        fw, fh = spec.page.frame_mm
        fig = Figure(figsize=(w_mm * MM, h_mm * MM))
        ax = fig.add_axes((MARGIN_MM / w_mm, (MARGIN_MM + FOOTER_MM) / h_mm, fw / w_mm, fh / h_mm))
        minx, miny, maxx, maxy = spec.frame_bbox
        ax.set_facecolor("#f4f7fb")
        if not spec.base.empty:
            municipal = spec.base[spec.base["level"] == "municipal"]
            others = spec.base[spec.base["level"] != "municipal"]
            if not others.empty:
                others.plot(
                    ax=ax, facecolor="#eef1ea", edgecolor="#7a8794", linewidth=0.6, zorder=1
                )
            if not municipal.empty:
                municipal.boundary.plot(ax=ax, color="#4a5561", linewidth=1.4, zorder=2)
            for name, point in zip(
                others["name"], others.geometry.representative_point(), strict=True
            ):
                if minx < point.x < maxx and miny < point.y < maxy:
                    ax.text(
                        point.x,
                        point.y,
                        str(name),
                        fontsize=8,
                        color="#5b6b7a",
                        ha="center",
                        va="center",
                        zorder=2.5,
                        alpha=0.9,
                    )
        handles: list[Line2D | Patch] = []
        for layer in spec.layers:
            _draw_layer(ax, layer, (maxx - minx) * (maxy - miny))
            handles.append(_handle(layer))
        if spec.ring is not None and not spec.ring.empty:
            spec.ring.boundary.plot(ax=ax, color="#333333", linewidth=1.2, linestyle="--", zorder=8)
            handles.append(Line2D([], [], color="#333333", linestyle="--", label=spec.ring_label))
        if spec.incident is not None:
            ax.plot(
                *spec.incident,
                marker="*",
                color="#e41a1c",
                markersize=16,
                markeredgecolor="black",
                zorder=12,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="*",
                    linestyle="",
                    color="#e41a1c",
                    markeredgecolor="black",
                    markersize=11,
                    label="事发地点",
                )
            )
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_xlabel("")  # geopandas labels the axes with the CRS's axis names
        ax.set_ylabel("")
        ax.set_aspect("auto")  # the frame bbox already has the paper's aspect at this scale
        if spec.grid:
            ax.grid(True, color="#8899aa", linewidth=0.4, linestyle=":", zorder=0.5)
            ax.xaxis.set_major_locator(MaxNLocator(6))
            ax.yaxis.set_major_locator(MaxNLocator(6))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _degrees(v, "x")))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _degrees(v, "y")))
            ax.tick_params(labelsize=6, direction="in", pad=2)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        if handles:
            ax.legend(
                handles=handles,
                title="图例",
                loc="lower right",
                fontsize=8,
                title_fontsize=9,
                framealpha=0.92,
                edgecolor="#555555",
            ).set_zorder(30)
        _scale_bar(ax, spec)
        _north_arrow(ax)
        fig.text(
            0.5,
            1 - (MARGIN_MM + TITLE_MM / 2) / h_mm,
            spec.title,
            ha="center",
            va="center",
            fontsize=18,
        )
        foot_y = (MARGIN_MM + FOOTER_MM / 2 - 2) / h_mm
        left, right = MARGIN_MM / w_mm, 1 - MARGIN_MM / w_mm
        fig.text(left, foot_y, f"坐标系：{CRS_LABELS[spec.crs_epsg]}", fontsize=7, va="center")
        fig.text(left, foot_y - 4 / h_mm, f"数据来源：{spec.sources}", fontsize=7, va="center")
        fig.text(
            right,
            foot_y,
            f"制图日期：{spec.printed_on.isoformat()}",
            fontsize=7,
            ha="right",
            va="center",
        )
        fig.text(
            right,
            foot_y - 4 / h_mm,
            f"纸张：{spec.page.paper} {'横向' if spec.page.orientation == 'landscape' else '纵向'}",
            fontsize=7,
            ha="right",
            va="center",
        )
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(spec, fmt))
        labels = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    return RenderedMap(buf.getvalue(), MEDIA_TYPES[fmt], labels, font)


def _metadata(spec: MapSpec, fmt: OutputFormat) -> dict[str, str]:
    if fmt == "pdf":
        return {"Title": spec.title, "Creator": "gis_onemap 应急一张图"}
    return {"Title": spec.title, "Software": "gis_onemap"}

"""PNG tiles drawn with Pillow from the vector tile, for clients without vector-tile support."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import mapbox_vector_tile
from PIL import Image, ImageColor, ImageDraw, ImageFont

from gis_onemap.categories import REGISTRY

#: Output size (px) and the supersampling factor used for smooth edges.
TILE_SIZE = 256
SUPERSAMPLE = 2
#: Alpha of area fills (0–255): translucent, so that what lies below stays visible.
FILL_ALPHA = 80
POINT_RADIUS = 4.5
DEFAULT_COLOR = "#3388ff"
#: Clusters of a clustered tile are merged again on a grid of this many px, so that their
#: symbols and labels stay readable on a 256-px image.
RASTER_CLUSTER_PX = 32


def cluster_radius(count: int) -> float:
    """Radius (px) of a cluster symbol: grows with the log of the count.

    >>> cluster_radius(1) == POINT_RADIUS
    True
    >>> cluster_radius(1000)
    13.5
    """
    if count <= 1:
        return POINT_RADIUS
    return min(14.0, 6.0 + 2.5 * math.log10(count))


def merge_clusters(
    points: Sequence[tuple[float, float, int]], cell: float
) -> list[tuple[float, float, int]]:
    """Merge counted points on a square grid of ``cell``.

    Count-weighted mean position, summed counts: what the SQL does per tile, again at the
    raster's coarser scale.

    >>> merge_clusters([(1, 1, 1), (3, 3, 3), (50, 50, 2)], 32)
    [(2.5, 2.5, 4), (50.0, 50.0, 2)]
    """
    cells: dict[tuple[int, int], list[float]] = {}
    for x, y, n in points:
        acc = cells.setdefault((int(x // cell), int(y // cell)), [0.0, 0.0, 0])
        acc[0] += x * n
        acc[1] += y * n
        acc[2] += n
    return [(sx / n, sy / n, int(n)) for sx, sy, n in cells.values()]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # bundled with Pillow: nothing loads from outside


def _rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    r, g, b = ImageColor.getrgb(color)[:3]
    return (r, g, b, alpha)


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for polygon in polygons:
        yield from polygon


def _points(geometry: dict[str, Any]) -> list[Sequence[float]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [coords]
    if kind == "MultiPoint":
        return list(coords)
    return []


def render_png(tile: bytes, size: int = TILE_SIZE) -> bytes:
    """Draw a decoded MVT (one layer per category) as a transparent PNG; ``b""`` when empty.

    Areas are translucent fills outlined in the category colour; points are dots in that
    colour with a white ring; clusters are larger dots labelled with their count.
    """
    if not tile:
        return b""
    layers = mapbox_vector_tile.decode(tile, default_options={"y_coord_down": True})
    if not any(layer["features"] for layer in layers.values()):
        return b""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image, "RGBA")
    labels: list[tuple[float, float, str]] = []
    for name, layer in layers.items():
        category = REGISTRY.get(name)
        color = category.color if category else DEFAULT_COLOR
        scale = big / layer.get("extent", 4096)
        for feature in layer["features"]:
            for ring in _rings(feature["geometry"]):
                xy = [(x * scale, y * scale) for x, y in ring]
                if len(xy) >= 3:
                    draw.polygon(xy, fill=_rgba(color, FILL_ALPHA), outline=_rgba(color))
        points: list[tuple[float, float, int]] = []
        clustered = False
        for feature in layer["features"]:
            count = feature["properties"].get("point_count")
            clustered = clustered or count is not None
            for x, y in _points(feature["geometry"]):
                points.append((x * scale, y * scale, int(count or 1)))
        if clustered:
            points = merge_clusters(points, RASTER_CLUSTER_PX * SUPERSAMPLE)
        for cx, cy, count in points:
            r = cluster_radius(count) * SUPERSAMPLE
            box = (cx - r, cy - r, cx + r, cy + r)
            draw.ellipse(box, fill=_rgba(color), outline=(255, 255, 255, 255), width=2)
            if count > 1:
                labels.append((cx, cy, str(count) if count < 10_000 else f"{count // 1000}k"))
    for cx, cy, text in labels:
        draw.text(
            (cx, cy), text, fill=(255, 255, 255, 255), anchor="mm", font=_font(10 * SUPERSAMPLE)
        )
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()

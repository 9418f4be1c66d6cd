"""Paper sizes, the map frame on the page, and the scale an area needs on it (pure functions)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pyproj import Geod

Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]

#: ISO 216 sizes in millimetres (short side, long side).
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: Page margin, title band and footer band (mm): the map frame is what remains.
MARGIN_MM = 10.0
TITLE_MM = 16.0
FOOTER_MM = 14.0
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Page:
    """A sheet of paper in an orientation; sizes in millimetres."""

    paper: Paper
    orientation: Orientation

    @property
    def size_mm(self) -> tuple[float, float]:
        """(width, height) of the sheet.

        >>> Page("A4", "portrait").size_mm, Page("A3", "landscape").size_mm
        ((210.0, 297.0), (420.0, 297.0))
        """
        short, long = PAPER_MM[self.paper]
        return (long, short) if self.orientation == "landscape" else (short, long)

    @property
    def frame_mm(self) -> tuple[float, float]:
        """(width, height) of the map frame: the sheet less margins, title and footer.

        >>> Page("A4", "portrait").frame_mm
        (190.0, 247.0)
        """
        w, h = self.size_mm
        return (w - 2 * MARGIN_MM, h - 2 * MARGIN_MM - TITLE_MM - FOOTER_MM)


def ground_size_m(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    """Geodesic width and height of a WGS84 box, in metres.

    Width along the middle parallel, height along the middle meridian.

    >>> w, h = ground_size_m((110.0, 21.0, 111.0, 22.0))
    >>> round(w / 1000, 1), round(h / 1000, 1)
    (103.6, 110.7)
    """
    minx, miny, maxx, maxy = bbox
    midy, midx = (miny + maxy) / 2, (minx + maxx) / 2
    width = _GEOD.inv(minx, midy, maxx, midy)[2]
    height = _GEOD.inv(midx, miny, midx, maxy)[2]
    return float(width), float(height)


def scale_denominator(bbox: tuple[float, float, float, float], page: Page) -> float:
    """The scale 1:N at which ``bbox`` just fits the page's map frame (N, not rounded).

    103.6 km wide on a 190 mm frame (the 110.7 km height fits 247 mm at a smaller scale):

    >>> round(scale_denominator((110.0, 21.0, 111.0, 22.0), Page("A4", "portrait")), -3)
    545000.0
    """
    w_m, h_m = ground_size_m(bbox)
    fw, fh = page.frame_mm
    return max(w_m / (fw / 1000.0), h_m / (fh / 1000.0))


def nice_scale(denominator: float) -> int:
    """The next "round" scale at or above ``denominator`` (1, 2, 2.5 or 5 × 10ⁿ).

    So the printed scale is one a reader can use.

    >>> nice_scale(545369), nice_scale(10000), nice_scale(1234), nice_scale(21000)
    (1000000, 10000, 2000, 25000)
    """
    exp = 10 ** math.floor(math.log10(denominator))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= denominator * (1 - 1e-9):
            return int(step * exp)
    return int(10 * exp)  # pragma: no cover - the loop always returns


def framed_bbox(
    bbox: tuple[float, float, float, float], page: Page, denominator: float
) -> tuple[float, float, float, float]:
    """The WGS84 box the map frame shows at 1:``denominator``, centred on ``bbox``.

    The frame's aspect, so one scale holds across the map; degrees per metre taken at the centre.

    >>> b = framed_bbox((110.0, 21.0, 111.0, 22.0), Page("A4", "portrait"), 1_000_000)
    >>> [round(v, 3) for v in b]
    [109.583, 20.385, 111.417, 22.615]
    """
    minx, miny, maxx, maxy = bbox
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    fw, fh = page.frame_mm
    half_w_m = denominator * fw / 1000.0 / 2
    half_h_m = denominator * fh / 1000.0 / 2
    # metres per degree at the centre, measured on the ellipsoid
    m_per_deg_x = _GEOD.inv(cx - 0.5, cy, cx + 0.5, cy)[2]
    m_per_deg_y = _GEOD.inv(cx, cy - 0.5, cx, cy + 0.5)[2]
    dx, dy = half_w_m / m_per_deg_x, half_h_m / m_per_deg_y
    return (cx - dx, cy - dy, cx + dx, cy + dy)


def scale_bar_length_m(denominator: float, max_mm: float = 40.0) -> float:
    """The longest round ground length (1, 2 or 5 × 10ⁿ m) whose bar is at most ``max_mm`` long.

    >>> scale_bar_length_m(1_000_000), scale_bar_length_m(25_000), scale_bar_length_m(7_000)
    (20000.0, 1000.0, 200.0)
    """
    limit = denominator * max_mm / 1000.0
    exp = 10 ** math.floor(math.log10(limit))
    best = float(exp)
    for step in (1, 2, 5):
        if step * exp <= limit:
            best = float(step * exp)
    return best

"""The CJK font of printed maps, and which characters of a label it cannot draw (tofu).

Why WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``, installed by
``scripts/install_system_packages.sh``): matplotlib embeds fonts in PDF either as Type 3 or as
Type 42, and Type 42 needs TrueType (``glyf``) outlines. Noto Sans CJK (``fonts-noto-cjk``) has
CFF outlines in OTF/TTC files, which matplotlib cannot embed as Type 42; WenQuanYi Micro Hei is
TrueType (one ``.ttc`` holding the regular and mono faces) and comes out of ``pdffonts`` as an
embedded, subset ``CID TrueType`` font with a ToUnicode map — so ``pdftotext`` (and a reader's
search) finds the Chinese text. WenQuanYi Zen Hei (``fonts-wqy-zenhei``, also TrueType) is the
fallback. ``ONEMAP_PRINT_FONT_FILE`` picks another TrueType file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from gis_onemap.errors import OneMapError

#: TrueType CJK fonts tried in order when no font file is configured.
CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


class FontMissing(OneMapError):
    """No usable CJK font is installed (a set-up problem, not the client's)."""

    status_code = 503
    code = "ServiceUnavailable"


def find_cjk_font(configured: Path | None = None) -> Path:
    """The font file to print with: ``configured`` when given, else the first installed
    candidate; :class:`FontMissing` when there is none."""
    options = [configured] if configured is not None else list(CANDIDATES)
    for path in options:
        if path.is_file():
            return path
    raise FontMissing(
        "no CJK font for printed maps: install fonts-wqy-microhei "
        "(scripts/install_system_packages.sh) or set ONEMAP_PRINT_FONT_FILE"
    )


@cache
def font_cmap(path: Path) -> frozenset[int]:
    """Code points the font (the first face of a collection) maps to a glyph."""
    if path.suffix.lower() in (".ttc", ".otc"):
        font = TTCollection(str(path), lazy=True).fonts[0]
    else:
        font = TTFont(str(path), lazy=True)
    cmap = font.getBestCmap() or {}
    return frozenset(cmap)


def missing_glyphs(text: str, path: Path) -> list[str]:
    """Characters of ``text`` the font has no glyph for (each once, in order); whitespace and
    control characters need none.

    >>> missing_glyphs("湛江 Zhanjiang 1:25,000", find_cjk_font())
    []
    >>> missing_glyphs("𓀀", find_cjk_font())  # an Egyptian hieroglyph: not a CJK font's job
    ['𓀀']
    """
    cmap = font_cmap(path)
    out: list[str] = []
    for ch in text:
        if ch.isspace() or not ch.isprintable():
            continue
        if ord(ch) not in cmap and ch not in out:
            out.append(ch)
    return out

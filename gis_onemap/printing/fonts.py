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

import hashlib
import os
import tempfile
import threading
from functools import cache
from pathlib import Path

from fontTools import subset
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
    """The font file to print with.

    ``configured`` when given, else the first installed candidate; :class:`FontMissing` when there
    is none.
    """
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
    """Characters of ``text`` the font has no glyph for (each once, in order).

    Whitespace and control characters need none.

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


#: Family name of the reduced font (it must differ from the full font's, which matplotlib's font
#: list may also hold).
CORE_FAMILY = "OneMap Print CJK"
_CORE_LOCK = threading.Lock()


@cache
def core_characters() -> frozenset[str]:
    """GB 2312 plus Latin, punctuation, CJK symbols and full-width forms.

    GB 2312 is 6,763 hanzi and 682 symbols: the characters of everyday Chinese names. Latin is
    Latin, Latin-1 and Latin Extended-A/B; punctuation is general punctuation.

    >>> chars = core_characters()
    >>> len(chars) > 7000, "湛" in chars, "°" in chars, "𓀀" in chars
    (True, True, True, False)
    """
    out = {chr(c) for c in range(0x20, 0x250)}
    for lo, hi in ((0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        out |= {chr(c) for c in range(lo, hi)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def _core_path(full: Path) -> Path:
    stat = full.stat()
    key = hashlib.sha256(f"{full.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|2".encode())
    folder = Path(tempfile.gettempdir()) / "onemap-print-fonts"
    return folder / f"core-{key.hexdigest()[:16]}.ttf"


def core_font(full: Path) -> Path:
    """The first face of ``full`` reduced to :func:`core_characters`.

    Built once per machine (a few seconds) and kept in the temporary folder.

    Why: matplotlib subsets the embedded font for every PDF, and fontTools parses the whole
    file to do it — about 3 s per embed for the 5 MB WenQuanYi collection, under 1 s for the
    reduced font. A label with a character outside the core set is printed with the full font
    (:func:`font_for`), so nothing becomes tofu.
    """
    target = _core_path(full)
    with _CORE_LOCK:
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        font = (
            TTFont(str(full), fontNumber=0) if full.suffix.lower() == ".ttc" else TTFont(str(full))
        )
        if "FFTM" in font:  # FontForge's timestamps: fontTools cannot subset it (and warns)
            del font["FFTM"]
        options = subset.Options()
        options.hinting = False  # print resolution: hinting only bloats the file
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.layout_features = ["*"]
        options.ignore_missing_unicodes = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in core_characters()])
        subsetter.subset(font)
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):
                record.string = CORE_FAMILY
            elif record.nameID == 6:
                record.string = CORE_FAMILY.replace(" ", "")
        # another process may build it too: write aside, then rename (atomic on one file system)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".ttf")
        os.close(fd)
        font.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; other users' servers read it too
        os.replace(tmp, target)
        return target


def font_for(text: str, full: Path) -> Path:
    """The reduced core font when it covers every character of ``text``, else ``full``."""
    needed = {ch for ch in text if not ch.isspace() and ch.isprintable()}
    if needed <= core_characters():
        return core_font(full)
    return full

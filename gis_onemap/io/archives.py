"""Zip archives from clients (zipped Shapefiles, XLSX): sizes and ratios checked, streamed out.

Decompression bombs are refused from the central directory (declared sizes and ratios) and,
because a header may lie, again while each member is streamed in chunks to disk.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from gis_onemap.errors import ImportTooLarge, InvalidInput
from gis_onemap.io.limits import ImportLimits

MAX_ZIP_MEMBERS = 1000
#: Members smaller than this are never refused for their ratio (tiny files compress wildly).
RATIO_FLOOR_BYTES = 1024**2
#: The parts of a Shapefile the reader uses; other members of the zip are never extracted.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_CHUNK = 1024 * 1024


def _name(info: zipfile.ZipInfo) -> str:
    return PurePosixPath(info.filename).name[:80]


def check_member(info: zipfile.ZipInfo, size: int, limits: ImportLimits) -> None:
    """Refuse a member that is (or has grown, while streaming, to ``size`` bytes) too large.

    >>> info = zipfile.ZipInfo("a.dbf"); info.compress_size = 1000
    >>> check_member(info, 5 * 1024**2, ImportLimits())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis_onemap.errors.ImportTooLarge: zip member 'a.dbf' is compressed 5243:1 (...
    """
    if size > limits.max_unzipped_member_bytes:
        raise ImportTooLarge(
            f"zip member '{_name(info)}' unzips to more than {limits.max_unzipped_member_bytes} "
            "bytes (max_unzipped_member_bytes)"
        )
    ratio = size / max(info.compress_size, 1)
    if size > RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
        raise ImportTooLarge(
            f"zip member '{_name(info)}' is compressed {ratio:.0f}:1 (max_zip_ratio "
            f"{limits.max_zip_ratio:g}); refused as a possible decompression bomb"
        )


def check_archive(zf: zipfile.ZipFile, limits: ImportLimits) -> list[zipfile.ZipInfo]:
    """The file members of ``zf`` after checking their declared sizes and ratios."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportTooLarge(f"the zip archive has more than {MAX_ZIP_MEMBERS} members")
    for info in infos:
        check_member(info, info.file_size, limits)
    if sum(i.file_size for i in infos) > limits.max_unzipped_bytes:
        raise ImportTooLarge(
            f"the zip archive unzips to more than {limits.max_unzipped_bytes} bytes "
            "(max_unzipped_bytes)"
        )
    return infos


def extract_members(
    zf: zipfile.ZipFile, members: Iterable[zipfile.ZipInfo], into: Path, limits: ImportLimits
) -> dict[str, Path]:
    """Stream ``members`` in chunks to flat files in ``into`` (no path traversal).

    Counting the bytes really produced: a member whose header lies about its size is caught here.
    """
    out: dict[str, Path] = {}
    total = 0
    for info in members:
        target = into / (PurePosixPath(info.filename).name or "member")
        size = 0
        try:
            with zf.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    check_member(info, size, limits)
                    if total > limits.max_unzipped_bytes:
                        raise ImportTooLarge(
                            f"the zip archive unzips to more than {limits.max_unzipped_bytes} "
                            "bytes (max_unzipped_bytes)"
                        )
                    dst.write(chunk)
        except ImportTooLarge:
            target.unlink(missing_ok=True)
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError, OSError):  # fmt: skip
            target.unlink(missing_ok=True)
            raise InvalidInput(
                f"zip member '{_name(info)}' is corrupt, encrypted or not the size its header "
                "declares"
            ) from None
        out[info.filename] = target
    return out


def check_zip_file(path: Path, limits: ImportLimits) -> None:
    """Check an XLSX (a zip) before a library inflates it: declared sizes and ratios.

    The library reading it then stops at the declared sizes (zipfile checks the CRC), so a
    lying header ends in a corrupt-file error, never in unbounded output.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(zf, limits)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidInput(
            "could not read the Excel file: it is not a valid zip (XLSX) archive"
        ) from None

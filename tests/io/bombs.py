"""Hostile archives for the import tests, built fast: zip bombs, lying headers, codec bombs.

A zip is written by hand (local headers, deflate data, central directory) so that a 1 GiB
member costs one 16 MiB compression repeated (deflate blocks ending in a full flush are
independent) and so that a declared size can lie.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 16 * 1024**2


@dataclass
class Member:
    name: str
    data: bytes  # raw deflate stream (method 8) or stored bytes (method 0)
    crc: int
    size: int  # the size the headers declare
    method: int = 8


def deflated(payload: bytes, name: str) -> Member:
    """A member holding ``payload`` (honest headers)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(payload) + c.flush()
    return Member(name, data, zlib.crc32(payload), len(payload))


def zeros_member(name: str, size: int) -> Member:
    """A member of ``size`` zero bytes (a multiple of 16 MiB), compressed about 1000:1."""
    assert size % _BLOCK == 0
    zeros = bytes(_BLOCK)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, not final
    crc = 0
    for _ in range(size // _BLOCK):
        crc = zlib.crc32(zeros, crc)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    return Member(name, block * (size // _BLOCK) + final, crc, size)


def write_zip(path: Path, members: list[Member]) -> Path:
    """A zip of ``members`` exactly as declared (no zip64: every size < 4 GiB)."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, m.method, 0, 0x21, m.crc, len(m.data),
            m.size, len(name), 0,
        )  # fmt: skip
        out += name + m.data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, m.method, 0, 0x21, m.crc,
            len(m.data), m.size, len(name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))
    return path


def zlib_bomb(size: int) -> bytes:
    """``size`` zero bytes (a multiple of 16 MiB) as a zlib stream: 'decoded' with
    ``encoding=zlib`` a few hundred kilobytes inflate to ``size``."""
    zeros = bytes(_BLOCK)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(size // _BLOCK):
        adler = zlib.adler32(zeros, adler)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    return b"\x78\xda" + block * (size // _BLOCK) + final + struct.pack(">I", adler)

"""The street layer of the base map: a built archive (``basemap_file``) or the loaded road network.

Two sources, one tile URL (``/map/basemap/streets/{z}/{x}/{y}.mvt``) and one vocabulary (layer
``roads`` with ``class`` = gis_onemap road class id, ``name``, ``bridge``...), so the page draws
either with the same style:

- ``basemap_file`` (setting ``ONEMAP_BASEMAP_FILE``): a ``.pmtiles``/``.mbtiles`` archive built
  by ``onemap basemap build`` from an OSM extract (layers ``roads``, ``water``, ``landuse``,
  ``places``), read locally with the ``pmtiles`` reader or SQLite;
- otherwise the network loaded into ``road_edges`` (``onemap roads load`` or the demo's synthetic
  one), drawn with ``ST_AsMVT`` per request: the demo city gets streets with no OSM file, and a
  re-loaded network shows at once. Small classes appear only from the zoom in
  :data:`ROAD_MINZOOM` up, so a city-wide tile stays small.

The district base map (:mod:`gis_onemap.web.basemap`) stays underneath as the fallback.
"""

from __future__ import annotations

import gzip
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.errors import InvalidInput

SQL_DIR = Path(__file__).resolve().parent / "sql"
#: The smallest zoom at which each road class is drawn (as in ``web/basemap/process.lua``).
ROAD_MINZOOM: dict[str, int] = {
    "expressway": 6, "national": 7, "urban_expressway": 8, "provincial": 8, "ferry": 9,
    "county": 9, "arterial": 10, "township": 11, "secondary": 11, "branch": 13, "village": 13,
}  # fmt: skip
#: Tiles above this zoom are over-zoomed by the client.
MAX_ZOOM = 14
ROADS_LAYER = "roads"


def classes_at(z: int) -> list[str]:
    """Road classes drawn at zoom ``z``.

    >>> classes_at(6), len(classes_at(14)) == len(ROAD_MINZOOM)
    (['expressway'], True)
    """
    return [c for c, mz in ROAD_MINZOOM.items() if z >= mz]


@lru_cache(maxsize=1)
def _tile_sql() -> str:
    return (SQL_DIR / "streets_tile.sql").read_text(encoding="utf-8")


def network_tile(session: Session, z: int, x: int, y: int) -> bytes:
    """The ``roads`` MVT layer of tile z/x/y from ``road_edges`` (empty bytes when none)."""
    classes = classes_at(z)
    if not classes:
        return b""
    row = session.execute(
        text(_tile_sql()), {"z": z, "x": x, "y": y, "classes": classes, "layer": ROADS_LAYER}
    ).scalar_one()
    return bytes(row or b"")


@dataclass
class Archive:
    """A ``.pmtiles`` or ``.mbtiles`` vector-tile archive opened for reading (thread-safe)."""

    path: Path
    minzoom: int
    maxzoom: int
    layers: list[str]
    _lock: threading.Lock
    _handle: Any

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The uncompressed MVT of z/x/y, or ``None`` when the archive has no such tile."""
        with self._lock:
            if self.path.suffix == ".pmtiles":
                data = self._handle.get(z, x, y)
            else:
                row = self._handle.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=?"
                    " AND tile_row=?",
                    (z, x, (1 << z) - 1 - y),  # MBTiles rows count from the south (TMS)
                ).fetchone()
                data = row[0] if row else None
        if data is None:
            return None
        data = bytes(data)
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _layer_ids(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("json")
    doc = orjson.loads(raw) if isinstance(raw, str | bytes) else meta
    return [str(v.get("id")) for v in doc.get("vector_layers", [])]


@lru_cache(maxsize=4)
def open_archive(path: Path) -> Archive:
    """Open a base-map archive once per path; :class:`InvalidInput` when it cannot be read."""
    if not path.is_file():
        raise InvalidInput(f"base-map archive '{path.name}' not found")
    try:
        if path.suffix == ".pmtiles":
            from pmtiles.reader import MmapSource, Reader

            reader = Reader(MmapSource(path.open("rb")))
            header, meta = reader.header(), reader.metadata()
            return Archive(path, int(header["min_zoom"]), int(header["max_zoom"]),
                           _layer_ids(meta), threading.Lock(), reader)  # fmt: skip
        if path.suffix in (".mbtiles", ".sqlite"):
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
            zooms = con.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
            return Archive(path, int(zooms[0] or 0), int(zooms[1] or 0), _layer_ids(meta),
                           threading.Lock(), con)  # fmt: skip
    except (OSError, sqlite3.Error, ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot read base-map archive '{path.name}'") from exc
    raise InvalidInput(f"base-map archive '{path.name}' is not .pmtiles or .mbtiles")

"""PMTiles archives of the vector tiles: ``onemap tiles export`` and the offline bundles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write as pmtiles_write
from sqlalchemy.orm import Session
from tqdm import tqdm

from gis_onemap.categories import Category
from gis_onemap.tiles import metadata
from gis_onemap.tiles.grid import TileIndex
from gis_onemap.tiles.service import TileFilters, TileService
from gis_onemap.tiles.sources import SessionSource


def write_pmtiles(
    out: Path,
    service: TileService,
    session: Session,
    categories: Sequence[Category],
    tiles: Sequence[TileIndex],
    area: tuple[float, float, float, float],
    zooms: tuple[int, int],
    *,
    progress: bool = False,
) -> int:
    """Write the non-empty tiles (gzip MVT, as cached) in tile-id order; returns their count.

    ``tiles`` must be sorted by tile id (PMTiles' clustered order); ``progress`` shows a bar on
    the terminal (the CLI's export).
    """
    written = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with pmtiles_write(str(out)) as writer:
        for tile in tqdm(tiles, desc=f"export {out.name}", unit="tile", disable=not progress):
            data = service.mvt_bytes(SessionSource(session), categories, tile, TileFilters())
            if data:
                writer.write_tile(zxy_to_tileid(tile.z, tile.x, tile.y), data)
                written += 1
        if written == 0:
            return 0
        center = metadata.center_of(area, zooms[0])
        e7 = [round(v * 10_000_000) for v in area]
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": e7[0],
            "min_lat_e7": e7[1],
            "max_lon_e7": e7[2],
            "max_lat_e7": e7[3],
            "center_zoom": zooms[0],
            "center_lon_e7": round(center[0] * 10_000_000),
            "center_lat_e7": round(center[1] * 10_000_000),
        }
        doc = metadata.tilejson(
            name="onemap" if len(categories) > 1 else categories[0].id,
            description="应急一张图 offline tiles",
            tiles_url="",
            categories=categories,
            bounds=area,
            cluster_below_zoom=service.cluster_below_zoom,
        )
        meta = {k: doc[k] for k in ("name", "description", "attribution", "vector_layers")}
        writer.finalize(header, meta)
    return written

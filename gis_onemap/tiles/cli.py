"""``onemap tiles seed`` (pre-render the disk cache) and ``onemap tiles export`` (PMTiles)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from pmtiles.tile import zxy_to_tileid
from sqlalchemy.orm import Session
from tqdm import tqdm

from gis_onemap.categories import CATEGORIES, Category, get_category
from gis_onemap.cli.session import cli_session
from gis_onemap.errors import OneMapError
from gis_onemap.query.items import check_wgs84_bbox, parse_bbox
from gis_onemap.settings import get_settings
from gis_onemap.tiles.grid import parse_zoom_range, tiles_covering
from gis_onemap.tiles.pmtiles_archive import write_pmtiles
from gis_onemap.tiles.service import TileFilters, TileService
from gis_onemap.tiles.sources import SessionSource

ZoomOption = Annotated[str, typer.Option("--zoom", help="Zoom range, e.g. 0-14 or 12.")]
BboxOption = Annotated[
    str | None,
    typer.Option("--bbox", help="minlon,minlat,maxlon,maxlat (default: the data's extent)."),
]
CollectionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--collection",
        "-c",
        help="Collection id, or 'all' for the 8-layer tiles of /tiles (repeatable; default all).",
    ),
]
#: Commit (and so refresh the data version read) every so many tiles while seeding.
COMMIT_EVERY = 200


def _scopes(collections: Sequence[str] | None) -> list[list[Category]]:
    """Layer sets to render: ``all`` → the 8 categories together, an id → that category."""
    out = []
    for name in collections or ["all"]:
        out.append(list(CATEGORIES) if name == "all" else [get_category(name)])
    return out


def _area(
    session: Session, bbox: str | None, categories: Sequence[Category]
) -> tuple[float, float, float, float] | None:
    box = parse_bbox(bbox)
    if box is not None:
        check_wgs84_bbox(box)
        return box
    return TileService.extent(session, categories)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def seed(
    zoom: ZoomOption = "0-14",
    bbox: BboxOption = None,
    collection: CollectionOption = None,
    png: Annotated[bool, typer.Option(help="Also render the PNG tiles.")] = False,
) -> None:
    """Pre-render tiles into the disk cache (ONEMAP_TILE_CACHE_DIR) that the server reads."""
    settings = get_settings()
    if settings.tile_cache_dir is None:
        raise _fail("set ONEMAP_TILE_CACHE_DIR: seeding fills the server's disk tile cache")
    try:
        zooms = parse_zoom_range(zoom)
        scopes = _scopes(collection)
        service = TileService(settings)
        with cli_session(settings) as session:
            for categories in scopes:
                area = _area(session, bbox, categories)
                if area is None:
                    typer.echo(f"{'+'.join(c.id for c in categories)}: no features, skipped")
                    continue
                tiles = list(tiles_covering(area, zooms))
                name = "all" if len(categories) == len(CATEGORIES) else categories[0].id
                stored = 0
                for i, tile in enumerate(tqdm(tiles, desc=f"seed {name}", unit="tile")):
                    source = SessionSource(session)
                    stored += bool(service.mvt_bytes(source, categories, tile, TileFilters()))
                    if png:
                        service.answer(source, categories, tile, TileFilters(), png=True)
                    if i % COMMIT_EVERY == COMMIT_EVERY - 1:
                        session.commit()
                typer.echo(f"{name}: {len(tiles)} tiles, {stored} not empty, zoom {zoom}")
    except OneMapError as exc:
        raise _fail(exc.message) from None


def export(
    out: Annotated[Path, typer.Option("--out", help="The .pmtiles file to write.")],
    zoom: ZoomOption = "0-14",
    bbox: BboxOption = None,
    collection: CollectionOption = None,
) -> None:
    """Write the vector tiles of an area to a PMTiles archive for offline use."""
    settings = get_settings()
    try:
        zooms = parse_zoom_range(zoom)
        scopes = _scopes(collection)
        if len(scopes) != 1:
            raise _fail("export one layer set: a collection id or 'all'")
        categories = scopes[0]
        service = TileService(settings)
        with cli_session(settings) as session:
            area = _area(session, bbox, categories)
            if area is None:
                raise _fail("there are no features to export")
            tiles = sorted(tiles_covering(area, zooms), key=lambda t: zxy_to_tileid(*t))
            written = write_pmtiles(
                out, service, session, categories, tiles, area, zooms, progress=True
            )
    except OneMapError as exc:
        raise _fail(exc.message) from None
    if written == 0:
        out.unlink(missing_ok=True)
        raise _fail("every tile of the area is empty: nothing written")
    typer.echo(f"wrote {out}: {written} tiles (zoom {zoom})")


def register(app: typer.Typer) -> None:
    """Add the ``tiles`` command group to the ``onemap`` CLI."""
    tiles_app = typer.Typer(help="Map tiles: pre-render the cache, export PMTiles.")
    tiles_app.command("seed")(seed)
    tiles_app.command("export")(export)
    app.add_typer(tiles_app, name="tiles")

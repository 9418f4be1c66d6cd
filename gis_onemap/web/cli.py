"""``onemap basemap build``: the street base map from an OSM extract (see :mod:`basemap_build`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gis_onemap.errors import OneMapError

basemap_app = typer.Typer(help="The street base map: build vector tiles from an OSM extract.")


@basemap_app.command("build")
def build(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An .osm.pbf extract")],
    out: Annotated[
        Path, typer.Option("--out", help="The archive to write: .pmtiles or .mbtiles")
    ] = Path("basemap.pmtiles"),
    bbox: Annotated[str | None, typer.Option(help="minlon,minlat,maxlon,maxlat")] = None,
    threads: Annotated[int, typer.Option(min=0, help="tilemaker threads (0 = all cores)")] = 1,
) -> None:
    """Build roads (by class, with names), water, land use and place labels.

    Then serve it with ONEMAP_BASEMAP_FILE=<the archive>.
    """
    from gis_onemap.query.items import check_wgs84_bbox, parse_bbox
    from gis_onemap.web.basemap_build import build_basemap

    try:
        box = None
        if bbox:
            parsed = parse_bbox(bbox)
            assert parsed is not None
            check_wgs84_bbox(parsed)
            box = (parsed[0], parsed[1], parsed[2], parsed[3])
        report = build_basemap(file, out, box, threads)
    except OneMapError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add the ``basemap`` command group to the ``onemap`` CLI."""
    app.add_typer(basemap_app, name="basemap")

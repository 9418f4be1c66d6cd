"""``onemap bundle``: an offline bundle (zip) of an area, a region or an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis_onemap.bundle.build import BundleRequest, build_bundle
from gis_onemap.cli.session import cli_session
from gis_onemap.printing.cli import (
    BboxOpt,
    CrsOpt,
    FilterOpt,
    IncidentOpt,
    LayersOpt,
    RadiusOpt,
    RegionOpt,
)
from gis_onemap.settings import get_settings


def bundle_command(
    out: Annotated[Path, typer.Option("--out", help="area.zip")],
    bbox: BboxOpt = None,
    region_code: RegionOpt = None,
    incident: IncidentOpt = None,
    radius_m: RadiusOpt = None,
    layers: LayersOpt = None,
    filter: FilterOpt = None,
    title: Annotated[str | None, typer.Option(help="Title of the map")] = None,
    crs: CrsOpt = 4490,
    gbk_csv: Annotated[bool, typer.Option("--gbk-csv", help="Also GBK CSV files")] = False,
) -> None:
    """GeoPackage, offline HTML map, PDF map, PMTiles and spreadsheet of an area, in one zip."""
    settings = get_settings()
    with cli_session(settings) as session:
        req = BundleRequest(
            bbox=bbox, region_code=region_code, incident_id=incident, radius_m=radius_m,
            layers=list(layers or []), filters=list(filter or []), title=title,
            crs=crs, gbk_csv=gbk_csv,
        )  # fmt: skip
        report = build_bundle(session, settings, req, out)
    typer.echo(f"wrote {out}: {', '.join(report.members)}")


def register(app: typer.Typer) -> None:
    """Add ``onemap bundle`` to the CLI."""
    app.command("bundle")(bundle_command)

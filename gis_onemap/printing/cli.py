"""``onemap print``: a print-ready map (PDF or PNG, A4/A3) of an area, a region or an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis_onemap.cli.session import cli_session
from gis_onemap.errors import InvalidInput
from gis_onemap.printing.fonts import missing_glyphs
from gis_onemap.printing.render import render_map
from gis_onemap.printing.service import PrintRequest, prepare
from gis_onemap.settings import get_settings

BboxOpt = Annotated[str | None, typer.Option("--bbox", help="minlon,minlat,maxlon,maxlat (WGS84)")]
RegionOpt = Annotated[
    str | None, typer.Option("--region-code", help="A region code, e.g. 440803 (霞山区)")
]
IncidentOpt = Annotated[int | None, typer.Option("--incident", help="An incident id")]
RadiusOpt = Annotated[
    float | None, typer.Option("--radius-m", help="Radius around the incident (m, default 5000)")
]
LayersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layers",
        "-l",
        help="Layers (comma-separated or repeated): the 8 category ids, 'surroundings'... "
        "Default: the 8 categories (an incident: its surroundings).",
    ),
]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option("--filter", help="layer:CQL2, e.g. 'hazard_sources:level = 1' (repeatable)"),
]
CrsOpt = Annotated[int, typer.Option("--crs", help="4490 (CGCS2000) or 4326 (WGS84)")]


def _format_of(out: Path) -> str:
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in ("pdf", "png"):
        raise InvalidInput("--out must end in .pdf or .png")
    return suffix


def print_command(
    out: Annotated[Path, typer.Option("--out", help="map.pdf or map.png")],
    bbox: BboxOpt = None,
    region_code: RegionOpt = None,
    incident: IncidentOpt = None,
    radius_m: RadiusOpt = None,
    layers: LayersOpt = None,
    filter: FilterOpt = None,
    title: Annotated[str | None, typer.Option(help="Title (default from the area)")] = None,
    paper: Annotated[str, typer.Option(help="A4 or A3")] = "A4",
    landscape: Annotated[bool, typer.Option("--landscape", help="Landscape page")] = False,
    crs: CrsOpt = 4490,
    grid: Annotated[bool, typer.Option("--grid", help="Draw a coordinate grid")] = False,
) -> None:
    """Print a map with title, legend, scale bar, north arrow, date, sources and CRS."""
    settings = get_settings()
    with cli_session(settings) as session:
        req = PrintRequest(
            bbox=bbox, region_code=region_code, incident_id=incident, radius_m=radius_m,
            layers=list(layers or []), filters=list(filter or []), title=title,
            paper=paper.upper(), orientation="landscape" if landscape else "portrait",  # type: ignore[arg-type]
            format=_format_of(out), crs=crs, grid=grid,  # type: ignore[arg-type]
        )  # fmt: skip
        prepared = prepare(session, settings, req)
    rendered = render_map(prepared.spec, req.format, settings.print_png_dpi)
    tofu = missing_glyphs("".join(rendered.labels), rendered.font_file)
    if tofu:  # a set-up problem (a font without these characters): say so, still write
        typer.echo(f"warning: the font has no glyph for {''.join(tofu)}", err=True)
    out.write_bytes(rendered.content)
    n = sum(len(layer.gdf) for layer in prepared.layers)
    typer.echo(
        f"wrote {out}: {req.paper} {req.orientation}, 1:{prepared.spec.denominator:,}, "
        f"{n} features in {len(prepared.layers)} layers"
    )


def register(app: typer.Typer) -> None:
    """Add ``onemap print`` to the CLI."""
    app.command("print")(print_command)

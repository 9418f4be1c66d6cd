"""``onemap load`` and ``onemap export``: import and export files from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from gis_onemap.errors import OneMapError

ON_DUPLICATE_HELP = "What to do with a row within the duplicate distance of a similar name."


def _report(exc: OneMapError, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"error": exc.message, "details": exc.details}, ensure_ascii=False))
    else:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        details = exc.details if isinstance(exc.details, dict) else {}
        for entry in details.get("rejected", [])[:20]:
            where = f"row {entry['row']}" + (f" (line {entry['line']})" if "line" in entry else "")
            typer.echo(f"  {where}: {'; '.join(entry['reasons'])}", err=True)
        if details.get("rejected_count", 0) > 20:
            typer.echo(f"  ... and {details['rejected_count'] - 20} more", err=True)
        for dup in details.get("duplicates", [])[:20]:
            typer.echo(
                f"  row {dup['row']}: duplicate of feature {dup['existing_id']} "
                f"'{dup['existing_name']}' ({dup['distance_m']} m)",
                err=True,
            )


class _Bar:
    """A tqdm progress bar per stage (read, validate, write)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit="rows", unit_scale=True, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def load(
    path: Path = typer.Argument(..., help="CSV, XLSX, GeoJSON, Shapefile (.shp/.zip), GPKG, KML."),
    category: str = typer.Option(
        None, "--category", "-c", help="Collection id, e.g. shelters (or population)."
    ),
    crs: str = typer.Option(None, help="Source CRS: EPSG:4490, EPSG:4549, gcj02, bd09 ..."),
    layer: str = typer.Option(
        None,
        help="Layer (GeoPackage), sheet (XLSX) or Shapefile in zip; 'population' alone "
        "(no --category) imports the file into the population layer.",
    ),
    encoding: str = typer.Option(None, help="Text encoding (default: UTF-8, else GBK/GB18030)."),
    file_format: str = typer.Option(None, "--format", help="Format, if not from the extension."),
    on_duplicate: str = typer.Option("skip", help=ON_DUPLICATE_HELP + " skip|update|error"),
    distance: float = typer.Option(None, help="Duplicate distance in metres (default 10)."),
    skip_invalid: bool = typer.Option(False, help="Import the valid rows, report the others."),
    dry_run: bool = typer.Option(False, help="Validate and report; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Import a file into a collection: every row is checked first; all or nothing."""
    if category == "population" or (category is None and layer == "population"):
        from gis_onemap.planning.cli import load_population  # issue 15: auxiliary layer

        sub = None if category is None else layer
        load_population(path, crs=crs, layer=sub, encoding=encoding, dry_run=dry_run,
                        as_json=as_json)  # fmt: skip
        return
    if category is None:
        raise typer.BadParameter("--category is required (a collection id, e.g. shelters)")
    from gis_onemap.categories import get_category
    from gis_onemap.cli.session import cli_session
    from gis_onemap.settings import get_settings
    from gis_onemap.usecases.context import Caller
    from gis_onemap.usecases.transfer import ImportRequest, import_features

    bar = _Bar(progress and not as_json)
    settings = get_settings()

    def fail(exc: OneMapError) -> None:
        bar.close()
        _report(exc, as_json)

    req = ImportRequest(
        crs=crs, layer=layer, encoding=encoding, format=file_format,
        on_duplicate=on_duplicate,  # type: ignore[arg-type]
        skip_invalid=skip_invalid, dry_run=dry_run, duplicate_distance_m=distance,
    )  # fmt: skip
    with cli_session(settings, exit_code=1, report=fail) as session:
        cat = get_category(category)
        report = import_features(session, Caller(settings), cat, path, req, progress=bar)
    bar.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str))
        return
    typer.echo(f"{report.file} → {report.collection} ({report.format}, {report.crs}): ")
    typer.echo(report.summary())
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW)
    for entry in report.rejected[:20]:
        typer.echo(f"  rejected row {entry['row']}: {'; '.join(entry['reasons'])}")
    for dup in report.duplicates[:20]:
        typer.echo(
            f"  duplicate row {dup['row']} ≈ feature {dup['existing_id']} "
            f"'{dup['existing_name']}' ({dup['distance_m']} m): {dup['action']}"
        )


def export(
    category: str = typer.Option(..., "--category", "-c", help="Collection id, e.g. shelters."),
    file_format: str = typer.Option(..., "--format", "-f", help="geojson|gpkg|shp|csv|kml|fgb"),
    out: Path = typer.Option(..., "--out", "-o", help="Output file."),
    crs: str = typer.Option(None, help="Output CRS (default WGS84): EPSG:4490, gcj02 ..."),
    bbox: str = typer.Option(None, help="minx,miny,maxx,maxy (in --bbox-crs, default WGS84)."),
    bbox_crs: str = typer.Option(None, "--bbox-crs", help="CRS of --bbox."),
    cql_filter: str = typer.Option(None, "--filter", help="CQL2 text filter, e.g. level<=2."),
    include_personal: bool = typer.Option(False, help="Include personal data (phones, e-mail)."),
    encoding: str = typer.Option(None, help="CSV/Shapefile encoding (default UTF-8; e.g. GBK)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Export a collection (or the features matching --bbox/--filter) to a file, streamed."""
    from tqdm import tqdm

    from gis_onemap.categories import get_category
    from gis_onemap.cli.session import cli_session
    from gis_onemap.crs.edge import bbox_to_wgs84, output_crs
    from gis_onemap.db.tables import table_for
    from gis_onemap.query.items import filter_clause, parse_bbox
    from gis_onemap.settings import get_settings
    from gis_onemap.usecases.context import Caller
    from gis_onemap.usecases.transfer import export_features

    bar = tqdm(desc="export", unit="features", unit_scale=True, disable=not progress)
    settings = get_settings()

    def fail(exc: OneMapError) -> None:
        bar.close()
        _report(exc, False)

    with cli_session(settings, commit=False, exit_code=1, report=fail) as session:
        cat = get_category(category)
        table = table_for(cat.id)
        where = [c for c in [filter_clause(cql_filter, None, cat, table)] if c is not None]
        result = export_features(
            session, Caller(settings, include_personal), cat, file_format, out,
            crs=output_crs(crs), bbox=bbox_to_wgs84(parse_bbox(bbox), bbox_crs), where=where,
            encoding=encoding, progress=lambda n: bar.update(n - bar.n),
        )  # fmt: skip
    bar.close()
    names = ", ".join(str(p) for p in result.files)
    typer.echo(f"exported {result.count} features of {cat.id} to {names}")


def register(app: typer.Typer) -> None:
    """Add ``load`` and ``export`` to the ``onemap`` command."""
    app.command("load")(load)
    app.command("export")(export)

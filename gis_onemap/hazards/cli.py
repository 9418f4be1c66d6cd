"""``onemap hazards release-zones`` and ``onemap hazards risk-map``.

The same use cases as ``POST /analysis/release-zones`` and ``GET /analysis/risk-map``, written to
GeoJSON or a GeoPackage (``.gpkg``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gis_onemap.cli.session import cli_session

hazards_app = typer.Typer(help="Chemical release zones and the four-colour risk map.")


def _write(fc: dict[str, Any], out: Path | None, layer: str) -> None:
    if out is None:
        typer.echo(json.dumps(fc, ensure_ascii=False, default=str))
        return
    if out.suffix.lower() == ".gpkg":
        from gis_onemap.analysis.cli import write_gpkg

        write_gpkg({layer: fc}, out)
    else:
        out.write_text(json.dumps(fc, ensure_ascii=False, default=str), encoding="utf-8")
    typer.echo(f"wrote {len(fc['features'])} features to {out}")


@hazards_app.command("release-zones")
def release_zones_cmd(
    substance: Annotated[str, typer.Option(help="GB 18218 name/alias, CAS or UN number")],
    wind_from: Annotated[float, typer.Option(help="Direction the wind blows FROM (degrees)")],
    wind_speed: Annotated[float, typer.Option(help="Wind speed (m/s)")],
    lon: Annotated[float | None, typer.Option(help="Release longitude")] = None,
    lat: Annotated[float | None, typer.Option(help="Release latitude")] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of lon/lat")] = None,
    hazard_source: Annotated[int | None, typer.Option(help="Release at this hazard source")] = None,
    amount: Annotated[str | None, typer.Option(help="small or large")] = None,
    tonnes: Annotated[float | None, typer.Option(help="Released mass (t)")] = None,
    container: Annotated[
        str | None, typer.Option(help="ERG Table 3 container of a large spill (default: largest)")
    ] = None,
    time: Annotated[str, typer.Option(help="day or night")] = "day",
    close_roads: Annotated[
        bool, typer.Option(help="Store the zones as road closures (committed)")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write .geojson or .gpkg here")] = None,
) -> None:
    """Isolation circle and downwind protective-action zone of a release, with what is inside."""
    from gis_onemap.hazards.release import close_roads as store_closures
    from gis_onemap.hazards.usecases import release_zones_of
    from gis_onemap.settings import get_settings

    body = {k: v for k, v in {
        "lon": lon, "lat": lat, "crs": crs, "hazard_source_id": hazard_source,
        "substance": substance, "amount": amount, "tonnes": tonnes, "time": time,
        "container": container,
        "wind_from_deg": wind_from, "wind_speed_ms": wind_speed,
    }.items() if v is not None}  # fmt: skip
    settings = get_settings()
    with cli_session(settings) as session:
        fc = release_zones_of(session, settings, body)
        if close_roads:
            fc["road_closure_ids"] = store_closures(session, fc, "cli")
    _write(fc, out, "release_zones")


@hazards_app.command("risk-map")
def risk_map_cmd(
    cell: Annotated[str, typer.Option(help="hex or square")] = "hex",
    size_m: Annotated[float, typer.Option(help="Cell side / hexagon edge (m)")] = 500.0,
    unit: Annotated[str | None, typer.Option(help="'district' for administrative units")] = None,
    bbox: Annotated[str | None, typer.Option(help="minlon,minlat,maxlon,maxlat")] = None,
    out: Annotated[Path | None, typer.Option(help="Write .geojson or .gpkg here")] = None,
) -> None:
    """The four-colour risk map (红橙黄蓝) with every cell's inputs."""
    from gis_onemap.hazards.usecases import RiskRequest, risk_map_of
    from gis_onemap.settings import get_settings

    if cell not in ("hex", "square") or unit not in (None, "cell", "district"):
        typer.echo("error: --cell must be hex or square, --unit cell or district", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    with cli_session(settings) as session:
        params = RiskRequest(cell=cell, size_m=size_m, unit=unit, bbox=bbox)  # type: ignore[arg-type]
        fc = risk_map_of(session, settings, params)
    if out is not None and out.suffix.lower() == ".gpkg":
        for f in fc["features"]:  # flat columns in the GeoPackage
            f["properties"].update(f["properties"].pop("inputs"))
    _write(fc, out, "risk_map")
    typer.echo(f"classes: {fc['classes']}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``hazards`` to the ``onemap`` command."""
    app.add_typer(hazards_app, name="hazards")

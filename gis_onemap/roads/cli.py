"""``onemap roads load|info|route``: the road network from the command line (thin adapters over
:mod:`gis_onemap.roads.load` and :class:`gis_onemap.roads.service.RoadService`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gis_onemap.analysis.inputs import origin_from
from gis_onemap.cli.session import cli_session
from gis_onemap.errors import InvalidInput
from gis_onemap.query.items import check_wgs84_bbox, parse_bbox

roads_app = typer.Typer(help="The road network: load it, inspect it, route on it.")


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(f"{what} must look like KEY=VALUE, got '{item}'")
        out[key.strip()] = value.strip()
    return out


_Text = str | None
FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help=".osm.pbf, .shp, .gpkg, .geojson, .zip")
]
Pairs = list[str] | None


@roads_app.command("load")
def load(
    file: FileArg,
    bbox: Annotated[_Text, typer.Option(help="OSM only: minlon,minlat,maxlon,maxlat")] = None,
    layer: Annotated[_Text, typer.Option(help="Layer of a multi-layer file")] = None,
    encoding: Annotated[_Text, typer.Option(help="Attribute encoding, e.g. GBK")] = None,
    class_field: Annotated[str, typer.Option(help="Field with the road class")] = "road_class",
    name_field: Annotated[_Text, typer.Option(help="Field with the road name")] = "name",
    speed_field: Annotated[_Text, typer.Option(help="Field with a speed (km/h)")] = None,
    oneway_field: Annotated[_Text, typer.Option(help="Field marking one-way roads")] = None,
    bridge_field: Annotated[_Text, typer.Option()] = None,
    tunnel_field: Annotated[_Text, typer.Option()] = None,
    ferry_minutes_field: Annotated[_Text, typer.Option(help="Ferry crossing (min)")] = None,
    class_map: Annotated[Pairs, typer.Option(help="VALUE=CLASS for own class values")] = None,
    speed: Annotated[Pairs, typer.Option(help="CLASS=KMH overriding a class's speed")] = None,
    snap_m: Annotated[float, typer.Option(help="Layer ends closer are one node (m)")] = 0.5,
) -> None:
    """Replace the road network with FILE (atomic: a failed load keeps the previous one)."""
    from gis_onemap.roads.load import LayerMapping, load_network, read_layer, read_osm_pbf

    speeds: dict[str, float] = {}
    for cls, kmh in _pairs(speed, "--speed").items():
        try:
            speeds[cls] = float(kmh)
        except ValueError:
            raise typer.BadParameter(f"--speed {cls}={kmh}: not a number") from None
    with cli_session() as session:
        if file.name.lower().endswith(".osm.pbf") or file.suffix.lower() == ".pbf":
            box = None
            if bbox:
                box = parse_bbox(bbox)
                if box is None or len(box) != 4:
                    raise InvalidInput("--bbox needs minlon,minlat,maxlon,maxlat")
                check_wgs84_bbox(box)
            frame = read_osm_pbf(file, box)  # type: ignore[arg-type]
        else:
            mapping = LayerMapping(
                class_field=class_field, name_field=name_field, speed_field=speed_field,
                oneway_field=oneway_field, bridge_field=bridge_field, tunnel_field=tunnel_field,
                ferry_minutes_field=ferry_minutes_field,
                class_values=_pairs(class_map, "--class-map"),
            )  # fmt: skip
            frame = read_layer(file, mapping, layer=layer, encoding=encoding, snap_m=snap_m)
        report = load_network(session, frame, file.name, speeds)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


@roads_app.command("info")
def info() -> None:
    """The loaded network's report (edges, km by class, pieces)."""
    from gis_onemap.roads.service import require_network

    with cli_session() as session:
        typer.echo(json.dumps(require_network(session), ensure_ascii=False, indent=2))


@roads_app.command("route")
def route(
    from_: Annotated[str, typer.Option("--from", help="lon,lat")],
    to: Annotated[str, typer.Option(help="lon,lat")],
    crs: Annotated[str | None, typer.Option(help="CRS of both points (default WGS84)")] = None,
) -> None:
    """The fastest route between two points as GeoJSON (ETA, length, road names)."""
    from gis_onemap.roads.service import RoadService

    def point(text: str, what: str):  # type: ignore[no-untyped-def]
        parts = text.split(",")
        if len(parts) != 2:
            raise typer.BadParameter(f"{what} must be lon,lat")
        return origin_from(parts[0], parts[1], crs)

    with cli_session() as session:
        feature = RoadService(session).route(point(from_, "--from"), point(to, "--to"))
    typer.echo(json.dumps(feature, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``roads`` to the ``onemap`` command."""
    app.add_typer(roads_app, name="roads")

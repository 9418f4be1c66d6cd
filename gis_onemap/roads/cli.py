"""``onemap roads load|info|route|service-area|closures``.

The road network from the command line (thin adapters over :mod:`gis_onemap.roads.load`,
:class:`gis_onemap.roads.service.RoadService` and
:class:`gis_onemap.roads.closures.ClosureRepository`).
"""

from __future__ import annotations

import json
from datetime import datetime
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
            frame = read_osm_pbf(file, box)
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


@roads_app.command("service-area")
def service_area(
    lon: Annotated[float, typer.Option(help="Longitude (or easting in --crs)")],
    lat: Annotated[float, typer.Option(help="Latitude (or northing in --crs)")],
    minutes: Annotated[str, typer.Option(help="Bands in minutes, e.g. 10,20,30")] = "10,20,30",
    direction: Annotated[
        str, typer.Option(help="from: where one gets to; to: from where")
    ] = "from",
    crs: Annotated[str | None, typer.Option(help="CRS of the point (default WGS84)")] = None,
    avoid: Annotated[str, typer.Option(help="closures and/or hazard_zones")] = "closures",
) -> None:
    """Service-area bands around a point as a GeoJSON FeatureCollection."""
    from gis_onemap.roads.service import RoadService, parse_avoid, require_network
    from gis_onemap.settings import get_settings

    if direction not in ("from", "to"):
        raise typer.BadParameter("--direction must be from or to")
    try:
        bands = [float(m) for m in minutes.split(",") if m.strip()]
    except ValueError:
        raise typer.BadParameter("--minutes must be numbers, e.g. 10,20,30") from None
    with cli_session() as session:
        service = RoadService.from_settings(session, get_settings())
        origin = origin_from(lon, lat, crs)
        require_network(session)
        chosen, _ = service.prepare_avoid(parse_avoid(avoid), None, [origin])
        result = service.service_area(origin, bands, towards=direction == "to", avoid=chosen)
    typer.echo(json.dumps(result, ensure_ascii=False))


closures_app = typer.Typer(help="Road closures: add, list, remove.")
roads_app.add_typer(closures_app, name="closures")


@closures_app.command("add")
def closures_add(
    reason: Annotated[str, typer.Option(help="Why the roads are closed")],
    geometry: Annotated[
        str | None, typer.Option(help="Polygon GeoJSON: a file, or the JSON text itself")
    ] = None,
    edge: Annotated[list[int] | None, typer.Option(help="An edge id to close (repeat)")] = None,
    valid_from: Annotated[_Text, typer.Option(help="RFC 3339 start (default: now)")] = None,
    valid_to: Annotated[_Text, typer.Option(help="RFC 3339 end (default: until removed)")] = None,
) -> None:
    """Close the roads in an area and/or edges by id; prints the closure."""
    from gis_onemap.roads.closures import ClosureInput, ClosureRepository

    geom = None
    if geometry is not None:
        raw = Path(geometry).read_text("utf-8") if Path(geometry).is_file() else geometry
        try:
            geom = json.loads(raw)
        except ValueError:
            raise typer.BadParameter("--geometry must be GeoJSON (a file or the text)") from None
        if isinstance(geom, dict) and geom.get("type") == "Feature":
            geom = geom.get("geometry")
    body = ClosureInput(
        reason=reason,
        geometry=geom,
        edge_ids=edge or [],
        valid_from=_when(valid_from, "--valid-from"),
        valid_to=_when(valid_to, "--valid-to"),
    )
    from gis_onemap.settings import get_settings

    limit = get_settings().road_closure_max_vertices
    with cli_session() as session:
        feature = ClosureRepository(session, max_vertices=limit).add(body, created_by="cli")
    typer.echo(json.dumps(feature, ensure_ascii=False))


def _when(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{what} must be an RFC 3339 time") from None


@closures_app.command("list")
def closures_list(
    all_: Annotated[bool, typer.Option("--all", help="Include expired closures")] = False,
) -> None:
    """Active and future closures as a GeoJSON FeatureCollection."""
    from gis_onemap.roads.closures import ClosureRepository

    with cli_session() as session:
        result = ClosureRepository(session).list(include_expired=all_)
    typer.echo(json.dumps(result, ensure_ascii=False))


@closures_app.command("remove")
def closures_remove(closure_id: Annotated[int, typer.Argument(help="Closure id")]) -> None:
    """Remove a closure: its roads open again."""
    from gis_onemap.roads.closures import ClosureRepository

    with cli_session() as session:
        ClosureRepository(session).remove(closure_id)
    typer.echo(f"removed closure {closure_id}")


def register(app: typer.Typer) -> None:
    """Add ``roads`` to the ``onemap`` command."""
    app.add_typer(roads_app, name="roads")

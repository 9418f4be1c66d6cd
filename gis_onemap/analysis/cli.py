"""``onemap nearest``, ``onemap surroundings``, ``onemap buffer``, ``onemap hazard-zones``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from gis_onemap.cli.session import cli_session

LonOpt = typer.Option(None, help="Longitude (or easting in a projected --crs).")
LatOpt = typer.Option(None, help="Latitude (or northing in a projected --crs).")
CrsOpt = typer.Option(None, help="CRS of the coordinates: EPSG code, 'gcj02', 'bd09'.")
CategoryOpt = typer.Option(None, "--category", "-c", help="Category id (repeatable); default all.")


def _run(work: Callable[[Session, Any], Any]) -> Any:
    """Run ``work(session, caller)`` read-only; domain errors: a red message and exit code 1."""
    from gis_onemap.settings import get_settings
    from gis_onemap.usecases.context import Caller

    settings = get_settings()
    with cli_session(settings, commit=False, exit_code=1) as session:
        return work(session, Caller(settings))


def _require_point(lon: float | None, lat: float | None) -> tuple[float, float]:
    if lon is None or lat is None:
        typer.secho("error: give --lon and --lat", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return lon, lat


def _filters(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            typer.secho(f"error: --where '{pair}' is not key=value", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        out[key.strip()] = value.strip()
    return out


def write_geojson(fc: dict[str, Any], out: Path) -> None:
    """A FeatureCollection written to ``out`` as GeoJSON (UTF-8, Chinese kept as is)."""
    out.write_text(json.dumps(fc, ensure_ascii=False, default=str), encoding="utf-8")


def write_gpkg(layers: dict[str, dict[str, Any]], out: Path) -> None:
    """FeatureCollections as layers of one GeoPackage (EPSG:4326; lists/dicts as JSON text)."""
    import geopandas as gpd

    if out.exists():
        out.unlink()
    for name, fc in layers.items():
        if not fc.get("features"):
            continue
        gdf = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")
        if "id" not in gdf.columns:
            gdf.insert(0, "id", [f.get("id") for f in fc["features"]])
        for col in gdf.columns:
            if col != "geometry" and gdf[col].map(lambda v: isinstance(v, list | dict)).any():
                gdf[col] = gdf[col].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
        gdf.to_file(out, layer=name, driver="GPKG")


def nearest(
    lon: float = LonOpt,
    lat: float = LatOpt,
    category: list[str] = CategoryOpt,
    k: int = typer.Option(10, "--k", "-k", help="How many (1–1000)."),
    max_distance: float = typer.Option(None, "--max-distance", help="Search no farther (m)."),
    crs: str = CrsOpt,
    where: list[str] = typer.Option(None, help="Property filter key=value (min_/max_ too)."),
    out: Path = typer.Option(None, help="Write the GeoJSON here instead of printing a table."),
) -> None:
    """The k nearest resources to a point, nearest first (geodesic metres on WGS84)."""
    from gis_onemap.usecases import analysis

    x, y = _require_point(lon, lat)
    filters = _filters(where)

    def work(session: Session, caller: Any) -> dict[str, Any]:
        return analysis.nearest(
            session, caller, lon=x, lat=y, crs=crs, categories=category, filters=filters, k=k,
            max_distance_m=max_distance,
        )  # fmt: skip

    fc = _run(work)
    if out:
        write_geojson(fc, out)
        typer.echo(f"{len(fc['features'])} features → {out}")
        return
    for f in fc["features"]:
        p = f["properties"]
        bearing = "-" if p["bearing_deg"] is None else f"{p['bearing_deg']:.0f}°"
        typer.echo(
            f"{p['distance_m']:>12,.1f} m  {bearing:>5}  {p['category']:<18} {p.get('name')}"
        )


def surroundings(
    lon: float = LonOpt,
    lat: float = LatOpt,
    incident: int = typer.Option(None, help="An incident id instead of --lon/--lat."),
    radius: float = typer.Option(5000.0, help="Search radius (m)."),
    event_category: str = typer.Option(None, help="natural_disaster, accident, ..."),
    event_type: str = typer.Option(None, help="fire, flood, hazardous_chemicals, ..."),
    k: int = typer.Option(None, help="Features per category (default 100)."),
    crs: str = CrsOpt,
    out: Path = typer.Option(..., help="report.json or report.html (offline folium map)."),
) -> None:
    """What lies around a point or incident: the 8 categories with totals, as JSON or a map."""
    from gis_onemap.analysis.schemas import SurroundingsRequest, parse_body
    from gis_onemap.usecases import analysis

    if out.suffix.lower() not in (".json", ".html", ".htm"):
        typer.secho("error: --out must end in .json or .html", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    def work(session: Session, caller: Any) -> dict[str, Any]:
        if incident is not None:
            return analysis.surroundings_around_incident(
                session, caller, incident, radius_m=radius, k=k
            )
        x, y = _require_point(lon, lat)
        data = {"lon": x, "lat": y, "crs": crs, "radius_m": radius, "k": k,
                "event_category": event_category, "event_type": event_type}  # fmt: skip
        req = parse_body(SurroundingsRequest, {a: b for a, b in data.items() if b is not None})
        return analysis.surroundings_around_point(session, caller, req)

    result = _run(work)
    if out.suffix.lower() == ".json":
        write_geojson(result, out)
    else:
        from gis_onemap.maps.products import render_surroundings

        out.write_text(render_surroundings(result), encoding="utf-8")
    counts = ", ".join(f"{c} {n}" for c, n in result["summary"]["counts"].items())
    typer.echo(f"{counts} → {out}")


def buffer(
    distance: list[float] = typer.Option(..., "--distance", "-d", help="Metres (repeatable)."),
    lon: float = LonOpt,
    lat: float = LatOpt,
    geometry: Path = typer.Option(None, help="A GeoJSON file (geometry, Feature or collection)."),
    collection: str = typer.Option(None, help="Buffer features of this category..."),
    ids: str = typer.Option(None, help="...with these ids (comma-separated)..."),
    filter: str = typer.Option(None, "--filter", help="...or matching this CQL2 text filter."),
    intersect: list[str] = typer.Option(None, help="Categories to find inside the rings."),
    dissolve: bool = typer.Option(True, help="Merge the rings of several sources."),
    crs: str = CrsOpt,
    out: Path = typer.Option(..., help="zones.gpkg, zones.geojson or zones.html"),
) -> None:
    """Geodesic buffer rings around a point, a GeoJSON file or selected features."""
    from gis_onemap.analysis.schemas import BufferRequest, parse_body
    from gis_onemap.usecases import analysis

    body: dict[str, Any] = {"distances_m": distance, "dissolve": dissolve, "crs": crs}
    if intersect:
        body["intersect"] = intersect
    if geometry is not None:
        body["geometry"] = _geometry_from_file(geometry)
    elif collection:
        id_list = [int(i) for i in ids.split(",")] if ids else None
        body["source"] = {"collection": collection, "ids": id_list, "filter": filter}
        body["source"] = {a: b for a, b in body["source"].items() if b is not None}
    elif lon is not None and lat is not None:
        body["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    body = {a: b for a, b in body.items() if b is not None}

    def work(session: Session, caller: Any) -> dict[str, Any]:
        return analysis.buffer(session, caller, parse_body(BufferRequest, body))

    fc = _run(work)
    _write_layers(fc, out, "rings", lambda: _render("render_buffers", fc))
    typer.echo(f"{len(fc['features'])} rings → {out}")


def hazard_zones(
    level: list[int] = typer.Option(None, help="Hazard levels 1–4 (repeatable); default all."),
    bbox: str = typer.Option(None, help="minlon,minlat,maxlon,maxlat"),
    region_code: str = typer.Option(None, help="6-digit division code."),
    out: Path = typer.Option(..., help="zones.gpkg, zones.geojson or zones.html"),
) -> None:
    """Zones around hazard sources (radius per level, configurable), with targets inside."""
    from gis_onemap.usecases import analysis

    def work(session: Session, caller: Any) -> dict[str, Any]:
        return analysis.hazard_zones(
            session, caller, levels=level, bbox=bbox, region_code=region_code
        )

    fc = _run(work)
    _write_layers(fc, out, "hazard_zones", lambda: _render("render_hazard_zones", fc))
    typer.echo(f"{len(fc['features'])} zones → {out}")


def _render(name: str, fc: dict[str, Any]) -> str:
    from gis_onemap.maps import products

    return getattr(products, name)(fc)  # type: ignore[no-any-return]


def _write_layers(fc: dict[str, Any], out: Path, layer: str, html: Callable[[], str]) -> None:
    suffix = out.suffix.lower()
    if suffix == ".gpkg":
        layers = {layer: fc}
        if "inside" in fc:
            layers["inside"] = fc["inside"]
        write_gpkg(layers, out)
    elif suffix in (".geojson", ".json"):
        write_geojson(fc, out)
    elif suffix in (".html", ".htm"):
        out.write_text(html(), encoding="utf-8")
    else:
        typer.secho(
            "error: --out must end in .gpkg, .geojson or .html", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)


def _geometry_from_file(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.secho(f"error: cannot read {path}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        feats = data.get("features") or []
        if len(feats) != 1:
            geoms = [f.get("geometry") for f in feats]
            return {"type": "GeometryCollection", "geometries": geoms}
        data = feats[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    return data


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the ``onemap`` CLI."""
    app.command("nearest")(nearest)
    app.command("surroundings")(surroundings)
    app.command("buffer")(buffer)
    app.command("hazard-zones")(hazard_zones)

"""Build an offline bundle (zip) of an area.

``layers.gpkg`` (every layer, the area outline and the district outlines, in CGCS2000 or WGS84),
``map.html`` (standalone, no network), ``map.pdf`` (the printed map), ``tiles.pmtiles`` (the 8
categories' vector tiles of the area), ``resources.xlsx`` (Chinese headers), optional GBK CSV files,
and ``manifest.json``.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
from pmtiles.tile import zxy_to_tileid
from sqlalchemy.orm import Session

from gis_onemap.bundle.html import render_bundle_html
from gis_onemap.bundle.sheets import write_gbk_csv, write_xlsx
from gis_onemap.categories import CATEGORIES
from gis_onemap.errors import LimitExceeded
from gis_onemap.printing.layers import districts
from gis_onemap.printing.render import CRS_LABELS, render_map
from gis_onemap.printing.service import PreparedPrint, PrintRequest, prepare
from gis_onemap.settings import Settings
from gis_onemap.tiles.grid import TileIndex, parse_zoom_range, tiles_covering
from gis_onemap.tiles.pmtiles_archive import write_pmtiles
from gis_onemap.tiles.service import TileService


@dataclass
class BundleRequest:
    """What to bundle: the area and layers of a print, the CRS, the GBK CSV option."""

    bbox: str | None = None
    region_code: str | None = None
    incident_id: int | None = None
    radius_m: float | None = None
    layers: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    title: str | None = None
    crs: int = 4490  # 4490 (CGCS2000) or 4326 (WGS84), checked by prepare()
    gbk_csv: bool = False
    paper: Literal["A4", "A3"] = "A3"
    orientation: Literal["portrait", "landscape"] = "landscape"


@dataclass
class BundleReport:
    """What the zip holds."""

    path: Path
    members: list[str]
    manifest: dict[str, Any]


def _gpkg(prepared: PreparedPrint, base: gpd.GeoDataFrame, crs: str, path: Path) -> list[str]:
    """Every layer, the area and the districts; the layers are already in ``crs``.

    Empty layers too: an analyst sees they were asked for.
    """
    written = []
    area = gpd.GeoDataFrame(
        {"name": [prepared.area.label], "radius_m": [prepared.area.radius_m]},
        geometry=[prepared.area.geometry],
        crs="EPSG:4326",
    ).to_crs(crs)
    for name, gdf in [("area", area), ("districts", base.to_crs(crs))] + [
        (layer.id, layer.gdf) for layer in prepared.layers
    ]:
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        written.append(name)
    return written


def _tiles_of(settings: Settings, bbox: tuple[float, float, float, float]) -> list[TileIndex]:
    """The tiles of the area in tile-id order.

    More than the limit → :class:`LimitExceeded` (checked before any file is written).
    """
    zooms = parse_zoom_range(settings.bundle_zoom)
    tiles = sorted(tiles_covering(bbox, zooms), key=lambda t: zxy_to_tileid(*t))
    if len(tiles) > settings.bundle_max_tiles:
        raise LimitExceeded(
            f"the area needs {len(tiles):,} tiles at zoom {settings.bundle_zoom}; the most is "
            f"{settings.bundle_max_tiles:,} (ONEMAP_BUNDLE_MAX_TILES, ONEMAP_BUNDLE_ZOOM)"
        )
    return tiles


def _pmtiles(
    session: Session,
    settings: Settings,
    bbox: tuple[float, float, float, float],
    tiles: list[TileIndex],
    path: Path,
) -> int:
    service = TileService(settings)
    try:
        zooms = parse_zoom_range(settings.bundle_zoom)
        return write_pmtiles(path, service, session, list(CATEGORIES), tiles, bbox, zooms)
    finally:
        service.close()


def build_bundle(
    session: Session, settings: Settings, req: BundleRequest, out: Path
) -> BundleReport:
    """Write the bundle of ``req`` to ``out`` (a zip).

    Bad input raises before anything is written.
    """
    crs = f"EPSG:{req.crs}"
    prepared = prepare(
        session,
        settings,
        PrintRequest(
            bbox=req.bbox, region_code=req.region_code, incident_id=req.incident_id,
            radius_m=req.radius_m, layers=req.layers, filters=req.filters, title=req.title,
            paper=req.paper, orientation=req.orientation, format="pdf", crs=req.crs,
        ),
    )  # fmt: skip
    tiles = _tiles_of(settings, prepared.area.bbox)
    base = districts(session, prepared.area.bbox)
    manifest: dict[str, Any] = {
        "title": prepared.spec.title,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "crs": f"EPSG:{req.crs}",
        "crs_name": CRS_LABELS[req.crs],
        "area": {"label": prepared.area.label, "bbox_wgs84": list(prepared.area.bbox)},
        "layers": {layer.id: {"title": layer.title, "features": len(layer.gdf)}
                   for layer in prepared.layers},
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="onemap-bundle-") as tmp:
        d = Path(tmp)
        files: dict[str, Path] = {}
        manifest["gpkg_layers"] = _gpkg(prepared, base, crs, d / "layers.gpkg")
        files["layers.gpkg"] = d / "layers.gpkg"
        html = render_bundle_html(prepared.spec.title, prepared.area, prepared.layers)
        (d / "map.html").write_text(html, encoding="utf-8")
        files["map.html"] = d / "map.html"
        (d / "map.pdf").write_bytes(render_map(prepared.spec, "pdf").content)
        files["map.pdf"] = d / "map.pdf"
        manifest["pmtiles_tiles"] = _pmtiles(
            session, settings, prepared.area.bbox, tiles, d / "tiles.pmtiles"
        )
        if manifest["pmtiles_tiles"]:
            files["tiles.pmtiles"] = d / "tiles.pmtiles"
        manifest["xlsx_sheets"] = write_xlsx(prepared.layers, d / "resources.xlsx")
        files["resources.xlsx"] = d / "resources.xlsx"
        if req.gbk_csv:
            lost: dict[str, int] = {}
            for layer in prepared.layers:
                if layer.gdf.empty:
                    continue
                name = f"csv_gbk/{layer.id}.csv"
                lost[layer.id] = write_gbk_csv(layer, d / f"{layer.id}.csv")
                files[name] = d / f"{layer.id}.csv"
            manifest["gbk_cells_with_replaced_characters"] = lost
        manifest["files"] = sorted(files)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, path in files.items():
                zf.write(path, name)
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return BundleReport(out, [*files, "manifest.json"], manifest)

"""``onemap basemap build``: street base-map tiles from an OSM extract, with Debian's tilemaker.

Why tilemaker and not ``ST_AsMVT`` here: a base map needs water, land use and place labels as
well as roads, and OSM multipolygons, name tags and per-class zooms are what tilemaker does in
one C++ pass (seconds for a city, no database); its Lua profile (``web/basemap/process.lua``,
short and ours) maps OSM ``highway`` values to gis_onemap's road class ids, so one map style
draws both this archive and the PostGIS network (:mod:`gis_onemap.web.streets`).

Steps, all local (nothing is fetched): ``osmium extract`` (only with ``--bbox``, whole ways),
``osmium tags-filter`` (the tags the profile reads), then the ways that reference nodes missing
from the extract are dropped (city extracts are cut through ways; tilemaker stops on them),
then tilemaker writes MBTiles, converted to PMTiles by the ``pmtiles`` package when asked.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from gis_onemap.errors import InvalidInput
from gis_onemap.web.streets import MAX_ZOOM, open_archive

PROFILE_DIR = Path(__file__).resolve().parent / "basemap"
#: OSM tags the Lua profile reads (osmium tags-filter expressions).
TAG_FILTERS = (
    "nw/highway", "w/route=ferry", "nw/natural=water,wood", "nw/waterway", "nw/landuse",
    "nw/leisure=park", "n/place",
)  # fmt: skip
TOOL_TIMEOUT_S = 3600


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InvalidInput(
            f"'{name}' is not installed (Debian package "
            f"{'osmium-tool' if name == 'osmium' else name}; scripts/install_system_packages.sh)"
        )
    return path


def _run(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise InvalidInput(f"{what} took longer than {TOOL_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise InvalidInput(f"{what} failed: {' / '.join(tail)}")
    return done.stdout


def build_basemap(
    pbf: Path,
    out: Path,
    bbox: tuple[float, float, float, float] | None = None,
    threads: int = 1,
) -> dict[str, Any]:
    """Build ``out`` (``.pmtiles`` or ``.mbtiles``) from ``pbf``; returns what was written."""
    if out.suffix not in (".pmtiles", ".mbtiles"):
        raise InvalidInput("--out must end in .pmtiles or .mbtiles")
    if not pbf.is_file():
        raise InvalidInput(f"'{pbf}' not found")
    osmium, tilemaker = _tool("osmium"), _tool("tilemaker")
    with tempfile.TemporaryDirectory(prefix="onemap-basemap-") as tmp:
        work = Path(tmp)
        src = pbf
        if bbox is not None:
            clipped = work / "clipped.osm.pbf"
            box = ",".join(f"{v:.7f}" for v in bbox)
            _run([osmium, "extract", "-b", box, "-s", "complete_ways", str(src), "-o",
                  str(clipped), "--overwrite"], "osmium extract")  # fmt: skip
            src = clipped
        tagged = work / "tagged.osm.pbf"
        _run([osmium, "tags-filter", str(src), *TAG_FILTERS, "-o", str(tagged), "--overwrite"],
             "osmium tags-filter")  # fmt: skip
        refs = subprocess.run(
            [osmium, "check-refs", "--show-ids", str(tagged)],
            capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False,
        )  # fmt: skip
        broken = sorted({line.split()[-1] for line in refs.stdout.splitlines() if " in " in line})
        complete = tagged
        if broken:
            ids = work / "broken.ids"
            ids.write_text("\n".join(broken) + "\n", encoding="ascii")
            complete = work / "complete.osm.pbf"
            _run([osmium, "removeid", str(tagged), "-i", str(ids), "-o", str(complete),
                  "--overwrite"], "osmium removeid")  # fmt: skip
        mbtiles = work / "streets.mbtiles"
        args = [tilemaker, "--input", str(complete), "--output", str(mbtiles), "--config",
                str(PROFILE_DIR / "config.json"), "--process", str(PROFILE_DIR / "process.lua"),
                "--threads", str(threads)]  # fmt: skip
        if bbox is not None:
            args += ["--bbox", ",".join(f"{v:.7f}" for v in bbox)]
        _run(args, "tilemaker")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".pmtiles":
            from pmtiles.convert import mbtiles_to_pmtiles

            mbtiles_to_pmtiles(str(mbtiles), str(out), MAX_ZOOM)
        else:
            shutil.move(str(mbtiles), out)
    open_archive.cache_clear()
    archive = open_archive(out)
    return {
        "out": str(out),
        "bytes": out.stat().st_size,
        "minzoom": archive.minzoom,
        "maxzoom": archive.maxzoom,
        "layers": archive.layers,
        "incomplete_ways_dropped": len(broken),
    }

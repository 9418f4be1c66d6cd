"""The wheel works without a checkout: migrations, demo data and the map's assets are inside it.

The wheel is built from this checkout, installed into a fresh venv outside it (its dependencies
come from the test run's own environment through a ``.pth`` line, so no package registry is
needed), and run from a folder that is not the checkout: ``onemap migrate`` on a fresh database,
``onemap demo`` to load and serve, then ``/map`` with every asset it references, and
``/collections``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from gis_onemap.categories import CATEGORY_IDS
from gis_onemap.db.admin import recreate_database, sibling_url
from gis_onemap.settings import PROJECT_ROOT
from tests.live_server import free_port


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, (cmd, proc.stdout[-2000:], proc.stderr[-3000:])
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(PROJECT_ROOT)],
        cwd=out,
    )  # fmt: skip
    (whl,) = out.glob("gis_onemap-*.whl")
    return whl


def test_wheel_holds_what_a_site_needs(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "gis_onemap/migrations/env.py" in names
    assert any(re.match(r"gis_onemap/migrations/versions/0001_.*\.py$", n) for n in names)
    for cid in CATEGORY_IDS:
        assert f"gis_onemap/data/demo/{cid}.geojson" in names
    assert "gis_onemap/web/static/vendor/maplibre-gl/dist/maplibre-gl.js" in names
    assert "gis_onemap/web/static/vendor/maplibre-gl/LICENSE.txt" in names
    assert "gis_onemap/py.typed" in names
    assert "gis_onemap/data/demo/roads.geojson" in names  # the synthetic demo roads
    assert "gis_onemap/web/basemap/process.lua" in names  # onemap basemap build's profile
    assert "gis_onemap/web/basemap/config.json" in names
    assert not [n for n in names if "node_modules" in n]


@pytest.mark.slow
def test_installed_wheel_migrates_and_serves_the_map(
    wheel: Path, tmp_path: Path, test_database_url: str
) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    vpy = venv / "bin" / "python"
    site = _run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # dependencies from this environment, but not its editable gis_onemap: a plain path line
    # does not run the .pth files (the editable finder) of the folder it adds
    Path(site.stdout.strip(), "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "-q", "--no-deps",
          str(wheel)])  # fmt: skip

    name = f"{make_url(test_database_url).database}_wheel"
    url = recreate_database(sibling_url(test_database_url, name), migrate=False)
    work = tmp_path / "site"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["ONEMAP_DATABASE_URL"] = url
    onemap = str(venv / "bin" / "onemap")
    where = _run(
        [str(vpy), "-c", "import gis_onemap; print(gis_onemap.__file__)"], cwd=work, env=env
    )
    assert str(PROJECT_ROOT) not in where.stdout, where.stdout  # really the installed copy
    assert "database schema is at head" in _run([onemap, "migrate"], cwd=work, env=env).stdout

    port = free_port()
    server = subprocess.Popen(
        [onemap, "demo", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=base, timeout=30) as http:
            while True:
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the installed app did not start"
                time.sleep(0.5)
            page = http.get("/map")
            assert page.status_code == 200
            assets = re.findall(r'(?:src|href)="(/map/static/[^"]+)"', page.text)
            assert len(assets) >= 3, page.text[:500]
            for asset in assets:
                assert http.get(asset).status_code == 200, asset
            collections = http.get("/collections").json()["collections"]
            # the 8 categories and the demo's population layer (issue 15)
            assert sorted(c["id"] for c in collections) == sorted([*CATEGORY_IDS, "population"])
            shelters = http.get("/collections/shelters/items?limit=1").json()
            assert shelters["numberMatched"] > 0  # the demo data came from the wheel
            # and its synthetic road network: streets on the base map at the city centre
            street = http.get("/map/basemap/streets/14/13214/7200.mvt")
            assert street.status_code == 200 and len(street.content) > 100
    finally:
        server.terminate()
        server.wait(timeout=30)

"""``pyproject.toml`` package-data: every pattern names files that exist (issue 12 found a
``data/*`` that matched nothing), and every data file the package reads is covered."""

from __future__ import annotations

import tomllib
from pathlib import Path

import gis_onemap

ROOT = Path(gis_onemap.__file__).parent
PYPROJECT = ROOT.parent / "pyproject.toml"


def _patterns() -> list[str]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return list(data["tool"]["setuptools"]["package-data"]["gis_onemap"])


def test_every_package_data_pattern_matches_a_file() -> None:
    empty = [p for p in _patterns() if not any(f.is_file() for f in ROOT.glob(p))]
    assert empty == []


def test_data_files_the_code_reads_are_shipped() -> None:
    # the files setuptools ships: its globs, like pathlib's, let ``**`` match no folder at all
    shipped = {f.relative_to(ROOT).as_posix() for p in _patterns() for f in ROOT.glob(p)}
    needed = [
        f.relative_to(ROOT).as_posix()
        for f in ROOT.rglob("*")
        if f.is_file()
        and f.suffix in (".sql", ".json", ".geojson", ".html", ".lua", ".mako", ".js", ".css")
        and "node_modules" not in f.parts
        and f.name not in ("package.json", "package-lock.json")
    ]
    missing = [n for n in needed if n not in shipped]
    assert missing == []

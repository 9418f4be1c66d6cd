"""One CRS-at-the-edge module (issue 12): every route and command parses and checks a CRS the
same way, with the same message (``gis_onemap.crs.edge``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from gis_onemap.cli.main import app as cli_app
from gis_onemap.crs.edge import input_crs
from gis_onemap.errors import InvalidInput
from gis_onemap.settings import get_settings

BAD = "EPSG:999999"


@pytest.fixture
def cli(test_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _message(text: str | None) -> str:
    with pytest.raises(InvalidInput) as exc:
        input_crs(text, "crs")
    return exc.value.message


def test_every_edge_gives_the_same_answer_for_a_bad_crs(client, cli, tmp_path) -> None:
    expected = _message(BAD)
    assert expected.startswith("crs: ")
    answers = {
        "item": client.get("/collections/depots/items/1", params={"crs": BAD}),
        "items": client.get("/collections/depots/items", params={"crs": BAD}),
        "nearest": client.get("/analysis/nearest", params={"lon": 1, "lat": 2, "crs": BAD}),
        "buffer": client.post(
            "/analysis/buffer",
            json={
                "geometry": {"type": "Point", "coordinates": [1, 2]},
                "crs": BAD,
                "distances_m": [100],
            },
        ),
    }
    for where, r in answers.items():
        assert r.status_code == 400, (where, r.text)
        assert r.json()["description"] == expected, where
    for args in (
        ["nearest", "--lon", "1", "--lat", "2", "--crs", BAD],
        ["export", "-c", "depots", "-f", "geojson", "-o", str(tmp_path / "x.geojson"),
         "--crs", BAD, "--no-progress"],
    ):  # fmt: skip
        r = cli.invoke(cli_app, args)
        assert r.exit_code == 1 and expected in r.output, (args, r.output)

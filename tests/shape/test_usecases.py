"""One use-case layer for HTTP and CLI (issue 12): same inputs, same results, same rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert
from typer.testing import CliRunner

import gis_onemap
from gis_onemap.analysis.schemas import SurroundingsRequest
from gis_onemap.cli.main import app as cli_app
from gis_onemap.db.tables import INCIDENTS
from gis_onemap.settings import Settings, get_settings
from gis_onemap.usecases import analysis
from gis_onemap.usecases.context import Caller

LON, LAT = 110.36, 21.27


@pytest.fixture
def cli(test_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ONEMAP_DATABASE_URL", test_database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def incident_id(engine) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A committed incident (the CLI reads on its own connection)."""
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(INCIDENTS)
            .values(
                event_category="accident", event_type="fire", severity="III",
                geom=func.ST_GeomFromEWKT(f"SRID=4326;POINT({LON} {LAT})"),
            )
            .returning(INCIDENTS.c.id)
        ).scalar_one()  # fmt: skip
    yield new_id
    with engine.begin() as conn:
        conn.execute(delete(INCIDENTS).where(INCIDENTS.c.id == new_id))


def _ids(result: dict) -> dict[str, list]:
    return {cid: [f["id"] for f in fc["features"]] for cid, fc in result["collections"].items()}


def test_http_returns_what_the_use_case_returns(client, db_session, settings: Settings) -> None:
    body = {"lon": LON, "lat": LAT, "radius_m": 8000, "event_type": "fire"}
    over_http = client.post("/analysis/surroundings", json=body)
    assert over_http.status_code == 200, over_http.text
    direct = analysis.surroundings_around_point(
        db_session, Caller(settings), SurroundingsRequest(**body)
    )
    assert over_http.json()["summary"]["counts"] == direct["summary"]["counts"]
    assert _ids(over_http.json()) == _ids(direct)


def test_cli_and_http_agree_on_an_incident(cli, client, incident_id: int, tmp_path: Path) -> None:
    out = tmp_path / "incident.json"
    r = cli.invoke(cli_app, ["surroundings", "--incident", str(incident_id), "--out", str(out)])
    assert r.exit_code == 0, r.output
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    from_http = client.get(f"/incidents/{incident_id}/surroundings").json()
    # the CLI used to drop these two: one use case now fills them for both
    assert from_cli["incident_id"] == from_http["incident_id"] == incident_id
    assert from_cli["severity"] == from_http["severity"] == "III"
    assert from_cli["summary"]["counts"] == from_http["summary"]["counts"]
    assert _ids(from_cli) == _ids(from_http)


def test_cli_and_http_refuse_alike(cli, client) -> None:
    r = cli.invoke(cli_app, ["surroundings", "--incident", "999999999", "--out", "x.json"])
    http = client.get("/incidents/999999999/surroundings")
    assert r.exit_code == 1 and http.status_code == 404
    assert http.json()["description"] in r.output


def test_no_command_builds_its_own_engine() -> None:
    root = Path(gis_onemap.__file__).parent
    allowed = {  # the app's own pool, the one CLI helper, admin/health/backup/migrations plumbing
        "api/app.py", "cli/session.py", "db/engine.py", "db/admin.py", "db/health.py",
        "auth/backup.py", "migrations/env.py", "demo.py",
    }  # fmt: skip
    found = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if re.search(r"\b(make_engine|create_engine)\(", path.read_text(encoding="utf-8"))
        and path.relative_to(root).as_posix() not in allowed
    ]
    assert found == []

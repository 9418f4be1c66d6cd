"""Release zones sent to road closures through a real server: stored (committed) before the 201,
so another connection sees them the moment the answer arrives; a viewer is refused."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, pool, text

from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.settings import Settings
from tests.helpers.databases import fresh_database
from tests.live_server import live_server


@pytest.mark.slow
def test_closures_are_committed_before_the_201(test_database_url):
    url = fresh_database(test_database_url, "hzlive")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        editor = create_token(conn, "hz-editor", Role.editor)
        viewer = create_token(conn, "hz-viewer", Role.viewer)
    body = {"lon": 100.2, "lat": 30.1, "substance": "UN1017", "amount": "small",
            "wind_from_deg": 0, "wind_speed_ms": 3}  # fmt: skip
    with live_server(Settings(database_url=url)) as base:
        refused = httpx.post(
            f"{base}/analysis/release-zones/closures", json=body,
            headers={"Authorization": f"Bearer {viewer}"},
        )  # fmt: skip
        assert refused.status_code == 403
        r = httpx.post(
            f"{base}/analysis/release-zones/closures", json=body,
            headers={"Authorization": f"Bearer {editor}"}, timeout=60,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        with engine.connect() as conn:  # another session, right after the answer
            rows = conn.execute(
                text("SELECT id, reason FROM road_closures WHERE id = ANY(:ids) ORDER BY id"),
                {"ids": r.json()["road_closure_ids"]},
            ).all()
    engine.dispose()
    assert len(rows) == 2
    assert all("release" in reason for _id, reason in rows)

"""``GET /auth/whoami``: the map page's sign-in checks a token here — name, role and regions of
a valid token, 401 for a bad one, anonymous without one (401 when reading needs a token)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from gis_onemap.api.app import create_app
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from tests.conftest import bearer, bind_to_test_transaction


def test_a_token_answers_its_name_role_and_rights(viewer_client, editor_client):
    viewer = viewer_client.get("/auth/whoami")
    assert viewer.status_code == 200, viewer.text
    assert viewer.json() == {
        "name": "test-viewer", "role": "viewer", "regions": [], "can_read_situation": True,
        "can_write": False, "sees_personal_data": True}  # fmt: skip
    # credential-dependent: never cached for another caller
    assert "private" in viewer.headers.get("cache-control", "")
    editor = editor_client.get("/auth/whoami").json()
    assert (editor["name"], editor["role"], editor["can_write"]) == ("test-editor", "editor", True)


def test_anonymous_and_bad_tokens(client):
    anon = client.get("/auth/whoami")
    assert anon.status_code == 200
    assert anon.json()["role"] == "anonymous" and anon.json()["name"] is None
    assert anon.json()["can_write"] is False and anon.json()["can_read_situation"] is False
    for header in ("Bearer om_not_a_real_token", "Basic dXNlcjpwdw==", "Bearer "):
        bad = client.get("/auth/whoami", headers={"Authorization": header})
        assert bad.status_code == 401, header
        assert bad.headers["www-authenticate"].startswith("Bearer")
        assert "om_not_a_real_token" not in bad.text


def test_a_region_scoped_token_names_its_regions(app, engine):
    with engine.begin() as conn:
        token = create_token(conn, f"duty-{uuid.uuid4().hex[:8]}", Role.editor, ["440802"])
    with TestClient(app, raise_server_exceptions=False, headers=bearer(token)) as c:
        me = c.get("/auth/whoami").json()
    assert me["role"] == "editor"
    assert me["regions"] == [{"code": "440802", "name": "赤坎区"}]


def test_anonymous_read_off_needs_a_token_here_too(settings, db_session, role_tokens):
    app = bind_to_test_transaction(
        create_app(settings.model_copy(update={"anonymous_read": False})), db_session
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/auth/whoami").status_code == 401
        me = c.get("/auth/whoami", headers=bearer(role_tokens["viewer"]))
        assert me.status_code == 200 and me.json()["role"] == "viewer"

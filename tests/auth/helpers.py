"""Helpers for the access tests: apps with other settings, committed tokens that clean up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.auth.principal import Role
from gis_onemap.auth.tokens import create_token
from gis_onemap.db.tables import API_TOKENS
from gis_onemap.settings import Settings
from tests.conftest import bind_to_test_transaction


@contextmanager
def client_for(
    settings: Settings, db_session: Session, headers: dict[str, str] | None = None
) -> Iterator[TestClient]:
    """A client of ``create_app(settings)`` whose sessions use the test's rolled-back one."""
    app = bind_to_test_transaction(create_app(settings), db_session)
    with TestClient(app, raise_server_exceptions=False, headers=headers or {}) as c:
        yield c


@contextmanager
def committed_token(
    engine: Engine, role: Role, region_codes: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """(name, token) of a fresh committed token, deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        token = create_token(conn, name, role, region_codes)
    try:
        yield name, token
    finally:
        with engine.begin() as conn:
            conn.execute(delete(API_TOKENS).where(API_TOKENS.c.name == name))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""``make_client(**settings)``: a client of an app built with changed settings (limits)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.settings import Settings
from tests.conftest import bearer, bind_to_test_transaction


@pytest.fixture
def make_client(
    settings: Settings, db_session: Session, role_tokens: dict[str, str]
) -> Iterator[Callable[..., TestClient]]:
    """Like ``editor_client``, for an app whose settings differ by ``overrides`` (same
    rolled-back transaction as ``db_session``)."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            application = create_app(settings.model_copy(update=overrides))
            bind_to_test_transaction(application, db_session)
            headers = bearer(role_tokens["editor"])
            client = TestClient(application, raise_server_exceptions=False, headers=headers)
            return stack.enter_context(client)

        yield make

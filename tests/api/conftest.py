"""``make_client(**settings)``: a client of an app built with changed settings (limits)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis_onemap.api.app import create_app
from gis_onemap.api.deps import get_session
from gis_onemap.settings import Settings


@pytest.fixture
def make_client(settings: Settings, db_session: Session) -> Iterator[Callable[..., TestClient]]:
    """Like ``client``, for an app whose settings differ by ``overrides`` (same rolled-back
    transaction as ``db_session``)."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            application = create_app(settings.model_copy(update=overrides))

            def _session() -> Iterator[Session]:
                try:
                    yield db_session
                    db_session.commit()
                except BaseException:
                    db_session.rollback()
                    raise

            application.dependency_overrides[get_session] = _session
            return stack.enter_context(TestClient(application, raise_server_exceptions=False))

        yield make

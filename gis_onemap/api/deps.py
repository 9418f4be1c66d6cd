"""Request dependencies: ``Annotated`` aliases for the session, settings, category and viewer.

Dependencies that do no I/O are ``async`` so that FastAPI calls them on the event loop instead
of sending each to the thread pool (a measurable cost on small queries, see bench/).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from gis_onemap.auth.dbcontext import apply_principal
from gis_onemap.auth.deps import PrincipalDep
from gis_onemap.categories import Category, get_category
from gis_onemap.db.engine import session_scope
from gis_onemap.errors import InvalidInput
from gis_onemap.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request, principal: PrincipalDep) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back otherwise."""
    with session_scope(request.app.state.session_factory) as session:
        apply_principal(session, principal, request.app.state.settings.region_read_scope)
        yield session


async def get_category_dep(
    collection_id: Annotated[str, Path(description="Collection id, e.g. 'shelters'")],
) -> Category:
    return get_category(collection_id)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous users never see personal data (phones, e-mail)."""

    trusted: bool = False

    @property
    def sees_personal_data(self) -> bool:
        return self.trusted


async def get_viewer(
    settings: Annotated[Settings, Depends(get_settings_dep)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Viewer:
    return Viewer(trusted=bool(x_api_key) and x_api_key in settings.api_keys)


async def json_body(request: Request) -> Any:
    """The request body parsed as JSON, with a clear 400 when it is not."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("the request body is empty; send a JSON document")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("the request body is not valid JSON") from None


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
CategoryDep = Annotated[Category, Depends(get_category_dep)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
JsonBody = Annotated[Any, Depends(json_body)]

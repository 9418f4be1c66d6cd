"""Request dependencies: ``Annotated`` aliases for the session, settings, category and viewer.

Dependencies that do no I/O are ``async`` so that FastAPI calls them on the event loop instead
of sending each to the thread pool (a measurable cost on small queries, see bench/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from gis_onemap.auth.deps import get_principal
from gis_onemap.auth.principal import Principal
from gis_onemap.categories import Category, get_category
from gis_onemap.db.engine import session_scope
from gis_onemap.errors import InvalidInput
from gis_onemap.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back otherwise."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


async def get_category_dep(
    collection_id: Annotated[str, Path(description="Collection id, e.g. 'shelters'")],
) -> Category:
    return get_category(collection_id)


#: Who is asking: the :class:`~gis_onemap.auth.principal.Principal` (``.sees_personal_data``
#: is false for anonymous callers). Kept under the old name for the routers.
Viewer = Principal
get_viewer = get_principal


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

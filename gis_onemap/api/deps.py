"""Request dependencies: ``Annotated`` aliases for the sessions, settings, category and viewer.

Two sessions: ``SessionDep`` (= ``ReadSessionDep``) is ``READ ONLY`` and never commits;
``WriteSessionDep`` commits when the handler has returned and *before* the response is sent
(``Depends(scope="function")``), so a 2xx is only ever sent for a stored write and a failure
at COMMIT becomes an error response. A write route that takes the read session by mistake
fails loudly ("cannot execute ... in a read-only transaction") instead of losing the write.

Dependencies that do no I/O are ``async`` so that FastAPI calls them on the event loop instead
of sending each to the thread pool (a measurable cost on small queries, see bench/).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gis_onemap.auth.dbcontext import apply_principal
from gis_onemap.auth.deps import PrincipalDep, current_principal
from gis_onemap.auth.principal import Principal
from gis_onemap.categories import Category, get_category
from gis_onemap.db.engine import session_scope
from gis_onemap.errors import InvalidInput
from gis_onemap.settings import Settings
from gis_onemap.usecases.context import Caller


async def get_settings_dep(request: Request) -> Settings:
    """The app's :class:`Settings` (set by ``create_app``)."""
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_session(request: Request, principal: PrincipalDep) -> AsyncIterator[Session]:
    """A read-only session per request (``BEGIN READ ONLY``), never committed.

    It runs as the caller (row-level security, ``auth/dbcontext.py``). ``async``: making the
    session does no I/O (the transaction begins with the handler's first query, in the
    handler's thread), so only the closing ROLLBACK goes to the thread pool; a sync generator
    costs a hop on the way in as well (bench/OVERHEAD.md).
    """
    session = request.app.state.read_session_factory()
    try:
        apply_principal(session, principal, request.app.state.settings.region_read_scope)
        yield session
    finally:
        await run_in_threadpool(session.close)  # rolls the read transaction back


def get_write_session(request: Request, principal: PrincipalDep) -> Iterator[Session]:
    """A session for a write.

    Committed as soon as the handler returned (this dependency has ``scope="function"``, so that
    happens before the response is sent), rolled back when the handler or the COMMIT fails (the
    COMMIT's error is mapped by ``db.engine.commit``). It runs as the caller: row-level security and
    the audit log's actor.
    """
    with session_scope(request.app.state.session_factory) as session:
        apply_principal(session, principal, request.app.state.settings.region_read_scope)
        yield session


async def get_category_dep(
    collection_id: Annotated[str, Path(description="Collection id, e.g. 'shelters'")],
) -> Category:
    """The category of the ``collection_id`` path parameter (404 when unknown)."""
    return get_category(collection_id)


#: Who is asking: the :class:`~gis_onemap.auth.principal.Principal` (``.sees_personal_data``
#: is false for anonymous callers). Kept under the old name for the routers.
Viewer = Principal
get_viewer = current_principal  # the same callable: FastAPI resolves it once per request


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
ReadSessionDep = Annotated[Session, Depends(get_session)]
SessionDep = ReadSessionDep
# scope="function": the exit (the COMMIT) runs before the response is sent, not after
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
IfMatchDep = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="ETag of the version the change is based on (412 if it changed); '*' any",
    ),
]
CategoryDep = Annotated[Category, Depends(get_category_dep)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
JsonBody = Annotated[Any, Depends(json_body)]


def get_caller(settings: SettingsDep, viewer: ViewerDep) -> Caller:
    """The caller of a use case (``gis_onemap.usecases``).

    The app's settings and whether the principal sees personal data.
    """
    return Caller(settings, viewer.sees_personal_data)


CallerDep = Annotated[Caller, Depends(get_caller)]

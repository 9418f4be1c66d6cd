"""The ``get_principal`` dependency: who is asking, from ``Authorization: Bearer <token>``.

Minimal first version (issue 11 builds on it): opaque tokens looked up by hash in
``api_tokens``; no header → anonymous; an unknown or revoked token → 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select

from gis_onemap.auth.principal import ANONYMOUS, Principal, Role
from gis_onemap.auth.tokens import token_hash
from gis_onemap.db.tables import API_TOKENS
from gis_onemap.errors import Unauthorized


def get_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller: anonymous without an ``Authorization`` header."""
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    t = API_TOKENS
    with request.app.state.engine.connect() as conn:
        row = conn.execute(
            select(t.c.name, t.c.role, t.c.region_codes).where(
                t.c.token_hash == token_hash(token.strip()), t.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(row.name, Role[row.role], tuple(row.region_codes or ()))


PrincipalDep = Annotated[Principal, Depends(get_principal)]

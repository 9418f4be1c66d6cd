"""``GET /auth/whoami``: who the caller's token says they are (the map page's sign-in).

The server has no credential exchange (tokens come from ``onemap token create`` or a JWT of the
bureau's identity provider), so the map page's sign-in is a token field checked here: a valid
token answers its name, role and regions; an unknown, revoked, malformed or expired one → 401
(``get_principal``). Without a token the caller is anonymous (200, or 401 when the server needs
a token for reading: ``anonymous_read=false``). No database work beyond the token lookup,
except the names of the caller's regions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from gis_onemap.api.deps import SessionDep, ViewerDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.principal import Principal, Role
from gis_onemap.db.tables import REGIONS

router = APIRouter(tags=["Access"])


def identity(principal: Principal, names: dict[str, str]) -> dict[str, Any]:
    """The caller as JSON, with what the page needs to enable or disable its controls.

    >>> identity(Principal("duty-1", Role.viewer, ("440802",)), {"440802": "赤坎区"})["regions"]
    [{'code': '440802', 'name': '赤坎区'}]
    >>> identity(Principal(), {})["can_write"]
    False
    """
    return {
        "name": principal.name,
        "role": principal.role.name,
        "regions": [{"code": c, "name": names.get(c)} for c in principal.region_codes],
        "can_read_situation": principal.role >= Role.viewer,
        "can_write": principal.role >= Role.editor,
        "sees_personal_data": principal.sees_personal_data,
    }


BAD_TOKEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Unknown, revoked, malformed or expired token"}
}


@router.get("/auth/whoami", summary="The caller (name, role, regions)", responses=BAD_TOKEN)
def whoami(session: SessionDep, principal: ViewerDep) -> FastJSONResponse:
    """The caller's identity; 401 for a bad token."""
    names: dict[str, str] = {}
    if principal.region_codes:
        rows = session.execute(
            select(REGIONS.c.code, REGIONS.c.name).where(REGIONS.c.code.in_(principal.region_codes))
        )
        names = {r.code: r.name for r in rows}
    return FastJSONResponse(identity(principal, names))

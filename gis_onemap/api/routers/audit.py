"""``/audit`` (admin) and ``/collections/{id}/items/{fid}/history`` (viewer and above)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from gis_onemap.api.deps import CategoryDep, SessionDep, SettingsDep
from gis_onemap.api.links import base_url
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.audit import (
    AuditFilter,
    audit_page,
    history,
    strip_fields,
)
from gis_onemap.auth.deps import ADMIN, PrincipalDep, require_role
from gis_onemap.auth.principal import Role

router = APIRouter(tags=["Audit"])


@router.get("/audit", summary="The audit log, newest first (admin)", dependencies=[ADMIN])
def audit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    collection: Annotated[str | None, Query(max_length=64)] = None,
    fid: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time, inclusive")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="paging")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size, ≤ settings.audit_max_limit")] = 100,
) -> FastJSONResponse:
    f = AuditFilter(collection, fid, actor, since, before_id, min(limit, settings.audit_max_limit))
    entries, next_before = audit_page(session, f)
    links: list[dict[str, Any]] = [{"href": str(request.url), "rel": "self"}]
    if next_before is not None:
        links.append(
            {"href": str(request.url.include_query_params(before_id=next_before)), "rel": "next"}
        )
    return FastJSONResponse({"entries": entries, "links": links})


@router.get(
    "/collections/{collection_id}/items/{feature_id}/history",
    summary="Changes of one feature, oldest first (viewer and above)",
    dependencies=[Depends(require_role(Role.viewer))],
)
def item_history(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    category: CategoryDep,
    principal: PrincipalDep,
    feature_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> FastJSONResponse:
    entries = history(session, category.id, feature_id)
    if settings.region_read_scope and principal.region_codes:
        # the log itself has no RLS: hide changes to a feature outside the caller's regions
        def visible(e: dict[str, Any]) -> bool:
            images = [i for i in (e["before"], e["after"]) if isinstance(i, dict)]
            codes = [i.get("region_code") for i in images if "region_code" in i]
            return all(principal.in_region(c) for c in codes)

        entries = [e for e in entries if visible(e)]
    if not principal.sees_personal_data:  # defensive: history needs viewer today
        hidden = {f.name for f in category.all_fields if f.personal}
        entries = [strip_fields(e, hidden) for e in entries]
    root = f"{base_url(request)}/collections/{category.id}/items/{feature_id}"
    return FastJSONResponse(
        {"entries": entries, "links": [{"href": root, "rel": "item"}]},
    )

"""``POST /collections/{id}/items/{fid}/adjust``: atomic stock changes (editor).

One ``UPDATE ... SET q = q + :delta WHERE id = :fid AND q + :delta >= 0 RETURNING`` does the
check and the change under the row lock, so concurrent adjustments never oversell; the audit
trigger records it as ``adjust`` with the reason, and the change is committed before answering.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from gis_onemap.api.deps import CategoryDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.deps import EDITOR, PrincipalDep
from gis_onemap.db.stock import change_stock, mark
from gis_onemap.db.tables import table_for
from gis_onemap.errors import Conflict, Forbidden, InvalidInput, NotFound

router = APIRouter(tags=["Features"])


class Adjustment(BaseModel):
    """A change of stock: ``delta`` is added to the quantity (negative = taken out)."""

    delta: float = Field(ge=-1e12, le=1e12, description="Amount added (negative: removed)")
    reason: str = Field(min_length=1, max_length=500, description="Why (kept in the audit log)")


@router.post(
    "/collections/{collection_id}/items/{feature_id}/adjust",
    summary="Add to or take from a stock quantity, atomically (editor)",
    responses={409: {"description": "Not enough stock: the answer gives the current quantity"}},
    dependencies=[EDITOR],
)
def adjust(
    session: WriteSessionDep,
    category: CategoryDep,
    principal: PrincipalDep,
    feature_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: Adjustment,
) -> FastJSONResponse:
    if category.stock_field is None:
        raise NotFound(f"{category.id} has no stock quantity to adjust")
    if body.delta == 0 or not math.isfinite(body.delta):
        raise InvalidInput("delta must be a non-zero number")
    t = table_for(category.id)
    q = t.c[category.stock_field]
    mark(session, "adjust", body.reason)
    quantity = change_stock(session, t, category.stock_field, feature_id, body.delta)
    if quantity is None:
        current = session.execute(select(q, t.c.region_code).where(t.c.id == feature_id)).first()
        if current is None:
            raise NotFound(f"no feature {feature_id} in {category.id}")
        if not principal.in_region(current.region_code):
            raise Forbidden(f"feature {feature_id} is outside the regions of this token")
        raise Conflict(
            f"not enough stock: {category.stock_field} is {current[0]:g}, delta {body.delta:g}",
            details={category.stock_field: current[0]},
        )
    # WriteSessionDep commits before the response is sent (which also ends the transaction-local
    # 'adjust' mark); a failed COMMIT is never answered 2xx
    return FastJSONResponse({"id": feature_id, category.stock_field: quantity, "delta": body.delta})

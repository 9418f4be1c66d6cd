"""Dispatch use cases: send a resource to an incident, move it along, release it.

Every change runs in the caller's transaction (the HTTP write session commits before the
answer), under the resource's row lock, and passes through the audit triggers with a reason
naming the incident: a stock change is an ``adjust`` like ``POST .../adjust``, so the audit log
shows each tent that left and came back. Statuses only move forward:
assigned → en_route → on_site → released (a step may be skipped, never undone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, literal_column, select, text, update
from sqlalchemy.orm import Session

from gis_onemap.auth.principal import Principal
from gis_onemap.categories import CATEGORIES, get_category
from gis_onemap.categories.model import Category, Dispatch
from gis_onemap.db.rows import row_json
from gis_onemap.db.stock import change_stock, mark
from gis_onemap.db.tables import DISPATCHES, table_for
from gis_onemap.errors import Conflict, Forbidden, NotFound, OneMapError, ValidationFailed
from gis_onemap.live.events import publish

log = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("assigned", "en_route", "on_site", "released")
_INCIDENT = text("SELECT id FROM incidents WHERE id = :id")

#: Given (collection, feature id, incident id) → seconds of travel, or None when unknown.
EtaFn = Callable[[str, int, int], float | None]


@dataclass(frozen=True)
class DispatchInput:
    """What to send: a resource of a dispatchable collection and, per its rules, how much."""

    collection: str
    feature_id: int
    quantity: float | None = None
    people: int | None = None
    vehicles: int | None = None
    note: str | None = None


def dispatchable() -> list[str]:
    """Collections whose resources can be dispatched.

    >>> dispatchable()
    ['rescue_teams', 'supplies']
    """
    return [c.id for c in CATEGORIES if c.dispatch is not None]


def input_problems(category: Category, body: DispatchInput) -> list[str]:
    """Every problem with ``body`` for ``category`` that needs no database.

    >>> sup = get_category("supplies")
    >>> input_problems(sup, DispatchInput("supplies", 1))
    ['supplies are dispatched by quantity: give quantity > 0']
    >>> input_problems(get_category("rescue_teams"), DispatchInput("rescue_teams", 1, quantity=3))
    ['rescue_teams are dispatched whole: quantity does not apply']
    """
    rules = category.dispatch
    assert rules is not None
    problems = []
    if rules.mode == "stock":
        if body.quantity is None or not body.quantity > 0:
            problems.append(f"{category.id} are dispatched by quantity: give quantity > 0")
    elif body.quantity is not None:
        problems.append(f"{category.id} are dispatched whole: quantity does not apply")
    for name in ("people", "vehicles"):
        value = getattr(body, name)
        if value is None:
            continue
        if name not in rules.counts:
            problems.append(f"{name} does not apply to {category.id}")
        elif value < 0:
            problems.append(f"{name} must be 0 or more")
    return problems


class DispatchService:
    """Dispatches of one session, acting for ``principal``."""

    def __init__(self, session: Session, principal: Principal, eta: EtaFn | None = None) -> None:
        self.session = session
        self.principal = principal
        self.eta = eta

    # -- use cases ---------------------------------------------------------------------------
    def assign(self, incident_id: int, body: DispatchInput) -> dict[str, Any]:
        """Send a resource to the incident; 409 (nothing changed) when it cannot go."""
        self._incident(incident_id)
        if body.collection not in dispatchable():
            raise ValidationFailed(
                f"{body.collection[:40]!r} cannot be dispatched (use {', '.join(dispatchable())})"
            )
        category = get_category(body.collection)
        rules = category.dispatch
        assert rules is not None
        problems = input_problems(category, body)
        if problems:
            raise ValidationFailed("the dispatch is not valid", details=problems)
        t = table_for(category.id)
        region = self._lock_usable(category, t, body.feature_id)
        reason = f"dispatch to incident {incident_id}"
        if rules.mode == "stock":
            self._take_stock(category, t, body.feature_id, float(body.quantity or 0), reason)
        else:
            self._set_status(rules, t, body.feature_id, rules.dispatched_status, reason)
        eta = self._eta(category.id, body.feature_id, incident_id)
        did = self.session.execute(
            DISPATCHES.insert()
            .values(
                incident_id=incident_id,
                collection=category.id,
                feature_id=body.feature_id,
                quantity=body.quantity,
                people=body.people,
                vehicles=body.vehicles,
                note=body.note,
                eta_s=eta,
                region_code=region,
                created_by=self.principal.actor,
            )
            .returning(DISPATCHES.c.id)
        ).scalar_one()
        result = self.get(incident_id, did)
        self._publish(incident_id, "dispatch.assigned", result)
        return result

    def advance(
        self,
        incident_id: int,
        dispatch_id: int,
        status: str,
        returned_quantity: float | None = None,
    ) -> dict[str, Any]:
        """Move a dispatch forward; on release return unused stock or stand the team down."""
        d = DISPATCHES
        row = self.session.execute(
            select(d).where(d.c.id == dispatch_id, d.c.incident_id == incident_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no dispatch {dispatch_id} for incident {incident_id}")
        if status not in STATUSES[1:]:
            raise ValidationFailed(f"status must be one of {', '.join(STATUSES[1:])}")
        if STATUSES.index(status) <= STATUSES.index(row.status):
            raise Conflict(f"dispatch {dispatch_id} is already {row.status}: statuses only advance")
        category = get_category(row.collection)
        rules = category.dispatch
        assert rules is not None
        values: dict[str, Any] = {"status": status, f"{status}_at": func.clock_timestamp()}
        if status == "released":
            values["returned_quantity"] = self._release(
                category, rules, row, incident_id, returned_quantity
            )
        elif returned_quantity is not None:
            raise ValidationFailed("returned_quantity is given only on release")
        self.session.execute(update(d).where(d.c.id == dispatch_id).values(values))
        result = self.get(incident_id, dispatch_id)
        self._publish(incident_id, f"dispatch.{status}", result)
        return result

    def get(self, incident_id: int, dispatch_id: int) -> dict[str, Any]:
        """One dispatch with the resource's name."""
        found = [x for x in self.list(incident_id)["dispatches"] if x["id"] == dispatch_id]
        if not found:
            raise NotFound(f"no dispatch {dispatch_id} for incident {incident_id}")
        one: dict[str, Any] = found[0]
        return one

    def list(self, incident_id: int) -> dict[str, Any]:
        """Every dispatch of the incident, oldest first, with totals of what is committed."""
        self._incident(incident_id)
        d = DISPATCHES
        rows = self.session.execute(
            select(d).where(d.c.incident_id == incident_id).order_by(d.c.id)
        ).all()
        names: dict[tuple[str, int], str] = {}
        for collection in {r.collection for r in rows}:
            t = table_for(collection)
            ids = [r.feature_id for r in rows if r.collection == collection]
            for fid, name in self.session.execute(select(t.c.id, t.c.name).where(t.c.id.in_(ids))):
                names[(collection, fid)] = name
        out = []
        for r in rows:
            item = row_json(r)
            item["name"] = names.get((r.collection, r.feature_id))
            out.append(item)
        active = [x for x in out if x["status"] != "released"]
        return {
            "incident_id": incident_id,
            "dispatches": out,
            "active": {
                "teams": sum(1 for x in active if x["collection"] == "rescue_teams"),
                "people": sum(x["people"] or 0 for x in active),
                "vehicles": sum(x["vehicles"] or 0 for x in active),
                "supply_records": sum(1 for x in active if x["collection"] == "supplies"),
            },
        }

    # -- steps ---------------------------------------------------------------------------------
    def _publish(self, incident_id: int, kind: str, d: dict[str, Any]) -> None:
        # last in the transaction (the bus serialises publishers until COMMIT); no personal data
        keys = ("id", "collection", "feature_id", "name", "status", "quantity", "people")
        publish(self.session, incident_id=incident_id, kind=kind, payload={k: d[k] for k in keys})

    def _incident(self, incident_id: int) -> None:
        if self.session.execute(_INCIDENT, {"id": incident_id}).first() is None:
            raise NotFound(f"no incident {incident_id}")

    def _lock_usable(self, category: Category, t: Table, fid: int) -> str | None:
        # the category's own "why not usable" expression (trusted: from the definitions)
        reason: Any = literal_column(category.usable.reason(t.name) if category.usable else "NULL")
        row = self.session.execute(
            select(t.c.region_code, reason.label("unusable"))
            .select_from(t)
            .where(t.c.id == fid)
            .with_for_update(of=t)
        ).first()
        if row is None:
            raise NotFound(f"no feature {fid} in {category.id}")
        if not self.principal.in_region(row.region_code):
            raise Forbidden(f"feature {fid} is outside the regions of this token")
        if row.unusable is not None:
            raise Conflict(f"{category.id} {fid} cannot be dispatched: it is {row.unusable}")
        return str(row.region_code) if row.region_code is not None else None

    def _take_stock(self, category: Category, t: Table, fid: int, n: float, reason: str) -> None:
        assert category.stock_field is not None
        mark(self.session, "adjust", reason)
        left = change_stock(self.session, t, category.stock_field, fid, -n)
        # the mark is transaction-wide: the dispatch row written next is an ordinary change
        mark(self.session, "update", reason)
        if left is None:
            q = t.c[category.stock_field]
            have = self.session.execute(select(q).where(t.c.id == fid)).scalar_one()
            raise Conflict(
                f"not enough stock: {category.stock_field} is {have:g}, asked {n:g}",
                details={category.stock_field: have, "asked": n},
            )

    def _set_status(
        self, rules: Dispatch, t: Table, fid: int, status: str | None, reason: str
    ) -> None:
        assert rules.status_field is not None
        values: dict[Any, Any] = {
            t.c[rules.status_field]: status,
            t.c.updated_at: func.clock_timestamp(),
        }
        if rules.status_time_field:
            values[t.c[rules.status_time_field]] = func.clock_timestamp()
        mark(self.session, "update", reason)
        self.session.execute(update(t).where(t.c.id == fid).values(values))

    def _release(
        self,
        category: Category,
        rules: Dispatch,
        row: Any,
        incident_id: int,
        returned_quantity: float | None,
    ) -> float | None:
        t = table_for(category.id)
        reason = f"returned from incident {incident_id}"
        if rules.mode == "stock":
            if returned_quantity is None:
                raise ValidationFailed(
                    "releasing supplies needs returned_quantity (0 when all were used)"
                )
            if not 0 <= returned_quantity <= row.quantity:
                raise ValidationFailed(
                    f"returned_quantity must be between 0 and the {row.quantity:g} dispatched"
                )
            if returned_quantity > 0:
                assert category.stock_field is not None
                mark(self.session, "adjust", reason)
                back = change_stock(
                    self.session, t, category.stock_field, row.feature_id, returned_quantity
                )
                mark(self.session, "update", reason)
                if back is None:
                    raise Conflict(f"the stock record {row.feature_id} no longer exists")
            return returned_quantity
        if returned_quantity is not None:
            raise ValidationFailed(f"returned_quantity does not apply to {category.id}")
        # stand the team down only if it is still marked as sent: a status set by hand meanwhile
        # (e.g. unavailable) is someone's decision and stays
        assert rules.status_field is not None
        current = self.session.execute(
            select(t.c[rules.status_field]).where(t.c.id == row.feature_id).with_for_update()
        ).scalar()
        if current == rules.dispatched_status and not self._sent_elsewhere(row):
            self._set_status(rules, t, row.feature_id, rules.released_status, reason)
        return None

    def _sent_elsewhere(self, row: Any) -> bool:
        d = DISPATCHES
        return (
            self.session.execute(
                select(d.c.id).where(
                    d.c.collection == row.collection,
                    d.c.feature_id == row.feature_id,
                    d.c.status != "released",
                    d.c.id != row.id,
                )
            ).first()
            is not None
        )

    def _eta(self, collection: str, fid: int, incident_id: int) -> float | None:
        if self.eta is None:
            return None
        try:
            with self.session.begin_nested():  # a failed routing query must not end the dispatch
                return self.eta(collection, fid, incident_id)
        except OneMapError as exc:  # no network, too far from a road, unreachable
            log.info("no ETA for %s/%s: %s", collection, fid, exc.message)
            return None


__all__ = ["STATUSES", "DispatchInput", "DispatchService", "dispatchable"]

"""Surroundings of an incident: the 8 categories nearest first, with totals and event matches."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, bindparam, literal, select, text, union_all
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import Origin
from gis_onemap.analysis.proximity import _feature, nearest_select, within_select
from gis_onemap.categories import CATEGORIES, Category
from gis_onemap.categories.events import event_types_of, specialties_for
from gis_onemap.db.tables import table_for

#: Features returned per category when ``k`` is not given (totals always cover the whole radius).
DEFAULT_K = 100
#: Default search radius (metres).
DEFAULT_RADIUS_M = 5000.0


@cache
def sql_resource(name: str) -> str:
    """The text of ``gis_onemap/analysis/sql/<name>``."""
    return (files("gis_onemap.analysis") / "sql" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class EventFit:
    """What fits an event: plan event types and expert specialties (``None`` = no event)."""

    event_category: str | None
    event_type: str | None

    @property
    def event_types(self) -> list[str] | None:
        if self.event_type:
            return [self.event_type]
        if self.event_category:
            return list(event_types_of(self.event_category))
        return None

    @property
    def specialties(self) -> list[str] | None:
        if not (self.event_type or self.event_category):
            return None
        return sorted(specialties_for(self.event_type, self.event_category))


def _category_select(
    category: Category, radius_m: float, k: int, fit: EventFit, personal: bool
) -> Any:
    table = table_for(category.id)
    where: list[ColumnElement[bool]] = []
    if category.id == "experts" and fit.specialties is not None:
        specs = bindparam("specialties", type_=ARRAY(Text))
        where.append(table.c.specialties.op("&&")(specs))
        return nearest_select(category, k, where, None, personal)
    if category.id == "plans" and fit.event_types is not None:
        types = bindparam("event_types", type_=ARRAY(Text))
        where.append(table.c.event_types.op("&&")(types))
    return within_select(category, radius_m, where, k, personal)


class SurroundingsService:
    """What lies around a point: features per category and a summary of totals."""

    def __init__(self, session: Session, include_personal: bool = False) -> None:
        self.session = session
        self.include_personal = include_personal

    def surroundings(
        self,
        origin: Origin,
        radius_m: float = DEFAULT_RADIUS_M,
        event_category: str | None = None,
        event_type: str | None = None,
        k: int | None = None,
    ) -> dict[str, Any]:
        """Features of all 8 categories around ``origin`` and the summary.

        Every category lists its features within ``radius_m`` nearest first (at most ``k``);
        plans are those whose event types fit the event and whose geometry (issuer point or
        coverage area) lies within the radius or contains the point. Experts whose specialties fit
        the event are searched in the whole pool (they advise from anywhere), nearest first.
        Totals in ``summary`` cover everything within the radius, not only the ``k`` listed.
        """
        fit = EventFit(event_category, event_type)
        k = k or DEFAULT_K
        params: dict[str, Any] = {
            "origin": origin.ewkt,
            "radius": radius_m,
            "event_types": fit.event_types,
            "specialties": fit.specialties,
        }
        parts = [
            select(
                *_category_select(c, radius_m, k, fit, self.include_personal).subquery().c,
                literal(i).label("ord"),
            )
            for i, c in enumerate(CATEGORIES)
        ]
        rows = self.session.execute(union_all(*parts), params).all()
        summary = self.summary(origin, radius_m, fit)
        collections: dict[str, dict[str, Any]] = {}
        for c in CATEGORIES:
            feats = [
                _feature(r)
                for r in sorted(
                    (r for r in rows if r.category == c.id), key=lambda r: (r.distance_m, r.id)
                )
            ]
            collections[c.id] = {
                "type": "FeatureCollection",
                "features": feats,
                "numberMatched": summary["counts"][c.id],
                "numberReturned": len(feats),
            }
        return {
            "origin": {"lon": origin.lon, "lat": origin.lat},
            "radius_m": radius_m,
            "event_category": fit.event_category,
            "event_type": fit.event_type,
            "k": k,
            "summary": summary,
            "collections": collections,
        }

    def summary(self, origin: Origin, radius_m: float, fit: EventFit) -> dict[str, Any]:
        """Totals within the radius (one SQL statement, ``surroundings_summary.sql``)."""
        stmt = text(sql_resource("surroundings_summary.sql")).bindparams(
            bindparam("event_types", type_=ARRAY(Text)),
            bindparam("specialties", type_=ARRAY(Text)),
        )
        params = {
            "origin": origin.ewkt,
            "radius": radius_m,
            "event_types": fit.event_types,
            "specialties": fit.specialties,
        }
        summary: dict[str, Any] = dict(self.session.execute(stmt, params).scalar_one())
        summary["expert_specialties"] = fit.specialties
        summary["plan_event_types"] = fit.event_types
        return summary

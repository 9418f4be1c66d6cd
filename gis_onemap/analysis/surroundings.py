"""Surroundings of an incident: the 8 categories nearest first, with totals and event matches."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Integer,
    Text,
    bindparam,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from gis_onemap.analysis.inputs import Origin
from gis_onemap.analysis.proximity import _feature, nearest_select, within_select
from gis_onemap.categories import CATEGORIES, REGISTRY, Category
from gis_onemap.categories.events import event_types_of, specialties_for
from gis_onemap.db.tables import table_for

#: Features returned per category when ``k`` is not given (totals always cover the whole radius).
DEFAULT_K = 100
#: Nearest fitting experts listed at any distance in ``summary.experts_nearest``.
NEAREST_EXPERTS = 10
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


def _category_select(category: Category, fit_event: bool, personal: bool) -> Any:
    """Rows of one category within ``:radius`` (at most ``:k``), filtered by the event's fit."""
    table = table_for(category.id)
    where: list[ColumnElement[bool]] = []
    if category.id == "experts" and fit_event:
        where.append(table.c.specialties.op("&&")(bindparam("specialties", type_=ARRAY(Text))))
    if category.id == "plans" and fit_event:
        where.append(table.c.event_types.op("&&")(bindparam("event_types", type_=ARRAY(Text))))
    radius, k = bindparam("radius", type_=Float), bindparam("k", type_=Integer)
    return within_select(category, radius, where, k, personal)


@lru_cache(maxsize=8)
def surroundings_statement(fit_event: bool, personal: bool) -> Any:
    """One UNION ALL over the 8 categories (+ the nearest fitting experts, any distance).

    Built once per shape (Python construction costs milliseconds); parameters: ``origin``,
    ``radius``, ``k``, ``specialties``, ``event_types``, ``k_experts``.
    """
    parts = [
        select(*_category_select(c, fit_event, personal).subquery().c, literal(i).label("part"))
        for i, c in enumerate(CATEGORIES)
    ]
    if fit_event:
        experts = table_for("experts")
        fits = experts.c.specialties.op("&&")(bindparam("specialties", type_=ARRAY(Text)))
        k = bindparam("k_experts", type_=Integer)
        nearest = nearest_select(REGISTRY["experts"], k, [fits], None, personal).subquery()
        parts.append(select(*nearest.c, literal(len(CATEGORIES)).label("part")))
    return union_all(*parts)


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
        with an event, plans are those whose event types fit it and whose geometry (issuer point
        or coverage area) lies within the radius or contains the point, and experts those whose
        specialties fit it. As experts advise from anywhere, ``summary.experts_nearest`` also
        lists the :data:`NEAREST_EXPERTS` nearest fitting experts at any distance.
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
        fit_event = fit.specialties is not None
        params["k"] = k
        params["k_experts"] = NEAREST_EXPERTS
        stmt = surroundings_statement(fit_event, self.include_personal)
        rows = sorted(self.session.execute(stmt, params).all(), key=lambda r: (r.distance_m, r.id))
        summary = self.summary(origin, radius_m, fit)
        collections: dict[str, dict[str, Any]] = {}
        for i, c in enumerate(CATEGORIES):
            feats = [_feature(r) for r in rows if r.part == i]
            collections[c.id] = {
                "type": "FeatureCollection",
                "features": feats,
                "numberMatched": summary["counts"][c.id],
                "numberReturned": len(feats),
            }
        if fit_event:
            nearest = [_feature(r) for r in rows if r.part == len(CATEGORIES)]
            summary["experts_nearest"] = {"type": "FeatureCollection", "features": nearest}
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

"""Surroundings of an incident: the 8 categories nearest first, with totals and event matches.

Only usable resources count by default (each category's ``usable`` declaration: unexpired,
available stock; teams on duty or standby); ``include_unusable`` shows the rest, and the summary
always says how much was left out and why. Plans are those whose jurisdiction contains the
incident (:mod:`gis_onemap.analysis.jurisdiction`), closest responsibility first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
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
from gis_onemap.analysis.jurisdiction import applies_sql, level_order, level_rank
from gis_onemap.analysis.proximity import (
    _columns,
    _feature,
    distance_expr,
    nearest_select,
    origin_geography,
    usable_where,
    within_select,
)
from gis_onemap.categories import CATEGORIES, REGISTRY, Category
from gis_onemap.categories.events import event_types_of, specialties_for
from gis_onemap.db.tables import table_for

#: Features returned per category when ``k`` is not given (totals always cover the whole radius).
DEFAULT_K = 100
#: Nearest fitting experts listed at any distance in ``summary.experts_nearest``.
NEAREST_EXPERTS = 10
#: Default search radius (metres).
DEFAULT_RADIUS_M = 5000.0
#: Default distance (m) from its hazard source within which an enterprise plan applies
#: (``Settings.plan_site_radius_m``).
DEFAULT_SITE_RADIUS_M = 1000.0


@cache
def sql_resource(name: str) -> str:
    """The text of ``gis_onemap/analysis/sql/<name>``."""
    return (files("gis_onemap.analysis") / "sql" / name).read_text(encoding="utf-8")


@cache
def summary_sql() -> str:
    """``surroundings_summary.sql`` with the categories' declared SQL spliced in."""
    sql = sql_resource("surroundings_summary.sql")
    for c in CATEGORIES:  # each placeholder the SQL file uses gets that category's declaration
        reason = c.usable.reason(c.id) if c.usable else "NULL::text"
        sql = sql.replace(f"__{c.id.upper()}_REASON__", reason)
    return sql.replace("__PLAN_APPLIES__", applies_sql("plans"))


@cache
def excluded_sql() -> str:
    """Rows left out as unusable within ``:radius``, per category, reason (and unit)."""
    parts = []
    for c in CATEGORIES:
        u = c.usable
        if u is None:
            continue
        t = f'"{c.id}"'
        per = f"{t}.{u.measure_per}::text" if u.measure_per else "NULL::text"
        parts.append(
            f"SELECT '{c.id}' AS category, {u.reason(c.id)} AS reason, {per} AS per, "
            f"{t}.{u.measure_column} AS measure FROM {t} "
            f"WHERE ST_DWithin(geography({t}.geom), ST_GeogFromText(:origin), :radius)"
        )
    return (
        "SELECT category, reason, per, count(*) AS n, coalesce(sum(measure), 0) AS total "
        f"FROM ({' UNION ALL '.join(parts)}) x WHERE reason IS NOT NULL "
        "GROUP BY category, reason, per ORDER BY category, reason, per"
    )


@dataclass(frozen=True)
class EventFit:
    """What fits an event: plan event types and expert specialties (``None`` = no event)."""

    event_category: str | None
    event_type: str | None

    @property
    def event_types(self) -> list[str] | None:
        """The event types the request names (one, those of its category, or ``None``)."""
        if self.event_type:
            return [self.event_type]
        if self.event_category:
            return list(event_types_of(self.event_category))
        return None

    @property
    def specialties(self) -> list[str] | None:
        """The rescue specialties the event calls for, or ``None`` when no event is named."""
        if not (self.event_type or self.event_category):
            return None
        return sorted(specialties_for(self.event_type, self.event_category))


def _jurisdiction_select(
    category: Category, where: list[ColumnElement[bool]], personal: bool
) -> Any:
    """Rows (plans) whose jurisdiction contains the incident (at most ``:k``)."""
    table = table_for(category.id)
    origin = origin_geography()
    return (
        select(*_columns(category, personal, origin))
        .where(*where, text(applies_sql(category.id)))
        # the k kept are the closest responsibility first, then the nearest
        .order_by(level_order(table.c.issuer_level), distance_expr(table, origin), table.c.id)
        .limit(bindparam("k", type_=Integer))
    )


def _category_select(category: Category, fit_event: bool, personal: bool, usable_only: bool) -> Any:
    """Rows of one category within ``:radius`` (at most ``:k``), filtered by the event's fit."""
    table = table_for(category.id)
    where: list[ColumnElement[bool]] = usable_where(category) if usable_only else []
    if category.event_match is not None and fit_event:
        # declared: experts by specialties, plans by event types (the bound parameter has the
        # field's name: EventFit computes both vocabularies)
        match = category.event_match
        where.append(table.c[match].op("&&")(bindparam(match, type_=ARRAY(Text))))
    if category.selection == "jurisdiction":
        return _jurisdiction_select(category, where, personal)
    radius, k = bindparam("radius", type_=Float), bindparam("k", type_=Integer)
    return within_select(category, radius, where, k, personal)


@lru_cache(maxsize=8)
def surroundings_statement(fit_event: bool, personal: bool, usable_only: bool = True) -> Any:
    """One UNION ALL over the 8 categories (+ the nearest fitting experts, any distance).

    Built once per shape (Python construction costs milliseconds); parameters: ``origin``,
    ``radius``, ``k``, ``specialties``, ``event_types``, ``k_experts``, ``site_radius``.
    """
    parts = [
        select(
            *_category_select(c, fit_event, personal, usable_only).subquery().c,
            literal(i).label("part"),
        )
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

    def __init__(
        self,
        session: Session,
        include_personal: bool = False,
        site_radius_m: float = DEFAULT_SITE_RADIUS_M,
    ) -> None:
        self.session = session
        self.include_personal = include_personal
        self.site_radius_m = site_radius_m

    def surroundings(
        self,
        origin: Origin,
        radius_m: float = DEFAULT_RADIUS_M,
        event_category: str | None = None,
        event_type: str | None = None,
        k: int | None = None,
        include_unusable: bool = False,
    ) -> dict[str, Any]:
        """Features of all 8 categories around ``origin`` and the summary.

        Every category lists its features within ``radius_m`` nearest first (at most ``k``);
        plans are those whose jurisdiction contains the point (their ``area_codes`` regions, or
        the enterprise site), whose event types fit the event, listed enterprise first, then
        county, city, province; experts are those whose specialties fit it. Unusable supplies and
        teams are left out unless ``include_unusable``. As experts advise from anywhere,
        ``summary.experts_nearest`` also lists the :data:`NEAREST_EXPERTS` nearest fitting experts
        at any distance.
        Totals in ``summary`` cover everything within the radius, not only the ``k`` listed.
        """
        fit = EventFit(event_category, event_type)
        k = k or DEFAULT_K
        params: dict[str, Any] = {
            "origin": origin.ewkt,
            "radius": radius_m,
            "event_types": fit.event_types,
            "specialties": fit.specialties,
            "site_radius": self.site_radius_m,
        }
        fit_event = fit.specialties is not None
        params["k"] = k
        params["k_experts"] = NEAREST_EXPERTS
        stmt = surroundings_statement(fit_event, self.include_personal, not include_unusable)
        rows = sorted(self.session.execute(stmt, params).all(), key=lambda r: (r.distance_m, r.id))
        summary = self.summary(origin, radius_m, fit, include_unusable)
        collections: dict[str, dict[str, Any]] = {}
        for i, c in enumerate(CATEGORIES):
            feats = [_feature(r) for r in rows if r.part == i]
            if c.selection == "jurisdiction":  # closest responsibility first, then distance
                feats.sort(key=lambda f: level_rank(f["properties"].get("issuer_level")))
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
            "include_unusable": include_unusable,
            "summary": summary,
            "collections": collections,
        }

    def summary(
        self, origin: Origin, radius_m: float, fit: EventFit, include_unusable: bool = False
    ) -> dict[str, Any]:
        """Totals within the radius (``surroundings_summary.sql``) and what was left out.

        ``excluded`` (left out of the totals) or ``unusable_included`` (counted because
        ``include_unusable``): per category and reason, e.g.
        ``{"supplies": {"expired": {"records": 3, "quantity": {"箱": 120}}},
        "rescue_teams": {"deployed": {"teams": 2, "people": 40}}}``.
        """
        stmt = text(summary_sql()).bindparams(
            bindparam("event_types", type_=ARRAY(Text)),
            bindparam("specialties", type_=ARRAY(Text)),
            bindparam("include_unusable", type_=Boolean),
            bindparam("site_radius", type_=Float),
        )
        params = {
            "origin": origin.ewkt,
            "radius": radius_m,
            "event_types": fit.event_types,
            "specialties": fit.specialties,
            "include_unusable": include_unusable,
            "site_radius": self.site_radius_m,
        }
        summary: dict[str, Any] = dict(self.session.execute(stmt, params).scalar_one())
        summary["expert_specialties"] = fit.specialties
        summary["plan_event_types"] = fit.event_types
        unusable = self.unusable(origin, radius_m)
        summary["excluded"] = {} if include_unusable else unusable
        summary["unusable_included"] = unusable if include_unusable else {}
        return summary

    def unusable(self, origin: Origin, radius_m: float) -> dict[str, Any]:
        """Unusable rows within the radius, per category and reason, with their measure."""
        rows = self.session.execute(
            text(excluded_sql()), {"origin": origin.ewkt, "radius": radius_m}
        ).all()
        out: dict[str, Any] = {}
        for r in rows:
            u = REGISTRY[r.category].usable
            assert u is not None  # only categories that declare it are queried
            entry = out.setdefault(r.category, {}).setdefault(
                r.reason, {u.unit: 0, u.measure_name: {} if u.measure_per else 0}
            )
            entry[u.unit] += int(r.n)
            total = float(r.total)
            total_out: float | int = int(total) if total.is_integer() else total
            if u.measure_per:
                entry[u.measure_name][r.per] = total_out
            else:
                entry[u.measure_name] += total_out
        return out

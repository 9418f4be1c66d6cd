"""Plans by jurisdiction: a plan applies where an incident lies inside its issuer's area.

A municipal plan covers the whole city, a county plan its county (``area_codes`` → the
``regions`` table), an enterprise on-site plan its site (``hazard_source_id`` → that hazard
source's geometry, within ``Settings.plan_site_radius_m``). Plans with neither (records from
before migration 0007) fall back to their own geometry within the search radius.
Plans for an incident are listed enterprise first, then village … province, national.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.orm import Session

from gis_onemap.db.tables import REGIONS, table_for
from gis_onemap.errors import ValidationFailed

#: Order of plans for an incident: the closest responsibility first.
LEVEL_ORDER = (
    "enterprise", "village", "township", "county", "municipal", "provincial", "national",
)  # fmt: skip

#: SQL predicate "plan row ``{p}`` applies at the incident": ``:origin`` (EWKT), ``:radius``
#: (fallback for plans without an area) and ``:site_radius`` (enterprise site, metres).
APPLIES_SQL = """(
    EXISTS (SELECT 1 FROM regions rg
            WHERE rg.code = ANY({p}.area_codes)
              AND ST_Covers(rg.geom, ST_GeomFromEWKT(:origin)))
    OR EXISTS (SELECT 1 FROM hazard_sources hs
               WHERE hs.id = {p}.hazard_source_id
                 AND ST_DWithin(geography(hs.geom), ST_GeogFromText(:origin), :site_radius))
    OR (coalesce(cardinality({p}.area_codes), 0) = 0 AND {p}.hazard_source_id IS NULL
        AND ST_DWithin(geography({p}.geom), ST_GeogFromText(:origin), :radius))
)"""


def applies_sql(table: str = "plans") -> str:
    """The predicate for plan rows named ``table`` (a trusted identifier)."""
    return APPLIES_SQL.format(p=f'"{table}"')


def level_rank(level: str | None) -> int:
    """Sort key of an issuer level (unknown last).

    >>> sorted(["municipal", None, "enterprise", "county"], key=level_rank)
    ['enterprise', 'county', 'municipal', None]
    """
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def level_order(column: Any) -> ColumnElement[int]:
    """SQL sort key of an issuer level, the same order as :func:`level_rank`."""
    ranks = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return case(ranks, value=column, else_=len(LEVEL_ORDER))


def check_plan_references(
    session: Session | None, area_codes: list[str] | None, hazard_source_id: int | None
) -> None:
    """422 unless every area code is a known region and the hazard source exists."""
    if session is None:
        return
    if area_codes:
        query = select(REGIONS.c.code).where(REGIONS.c.code.in_(list(area_codes)))
        known = set(session.execute(query).scalars())
        unknown = [c for c in area_codes if c not in known]
        if unknown:
            raise ValidationFailed(f"'area_codes': '{unknown[0]}' is not a known region code")
    if hazard_source_id is not None:
        hs = table_for("hazard_sources")
        found = session.execute(select(hs.c.id).where(hs.c.id == hazard_source_id)).scalar()
        if found is None:
            raise ValidationFailed(f"'hazard_source_id' {hazard_source_id}: no such hazard source")


def region_codes(session: Session) -> dict[str, Any]:
    """Known regions: code → name."""
    return dict(session.execute(select(REGIONS.c.code, REGIONS.c.name)).all())

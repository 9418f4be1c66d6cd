"""What makes an incident's state valid, and how its severity follows from it (issue 13).

An incident evolves: the first report (速报) often knows only where and what, later reports
(续报, 终报) add casualties and economic loss. The severity shown is, in this order:

1. ``severity_override`` — a person's grade, which must come with ``severity_override_reason``;
2. ``severity_derived`` — from the grading table (国务院令第493号 by default) when the table applies
   to the event category and at least one of its criteria (dead, missing, seriously injured,
   direct loss) is known;
3. ``severity_reported`` — the grade given in a report (social-security events and natural
   disasters are graded by their own plans, so this is their usual source).

These functions are pure (no database), so the POST and PATCH paths share them and they are
doctested here; every problem is listed, never just the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gis_onemap.categories.severity import DEFAULT_TABLE, GradingTable, load_grading_table

#: Casualty and people counts (integers ≥ 0; NULL = not known yet).
PEOPLE_FIELDS = ("dead", "missing", "injured", "seriously_injured", "affected_people")
#: Upper bound of a count: far above any real event, below the int4 column limit.
MAX_PEOPLE = 100_000_000
#: Upper bound of a loss in yuan (the column is numeric(18, 2)).
MAX_LOSS_YUAN = 1e15
MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class IncidentRules:
    """The grading table and the clock tolerance, from the settings."""

    table: GradingTable
    future_tolerance: timedelta

    @classmethod
    def default(cls) -> IncidentRules:
        """The shipped 493号令 table and a 5-minute tolerance (the settings' defaults)."""
        return cls(load_grading_table(DEFAULT_TABLE), timedelta(minutes=5))

    @classmethod
    def from_settings(cls, settings: Any) -> IncidentRules:
        """From ``incident_grading_file`` and ``incident_future_tolerance_s``."""
        path = settings.incident_grading_file or DEFAULT_TABLE
        return cls(
            load_grading_table(Path(path)),
            timedelta(seconds=settings.incident_future_tolerance_s),
        )


def check_incident(
    state: Mapping[str, Any], now: datetime, future_tolerance: timedelta
) -> list[dict[str, str]]:
    """Every problem of an incident's (merged) state, as ``{"parameter", "message"}`` items.

    >>> from datetime import UTC
    >>> now = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    >>> ok = {"dead": 1, "injured": 4, "seriously_injured": 2, "direct_loss_yuan": 1.5e6,
    ...       "occurred_at": now - timedelta(hours=2), "reported_at": now}
    >>> check_incident(ok, now, timedelta(minutes=5))
    []
    >>> bad = {"dead": -1, "direct_loss_yuan": -5, "injured": 1, "seriously_injured": 3,
    ...        "occurred_at": now + timedelta(hours=1), "reported_at": now,
    ...        "severity_override": "II", "severity_override_reason": "  "}
    >>> [p["parameter"] for p in check_incident(bad, now, timedelta(minutes=5))]
    ['dead', 'seriously_injured', 'direct_loss_yuan', 'occurred_at', 'occurred_at', \
'severity_override_reason']
    """
    problems: list[dict[str, str]] = []

    def problem(parameter: str, message: str) -> None:
        problems.append({"parameter": parameter, "message": message})

    for name in PEOPLE_FIELDS:
        value = state.get(name)
        if value is None:
            continue
        if value < 0:
            problem(name, f"{name} must be 0 or more (got {value})")
        elif value > MAX_PEOPLE:
            problem(name, f"{name} must be at most {MAX_PEOPLE:,} (got {value})")
    injured, serious = state.get("injured"), state.get("seriously_injured")
    if injured is not None and serious is not None and serious > injured >= 0:
        problem(
            "seriously_injured",
            f"seriously_injured ({serious}) cannot exceed injured ({injured}): "
            "the seriously injured are counted among the injured",
        )
    loss = state.get("direct_loss_yuan")
    if loss is not None:
        if not math.isfinite(loss) or loss < 0:
            problem("direct_loss_yuan", f"direct_loss_yuan must be 0 or more (got {loss})")
        elif loss > MAX_LOSS_YUAN:
            problem("direct_loss_yuan", f"direct_loss_yuan must be at most {MAX_LOSS_YUAN:.0e}")

    latest = now + future_tolerance
    occurred, reported = state.get("occurred_at"), state.get("reported_at")
    for name, when in (("occurred_at", occurred), ("reported_at", reported)):
        if when is not None and when > latest:
            problem(
                name,
                f"{name} lies in the future (more than "
                f"{future_tolerance.total_seconds():.0f} s after the server's clock)",
            )
    if occurred is not None and reported is not None and occurred > reported:
        problem("occurred_at", "occurred_at is after reported_at: an incident is reported after it")

    override = state.get("severity_override")
    reason = state.get("severity_override_reason")
    if override is not None and (reason is None or not str(reason).strip()):
        problem(
            "severity_override_reason",
            "severity_override needs a severity_override_reason (who decided it and why)",
        )
    if reason is not None and len(str(reason)) > MAX_REASON_CHARS:
        problem(
            "severity_override_reason",
            f"severity_override_reason is longer than {MAX_REASON_CHARS} characters",
        )
    return problems


def resolve_severity(state: Mapping[str, Any], table: GradingTable) -> dict[str, Any]:
    """The stored severity columns of a valid state.

    Derived, the criterion that decided it, and the effective severity with its source.

    >>> from gis_onemap.categories.severity import load_grading_table
    >>> t = load_grading_table()
    >>> resolve_severity({"event_category": "accident", "dead": 12}, t)["severity"]
    'II'
    >>> r = resolve_severity({"event_category": "accident", "dead": 12,
    ...                       "severity_override": "I", "severity_override_reason": "省政府"}, t)
    >>> r["severity"], r["severity_source"], r["severity_derived"], r["severity_basis"]
    ('I', 'override', 'II', 'dead incl. missing 12 ≥ 10')
    >>> r = resolve_severity({"event_category": "social_security", "dead": 40,
    ...                       "severity_reported": "III"}, t)
    >>> r["severity"], r["severity_source"], r["severity_derived"]
    ('III', 'reported', None)
    >>> resolve_severity({"event_category": "accident", "severity_reported": "III"}, t)["severity"]
    'III'
    """
    derived: str | None = None
    basis: str | None = None
    criteria = ("dead", "missing", "seriously_injured", "direct_loss_yuan")
    if table.applies_to_category(str(state.get("event_category"))) and any(
        state.get(c) is not None for c in criteria
    ):
        grade, basis = table.decide(
            int(state.get("dead") or 0),
            int(state.get("missing") or 0),
            int(state.get("seriously_injured") or 0),
            float(state.get("direct_loss_yuan") or 0.0),
        )
        derived = grade.severity
    effective, source = None, None
    for value, origin in (
        (state.get("severity_override"), "override"),
        (derived, "derived"),
        (state.get("severity_reported"), "reported"),
    ):
        if value is not None:
            effective, source = value, origin
            break
    return {
        "severity": effective,
        "severity_source": source,
        "severity_derived": derived,
        "severity_basis": basis,
    }

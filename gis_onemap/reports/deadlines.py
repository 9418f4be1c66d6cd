"""Reporting deadlines: a table of rules (event category × severity → reports due within N min).

The table is data (``data/report_deadlines.json``; a bureau may store its own), checked as a
whole before use: every event category × severity (I–IV and ungraded) must match exactly one
rule — a gap would leave an incident with no deadline at all, an overlap with two. Deadlines run
from the first known of ``occurred_at``, ``reported_at``, ``received_at`` (the table's
``clock``), so an incident reported late is already late.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from gis_onemap.categories.events import EVENT_CATEGORIES, SEVERITIES
from gis_onemap.errors import ValidationFailed

_DATA = Path(__file__).resolve().parent / "data" / "report_deadlines.json"
KINDS = ("initial", "follow_up", "final")
FORMS = ("verbal", "written")
CLOCK_FIELDS = ("occurred_at", "reported_at", "received_at")
_GRADES: tuple[str | None, ...] = (*(s.value for s in SEVERITIES), None)


@dataclass(frozen=True)
class Due:
    """One report that must be filed: which kind and form, by when, under which rule."""

    kind: str
    form: str
    due_at: datetime
    rule: str


@cache
def shipped_tables() -> dict[str, Any]:
    """The tables shipped with the package and the name of the default one."""
    return dict(json.loads(_DATA.read_text(encoding="utf-8")))


def default_table() -> dict[str, Any]:
    """The shipped default table (the provincial rule: see its ``source``)."""
    data = shipped_tables()
    return dict(data["tables"][data["default"]])


def table_problems(table: Any) -> list[str]:
    """Every problem with a deadline table (empty when it can be used).

    >>> table_problems(default_table())
    []
    >>> t = default_table()
    >>> t["rules"] = t["rules"][:1]  # only I–II left: III, IV and ungraded have no rule
    >>> table_problems(t)[:2]
    ['no rule for accident / III', 'no rule for accident / IV']
    """
    if not isinstance(table, dict) or not isinstance(table.get("rules"), list):
        return ["a deadline table is an object with a list of rules"]
    problems: list[str] = []
    clock = table.get("clock", list(CLOCK_FIELDS))
    if not isinstance(clock, list) or not clock or any(c not in CLOCK_FIELDS for c in clock):
        problems.append(f"clock must list some of {', '.join(CLOCK_FIELDS)}")
    categories = {c.value for c in EVENT_CATEGORIES}
    owner: dict[tuple[str, str | None], str] = {}
    for i, rule in enumerate(table["rules"][:200]):
        if not isinstance(rule, dict):
            problems.append(f"rules[{i}] must be an object")
            continue
        rid = str(rule.get("id") or f"rules[{i}]")[:60]
        sev = rule.get("severities")
        cats = rule.get("event_categories")
        reports = rule.get("reports")
        if not isinstance(sev, list) or any(s not in _GRADES for s in sev):
            problems.append(f"{rid}: severities must list I, II, III, IV or null (ungraded)")
            continue
        if not isinstance(cats, list) or any(c not in categories for c in cats):
            problems.append(f"{rid}: event_categories must list {', '.join(sorted(categories))}")
            continue
        if not isinstance(reports, list) or not reports:
            problems.append(f"{rid}: give at least one report with its deadline")
            continue
        for j, rep in enumerate(reports):
            ok = (
                isinstance(rep, dict)
                and rep.get("kind") in KINDS
                and rep.get("form") in FORMS
                and isinstance(rep.get("within_min"), int | float)
                and not isinstance(rep.get("within_min"), bool)
                and 0 < rep["within_min"] <= 60 * 24 * 30
            )
            if not ok:
                problems.append(
                    f"{rid}: reports[{j}] needs kind ({'/'.join(KINDS)}), form "
                    f"({'/'.join(FORMS)}) and within_min between 0 and 43200"
                )
        for c in cats:
            for s in sev:
                if (c, s) in owner:
                    problems.append(f"{rid} and {owner[(c, s)]} both cover {c} / {s or 'ungraded'}")
                owner[(c, s)] = rid
    for c in sorted(categories):
        for s in _GRADES:
            if (c, s) not in owner:
                problems.append(f"no rule for {c} / {s or 'ungraded'}")
    return problems


def check_table(table: Any) -> dict[str, Any]:
    """``table`` when usable, else ``ValidationFailed`` (422) listing every problem."""
    problems = table_problems(table)
    if problems:
        raise ValidationFailed("the deadline table cannot be used", details=problems[:100])
    return dict(table)


def clock_start(table: dict[str, Any], times: dict[str, datetime | None]) -> datetime | None:
    """The time deadlines run from: the first of the table's clock fields that is known.

    >>> from datetime import timezone
    >>> t = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    >>> clock_start(default_table(), {"occurred_at": None, "reported_at": t})
    datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.timezone.utc)
    """
    for name in table.get("clock", CLOCK_FIELDS):
        if times.get(name) is not None:
            return times[name]
    return None


def obligations(
    table: dict[str, Any],
    event_category: str,
    severity: str | None,
    times: dict[str, datetime | None],
) -> list[Due]:
    """The reports due for an incident, earliest first.

    >>> from datetime import timezone
    >>> t0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    >>> [(d.form, d.due_at.strftime("%H:%M")) for d in
    ...  obligations(default_table(), "accident", "II", {"occurred_at": t0})]
    [('verbal', '08:20'), ('written', '10:00')]
    """
    start = clock_start(table, times)
    if start is None:
        return []
    for rule in table["rules"]:
        if event_category in rule["event_categories"] and severity in rule["severities"]:
            due = [
                Due(r["kind"], r["form"], start + timedelta(minutes=r["within_min"]), rule["id"])
                for r in rule["reports"]
            ]
            return sorted(due, key=lambda d: (d.due_at, d.form))
    raise ValidationFailed(f"the deadline table has no rule for {event_category} / {severity}")


def follow_up_days(table: dict[str, Any], event_type: str) -> int:
    """Days after the event during which casualty changes are still reported (续报).

    >>> follow_up_days(default_table(), "traffic"), follow_up_days(default_table(), "flood")
    (7, 30)
    """
    days = table.get("follow_up_days") or {}
    return int(days.get(event_type, days.get("default", 30)))

"""Deadlines computed for each row of the shipped tables with fixed clocks (independently of the
code: the expected minutes are written out here from DOMAIN.md's rules)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from gis_onemap.errors import ValidationFailed
from gis_onemap.reports.deadlines import (
    check_table,
    obligations,
    shipped_tables,
    table_problems,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CATEGORIES = ("natural_disaster", "accident", "public_health", "social_security")
# (table, severity) -> [(form, minutes)]: the rules as the plans state them
EXPECTED = {
    ("provincial", "I"): [("verbal", 20), ("written", 120)],
    ("provincial", "II"): [("verbal", 20), ("written", 120)],
    ("provincial", "III"): [("verbal", 60), ("written", 120)],
    ("provincial", "IV"): [("verbal", 60), ("written", 120)],
    ("provincial", None): [("verbal", 60), ("written", 120)],
    ("county", "I"): [("verbal", 30), ("written", 60)],
    ("county", "II"): [("verbal", 30), ("written", 60)],
    ("county", "III"): [("verbal", 30), ("written", 60)],
    ("county", "IV"): [("verbal", 60), ("written", 120)],
    ("county", None): [("verbal", 60), ("written", 120)],
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED.items())
@pytest.mark.parametrize("category", CATEGORIES)
def test_each_row_of_the_shipped_tables(key, expected, category) -> None:
    table = shipped_tables()["tables"][key[0]]
    due = obligations(table, category, key[1], {"occurred_at": T0})
    assert [(d.form, d.due_at) for d in due] == [
        (form, T0 + timedelta(minutes=m)) for form, m in expected
    ]
    assert {d.kind for d in due} == {"initial"}


def test_the_clock_runs_from_the_first_known_time() -> None:
    table = shipped_tables()["tables"]["provincial"]
    reported = T0 + timedelta(minutes=45)
    due = obligations(table, "accident", "I", {"occurred_at": None, "reported_at": reported})
    assert due[0].due_at == reported + timedelta(minutes=20)
    # occurred_at wins when known: a late report is already late
    due = obligations(table, "accident", "I", {"occurred_at": T0, "reported_at": reported})
    assert due[0].due_at == T0 + timedelta(minutes=20)
    assert obligations(table, "accident", "I", {}) == []


def test_shipped_tables_have_no_gaps_or_overlaps() -> None:
    for table in shipped_tables()["tables"].values():
        assert table_problems(table) == []


def test_a_table_with_a_gap_or_an_overlap_is_refused() -> None:
    table = copy.deepcopy(shipped_tables()["tables"]["provincial"])
    table["rules"][1]["severities"] = ["III", None]  # IV no longer covered
    with pytest.raises(ValidationFailed) as gap:
        check_table(table)
    assert "no rule for accident / IV" in gap.value.details
    table = copy.deepcopy(shipped_tables()["tables"]["provincial"])
    table["rules"][1]["severities"].append("II")
    problems = table_problems(table)
    assert any("both cover accident / II" in p for p in problems)
    table["rules"][0]["reports"][0]["within_min"] = -5
    assert any("within_min" in p for p in table_problems(table))

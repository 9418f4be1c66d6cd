"""Incident severity (I–IV) derived from casualties and direct economic loss.

The thresholds are data (``data/incident_grading.json``: 国务院令第493号 Art. 3), not code, so a
bureau can ship its own table. An incident is graded by the *highest* grade any one criterion
reaches: 30 dead alone makes it 特别重大, whatever the loss.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "incident_grading.json"


@dataclass(frozen=True)
class Grade:
    """One row: the lower bounds (inclusive) that put an incident at ``severity``."""

    severity: str
    zh: str
    dead_min: int
    seriously_injured_min: int
    direct_loss_yuan_min: float


@dataclass(frozen=True)
class GradingTable:
    """Grades from the most to the least severe, and which events they apply to."""

    grades: tuple[Grade, ...]
    count_missing_as_dead: bool
    applies_to: frozenset[str]
    source: str

    def grade(
        self,
        dead: int = 0,
        missing: int = 0,
        seriously_injured: int = 0,
        direct_loss_yuan: float = 0.0,
    ) -> Grade:
        """The most severe grade any criterion reaches.

        >>> t = load_grading_table()
        >>> [t.grade(dead=d).severity for d in (0, 2, 3, 9, 10, 29, 30)]
        ['IV', 'IV', 'III', 'III', 'II', 'II', 'I']
        >>> t.grade(seriously_injured=50).severity, t.grade(direct_loss_yuan=1e7).severity
        ('II', 'III')
        >>> t.grade(dead=1, missing=2).severity   # 死亡（含失踪）: 3 → 较大
        'III'
        >>> t.grade(dead=2, seriously_injured=9, direct_loss_yuan=9_999_999).severity
        'IV'
        """
        deaths = dead + (missing if self.count_missing_as_dead else 0)
        for g in self.grades:
            if (
                deaths >= g.dead_min
                or seriously_injured >= g.seriously_injured_min
                or direct_loss_yuan >= g.direct_loss_yuan_min
            ):
                return g
        return self.grades[-1]

    def decide(
        self,
        dead: int = 0,
        missing: int = 0,
        seriously_injured: int = 0,
        direct_loss_yuan: float = 0.0,
    ) -> tuple[Grade, str]:
        """The grade and, in words, the criterion that decided it.

        That is the first criterion, in the order deaths, serious injuries, loss, that reaches the
        grade.

        >>> t = load_grading_table()
        >>> t.decide(dead=1, missing=2)
        (Grade(severity='III', ...), 'dead incl. missing 3 ≥ 3')
        >>> t.decide(seriously_injured=120, direct_loss_yuan=2e8)[1]
        'seriously_injured 120 ≥ 100'
        >>> t.decide(direct_loss_yuan=5e7)[1]
        'direct_loss_yuan 50000000 ≥ 50000000'
        >>> t.decide(dead=2)[1]
        'below every 较大 bound'
        """
        deaths = dead + (missing if self.count_missing_as_dead else 0)
        grade = self.grade(dead, missing, seriously_injured, direct_loss_yuan)
        death_name = "dead incl. missing" if self.count_missing_as_dead else "dead"
        for name, value, bound in (
            (death_name, deaths, grade.dead_min),
            ("seriously_injured", seriously_injured, grade.seriously_injured_min),
            ("direct_loss_yuan", direct_loss_yuan, grade.direct_loss_yuan_min),
        ):
            if grade is not self.grades[-1] and value >= bound:
                return grade, f"{name} {value:.15g} ≥ {bound:.15g}"
        above = self.grades[-2].zh if len(self.grades) > 1 else grade.zh
        return grade, f"below every {above} bound"

    def applies_to_category(self, event_category: str) -> bool:
        """Whether incidents of this event category are graded by this table.

        >>> load_grading_table().applies_to_category("accident")
        True
        >>> load_grading_table().applies_to_category("social_security")
        False
        """
        return event_category in self.applies_to


def parse_grading_table(data: dict[str, object]) -> GradingTable:
    """Check and build a table: grades strictly decreasing, the last one open (all zero)."""
    rows = data.get("grades")
    if not isinstance(rows, list) or not rows:
        raise ValueError("the grading table needs a non-empty 'grades' list")
    grades = tuple(
        Grade(
            str(r["severity"]),
            str(r.get("zh", "")),
            int(r["dead_min"]),
            int(r["seriously_injured_min"]),
            float(r["direct_loss_yuan_min"]),
        )
        for r in rows
    )
    for upper, lower in itertools.pairwise(grades):
        if not (
            upper.dead_min > lower.dead_min
            and upper.seriously_injured_min > lower.seriously_injured_min
            and upper.direct_loss_yuan_min > lower.direct_loss_yuan_min
        ):
            raise ValueError(
                f"grade {upper.severity} must be above {lower.severity} on every bound"
            )
    last = grades[-1]
    if (last.dead_min, last.seriously_injured_min, last.direct_loss_yuan_min) != (0, 0, 0):
        raise ValueError("the least severe grade must start at zero (no gaps below it)")
    return GradingTable(
        grades,
        bool(data.get("count_missing_as_dead", True)),
        frozenset(str(c) for c in data.get("applies_to_event_categories", ["accident"])),  # type: ignore[attr-defined]
        str(data.get("source", "")),
    )


@lru_cache(maxsize=8)
def load_grading_table(path: Path = DEFAULT_TABLE) -> GradingTable:
    """The table at ``path`` (default: the shipped 493号令 table)."""
    return parse_grading_table(json.loads(Path(path).read_text(encoding="utf-8")))

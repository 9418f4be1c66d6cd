"""Warning levels from thresholds (pure functions).

A point's thresholds name the value at which each level starts (any subset of 蓝/黄/橙/红); for a
sensor that warns on *high* values (``direction='above'``) a reading reaches a level when it is at
or above its threshold, for one that warns on *low* values (pressure loss, water level) at or
below. The reading's level is the most severe one it reaches.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")
RANK: dict[str, int] = {name: i + 1 for i, name in enumerate(LEVELS)}
_DATA = Path(__file__).resolve().parent / "data" / "sensor_types.json"


@cache
def sensor_types() -> dict[str, dict[str, str]]:
    """The shipped sensor kinds (``id`` → zh label, customary unit)."""
    return dict(json.loads(_DATA.read_text(encoding="utf-8"))["types"])


def threshold_problems(thresholds: dict[str, Any], direction: str) -> list[str]:
    """Every problem with a point's thresholds (empty when they are usable).

    >>> threshold_problems({"yellow": 20, "red": 50}, "above")
    []
    >>> threshold_problems({"yellow": 50, "red": 20}, "above")
    ['thresholds must rise from blue to red for direction above: yellow 50 then red 20']
    >>> threshold_problems({"amber": 1}, "above")
    ["unknown warning level 'amber' (use blue, yellow, orange, red)", 'give at least one threshold']
    >>> threshold_problems({"red": 0.2, "yellow": 0.5}, "below")
    []
    """
    problems = []
    known: list[tuple[str, float]] = []
    for name, value in thresholds.items():
        if name not in RANK:
            problems.append(f"unknown warning level {name[:20]!r} (use {', '.join(LEVELS)})")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"threshold {name} must be a number")
        elif not math.isfinite(value):
            problems.append(f"threshold {name} must be finite")
        else:
            known.append((name, float(value)))
    if direction not in ("above", "below"):
        problems.append("direction must be 'above' or 'below'")
    if not known:
        problems.append("give at least one threshold")
        return problems
    known.sort(key=lambda nv: RANK[nv[0]])
    for (a, va), (b, vb) in itertools.pairwise(known):
        rising = vb > va if direction == "above" else vb < va
        if not rising:
            word = "rise" if direction == "above" else "fall"
            problems.append(
                f"thresholds must {word} from blue to red for direction {direction}: "
                f"{a} {va:g} then {b} {vb:g}"
            )
    return problems


def level_for(value: float, thresholds: dict[str, float], direction: str) -> str | None:
    """The most severe level ``value`` reaches, or ``None``.

    >>> t = {"blue": 10, "yellow": 20, "red": 50}
    >>> [level_for(v, t, "above") for v in (9.9, 10, 25, 50, 80)]
    [None, 'blue', 'yellow', 'red', 'red']
    >>> [level_for(v, {"yellow": 0.5, "red": 0.2}, "below") for v in (0.6, 0.5, 0.3, 0.1)]
    [None, 'yellow', 'yellow', 'red']
    """
    reached = None
    for name in LEVELS:
        limit = thresholds.get(name)
        if limit is None:
            continue
        if (value >= limit) if direction == "above" else (value <= limit):
            reached = name
    return reached

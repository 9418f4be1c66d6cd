"""Storage rules of the demo city (``storage_rules.json``: GB 50016 classes, GB 15603 segregation).

A store named with a fire-hazard class (``甲类仓库``) may hold goods of that class or a less
hazardous one; incompatible groups (an oxidizer and a flammable liquid) never share a store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

RULES = json.loads((Path(__file__).resolve().parent / "storage_rules.json").read_text("utf-8"))
CLASS_ORDER: list[str] = RULES["class_order"]
SUBSTANCES: dict[str, dict[str, object]] = RULES["substances"]
INCOMPATIBLE = {frozenset(pair) for pair in RULES["incompatible_groups"]}


def store_class(unit_name: str) -> str | None:
    """The fire-hazard class a store's name declares (``乙类仓库`` → ``乙``), else ``None``.

    >>> store_class("乙类仓库"), store_class("油品储罐区")
    ('乙', None)
    """
    return next((c for c in CLASS_ORDER if f"{c}类" in unit_name), None)


def storage_problems(unit_name: str, substances: Iterable[str]) -> list[str]:
    """What a store may not hold: goods above its class, incompatible pairs.

    >>> storage_problems("乙类仓库", ["丙酮", "硝酸铵"])  # doctest: +NORMALIZE_WHITESPACE
    ['丙酮 is class 甲, above the 乙类 store', '硝酸铵 is class 甲, above the 乙类 store',
     '丙酮 (flammable_liquid) and 硝酸铵 (oxidizer) must not be stored together']
    >>> storage_problems("甲类仓库", ["甲醇", "苯乙烯"])
    []
    """
    names = [n.split("(")[0] for n in substances]  # "硝酸铵(含可燃物≤0.2%)" → 硝酸铵
    problems = []
    declared = store_class(unit_name)
    for n in names:
        cls = SUBSTANCES[n]["storage_class"]
        if declared and CLASS_ORDER.index(str(cls)) < CLASS_ORDER.index(declared):
            problems.append(f"{n} is class {cls}, above the {declared}类 store")
    for a, b in combinations(names, 2):
        ga, gb = SUBSTANCES[a]["group"], SUBSTANCES[b]["group"]
        if frozenset((ga, gb)) in INCOMPATIBLE:
            problems.append(f"{a} ({ga}) and {b} ({gb}) must not be stored together")
    return problems

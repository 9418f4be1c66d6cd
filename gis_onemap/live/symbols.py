"""The situation-plotting symbols (态势标绘) shipped as data (``data/situation_symbols.json``).

id, zh/en labels, the geometry types each may take, a colour for the map page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "situation_symbols.json"


@dataclass(frozen=True)
class Symbol:
    """One symbol of the situation layer."""

    id: str
    zh: str
    en: str
    geometry_types: tuple[str, ...]
    color: str


@cache
def symbols() -> dict[str, Symbol]:
    """Every symbol by id, in the file's order.

    >>> symbols()["cordon"].zh, symbols()["cordon"].geometry_types
    ('警戒线', ('LineString', 'Polygon'))
    >>> "command_post" in symbols() and "casualty_point" in symbols()
    True
    """
    raw = json.loads(_DATA.read_text(encoding="utf-8"))
    return {
        s["id"]: Symbol(s["id"], s["zh"], s["en"], tuple(s["geometry_types"]), s["color"])
        for s in raw["symbols"]
    }


def symbol_ids() -> tuple[str, ...]:
    """The symbol ids (the database check constraint lists the same).

    >>> symbol_ids()[:2]
    ('command_post', 'cordon')
    """
    return tuple(symbols())

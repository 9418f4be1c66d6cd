"""The release-distance table (ERG-style) and the fireball/overpressure model, as data.

``data/release_distances.json`` cites every source (ERG 2016 Table 1 and Table 3 checked
against a cited transcription, ERG Guide 115, CCPS fireball constants, TNT equivalence with
Kingery-Bulmash scaled distances), says which edition each row is, and marks with
``confirmed: false`` the values that could not be checked. A whole replacement table of the same
shape can be given with ``ONEMAP_RELEASE_TABLE_FILE``.

Large spills of the six common TIH gases (ammonia, chlorine, ethylene oxide, hydrogen chloride,
hydrogen fluoride, sulfur dioxide) are read from ERG Table 3: by transport container, day/night
and wind class (low/moderate/high); without a container the table's ``default_container``
(``"largest"``: the container with the largest isolation distance) is used.

Substances are named as GB 18218-2018 Table 1 knows them (name/alias, CAS, UN number): the
lookup goes through :mod:`gis_onemap.standards.gb18218` to its UN numbers, then to this table,
so "液氯", "7782-50-5" and "UN1017" are the same chlorine.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from gis_onemap.errors import InvalidInput
from gis_onemap.standards.gb18218 import gb18218

TABLE_FILE = Path(__file__).with_name("data") / "release_distances.json"
#: ERG Table 3's wind columns, calmest first.
WIND_CLASSES = ("low", "moderate", "high")


@dataclass(frozen=True)
class Distances:
    """Isolation radius and protective-action (downwind) distances by day and night, metres."""

    isolation_m: float
    day_m: float | None
    night_m: float | None
    source: str

    def downwind(self, time: str) -> float | None:
        """The protective-action distance for ``day`` or ``night``."""
        return self.day_m if time == "day" else self.night_m


@dataclass(frozen=True)
class Table3Entry:
    """One container of an ERG Table 3 row: isolation, and downwind distances by wind class."""

    isolation_m: float
    day_m: Mapping[str, float]
    night_m: Mapping[str, float]


@dataclass(frozen=True)
class Substance:
    """One row of the table: toxic (ERG Table 1) or flammable (Guide 115 + fireball/TNT)."""

    kind: str  # "toxic" | "flammable"
    un: tuple[str, ...]
    name_en: str
    name_zh: str
    small: Distances
    large: Distances
    heat_of_combustion_mj_kg: float | None
    confirmed: bool
    #: ERG Table 3 (large spills by container), for the six common TIH gases
    table3: Mapping[str, Table3Entry] | None = None
    table3_source: str = ""
    edition: str = ""
    #: ERG prints the distances with "+" (may be larger in some atmospheric conditions)
    plus: bool = False


@dataclass(frozen=True)
class ReleaseTable:
    """Every substance of the table, the fireball constants and the TNT model."""

    substances: tuple[Substance, ...]
    fireball: dict[str, Any]
    tnt: dict[str, Any]
    fire_isolation_m: float
    sources: dict[str, str]
    containers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    wind_classes: Mapping[str, Any] = field(default_factory=dict)
    default_container: str = "largest"

    def by_un(self, un: str) -> Substance | None:
        """The row for a UN number (``"UN1017"`` or ``"1017"``).

        >>> release_table().by_un("UN1017").name_en
        'Chlorine'
        """
        key = re.sub(r"^un", "", un.strip().lower()).zfill(4)
        return next((s for s in self.substances if key in s.un), None)

    def wind_class(self, speed_ms: float) -> str:
        """ERG Table 3's wind class of a wind speed (the limits are in the table file, km/h).

        >>> [release_table().wind_class(v) for v in (0.0, 2.7, 2.8, 5.5, 5.6)]
        ['low', 'low', 'moderate', 'moderate', 'high']
        """
        kmh = speed_ms * 3.6
        if kmh < float(self.wind_classes.get("low_below_kmh", 10)):
            return "low"
        if kmh > float(self.wind_classes.get("high_above_kmh", 20)):
            return "high"
        return "moderate"

    def container_key(self, name: str) -> str:
        """The Table 3 container a key or its English/Chinese label names.

        >>> t = release_table()
        >>> t.container_key("semi")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gis_onemap.errors.InvalidInput: unknown container 'semi'; ERG Table 3 knows: ...
        >>> t.container_key("Rail tank car"), t.container_key("铁路罐车")
        ('rail_tank_car', 'rail_tank_car')
        """
        low = name.strip().lower()
        for key, labels in self.containers.items():
            if low == key or low in (str(v).lower() for v in labels.values()):
                return key
        raise InvalidInput(
            f"unknown container '{name}'; ERG Table 3 knows: " + ", ".join(self.containers)
        )

    def large_spill(
        self, substance: Substance, container: str | None, wind: str
    ) -> tuple[Distances, str | None]:
        """The large-spill distances and the Table 3 container used (``None``: Table 1 row).

        >>> t = release_table()
        >>> d, c = t.large_spill(t.by_un("1017"), None, "moderate")
        >>> c, d.isolation_m, d.day_m, d.night_m
        ('rail_tank_car', 1000.0, 6400.0, 9000.0)
        >>> t.large_spill(t.by_un("1005"), "multiple_ton_cylinders", "low")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gis_onemap.errors.InvalidInput: ERG Table 3 has no 'multiple_ton_cylinders' for Ammonia, ...
        """
        rows = substance.table3
        if not rows:
            return substance.large, None
        if container is None:
            # "largest": the container with the largest isolation distance (then night, low wind)
            container = max(rows, key=lambda c: (rows[c].isolation_m, rows[c].night_m["low"]))
        elif container not in rows:
            raise InvalidInput(
                f"ERG Table 3 has no '{container}' for {substance.name_en}: give one of "
                + ", ".join(rows)
            )
        e = rows[container]
        source = substance.table3_source
        distances = Distances(e.isolation_m, e.day_m[wind], e.night_m[wind], source)
        return distances, container

    def names(self) -> list[str]:
        """Every name a client may use for a shipped substance (for "close names")."""
        out: set[str] = set()
        std = gb18218()
        for s in self.substances:
            out.update((s.name_en, s.name_zh))
            for un in s.un:
                for e in std.by_un(un):
                    out.update((e.name_zh, *e.aliases))
        return sorted(out)

    def resolve(self, substance: str) -> Substance:
        """The row a name/alias (Chinese or English), CAS or UN number denotes.

        >>> release_table().resolve("液氯").un, release_table().resolve("7664-41-7").name_en
        (('1017',), 'Ammonia, anhydrous')
        >>> release_table().resolve("chlorne")
        Traceback (most recent call last):
        ...
        gis_onemap.errors.InvalidInput: unknown substance 'chlorne'; close names: chlorine
        """
        text = substance.strip() if isinstance(substance, str) else ""
        if not text:
            raise InvalidInput("substance is required (a name, CAS or UN number)")
        std = gb18218()
        candidates = [*std.by_un(text), *std.by_cas(text), *std.by_name(text)]
        uns = {u for e in candidates for u in e.un}
        if re.fullmatch(r"(?i)(un)?\s*\d{4}", text):
            uns.add(re.sub(r"\D", "", text))
        low = text.lower()
        for s in self.substances:
            if uns & set(s.un) or low in (s.name_en.lower(), s.name_zh.lower()):
                return s
        if candidates:
            known = ", ".join(sorted({s.name_zh for s in self.substances}))
            raise InvalidInput(
                f"'{text}' ({candidates[0].name_zh}) has no release-distance entry; "
                f"the table ships: {known}"
            )
        names = self.names()
        by_low = {n.lower(): n for n in names}
        close = difflib.get_close_matches(low, list(by_low), n=5, cutoff=0.6)
        message = f"unknown substance '{text}'"
        if close:
            message += "; close names: " + ", ".join(by_low[c] for c in close)
        else:
            message += " (give a GB 18218-2018 name, CAS or UN number of a shipped substance)"
        raise InvalidInput(message)


def _distances(raw: dict[str, Any]) -> Distances:
    return Distances(
        float(raw["isolation_m"]),
        None if raw.get("day_m") is None else float(raw["day_m"]),
        None if raw.get("night_m") is None else float(raw["night_m"]),
        str(raw["source"]),
    )


def _table3(raw: dict[str, Any]) -> dict[str, Table3Entry]:
    out = {}
    for key, e in raw.items():
        day = {w: float(e["day_m"][w]) for w in WIND_CLASSES}
        night = {w: float(e["night_m"][w]) for w in WIND_CLASSES}
        out[str(key)] = Table3Entry(float(e["isolation_m"]), day, night)
    return out


def _toxic(r: dict[str, Any]) -> Substance:
    large = r["large"]
    t3 = _table3(large["table3"]) if "table3" in large else None
    # a Table 3 row's Table 1 "large" is its largest container, the safe side of the single row
    large_d = (
        _distances(large)
        if t3 is None
        else Distances(
            max(e.isolation_m for e in t3.values()),
            max(e.day_m["low"] for e in t3.values()),
            max(e.night_m["low"] for e in t3.values()),
            str(large["source"]),
        )
    )
    return Substance(
        "toxic", (str(r["un"]),), r["name_en"], r["name_zh"], _distances(r["small"]), large_d,
        None, bool(r["confirmed"]), t3, str(large["source"]) if t3 else "",
        str(r.get("edition", "")), bool(r.get("plus", False)),
    )  # fmt: skip


def load_table(path: Path = TABLE_FILE) -> ReleaseTable:
    """Read a table file (the shipped one by default)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        subs = [_toxic(r) for r in doc["toxic"]]
        fd = doc["flammable_distances"]
        subs += [
            Substance(
                "flammable", tuple(str(u) for u in r["un"]), r["name_en"], r["name_zh"],
                _distances(fd["small"]), _distances(fd["large"]),
                float(r["heat_of_combustion_mj_kg"]), bool(r["confirmed"]),
            )
            for r in doc["flammable"]
        ]  # fmt: skip
        return ReleaseTable(
            tuple(subs), doc["fireball"], doc["tnt"], float(fd["fire_isolation_m"]),
            doc["sources"], doc.get("table3_containers", {}), doc.get("table3_wind_classes", {}),
            str(doc.get("default_container", "largest")),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"the release-distance table {Path(path).name} is unreadable") from exc


@lru_cache(maxsize=4)
def release_table(path: str | None = None) -> ReleaseTable:
    """The table (cached): ``path`` or the shipped file."""
    return load_table(Path(path) if path else TABLE_FILE)


def fireball(table: ReleaseTable, mass_kg: float) -> dict[str, float]:
    """Fireball diameter, radius and duration (CCPS) for ``mass_kg`` of fuel.

    >>> fb = fireball(release_table(), 1000.0)
    >>> round(fb["diameter_m"], 1), round(fb["duration_s"], 2)
    (58.0, 4.5)
    """
    fb = table.fireball
    d = float(fb["diameter_coeff"]) * mass_kg ** float(fb["diameter_exp"])
    if mass_kg < float(fb["duration_split_kg"]):
        t = float(fb["duration_coeff_small"]) * mass_kg ** (1 / 3)
    else:
        t = float(fb["duration_coeff_large"]) * mass_kg ** (1 / 6)
    return {"diameter_m": d, "radius_m": d / 2, "duration_s": t}


def overpressure_radii(table: ReleaseTable, mass_kg: float, heat_mj_kg: float) -> dict[str, Any]:
    """TNT-equivalent mass and the radius of each listed overpressure.

    >>> r = overpressure_radii(release_table(), 1000.0, 46.8)
    >>> round(r["tnt_equivalent_kg"], 1), round(r["radii"][-1]["radius_m"], 1)
    (300.0, 119.2)
    """
    tnt = table.tnt
    w = float(tnt["yield"]) * mass_kg * heat_mj_kg / float(tnt["e_tnt_mj_kg"])
    cube = w ** (1 / 3) if w > 0 else 0.0
    radii = [
        {"overpressure_kpa": float(o["kpa"]), "effect": o["label"],
         "scaled_distance": float(o["z_m_kg13"]), "radius_m": float(o["z_m_kg13"]) * cube}
        for o in tnt["overpressures"]
    ]  # fmt: skip
    return {"tnt_equivalent_kg": w, "yield": float(tnt["yield"]), "radii": radii}


def is_finite_positive(value: float) -> bool:
    """``True`` for a finite number > 0.

    >>> is_finite_positive(1.0), is_finite_positive(-1.0), is_finite_positive(math.inf)
    (True, False, False)
    """
    return math.isfinite(value) and value > 0

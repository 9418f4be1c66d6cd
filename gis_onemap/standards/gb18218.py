"""GB 18218-2018 (危险化学品重大危险源辨识) as data, and the S/R/level of a unit.

Source: GB 18218-2018 *Identification of major hazard installations for hazardous chemicals*
(SAMR/SAC, in force 2019-03-01): Table 1 (named substances and their critical quantity Q),
Table 2 (Q by hazard code J1–J5, W1.1–W11 for substances not in Table 1), Table 3 (β of named
toxic gases), Table 4 (β by hazard code), Table 5 (α by the population within 500 m) and the
level bands on R. The values live in ``data/gb18218_2018.json``, which cites where each was
checked and marks ``"confirmed": false`` what only one transcription supports.

The method (standard §4): a production or storage unit is a major hazard source when
S = Σ qᵢ/Qᵢ ≥ 1; its grade follows R = α · Σ βᵢ qᵢ/Qᵢ (level 1 R ≥ 100, 2: 50–100, 3: 10–50,
4: < 10). Q and β are looked up — by name/alias, CAS or UN number in Table 1, else by hazard
code in Table 2/4 — never typed, unless a unit overrides one with a stated reason.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("data") / "gb18218_2018.json"

#: What a substance item may carry besides its identifiers and q (the rest is derived).
OVERRIDE_KEYS = ("Q_override", "beta_override")


@dataclass(frozen=True)
class SubstanceEntry:
    """One row of Table 1 (β set when Table 3 names the substance)."""

    no: int
    name_zh: str
    aliases: tuple[str, ...]
    cas: tuple[str, ...]
    un: tuple[str, ...]
    Q: float
    hazard_code: str | None
    beta: float | None
    confirmed: bool


@dataclass(frozen=True)
class HazardClass:
    """One row of Table 2 (Q) with its Table 4 β."""

    code: str
    group_zh: str
    description_zh: str
    Q: float
    beta: float
    confirmed: bool


def _norm(text: str) -> str:
    """Key for name lookups: case, spaces and full-width brackets do not matter.

    >>> _norm(" 液化石油气（LPG） ")
    '液化石油气(lpg)'
    """
    table = str.maketrans({"（": "(", "）": ")", "，": ",", "、": ",", "［": "[", "］": "]"})
    return re.sub(r"\s+", "", text.translate(table)).lower()


def _base(name: str) -> str:
    """A Table 1 name without its qualifier in brackets: ``硝酸铵(含可燃物≤0.2%)`` → ``硝酸铵``."""
    return re.split(r"[(\[]", name, maxsplit=1)[0]


@dataclass
class GB18218:
    """The tables of GB 18218-2018 with lookups by name, CAS, UN number and hazard code."""

    substances: tuple[SubstanceEntry, ...]
    classes: dict[str, HazardClass]
    alpha_bands: tuple[tuple[int, float], ...]
    level_bands: tuple[tuple[float, int], ...]
    _by_name: dict[str, list[SubstanceEntry]] = field(default_factory=dict, repr=False)
    _by_cas: dict[str, list[SubstanceEntry]] = field(default_factory=dict, repr=False)
    _by_un: dict[str, list[SubstanceEntry]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Index the substances by normalised name, CAS and UN numbers."""
        for e in self.substances:
            names = {_norm(n) for n in (e.name_zh, _base(e.name_zh), *e.aliases)}
            for key in names:
                self._by_name.setdefault(key, []).append(e)
            for cas in e.cas:
                self._by_cas.setdefault(cas, []).append(e)
            for un in e.un:
                self._by_un.setdefault(un.zfill(4), []).append(e)

    @classmethod
    def from_json(cls, path: Path = DATA_FILE) -> GB18218:
        """The tables from the package's data file."""
        doc = json.loads(path.read_text(encoding="utf-8"))
        subs = tuple(
            SubstanceEntry(
                no=r["no"], name_zh=r["name_zh"], aliases=tuple(r["aliases"]),
                cas=tuple(r["cas"]), un=tuple(r["un"]), Q=float(r["Q"]),
                hazard_code=r["hazard_code"], beta=r.get("beta"), confirmed=r["confirmed"],
            )
            for r in doc["table1"]
        )  # fmt: skip
        classes = {
            r["code"]: HazardClass(
                r["code"],
                r["group_zh"],
                r["description_zh"],
                float(r["Q"]),
                float(r["beta"]),
                r["confirmed"],
            )
            for r in doc["table2"]
        }
        alpha = tuple((int(b["min_population"]), float(b["alpha"])) for b in doc["table5_alpha"])
        levels = tuple((float(b["min_r"]), int(b["level"])) for b in doc["levels"])
        return cls(subs, classes, alpha, levels)

    # ---- lookups ------------------------------------------------------------------------------
    def by_name(self, name: str) -> list[SubstanceEntry]:
        """Table 1 rows a name or alias denotes (several when the name is ambiguous).

        >>> [e.no for e in gb18218().by_name("液氨")], [e.no for e in gb18218().by_name("硝酸铵")]
        ([1], [43, 44])
        """
        return list(self._by_name.get(_norm(name), []))

    def by_cas(self, cas: str) -> list[SubstanceEntry]:
        """Table 1 rows with this CAS number.

        >>> [e.name_zh for e in gb18218().by_cas("630-08-0")]
        ['煤气(CO,CO和H2、CH4的混合物等)']
        """
        return list(self._by_cas.get(cas.strip(), []))

    def by_un(self, un: str) -> list[SubstanceEntry]:
        """Table 1 rows with this UN number (``"UN1005"`` or ``"1005"``).

        >>> [e.name_zh for e in gb18218().by_un("UN1017")]
        ['氯']
        """
        key = re.sub(r"^un", "", un.strip().lower()).zfill(4)
        return list(self._by_un.get(key, []))

    def close_names(self, name: str, n: int = 5) -> list[str]:
        """Table 1 names and aliases that look like ``name`` (for "did you mean").

        >>> gb18218().close_names("液化石油")[:1]
        ['液化石油气']
        """
        names = sorted({x for e in self.substances for x in (e.name_zh, *e.aliases)})
        by_norm = {_norm(x): x for x in names}
        hits = difflib.get_close_matches(_norm(name), list(by_norm), n=n, cutoff=0.5)
        return [by_norm[h] for h in hits]

    def alpha(self, population: int | None) -> float:
        """α (Table 5) from the residents within 500 m of the unit's boundary.

        >>> [gb18218().alpha(p) for p in (0, 1, 29, 30, 49, 50, 99, 100)]
        [0.5, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5, 2.0]
        """
        p = population or 0
        for threshold, alpha in self.alpha_bands:
            if p >= threshold:
                return alpha
        return self.alpha_bands[-1][1]

    def level(self, r: float) -> int:
        """Level 1 (R ≥ 100) … 4 (R < 10).

        >>> [gb18218().level(r) for r in (100, 99.99, 50, 49.9, 10, 9.99, 0)]
        [1, 2, 2, 3, 3, 4, 4]
        """
        for threshold, level in self.level_bands:
            if r >= threshold:
                return level
        return self.level_bands[-1][1]


@cache
def gb18218() -> GB18218:
    """The tables, read once from the package's data file."""
    return GB18218.from_json()


@dataclass(frozen=True)
class UnitAssessment:
    """S, R, α and level of a unit, and each substance's term (q, Q, β, q/Q, βq/Q, sources)."""

    s_value: float
    r_value: float
    alpha: float
    level: int
    terms: list[dict[str, Any]]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _resolve_entry(
    std: GB18218, item: Mapping[str, Any], where: str, problems: list[dict[str, str]]
) -> SubstanceEntry | None:
    """The Table 1 row the item's name/CAS/UN denote together; ``None`` for a Table 2 substance.

    Every identifier that Table 1 knows narrows the candidates (so ``硝酸铵`` plus a CAS shared
    by two rows stays ambiguous, and a name and a CAS of different rows disagree). Identifiers
    Table 1 does not know are fine beside one it knows (not every row lists every CAS); alone,
    they need a hazard code.
    """
    code = item.get("hazard_code")
    given: dict[str, str] = {}
    rows_by_key: dict[str, list[SubstanceEntry]] = {}
    for key, lookup in (("name", std.by_name), ("cas", std.by_cas), ("un", std.by_un)):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            given[key] = value
            rows = lookup(value)
            if rows:
                rows_by_key[key] = rows
    if not rows_by_key:
        if code is None:
            for key, value in given.items():
                hint = ""
                if key == "name":
                    close = std.close_names(value)
                    hint = f"; close names: {', '.join(close)}" if close else ""
                problems.append({"property": f"{where}.{key}", "message": (
                    f"'{value}' is not in GB 18218-2018 Table 1; give its hazard_code "
                    f"(Table 2: J1…W11) if it is a hazardous chemical not named there{hint}"
                )})  # fmt: skip
        return None
    common = set.intersection(*({e.no for e in rows} for rows in rows_by_key.values()))
    if not common:
        detail = ", ".join(
            f"{k} '{given[k]}' → {'/'.join(e.name_zh for e in rows)}"
            for k, rows in rows_by_key.items()
        )
        problems.append({"property": where, "message": f"identifiers disagree: {detail}"})
        return None
    if len(common) > 1:
        names = "; ".join(e.name_zh for e in std.substances if e.no in common)
        key = next(iter(rows_by_key))
        problems.append({"property": f"{where}.{key}", "message": (
            f"'{given[key]}' matches several GB 18218-2018 Table 1 entries: {names} — "
            "give the full name"
        )})  # fmt: skip
        return None
    (no,) = common
    return next(e for e in std.substances if e.no == no)


def _assess_item(
    std: GB18218, item: Mapping[str, Any], where: str, problems: list[dict[str, str]]
) -> dict[str, Any] | None:
    before = len(problems)
    named = any(isinstance(item.get(k), str) and item[k].strip() for k in ("name", "cas", "un"))
    if not named and item.get("hazard_code") is None:
        problems.append({"property": where, "message": "give a name, cas, un or hazard_code"})
        return None
    code = item.get("hazard_code")
    hclass = None
    if code is not None:
        hclass = std.classes.get(str(code).strip().upper())
        if hclass is None:
            problems.append({"property": f"{where}.hazard_code", "message": (
                f"'{code}' is not a GB 18218-2018 Table 2 code; one of {', '.join(std.classes)}"
            )})  # fmt: skip
    entry = _resolve_entry(std, item, where, problems)
    q = _num(item.get("q"))
    if q is None:
        problems.append({"property": f"{where}.q", "message": "is required (tonnes present)"})
    elif q < 0:
        problems.append({"property": f"{where}.q", "message": f"must be ≥ 0, got {q:g}"})
    reason = item.get("override_reason")
    has_reason = isinstance(reason, str) and reason.strip() != ""
    for key in OVERRIDE_KEYS:
        value = item.get(key)
        if value is None:
            continue
        if (_num(value) or 0) <= 0:
            problems.append({"property": f"{where}.{key}", "message": "must be > 0"})
        if not has_reason:
            problems.append({"property": f"{where}.override_reason", "message": (
                f"{key} needs an override_reason (why the standard's value does not apply)"
            )})  # fmt: skip
    if len(problems) > before:
        return None

    label = item.get("name") or item.get("cas") or item.get("un") or item.get("hazard_code")
    out: dict[str, Any] = {"name": label}
    # Q: Table 1 for a named substance, else Table 2 by its hazard code.
    if entry is not None:
        out.update(table1_no=entry.no, table1_name=entry.name_zh)
        Q, q_src = entry.Q, "table1"
    elif hclass is not None:
        Q, q_src = hclass.Q, "table2"
    else:  # pragma: no cover - _resolve_entry reported the missing identifier
        return None
    # β: Table 3 for a named toxic gas, else Table 4 by the hazard code (given, else usual one).
    code_for_beta = hclass.code if hclass is not None else (entry.hazard_code if entry else None)
    beta: float | None
    if entry is not None and entry.beta is not None:
        beta, b_src = float(entry.beta), "table3"
    elif code_for_beta is not None:
        beta, b_src = std.classes[code_for_beta].beta, "table4"
        out["hazard_code"] = code_for_beta
    else:
        beta, b_src = None, ""
    if item.get("beta_override") is not None:
        beta, b_src = float(item["beta_override"]), "override"
    if item.get("Q_override") is not None:
        Q, q_src = float(item["Q_override"]), "override"
    if beta is None:
        problems.append({"property": f"{where}.hazard_code", "message": (
            f"β of '{entry.name_zh if entry else item.get('name')}' depends on its hazard class: "
            "give hazard_code (Table 4) or beta_override with override_reason"
        )})  # fmt: skip
        return None
    # Legacy/echoed values are accepted only when they equal the looked-up ones.
    for key, value, src in (("Q", Q, q_src), ("beta", beta, b_src)):
        given = _num(item.get(key))
        if given is not None and not _same(given, value):
            problems.append({"property": f"{where}.{key}", "message": (
                f"{given:g} differs from GB 18218-2018 ({src}: {value:g}); leave it out or set "
                f"{key}_override with override_reason"
            )})  # fmt: skip
    if len(problems) > before:
        return None
    assert q is not None
    out.update(
        q=q, Q=Q, Q_source=q_src, beta=beta, beta_source=b_src,
        q_over_Q=round(q / Q, 6), beta_q_over_Q=round(beta * q / Q, 6),
    )  # fmt: skip
    if "override" in (q_src, b_src):
        out["override_reason"] = str(item["override_reason"]).strip()
    return out


def assess_unit(
    substances: Iterable[Mapping[str, Any]],
    population_500m: int | None,
    std: GB18218 | None = None,
) -> tuple[UnitAssessment | None, list[dict[str, str]]]:
    """S, R, α, level and per-substance terms of a unit, or the problems of its substances.

    Problems name the item (``substances[1].name``); a unit with S < 1 is not a major hazard
    source and comes back as a problem too.

    >>> a, problems = assess_unit([{"name": "液氨", "q": 100}], population_500m=120)
    >>> (a.s_value, a.alpha, a.r_value, a.level), a.terms[0]["beta_source"]
    ((10.0, 2.0, 40.0, 3), 'table3')
    >>> assess_unit([{"name": "氯气", "q": 1.5}], 10)[1][0]["message"]
    'not a major hazard source (S = 0.30 < 1): GB 18218-2018 grades only units with S ≥ 1'
    """
    std = std or gb18218()
    problems: list[dict[str, str]] = []
    items = [_assess_item(std, s, f"substances[{i}]", problems) for i, s in enumerate(substances)]
    if problems:
        return None, problems
    done = [i for i in items if i is not None]
    exact_s = sum(float(i["q"]) / float(i["Q"]) for i in done)
    if exact_s < 1:
        problems.append({"property": "substances", "message": (
            f"not a major hazard source (S = {exact_s:.2f} < 1): "
            "GB 18218-2018 grades only units with S ≥ 1"
        )})  # fmt: skip
        return None, problems
    alpha = std.alpha(population_500m)
    r = alpha * sum(float(i["beta"]) * float(i["q"]) / float(i["Q"]) for i in done)
    return UnitAssessment(round(exact_s, 6), round(r, 6), alpha, std.level(r), done), []

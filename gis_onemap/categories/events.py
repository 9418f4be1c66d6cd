"""Event categories, types and severities of the Emergency Response Law (DOMAIN.md, "Plans")."""

from __future__ import annotations

from dataclasses import dataclass

from gis_onemap.categories.model import Choice

#: The 4 event categories of the Emergency Response Law (revised 2024).
EVENT_CATEGORIES: tuple[Choice, ...] = (
    Choice("natural_disaster", "自然灾害", "Natural disaster"),
    Choice("accident", "事故灾难", "Accident"),
    Choice("public_health", "公共卫生事件", "Public health event"),
    Choice("social_security", "社会安全事件", "Social security event"),
)

#: Severity levels I–IV (特别重大/重大/较大/一般). The law grades only the first three categories,
#: but local plans grade social-security events too, so every category may carry one.
SEVERITIES: tuple[Choice, ...] = (
    Choice("I", "特别重大", "Extremely serious"),
    Choice("II", "重大", "Serious"),
    Choice("III", "较大", "Relatively serious"),
    Choice("IV", "一般", "General"),
)


@dataclass(frozen=True)
class EventType:
    """An event type, its category and the expert specialties that fit it."""

    value: str
    category: str
    zh: str
    en: str
    specialties: tuple[str, ...]

    @property
    def choice(self) -> Choice:
        """As an enum choice."""
        return Choice(self.value, self.zh, self.en)


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("flood", "natural_disaster", "洪涝", "Flood", ("flood", "meteorology", "geology")),
    EventType(
        "typhoon", "natural_disaster", "台风", "Typhoon", ("meteorology", "flood", "maritime")
    ),
    EventType("earthquake", "natural_disaster", "地震", "Earthquake", ("earthquake", "structural")),
    EventType("geological", "natural_disaster", "地质灾害", "Geological hazard", ("geology",)),
    EventType(
        "forest_fire", "natural_disaster", "森林火灾", "Forest fire", ("forest_fire", "fire")
    ),
    EventType("drought", "natural_disaster", "干旱", "Drought", ("meteorology", "flood")),
    EventType("storm_surge", "natural_disaster", "风暴潮", "Storm surge", ("maritime", "flood")),
    EventType(
        "hazardous_chemicals",
        "accident",
        "危险化学品事故",
        "Hazardous chemicals accident",
        ("hazardous_chemicals", "fire", "environment"),
    ),
    EventType("fire", "accident", "火灾", "Fire", ("fire", "structural")),
    EventType("explosion", "accident", "爆炸", "Explosion", ("hazardous_chemicals", "structural")),
    EventType("traffic", "accident", "交通事故", "Traffic accident", ("traffic", "medical")),
    EventType("mining", "accident", "矿山事故", "Mining accident", ("mining", "geology")),
    EventType(
        "building_collapse", "accident", "建筑坍塌", "Building collapse", ("structural", "geology")
    ),
    EventType("maritime", "accident", "水上事故", "Maritime accident", ("maritime",)),
    EventType(
        "environmental", "accident", "环境污染事件", "Environmental pollution", ("environment",)
    ),
    EventType("power_outage", "accident", "大面积停电", "Large power outage", ("electric_power",)),
    EventType(
        "infectious_disease",
        "public_health",
        "传染病疫情",
        "Infectious disease",
        ("public_health", "medical"),
    ),
    EventType(
        "food_poisoning",
        "public_health",
        "食物中毒",
        "Food poisoning",
        ("public_health", "medical"),
    ),
    EventType(
        "occupational_poisoning",
        "public_health",
        "职业中毒",
        "Occupational poisoning",
        ("hazardous_chemicals", "medical"),
    ),
    EventType("terrorism", "social_security", "恐怖袭击", "Terrorist attack", ("social_security",)),
    EventType(
        "mass_incident", "social_security", "群体性事件", "Mass incident", ("social_security",)
    ),
)

EVENT_TYPES_BY_VALUE: dict[str, EventType] = {e.value: e for e in EVENT_TYPES}


def event_types_of(category: str) -> tuple[str, ...]:
    """Event type values that belong to an event category.

    >>> event_types_of("public_health")
    ('infectious_disease', 'food_poisoning', 'occupational_poisoning')
    """
    return tuple(e.value for e in EVENT_TYPES if e.category == category)


def specialties_for(event_type: str | None, event_category: str | None = None) -> set[str]:
    """Expert specialties that fit an event type (or all types of a category).

    >>> sorted(specialties_for("fire"))
    ['fire', 'structural']
    >>> "medical" in specialties_for(None, "public_health")
    True
    """
    if event_type:
        et = EVENT_TYPES_BY_VALUE.get(event_type)
        return set(et.specialties) if et else set()
    if event_category:
        return {s for e in EVENT_TYPES if e.category == event_category for s in e.specialties}
    return set()

"""Road classes (Chinese highway and urban road classes), default speeds and the OSM mapping.

The table is data (``data/road_classes.json``, sources cited there); speeds are overridable per
bureau through the settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

_DATA = json.loads(
    (Path(__file__).resolve().parent / "data" / "road_classes.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class RoadClass:
    """One road class with its labels and default travel speed (km/h)."""

    id: str
    zh: str
    en: str
    speed_kmh: float


ROAD_CLASSES: tuple[RoadClass, ...] = tuple(
    RoadClass(c["id"], c["zh"], c["en"], float(c["speed_kmh"])) for c in _DATA["classes"]
)
ROAD_CLASS_IDS: tuple[str, ...] = tuple(c.id for c in ROAD_CLASSES)
#: OSM ``highway`` value → road class id (ways with other values are not roads for vehicles).
OSM_HIGHWAY_CLASS: dict[str, str] = dict(_DATA["osm_highway"])
#: Chinese class names (as bureaus' layers write them) → class id.
ZH_CLASS: dict[str, str] = {c.zh: c.id for c in ROAD_CLASSES}


def class_for(value: str) -> str | None:
    """The class id for a class id, a Chinese class name or an OSM ``highway`` value.

    >>> class_for("国道"), class_for("motorway"), class_for("arterial"), class_for("footway")
    ('national', 'expressway', 'arterial', None)
    """
    v = value.strip()
    if v in ROAD_CLASS_IDS:
        return v
    return ZH_CLASS.get(v) or OSM_HIGHWAY_CLASS.get(v.lower())


def osm_class(highway: str) -> str | None:
    """The class id of an OSM ``highway`` value (OSM's own names, never our ids).

    OSM ``secondary`` is a 县道-like rural road, our ``secondary`` is an urban 次干路.

    >>> osm_class("secondary"), osm_class("motorway_link"), osm_class("footway")
    ('county', 'expressway', None)
    """
    return OSM_HIGHWAY_CLASS.get(highway.strip().lower())


def default_speeds() -> dict[str, float]:
    """Default travel speed (km/h) per class id.

    >>> default_speeds()["expressway"]
    100.0
    """
    return {c.id: c.speed_kmh for c in ROAD_CLASSES}

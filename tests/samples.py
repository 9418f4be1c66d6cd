"""Named sample features, one valid feature per category, reused across tests."""

from __future__ import annotations

import copy
from typing import Any

ZHANJIANG = (110.3594, 21.2707)  # 湛江 city centre (霞山/赤坎), WGS84

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[110.35, 21.26], [110.36, 21.26], [110.36, 21.27], [110.35, 21.27], [110.35, 21.26]]
    ],
}
BOWTIE = {  # self-intersecting
    "type": "Polygon",
    "coordinates": [
        [[110.35, 21.26], [110.36, 21.27], [110.36, 21.26], [110.35, 21.27], [110.35, 21.26]]
    ],
}


def point(lon: float = ZHANJIANG[0], lat: float = ZHANJIANG[1]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


_SAMPLES: dict[str, dict[str, Any]] = {
    "hazard_sources": {
        "name": "湛江某化工厂液氨储罐区",
        "region_code": "440803",
        "address": "霞山区工业大道1号",
        "enterprise": "湛江某化工有限公司",
        "hazard_type": "storage_unit",
        "population_500m": 120,
        "substances": [{"name": "液氨", "cas": "7664-41-7", "q": 100, "Q": 10}],
        "monitored": True,
        "contact_person": "张三",
        "contact_phone": "0759-1234567",
    },
    "protected_targets": {
        "name": "湛江市第一中学",
        "region_code": "440802",
        "target_type": "school",
        "population": 3200,
    },
    "rescue_teams": {
        "name": "霞山消防救援站",
        "region_code": "440803",
        "tier": "main",
        "specialties": ["fire_rescue"],
        "team_level": "county",
        "headcount": 45,
        "status": "on_duty",
        "leader": "李四",
        "phone": "13800000000",
    },
    "supplies": {
        "name": "帐篷储备",
        "item_name": "帐篷",
        "item_code": "1010101",
        "quantity": 500,
        "unit": "顶",
        "expiry_date": "2030-12-31",
    },
    "depots": {
        "name": "湛江市应急物资储备库",
        "region_code": "440811",
        "depot_level": "municipal",
        "area_m2": 3000,
        "manager": "王五",
        "phone": "0759-7654321",
    },
    "shelters": {
        "name": "湛江人民广场避难场所",
        "region_code": "440802",
        "shelter_type": "fixed",
        "shelter_class": "II",
        "site_type": "square",
        "effective_area_m2": 12000,
        "facilities": ["water", "power"],
    },
    "experts": {
        "name": "赵六",
        "specialties": ["hazardous_chemicals", "fire"],
        "work_unit": "广东海洋大学",
        "title": "教授",
        "phone": "13900000000",
        "email": "zhao@example.com",
    },
    "plans": {
        "name": "湛江市危险化学品事故应急预案",
        "plan_type": "special",
        "event_types": ["hazardous_chemicals", "explosion"],
        "issuing_unit": "湛江市应急管理局",
        "issued_date": "2023-06-01",
    },
}

CATEGORY_IDS = tuple(_SAMPLES)


def sample_properties(category: str) -> dict[str, Any]:
    """A fresh copy of a valid property set for ``category``."""
    return copy.deepcopy(_SAMPLES[category])


def sample_feature(category: str, geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid GeoJSON Feature for ``category`` (a point in Zhanjiang unless given)."""
    return {
        "type": "Feature",
        "geometry": geometry or point(),
        "properties": sample_properties(category),
    }

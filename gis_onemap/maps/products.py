"""folium map products of the analyses (surroundings, buffers, hazard zones, shelter coverage).

No user text goes into folium's popups or tooltips: the building blocks of
:mod:`gis_onemap.maps.folium_parts` embed every text once as JSON and build popups with
``textContent`` (the reasons are in that module's docstring).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import shapely
from shapely.geometry import mapping, shape

from gis_onemap.analysis.geodesy import geodesic_buffer
from gis_onemap.categories import REGISTRY
from gis_onemap.maps.folium_parts import (
    Contents,
    add_features,
    display_text,
    esc,
    fit_to,
    new_map,
    panel,
    root_html,
    zh_label,
    zh_value,
)
from gis_onemap.maps.offline import offline_html

#: Hazard level (GB 18218, 1 = highest) → four-colour risk map colour (DOMAIN.md).
LEVEL_COLORS = {1: "#d7191c", 2: "#fd8d3c", 3: "#fecc5c", 4: "#2c7bb6"}
RING_COLORS = ("#d7191c", "#fd8d3c", "#fecc5c", "#a6d96a", "#1a9641", "#2c7bb6")


def _ring_layer(
    contents: Contents, m: folium.Map, fc: Mapping[str, Any], name: str, color_of: Any
) -> None:
    group = folium.FeatureGroup(name=name)
    for i, f in enumerate(reversed(fc.get("features", []))):
        props = f["properties"]
        color = color_of(props, i)
        cid = "hazard_sources"
        tip = " · ".join(
            f"{zh_label(k, cid)}: {display_text(zh_value(k, props[k], cid))}"
            for k in ("level", "distance_m", "area_m2", "protected_targets", "population")
            if props.get(k) is not None
        )
        layer = folium.GeoJson(
            {"type": "Feature", "geometry": f["geometry"], "properties": {}},
            style_function=lambda _f, c=color: {
                "color": c,
                "weight": 1.5,
                "fillColor": c,
                "fillOpacity": 0.25,
            },
        )
        contents.tooltip(layer, tip)
        layer.add_to(group)
    group.add_to(m)


def render_surroundings(result: Mapping[str, Any], title: str | None = None) -> str:
    """Standalone offline HTML of a surroundings result (``SurroundingsService.surroundings``)."""
    lon, lat = result["origin"]["lon"], result["origin"]["lat"]
    m = new_map(lon, lat)
    contents = Contents()
    circle = geodesic_buffer(shapely.Point(lon, lat), float(result["radius_m"]))
    folium.GeoJson(
        mapping(circle),
        name=f"radius {result['radius_m']:.0f} m",
        style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.04},
    ).add_to(m)
    for cid, fc in result["collections"].items():
        category = REGISTRY[cid]
        group = folium.FeatureGroup(name=f"{category.zh} {category.en} ({fc['numberMatched']})")
        # areas of responsibility (plans) are often whole districts: outline them, barely fill
        fill = 0.04 if category.selection == "jurisdiction" else 0.25
        add_features(contents, group, fc["features"], category.color, fill, cid)
        group.add_to(m)
    folium.CircleMarker(
        [lat, lon], radius=9, color="#000", weight=3, fill=True, fill_color="#ff0000",
        fill_opacity=1, tooltip="事发地点",
    ).add_to(m)  # fmt: skip
    s = result["summary"]
    lines = [f"{esc(REGISTRY[c].zh)}: {n}" for c, n in s["counts"].items()]
    lines += [
        f"人口 population: {s['protected_population']:,}",
        f"队伍人数 team headcount: {s['team_headcount']:,}",
        f"避难容量 shelter capacity: {s['shelters']['capacity']:,}",
    ]
    lines += [
        f"{esc(i['item_name'])}: {esc(i['quantity'])} {esc(i['unit'])}"
        for i in s["supplies_by_item"][:10]
    ]
    heading = title or f"周边 Surroundings {result['radius_m']:.0f} m"
    root_html(m).add_child(panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    fit_to(m, [circle])
    return offline_html(m, title=heading)


def render_buffers(fc: Mapping[str, Any], title: str | None = None) -> str:
    """Standalone offline HTML of buffer rings (``BufferService.buffer``), with features inside."""
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    c = shapely.union_all(geoms).centroid if geoms else shapely.Point(0, 0)
    m = new_map(c.x, c.y)
    contents = Contents()
    n = len(fc["features"])
    _ring_layer(
        contents, m, fc, "rings 缓冲区", lambda _p, i: RING_COLORS[(n - 1 - i) % len(RING_COLORS)]
    )
    inside = fc.get("inside", {}).get("features", [])
    by_cat: dict[str, list[Any]] = {}
    for f in inside:
        by_cat.setdefault(f["properties"]["category"], []).append(f)
    for cid, feats in by_cat.items():
        group = folium.FeatureGroup(name=f"{REGISTRY[cid].zh} ({len(feats)})")
        add_features(contents, group, feats, REGISTRY[cid].color, category_id=cid)
        group.add_to(m)
    lines = [
        f"{f['properties']['distance_m']:.0f} m: {f['properties']['area_m2'] / 1e6:,.3f} km²"
        for f in fc["features"]
    ]
    heading = title or "缓冲区 Buffers"
    root_html(m).add_child(panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    fit_to(m, geoms)
    return offline_html(m, title=heading)


def render_hazard_zones(fc: Mapping[str, Any], title: str | None = None) -> str:
    """Standalone offline HTML of hazard zones (``HazardZoneService.zones``), coloured by level."""
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    c = shapely.union_all(geoms).centroid if geoms else shapely.Point(110.36, 21.27)
    m = new_map(c.x, c.y, zoom=11)
    contents = Contents()
    _ring_layer(
        contents, m, fc, "hazard zones 危险区", lambda p, _i: LEVEL_COLORS.get(p["level"], "#777")
    )
    lines = [
        f"{p['level']} 级 ({p['radius_m']:.0f} m): {p['sources']} sources, "
        f"{p['protected_targets']} targets, population {p['population']:,}"
        for p in (f["properties"] for f in fc["features"])
    ] or ["no hazard sources match 无匹配危险源"]
    heading = title or "危险区 Hazard zones"
    root_html(m).add_child(panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    fit_to(m, geoms)
    return offline_html(m, title=heading)


def render_shelter_coverage(
    shelters: Mapping[str, Any], targets: Mapping[str, Any] | None = None, title: str | None = None
) -> str:
    """Standalone offline HTML of shelter service areas (geodesic circles of ``service_radius_m``).

    ``shelters`` is a FeatureCollection of shelters (points); each is drawn with its service
    radius (when absent, the one table ``derived.SHELTER_PARAMS`` by shelter type, GB 50413-2007;
    DOMAIN.md, "Shelters"); ``targets`` (protected targets) are drawn green when covered.
    """
    from gis_onemap.categories.derived import SHELTER_PARAMS  # the one service-radius table

    default_radius = {k: p.service_radius_m for k, p in SHELTER_PARAMS.items()}
    areas = []
    m = new_map(110.36, 21.27, zoom=11)
    contents = Contents()
    group = folium.FeatureGroup(name="service areas 服务范围")
    for f in shelters.get("features", []):
        p = f["properties"]
        radius = p.get("service_radius_m") or default_radius.get(p.get("shelter_type"), 1000.0)
        area = geodesic_buffer(shape(f["geometry"]), float(radius))
        areas.append(area)
        layer = folium.GeoJson(
            mapping(area),
            style_function=lambda _f: {"color": "#008837", "weight": 1, "fillOpacity": 0.15},
        )
        contents.tooltip(
            layer,
            f"{display_text(p.get('name'))}: {display_text(p.get('capacity'))} persons, "
            f"{radius:.0f} m",
        )
        layer.add_to(group)
    group.add_to(m)
    covered_area = shapely.union_all(areas) if areas else None
    lines = [f"shelters 避难场所: {len(areas)}"]
    if targets:
        cov, unc = folium.FeatureGroup("covered 已覆盖"), folium.FeatureGroup("uncovered 未覆盖")
        n_cov = 0
        for f in targets.get("features", []):
            inside = covered_area is not None and covered_area.intersects(shape(f["geometry"]))
            n_cov += inside
            color = "#1a9641" if inside else "#d7191c"
            add_features(contents, cov if inside else unc, [f], color, 0.25, "protected_targets")
        cov.add_to(m)
        unc.add_to(m)
        lines.append(f"targets covered 覆盖目标: {n_cov} / {len(targets.get('features', []))}")
    heading = title or "避难场所覆盖 Shelter coverage"
    root_html(m).add_child(panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    fit_to(m, areas)
    return offline_html(m, title=heading)


__all__ = [
    "render_buffers",
    "render_hazard_zones",
    "render_shelter_coverage",
    "render_surroundings",
]

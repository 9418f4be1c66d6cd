"""folium map products of the analyses (surroundings, buffers, hazard zones, shelter coverage).

Names and other texts come from users. folium puts popup and tooltip HTML inside JavaScript
template literals, where HTML escaping does not help (``${...}`` runs, a backslash breaks out), so
no user text goes into folium's popups or tooltips: every text is collected in one
:class:`_Contents` list, embedded once as JSON in a ``<script type="application/json">`` block
(``<``, ``>``, ``&``, U+2028/2029 escaped), and layers bind a small function that builds the
popup from that data with ``textContent``. The side panel is plain HTML, escaped for HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import orjson
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping, shape

from gis_onemap.analysis.geodesy import geodesic_buffer
from gis_onemap.categories import REGISTRY
from gis_onemap.maps.offline import add_offline_basemap, offline_html

#: Hazard level (GB 18218, 1 = highest) → four-colour risk map colour (DOMAIN.md).
LEVEL_COLORS = {1: "#d7191c", 2: "#fd8d3c", 3: "#fecc5c", 4: "#2c7bb6"}
RING_COLORS = ("#d7191c", "#fd8d3c", "#fecc5c", "#a6d96a", "#1a9641", "#2c7bb6")
#: Properties shown in popups, when a feature has them.
POPUP_FIELDS = (
    "name", "category", "distance_m", "bearing_deg", "level", "target_type", "population",
    "tier", "status", "headcount", "item_name", "quantity", "unit", "shelter_type", "capacity",
    "specialties", "plan_type", "event_types", "ring_distance_m",
)  # fmt: skip
#: Chinese labels of the properties the analyses add (not fields of a category): every popup
#: and tooltip label is Chinese (issue 13), the category's own labels come from its definition.
ANALYSIS_LABELS = {
    "category": "类别", "distance_m": "距离（米）", "bearing_deg": "方位角（度）",
    "ring_distance_m": "缓冲距离（米）", "area_m2": "面积（平方米）", "radius_m": "半径（米）",
    "protected_targets": "重点防护目标", "sources": "危险源", "population": "人口",
}  # fmt: skip
HAZARD_LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def _field(name: str, category_id: str | None) -> Any:
    """The definition of a property: of the category when known, else of the first that has it."""
    if category_id in REGISTRY:
        return REGISTRY[category_id].field(name)
    return next((c.field(name) for c in REGISTRY.values() if c.field(name)), None)


def zh_label(name: str, category_id: str | None = None) -> str:
    """The Chinese label of a property.

    >>> zh_label("target_type", "protected_targets"), zh_label("distance_m")
    ('目标类型', '距离（米）')
    """
    f = _field(name, category_id)
    return ANALYSIS_LABELS.get(name) or (f.zh if f is not None else name)


def zh_value(name: str, value: Any, category_id: str | None = None) -> Any:
    """A value with its enumeration choices (and category ids, hazard levels) in Chinese.

    >>> zh_value("target_type", "school", "protected_targets")
    '学校'
    >>> zh_value("event_types", ["fire", "flood"], "plans"), zh_value("level", 2, "hazard_sources")
    (['火灾', '洪涝'], '二级')
    """
    if name == "category" and value in REGISTRY:
        return REGISTRY[value].zh
    if name == "level" and value in HAZARD_LEVEL_ZH:
        return HAZARD_LEVEL_ZH[value]
    if isinstance(value, bool):
        return "是" if value else "否"
    f = _field(name, category_id)
    choices = {c.value: c.zh for c in f.choices} if f is not None else {}
    if not choices:
        return value
    if isinstance(value, list | tuple):
        return [choices.get(str(v), v) for v in value]
    return choices.get(str(value), value)


def _esc(value: Any) -> str:
    """HTML-escaped text of a value (names come from users: never trust them in HTML).

    >>> _esc("<b>A&B</b>")
    '&lt;b&gt;A&amp;B&lt;/b&gt;'
    >>> _esc(["fire", "flood"])
    'fire, flood'
    """
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:,.1f}"
    return html.escape(str(value))


def _text(value: Any) -> str:
    """Display text of a value (not escaped: it is set with ``textContent``).

    >>> _text(["fire", "flood"]), _text(1234.56), _text("${x}")
    ('fire, flood', '1,234.6', '${x}')
    """
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:,.1f}"
    return str(value)


def popup_rows(props: Mapping[str, Any], category_id: str | None = None) -> list[list[str]]:
    """``[label, text]`` rows of a feature's main properties, for a popup table, in Chinese.

    >>> popup_rows({"name": "x", "target_type": "school", "phone": "123"}, "protected_targets")
    [['名称', 'x'], ['目标类型', '学校']]
    """
    cid = category_id or props.get("category")
    return [
        [zh_label(k, cid), _text(zh_value(k, props[k], cid))]
        for k in POPUP_FIELDS
        if props.get(k) is not None
    ]


def json_for_script(data: Any) -> str:
    r"""JSON safe inside a ``<script>`` element.

    ``<``, ``>``, ``&`` and U+2028/2029 escaped, so no text can close the element or start a
    comment, whatever the data holds.

    >>> print(json_for_script({"name": "</script><!--&\u2028"}))
    {"name":"\u003c/script\u003e\u003c!--\u0026\u2028"}
    """
    text = orjson.dumps(data).decode()
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(ch, esc)
    return text


#: Builds a popup/tooltip from the embedded data with textContent: no user text is ever parsed
#: as HTML or JavaScript. Defined in <head>; layers call it lazily, when a popup opens.
_CONTENT_JS = """<script>
function onemapContent(i) {
  var all = window.onemapContents || (window.onemapContents =
    JSON.parse(document.getElementById("onemap-contents").textContent));
  var item = all[i], box = document.createElement("div");
  box.className = "onemap-content";
  if (item.title !== undefined && item.title !== null) {
    var b = document.createElement("b");
    b.textContent = item.title;
    box.appendChild(b);
  }
  if (item.rows) {
    var table = document.createElement("table");
    table.style.fontSize = "12px";
    item.rows.forEach(function (r) {
      var tr = table.insertRow(), th = document.createElement("th");
      th.textContent = r[0];
      tr.appendChild(th);
      tr.insertCell().textContent = r[1];
    });
    box.appendChild(table);
  }
  if (item.text !== undefined && item.text !== null) {
    box.appendChild(document.createTextNode(item.text));
  }
  return box;
}
</script>"""


class _Bind(MacroElement):
    """``layer.bindPopup``/``bindTooltip`` of entry ``index`` of the embedded contents.

    The script holds only the method, an integer and fixed options, never user text.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}("
        "function () { return onemapContent({{ this.index }}); }, {{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(self, method: str, index: int, options: Mapping[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca is unannotated
        self._name = "OnemapBind"
        self.method = method
        self.index = int(index)
        self.options = orjson.dumps(dict(options)).decode()


class _Contents:
    """The popup/tooltip texts of one product, embedded once as JSON."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def popup(
        self, layer: Any, props: Mapping[str, Any], title: Any = None, category_id: Any = None
    ) -> None:
        self.items.append({"title": None if title is None else _text(title),
                           "rows": popup_rows(props, category_id)})  # fmt: skip
        layer.add_child(_Bind("bindPopup", len(self.items) - 1, {"maxWidth": 320}))

    def tooltip(self, layer: Any, text: str) -> None:
        self.items.append({"text": text})
        layer.add_child(_Bind("bindTooltip", len(self.items) - 1, {"sticky": True}))

    def embed(self, m: folium.Map) -> None:
        root = m.get_root()
        root.header.add_child(folium.Element(_CONTENT_JS))  # type: ignore[attr-defined]
        _root_html(m).add_child(
            folium.Element(
                '<script type="application/json" id="onemap-contents">'
                f"{json_for_script(self.items)}</script>"
            )
        )


def _root_html(m: folium.Map) -> Any:
    """The map document's HTML body element (a branca Figure's ``html``)."""
    return m.get_root().html  # type: ignore[attr-defined]


def _map(lon: float, lat: float, zoom: int = 13) -> folium.Map:
    m = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True)
    add_offline_basemap(m)
    return m


def _fit(m: folium.Map, geoms: Iterable[Any]) -> None:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if geoms:
        minx, miny, maxx, maxy = shapely.union_all(geoms).bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])


def _add_features(
    contents: _Contents,
    group: folium.FeatureGroup,
    features: Iterable[Mapping[str, Any]],
    color: str,
    fill_opacity: float = 0.25,
    category_id: str | None = None,
) -> None:
    for f in features:
        props = f.get("properties") or {}
        geom = f.get("geometry")
        if not geom:
            continue
        layer: Any
        if geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            layer = folium.CircleMarker(
                [lat, lon], radius=6, color=color, fill=True, fill_opacity=0.85
            )
        else:
            layer = folium.GeoJson(
                {"type": "Feature", "geometry": geom, "properties": {}},
                style_function=lambda _f, c=color, o=fill_opacity: {
                    "color": c,
                    "weight": 2,
                    "fillOpacity": o,
                },
            )
        contents.popup(layer, props, props.get("name"), category_id)
        layer.add_to(group)


def _panel(title: str, lines: Iterable[str]) -> folium.Element:
    body = "".join(f"<div>{line}</div>" for line in lines)
    return folium.Element(
        "<div style='position:fixed;top:10px;left:50px;z-index:1000;background:white;"
        "padding:8px 12px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.4);"
        f"max-width:360px;max-height:70vh;overflow:auto;font:13px sans-serif'>"
        f"<b>{_esc(title)}</b>{body}</div>"
    )


def _ring_layer(
    contents: _Contents, m: folium.Map, fc: Mapping[str, Any], name: str, color_of: Any
) -> None:
    group = folium.FeatureGroup(name=name)
    for i, f in enumerate(reversed(fc.get("features", []))):
        props = f["properties"]
        color = color_of(props, i)
        tip = " · ".join(
            f"{zh_label(k, 'hazard_sources')}: {_text(zh_value(k, props[k], 'hazard_sources'))}"
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
    m = _map(lon, lat)
    contents = _Contents()
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
        _add_features(contents, group, fc["features"], category.color, fill, cid)
        group.add_to(m)
    folium.CircleMarker(
        [lat, lon], radius=9, color="#000", weight=3, fill=True, fill_color="#ff0000",
        fill_opacity=1, tooltip="事发地点",
    ).add_to(m)  # fmt: skip
    s = result["summary"]
    lines = [f"{_esc(REGISTRY[c].zh)}: {n}" for c, n in s["counts"].items()]
    lines += [
        f"人口 population: {s['protected_population']:,}",
        f"队伍人数 team headcount: {s['team_headcount']:,}",
        f"避难容量 shelter capacity: {s['shelters']['capacity']:,}",
    ]
    lines += [
        f"{_esc(i['item_name'])}: {_esc(i['quantity'])} {_esc(i['unit'])}"
        for i in s["supplies_by_item"][:10]
    ]
    heading = title or f"周边 Surroundings {result['radius_m']:.0f} m"
    _root_html(m).add_child(_panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    _fit(m, [circle])
    return offline_html(m, title=heading)


def render_buffers(fc: Mapping[str, Any], title: str | None = None) -> str:
    """Standalone offline HTML of buffer rings (``BufferService.buffer``), with features inside."""
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    c = shapely.union_all(geoms).centroid if geoms else shapely.Point(0, 0)
    m = _map(c.x, c.y)
    contents = _Contents()
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
        _add_features(contents, group, feats, REGISTRY[cid].color, category_id=cid)
        group.add_to(m)
    lines = [
        f"{f['properties']['distance_m']:.0f} m: {f['properties']['area_m2'] / 1e6:,.3f} km²"
        for f in fc["features"]
    ]
    heading = title or "缓冲区 Buffers"
    _root_html(m).add_child(_panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    _fit(m, geoms)
    return offline_html(m, title=heading)


def render_hazard_zones(fc: Mapping[str, Any], title: str | None = None) -> str:
    """Standalone offline HTML of hazard zones (``HazardZoneService.zones``), coloured by level."""
    geoms = [shape(f["geometry"]) for f in fc["features"]]
    c = shapely.union_all(geoms).centroid if geoms else shapely.Point(110.36, 21.27)
    m = _map(c.x, c.y, zoom=11)
    contents = _Contents()
    _ring_layer(
        contents, m, fc, "hazard zones 危险区", lambda p, _i: LEVEL_COLORS.get(p["level"], "#777")
    )
    lines = [
        f"{p['level']} 级 ({p['radius_m']:.0f} m): {p['sources']} sources, "
        f"{p['protected_targets']} targets, population {p['population']:,}"
        for p in (f["properties"] for f in fc["features"])
    ] or ["no hazard sources match 无匹配危险源"]
    heading = title or "危险区 Hazard zones"
    _root_html(m).add_child(_panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    _fit(m, geoms)
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
    m = _map(110.36, 21.27, zoom=11)
    contents = _Contents()
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
            layer, f"{_text(p.get('name'))}: {_text(p.get('capacity'))} persons, {radius:.0f} m"
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
            _add_features(contents, cov if inside else unc, [f], color, 0.25, "protected_targets")
        cov.add_to(m)
        unc.add_to(m)
        lines.append(f"targets covered 覆盖目标: {n_cov} / {len(targets.get('features', []))}")
    heading = title or "避难场所覆盖 Shelter coverage"
    _root_html(m).add_child(_panel(heading, lines))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    _fit(m, areas)
    return offline_html(m, title=heading)


__all__ = [
    "render_buffers",
    "render_hazard_zones",
    "render_shelter_coverage",
    "render_surroundings",
]

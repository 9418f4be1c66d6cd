"""Safe folium building blocks: Chinese labels, escaped text, popups built with ``textContent``.

Names and other texts come from users. folium puts popup and tooltip HTML inside JavaScript
template literals, where HTML escaping does not help (``${...}`` runs, a backslash breaks out), so
no user text goes into folium's popups or tooltips: every text is collected in one
:class:`Contents` list, embedded once as JSON in a ``<script type="application/json">`` block
(``<``, ``>``, ``&``, U+2028/2029 escaped), and layers bind a small function that builds the
popup from that data with ``textContent``. Side panels are plain HTML, escaped for HTML.

Used by the analyses' products (:mod:`gis_onemap.maps.products`) and the bundles' offline map
(:mod:`gis_onemap.bundle.html`).
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

from gis_onemap.categories import REGISTRY
from gis_onemap.maps.offline import add_offline_basemap

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


def esc(value: Any) -> str:
    """HTML-escaped text of a value (names come from users: never trust them in HTML).

    >>> esc("<b>A&B</b>")
    '&lt;b&gt;A&amp;B&lt;/b&gt;'
    >>> esc(["fire", "flood"])
    'fire, flood'
    """
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:,.1f}"
    return html.escape(str(value))


def display_text(value: Any) -> str:
    """Display text of a value (not escaped: it is set with ``textContent``).

    >>> display_text(["fire", "flood"]), display_text(1234.56), display_text("${x}")
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
        [zh_label(k, cid), display_text(zh_value(k, props[k], cid))]
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


class Contents:
    """The popup/tooltip texts of one product, embedded once as JSON."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def popup(
        self, layer: Any, props: Mapping[str, Any], title: Any = None, category_id: Any = None
    ) -> None:
        """Bind a popup of ``props`` (a table of its main fields, in Chinese) to ``layer``."""
        self.items.append({"title": None if title is None else display_text(title),
                           "rows": popup_rows(props, category_id)})  # fmt: skip
        layer.add_child(_Bind("bindPopup", len(self.items) - 1, {"maxWidth": 320}))

    def tooltip(self, layer: Any, text: str) -> None:
        """Bind a sticky tooltip of plain ``text`` to ``layer``."""
        self.items.append({"text": text})
        layer.add_child(_Bind("bindTooltip", len(self.items) - 1, {"sticky": True}))

    def embed(self, m: folium.Map) -> None:
        """Put the collected texts and the function that reads them into the document."""
        root = m.get_root()
        root.header.add_child(folium.Element(_CONTENT_JS))  # type: ignore[attr-defined]
        root_html(m).add_child(
            folium.Element(
                '<script type="application/json" id="onemap-contents">'
                f"{json_for_script(self.items)}</script>"
            )
        )


def root_html(m: folium.Map) -> Any:
    """The map document's HTML body element (a branca Figure's ``html``)."""
    return m.get_root().html  # type: ignore[attr-defined]


def new_map(lon: float, lat: float, zoom: int = 13) -> folium.Map:
    """A folium map centred on ``lon``/``lat`` with the offline basemap (no CDN at run time)."""
    m = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True)
    add_offline_basemap(m)
    return m


def fit_to(m: folium.Map, geoms: Iterable[Any]) -> None:
    """Zoom ``m`` to the bounds of the non-empty ``geoms`` (unchanged when there are none)."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if geoms:
        minx, miny, maxx, maxy = shapely.union_all(geoms).bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])


def add_features(
    contents: Contents,
    group: folium.FeatureGroup,
    features: Iterable[Mapping[str, Any]],
    color: str,
    fill_opacity: float = 0.25,
    category_id: str | None = None,
) -> None:
    """Draw GeoJSON ``features`` into ``group`` (points as circles, others as areas) with popups."""
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


def panel(title: str, lines: Iterable[str]) -> folium.Element:
    """A fixed side panel: ``title`` escaped here, ``lines`` already escaped HTML."""
    body = "".join(f"<div>{line}</div>" for line in lines)
    return folium.Element(
        "<div style='position:fixed;top:10px;left:50px;z-index:1000;background:white;"
        "padding:8px 12px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.4);"
        f"max-width:360px;max-height:70vh;overflow:auto;font:13px sans-serif'>"
        f"<b>{esc(title)}</b>{body}</div>"
    )

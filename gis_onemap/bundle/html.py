"""The standalone offline HTML map of a bundle.

Every layer drawn with Leaflet, every script inlined (:mod:`gis_onemap.maps.offline`), so it opens
from the zip with no network.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import orjson
import shapely

# the products' own helpers: popups escape user text, the panel escapes its title
from gis_onemap.maps.folium_parts import Contents, add_features, esc, panel, root_html
from gis_onemap.maps.offline import add_offline_basemap, offline_html
from gis_onemap.printing.area import PrintArea
from gis_onemap.printing.layers import PrintLayer


def render_bundle_html(title: str, area: PrintArea, layers: Sequence[PrintLayer]) -> str:
    """One layer group per print layer (WGS84), the area outline, a panel with the counts."""
    minx, miny, maxx, maxy = area.bbox
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=12, tiles=None,
                   control_scale=True)  # fmt: skip
    add_offline_basemap(m)
    contents = Contents()
    folium.GeoJson(
        shapely.geometry.mapping(area.geometry),
        name="范围 Area",
        style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.03},
    ).add_to(m)
    for layer in layers:
        gdf = layer.gdf.to_crs("EPSG:4326")
        group = folium.FeatureGroup(name=layer.legend_label)
        fc = orjson.loads(gdf.to_json(drop_id=True, na="drop", default=str))  # dates as text
        add_features(contents, group, fc["features"], layer.color, layer.fill_opacity)
        group.add_to(m)
    if area.incident is not None:
        folium.CircleMarker(
            [area.incident.origin.lat, area.incident.origin.lon], radius=9, color="#000",
            weight=3, fill=True, fill_color="#ff0000", fill_opacity=1, tooltip="事发地点",
        ).add_to(m)  # fmt: skip
    root_html(m).add_child(panel(title, [esc(layer.legend_label) for layer in layers]))
    folium.LayerControl(collapsed=True).add_to(m)
    contents.embed(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return offline_html(m, title=title)

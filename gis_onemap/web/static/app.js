// The one map page: MapLibre GL map of the 8 categories (vector tiles from /tiles, or GeoJSON
// from /collections/{id}/items when the app has no tile endpoint), popups and live counts.
// Panels (layers, search, region, incident, export) are in panels.js.
(function () {
  "use strict";
  const OM = window.OneMap;
  const config = JSON.parse(document.getElementById("onemap-config").textContent);
  OM.config = config;
  const I18N = OM.I18N, S = OM.Symbols;
  const GREY = "#8a8f96";

  OM.state = { visible: {}, totals: {}, inView: {}, mode: config.tiles_url ? "tiles" : "geojson", ready: false, errors: [] };
  config.categories.forEach((c) => { OM.state.visible[c.id] = true; });

  // --- small helpers shared with panels.js ---------------------------------------------------
  OM.api = async function (path, options) {
    // the page's one sign-in (auth.js) adds the token to every call
    const r = await OM.Auth.fetch(path, Object.assign({ headers: { Accept: "application/json" } }, options || {}));
    if (!r.ok) {
      let msg = r.status + " " + r.statusText;
      try { const j = await r.json(); msg = j.detail || j.description || j.title || msg; } catch (e) { /* not JSON */ }
      throw new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
    }
    return r.json();
  };
  OM.status = function (text, isError) {
    const el = document.getElementById("status");
    el.textContent = text || "";
    el.className = isError ? "error" : "";
    el.style.display = text ? "block" : "none";
    if (text && !isError) setTimeout(() => { if (el.textContent === text) OM.status(""); }, 4000);
  };
  OM.category = (id) => config.categories.find((c) => c.id === id);
  OM.layerIds = (id) => [id + "-fill", id + "-line", id + "-cluster", id + "-point"];
  OM.escape = (s) => String(s === undefined || s === null ? "" : s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  OM.formatDistance = (m) => (m >= 1000 ? (m / 1000).toFixed(m >= 10000 ? 0 : 1) + " km" : Math.round(m) + " m");

  // --- the map ---------------------------------------------------------------------------------
  OM.Basemap.install(config);
  const city = config.districts.find((d) => d.level === "municipal");
  const start = city ? city.bbox : [109.6, 20.2, 111.0, 22.0];
  const map = new window.maplibregl.Map({
    container: "map",
    style: OM.Basemap.style(config),
    bounds: [[start[0], start[1]], [start[2], start[3]]],
    fitBoundsOptions: { padding: 20 },
    maxZoom: 18,
    attributionControl: { compact: true },
    canvasContextAttributes: { preserveDrawingBuffer: true }, // PNG export reads the canvas
    preserveDrawingBuffer: true,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    transformRequest: (url) => OM.Auth.transformRequest(url), // tiles carry the sign-in too
    localIdeographFontFamily: "'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
  });
  map.touchZoomRotate.disableRotation();
  OM.map = map;
  // tiles depend on who asks (a region-limited token sees its regions): draw them again
  OM.Auth.onChange(() => {
    const src = map.getSource("onemap");
    if (src && src.setTiles) src.setTiles([window.location.origin + config.tiles_url]);
  });
  map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new window.maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  S.installIcons(map);
  map.on("error", (e) => {
    const msg = (e && e.error && e.error.message) || String(e);
    OM.state.errors.push(msg);
    console.warn("map:", msg); // eslint-disable-line no-console
  });

  function colorExpression(cat) {
    const st = S.STYLE[cat.id] || {};
    if (!st.key) return cat.color;
    const field = cat.fields.find((f) => f.name === st.key);
    const values = field ? Object.keys(field.choices) : [];
    if (!values.length) return cat.color;
    const expr = ["match", ["to-string", ["get", st.key]]];
    values.forEach((v) => { expr.push(v, S.colorOf(cat, v)); });
    expr.push(GREY);
    return expr;
  }

  const IS_POINT = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
  const IS_AREA = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
  const IS_CLUSTER = ["==", ["get", "cluster"], true];

  function sourceFor(cat) {
    return OM.state.mode === "tiles" ? { source: "onemap", "source-layer": cat.id } : { source: "gj-" + cat.id };
  }

  // plans (coverage areas) drawn first, so that they lie under everything else
  const DRAW_ORDER = ["plans", "protected_targets", "shelters", "depots", "supplies", "experts", "rescue_teams", "hazard_sources"];

  function addCategoryLayers() {
    if (OM.state.mode === "tiles") {
      map.addSource("onemap", { type: "vector", tiles: [window.location.origin + config.tiles_url], minzoom: 0, maxzoom: 16 });
    } else {
      config.categories.forEach((c) => map.addSource("gj-" + c.id, { type: "geojson", data: { type: "FeatureCollection", features: [] } }));
    }
    const ordered = DRAW_ORDER.map(OM.category).filter(Boolean);
    ordered.forEach((cat) => {
      const src = sourceFor(cat);
      const color = colorExpression(cat);
      // plans cover whole districts: outline only, or the city would be tinted by its plans
      const faint = cat.id === "plans" ? 0 : 0.25;
      map.addLayer(Object.assign({ id: cat.id + "-fill", type: "fill", filter: ["all", IS_AREA, ["!", IS_CLUSTER]], paint: { "fill-color": color, "fill-opacity": faint } }, src));
      map.addLayer(Object.assign({ id: cat.id + "-line", type: "line", filter: ["all", IS_AREA, ["!", IS_CLUSTER]], paint: { "line-color": color, "line-width": 1.2, "line-opacity": cat.id === "plans" ? 0.35 : 0.9, "line-dasharray": cat.id === "plans" ? [2, 2] : [1, 0] } }, src));
    });
    ordered.forEach((cat) => {
      const src = sourceFor(cat);
      map.addLayer(Object.assign({
        id: cat.id + "-cluster", type: "circle", filter: ["all", IS_POINT, IS_CLUSTER],
        paint: {
          "circle-color": cat.color, "circle-opacity": 0.35, "circle-stroke-color": cat.color, "circle-stroke-width": 2,
          "circle-radius": ["interpolate", ["linear"], ["to-number", ["coalesce", ["get", "point_count"], 2]], 2, 8, 20, 12, 200, 20, 2000, 28],
        },
      }, src));
      map.addLayer(Object.assign({
        id: cat.id + "-point", type: "symbol", filter: ["all", IS_POINT, ["!", IS_CLUSTER]],
        layout: {
          "icon-image": S.iconExpression(cat), "icon-size": S.sizeExpression(cat),
          "icon-allow-overlap": true, "icon-ignore-placement": true,
        },
      }, src));
    });
  }

  async function loadGeoJSON() {
    await Promise.all(config.categories.map(async (c) => {
      try {
        const fc = await OM.api("/collections/" + c.id + "/items?limit=10000");
        fc.features.forEach((f) => { f.properties = Object.assign({ id: f.id }, f.properties); });
        map.getSource("gj-" + c.id).setData(fc);
      } catch (e) {
        OM.status(I18N.t("request_failed") + ": " + c.id + " — " + e.message, true);
      }
    }));
  }

  async function loadTotals() {
    try {
      const doc = await OM.api("/collections");
      doc.collections.forEach((c) => { OM.state.totals[c.id] = c.itemCount; });
    } catch (e) {
      OM.status(I18N.t("request_failed") + ": /collections — " + e.message, true);
    }
    OM.Panels.renderCounts();
  }

  // features drawn in the current view, per category (clusters count as their point_count)
  function countInView() {
    config.categories.forEach((c) => {
      if (!OM.state.visible[c.id]) { OM.state.inView[c.id] = null; return; }
      const seen = new Set();
      let n = 0;
      map.queryRenderedFeatures({ layers: OM.layerIds(c.id) }).forEach((f) => {
        const p = f.properties || {};
        if (p.cluster === true || p.cluster === "true") { n += Number(p.point_count) || 0; return; }
        const id = p.id !== undefined ? p.id : f.id;
        if (id === undefined || seen.has(id)) return;
        seen.add(id); n += 1;
      });
      OM.state.inView[c.id] = n;
    });
    OM.Panels.renderCounts();
  }
  OM.countInView = countInView;

  OM.setVisible = function (catId, on) {
    OM.state.visible[catId] = on;
    OM.layerIds(catId).forEach((id) => { if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none"); });
    map.once("idle", countInView);
    map.triggerRepaint();
  };

  // --- popups ------------------------------------------------------------------------------------
  function formatValue(field, value) {
    if (value === null || value === undefined || value === "") return "";
    const one = (v) => (field.choices && field.choices[v] ? I18N.label(field.choices[v]) : v);
    if (Array.isArray(value)) return value.map(one).join("、");
    if (field.type === "boolean") return value ? "✓" : "✗";
    if (field.type === "object_list") return value.map((o) => o.name || JSON.stringify(o)).join("、");
    return one(value);
  }

  // An element with text only: feature properties come from users, so they are set with
  // textContent and never parsed as HTML.
  OM.el = function (tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  OM.popupNode = function (cat, props, extraRows) {
    const rows = (extraRows || []).slice();
    cat.fields.forEach((f) => {
      if (f.name === "name") return;
      const v = formatValue(f, props[f.name]);
      if (v !== "") rows.push([I18N.label(f), v]);
    });
    const box = OM.el("div", "popup");
    box.appendChild(OM.el("div", "popup-cat", I18N.label(cat)));
    box.appendChild(OM.el("h3", "", props.name || ""));
    const table = OM.el("table");
    rows.forEach((r) => {
      const tr = table.insertRow();
      tr.appendChild(OM.el("th", "", r[0]));
      tr.appendChild(OM.el("td", "", r[1]));
    });
    box.appendChild(table);
    return box;
  };

  OM.showFeature = async function (catId, id, lngLat, extraRows) {
    const cat = OM.category(catId);
    const popup = new window.maplibregl.Popup({ maxWidth: "320px" }).setLngLat(lngLat)
      .setDOMContent(OM.el("div", "popup", I18N.t("loading"))).addTo(map);
    try {
      const f = await OM.api("/collections/" + catId + "/items/" + encodeURIComponent(id));
      popup.setDOMContent(OM.popupNode(cat, f.properties || {}, extraRows));
    } catch (e) {
      popup.setDOMContent(OM.el("div", "popup error", I18N.t("request_failed") + ": " + e.message));
    }
    return popup;
  };

  function onMapClick(e) {
    if (OM.Panels.consumeIncidentClick(e)) return;
    const layers = [];
    config.categories.forEach((c) => { if (OM.state.visible[c.id]) layers.push(...OM.layerIds(c.id)); });
    const pad = e.originalEvent && e.originalEvent.pointerType === "touch" ? 12 : 4;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const hits = map.queryRenderedFeatures(box, { layers: layers.filter((id) => map.getLayer(id)) });
    if (!hits.length) return;
    // points and clusters before areas (an overall plan covers the whole city)
    hits.sort((a, b) => (/-(point|cluster)$/.test(b.layer.id) ? 1 : 0) - (/-(point|cluster)$/.test(a.layer.id) ? 1 : 0));
    const f = hits[0];
    const catId = f.layer.id.replace(/-(fill|line|cluster|point)$/, "");
    const p = f.properties || {};
    if (p.cluster === true || p.cluster === "true") {
      map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 18) });
      return;
    }
    const id = p.id !== undefined ? p.id : f.id;
    if (id !== undefined) OM.showFeature(catId, id, e.lngLat);
  }

  map.on("load", async () => {
    addCategoryLayers();
    OM.Basemap.addDistrictLabels(map, config);
    OM.Basemap.addStreetNames(map);
    map.on("click", onMapClick);
    OM.Panels.init();
    if (OM.Roads) OM.Roads.init();
    if (OM.state.mode === "geojson") await loadGeoJSON();
    await loadTotals();
    OM.Auth.onChange(loadTotals); // what a caller may count depends on who signs in
    map.on("moveend", () => map.once("idle", countInView));
    map.once("idle", () => { countInView(); OM.state.ready = true; document.body.dataset.ready = "1"; });
    map.triggerRepaint(); // the map may have gone idle already (every tile refused at once, 401)
    const layerIds = [];
    config.categories.forEach((c) => layerIds.push(c.id + "-point", c.id + "-cluster", c.id + "-fill"));
    layerIds.forEach((id) => {
      map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
    });
  });

  I18N.apply();
  I18N.onChange(() => { OM.Panels.render(); });
})();

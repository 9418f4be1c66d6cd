// The four-colour risk map layer (issue 16): MVT tiles of GET /analysis/risk-map/tiles/{z}/{x}/{y}.mvt
// (hexagons, edge 500 m / 1 km / 2 km), filled with each cell's class colour, a legend, and a
// popup with the cell's score = likelihood × consequence and its main inputs. Cells are scored
// over the whole tile, so a tile needs a zoom where it holds few enough cells (MINZOOM).
(function () {
  "use strict";
  const OM = window.OneMap;
  const I18N = OM.I18N;
  const $ = (id) => document.getElementById(id);
  const SOURCE = "risk-map";
  const LAYERS = ["risk-fill", "risk-line"];
  // smallest zoom per cell size: a tile then holds a few thousand cells at most
  const MINZOOM = { 500: 10, 1000: 9, 2000: 8 };
  const TEXT = {
    risk_map: ["四色风险图", "Four-colour risk map"],
    zoom_in: ["放大到 {z} 级以上显示", "Zoom in to level {z} or more"],
    red: ["重大风险", "Major"], orange: ["较大风险", "High"],
    yellow: ["一般风险", "Moderate"], blue: ["低风险", "Low"],
    score: ["风险值 = 可能性 × 后果", "Score = likelihood × consequence"],
    sources: ["影响该单元的危险源", "Hazard sources reaching the cell"],
    best: ["最高等级", "Highest level"],
    exposed: ["暴露人数", "People exposed"],
    vulnerable: ["敏感目标", "Vulnerable targets"],
    shelter: ["可达避难容量", "Shelter capacity in reach"],
  };
  const COLOURS = { red: "#d7191c", orange: "#fd8d3c", yellow: "#ffd92f", blue: "#2c7bb6" };
  const t = (k) => I18N.label(TEXT[k]);

  function size() { return Number($("risk-size").value) || 1000; }

  function tilesUrl() {
    return window.location.origin + "/analysis/risk-map/tiles/{z}/{x}/{y}.mvt?cell=hex&size_m=" + size();
  }

  function remove() {
    const map = OM.map;
    LAYERS.forEach((id) => { if (map.getLayer(id)) map.removeLayer(id); });
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
  }

  function add() {
    const map = OM.map;
    remove();
    const minzoom = MINZOOM[size()] || 9;
    map.addSource(SOURCE, { type: "vector", tiles: [tilesUrl()], minzoom: minzoom, maxzoom: 14 });
    // under the resource symbols: the first symbol/circle layer of the page, if any
    const before = (map.getStyle().layers || []).find((l) => /-(point|cluster)$/.test(l.id));
    map.addLayer({
      id: "risk-fill", type: "fill", source: SOURCE, "source-layer": "risk", minzoom: minzoom,
      paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.45 },
    }, before && before.id);
    map.addLayer({
      id: "risk-line", type: "line", source: SOURCE, "source-layer": "risk", minzoom: minzoom,
      paint: { "line-color": ["get", "colour"], "line-width": 0.5 },
    }, before && before.id);
    note();
  }

  function note() {
    const z = MINZOOM[size()] || 9;
    const el = $("risk-note");
    const on = $("risk-toggle").checked;
    el.hidden = !on || OM.map.getZoom() >= z;
    el.textContent = t("zoom_in").replace("{z}", String(z));
  }

  function legend() {
    const el = $("risk-legend");
    el.replaceChildren();
    ["red", "orange", "yellow", "blue"].forEach((c) => {
      const span = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = COLOURS[c];
      span.append(swatch, document.createTextNode(t(c)));
      el.append(span);
    });
    $("risk-title").textContent = t("risk_map");
  }

  function popup(e) {
    const f = e.features && e.features[0];
    if (!f) return;
    const p = f.properties;
    const box = document.createElement("div");
    const head = document.createElement("strong");
    head.textContent = t(p.risk_class) + " · " + p.score + " = " + p.likelihood + " × " + p.consequence;
    box.append(head);
    const rows = [
      ["score", ""], ["sources", p.hazard_sources], ["best", p.best_level || "—"],
      ["exposed", p.exposed], ["vulnerable", p.vulnerable_targets], ["shelter", p.shelter_capacity_in_reach],
    ];
    rows.forEach(([k, v]) => {
      const line = document.createElement("div");
      line.textContent = t(k) + (v === "" ? "" : ": " + v);
      box.append(line);
    });
    new window.maplibregl.Popup({ maxWidth: "280px" }).setLngLat(e.lngLat).setDOMContent(box).addTo(OM.map);
  }

  function toggle() {
    const on = $("risk-toggle").checked;
    $("risk-legend").hidden = !on;
    if (on) add(); else { remove(); note(); }
  }

  function init() {
    $("risk-block").hidden = false;
    legend();
    $("risk-toggle").addEventListener("change", toggle);
    $("risk-size").addEventListener("change", () => { if ($("risk-toggle").checked) add(); });
    OM.map.on("click", "risk-fill", popup);
    OM.map.on("zoomend", note);
    I18N.onChange(() => { legend(); note(); });
  }

  function start() {
    if (OM.map.loaded()) init(); else OM.map.once("load", init);
  }

  OM.Risk = { init, add, remove, tilesUrl };
  if (OM.map) start(); else window.addEventListener("DOMContentLoaded", start);
})();

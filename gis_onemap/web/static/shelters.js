// "Shelter coverage" view (issue 15): POST /analysis/shelters/coverage for the selected district
// (or the map view when the whole city is selected) and shade the population cells: green =
// everyone has a shelter with room within the walk, orange = partly, red = nobody; shelters are
// drawn by how full the assignment leaves them. Texts are local (zh/en) so i18n.js is untouched.
(function () {
  "use strict";
  const OM = window.OneMap;
  const $ = (id) => document.getElementById(id);
  const EMPTY = { type: "FeatureCollection", features: [] };
  const TEXT = {
    zh: { title: "避难场所覆盖", run: "计算覆盖", clear: "清除", reach: "步行(分钟)",
          hazard: "灾种", none: "不限", typhoon: "台风", flood: "洪涝", earthquake: "地震",
          loading: "计算中…", result: "需避难 {d} 人，已安置 {c} 人（{p}），未安置 {u} 人",
          legend: "绿：全部安置　橙：部分　红：无", nolayer: "未加载人口图层" },
    en: { title: "Shelter coverage", run: "Compute", clear: "Clear", reach: "Walk (min)",
          hazard: "Hazard", none: "Any", typhoon: "Typhoon", flood: "Flood", earthquake: "Earthquake",
          loading: "Computing…", result: "Demand {d}, housed {c} ({p}), without room {u}",
          legend: "green: all housed  orange: partly  red: none", nolayer: "No population layer loaded" },
  };  // prettier-ignore
  let last = null; // the last result (for the tests)

  const lang = () => (OM.I18N && OM.I18N.lang === "en" ? "en" : "zh");
  const t = (k) => TEXT[lang()][k] || k;

  function source(id, data) {
    const map = OM.map;
    if (map.getSource(id)) { map.getSource(id).setData(data); return false; }
    map.addSource(id, { type: "geojson", data: data });
    return true;
  }

  function shade(fc) {
    (fc.features || []).forEach((f) => {
      const p = f.properties;
      p.share = p.demand > 0 ? p.covered / p.demand : 1;
    });
    return fc;
  }

  function draw(result) {
    const map = OM.map;
    if (source("shelter-cells", shade(result.cells || EMPTY))) {
      map.addLayer({ id: "shelter-cells-fill", type: "fill", source: "shelter-cells", paint: {
        "fill-color": ["case", [">=", ["get", "share"], 0.999], "#1a9641",
                       [">=", ["get", "share"], 0.5], "#fdae61", "#d7191c"],
        "fill-opacity": 0.45 } });  // prettier-ignore
    }
    const pts = { type: "FeatureCollection", features: (result.shelters || []).filter((s) => s.used).map((s) => ({
      type: "Feature", geometry: { type: "Point", coordinates: [s.lon, s.lat] },
      properties: { name: s.name, capacity: s.capacity, assigned: s.assigned,
                    full: s.capacity > 0 ? s.assigned / s.capacity : 0 } })) };  // prettier-ignore
    if (source("shelter-use", pts)) {
      map.addLayer({ id: "shelter-use-point", type: "circle", source: "shelter-use", paint: {
        "circle-radius": 6, "circle-stroke-width": 1.5, "circle-stroke-color": "#fff",
        "circle-color": ["interpolate", ["linear"], ["get", "full"], 0, "#2b83ba", 1, "#7b3294"] } });
    }
  }

  function clear() {
    last = null;
    ["shelter-cells", "shelter-use"].forEach((id) => { if (OM.map.getSource(id)) OM.map.getSource(id).setData(EMPTY); });
    $("shelter-note").textContent = "";
  }

  async function run() {
    const body = { reach: Number($("shelter-reach").value) || 15 };
    const hazard = $("shelter-hazard").value;
    if (hazard) body.hazard = hazard;
    const region = $("region-select").value;
    const city = OM.config.districts.find((d) => d.level === "municipal");
    if (region && (!city || region !== city.code)) body.region_code = region;
    else {
      const b = OM.map.getBounds();
      body.bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    }
    $("shelter-note").textContent = t("loading");
    try {
      const result = await OM.api("/analysis/shelters/coverage", {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      last = result;
      draw(result);
      const s = result.totals;
      const pct = s.covered_share === null ? "—" : (100 * s.covered_share).toFixed(1) + "%";
      $("shelter-note").textContent = t("result").replace("{d}", s.demand.toLocaleString())
        .replace("{c}", s.covered.toLocaleString()).replace("{p}", pct).replace("{u}", s.uncovered.toLocaleString());
      $("shelter-legend").textContent = t("legend");
    } catch (e) {
      $("shelter-note").textContent = e.message;
    }
  }

  function labels() {
    $("shelter-title").textContent = t("title");
    $("shelter-run").textContent = t("run");
    $("shelter-clear").textContent = t("clear");
    $("shelter-reach-label").textContent = t("reach");
    $("shelter-hazard-label").textContent = t("hazard");
    Array.from($("shelter-hazard").options).forEach((o) => { o.textContent = t(o.value || "none"); });
  }

  function init() {
    if (!$("shelter-block")) return;
    labels();
    $("shelter-run").addEventListener("click", run);
    $("shelter-clear").addEventListener("click", clear);
    if (OM.I18N && OM.I18N.onChange) OM.I18N.onChange(labels);
  }

  OM.Shelters = { run, clear, last: () => last };
  if (OM.map) init(); else document.addEventListener("DOMContentLoaded", init);
})();

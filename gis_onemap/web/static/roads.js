// Road tools of the incident panel (issue 14), over the roads API: "by travel time" adds each
// listed resource's ETA to the incident (GET /analysis/nearest-by-time, direction=to) and orders
// the list by it; clicking a resource then draws its route (GET /analysis/route); "service
// area" draws the 10/20/30-minute bands around the incident (GET /analysis/service-area); road
// closures (GET /roads/closures) are drawn and listed. Shown only when the app has that API.
(function () {
  "use strict";
  const OM = window.OneMap;
  const I18N = OM.I18N;
  const $ = (id) => document.getElementById(id);
  const MINUTES = [10, 20, 30];
  const BAND_COLORS = ["#1a9850", "#fee08b", "#f46d43"];
  const EMPTY = { type: "FeatureCollection", features: [] };
  let byTime = false;
  let etas = {}; // "category/id" → {eta_s, reachable}
  let etaFor = null; // the incident ("lon,lat") the ETAs belong to
  let loading = false;
  let drawn = { route: null, area: null }; // what is on the map (for the panel and the tests)

  function api() { return !!OM.config.roads_api; }
  const key = (cat, id) => cat + "/" + id;
  const fmtMin = (s) => (s < 60 ? "<1" : String(Math.round(s / 60))) + " min";

  function source(id, data) {
    const map = OM.map;
    if (map.getSource(id)) { map.getSource(id).setData(data); return false; }
    map.addSource(id, { type: "geojson", data: data });
    return true;
  }

  // --- ETAs beside the listed resources ---------------------------------------------------------
  function listed() {
    const inc = OM.Panels.incident();
    if (!inc || !inc.result) return null;
    const out = {};
    Object.entries(inc.result.collections || {}).forEach(([cat, fc]) => {
      if (cat === "plans") return; // plans cover areas: no place to drive to
      if ((fc.features || []).length) out[cat] = fc.features;
    });
    return { inc: inc, cats: out };
  }

  async function fetchEtas() {
    const l = listed();
    if (!l || loading) return;
    const here = l.inc.lon + "," + l.inc.lat;
    if (etaFor === here) { annotate(); return; }
    loading = true;
    $("travel-note").textContent = I18N.t("loading");
    const found = {};
    try {
      await Promise.all(Object.entries(l.cats).map(async ([cat, feats]) => {
        const k = Math.min(50, feats.length + 10);
        const q = "lon=" + l.inc.lon + "&lat=" + l.inc.lat + "&category=" + cat + "&k=" + k + "&direction=to";
        const fc = await OM.api("/analysis/nearest-by-time?" + q);
        (fc.features || []).forEach((f) => {
          const id = f.id !== undefined ? f.id : f.properties.id;
          found[key(cat, id)] = { eta_s: f.properties.eta_s, reachable: f.properties.reachable !== false };
        });
      }));
      etas = found;
      etaFor = here;
      $("travel-note").textContent = I18N.t("eta_note");
    } catch (e) {
      $("travel-note").textContent = I18N.t("request_failed") + ": " + e.message;
    } finally {
      loading = false;
    }
    annotate();
  }

  function annotate() {
    const l = listed();
    document.querySelectorAll("#surroundings-list .eta").forEach((el) => el.remove());
    if (!byTime || !l) return;
    document.querySelectorAll("#surroundings-list ol.sur-items").forEach((ol) => {
      const items = Array.from(ol.children);
      items.forEach((li) => {
        const a = li.querySelector("a[data-cat]");
        if (!a) return;
        const f = (l.inc.result.collections[a.dataset.cat] || { features: [] }).features[+a.dataset.i];
        if (!f) return;
        const e = etas[key(a.dataset.cat, f.id !== undefined ? f.id : f.properties.id)];
        const span = document.createElement("span");
        span.className = "eta";
        span.textContent = e && e.reachable && e.eta_s !== null ? fmtMin(e.eta_s) : "—";
        li.dataset.eta = e && e.reachable && e.eta_s !== null ? e.eta_s : "Infinity";
        li.insertBefore(span, a.nextSibling);
      });
      // by travel time: the soonest to arrive first (the list's "more" items stay folded)
      items.sort((x, y) => Number(x.dataset.eta) - Number(y.dataset.eta));
      items.forEach((li, i) => { li.classList.toggle("more", i >= 5); ol.appendChild(li); });
    });
  }

  // --- a route from the clicked resource to the incident ----------------------------------------
  async function drawRoute(cat, feature) {
    const inc = OM.Panels.incident();
    if (!inc) return;
    const g = feature.geometry;
    const at = g.type === "Point" ? g.coordinates : OM.centerOf(g);
    const q = "from=" + at[0] + "," + at[1] + "&to=" + inc.lon + "," + inc.lat;
    try {
      const route = await OM.api("/analysis/route?" + q);
      drawn.route = route;
      const fresh = source("road-route", { type: "FeatureCollection", features: [route] });
      if (fresh) {
        OM.map.addLayer({ id: "road-route-casing", type: "line", source: "road-route", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#ffffff", "line-width": 8 } });
        OM.map.addLayer({ id: "road-route", type: "line", source: "road-route", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": "#2b6cd4", "line-width": 4.5 } });
      }
      const p = route.properties || {};
      $("route-info").hidden = false;
      $("route-info").textContent = I18N.t("route_to_incident") + " " + (feature.properties.name || "") + ": " +
        fmtMin(p.eta_s) + " · " + OM.formatDistance(p.length_m) +
        (p.road_names && p.road_names.length ? " · " + p.road_names.slice(0, 4).join(" → ") : "");
      const c = route.geometry.coordinates;
      if (c && c.length) {
        const xs = c.map((v) => v[0]), ys = c.map((v) => v[1]);
        OM.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 40, maxZoom: 15 });
      }
    } catch (e) {
      $("route-info").hidden = false;
      $("route-info").textContent = I18N.t("request_failed") + ": " + e.message;
    }
  }

  function onListClick(e) {
    if (!byTime) return;
    const a = e.target.closest("a[data-cat]");
    const l = listed();
    if (!a || !l) return;
    const f = (l.inc.result.collections[a.dataset.cat] || { features: [] }).features[+a.dataset.i];
    if (f) drawRoute(a.dataset.cat, f);
  }

  // --- service area ---------------------------------------------------------------------------------
  async function serviceArea() {
    const inc = OM.Panels.incident();
    if (!inc) { OM.status(I18N.t("incident_first"), true); return; }
    const q = "lon=" + inc.lon + "&lat=" + inc.lat + "&minutes=" + MINUTES.join(",") + "&direction=to";
    try {
      const fc = await OM.api("/analysis/service-area?" + q);
      // the widest band first, so the nearer ones are drawn on top
      fc.features.sort((a, b) => b.properties.minutes - a.properties.minutes);
      drawn.area = fc;
      if (source("service-area", fc)) {
        const color = ["match", ["get", "minutes"]];
        MINUTES.forEach((m, i) => color.push(m, BAND_COLORS[i]));
        color.push("#999999");
        OM.map.addLayer({ id: "service-area-fill", type: "fill", source: "service-area", paint: { "fill-color": color, "fill-opacity": 0.25 } }, firstCategoryLayer());
        OM.map.addLayer({ id: "service-area-line", type: "line", source: "service-area", paint: { "line-color": color, "line-width": 1.5 } }, firstCategoryLayer());
      }
      $("service-legend").hidden = false;
      $("service-legend").innerHTML = MINUTES.map((m, i) => '<span><i style="background:' + BAND_COLORS[i] + '"></i>' + m + " min</span>").join(" ");
    } catch (e) {
      OM.status(I18N.t("request_failed") + ": " + e.message, true);
    }
  }

  function firstCategoryLayer() {
    const l = OM.map.getStyle().layers.find((x) => /-(fill|line|cluster|point)$/.test(x.id) && !/^(st-|bg-|service-)/.test(x.id));
    return l ? l.id : undefined;
  }

  // --- closures ---------------------------------------------------------------------------------------
  async function loadClosures() {
    try {
      const fc = await OM.api("/roads/closures");
      const feats = (fc.features || []).filter((f) => f.geometry);
      if (source("road-closures", { type: "FeatureCollection", features: feats })) {
        OM.map.addLayer({ id: "road-closures-fill", type: "fill", source: "road-closures", paint: { "fill-color": "#d7191c", "fill-opacity": 0.18 } });
        OM.map.addLayer({ id: "road-closures-line", type: "line", source: "road-closures", paint: { "line-color": "#d7191c", "line-width": 2, "line-dasharray": [2, 1] } });
      }
      $("closures-block").hidden = false;
      const list = $("closures-list");
      list.innerHTML = (fc.features || []).length
        ? (fc.features || []).map((f, i) => '<li><a href="#" data-closure="' + i + '">' + OM.escape(f.properties.reason || I18N.t("closure")) + "</a>" +
            (f.properties.valid_to ? ' <small>→ ' + OM.escape(String(f.properties.valid_to).slice(0, 16).replace("T", " ")) + "</small>" : "") + "</li>").join("")
        : '<li class="hint">' + OM.escape(I18N.t("no_closures")) + "</li>";
      list.querySelectorAll("a[data-closure]").forEach((a) => a.addEventListener("click", (e) => {
        e.preventDefault();
        const f = fc.features[+a.dataset.closure];
        if (f.geometry) OM.map.flyTo({ center: OM.centerOf(f.geometry), zoom: Math.max(OM.map.getZoom(), 14) });
      }));
    } catch (e) {
      OM.status(I18N.t("request_failed") + ": /roads/closures — " + e.message, true);
    }
  }

  function clear() {
    etas = {}; etaFor = null; drawn = { route: null, area: null };
    ["road-route", "service-area"].forEach((id) => { if (OM.map.getSource(id)) OM.map.getSource(id).setData(EMPTY); });
    $("route-info").hidden = true;
    $("service-legend").hidden = true;
  }

  function init() {
    if (!api()) return; // no roads API on this server: the tools stay hidden
    $("travel-tools").hidden = false;
    $("by-time").addEventListener("change", (e) => {
      byTime = e.target.checked;
      document.body.classList.toggle("by-time", byTime);
      if (byTime) fetchEtas(); else { annotate(); $("travel-note").textContent = ""; }
    });
    $("service-area").addEventListener("click", serviceArea);
    $("incident-clear").addEventListener("click", clear);
    // capture phase: the route is drawn as well as the popup the list opens
    $("surroundings-list").addEventListener("click", onListClick, true);
    // the list is re-rendered for each incident and language: annotate it each time
    new MutationObserver(() => {
      if (!byTime || loading || document.querySelector("#surroundings-list .eta")) return;
      fetchEtas();
    }).observe($("surroundings-list"), { childList: true });
    loadClosures();
    // texts made here follow the language switch (the panel re-renders the list itself)
    I18N.onChange(() => {
      if (byTime && etaFor) $("travel-note").textContent = I18N.t("eta_note");
      loadClosures();
    });
  }

  OM.Roads = { init, fetchEtas, serviceArea, loadClosures, etas: () => etas, drawn: () => drawn };
})();

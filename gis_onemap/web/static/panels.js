// Side panel of the one map: layer list with legends and counts, search by name, fit to a
// region, "set incident" with the surroundings list and rings, exports, language switch.
(function () {
  "use strict";
  const OM = window.OneMap;
  const I18N = OM.I18N;
  const $ = (id) => document.getElementById(id);
  let picking = false;
  let incident = null; // {lon, lat, result}
  let incidentMarker = null;
  let rings = null; // the rings drawn (GeoJSON)

  // --- layers, legends, counts ---------------------------------------------------------------
  function renderLayerList() {
    const ul = $("layer-list");
    ul.innerHTML = "";
    OM.config.categories.forEach((cat) => {
      const li = document.createElement("li");
      li.className = "layer";
      li.dataset.category = cat.id;
      const swatch = OM.Symbols.drawIcon(OM.Symbols.STYLE[cat.id].shape, cat.color, 28).toDataURL();
      const legendRows = OM.Symbols.legend(cat).map((r) =>
        '<li><img alt="" src="' + r.swatch + '"> ' + OM.escape(I18N.label(r.label)) + "</li>").join("");
      const note = OM.Symbols.sizeNote(cat);
      li.innerHTML =
        '<label class="layer-row"><input type="checkbox" ' + (OM.state.visible[cat.id] ? "checked" : "") + ">" +
        '<img class="swatch" alt="" src="' + swatch + '"><span class="layer-name">' + OM.escape(I18N.label(cat)) + "</span>" +
        '<span class="count" data-count="' + cat.id + '"></span></label>' +
        '<details class="legend"><summary>' + (I18N.lang === "en" ? "Legend" : "图例") + "</summary><ul>" + legendRows + "</ul>" +
        (note ? '<p class="hint">' + OM.escape(I18N.label(note)) + "</p>" : "") + "</details>";
      li.querySelector("input").addEventListener("change", (e) => OM.setVisible(cat.id, e.target.checked));
      ul.appendChild(li);
    });
    renderCounts();
  }

  function renderCounts() {
    OM.config.categories.forEach((cat) => {
      const el = document.querySelector('[data-count="' + cat.id + '"]');
      if (!el) return;
      const total = OM.state.totals[cat.id];
      const inView = OM.state.inView[cat.id];
      el.textContent = (total === undefined ? "…" : total) + " / " + (inView === null || inView === undefined ? "—" : inView);
    });
  }

  // --- region and event selects -----------------------------------------------------------------
  function renderRegions() {
    const sel = $("region-select");
    const keep = sel.value;
    sel.innerHTML = "";
    OM.config.districts.forEach((d) => {
      const o = document.createElement("option");
      o.value = d.code;
      o.textContent = d.level === "municipal" ? d.name + "（" + I18N.t("all_city") + "）" : d.name;
      sel.appendChild(o);
    });
    if (keep) sel.value = keep;
  }

  function fitRegion(code, animate) {
    const d = OM.config.districts.find((x) => x.code === code);
    if (d) OM.map.fitBounds([[d.bbox[0], d.bbox[1]], [d.bbox[2], d.bbox[3]]], { padding: 30, animate: animate !== false });
  }

  function renderEvents() {
    const sel = $("event-select");
    const keep = sel.value;
    sel.innerHTML = '<option value="">' + OM.escape(I18N.t("any_event")) + "</option>";
    OM.config.event_categories.forEach((ec) => {
      const g = document.createElement("optgroup");
      g.label = I18N.label(ec);
      const all = document.createElement("option");
      all.value = "category:" + ec.value;
      all.textContent = I18N.label(ec) + (I18N.lang === "en" ? " (all)" : "（全部）");
      g.appendChild(all);
      OM.config.event_types.filter((t) => t.category === ec.value).forEach((t) => {
        const o = document.createElement("option");
        o.value = t.value;
        o.textContent = I18N.label(t);
        g.appendChild(o);
      });
      sel.appendChild(g);
    });
    sel.value = keep;
  }

  // --- search ------------------------------------------------------------------------------------
  async function search(text) {
    const box = $("search-results");
    box.hidden = false;
    box.innerHTML = '<p class="hint">' + OM.escape(I18N.t("loading")) + "</p>";
    const cql = "name LIKE '%" + text.replace(/'/g, "''") + "%'";
    const found = await Promise.all(OM.config.categories.map((c) =>
      OM.api("/collections/" + c.id + "/items?limit=10&filter=" + encodeURIComponent(cql))
        .then((fc) => fc.features.map((f) => ({ cat: c, f: f })))
        .catch(() => [])));
    const hits = found.flat();
    if (!hits.length) { box.innerHTML = '<p class="hint">' + OM.escape(I18N.t("no_results")) + "</p>"; return; }
    box.innerHTML = "<ul class=\"results\">" + hits.map((h, i) =>
      '<li><a href="#" data-hit="' + i + '">' + OM.escape(h.f.properties.name) + "</a> <small>" +
      OM.escape(I18N.label(h.cat)) + "</small></li>").join("") + "</ul>";
    box.querySelectorAll("a[data-hit]").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      const h = hits[+a.dataset.hit];
      const at = centerOf(h.f.geometry);
      OM.map.flyTo({ center: at, zoom: Math.max(OM.map.getZoom(), 14) });
      OM.showFeature(h.cat.id, h.f.id, at);
      collapseOnPhone();
    }));
  }

  OM.centerOf = (g) => centerOf(g);
  function centerOf(g) {
    if (g.type === "Point") return g.coordinates;
    const pts = [];
    const walk = (c) => { if (typeof c[0] === "number") pts.push(c); else c.forEach(walk); };
    walk(g.coordinates);
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  }

  // --- incident and surroundings ------------------------------------------------------------------
  function consumeIncidentClick(e) {
    if (!picking) return false;
    picking = false;
    document.body.classList.remove("picking");
    OM.status("");
    setIncident(e.lngLat.lng, e.lngLat.lat);
    return true;
  }

  function eventParams() {
    const v = $("event-select").value;
    if (!v) return {};
    if (v.startsWith("category:")) return { event_category: v.slice(9) };
    return { event_type: v };
  }

  async function setIncident(lon, lat) {
    incident = { lon: lon, lat: lat, result: null };
    if (!incidentMarker) {
      const el = document.createElement("div");
      el.className = "incident-marker";
      incidentMarker = new window.maplibregl.Marker({ element: el });
    }
    incidentMarker.setLngLat([lon, lat]).addTo(OM.map);
    $("incident-coords").textContent = I18N.t("incident_at") + ": " + lon.toFixed(5) + ", " + lat.toFixed(5) + " (WGS84)";
    await runSurroundings();
  }
  OM.setIncident = setIncident;

  async function runSurroundings() {
    if (!incident) return;
    const radius = Number($("radius-select").value);
    const body = Object.assign({ lon: incident.lon, lat: incident.lat, radius_m: radius, k: 50 }, eventParams());
    $("surroundings").hidden = false;
    $("surroundings-list").innerHTML = '<p class="hint">' + OM.escape(I18N.t("loading")) + "</p>";
    drawRings(incident.lon, incident.lat, radius);
    if (!OM.config.surroundings_url) {
      $("surroundings-list").innerHTML = '<p class="error">' + OM.escape(I18N.t("analysis_failed")) + "</p>";
      return;
    }
    try {
      incident.result = await OM.api(OM.config.surroundings_url, {
        method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body),
      });
      renderSurroundings();
      drawResults();
    } catch (e) {
      $("surroundings-list").innerHTML = '<p class="error">' + OM.escape(I18N.t("analysis_failed") + ": " + e.message) + "</p>";
    }
  }

  // buffer rings at a third, two thirds and the whole radius: geodesic rings from the server
  // (POST /analysis/buffer), or circles on the sphere if that endpoint is absent
  async function drawRings(lon, lat, radius) {
    const distances = [radius / 3, (2 * radius) / 3, radius].map((d) => Math.round(d));
    let fc = null;
    if (OM.config.buffer_url) {
      try {
        fc = await OM.api(OM.config.buffer_url, {
          method: "POST", headers: { "Content-Type": "application/json", Accept: "application/geo+json" },
          body: JSON.stringify({ geometry: { type: "Point", coordinates: [lon, lat] }, distances_m: distances }),
        });
      } catch (e) { fc = null; }
    }
    if (!fc || !fc.features) fc = { type: "FeatureCollection", features: distances.map((d) => sphereCircle(lon, lat, d)) };
    rings = fc;
    const map = OM.map;
    if (map.getSource("incident-rings")) map.getSource("incident-rings").setData(fc);
    else {
      map.addSource("incident-rings", { type: "geojson", data: fc });
      map.addLayer({ id: "incident-rings-fill", type: "fill", source: "incident-rings", paint: { "fill-color": "#d7191c", "fill-opacity": 0.05 } });
      map.addLayer({ id: "incident-rings-line", type: "line", source: "incident-rings", paint: { "line-color": "#d7191c", "line-width": 1.5, "line-dasharray": [4, 2] } });
    }
    const b = ringBounds(lon, lat, radius);
    map.fitBounds(b, { padding: 30, maxZoom: 15 });
  }

  function sphereCircle(lon, lat, d) {
    const R = 6371008.8, n = 96, coords = [];
    const p1 = lat * Math.PI / 180, l1 = lon * Math.PI / 180, a = d / R;
    for (let i = 0; i <= n; i++) {
      const th = 2 * Math.PI * i / n;
      const p2 = Math.asin(Math.sin(p1) * Math.cos(a) + Math.cos(p1) * Math.sin(a) * Math.cos(th));
      const l2 = l1 + Math.atan2(Math.sin(th) * Math.sin(a) * Math.cos(p1), Math.cos(a) - Math.sin(p1) * Math.sin(p2));
      coords.push([l2 * 180 / Math.PI, p2 * 180 / Math.PI]);
    }
    return { type: "Feature", properties: { distance_m: d }, geometry: { type: "Polygon", coordinates: [coords] } };
  }

  function ringBounds(lon, lat, d) {
    const dLat = d / 111320, dLon = d / (111320 * Math.cos(lat * Math.PI / 180));
    return [[lon - dLon, lat - dLat], [lon + dLon, lat + dLat]];
  }

  function drawResults() {
    const feats = [];
    Object.entries(incident.result.collections || {}).forEach(([catId, fc]) => {
      (fc.features || []).forEach((f) => { if (f.geometry) feats.push({ type: "Feature", geometry: { type: "Point", coordinates: centerOf(f.geometry) }, properties: { category: catId } }); });
    });
    const fc = { type: "FeatureCollection", features: feats };
    const map = OM.map;
    if (map.getSource("incident-results")) map.getSource("incident-results").setData(fc);
    else {
      map.addSource("incident-results", { type: "geojson", data: fc });
      map.addLayer({ id: "incident-results", type: "circle", source: "incident-results", paint: { "circle-radius": 13, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#d7191c", "circle-stroke-width": 2 } }, firstPointLayer());
    }
  }

  function firstPointLayer() {
    const layers = OM.map.getStyle().layers;
    const l = layers.find((x) => /-cluster$/.test(x.id));
    return l ? l.id : undefined;
  }

  function totalsLine(catId, s) {
    const en = I18N.lang === "en";
    const num = (v) => Number(v || 0).toLocaleString(en ? "en" : "zh-CN");
    switch (catId) {
      case "shelters": return s.shelters ? I18N.t("capacity") + " " + num(s.shelters.capacity) + (en ? " persons" : " 人") : "";
      case "rescue_teams": return I18N.t("headcount") + " " + num(s.team_headcount) + (en ? "" : " 人");
      case "protected_targets": return I18N.t("population") + " " + num(s.protected_population) + (en ? "" : " 人");
      case "hazard_sources": {
        const by = s.hazard_sources_by_level || {};
        return Object.keys(by).map((k) => (k === "unknown" ? I18N.t("unclassified") : (en ? "L" + k : k + "级")) + " " + by[k]).join(" · ");
      }
      case "supplies": {
        const items = (s.supplies_by_item || []).slice().sort((a, b) => b.quantity - a.quantity).slice(0, 4);
        return items.map((i) => i.item_name + " " + num(i.quantity) + (i.unit || "")).join("；");
      }
      default: return "";
    }
  }

  function renderSurroundings() {
    if (!incident || !incident.result) return;
    const res = incident.result, s = res.summary || {};
    const en = I18N.lang === "en";
    $("surroundings-summary").innerHTML = '<p class="hint">' + OM.escape(I18N.t("within")) + " " + OM.formatDistance(res.radius_m) +
      " · " + OM.escape(I18N.t("nearest_first")) + "</p>";
    const parts = OM.config.categories.map((cat) => {
      const fc = (res.collections || {})[cat.id] || { features: [] };
      const total = fc.numberMatched !== undefined ? fc.numberMatched : fc.features.length;
      const line = totalsLine(cat.id, s);
      const items = fc.features.map((f, i) =>
        '<li class="' + (i >= 5 ? "more" : "") + '"><a href="#" data-cat="' + cat.id + '" data-i="' + i + '">' +
        OM.escape(f.properties.name) + '</a><span class="dist">' + OM.formatDistance(f.properties.distance_m) + "</span></li>").join("");
      const more = fc.features.length > 5 ? '<button class="link show-more">' + OM.escape(I18N.t("show_more")) + "</button>" : "";
      const fit = cat.id === "experts" && s.expert_specialties ? " · " + I18N.t("experts_fit") : cat.id === "plans" && s.plan_event_types ? " · " + I18N.t("plans_fit") : "";
      return '<div class="sur-cat" data-category="' + cat.id + '"><h3><span class="sur-name">' + OM.escape(I18N.label(cat)) +
        '</span> <span class="sur-count">' + total + "</span>" + OM.escape(fit) + "</h3>" +
        (line ? '<p class="sur-total">' + OM.escape((en ? "" : "") + line) + "</p>" : "") +
        '<ol class="sur-items">' + items + "</ol>" + more + "</div>";
    });
    $("surroundings-list").innerHTML = parts.join("");
    $("surroundings-list").querySelectorAll("a[data-cat]").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      const f = res.collections[a.dataset.cat].features[+a.dataset.i];
      const at = centerOf(f.geometry);
      OM.map.flyTo({ center: at, zoom: Math.max(OM.map.getZoom(), 14) });
      OM.showFeature(a.dataset.cat, f.id !== undefined ? f.id : f.properties.id, at, [[I18N.t("distance"), OM.formatDistance(f.properties.distance_m)]]);
      collapseOnPhone();
    }));
    $("surroundings-list").querySelectorAll(".show-more").forEach((b) => b.addEventListener("click", () => {
      b.parentElement.classList.add("expanded"); b.remove();
    }));
  }

  function clearIncident() {
    incident = null;
    picking = false;
    document.body.classList.remove("picking");
    if (incidentMarker) incidentMarker.remove();
    ["incident-rings", "incident-results"].forEach((id) => {
      const src = OM.map.getSource(id);
      if (src) src.setData({ type: "FeatureCollection", features: [] });
    });
    $("surroundings").hidden = true;
    $("incident-coords").textContent = "";
  }

  // --- export ------------------------------------------------------------------------------------
  function download(name, blobOrUrl) {
    const a = document.createElement("a");
    a.href = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function viewBbox() {
    const b = OM.map.getBounds();
    const c = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
    return [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90), c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].map((v) => v.toFixed(6)).join(",");
  }

  function visibleCategories() { return OM.config.categories.filter((c) => OM.state.visible[c.id]); }

  async function exportGeoJSON() {
    const cats = visibleCategories();
    if (!cats.length) { OM.status(I18N.t("export_none"), true); return; }
    let features = [];
    if (incident && incident.result) {
      cats.forEach((c) => { features = features.concat(((incident.result.collections[c.id] || {}).features) || []); });
    } else {
      const parts = await Promise.all(cats.map((c) => OM.api("/collections/" + c.id + "/items?limit=10000&bbox=" + viewBbox())
        .then((fc) => fc.features.map((f) => { f.properties = Object.assign({ category: c.id }, f.properties); return f; }))));
      features = parts.flat();
    }
    const fc = { type: "FeatureCollection", features: features };
    download("onemap.geojson", new Blob([JSON.stringify(fc)], { type: "application/geo+json" }));
    return fc;
  }

  function exportGpkg() {
    const box = $("export-links");
    if (!OM.config.gpkg_export) { box.textContent = I18N.t("gpkg_unavailable"); return; }
    const cats = visibleCategories();
    box.innerHTML = OM.escape(I18N.t("downloads")) + cats.map((c) =>
      '<a class="gpkg-link" href="/collections/' + c.id + "/items?f=gpkg&limit=10000&bbox=" + viewBbox() + '" download="' + c.id + '.gpkg">' +
      OM.escape(I18N.label(c)) + "</a>").join(" ");
    // a link cannot carry the sign-in's header: signed in, the file is fetched with it
    box.querySelectorAll("a.gpkg-link").forEach((a) => a.addEventListener("click", async (e) => {
      if (!OM.Auth.token()) return;
      e.preventDefault();
      try {
        const r = await OM.Auth.fetch(a.getAttribute("href"), { headers: { Accept: "application/geopackage+sqlite3" } });
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        download(a.getAttribute("download"), await r.blob());
      } catch (err) { OM.status(err.message, true); }
    }));
  }

  function exportPng() {
    // the map keeps its drawing buffer (preserveDrawingBuffer), so the canvas holds the last frame
    download("onemap.png", OM.map.getCanvas().toDataURL("image/png"));
  }

  // --- layout --------------------------------------------------------------------------------------
  function isPhone() { return window.matchMedia("(max-width: 700px)").matches; }
  function collapseOnPhone() { if (isPhone()) document.body.classList.remove("panel-open"); }

  function render() {
    renderLayerList();
    renderRegions();
    renderEvents();
    renderSurroundings();
    $("lang-toggle").textContent = I18N.t("lang_switch");
  }

  function init() {
    render();
    if (!isPhone()) document.body.classList.add("panel-open");
    $("panel-toggle").addEventListener("click", () => {
      document.body.classList.toggle("panel-open");
      setTimeout(() => OM.map.resize(), 250);
    });
    $("lang-toggle").addEventListener("click", () => I18N.set(I18N.lang === "zh" ? "en" : "zh"));
    $("region-select").addEventListener("change", (e) => { fitRegion(e.target.value); collapseOnPhone(); });
    $("search-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("search-input").value.trim();
      if (text) search(text);
    });
    $("incident-pick").addEventListener("click", () => {
      picking = true;
      document.body.classList.add("picking");
      OM.status(I18N.t("incident_pick_now"));
      collapseOnPhone();
    });
    $("incident-clear").addEventListener("click", clearIncident);
    $("radius-select").addEventListener("change", runSurroundings);
    $("event-select").addEventListener("change", runSurroundings);
    $("export-geojson").addEventListener("click", () => exportGeoJSON().catch((e) => OM.status(I18N.t("request_failed") + ": " + e.message, true)));
    $("export-gpkg").addEventListener("click", exportGpkg);
    $("export-png").addEventListener("click", exportPng);
  }

  OM.Panels = { init, render, renderCounts, consumeIncidentClick, exportGeoJSON, exportGpkg, fitRegion, search, incident: () => incident, rings: () => rings };
})();

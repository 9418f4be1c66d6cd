// Live incident workspace (issue 17): subscribes to /live/events?incident=ID (Server-Sent
// Events read with fetch, so the page's sign-in (auth.js) goes in the Authorization header —
// never in the URL, which EventSource would need), draws the
// situation layer (/collections/situation-ID/items) and team positions (/positions/latest),
// and lets an editor add a point, line or polygon with a symbol (click to add vertices).
// A lost connection (or the browser going offline) reconnects with Last-Event-ID: the server
// replays what was missed, or says "reload" and the layer is fetched again.
(function () {
  "use strict";
  const OM = window.OneMap;
  const $ = (id) => document.getElementById(id);
  const state = {
    incident: null, lastId: null, connected: false, reconnects: 0, replayed: 0,
    received: 0, features: new Map(), positions: new Map(), symbols: [], draw: null, abort: null,
  };
  const EMPTY = { type: "FeatureCollection", features: [] };

  async function api(path, options) {
    const r = await OM.Auth.fetch(path, options);
    if (!r.ok) {
      let msg = r.status + " " + r.statusText;
      try { const j = await r.json(); msg = j.description || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return r.status === 204 ? null : r.json();
  }
  function setStatus(text, bad) {
    const el = $("live-status");
    if (el) { el.textContent = text; el.className = bad ? "hint error" : "hint"; }
  }

  // --- map layers --------------------------------------------------------------------------
  function colorOf(symbol) {
    const s = state.symbols.find((x) => x.id === symbol);
    return s ? s.color : "#333333";
  }
  function ensureLayers() {
    const map = OM.map;
    if (map.getSource("live-situation")) return;
    map.addSource("live-situation", { type: "geojson", data: EMPTY });
    map.addSource("live-positions", { type: "geojson", data: EMPTY });
    map.addSource("live-draft", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "live-fill", type: "fill", source: "live-situation", filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": ["get", "_color"], "fill-opacity": 0.2 } });
    map.addLayer({ id: "live-line", type: "line", source: "live-situation", filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": ["get", "_color"], "line-width": 3, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "live-point", type: "circle", source: "live-situation", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": ["get", "_color"], "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "live-teams", type: "circle", source: "live-positions",
      paint: { "circle-color": "#1f78b4", "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "live-draft-line", type: "line", source: "live-draft", paint: { "line-color": "#000", "line-width": 2 } });
    map.addLayer({ id: "live-draft-point", type: "circle", source: "live-draft", paint: { "circle-color": "#000", "circle-radius": 4 } });
  }
  function redraw() {
    if (!OM.map || !OM.map.getSource("live-situation")) return;
    const feats = Array.from(state.features.values()).map((f) => {
      const g = JSON.parse(JSON.stringify(f));
      g.properties._color = colorOf(f.properties.symbol);
      return g;
    });
    OM.map.getSource("live-situation").setData({ type: "FeatureCollection", features: feats });
    const teams = Array.from(state.positions.values()).map((p) => ({
      type: "Feature", geometry: { type: "Point", coordinates: [p.lon, p.lat] }, properties: p,
    }));
    OM.map.getSource("live-positions").setData({ type: "FeatureCollection", features: teams });
    const list = $("live-list");
    if (list) {
      list.innerHTML = feats.map((f) => "<li>" + OM.escape(f.properties.symbol_zh || f.properties.symbol) +
        (f.properties.label ? " · " + OM.escape(f.properties.label) : "") +
        ' <small class="hint">' + OM.escape(f.properties.author || "") + "</small></li>").join("");
    }
  }

  // --- loading and events ------------------------------------------------------------------
  async function loadAll() {
    const fc = await api("/collections/situation-" + state.incident + "/items?limit=10000");
    state.features = new Map(fc.features.map((f) => [f.id, f]));
    try {
      const pos = await api("/positions/latest");
      state.positions = new Map(pos.features.map((f) => [f.properties.team_id, Object.assign({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }, f.properties)]));
    } catch (e) { /* positions are optional */ }
    redraw();
  }
  function apply(kind, data) {
    state.received += 1;
    if (kind === "situation.created" || kind === "situation.updated") {
      const f = data.payload.feature;
      state.features.set(f.id, f);
    } else if (kind === "situation.deleted") {
      state.features.delete(data.payload.id);
    } else if (kind === "positions") {
      data.payload.positions.forEach((p) => state.positions.set(p.team_id, p));
    }
    redraw();
  }
  function handle(block) {
    let kind = "message", id = null, data = "";
    block.split("\n").forEach((line) => {
      if (!line || line[0] === ":") return;
      const i = line.indexOf(":");
      const key = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value[0] === " ") value = value.slice(1);
      if (key === "event") kind = value; else if (key === "id") id = value; else if (key === "data") data += value;
    });
    if (id !== null) state.lastId = id;
    if (!data) return;
    const parsed = JSON.parse(data);
    if (kind === "ready") { state.connected = true; setStatus("实时连接 · live"); return; }
    if (kind === "reload") { loadAll().catch(() => {}); return; }
    if (kind === "overflow") return; // the server closes the stream: reconnect() replays
    if (state.replaying) state.replayed += 1;
    apply(kind, parsed);
    // other panels (the incident workspace) refresh on the same events
    window.dispatchEvent(new CustomEvent("onemap:live", { detail: { kind: kind, data: parsed } }));
  }
  async function stream() {
    const ctrl = new AbortController();
    state.abort = ctrl;
    const extra = { Accept: "text/event-stream" };
    state.replaying = state.lastId !== null;
    if (state.lastId !== null) extra["Last-Event-ID"] = state.lastId;
    const r = await OM.Auth.fetch("/live/events?incident=" + state.incident, { headers: extra, signal: ctrl.signal, cache: "no-store" });
    if (!r.ok) throw new Error(r.status + " " + r.statusText);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (/^event: ready$/m.test(block)) state.replaying = false;
        handle(block);
      }
    }
  }
  async function run(generation) {
    while (generation === state.generation) {
      if (navigator.onLine === false) { await new Promise((r) => setTimeout(r, 500)); continue; }
      let wait = 200; // the server ended the stream (reconnect, overflow): resume at once
      try {
        await stream();
      } catch (e) {
        if (generation !== state.generation) return;
        setStatus("连接中断，正在重连… · reconnecting (" + e.message + ")", true);
        wait = 1000;
      }
      state.connected = false;
      if (generation !== state.generation) return;
      state.reconnects += 1;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  async function connect() {
    const id = parseInt($("live-incident").value, 10);
    if (!(id > 0)) { setStatus("请输入事件编号 · enter an incident id", true); return; }
    const why = OM.Auth.readSituationReason();
    if (why) { setStatus(why, true); return; }
    disconnect();
    state.incident = id; state.lastId = null; state.generation = (state.generation || 0) + 1;
    ensureLayers();
    try {
      await loadAll();
    } catch (e) { setStatus(e.message, true); return; }
    run(state.generation);
  }
  function disconnect() {
    state.generation = (state.generation || 0) + 1;
    if (state.abort) state.abort.abort();
    state.connected = false;
  }
  // the browser knows first that the network is gone: drop the stream, resume when back
  window.addEventListener("offline", () => { if (state.abort) state.abort.abort(); });
  window.addEventListener("online", () => { if (state.abort) state.abort.abort(); });

  // --- who may do what (the page's sign-in, auth.js) ------------------------------------------
  const DRAW_BUTTONS = ["live-point", "live-line", "live-polygon", "live-finish"];
  function access() {
    const write = OM.Auth.writeReason(), read = OM.Auth.readSituationReason();
    DRAW_BUTTONS.forEach((id) => { $(id).disabled = !!write; $(id).title = write; });
    $("live-connect").disabled = !!read;
    $("live-connect").title = read;
    const note = $("live-access");
    note.textContent = read || write;
    note.hidden = !(read || write);
    if (write && state.draw) { state.draw = null; showDraft(); }
  }

  // --- drawing -----------------------------------------------------------------------------
  function startDraw(type) {
    if (OM.Auth.writeReason()) { setStatus(OM.Auth.writeReason(), true); return; }
    state.draw = { type: type, coords: [] };
    setStatus("点击地图添加节点，完成后点“完成” · click the map, then Finish");
  }
  function draftGeometry() {
    const d = state.draw, c = d.coords;
    if (d.type === "Point") return c.length ? { type: "Point", coordinates: c[0] } : null;
    if (d.type === "LineString") return c.length >= 2 ? { type: "LineString", coordinates: c } : null;
    return c.length >= 3 ? { type: "Polygon", coordinates: [c.concat([c[0]])] } : null;
  }
  function showDraft() {
    const c = state.draw ? state.draw.coords : [];
    const feats = c.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: {} }));
    if (c.length >= 2) feats.push({ type: "Feature", geometry: { type: "LineString", coordinates: c }, properties: {} });
    if (OM.map.getSource("live-draft")) OM.map.getSource("live-draft").setData({ type: "FeatureCollection", features: feats });
  }
  async function finishDraw() {
    if (!state.draw) return;
    const geometry = draftGeometry();
    if (!geometry) { setStatus("节点不够 · not enough vertices", true); return; }
    const body = { type: "Feature", geometry: geometry, properties: {
      symbol: $("live-symbol").value, label: $("live-label").value || null, observed_at: new Date().toISOString() } };
    state.draw = null;
    showDraft();
    try {
      const f = await api("/collections/situation-" + state.incident + "/items", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.features.set(f.id, f);
      redraw();
      setStatus("已保存 · saved");
    } catch (e) { setStatus(e.message, true); }
  }
  // a click while drawing adds a vertex and is consumed (no feature popup opens over the map):
  // app.js asks OM.Panels.consumeIncidentClick first, so drawing takes that hook in turn
  function consumeDrawClick(e) {
    if (!state.draw) return false;
    state.draw.coords.push([e.lngLat.lng, e.lngLat.lat]);
    if (state.draw.type === "Point") finishDraw(); else showDraft();
    return true;
  }

  async function init() {
    if (!$("live-block")) return;
    const params = new URLSearchParams(location.search);
    if (params.get("incident")) $("live-incident").value = params.get("incident");
    try {
      state.symbols = (await api("/situation/symbols")).symbols;
    } catch (e) { state.symbols = []; }
    $("live-symbol").innerHTML = state.symbols.map((s) => '<option value="' + OM.escape(s.id) + '">' +
      OM.escape(s.zh + " · " + s.en) + "</option>").join("");
    $("live-connect").addEventListener("click", connect);
    $("live-point").addEventListener("click", () => startDraw("Point"));
    $("live-line").addEventListener("click", () => startDraw("LineString"));
    $("live-polygon").addEventListener("click", () => startDraw("Polygon"));
    $("live-finish").addEventListener("click", finishDraw);
    access();
    OM.Auth.onChange(() => {
      access();
      // the open stream carries the previous sign-in: open it again with this one (or close it)
      if (state.incident === null) return;
      if (OM.Auth.readSituationReason()) { disconnect(); state.features.clear(); redraw(); setStatus(OM.Auth.readSituationReason(), true); }
      else connect();
    });
    const panelsConsume = OM.Panels.consumeIncidentClick;
    OM.Panels.consumeIncidentClick = (e) => consumeDrawClick(e) || panelsConsume(e);
    if (OM.map.isStyleLoaded()) ensureLayers(); else OM.map.once("load", ensureLayers);
  }

  OM.Live = {
    state: () => ({ incident: state.incident, lastId: state.lastId, connected: state.connected, reconnects: state.reconnects,
      replayed: state.replayed, received: state.received }),
    features: () => Array.from(state.features.values()),
    positions: () => Array.from(state.positions.values()),
    connect: connect, disconnect: disconnect,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

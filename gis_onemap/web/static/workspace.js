// The incident workspace (issue 17): pick an incident, see its reporting clocks (done, due,
// overdue), draft and file a report, dispatch teams and supplies and move them along, and see
// the monitoring warnings on the map. Every call carries the page's one sign-in (auth.js) — in a
// header, never in a URL; write buttons are off, with the reason shown, unless the caller may
// write (editor and above). Texts are set with
// textContent (the CSP allows no inline script). Refreshes every 15 s and on "onemap:live".
(function () {
  "use strict";
  const OM = window.OneMap;
  const I18N = OM.I18N;
  const $ = (id) => document.getElementById(id);
  const T = {
    zh: {
      title: "事件工作台", token: "令牌", incident: "事件", none: "（无事件）", clocks: "报告时限",
      draft: "起草", file: "提交报告", dispatch: "调派", dispatched: "已调派", assign: "调派",
      warnings: "监测预警", no_warnings: "当前无预警", no_dispatch: "尚未调派", advance: "下一步",
      returned: "退回数量", filed: "报告已提交", sent: "已调派", need_token: "需要编辑权限的令牌",
      initial: "初报", follow_up: "续报", final: "终报", verbal: "口头", written: "书面",
      due: "待报", overdue: "已超时", done: "已报", done_late: "已报（超时）",
      assigned: "已指派", en_route: "途中", on_site: "到场", released: "已撤回",
      rescue_teams: "救援队伍", supplies: "物资", feature_id: "编号", quantity: "数量",
      people: "人数", vehicles: "车辆",
    },
    en: {
      title: "Incident workspace", token: "Token", incident: "Incident", none: "(no incidents)",
      clocks: "Reporting clocks", draft: "Draft", file: "File report", dispatch: "Dispatch",
      dispatched: "Dispatched", assign: "Dispatch", warnings: "Monitoring warnings",
      no_warnings: "No warnings", no_dispatch: "Nothing dispatched yet", advance: "Next step",
      returned: "Returned", filed: "Report filed", sent: "Dispatched", need_token: "An editor's token is needed",
      initial: "Initial", follow_up: "Follow-up", final: "Final", verbal: "verbal", written: "written",
      due: "due", overdue: "OVERDUE", done: "done", done_late: "done (late)",
      assigned: "assigned", en_route: "en route", on_site: "on site", released: "released",
      rescue_teams: "Rescue teams", supplies: "Supplies", feature_id: "Id", quantity: "Quantity",
      people: "People", vehicles: "Vehicles",
    },
  };
  const t = (k) => (T[I18N.lang] || T.zh)[k] || T.zh[k] || k;
  const NEXT = { assigned: "en_route", en_route: "on_site", on_site: "released" };
  const LEVEL_COLORS = { blue: "#2b83ba", yellow: "#e6c619", orange: "#f07c1a", red: "#d7191c" };
  const EMPTY = { type: "FeatureCollection", features: [] };
  const state = { incident: null, clocks: null, dispatches: null, warnings: null };

  async function call(path, method, body) {
    const r = await OM.Auth.fetch(path, {
      method: method || "GET",
      headers: body !== undefined ? { "Content-Type": "application/json" } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await r.json(); } catch (e) { /* empty */ }
    if (!r.ok) {
      const msg = (data && (data.description || data.detail)) || r.status + " " + r.statusText;
      throw new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
    }
    return data;
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(I18N.lang === "en" ? "en-GB" : "zh-CN", { hour12: false }) : "");

  // --- incidents ---------------------------------------------------------------------------------
  async function loadIncidents() {
    const fc = await call("/incidents?limit=50");
    const sel = $("ws-incident");
    const keep = sel.value;
    sel.replaceChildren();
    (fc.features || []).forEach((f) => {
      const p = f.properties;
      sel.appendChild(new Option("#" + f.id + " " + (p.event_type_zh || p.event_type) + " " + fmtTime(p.reported_at || p.received_at), String(f.id)));
    });
    if (!sel.options.length) sel.appendChild(new Option(t("none"), ""));
    if (keep && [...sel.options].some((o) => o.value === keep)) sel.value = keep;
    state.incident = sel.value || null;
  }

  // --- reporting clocks --------------------------------------------------------------------------
  async function loadClocks() {
    const list = $("ws-clocks");
    list.replaceChildren();
    if (!state.incident) return;
    const c = await call("/incidents/" + state.incident + "/reporting");
    state.clocks = c;
    c.obligations.forEach((o) => {
      const li = el("li", null, "ws-clock ws-" + o.state);
      li.dataset.state = o.state;
      li.appendChild(el("span", t(o.kind) + "（" + t(o.form) + "）"));
      li.appendChild(el("span", fmtTime(o.due_at), "ws-due"));
      li.appendChild(el("strong", t(o.state), "ws-state"));
      list.appendChild(li);
    });
  }

  async function draft() {
    if (!state.incident) return;
    const d = await call("/incidents/" + state.incident + "/report-draft");
    $("ws-report-text").value = d.text;
  }

  async function fileReport() {
    if (!state.incident) return;
    if (OM.Auth.writeReason()) { OM.status(OM.Auth.writeReason(), true); return; }
    try {
      await call("/incidents/" + state.incident + "/reports", "POST", {
        kind: $("ws-report-kind").value, form: $("ws-report-form").value, text: $("ws-report-text").value,
      });
      OM.status(t("filed"));
      await loadClocks();
    } catch (e) { OM.status(e.message, true); }
  }

  // --- dispatch board ----------------------------------------------------------------------------
  async function loadDispatches() {
    const list = $("ws-dispatches");
    list.replaceChildren();
    if (!state.incident) return;
    const d = await call("/incidents/" + state.incident + "/dispatches");
    state.dispatches = d;
    if (!d.dispatches.length) { list.appendChild(el("li", t("no_dispatch"), "hint")); return; }
    d.dispatches.forEach((x) => {
      const li = el("li", null, "ws-dispatch");
      li.dataset.status = x.status;
      const what = x.collection === "supplies" ? (x.quantity + " · ") : (x.people ? x.people + t("people") + " · " : "");
      li.appendChild(el("span", (x.name || x.collection + "/" + x.feature_id) + " · " + what));
      li.appendChild(el("strong", t(x.status), "ws-status"));
      if (x.eta_s) li.appendChild(el("span", " ETA " + Math.round(x.eta_s / 60) + " min", "hint"));
      const next = NEXT[x.status];
      if (next) {
        const b = el("button", t(next), "ws-advance");
        b.disabled = !!OM.Auth.writeReason();
        b.title = OM.Auth.writeReason();
        b.addEventListener("click", () => advance(x, next));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }

  async function advance(x, next) {
    if (OM.Auth.writeReason()) { OM.status(OM.Auth.writeReason(), true); return; }
    const body = { status: next };
    if (next === "released" && x.collection === "supplies") {
      body.returned_quantity = Number($("ws-returned").value || 0);
    }
    try {
      await call("/incidents/" + state.incident + "/dispatches/" + x.id, "PATCH", body);
      await loadDispatches();
    } catch (e) { OM.status(e.message, true); }
  }

  async function assign() {
    if (!state.incident) return;
    if (OM.Auth.writeReason()) { OM.status(OM.Auth.writeReason(), true); return; }
    const collection = $("ws-collection").value;
    const body = { collection: collection, feature_id: Number($("ws-feature").value) };
    const n = Number($("ws-amount").value || 0);
    if (collection === "supplies") body.quantity = n; else if (n) body.people = n;
    try {
      await call("/incidents/" + state.incident + "/dispatches", "POST", body);
      OM.status(t("sent"));
      await loadDispatches();
    } catch (e) { OM.status(e.message, true); }
  }

  // --- warnings ----------------------------------------------------------------------------------
  async function loadWarnings() {
    const fc = await call("/warnings");
    state.warnings = fc;
    const list = $("ws-warnings");
    list.replaceChildren();
    if (!fc.features.length) list.appendChild(el("li", t("no_warnings"), "hint"));
    fc.features.forEach((f) => {
      const p = f.properties;
      const li = el("li", null, "ws-warning");
      li.dataset.level = p.level;
      const dot = el("span", "●");
      dot.style.color = LEVEL_COLORS[p.level] || "#999";
      li.appendChild(dot);
      li.appendChild(el("span", " " + p.level_zh + " " + (p.hazard_source_name || "") + " · " + p.point_name + " " + p.value + " " + (p.unit || "")));
      li.addEventListener("click", () => OM.map.flyTo({ center: f.geometry.coordinates, zoom: 14 }));
      list.appendChild(li);
    });
    drawWarnings();
  }

  function drawWarnings() {
    const map = OM.map;
    const fc = state.warnings || EMPTY;
    if (!map) return;
    if (!map.isStyleLoaded()) { map.once("idle", drawWarnings); return; }
    if (map.getSource("ws-warnings")) { map.getSource("ws-warnings").setData(fc); return; }
    map.addSource("ws-warnings", { type: "geojson", data: fc });
    map.addLayer({
      id: "ws-warnings", type: "circle", source: "ws-warnings",
      paint: {
        "circle-radius": 9, "circle-stroke-width": 2, "circle-stroke-color": "#fff",
        "circle-color": ["match", ["get", "level"], "red", LEVEL_COLORS.red, "orange", LEVEL_COLORS.orange,
          "yellow", LEVEL_COLORS.yellow, LEVEL_COLORS.blue],
      },
    });
  }

  async function refresh() {
    try {
      await Promise.all([loadClocks(), loadDispatches(), loadWarnings()]);
    } catch (e) { OM.status(e.message, true); }
  }

  function labels() {
    document.querySelectorAll("[data-ws]").forEach((e) => { e.textContent = t(e.dataset.ws); });
    [["ws-report-kind", ["initial", "follow_up", "final"]], ["ws-report-form", ["verbal", "written"]],
      ["ws-collection", ["supplies", "rescue_teams"]]].forEach(([id, keys]) => {
      const sel = $(id);
      const keep = sel.value;
      sel.replaceChildren(...keys.map((k) => new Option(t(k), k)));
      if (keep) sel.value = keep;
    });
  }

  // write controls follow the sign-in: off for anonymous callers and viewers, with the reason
  const WRITE_CONTROLS = ["ws-file", "ws-assign"];
  function access() {
    const why = OM.Auth.writeReason();
    WRITE_CONTROLS.forEach((id) => { $(id).disabled = !!why; $(id).title = why; });
    document.querySelectorAll("#ws-dispatches .ws-advance").forEach((b) => { b.disabled = !!why; b.title = why; });
    $("ws-access").textContent = why;
    $("ws-access").hidden = !why;
  }

  async function start() {
    if (!$("workspace-block")) return;
    labels();
    access();
    OM.Auth.onChange(() => {
      access();
      loadIncidents().then(refresh).catch((e) => OM.status(e.message, true));
    });
    I18N.onChange(() => { labels(); access(); refresh(); });
    $("ws-incident").addEventListener("change", () => {
      state.incident = $("ws-incident").value || null;
      const live = $("live-incident");
      if (live && state.incident) live.value = state.incident; // the live panel follows
      refresh();
    });
    $("ws-draft").addEventListener("click", () => draft().catch((e) => OM.status(e.message, true)));
    $("ws-file").addEventListener("click", fileReport);
    $("ws-assign").addEventListener("click", assign);
    try { await loadIncidents(); } catch (e) { OM.status(e.message, true); }
    await refresh();
    window.addEventListener("onemap:live", refresh);
    setInterval(refresh, 15000);
  }

  OM.Workspace = { state: state, refresh: refresh, reloadIncidents: loadIncidents };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

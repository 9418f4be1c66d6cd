// Symbols of the 8 categories: one shape per category, coloured by a classifying attribute
// (hazard risk colour, target type, team type ...), sized by capacity / headcount / level.
// Icons are drawn on a canvas at run time: no sprite sheet or glyph file has to be fetched.
(function () {
  "use strict";
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  const GREY = "#8a8f96";

  // category id -> how it is drawn. key: the attribute that picks the colour; size: an
  // attribute and the [value, scale] stops of the icon size.
  const STYLE = {
    hazard_sources: {
      shape: "triangle", key: "risk_color",
      colors: { red: "#d7191c", orange: "#f17c0e", yellow: "#f2c200", blue: "#2c7bb6" },
      size: { field: "level", stops: [[1, 1.35], [4, 0.85]] },
    },
    protected_targets: { shape: "square", key: "target_type", size: { field: "population", stops: [[0, 0.75], [5000, 1.3]] } },
    rescue_teams: { shape: "diamond", key: "tier", size: { field: "headcount", stops: [[0, 0.8], [200, 1.35]] } },
    supplies: { shape: "hexagon", key: "supply_class", colors: { 1: "#1a9641", 2: "#d95f02", 3: "#7570b3" } },
    depots: { shape: "house", key: "depot_level" },
    shelters: {
      shape: "circle", key: "shelter_type",
      colors: { emergency: "#66bd63", fixed: "#1a9850", central: "#006837" },
      size: { field: "capacity", stops: [[0, 0.75], [2000, 1.0], [20000, 1.5]] },
    },
    experts: { shape: "person", key: null },
    plans: { shape: "document", key: "plan_type" },
  };

  function colorOf(cat, value) {
    const st = STYLE[cat.id] || {};
    if (!st.key) return cat.color;
    if (value === undefined || value === null || value === "" || value === "_") return GREY;
    if (st.colors && st.colors[value]) return st.colors[value];
    const field = cat.fields.find((f) => f.name === st.key);
    const values = field ? Object.keys(field.choices) : [];
    const i = values.indexOf(String(value));
    return i >= 0 ? PALETTE[i % PALETTE.length] : GREY;
  }

  function path(ctx, shape, s) {
    // s: the icon's side in pixels; shapes centred in the square
    const c = s / 2, r = s * 0.42;
    ctx.beginPath();
    switch (shape) {
      case "triangle":
        ctx.moveTo(c, c - r); ctx.lineTo(c + r, c + r * 0.8); ctx.lineTo(c - r, c + r * 0.8); ctx.closePath(); break;
      case "square":
        ctx.rect(c - r * 0.8, c - r * 0.8, r * 1.6, r * 1.6); break;
      case "diamond":
        ctx.moveTo(c, c - r); ctx.lineTo(c + r, c); ctx.lineTo(c, c + r); ctx.lineTo(c - r, c); ctx.closePath(); break;
      case "hexagon":
        for (let i = 0; i < 6; i++) {
          const a = Math.PI / 3 * i + Math.PI / 6;
          const x = c + r * Math.cos(a), y = c + r * Math.sin(a);
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        }
        ctx.closePath(); break;
      case "house":
        ctx.moveTo(c, c - r); ctx.lineTo(c + r, c - r * 0.1); ctx.lineTo(c + r * 0.8, c - r * 0.1);
        ctx.lineTo(c + r * 0.8, c + r * 0.85); ctx.lineTo(c - r * 0.8, c + r * 0.85);
        ctx.lineTo(c - r * 0.8, c - r * 0.1); ctx.lineTo(c - r, c - r * 0.1); ctx.closePath(); break;
      case "person":
        ctx.arc(c, c - r * 0.45, r * 0.42, 0, Math.PI * 2);
        ctx.moveTo(c + r * 0.8, c + r * 0.9);
        ctx.arc(c, c + r * 0.9, r * 0.8, 0, Math.PI, true); ctx.closePath(); break;
      case "document":
        ctx.moveTo(c - r * 0.7, c - r); ctx.lineTo(c + r * 0.35, c - r); ctx.lineTo(c + r * 0.7, c - r * 0.6);
        ctx.lineTo(c + r * 0.7, c + r); ctx.lineTo(c - r * 0.7, c + r); ctx.closePath(); break;
      default:
        ctx.arc(c, c, r, 0, Math.PI * 2);
    }
  }

  // a canvas with the category's shape in `color` (white outline for contrast on any base map)
  function drawIcon(shape, color, px) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = px;
    const ctx = canvas.getContext("2d");
    path(ctx, shape, px);
    ctx.fillStyle = color; ctx.fill();
    ctx.lineWidth = Math.max(1.5, px / 12); ctx.strokeStyle = "#ffffff"; ctx.stroke();
    return canvas;
  }

  const ICON_PX = 44; // drawn at 2x, shown at 22 CSS px

  function iconName(catId, value) { return catId + ":" + (value === undefined || value === null ? "_" : value); }

  function iconImage(catId, value) {
    const cat = window.OneMap.config.categories.find((c) => c.id === catId);
    const canvas = drawIcon((STYLE[catId] || {}).shape, colorOf(cat, value), ICON_PX);
    return canvas.getContext("2d").getImageData(0, 0, ICON_PX, ICON_PX);
  }

  // MapLibre asks for icons it has not seen (e.g. a value added later): draw them on demand
  function installIcons(map) {
    map.on("styleimagemissing", (e) => {
      const i = e.id.indexOf(":");
      if (i < 0 || map.hasImage(e.id)) return;
      map.addImage(e.id, iconImage(e.id.slice(0, i), e.id.slice(i + 1)), { pixelRatio: 2 });
    });
  }

  function iconExpression(cat) {
    const st = STYLE[cat.id] || {};
    if (!st.key) return cat.id + ":_";
    return ["concat", cat.id + ":", ["coalesce", ["to-string", ["get", st.key]], "_"]];
  }

  function sizeExpression(cat) {
    const st = STYLE[cat.id] || {};
    if (!st.size) return 1;
    const stops = st.size.stops.flat();
    return ["interpolate", ["linear"], ["to-number", ["coalesce", ["get", st.size.field], st.size.stops[0][0]]], ...stops];
  }

  // legend rows: [{swatch: dataURL, label: [zh, en]}]
  function legend(cat) {
    const st = STYLE[cat.id] || {};
    const rows = [];
    const url = (value) => drawIcon(st.shape, colorOf(cat, value), 28).toDataURL();
    if (!st.key) {
      rows.push({ swatch: url(null), label: [cat.zh, cat.en] });
      return rows;
    }
    const field = cat.fields.find((f) => f.name === st.key);
    Object.entries(field ? field.choices : {}).forEach(([value, label]) => {
      rows.push({ swatch: url(value), label: label });
    });
    rows.push({ swatch: url(null), label: ["未分级/未知", "Unclassified"] });
    return rows;
  }

  function sizeNote(cat) {
    const st = STYLE[cat.id] || {};
    if (!st.size) return null;
    const field = cat.fields.find((f) => f.name === st.size.field);
    return field ? ["图标大小：" + field.zh, "Icon size: " + field.en] : null;
  }

  window.OneMap = window.OneMap || {};
  window.OneMap.Symbols = { STYLE, colorOf, drawIcon, iconName, iconImage, installIcons, iconExpression, sizeExpression, legend, sizeNote };
})();

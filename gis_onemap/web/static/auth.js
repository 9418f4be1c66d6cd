// The map page's one sign-in (issue 17): a token pasted once in the header control is checked
// against GET /auth/whoami (name, role, regions; 401 = bad token), then every request of the
// page carries it — OM.Auth.fetch for the panels' calls, the live stream (read with fetch so the
// token travels in the Authorization header, never in a URL: the server refuses tokens in query
// strings) and MapLibre's tile requests (transformRequest). The server has no credential
// exchange (tokens come from `onemap token create` or the bureau's identity provider as a JWT),
// so a token field it is.
//
// Kept in sessionStorage ("onemap.token"): a reload keeps the session, a new tab or a closed
// browser does not — a shared duty-room PC or a lost phone does not stay signed in. Listeners
// (OM.Auth.onChange, and the "onemap:auth" window event) enable or disable write controls.
(function () {
  "use strict";
  const OM = (window.OneMap = window.OneMap || {});
  const KEY = "onemap.token";
  const $ = (id) => document.getElementById(id);
  const T = {
    zh: {
      sign_in: "登录", sign_out: "退出", token: "令牌", anonymous: "未登录", checking: "正在验证…",
      bad_token: "令牌无效、已吊销或已过期", expired: "登录已失效，请重新登录", empty: "请粘贴令牌",
      needs_token: "本服务器需要登录后才能查看", signed_in: "已登录", regions: "辖区",
      viewer: "查看", editor: "编辑", admin: "管理员", unreachable: "无法连接服务器",
      token_hint: "粘贴 onemap token create 生成的令牌（或统一身份认证的 JWT）；仅保存在本标签页。",
      write_anon: "登录（编辑或管理员角色）后才能修改", write_role: "当前角色（{role}）只能查看，不能修改",
      read_anon: "登录后才能查看态势标绘",
    },
    en: {
      sign_in: "Sign in", sign_out: "Sign out", token: "Token", anonymous: "Not signed in",
      checking: "Checking…", bad_token: "Unknown, revoked or expired token",
      expired: "Your session ended: sign in again", empty: "Paste a token",
      needs_token: "This server needs a sign-in for reading", signed_in: "Signed in",
      regions: "Regions", viewer: "viewer", editor: "editor", admin: "admin",
      unreachable: "Cannot reach the server",
      token_hint: "Paste a token from `onemap token create` (or an identity-provider JWT); kept in this tab only.",
      write_anon: "Sign in as an editor to make changes", write_role: "Your role ({role}) can view but not change",
      read_anon: "Sign in to see the situation layer",
    },
  };
  const lang = () => (OM.I18N && OM.I18N.lang === "en" ? "en" : "zh");
  const t = (k) => T[lang()][k] || T.zh[k] || k;
  const ANONYMOUS = { name: null, role: "anonymous", regions: [], can_read_situation: false, can_write: false };
  function read() { try { return window.sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; } }
  // the stored token is used at once (the first tile and panel requests carry it); who it is —
  // and so whether writes are enabled — is known once /auth/whoami has answered (restore)
  const state = { token: read(), me: ANONYMOUS, message: "", bad: false, anonymousRead: true };
  const listeners = [];
  const nativeFetch = window.fetch.bind(window);

  function store(token) {
    try {
      if (token) window.sessionStorage.setItem(KEY, token); else window.sessionStorage.removeItem(KEY);
    } catch (e) { /* storage disabled: the session lasts as long as the page */ }
  }
  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }
  // request headers with the token (only ever sent to this server)
  function headers(extra, url) {
    const h = Object.assign({ Accept: "application/json" }, extra || {});
    if (state.token && (url === undefined || sameOrigin(url))) h.Authorization = "Bearer " + state.token;
    return h;
  }
  // fetch with the sign-in; a 401 while signed in means the token was revoked or expired
  async function authFetch(url, options) {
    const opts = Object.assign({}, options || {});
    opts.headers = headers(opts.headers, url);
    const sent = state.token;
    const r = await nativeFetch(url, opts);
    if (r.status === 401 && sent && sent === state.token) expire();
    return r;
  }
  function transformRequest(url) {
    return state.token && sameOrigin(url) ? { url: url, headers: { Authorization: "Bearer " + state.token } } : { url: url };
  }

  function notify() {
    render();
    listeners.forEach((fn) => { try { fn(state.me); } catch (e) { console.warn(e); } }); // eslint-disable-line no-console
    window.dispatchEvent(new CustomEvent("onemap:auth", { detail: state.me }));
  }
  function expire() {
    state.token = ""; store(""); state.me = ANONYMOUS;
    state.message = t("expired"); state.bad = true;
    if ($("auth-box")) $("auth-box").hidden = false; // say why, where the sign-in is
    notify();
  }
  async function whoami(token) {
    const h = { Accept: "application/json" };
    if (token) h.Authorization = "Bearer " + token;
    const r = await nativeFetch("/auth/whoami", { headers: h, cache: "no-store" });
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    return { status: r.status, body: body };
  }
  async function signIn(token) {
    token = (token || "").trim();
    if (!token) { state.message = t("empty"); state.bad = true; render(); return false; }
    state.message = t("checking"); state.bad = false; render();
    let res;
    try { res = await whoami(token); } catch (e) { state.message = t("unreachable"); state.bad = true; render(); return false; }
    if (res.status !== 200 || !res.body) {
      state.message = res.status === 401 ? t("bad_token") : ((res.body && res.body.description) || res.status + "");
      state.bad = true;
      render();
      return false;
    }
    state.token = token; store(token); state.me = res.body; state.message = ""; state.bad = false;
    if ($("auth-token")) $("auth-token").value = "";
    notify();
    return true;
  }
  function signOut() {
    state.token = ""; store(""); state.me = ANONYMOUS; state.message = ""; state.bad = false;
    notify();
  }
  // the page starts from the tab's stored token, checked again (it may have been revoked)
  async function restore() {
    const token = state.token;
    if (token) {
      try {
        const res = await whoami(token);
        if (res.status === 200 && res.body) { state.me = res.body; notify(); return; }
        if (res.status === 401) { state.token = ""; store(""); state.message = t("expired"); state.bad = true; }
      } catch (e) { notify(); return; /* offline: keep it, the requests will tell */ }
    }
    try {
      const anon = await whoami("");
      state.anonymousRead = anon.status !== 401;
      if (!state.anonymousRead && !state.message) {
        state.message = t("needs_token"); state.bad = true;
        if ($("auth-box")) $("auth-box").hidden = false; // nothing to see before signing in
      }
    } catch (e) { /* offline */ }
    notify();
  }

  // --- the header control ------------------------------------------------------------------------
  function roleText(me) { return t(me.role) || me.role; }
  function render() {
    const who = $("auth-who"), box = $("auth-box");
    if (!who) return;
    const me = state.me;
    const signed = !!state.token && me.role !== "anonymous";
    document.body.dataset.role = signed ? me.role : "anonymous";
    who.textContent = signed ? (me.name || "?") + " · " + roleText(me) : t("sign_in");
    $("auth-toggle").classList.toggle("signed-in", signed);
    $("auth-toggle").setAttribute("aria-expanded", box.hidden ? "false" : "true");
    $("auth-token-label").textContent = t("token");
    $("auth-signin").textContent = t("sign_in");
    $("auth-signout").textContent = t("sign_out");
    $("auth-hint").textContent = t("token_hint");
    $("auth-form").hidden = signed;
    $("auth-signout").hidden = !signed;
    const detail = $("auth-detail");
    detail.textContent = signed
      ? t("signed_in") + "：" + (me.name || "?") + "（" + roleText(me) + "）" +
        (me.regions && me.regions.length ? " · " + t("regions") + "：" + me.regions.map((r) => r.name || r.code).join("、") : "")
      : t("anonymous");
    const msg = $("auth-message");
    msg.textContent = state.message;
    msg.className = state.bad ? "hint error" : "hint";
    msg.hidden = !state.message;
  }
  function init() {
    if (!$("auth-toggle")) return;
    const box = $("auth-box");
    $("auth-toggle").addEventListener("click", () => {
      box.hidden = !box.hidden;
      render();
      if (!box.hidden && !state.token) $("auth-token").focus();
    });
    $("auth-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      if (await signIn($("auth-token").value)) box.hidden = true;
      render();
    });
    $("auth-signout").addEventListener("click", () => { signOut(); box.hidden = true; render(); });
    if (OM.I18N) OM.I18N.onChange(render);
    render();
  }

  // why a control is off ("" when it is allowed): shown next to disabled buttons
  function writeReason() {
    if (state.token && state.me.can_write) return "";
    if (!state.token || state.me.role === "anonymous") return t("write_anon");
    return t("write_role").replace("{role}", t(state.me.role));
  }
  function readSituationReason() {
    return state.token && state.me.can_read_situation ? "" : t("read_anon");
  }

  OM.Auth = {
    writeReason: writeReason, readSituationReason: readSituationReason,
    token: () => state.token,
    me: () => state.me,
    canWrite: () => !!state.token && !!state.me.can_write,
    canReadSituation: () => !!state.token && !!state.me.can_read_situation,
    anonymousRead: () => state.anonymousRead,
    message: () => state.message,
    headers: headers, fetch: authFetch, transformRequest: transformRequest,
    signIn: signIn, signOut: signOut, onChange: (fn) => listeners.push(fn), t: t,
  };
  // the stored session is checked before the other scripts' first requests go out
  OM.Auth.ready = restore();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

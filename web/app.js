/* Cyberbrain web UI core: login, the API helper, DOM helpers and a hash router that the page
 * files (dashboard.js, run.js, ...) register with CB.page(). Plain JavaScript, no framework.
 * Every value from the server goes into the page with textContent, never as HTML; the only
 * exception is the run report, which the server renders and sanitises (see run.js). */
"use strict";
window.CB = (function () {
  let csrf = null;
  let current = null; /* {name, cleanups: []} of the page on screen */
  const pages = new Map();
  let routed = 0;
  const $ = (id) => document.getElementById(id);

  /* el("td", "text", "cls") or el("a", {href: "#/x", text: "x", class: "c"}). */
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== null && typeof text === "object") {
      for (const [k, v] of Object.entries(text)) {
        if (v === undefined || v === null) continue;
        if (k === "text") e.textContent = String(v);
        else if (k === "class") e.className = v;
        else if (k === "children") e.append(...v);
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    } else if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    if (cls) e.className = cls;
    return e;
  }

  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (csrf && method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const err = new Error((data && data.detail) || "HTTP " + r.status);
      err.status = r.status;
      if (r.status === 401 && current) showLogin();
      throw err;
    }
    return data;
  }

  /* A table: headers is a list of column names, rows a list of lists of cells (strings or
   * nodes). Returns the <table>; rows get data-* attributes from rowData(i) when given. */
  function table(headers, rows, rowData) {
    const t = el("table");
    const head = el("tr");
    headers.forEach((h) => head.append(el("th", h)));
    t.append(el("thead", { children: [head] }));
    const body = el("tbody");
    rows.forEach((cells, i) => {
      const tr = el("tr");
      cells.forEach((c) => tr.append(c instanceof Node ? el("td", { children: [c] }) : el("td", c)));
      if (rowData) Object.assign(tr.dataset, rowData(i));
      body.append(tr);
    });
    t.append(body);
    return t;
  }

  function card(title, ...children) {
    return el("section", { class: "card", children: [el("h2", title), ...children] });
  }

  /* An error line for a failed request inside a page. */
  function fail(root, e) {
    root.append(el("p", { class: "error", role: "alert", text: e.message }));
  }

  /* A run or job is open while queued or running; any other status is an end (success,
   * partial, failed, cancelled, timeout). */
  const isOpen = (status) => status === "queued" || status === "running";

  /* Every row of a paged list from url (a list path with its query), following `next` for
   * at most maxPages pages; a row that moved to the next page meanwhile is kept once. The
   * array's isCut is true when more pages were left unread. */
  async function all(url, maxPages) {
    const rows = new Map();
    for (let i = 0; url && i < maxPages; i++) {
      const page = await api("GET", url);
      for (const r of page.results || []) rows.set(r.id, r);
      url = page.next;
    }
    const list = [...rows.values()];
    list.isCut = Boolean(url);
    return list;
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString();
  }

  /* ---- pages and routing: #/NAME/ARG ---- */
  function page(name, spec) { pages.set(name, spec); }

  function onLeave(fn) { if (current) current.cleanups.push(fn); }

  function leave() {
    if (!current) return;
    current.cleanups.forEach((fn) => { try { fn(); } catch (e) { /* closing anyway */ } });
    current = null;
  }

  async function route() {
    if (csrf === null) return;
    const parts = location.hash.replace(/^#\/?/, "").split("/");
    const name = parts[0] || "dashboard";
    const spec = pages.get(name) || pages.get("dashboard");
    leave();
    current = { name, cleanups: [] };
    const view = $("view");
    view.replaceChildren();
    document.title = spec.title + " · Cyberbrain";
    for (const a of $("nav").querySelectorAll("a"))
      a.setAttribute("aria-current", a.dataset.page === name ? "page" : "false");
    const root = el("div", { class: "page page-" + name });
    view.append(root);
    const mine = current;
    try {
      await spec.render(root, decodeURIComponent(parts.slice(1).join("/")));
    } catch (e) {
      if (current === mine) fail(root, e);
    }
    /* After a move (not the first page), focus the new page so keys and readers start there. */
    if (current === mine && routed++ > 0 && document.activeElement === document.body) view.focus();
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function buildNav() {
    const nav = $("nav");
    nav.replaceChildren();
    for (const [name, spec] of pages) {
      if (!spec.key) continue;
      const a = el("a", { href: "#/" + (name === "dashboard" ? "" : name), "data-page": name,
                          "data-key": spec.key, title: spec.title + " (g " + spec.key + ")" });
      const i = spec.title.toLowerCase().indexOf(spec.key);
      if (i >= 0) a.append(spec.title.slice(0, i), el("u", spec.title[i]), spec.title.slice(i + 1));
      else a.textContent = spec.title;
      nav.append(a);
    }
  }

  function showApp() {
    $("login-view").hidden = true;
    for (const id of ["view", "nav", "logout", "keys"]) $(id).hidden = false;
    route();
  }

  function showLogin() {
    leave();
    csrf = null;
    $("view").replaceChildren();
    for (const id of ["view", "nav", "logout", "keys"]) $(id).hidden = true;
    $("login-view").hidden = false;
    $("token").focus();
  }

  async function login(ev) {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const r = await api("POST", "/api/session/", { token: $("token").value });
      csrf = r.csrf_token;
      $("token").value = "";
      showApp();
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  }

  async function logout() {
    try { await api("DELETE", "/api/session/"); } catch (e) { /* gone already */ }
    showLogin();
  }

  /* Keys: "g" then a page's letter goes there; "?" toggles the key help. Not while typing. */
  let pendingG = 0;
  function keys(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || csrf === null) return;
    const t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (ev.key === "?") { $("keys").classList.toggle("shown"); return; }
    if (ev.key === "g") { pendingG = Date.now(); return; }
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      const a = $("nav").querySelector('a[data-key="' + CSS.escape(ev.key) + '"]');
      if (a) { ev.preventDefault(); a.click(); }
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    buildNav();
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    window.addEventListener("hashchange", route);
    document.addEventListener("keydown", keys);
    try {
      csrf = (await api("GET", "/api/session/")).csrf_token;
      showApp();
    } catch (e) {
      showLogin();
    }
  });

  return { el, api, all, table, card, fail, when, isOpen, page, onLeave, go,
           isCurrent: (name) => current !== null && current.name === name };
})();

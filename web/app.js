/* Cyberbrain web UI: plain JavaScript, no framework. Every value from the server goes into
 * the page with textContent, never as HTML. */
"use strict";
(function () {
  let csrf = null;
  const streams = new Map();
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
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
      throw err;
    }
    return data;
  }

  function show(logged) {
    $("login-view").hidden = logged;
    $("dash-view").hidden = !logged;
    $("logout").hidden = !logged;
    if (logged) dashboard();
    else $("token").focus();
  }

  async function login(ev) {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const r = await api("POST", "/api/session/", { token: $("token").value });
      csrf = r.csrf_token;
      $("token").value = "";
      show(true);
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  }

  async function logout() {
    try { await api("DELETE", "/api/session/"); } catch (e) { /* gone already */ }
    csrf = null;
    streams.forEach((s) => s.close());
    streams.clear();
    show(false);
  }

  async function health() {
    const dl = $("health");
    try {
      const h = await api("GET", "/api/health/");
      dl.replaceChildren();
      for (const [k, v] of Object.entries(h)) {
        let val = v;
        if (typeof v === "object" && v !== null)
          val = "ok" in v ? (v.ok ? "ok" : "down" + (v.error ? ": " + v.error : "")) : JSON.stringify(v);
        dl.append(el("dt", k), el("dd", val, val === "ok" ? "ok" : (String(val).startsWith("down") ? "bad" : "")));
      }
    } catch (e) {
      dl.replaceChildren(el("dt", "error"), el("dd", e.message, "bad"));
    }
  }

  async function directives() {
    const sel = $("directive");
    const d = await api("GET", "/api/directives/?page_size=200");
    sel.replaceChildren(el("option", "task defaults"));
    sel.firstChild.value = "";
    for (const x of d.results) {
      const o = el("option", x.name + (x.version ? " (v" + x.version + ")" : ""));
      o.value = String(x.id);
      sel.append(o);
    }
  }

  function runRow(run) {
    const tr = el("tr");
    tr.dataset.run = String(run.id);
    const snap = run.directive_snapshot;
    tr.append(el("td", "#" + run.id), el("td", (run.tasks || []).join(", ")),
      el("td", snap && snap.name ? snap.name : ""),
      el("td", run.status, "status status-" + run.status), el("td", run.created_at || ""));
    return tr;
  }

  function setStatus(id, status) {
    const td = document.querySelector('#runs tr[data-run="' + id + '"] td.status');
    if (!td) return;
    td.textContent = status;
    td.className = "status status-" + status;
  }

  function watch(run) {
    if (run.status !== "queued" && run.status !== "running") return;
    if (streams.has(run.id)) return;
    const es = new EventSource("/api/runs/" + run.id + "/events/");
    streams.set(run.id, es);
    es.addEventListener("run", (ev) => {
      let d = null;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      if (d && d.status) setStatus(run.id, d.status);
      if (d && d.status && d.status !== "queued" && d.status !== "running") {
        es.close();
        streams.delete(run.id);
      }
    });
    es.addEventListener("job", () => setStatus(run.id, "running"));
    es.onerror = () => { es.close(); streams.delete(run.id); };
  }

  async function runs() {
    const r = await api("GET", "/api/runs/?page_size=20");
    const body = $("runs").tBodies[0];
    body.replaceChildren(...r.results.map(runRow));
    r.results.forEach(watch);
  }

  async function launch(ev) {
    ev.preventDefault();
    const tasks = [...document.querySelectorAll('input[name="task"]:checked')].map((c) => c.value);
    const body = { tasks };
    const d = $("directive").value;
    if (d) body.directive_id = Number(d);
    try {
      const run = await api("POST", "/api/runs/launch/", body);
      $("launch-msg").textContent = "Run #" + run.id + " queued.";
      $("runs").tBodies[0].prepend(runRow(run));
      watch(run);
    } catch (e) {
      $("launch-msg").textContent = e.message;
    }
  }

  async function dashboard() {
    await Promise.all([health(), directives().catch(() => {}), runs().catch(() => {})]);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("login-form").addEventListener("submit", login);
    $("launch-form").addEventListener("submit", launch);
    $("logout").addEventListener("click", logout);
    try {
      csrf = (await api("GET", "/api/session/")).csrf_token;
      show(true);
    } catch (e) {
      show(false);
    }
  });
})();

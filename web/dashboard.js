/* dashboard.js -- the home page: health, quick launch and the newest runs, live over SSE. */
"use strict";
(function () {
  const { el, api, card } = CB;

  const GIB = 1024 * 1024 * 1024;

  /* One health entry as [text, class]: "ok" (green), "down: why" (red) or plain. */
  function healthValue(name, v) {
    if (typeof v !== "object" || v === null) return [String(v), v === "ok" ? "ok" : ""];
    if (name === "llm" && !v.configured) return ["not configured (LLM_BASE_URL)", ""];
    if (name === "llm" && v.ok === null) return [v.detail || "checking", ""];
    if (!v.ok) return ["down" + (v.detail ? ": " + v.detail : ""), "bad"];
    let more = "";
    if (name === "database") more = v.backend;
    if (name === "docker") more = "API " + v.api_version;
    if (name === "disk" && v.free_bytes !== null) more = (v.free_bytes / GIB).toFixed(1) + " GiB free";
    if (name === "llm") more = v.model + " via " + v.api + " at " + v.host;
    return ["ok" + (more ? " (" + more + ")" : ""), "ok"];
  }

  async function health(dl) {
    try {
      const h = await api("GET", "/api/health/");
      dl.replaceChildren();
      for (const name of ["status", "database", "docker", "disk", "llm", "version"]) {
        if (!(name in h)) continue;
        const [text, cls] = healthValue(name, h[name]);
        dl.append(el("dt", name), el("dd", { text, class: cls, "data-health": name }));
      }
    } catch (e) {
      dl.replaceChildren(el("dt", "error"), el("dd", e.message, "bad"));
    }
  }

  /* Token counts of the local LLM's calls over the last 7 days (by day, from the API). */
  async function tokens(box) {
    const since = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
    const r = await api("GET", "/api/token-usage/?by=day&page_size=200&since=" + encodeURIComponent(since));
    const sum = (k) => r.results.reduce((n, x) => n + (x[k] || 0), 0);
    const calls = sum("calls");
    const dl = el("dl", { id: "tokens" });
    for (const [k, v] of [["calls", calls], ["prompt tokens", sum("prompt_tokens")],
                          ["completion tokens", sum("completion_tokens")], ["total tokens", sum("total_tokens")]])
      dl.append(el("dt", k), el("dd", { text: v.toLocaleString(), "data-tokens": k.split(" ")[0] }));
    box.replaceChildren(dl);
    if (calls === 0) box.append(el("p", "No LLM calls in the last 7 days.", "muted"));
    box.append(el("p", "Counts only: prompts and answers are never stored.", "muted"));
  }

  async function directives(sel) {
    const d = await api("GET", "/api/directives/?page_size=200");
    sel.replaceChildren(el("option", { value: "", text: "task defaults" }));
    for (const x of d.results)
      sel.append(el("option", { value: x.id, text: x.name + (x.version ? " (v" + x.version + ")" : "") }));
    sel.append(el("option", { value: "custom", text: "custom text\u2026" }));
  }

  /* The launch body's directive: an id, custom text (at most 64 KiB), or none; throws when
   * custom text is chosen but empty or too long. */
  function launchDirective(sel, text, body) {
    if (sel.value !== "custom") {
      if (sel.value) body.directive_id = Number(sel.value);
      return;
    }
    if (!text.value.trim()) throw new Error("Write the directive text, or pick a directive.");
    if (new TextEncoder().encode(text.value).length > 64 * 1024)
      throw new Error("The directive text is longer than 64 KiB.");
    body.directive_text = text.value;
  }

  function runRow(run) {
    const snap = run.directive_snapshot;
    const link = el("a", { href: "#/run/" + run.id, text: "#" + run.id });
    const tr = el("tr");
    tr.dataset.run = String(run.id);
    tr.append(el("td", { children: [link] }), el("td", (run.tasks || []).join(", ")),
      el("td", snap && snap.name ? snap.name : ""),
      el("td", run.status, "status status-" + run.status), el("td", CB.when(run.created_at)));
    return tr;
  }

  function setStatus(tbody, id, status) {
    const td = tbody.querySelector('tr[data-run="' + id + '"] td.status');
    if (!td) return;
    td.textContent = status;
    td.className = "status status-" + status;
  }

  /* Follow a run that has not ended over its SSE stream; closed when the page is left. */
  function watch(tbody, run, streams) {
    if (!CB.isOpen(run.status) || streams.has(run.id)) return;
    const es = new EventSource("/api/runs/" + run.id + "/events/");
    streams.set(run.id, es);
    es.addEventListener("run", (ev) => {
      let d = null;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      if (!d || !d.status) return;
      setStatus(tbody, run.id, d.status);
      if (!CB.isOpen(d.status)) { es.close(); streams.delete(run.id); }
    });
    es.addEventListener("job", () => setStatus(tbody, run.id, "running"));
    es.onerror = () => { es.close(); streams.delete(run.id); };
  }

  async function render(root) {
    const streams = new Map();
    CB.onLeave(() => { streams.forEach((s) => s.close()); streams.clear(); });
    const dl = el("dl", { id: "health" });
    const sel = el("select", { id: "directive" });
    const msg = el("p", { id: "launch-msg", role: "status" });
    const text = el("textarea", { id: "directive-text", rows: "4", maxlength: "65536",
                                   placeholder: "e.g. only look at nginx and postgres" });
    const custom = el("div", { id: "custom-text", children: [
      el("label", { for: "directive-text", text: "Directive text" }), text] });
    custom.hidden = true;
    sel.addEventListener("change", () => { custom.hidden = sel.value !== "custom"; });
    const tasks = ["log_triage", "gpu_report", "service_map"].map((t) =>
      el("label", { children: [el("input", { type: "checkbox", name: "task", value: t, checked: "" }), " " + t] }));
    const form = el("form", { id: "launch-form", children: [
      el("fieldset", { children: [el("legend", "Tasks"), ...tasks] }),
      el("label", { for: "directive", text: "Directive" }), sel, custom,
      el("button", { type: "submit", id: "launch", text: "Launch" })] });
    const runs = CB.table(["Run", "Tasks", "Directive", "Status", "Created"], []);
    runs.id = "runs";
    const tbody = runs.tBodies[0];
    const recent = card("Recent runs", runs);
    recent.classList.add("wide");
    root.classList.add("grid");
    const usage = el("div", { id: "token-usage" });
    root.append(card("Health", dl), card("Quick launch", form, msg),
                card("Tokens, last 7 days", usage), recent);

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { tasks: [...form.querySelectorAll('input[name="task"]:checked')].map((c) => c.value) };
      try {
        launchDirective(sel, text, body);
        const run = await api("POST", "/api/runs/launch/", body);
        msg.textContent = "Run #" + run.id + " queued.";
        tbody.prepend(runRow(run));
        watch(tbody, run, streams);
      } catch (e) {
        msg.textContent = e.message;
      }
    });
    await Promise.all([
      health(dl),
      tokens(usage).catch((e) => CB.fail(usage, e)),
      directives(sel).catch(() => {}),
      api("GET", "/api/runs/?page_size=20").then((r) => {
        tbody.replaceChildren(...r.results.map(runRow));
        r.results.forEach((run) => watch(tbody, run, streams));
      }),
    ]);
  }

  CB.page("dashboard", { title: "Dashboard", key: "d", render });
})();

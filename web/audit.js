/* audit.js -- the Audit page (#/audit): the worker audit trail (spawns, denials, exits,
 * removals, deadline kills, reconciliations, refused LLM endpoints), newest first. The
 * filters and the page live in the hash (#/audit/action=deny&run=3&page=2), so a filtered
 * view can be linked to and Back returns to the previous one. */
"use strict";
(function () {
  const { el, api, card } = CB;
  const ACTIONS = ["spawn", "deny", "deadline_kill", "exit", "remove", "reconcile", "llm_refused"];
  const PAGE_SIZE = 50;

  /* A positive integer from text, or dflt. */
  function posInt(text, dflt, max) {
    const n = parseInt(text || "", 10);
    return n > 0 && n <= max ? n : dflt;
  }

  /* The filters in the hash argument: {action, run, page, size} ("" when absent). */
  function parse(arg) {
    const q = new URLSearchParams(arg || "");
    return { action: q.get("action") || "", run: q.get("run") || "",
             page: posInt(q.get("page"), 1, 1e9), size: posInt(q.get("size"), PAGE_SIZE, 200) };
  }

  function hashOf(f) {
    const q = new URLSearchParams();
    if (f.action) q.set("action", f.action);
    if (f.run) q.set("run", f.run);
    if (f.page > 1) q.set("page", String(f.page));
    if (f.size !== PAGE_SIZE) q.set("size", String(f.size));
    const s = q.toString();
    return "#/audit" + (s ? "/" + s : "");
  }

  function filterForm(f) {
    const action = el("select", { id: "audit-action", name: "action" });
    action.append(el("option", { value: "", text: "any" }));
    for (const a of ACTIONS) action.append(el("option", { value: a, text: a }));
    action.value = f.action;
    const run = el("input", { id: "audit-run", name: "run", type: "number", min: 1, step: 1,
                              value: f.run, placeholder: "any" });
    const form = el("form", { id: "audit-filters", class: "filters", children: [
      el("div", { children: [el("label", { for: "audit-action", text: "Action" }), action] }),
      el("div", { children: [el("label", { for: "audit-run", text: "Run" }), run] }),
      el("button", { type: "submit", text: "Filter" }),
      el("button", { type: "button", class: "secondary", id: "audit-clear", text: "Clear",
                     onclick: () => CB.go("#/audit") })] });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      CB.go(hashOf({ action: action.value, run: run.value.trim(), page: 1, size: f.size }));
    });
    return form;
  }

  function target(row) {
    const parts = [];
    if (row.image) parts.push(row.image);
    if (row.container_id) parts.push("container " + row.container_id.slice(0, 12));
    return parts.join(" · ");
  }

  function auditRow(row) {
    const runCell = row.run_id ? el("a", { href: "#/run/" + row.run_id, text: "#" + row.run_id }) : "";
    return [CB.when(row.ts), row.action, target(row), runCell,
            row.job_id ? String(row.job_id) : "", el("span", { class: "reason", text: row.reason || "" })];
  }

  function pager(f, r) {
    const pages = Math.max(1, Math.ceil(r.count / f.size));
    const prev = el("button", { type: "button", id: "audit-prev", class: "secondary", text: "← Newer" });
    const next = el("button", { type: "button", id: "audit-next", class: "secondary", text: "Older →" });
    prev.disabled = !r.previous;
    next.disabled = !r.next;
    prev.addEventListener("click", () => CB.go(hashOf(Object.assign({}, f, { page: f.page - 1 }))));
    next.addEventListener("click", () => CB.go(hashOf(Object.assign({}, f, { page: f.page + 1 }))));
    return el("div", { class: "pager", children: [prev,
      el("span", { id: "audit-pos", text: "Page " + f.page + " of " + pages + " · " + r.count + " row" + (r.count === 1 ? "" : "s") }),
      next] });
  }

  /* Render, then mark the page done (data-done) for whoever waits on it. */
  async function render(root, arg) {
    try { await show(root, parse(arg)); } finally { root.dataset.done = "1"; }
  }

  async function show(root, f) {
    const body = el("div", { id: "audit-body" });
    const c = card("Audit log", el("p", { class: "hint", text: "What the orchestrator did with workers and why, newest first." }),
                   filterForm(f), body);
    c.classList.add("wide");
    root.append(c);
    const q = new URLSearchParams({ page: String(f.page), page_size: String(f.size) });
    if (f.action) q.set("action", f.action);
    if (f.run) q.set("run", f.run);
    let r;
    try {
      r = await api("GET", "/api/audit/?" + q.toString());
    } catch (e) {
      body.append(el("p", { class: "error", role: "alert", text: e.message }),
                  el("a", { href: "#/audit", text: "Show the whole log" }));
      return;
    }
    if (!r.results.length) {
      body.append(el("p", { class: "empty", id: "audit-empty", text: f.action || f.run ? "No audit row matches." : "The audit log is empty." }));
      return;
    }
    const t = CB.table(["Time", "Action", "Target", "Run", "Job", "Reason"], r.results.map(auditRow),
                       (i) => ({ id: String(r.results[i].id), action: r.results[i].action }));
    t.id = "audit";
    body.append(t, pager(f, r));
  }

  CB.page("audit", { title: "Audit", key: "u", render });
})();

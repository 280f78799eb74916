/* directives.js -- the Directives page: the list (D1..D4 and custom), one directive with its
 * text and config, create and edit (an edit makes a new version), delete with an in-page
 * confirm step, the versions of a key and the line diff between any two.
 * Routes: #/directives, #/directives/new, #/directives/ID, #/directives/ID/edit,
 * #/directives/ID/diff/FROM/TO (FROM and TO are version numbers of ID's key).
 * Every value goes in with textContent (CB.el); no HTML is ever built from data. */
"use strict";
(function () {
  const { el, api, card } = CB;
  const MAX_TEXT_BYTES = 64 * 1024;
  const KEY_RE = /^[A-Za-z0-9_-]{1,64}$/;

  function bytes(s) { return new TextEncoder().encode(s).length; }

  function yesNo(v) { return v ? "yes" : "no"; }

  function dl(pairs) {
    const d = el("dl");
    for (const [k, v] of pairs) d.append(el("dt", k), el("dd", v === undefined || v === null ? "" : v));
    return d;
  }

  /* ---- the list ---- */
  async function list(root) {
    const d = await api("GET", "/api/directives/?page_size=200");
    const rows = d.results.map((x) => [
      el("a", { href: "#/directives/" + x.id, text: x.name, class: "dir-name" }),
      x.key, "v" + x.version, yesNo(x.is_active), CB.when(x.updated_at)]);
    const t = CB.table(["Name", "Key", "Version", "Active", "Updated"], rows,
      (i) => ({ id: String(d.results[i].id), key: d.results[i].key }));
    t.id = "directives";
    const add = el("a", { href: "#/directives/new", id: "dir-new", class: "button", text: "New directive" });
    const c = card("Directives", el("p", { class: "muted", text:
      "D1 (log triage), D2 (GPU thresholds), D3 (service map) and D4 are seeded; an edit " +
      "makes a new version and runs keep the version they used." }), t, add);
    c.classList.add("wide");
    root.append(c);
  }

  /* ---- the form (create, or edit = a new version) ---- */
  function field(id, label, input, hint) {
    const err = el("p", { id: id + "-err", class: "error field-error" });
    input.id = id;
    input.setAttribute("aria-describedby", id + "-err");
    const kids = [el("label", { for: id, text: label }), input];
    if (hint) kids.push(el("p", { class: "hint", text: hint }));
    kids.push(err);
    return el("div", { class: "field", children: kids });
  }

  function setErr(form, id, text) {
    const input = form.querySelector("#" + id), err = form.querySelector("#" + id + "-err");
    err.textContent = text || "";
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return !text;
  }

  /* Check the form in the page; returns the body to send, or null after marking errors. */
  function collect(form, isNew) {
    const v = (id) => form.querySelector("#" + id).value;
    let ok = true, config = null;
    ok = setErr(form, "dir-name", v("dir-name").trim() ? "" : "Give the directive a name.") && ok;
    if (isNew)
      ok = setErr(form, "dir-key", !v("dir-key") || KEY_RE.test(v("dir-key")) ? ""
        : "A key holds 1 to 64 letters, digits, - and _ (or leave it empty).") && ok;
    ok = setErr(form, "dir-text", bytes(v("dir-text")) <= MAX_TEXT_BYTES ? ""
      : "The text is longer than 64 KiB.") && ok;
    let cfgErr = "";
    try {
      config = JSON.parse(v("dir-config").trim() || "{}");
      if (config === null || typeof config !== "object" || Array.isArray(config))
        cfgErr = "The config must be a JSON object, like {\"lookback_hours\": 6}.";
    } catch (e) {
      cfgErr = "The config is not valid JSON: " + e.message;
    }
    ok = setErr(form, "dir-config", cfgErr) && ok;
    if (!ok) return null;
    const body = { name: v("dir-name"), description: v("dir-description"), text: v("dir-text"), config };
    if (isNew && v("dir-key")) body.key = v("dir-key");
    return body;
  }

  async function editForm(root, id) {
    const isNew = id === null;
    const d = isNew ? { name: "", description: "", text: "", config: {} }
      : await api("GET", "/api/directives/" + id + "/");
    const name = el("input", { type: "text", maxlength: "200", required: "", value: d.name, autocomplete: "off" });
    const key = el("input", { type: "text", maxlength: "64", autocomplete: "off", placeholder: "from the name" });
    const desc = el("textarea", { rows: "2", maxlength: "4096" });
    const text = el("textarea", { rows: "10", class: "mono" });
    const cfg = el("textarea", { rows: "6", class: "mono", spellcheck: "false" });
    desc.value = d.description || "";
    text.value = d.text || "";
    cfg.value = JSON.stringify(d.config || {}, null, 2);
    const msg = el("p", { id: "dir-form-msg", class: "error", role: "alert" });
    const save = el("button", { type: "submit", id: "dir-save", text: isNew ? "Create" : "Save as a new version" });
    const cancel = el("a", { href: isNew ? "#/directives" : "#/directives/" + id, text: "Cancel", class: "cancel" });
    const form = el("form", { id: "dir-form", novalidate: "", children: [
      field("dir-name", "Name", name),
      ...(isNew ? [field("dir-key", "Key (optional)", key, "Letters, digits, - and _; made from the name when empty.")] : []),
      field("dir-description", "Description", desc),
      field("dir-text", "Text", text, "What the tasks should look at; shown to the local LLM (redacted)."),
      field("dir-config", "Config (JSON object)", cfg, "Checked here and by the server, e.g. {\"lookback_hours\": 6}."),
      el("div", { class: "actions", children: [save, cancel] }), msg] });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      msg.textContent = "";
      const body = collect(form, isNew);
      if (!body) {
        const bad = form.querySelector("[aria-invalid=true]");
        if (bad) bad.focus();
        return;
      }
      save.disabled = true;
      try {
        const r = await api(isNew ? "POST" : "PUT", isNew ? "/api/directives/" : "/api/directives/" + id + "/", body);
        CB.go("#/directives/" + r.id);
      } catch (e) {
        msg.textContent = e.message;
        save.disabled = false;
      }
    });
    root.append(card(isNew ? "New directive" : "Edit " + d.name + " (a new version)", form));
    name.focus();
  }

  /* ---- one directive: details, delete, versions ---- */
  function deleteControls(d) {
    const open = el("button", { type: "button", id: "dir-delete", class: "danger", text: "Delete…" });
    const no = el("button", { type: "button", id: "dir-delete-cancel", class: "secondary", text: "Keep it" });
    const yes = el("button", { type: "button", id: "dir-delete-confirm", class: "danger", text: "Delete every version" });
    const msg = el("p", { class: "error", role: "alert" });
    const box = el("div", { id: "dir-delete-box", class: "confirm", role: "group", "aria-labelledby": "dir-delete-q",
      children: [el("p", { id: "dir-delete-q", text: "Delete \u201c" + d.name + "\u201d (" + d.key +
        ") and all its versions? Runs keep their snapshots." }), no, yes, msg] });
    box.hidden = true;
    const close = () => { box.hidden = true; open.focus(); };
    open.addEventListener("click", () => { box.hidden = false; no.focus(); });
    no.addEventListener("click", close);
    box.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.preventDefault(); close(); } });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api("DELETE", "/api/directives/" + d.id + "/");
        CB.go("#/directives");
      } catch (e) {
        msg.textContent = e.message;
        yes.disabled = false;
      }
    });
    return [open, box];
  }

  function versionSelect(id, versions, selected) {
    const s = el("select", { id });
    for (const v of versions)
      s.append(el("option", { value: v.version, text: "v" + v.version + " \u00b7 " + CB.when(v.created_at) }));
    s.value = String(selected);
    return s;
  }

  /* The versions table and the from/to picker; shownId's row is marked as the one on screen. */
  function versionsCard(id, vs, from, to, shownId) {
    const rows = vs.results.map((v) => [
      el("a", { href: "#/directives/" + v.id, text: "v" + v.version,
                "aria-current": v.id === shownId ? "page" : null }), v.name, CB.when(v.created_at)]);
    const t = CB.table(["Version", "Name", "Created"], rows, (i) => ({ version: String(vs.results[i].version) }));
    t.id = "dir-versions";
    const f = versionSelect("diff-from", vs.results, from), to_ = versionSelect("diff-to", vs.results, to);
    const form = el("form", { id: "diff-form", class: "inline", children: [
      el("label", { for: "diff-from", text: "From" }), f, el("label", { for: "diff-to", text: "to" }), to_,
      el("button", { type: "submit", id: "diff-show", text: "Show the diff" })] });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      CB.go("#/directives/" + id + "/diff/" + f.value + "/" + to_.value);
    });
    const more = vs.is_truncated ? [el("p", { class: "muted", text: "The newest " + vs.results.length + " of " + vs.count + " versions." })] : [];
    const c = card("Versions of " + vs.key + " (" + vs.count + ")", t, ...more, form);
    c.id = "dir-versions-card";
    return c;
  }

  async function view(root, id) {
    const [d, vs] = await Promise.all([api("GET", "/api/directives/" + id + "/"),
      api("GET", "/api/directives/" + id + "/versions/")]);
    const latest = vs.results[0];
    const info = dl([["Key", d.key], ["Version", "v" + d.version + (latest.version !== d.version ? " (latest: v" + latest.version + ")" : " (latest)")],
      ["Active", yesNo(d.is_active)], ["Created", CB.when(d.created_at)], ["Updated", CB.when(d.updated_at)],
      ["Description", d.description || ""]]);
    const text = el("pre", { id: "dir-text-view", class: "wrap" });
    text.textContent = d.text || "";
    const cfg = el("pre", { id: "dir-config-view" });
    cfg.textContent = JSON.stringify(d.config || {}, null, 2);
    const edit = el("a", { href: "#/directives/" + d.id + "/edit", id: "dir-edit", class: "button", text: "Edit (new version)" });
    const main = card(d.name, info, el("h3", "Text"), text, el("h3", "Config"), cfg,
      el("div", { class: "actions", children: [edit, ...deleteControls(d)] }));
    main.id = "dir-view";
    main.classList.add("wide");
    const back = el("p", { children: [el("a", { href: "#/directives", text: "\u2190 All directives" })] });
    const older = vs.results.length > 1 ? vs.results[1].version : latest.version;
    root.append(back, main, versionsCard(d.id, vs, older, latest.version, d.id));
  }

  /* ---- the diff between two versions ---- */
  function changeValue(v) {
    if (v === undefined || v === null) return "";
    return typeof v === "string" ? v : JSON.stringify(v, null, 2);
  }

  function diffLines(lines) {
    const pre = el("pre", { id: "diff-lines", class: "diff", "aria-label": "Line diff of the text" });
    const cls = { "=": "diff-same", "-": "diff-del", "+": "diff-add" };
    for (const l of lines) {
      const row = el("span", { class: "diff-line " + (cls[l.op] || "diff-same") });
      row.append(el("span", { class: "diff-op", "aria-hidden": "true", text: l.op === "=" ? " " : l.op }),
        el("span", { class: "diff-text", text: l.text === null ? "" : l.text }));
      if (l.op !== "=") row.append(el("span", { class: "sr-only", text: l.op === "+" ? " (added)" : " (removed)" }));
      pre.append(row);
    }
    return pre;
  }

  async function diff(root, id, from, to) {
    const [df, vs] = await Promise.all([
      api("GET", "/api/directives/" + id + "/diff/?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to)),
      api("GET", "/api/directives/" + id + "/versions/")]);
    const sum = el("p", { id: "diff-summary" });
    sum.append(el("span", "+" + df.added, "diff-count-add"), " ", el("span", "\u2212" + df.removed, "diff-count-del"),
      " lines" + (df.is_approximate ? " (a large change, shown as one replacement)" : ""));
    const kids = [sum];
    if (df.changes.length) {
      const t = CB.table(["Field", "v" + df.from.version, "v" + df.to.version], df.changes.map((c) => [
        c.field, el("pre", { class: "wrap diff-del-block", text: changeValue(c.from) }),
        el("pre", { class: "wrap diff-add-block", text: changeValue(c.to) })]), (i) => ({ field: df.changes[i].field }));
      t.id = "diff-fields";
      kids.push(el("h3", "Fields"), t);
    } else {
      kids.push(el("p", { class: "muted", text: "Name, description, active and config are the same." }));
    }
    kids.push(el("h3", "Text"), diffLines(df.lines));
    const c = card("Diff of " + df.key + ": v" + df.from.version + " \u2192 v" + df.to.version, ...kids);
    c.id = "dir-diff";
    c.classList.add("wide");
    const back = el("p", { children: [el("a", { href: "#/directives/" + id, text: "\u2190 Back to the directive" })] });
    root.append(back, c, versionsCard(id, vs, df.from.version, df.to.version));
  }

  async function render(root, arg) {
    const parts = (arg || "").split("/").filter((p) => p !== "");
    if (parts.length === 0) return list(root);
    if (parts[0] === "new") return editForm(root, null);
    if (!/^[0-9]+$/.test(parts[0])) throw new Error("No such page: directives/" + parts.join("/"));
    if (parts.length === 1) return view(root, parts[0]);
    if (parts[1] === "edit") return editForm(root, parts[0]);
    if (parts[1] === "diff" && parts.length === 4) return diff(root, parts[0], parts[2], parts[3]);
    throw new Error("No such page: directives/" + parts.join("/"));
  }

  CB.page("directives", { title: "Directives", key: "i", render });
})();

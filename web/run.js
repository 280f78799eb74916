/* run.js -- the run detail page (#/run/ID): header (status, tasks, directive snapshot, times,
 * Cancel), jobs with live progress over the run's SSE stream, the report as HTML rendered and
 * sanitised by the server (GET /api/runs/ID/report.html: cmark-gfm without raw HTML or unsafe
 * URLs), its JSON, the artifacts, the token counts, and "Explain": the local LLM's answer
 * streamed into a text node, kept nowhere (not in storage, gone when the page is left).
 * The report's HTML is the one place this UI sets innerHTML; everything else is textContent. */
"use strict";
(function () {
  const { el, api, card } = CB;
  const isOpen = CB.isOpen;

  function statusCell(status) {
    return el("span", status || "", "status status-" + (status || "unknown"));
  }

  function bytes(n) {
    if (typeof n !== "number") return "";
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }

  /* The download path of an artifact: each segment of its name encoded on its own. */
  function artifactHref(runId, name) {
    return "/api/runs/" + runId + "/artifacts/" + name.split("/").map(encodeURIComponent).join("/");
  }

  /* ---- header ---- */
  function header(st) {
    const run = st.run;
    const snap = run.directive_snapshot || {};
    const dl = el("dl", { id: "run-meta" });
    st.statusDd = el("dd", { id: "run-status", children: [statusCell(run.status)] });
    st.finishedDd = el("dd", { id: "run-finished", text: CB.when(run.finished_at) });
    st.startedDd = el("dd", { id: "run-started", text: CB.when(run.started_at) });
    dl.append(el("dt", "Status"), st.statusDd,
      el("dt", "Tasks"), el("dd", { id: "run-tasks", text: (run.tasks || []).join(", ") }),
      el("dt", "Directive"), el("dd", { id: "run-directive", text: snap.name || "task defaults" }),
      el("dt", "Created"), el("dd", CB.when(run.created_at)),
      el("dt", "Started"), st.startedDd, el("dt", "Finished"), st.finishedDd);
    st.errorP = el("p", { id: "run-error", class: "error", text: run.error || "" });
    const parts = [dl, st.errorP];
    if (snap.text) {
      parts.push(el("details", { class: "directive", children: [
        el("summary", "Directive text"),
        el("pre", { id: "run-directive-text", text: snap.text })] }));
    }
    st.cancelBtn = el("button", { type: "button", id: "run-cancel", class: "danger",
                                  text: "Cancel run", onclick: () => cancel(st) });
    st.cancelBtn.hidden = !isOpen(run.status);
    st.msg = el("p", { id: "run-msg", role: "status" });
    parts.push(st.cancelBtn, st.msg);
    const c = card("Run #" + run.id, ...parts);
    c.classList.add("wide");
    return c;
  }

  async function cancel(st) {
    st.cancelBtn.disabled = true;
    st.msg.textContent = "";
    try {
      const run = await api("POST", "/api/runs/" + st.id + "/cancel/");
      st.msg.textContent = "Cancel requested.";
      setRunStatus(st, run.status);
    } catch (e) {
      st.msg.textContent = (e.status === 409 ? "Not cancelled: " : "") + e.message;
      st.msg.className = "error";
      st.cancelBtn.disabled = false;
    }
  }

  function setRunStatus(st, status) {
    if (!status) return;
    st.run.status = status;
    st.statusDd.replaceChildren(statusCell(status));
    st.cancelBtn.hidden = !isOpen(status);
  }

  /* ---- jobs ---- */
  function jobRow(job) {
    const tr = el("tr");
    tr.dataset.job = String(job.id);
    const bar = el("progress", { max: "100", "aria-label": "progress of job " + job.id });
    if (job.status === "success") bar.value = 100;
    else if (!isOpen(job.status)) bar.value = 0; /* ended without a figure: not "busy" */
    tr.append(el("td", "#" + job.id), el("td", job.task || ""),
      el("td", { class: "job-status", children: [statusCell(job.status)] }),
      el("td", { class: "job-progress",
                 children: [bar, el("span", { class: "progress-msg muted" })] }),
      el("td", { class: "job-started", text: CB.when(job.started_at) }),
      el("td", { class: "job-finished", text: CB.when(job.finished_at) }),
      el("td", { class: "job-error error", text: job.error || "" }));
    return tr;
  }

  function jobsCard(st) {
    const t = CB.table(["Job", "Task", "Status", "Progress", "Started", "Finished", "Error"], []);
    t.id = "jobs";
    st.jobsBody = t.tBodies[0];
    st.jobsBody.append(...(st.run.jobs || []).map(jobRow));
    const c = card("Jobs", t);
    c.classList.add("wide");
    return c;
  }

  function jobTr(st, id) {
    return st.jobsBody.querySelector('tr[data-job="' + Number(id) + '"]');
  }

  function onJob(st, d) {
    const tr = jobTr(st, d.job_id);
    if (!tr) return;
    tr.querySelector(".job-status").replaceChildren(statusCell(d.status));
    if (d.error) tr.querySelector(".job-error").textContent = d.error;
    if (d.status === "running" && st.run.status === "queued") setRunStatus(st, "running");
    if (d.status === "success") tr.querySelector("progress").value = 100;
    if (!isOpen(d.status)) refreshJob(st, d.job_id);
  }

  function onProgress(st, d) {
    const tr = jobTr(st, d.job_id);
    if (!tr) return;
    if (typeof d.progress === "number")
      tr.querySelector("progress").value = Math.max(0, Math.min(100, d.progress));
    tr.querySelector(".progress-msg").textContent = d.message ? " " + d.message : "";
  }

  /* Update a job's row in place from the job as read (the progress message stays). */
  function updateJob(st, job) {
    const tr = jobTr(st, job.id);
    if (!tr) return;
    tr.querySelector(".job-status").replaceChildren(statusCell(job.status));
    tr.querySelector(".job-started").textContent = CB.when(job.started_at);
    tr.querySelector(".job-finished").textContent = CB.when(job.finished_at);
    tr.querySelector(".job-error").textContent = job.error || "";
    const bar = tr.querySelector("progress");
    if (job.status === "success") bar.value = 100;
    else if (!isOpen(job.status) && !bar.hasAttribute("value")) bar.value = 0;
  }

  async function refreshJob(st, id) {
    try {
      updateJob(st, await api("GET", "/api/jobs/" + Number(id) + "/"));
    } catch (e) { /* the row keeps what the event said */ }
  }

  /* ---- live updates ---- */
  function parse(ev) {
    try { return JSON.parse(ev.data); } catch (e) { return null; }
  }

  function follow(st) {
    if (!isOpen(st.run.status)) return;
    const es = new EventSource("/api/runs/" + st.id + "/events/");
    CB.onLeave(() => es.close());
    es.addEventListener("job", (ev) => { const d = parse(ev); if (d) onJob(st, d); });
    es.addEventListener("progress", (ev) => { const d = parse(ev); if (d) onProgress(st, d); });
    es.addEventListener("run", (ev) => {
      const d = parse(ev);
      if (!d || !d.status) return;
      setRunStatus(st, d.status);
      if (!isOpen(d.status)) {
        es.close();
        ended(st);
      }
    });
    es.onerror = () => { if (!isOpen(st.run.status)) es.close(); };
  }

  /* The run ended: read it again (times, error) and load what only exists now. */
  async function ended(st) {
    try {
      const run = await api("GET", "/api/runs/" + st.id + "/");
      st.run = run;
      setRunStatus(st, run.status);
      st.startedDd.textContent = CB.when(run.started_at);
      st.finishedDd.textContent = CB.when(run.finished_at);
      st.errorP.textContent = run.error || "";
      for (const job of run.jobs || []) updateJob(st, job);
    } catch (e) { /* keep what the events said */ }
    await Promise.all([loadReport(st), loadArtifacts(st), loadTokens(st)]);
  }

  /* ---- report (HTML and JSON) ---- */
  async function loadReport(st) {
    const seq = (st.reportSeq = (st.reportSeq || 0) + 1); /* the newest load wins */
    const r = await fetch("/api/runs/" + st.id + "/report.html", { credentials: "same-origin" });
    const body = r.ok ? await r.text() : await r.json().catch(() => null);
    if (seq !== st.reportSeq) return;
    if (!r.ok) {
      st.reportBox.replaceChildren(el("p", { class: r.status === 409 ? "muted" : "error",
        text: (body && body.detail) || "HTTP " + r.status }));
    } else {
      /* Server-rendered by cmark-gfm without raw HTML or unsafe URLs, served with a sandbox
       * CSP; the page's own CSP forbids inline script besides. */
      st.reportBox.innerHTML = body;
    }
    try {
      const rep = await api("GET", "/api/runs/" + st.id + "/report/");
      if (seq === st.reportSeq)
        st.jsonPre.textContent =
          rep.json === null ? "No report yet." : JSON.stringify(rep.json, null, 2);
    } catch (e) {
      st.jsonPre.textContent = e.message;
    }
  }

  function reportCards(st) {
    st.reportBox = el("div", { id: "report", class: "report" });
    st.jsonPre = el("pre", { id: "report-json" });
    const rc = card("Report", st.reportBox);
    rc.classList.add("wide");
    const jc = card("Report JSON", el("details", { id: "report-json-view", children: [
      el("summary", "Show the report as JSON"), st.jsonPre] }));
    jc.classList.add("wide");
    return [rc, jc];
  }

  /* ---- artifacts ---- */
  async function loadArtifacts(st) {
    try {
      const d = await api("GET", "/api/runs/" + st.id + "/artifacts/");
      const rows = d.results.map((a) => [
        el("a", { href: artifactHref(st.id, a.name), download: a.name.split("/").pop(),
                  text: a.name }),
        bytes(a.size_bytes), a.content_type || "", CB.when(a.created_at)]);
      const t = CB.table(["Name", "Size", "Type", "Created"], rows);
      t.id = "artifacts";
      st.artBox.replaceChildren(rows.length ? t : el("p", "No artifacts yet.", "muted"));
    } catch (e) {
      st.artBox.replaceChildren(el("p", { class: "error", text: e.message }));
    }
  }

  /* ---- tokens ---- */
  async function loadTokens(st) {
    try {
      const [rep, calls] = await Promise.all([
        api("GET", "/api/runs/" + st.id + "/report/"),
        api("GET", "/api/llm-calls/?run=" + st.id + "&page_size=200")]);
      const tt = rep.token_totals || {};
      const dl = el("dl", { id: "token-totals" });
      for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"])
        dl.append(el("dt", k.replace("_tokens", "")),
                  el("dd", { "data-key": k, text: String(tt[k] ?? 0) }));
      const rows = calls.results.map((c) => [CB.when(c.created_at), c.model || "", c.status || "",
        String(c.prompt_tokens ?? ""), String(c.completion_tokens ?? ""),
        String(c.total_tokens ?? ""), c.duration_ms != null ? c.duration_ms + " ms" : ""]);
      const t = CB.table(["When", "Model", "Status", "Prompt", "Completion", "Total", "Took"],
                         rows);
      t.id = "llm-calls";
      st.tokBox.replaceChildren(dl, rows.length ? t
        : el("p", "No LLM calls for this run.", "muted"));
    } catch (e) {
      st.tokBox.replaceChildren(el("p", { class: "error", text: e.message }));
    }
  }

  /* ---- explain: SSE over fetch (the error answers before the stream are JSON) ---- */
  function sseEvents(buffer, emit) {
    let i;
    while ((i = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      let type = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) emit(type, data.join("\n"));
    }
    return buffer;
  }

  async function explain(st) {
    const btn = st.explainBtn;
    btn.disabled = true;
    const text = document.createTextNode("");
    st.explainOut.replaceChildren(text);
    st.explainOut.hidden = false;
    st.explainMeta.textContent = "Asking the local LLM...";
    st.explainMeta.className = "muted";
    const ctl = new AbortController();
    CB.onLeave(() => ctl.abort());
    let finished = false;
    const emit = (type, raw) => {
      let d = null;
      try { d = JSON.parse(raw); } catch (e) { return; }
      if (type === "start")
        st.explainMeta.textContent = "Model " + (d.model || "?") + " is writing...";
      else if (type === "chunk" && typeof d.text === "string") text.appendData(d.text);
      else if (type === "done" || type === "error") {
        finished = true;
        const counts = "prompt " + (d.prompt_tokens ?? "n/a") + ", completion " +
          (d.completion_tokens ?? "n/a") + ", total " + (d.total_tokens ?? "n/a") + " tokens";
        st.explainMeta.textContent = type === "done" ? "Done: " + counts + "."
          : (d.detail || "Failed") + " (" + counts + ")";
        st.explainMeta.className = type === "done" ? "ok" : "error";
      }
    };
    try {
      const r = await fetch("/api/runs/" + st.id + "/explain/", {
        credentials: "same-origin", signal: ctl.signal, headers: { Accept: "text/event-stream" } });
      if (!r.ok) {
        const data = await r.json().catch(() => null);
        throw new Error((data && data.detail) || "HTTP " + r.status);
      }
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const piece = dec.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
        buffer = sseEvents(buffer + piece, emit);
      }
      if (!finished) throw new Error("The stream ended early.");
    } catch (e) {
      if (e.name === "AbortError") return;
      st.explainMeta.textContent = e.message;
      st.explainMeta.className = "error";
    } finally {
      btn.disabled = false;
    }
    loadTokens(st);
  }

  function explainCard(st) {
    st.explainBtn = el("button", { type: "button", id: "explain", text: "Explain",
                                   onclick: () => explain(st) });
    st.explainOut = el("pre", { id: "explain-text", class: "explain", "aria-live": "polite" });
    st.explainOut.hidden = true;
    st.explainMeta = el("p", { id: "explain-meta", role: "status" });
    const c = card("Explain", el("p", { class: "muted",
      text: "A local LLM explains the report. Its answer is shown here only and kept nowhere." }),
      st.explainBtn, st.explainMeta, st.explainOut);
    c.classList.add("wide");
    return c;
  }

  async function render(root, arg) {
    const id = Number(arg);
    if (!Number.isInteger(id) || id <= 0) {
      root.append(card("Run", el("p", { class: "error", role: "alert",
                                        text: "No such run: give #/run/ID." })));
      return;
    }
    const st = { id };
    root.dataset.run = String(id);
    st.run = await api("GET", "/api/runs/" + id + "/");
    st.artBox = el("div", { id: "artifacts-box" });
    st.tokBox = el("div", { id: "tokens-box" });
    const ac = card("Artifacts", st.artBox);
    const tc = card("Tokens", st.tokBox);
    const [rc, jc] = reportCards(st);
    root.append(header(st), jobsCard(st), rc, explainCard(st), ac, tc, jc);
    follow(st);
    await Promise.all([loadReport(st), loadArtifacts(st), loadTokens(st)]);
  }

  CB.page("run", { title: "Run", render });
})();

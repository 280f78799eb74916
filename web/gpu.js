/* gpu.js -- the GPUs page (#/gpus/WINDOW): the newest gpu_report sample per GPU (with its
 * processes by container) and history charts over 1 h, 24 h or 7 d: utilisation, memory,
 * temperature and VRAM by container, one line per GPU (or per container). The charts are
 * inline SVG made with createElementNS (colours by CSS class, no style attributes); every
 * point has a <title>, and each chart has its numbers as a table for screen readers. */
"use strict";
(function () {
  const { el, api, card } = CB;
  const NS = "http://www.w3.org/2000/svg";
  const WINDOWS = [["1h", "1 h", 3600e3], ["24h", "24 h", 86400e3], ["7d", "7 d", 7 * 86400e3]];
  const PAGES_MAX = 25; /* at most 25 pages of 200 history rows per request */
  const W = 640, H = 230, M = { l: 56, r: 14, t: 12, b: 42 };
  let chartIds = 0;

  /* An SVG element: svg("line", {x1: 0, ...}, "text"). */
  function svg(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const val = (v, unit) => (v === null || v === undefined ? "—" : v + (unit ? " " + unit : ""));
  const watts = (v) => (typeof v === "number" ? v.toFixed(1) : v);

  function gpuLabel(index, uuid, names) {
    const name = names.get(uuid);
    return "GPU " + index + (name ? " · " + name : "");
  }

  /* GPU names by uuid: the store keeps numbers only, the job's summary has the names. */
  async function gpuNames(latest) {
    const names = new Map();
    try {
      const run = await api("GET", "/api/runs/" + encodeURIComponent(latest.run_id) + "/");
      const job = (run.jobs || []).find((j) => j.id === latest.job_id);
      for (const g of (job && job.summary && job.summary.gpus) || [])
        if (g && g.uuid && g.name) names.set(String(g.uuid), String(g.name));
    } catch (e) { /* the run may be gone: numbers only */ }
    return names;
  }

  function latestCard(latest, names) {
    const rows = latest.gpus.map((g) => [
      gpuLabel(g.gpu_index, g.gpu_uuid, names), g.gpu_uuid, val(g.utilization_gpu_pct, "%"),
      val(g.memory_used_mib) + " / " + val(g.memory_total_mib, "MiB"),
      val(g.temperature_c, "°C") + (g.temperature_margin_c !== null &&
        g.temperature_margin_c !== undefined ? " (margin " + g.temperature_margin_c + " °C)" : ""),
      val(watts(g.power_draw_w)) + " / " + val(watts(g.power_limit_w), "W")]);
    const t = CB.table(["GPU", "UUID", "Utilisation", "Memory used / total", "Temperature",
                        "Power draw / limit"], rows, (i) => ({ uuid: latest.gpus[i].gpu_uuid }));
    t.id = "gpu-latest";
    const idx = new Map(latest.gpus.map((g) => [g.gpu_uuid, g.gpu_index]));
    const crows = (latest.containers || []).map((c) => [
      idx.has(c.gpu_uuid) ? "GPU " + idx.get(c.gpu_uuid) : c.gpu_uuid, c.container,
      val(c.used_memory_mib, "MiB"),
      val(c.utilization_gpu_pct, "%") + (c.utilization_estimated ? " (estimated)" : ""),
      val(c.processes)]);
    const ct = crows.length
      ? CB.table(["GPU", "Container", "VRAM used", "Utilisation", "Processes"], crows)
      : el("p", "No GPU processes in this sample.");
    ct.id = "gpu-containers";
    const c = card("Newest sample", el("p", { class: "empty", text: "Sampled " +
      CB.when(latest.sampled_at) + " by run #" + latest.run_id + "." }), t,
      el("h3", "Processes by container"), ct);
    c.classList.add("wide");
    return c;
  }

  /* A "nice" upper bound for the y axis (1, 2 or 5 times a power of ten). */
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function timeLabel(ms, span) {
    const d = new Date(ms);
    if (span > 2 * 86400e3)
      return d.toLocaleDateString(undefined, { weekday: "short", day: "numeric" }) + " " +
        d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function axes(s, from, to, yMax, unit) {
    const pw = W - M.l - M.r, ph = H - M.t - M.b;
    for (let i = 0; i <= 5; i++) {
      const y = M.t + ph - (ph * i) / 5;
      s.append(svg("line", { x1: M.l, x2: W - M.r, y1: y, y2: y, class: "grid" }),
        svg("text", { x: M.l - 6, y: y + 4, "text-anchor": "end", class: "tick" },
          Math.round((yMax * i) / 5)));
    }
    for (let i = 0; i <= 4; i++) {
      const x = M.l + (pw * i) / 4;
      s.append(svg("line", { x1: x, x2: x, y1: M.t + ph, y2: M.t + ph + 4, class: "axis" }),
        svg("text", { x, y: M.t + ph + 17, class: "tick",
                      "text-anchor": i ? (i === 4 ? "end" : "middle") : "start" },
          timeLabel(from + ((to - from) * i) / 4, to - from)));
    }
    s.append(svg("line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + ph, class: "axis" }),
      svg("line", { x1: M.l, x2: W - M.r, y1: M.t + ph, y2: M.t + ph, class: "axis" }),
      svg("text", { x: M.l + pw / 2, y: H - 4, "text-anchor": "middle", class: "axis-label" },
        "time (local)"),
      svg("text", { x: 12, y: M.t + ph / 2, "text-anchor": "middle", class: "axis-label",
                    transform: "rotate(-90 12 " + (M.t + ph / 2) + ")" }, unit));
  }

  /* One chart: series = [{label, points: [[ms, value], ...]}] (nulls skipped). */
  function chart(title, unit, yMax, series, from, to, key) {
    const id = "chart-" + ++chartIds;
    const s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": id,
                           class: "chart-svg", "data-chart": key });
    s.append(svg("title", { id }, title + " (" + unit + "), " + series.length + " series"));
    axes(s, from, to, yMax, unit);
    const pw = W - M.l - M.r, ph = H - M.t - M.b;
    const x = (t) => (M.l + (pw * (t - from)) / (to - from)).toFixed(1);
    const y = (v) => (M.t + ph - (ph * Math.min(v, yMax)) / yMax).toFixed(1);
    const legend = el("ul", { class: "legend" });
    const trows = [];
    series.forEach((ser, i) => {
      const pts = ser.points.filter((p) => typeof p[1] === "number");
      const g = svg("g", { class: "series s" + (i % 8), "data-series": ser.label });
      g.append(svg("polyline", { points: pts.map((p) => x(p[0]) + "," + y(p[1])).join(" "),
                                 fill: "none", class: "line" }));
      for (const p of pts) {
        const c = svg("circle", { cx: x(p[0]), cy: y(p[1]), r: 3, class: "dot",
                                  "data-value": p[1] });
        c.append(svg("title", {}, ser.label + " · " + new Date(p[0]).toLocaleString() + " · " +
                                  p[1] + " " + unit));
        g.append(c);
        trows.push([ser.label, new Date(p[0]).toLocaleString(), p[1] + " " + unit]);
      }
      s.append(g);
      legend.append(el("li", { class: "s" + (i % 8), text: ser.label }));
    });
    const details = el("details", { children: [el("summary", "Data table"),
      CB.table(["Series", "Time", title], trows)] });
    const caption = el("figcaption", title + " (" + unit + ")");
    return el("figure", { class: "chart", "data-chart": key,
                          children: [caption, s, legend, details] });
  }

  /* Series per key(row), points [time, value(row)], oldest first. */
  function group(rows, key, label, value) {
    const m = new Map();
    for (const r of rows) {
      const k = key(r);
      if (!m.has(k)) m.set(k, { label: label(r), points: [] });
      m.get(k).points.push([Date.parse(r.sampled_at), value(r)]);
    }
    const out = [...m.values()];
    out.forEach((s) => s.points.sort((a, b) => a[0] - b[0]));
    return out.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
  }

  async function drawHistory(box, span, names) {
    const from = Date.now() - span;
    const q = "?from=" + encodeURIComponent(iso(from)) + "&page_size=200";
    const [rows, crows] = await Promise.all([CB.all("/api/gpus/" + q, PAGES_MAX),
                                             CB.all("/api/gpus/containers/" + q, PAGES_MAX)]);
    if (!rows.length) {
      box.replaceChildren(el("p", { class: "empty", text: "No samples in this window." }));
      return;
    }
    /* The right edge: now, or the newest sample when the server's clock is ahead. */
    const to = Math.max(Date.now(), ...rows.map((r) => Date.parse(r.sampled_at) || 0));
    const byGpu = (f) => group(rows, (r) => r.gpu_uuid,
                               (r) => gpuLabel(r.gpu_index, r.gpu_uuid, names), f);
    const memMax = Math.max(...rows.map((r) => r.memory_total_mib || r.memory_used_mib || 0));
    const temps = rows.map((r) => r.temperature_c || 0);
    const idx = new Map(rows.map((r) => [r.gpu_uuid, r.gpu_index]));
    const cont = group(crows, (r) => r.gpu_uuid + "\n" + r.container,
      (r) => r.container + " on GPU " + (idx.has(r.gpu_uuid) ? idx.get(r.gpu_uuid) : r.gpu_uuid),
      (r) => r.used_memory_mib);
    const memTop = niceMax(memMax);
    box.replaceChildren(
      chart("Utilisation", "%", 100, byGpu((r) => r.utilization_gpu_pct), from, to, "util"),
      chart("Memory used", "MiB", memTop, byGpu((r) => r.memory_used_mib), from, to, "mem"),
      chart("Temperature", "°C", niceMax(Math.max(50, ...temps)), byGpu((r) => r.temperature_c),
            from, to, "temp"),
      cont.length ? chart("VRAM by container", "MiB", memTop, cont, from, to, "containers")
        : el("p", "No GPU processes in this window."));
    if (rows.isCut || crows.isCut)
      box.prepend(el("p", { class: "muted", "data-cut": "1", text: "This window holds more samples "
        + "than the page reads (" + PAGES_MAX * 200 + " rows); only the newest are drawn: pick a shorter window." }));
  }

  async function render(root, arg) {
    const latest = await api("GET", "/api/gpus/");
    if (!latest.gpus || !latest.gpus.length) {
      root.append(card("GPUs", el("p", { class: "empty", id: "gpu-empty",
        text: "No GPU samples yet; launch gpu_report (from the dashboard)." }),
        el("a", { href: "#/", text: "Go to the dashboard" })));
      return;
    }
    const names = await gpuNames(latest);
    root.append(latestCard(latest, names));
    const box = el("div", { id: "gpu-history", class: "charts", "aria-live": "polite" });
    const buttons = el("div", { role: "group", "aria-label": "Window", class: "windows" });
    let seq = 0;
    async function show(key) {
      const w = WINDOWS.find((x) => x[0] === key) || WINDOWS[1];
      for (const b of buttons.children)
        b.setAttribute("aria-pressed", String(b.dataset.window === w[0]));
      window.history.replaceState(null, "", "#/gpus/" + w[0]);
      const mine = ++seq;
      box.setAttribute("aria-busy", "true");
      try {
        const tmp = el("div");
        await drawHistory(tmp, w[2], names);
        if (mine === seq && CB.isCurrent("gpus")) box.replaceChildren(...tmp.childNodes);
      } catch (e) {
        if (mine === seq) { box.replaceChildren(); CB.fail(box, e); }
      }
      if (mine === seq) { box.dataset.window = w[0]; box.removeAttribute("aria-busy"); }
    }
    for (const [key, label] of WINDOWS)
      buttons.append(el("button", { type: "button", "data-window": key, text: label,
                                    onclick: () => show(key) }));
    const c = card("History", buttons, box);
    c.classList.add("wide");
    root.append(c);
    await show(arg);
  }

  CB.page("gpus", { title: "GPUs", key: "p", render });
})();

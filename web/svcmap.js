/* svcmap.js -- the Service map page (#/service-map): the newest map's SVG (laid out by
 * Graphviz on the server), with every node a button: click it (or Enter/Space on it) and the
 * page lists what depends on it, directly and transitively (/api/service-map/impact/), and
 * highlights those nodes. Beside it: single points of failure, the changes since the previous
 * map, and the DOT / Mermaid downloads.
 *
 * The SVG comes as text and is parsed with DOMParser as XML, never as HTML; only an allowlist
 * of plain SVG shape and text elements is kept, without on* handlers, style or id attributes,
 * and without links that leave the document, before the node is imported into the page. */
"use strict";
(function () {
  const { el, api, card } = CB;
  const NS = "http://www.w3.org/2000/svg";
  const TAGS = new Set(["svg", "g", "title", "desc", "polygon", "polyline", "path", "ellipse",
                        "circle", "rect", "line", "text", "tspan", "a"]);
  const SVG_MAX = 8 * 1024 * 1024;

  /* Drop, below node, every element not in TAGS and every active or styling attribute. */
  function clean(node) {
    for (const a of [...node.attributes]) {
      const n = a.name.toLowerCase();
      const isHref = a.localName.toLowerCase() === "href";
      if (n.startsWith("on") || n === "style" || n === "id" || (isHref && !a.value.startsWith("#")))
        node.removeAttributeNode(a);
    }
    for (const child of [...node.children]) {
      if (child.namespaceURI !== NS || !TAGS.has(child.localName)) child.remove();
      else clean(child);
    }
  }

  /* The map's SVG as a clean element of this document, or null (with why in note). */
  async function fetchSvg(note) {
    const r = await fetch("/api/service-map/latest.svg", { credentials: "same-origin" });
    const text = r.ok ? await r.text() : "";
    if (!r.ok || !text || text.length > SVG_MAX) {
      note.textContent = r.ok ? "The map's picture is too large to show; use the lists below."
        : "This map has no picture (" + r.status + "); use the lists below.";
      return null;
    }
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (!root || root.namespaceURI !== NS || root.localName !== "svg" ||
        doc.getElementsByTagName("parsererror").length) {
      note.textContent = "The map's picture could not be read.";
      return null;
    }
    clean(root);
    const svg = document.importNode(root, true);
    svg.setAttribute("class", "svcmap-svg");
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "Service map: each node is a button that shows its impact");
    return svg;
  }

  const label = (n) => (n ? n.name + " (" + n.kind + ")" : "?");

  /* A key to the map: the edge types present with their count and colour (read off the
   * map's own edges, so it always matches), and what the node shapes mean. */
  function legend(svg, edges) {
    const counts = new Map();
    for (const e of edges || []) counts.set(e.type, (counts.get(e.type) || 0) + 1);
    const ul = el("ul", { class: "legend edge-types" });
    for (const [type, n] of [...counts].sort()) {
      const path = svg && svg.querySelector("g.edge." + CSS.escape(type) + " path");
      const stroke = path && path.getAttribute("stroke");
      const swatch = document.createElementNS(NS, "svg");
      swatch.setAttribute("viewBox", "0 0 24 8");
      swatch.setAttribute("class", "swatch");
      swatch.setAttribute("aria-hidden", "true");
      const line = document.createElementNS(NS, "line");
      for (const [k, v] of [["x1", 0], ["y1", 4], ["x2", 24], ["y2", 4], ["stroke-width", 3]])
        line.setAttribute(k, String(v));
      line.setAttribute("stroke", /^#[0-9a-fA-F]{3,8}$/.test(stroke || "") ? stroke : "#6b7280");
      swatch.append(line);
      ul.append(el("li", { "data-type": type, children: [swatch, type + " (" + n + ")"] }));
    }
    return el("div", { class: "svcmap-key", children: [ul, el("p", { class: "empty",
      text: "Boxes are containers (dashed: not on the allowlist), ellipses networks, " +
        "cylinders volumes, hexagons published ports." })] });
  }

  /* Tie each Graphviz node group (<title>nK</title>) to nodes[K]; returns id -> group. */
  function bindNodes(svg, nodes, select) {
    const groups = new Map();
    for (const g of svg.querySelectorAll("g.node")) {
      const t = g.querySelector("title");
      const m = t && /^n(\d+)$/.exec(t.textContent.trim());
      const node = m ? nodes[Number(m[1])] : undefined;
      if (!node) continue;
      t.textContent = label(node); /* the tooltip names the node, not "nK" */
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-pressed", "false");
      g.setAttribute("aria-label", label(node));
      g.dataset.nodeId = node.id;
      g.addEventListener("click", () => select(node.id));
      g.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(node.id); }
      });
      groups.set(node.id, g);
    }
    return groups;
  }

  function impactList(items) {
    const ul = el("ul", { class: "impact" });
    for (const x of items)
      ul.append(el("li", { "data-node-id": x.id, "data-depth": x.depth,
                           text: label(x) + (x.depth > 1 ? " — depth " + x.depth : "") }));
    return ul;
  }

  /* Show the impact of node id in box and highlight it in the map. */
  function selector(box, groups) {
    let seq = 0;
    return async function select(id) {
      const mine = ++seq;
      for (const g of groups.values()) {
        g.classList.remove("selected", "impacted");
        g.setAttribute("aria-pressed", "false");
      }
      const g = groups.get(id);
      if (g) { g.classList.add("selected"); g.setAttribute("aria-pressed", "true"); }
      box.setAttribute("aria-busy", "true");
      try {
        const r = await api("GET", "/api/service-map/impact/?node=" + encodeURIComponent(id));
        if (mine !== seq) return;
        const direct = r.impacted.filter((x) => x.depth === 1);
        const further = r.impacted.filter((x) => x.depth > 1);
        for (const x of r.impacted)
          if (groups.has(x.id)) groups.get(x.id).classList.add("impacted");
        const count = !r.count ? "Nothing depends on it."
          : r.count + (r.count === 1 ? " node depends" : " nodes depend") + " on it.";
        const title = "If " + label(r.node) + " stops";
        box.replaceChildren(el("h3", { id: "impact-title", text: title }),
          el("p", { id: "impact-count", text: count }),
          el("h4", "Directly (" + direct.length + ")"), impactList(direct),
          el("h4", "Transitively (" + further.length + ")"), impactList(further));
        box.dataset.node = id;
      } catch (e) {
        if (mine === seq) { box.replaceChildren(); CB.fail(box, e); }
      }
      if (mine === seq) box.removeAttribute("aria-busy");
    };
  }

  function spofCard(spof, select) {
    if (!spof || !spof.length)
      return card("Single points of failure", el("p", { class: "empty",
        text: "None: no node takes two or more containers down with it." }));
    const rows = spof.map((x) => [el("button", { type: "button", class: "linkish", text: label(x),
                                                  onclick: () => select(x.id) }),
                                  String(x.impacted_containers), String(x.impacted)]);
    const t = CB.table(["Node", "Containers impacted", "Nodes impacted"], rows,
                       (i) => ({ nodeId: spof[i].id }));
    t.id = "spof";
    return card("Single points of failure", t);
  }

  function changesCard(m) {
    const ch = m.changes;
    if (!m.previous_map_id || !ch)
      return card("Changes", el("p", { id: "changes", class: "empty",
                                       text: "This is the first map." }));
    const edge = (e) => e.from + " → " + e.to + " (" + e.type + ")";
    const parts = [["Nodes added", ch.nodes_added, label],
                   ["Nodes removed", ch.nodes_removed, label],
                   ["Edges added", ch.edges_added, edge],
                   ["Edges removed", ch.edges_removed, edge]];
    const box = el("div", { id: "changes" });
    let any = false;
    for (const [title, list, fmt] of parts) {
      if (!list || !list.length) continue;
      any = true;
      box.append(el("h3", title + " (" + list.length + ")"),
        el("ul", { children: list.map((x) => el("li", fmt(x))) }));
    }
    if (!any)
      box.append(el("p", { class: "empty", text: "No changes since map #" + m.previous_map_id }));
    if (ch.is_truncated) box.append(el("p", { class: "empty", text: "(lists cut short)" }));
    return card("Changes since map #" + m.previous_map_id, box);
  }

  function downloads() {
    const p = el("p", { class: "downloads", text: "Download: " });
    [["dot", "DOT"], ["mmd", "Mermaid"], ["svg", "SVG"]].forEach(([ext, name], i) => {
      if (i) p.append(" · ");
      p.append(el("a", { href: "/api/service-map/latest." + ext, download: "service-map." + ext,
                         text: name }));
    });
    return p;
  }

  async function render(root) {
    let m;
    try {
      m = await api("GET", "/api/service-map/latest/");
    } catch (e) {
      if (e.status !== 404) throw e;
      root.append(card("Service map", el("p", { class: "empty", id: "svcmap-empty",
        text: "No service map yet; launch service_map (from the dashboard)." }),
        el("a", { href: "#/", text: "Go to the dashboard" })));
      return;
    }
    const nodes = m.nodes || [];
    const note = el("p", { class: "empty" });
    const impact = el("div", { id: "impact", "aria-live": "polite", children: [el("p", {
      class: "empty", text: "Choose a node (click it, or Tab to it and press Enter) to see what " +
        "depends on it." })] });
    const mapBox = el("div", { id: "svcmap", class: "svcmap" });
    const mapCol = el("div", { class: "svcmap-col", children: [mapBox] });
    const aside = el("aside", { class: "impact-box", "aria-label": "Impact",
                                children: [el("h2", "Impact"), impact] });
    const about = "Map #" + m.id + " from run #" + m.run_id + ", " + CB.when(m.created_at) + ": " +
      m.node_count + " nodes, " + m.edge_count + " edges.";
    const mapCard = card("Service map", el("p", { class: "empty", text: about }), downloads(),
      note, el("div", { class: "svcmap-layout", children: [mapCol, aside] }));
    mapCard.classList.add("wide");
    const groups = new Map();
    const select = selector(impact, groups);
    root.append(mapCard, spofCard(m.spof, select), changesCard(m));
    const svg = await fetchSvg(note);
    if (svg && CB.isCurrent("service-map")) {
      for (const [k, v] of bindNodes(svg, nodes, select)) groups.set(k, v);
      mapBox.append(svg);
      mapCol.append(legend(svg, m.edges));
    }
  }

  CB.page("service-map", { title: "Service map", key: "m", render });
})();

/* allowlists.js -- the Allowlists page (#/allowlists): the worker-image allowlist, the
 * container allowlist, and a picker over the newest container inventory snapshot (name,
 * image, state and, for listed containers, their compose labels: never env values). */
"use strict";
(function () {
  const { el, api, card } = CB;
  const IMAGES = "/api/worker-images/";
  const CONTAINERS = "/api/containers/";
  const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

  /* Every entry of a list (at most 20 pages of 200). */
  const all = (path) => CB.all(path + "?page_size=200", 20);

  /* A status line for one section: say(text) or say(text, true) for an error. */
  function statusLine(id) {
    const p = el("p", { id, class: "msg", role: "status", "aria-live": "polite" });
    p.say = (text, isError) => {
      p.textContent = text;
      p.className = isError ? "msg error" : "msg";
    };
    return p;
  }

  /* DELETE entry x of list path, then reload(); says what happened on msg. */
  async function removeEntry(path, x, label, msg, reload) {
    try {
      await api("DELETE", path + x.id + "/");
      await reload();
      msg.say("Removed " + label + ".");
      msg.focus();
      return true;
    } catch (e) { msg.say(e.message, true); return false; }
  }

  /* A Remove button that asks first: it turns into "Remove X?" [Yes, remove] [Cancel],
   * with the focus on the confirm button; Escape or Cancel goes back. */
  function removeControl(label, onYes) {
    const cell = el("span", { class: "remove" });
    const ask = el("button", { type: "button", class: "danger ask", text: "Remove",
                               "aria-label": "Remove " + label });
    const yes = el("button", { type: "button", class: "danger confirm", text: "Yes, remove" });
    const no = el("button", { type: "button", class: "secondary cancel", text: "Cancel" });
    const q = el("span", { class: "confirm-q", text: "Remove " + label + "?" });
    function asking(on) {
      if (on) { cell.replaceChildren(q, yes, no); yes.focus(); }
      else { cell.replaceChildren(ask); ask.focus(); }
    }
    ask.addEventListener("click", () => asking(true));
    no.addEventListener("click", () => asking(false));
    cell.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && cell.contains(yes)) asking(false); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      if (!(await onYes())) { yes.disabled = false; asking(false); }
    });
    cell.append(ask);
    return cell;
  }

  /* A checkbox that PATCHes {is_active} of entry path; reverts and says why on failure. */
  function activeToggle(path, entry, label, msg) {
    const box = el("input", { type: "checkbox", class: "active", "aria-label": "Active: " + label });
    box.checked = !!entry.is_active;
    box.addEventListener("change", async () => {
      try {
        await api("PATCH", path + entry.id + "/", { is_active: box.checked });
        msg.say((box.checked ? "Enabled " : "Disabled ") + label + ".");
      } catch (e) {
        box.checked = !box.checked;
        msg.say(e.message, true);
      }
    });
    return box;
  }

  function imageRef(x) {
    return x.image_name + ":" + x.image_tag + (x.digest ? "@" + x.digest : "");
  }

  function limitsText(x) {
    const parts = [];
    if (x.memory_mb !== null && x.memory_mb !== undefined) parts.push(x.memory_mb + " MiB");
    if (x.cpus !== null && x.cpus !== undefined) parts.push(x.cpus + " CPU");
    if (x.pids_limit !== null && x.pids_limit !== undefined) parts.push(x.pids_limit + " pids");
    return parts.length ? parts.join(", ") : "defaults";
  }

  function gpuText(x) {
    if (!x.requires_gpu) return "no";
    return x.min_vram_mb ? "yes, " + x.min_vram_mb + " MiB VRAM" : "yes";
  }

  /* A labelled input for a form: field(name, label, attrs). */
  function field(name, label, attrs) {
    const id = "img-" + name.replace(/_/g, "-");
    const input = el("input", Object.assign({ id, name }, attrs || {}));
    if (attrs && attrs.type === "checkbox")
      return el("label", { class: "check", children: [input, " " + label] });
    return el("div", { class: "field", children: [el("label", { for: id, text: label }), input] });
  }

  /* The body of the image form: only the fields given; numbers as numbers. */
  function imageBody(form) {
    const body = {};
    for (const input of form.querySelectorAll("input")) {
      if (input.type === "checkbox") body[input.name] = input.checked;
      else if (input.value.trim() === "") continue;
      else if (input.type === "number") body[input.name] = Number(input.value);
      else body[input.name] = input.value.trim();
    }
    return body;
  }

  function imagesSection(st) {
    const msg = statusLine("images-msg");
    const wrap = el("div", { class: "table-wrap" });
    const form = el("form", { id: "image-form", class: "entry-form", children: [
      field("image_name", "Image (name[:tag])", { required: "", placeholder: "registry/name:tag",
                                                 maxlength: 512, autocomplete: "off" }),
      field("image_tag", "Tag (when not in the name)", { maxlength: 128, autocomplete: "off" }),
      field("digest", "Digest pin (sha256:…)", { maxlength: 71, autocomplete: "off" }),
      field("memory_mb", "Memory MiB", { type: "number", min: 16, max: 1048576 }),
      field("cpus", "CPUs", { type: "number", min: 0.01, max: 256, step: 0.01 }),
      field("pids_limit", "Processes", { type: "number", min: 16, max: 32768 }),
      field("min_vram_mb", "Min VRAM MiB", { type: "number", min: 0, max: 16777216 }),
      field("requires_gpu", "Needs a GPU", { type: "checkbox" }),
      field("is_active", "Active", { type: "checkbox", checked: "" }),
      el("button", { type: "submit", id: "image-add", text: "Add image" })] });

    function draw() {
      const rows = st.images.map((x) => [imageRef(x), gpuText(x), limitsText(x),
        activeToggle(IMAGES, x, imageRef(x), msg), CB.when(x.created_at),
        removeControl(imageRef(x), () => removeEntry(IMAGES, x, imageRef(x), msg, reload))]);
      const t = CB.table(["Image", "GPU", "Limits", "Active", "Added", ""], rows,
                         (i) => ({ id: String(st.images[i].id) }));
      t.id = "images";
      wrap.replaceChildren(st.images.length ? t : el("p", { class: "empty", text: "No worker image is allowlisted: no job can start in the docker runtime." }));
    }
    async function reload() { st.images = await all(IMAGES); draw(); }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const x = await api("POST", IMAGES, imageBody(form));
        form.reset();
        await reload();
        msg.say("Added " + imageRef(x) + ".");
      } catch (e) { msg.say(e.message, true); }
    });
    msg.tabIndex = -1;
    st.drawImages = draw;
    const c = card("Worker images", el("p", { class: "hint", text: "Workers start only from these images (the reference is kept normalised)." }),
                   wrap, el("h3", "Add a worker image"), form, msg);
    c.id = "images-card";
    return c;
  }

  /* The allowlist entry that names inventory item it (name, full id or an id prefix). */
  function entryFor(entries, it) {
    return entries.find((x) => x.container_ref === it.name || x.container_ref === it.container_id ||
      (x.container_ref.length >= 12 && it.container_id.startsWith(x.container_ref)));
  }

  /* The compose labels of a listed container's details, as "key=value" text lines. */
  function labelsCell(it) {
    const labels = it.details && it.details.labels;
    if (!labels || typeof labels !== "object" || !Object.keys(labels).length) return "";
    return el("ul", { class: "labels", children: Object.entries(labels).map(([k, v]) => el("li", k + "=" + String(v))) });
  }

  function containersSection(st) {
    const msg = statusLine("containers-msg");
    msg.tabIndex = -1;
    const wrap = el("div", { class: "table-wrap" });
    const form = el("form", { id: "container-form", class: "entry-form", children: [
      el("div", { class: "field", children: [el("label", { for: "ct-ref", text: "Container name or id" }),
        el("input", { id: "ct-ref", name: "container_ref", required: "", maxlength: 128, autocomplete: "off" })] }),
      el("div", { class: "field", children: [el("label", { for: "ct-note", text: "Note" }),
        el("input", { id: "ct-note", name: "note", maxlength: 1024, autocomplete: "off" })] }),
      el("button", { type: "submit", id: "container-add", text: "Add container" })] });

    function draw() {
      const rows = st.containers.map((x) => [x.container_ref, x.note || "",
        activeToggle(CONTAINERS, x, x.container_ref, msg), CB.when(x.created_at),
        removeControl(x.container_ref, () => removeEntry(CONTAINERS, x, x.container_ref, msg, reload))]);
      const t = CB.table(["Container", "Note", "Active", "Added", ""], rows,
                         (i) => ({ id: String(st.containers[i].id), ref: st.containers[i].container_ref }));
      t.id = "containers";
      wrap.replaceChildren(st.containers.length ? t : el("p", { class: "empty", text: "No container is allowlisted: none is inspected or read." }));
      if (st.drawPicker) st.drawPicker();
    }
    async function reload() { st.containers = await all(CONTAINERS); draw(); }
    async function add(body) {
      try {
        const x = await api("POST", CONTAINERS, body);
        await reload();
        msg.say("Added " + x.container_ref + ".");
        return true;
      } catch (e) { msg.say(e.message, true); return false; }
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { container_ref: form.container_ref.value.trim(), is_active: true };
      if (form.note.value.trim()) body.note = form.note.value.trim();
      if (await add(body)) form.reset();
    });
    st.addContainer = add;
    st.drawContainers = draw;
    const c = card("Containers", el("p", { class: "hint", text: "Only these containers are inspected, read or named in reports." }),
                   wrap, el("h3", "Add a container"), form, msg);
    c.id = "containers-card";
    return c;
  }

  function pickerSection(st) {
    const msg = statusLine("inventory-msg");
    const info = el("p", { id: "inventory-info", class: "hint" });
    const wrap = el("div", { class: "table-wrap" });
    const refresh = el("button", { type: "button", id: "refresh-inventory", text: "Refresh inventory" });

    function row(it) {
      const entry = entryFor(st.containers, it);
      const ref = NAME_RE.test(it.name) ? it.name : it.container_id;
      let action;
      if (entry) action = el("span", { class: "listed", text: entry.is_active ? "listed" : "listed (inactive)" });
      else {
        action = el("button", { type: "button", class: "pick", text: "Allowlist",
                                "aria-label": "Allowlist " + (it.name || it.container_id) });
        action.addEventListener("click", async () => {
          action.disabled = true;
          if (!(await st.addContainer({ container_ref: ref, is_active: true }))) action.disabled = false;
        });
      }
      return [it.name, it.image, it.status ? it.state + " (" + it.status + ")" : it.state, labelsCell(it), action];
    }
    function draw() {
      const snap = st.snap;
      if (!snap) {
        info.textContent = "No inventory snapshot yet: refresh to list the engine's containers.";
        wrap.replaceChildren();
        return;
      }
      const items = snap.items || [];
      info.textContent = "Snapshot #" + snap.id + " (" + snap.source + "), " + CB.when(snap.taken_at) +
        ": " + items.length + " container" + (items.length === 1 ? "" : "s") + ".";
      const t = CB.table(["Name", "Image", "State", "Labels", ""], items.map(row),
                         (i) => ({ id: items[i].container_id, name: items[i].name }));
      t.id = "inventory";
      wrap.replaceChildren(t);
    }
    async function load() {
      try { st.snap = await api("GET", "/api/inventory/latest/"); }
      catch (e) { if (e.status !== 404) msg.say(e.message, true); st.snap = null; }
      draw();
    }
    refresh.addEventListener("click", async () => {
      refresh.disabled = true;
      msg.say("Taking a snapshot…");
      try {
        await api("POST", "/api/inventory/snapshot/");
        await load();
        msg.say("Snapshot taken.");
      } catch (e) {
        msg.say(e.status === 503 ? "The Docker engine does not answer: " + e.message : e.message, true);
      }
      refresh.disabled = false;
    });
    st.drawPicker = draw;
    st.loadPicker = load;
    const c = card("Pick from the inventory", info, el("p", { class: "hint", text: "Every container the engine knows, by name, image and state. A listed container's compose labels show from its next snapshot; environment values are never read." }),
                   refresh, msg, wrap);
    c.id = "picker";
    return c;
  }

  async function render(root) {
    const st = { images: [], containers: [], snap: null };
    const images = imagesSection(st);
    const containers = containersSection(st);
    const picker = pickerSection(st);
    root.classList.add("grid");
    for (const c of [images, containers, picker]) c.classList.add("wide");
    root.append(images, containers, picker);
    [st.images, st.containers] = await Promise.all([all(IMAGES), all(CONTAINERS)]);
    st.drawImages();
    st.drawContainers();
    await st.loadPicker();
  }

  CB.page("allowlists", { title: "Allowlists", key: "a", render });
})();

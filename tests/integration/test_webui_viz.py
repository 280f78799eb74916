# SPDX-License-Identifier: MIT
# test_webui_viz.py -- the web UI's GPU page (#/gpus) and service map page (#/service-map) in
# a real headless Chromium (#10). GPU samples come from the fake nvidia-smi replaying a real
# capture (see test_gpu.py), with two GPUs and a hostile GPU name; the service map from real
# Docker networks and containers (created, never started: nothing can send them traffic),
# with a hostile network name and compose project label. Both pages must show what the API
# says, keep every name as text, and never run a script the data brought.
import os
import secrets

import pytest

from browser import chrome, phone_overflow, screenshot, ui_login, ui_open  # noqa: F401
from test_gpu import CAPS, RTX4080, fake_bin, gpu_job, gpu_server  # noqa: F401 (fixture)

HOSTILE = "<img src=x onerror=window.__xss=1>"
NO_XSS = ("return document.querySelectorAll('#view img, #view script, #view foreignObject')"
          ".length === 0 && window.__xss === undefined")


def hostile_capture(tmp_path):
    """The RTX 4080 capture with the GPU's name replaced by markup."""
    with open(os.path.join(CAPS, RTX4080)) as f:
        text = f.read().replace("NVIDIA GeForce RTX 4080 SUPER", HOSTILE)
    path = tmp_path / "hostile-gpu.txt"
    path.write_text(text)
    return str(path)


def set_state(server, capture, state, gpus):
    with open(server.fake_conf, "w") as f:
        f.write("FAKE_NVSMI_CAPTURE=%s\nFAKE_NVSMI_STATE=%s\nFAKE_NVSMI_GPUS=%d\n" % (
            capture, state, gpus))


def cells(chrome, css):
    return chrome.js("return [...document.querySelectorAll(arguments[0])].map("
                     "tr => [...tr.children].map(td => td.textContent))", css)


def series(chrome, key):
    """Each line of chart KEY: its label, the polyline's points and the dots' values."""
    return chrome.js(
        "return [...document.querySelectorAll('svg[data-chart=' + arguments[0] + '] g.series')]"
        ".map(g => ({label: g.dataset.series,"
        " points: g.querySelector('polyline').getAttribute('points').trim().split(/\\s+/)"
        "   .filter(Boolean).length,"
        " values: [...g.querySelectorAll('circle')].map(c => Number(c.dataset.value)),"
        " titles: [...g.querySelectorAll('circle > title')].map(t => t.textContent)}))", key)


def watch_csp(chrome):
    """Collect the page's Content-Security-Policy violations (until the next reload)."""
    chrome.js("window.__csp = []; document.addEventListener('securitypolicyviolation',"
              " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))")


def csp_violations(chrome):
    return chrome.js("return window.__csp")


def fmt(v, unit=""):
    return "—" if v is None else "%s%s" % (v, " " + unit if unit else "")


def test_gpu_page_latest_history_and_hostile_name(make_instance, fake_bin, chrome, tmp_path):
    cap = hostile_capture(tmp_path)
    server = gpu_server(make_instance, fake_bin, cap, FAKE_NVSMI_GPUS="2")
    # No gpu_report yet: the page says so.
    ui_login(chrome, server, "gpus")
    empty = chrome.wait("const p = document.getElementById('gpu-empty'); return p && p.textContent")
    assert "No GPU samples yet" in empty and "gpu_report" in empty
    # Two samples: under load, then idle.
    for state in ("load", "idle"):
        set_state(server, cap, state, 2)
        run, job = gpu_job(server)
        assert run["status"] == "success", job
    latest = server.get("/api/gpus/").json()
    assert len(latest["gpus"]) == 2 and latest["job_id"] == job["id"]
    assert [g["name"] for g in job["summary"]["gpus"]] == [HOSTILE, HOSTILE]
    chrome.js("location.reload()")
    chrome.wait("return document.querySelector('#gpu-history[data-window=\"24h\"] svg')")
    watch_csp(chrome)

    # The newest sample: one row per GPU with the API's numbers, the name as text.
    rows = cells(chrome, "#gpu-latest tbody tr")
    assert len(rows) == 2
    for row, g in zip(rows, latest["gpus"]):
        assert row[0] == "GPU %d · %s" % (g["gpu_index"], HOSTILE)
        assert row[1] == g["gpu_uuid"]
        assert row[2] == fmt(g["utilization_gpu_pct"], "%")
        assert row[3] == "%s / %s" % (fmt(g["memory_used_mib"]), fmt(g["memory_total_mib"], "MiB"))
        assert row[4].startswith(fmt(g["temperature_c"], "°C"))
        assert row[5] == "%.1f / %.1f W" % (g["power_draw_w"], g["power_limit_w"])

    # History: one line per GPU with a point per sample, the values the API's.
    hist = server.get("/api/gpus/?from=2000-01-01T00:00:00Z&page_size=200").json()["results"]
    assert len(hist) == 4
    for key, field in (("util", "utilization_gpu_pct"), ("mem", "memory_used_mib"),
                       ("temp", "temperature_c")):
        lines = series(chrome, key)
        assert len(lines) == 2, (key, lines)
        for line in lines:
            index = int(line["label"].split(" ")[1])
            want = [r[field] for r in reversed(hist) if r["gpu_index"] == index]
            assert line["label"] == "GPU %d · %s" % (index, HOSTILE)
            assert line["points"] == 2 and line["values"] == want, (key, line, want)
            assert all(t.startswith(line["label"] + " · ") for t in line["titles"])
        # The same numbers as a table for screen readers.
        assert chrome.js("return document.querySelectorAll("
                         "'figure[data-chart=%s] details table tbody tr').length" % key) == 4
    # VRAM by container: the load sample's processes are all "other", one line per GPU.
    conts = server.get("/api/gpus/containers/?from=2000-01-01T00:00:00Z").json()["results"]
    lines = series(chrome, "containers")
    assert sorted(x["label"] for x in lines) == ["other on GPU 0", "other on GPU 1"]
    assert sorted(v for x in lines for v in x["values"]) == sorted(
        c["used_memory_mib"] for c in conts)
    assert chrome.js(NO_XSS)
    chrome.resize(1200, 1500)
    screenshot(chrome, "gpus")

    # The window buttons (real clicks) redraw the charts and mark the pressed one.
    for win in ("1h", "7d"):
        chrome.click("button[data-window='%s']" % win)
        chrome.wait("return document.querySelector('#gpu-history[data-window=\"%s\"] svg')" % win)
        pressed = chrome.js("return [...document.querySelectorAll('button[aria-pressed=true]')]"
                            ".map(b => b.dataset.window)")
        assert pressed == [win]
        assert len(series(chrome, "util")) == 2
    assert chrome.js("return location.hash") == "#/gpus/7d"
    assert chrome.js(NO_XSS) and csp_violations(chrome) == []
    assert phone_overflow(chrome) <= 0
    assert not chrome.js("return document.querySelector('#gpu-history [data-cut]')")

    # A window with more rows than the page reads says so (the page's fetch of the history is
    # answered with an endless `next`, in the browser): bounded reads, then a note.
    chrome.js("window.__pages = 0; const real = window.fetch;"
              "window.fetch = async (u, o) => { const r = await real(u, o);"
              " if (!/^\\/api\\/gpus\\/\\?/.test(String(u))) return r;"
              " window.__pages++; const j = await r.json(); j.next = String(u);"
              " return new Response(JSON.stringify(j), {status: r.status,"
              " headers: {'Content-Type': 'application/json'}}); };")
    chrome.click("button[data-window='24h']")
    note = chrome.wait("const p = document.querySelector('#gpu-history [data-cut]');"
                       "return p && p.textContent")
    assert "only the newest are drawn" in note
    assert chrome.js("return window.__pages") == 25
    assert len(series(chrome, "util")) == 2


# ---- service map ----

from test_service_map import allow, busybox_image, docker, map_run  # noqa: E402,F401 (fixture)


DEPENDS = "com.docker.compose.depends_on="


def all_of(chrome, css, expr):
    """expr (of e) for each element matching css, e.g. all_of(c, "li", "e.textContent")."""
    return chrome.js("return [...document.querySelectorAll(arguments[0])].map(e => %s)" % expr,
                     css)


@pytest.fixture
def topology(busybox_image):  # noqa: F811
    """db <- api <- web (compose depends_on) on two internal networks, one named with
    markup, the compose project label too; created, never started. Removed at teardown."""
    p = "cbui" + secrets.token_hex(4)
    s = {"project": p + HOSTILE.replace("__xss=1", "__xss=2"), "back": p + "_back",
         "front": p + "_front" + HOSTILE.replace("__xss=1", "__xss=3"),
         "names": {svc: "%s-%s-1" % (p, svc) for svc in ("db", "api", "web")}}
    made, nets = [], []
    try:
        ids = {}
        for net in (s["back"], s["front"]):
            ids[net] = docker("network", "create", "--internal", net)
            nets.append(ids[net])
        n = s["names"]
        for svc, net, extra in (
                ("db", s["back"], ["--network-alias", "db"]),
                ("api", s["back"], ["--label", DEPENDS + "db:service_started:false"]),
                ("web", s["front"], ["--label", DEPENDS + "api:service_started:false"])):
            made.append(docker("create", "--name", n[svc], "--network", ids[net],
                               "--label", "com.docker.compose.project=" + s["project"],
                               "--label", "com.docker.compose.service=" + svc, *extra,
                               busybox_image, "/bin/sleep", "600"))
        docker("network", "connect", ids[s["front"]], n["api"])
        yield s
    finally:
        if made:
            docker("rm", "-f", *made, check=False)
        for net in nets:
            docker("network", "rm", net, check=False)


def reopen_map(chrome):
    """Leave the page and come back (no reload) once a new map exists."""
    ui_open(chrome, "dashboard")
    ui_open(chrome, "service-map")
    chrome.wait("return document.querySelector('#svcmap svg g.node[data-node-id]')")


def impact_shown(chrome):
    return sorted(chrome.js("return [...document.querySelectorAll('#impact li')].map("
                            "li => [li.dataset.nodeId, Number(li.dataset.depth)])"))


def impact_api(server, node_id):
    r = server.get("/api/service-map/impact/", params={"node": node_id})
    assert r.status_code == 200, r.text
    return sorted([x["id"], x["depth"]] for x in r.json()["impacted"])


def test_service_map_page_impact_and_hostile_names(server, chrome, topology):
    s, n = topology, topology["names"]
    ui_login(chrome, server, "service-map")
    empty = chrome.wait("const p = document.getElementById('svcmap-empty');"
                        "return p && p.textContent")
    assert "No service map yet" in empty and "service_map" in empty
    watch_csp(chrome)
    allow(server, list(n.values()))
    _, m = map_run(server)
    reopen_map(chrome)

    # One node group per node of the map, each a focusable button; the names are text.
    ids = all_of(chrome, "#svcmap g.node", "e.dataset.nodeId")
    assert sorted(ids) == sorted(x["id"] for x in m["nodes"])
    for svc in n.values():
        assert "container:" + svc in ids
    assert set(all_of(chrome, "#svcmap g.node", "e.getAttribute('tabindex') + ' ' + "
                  "e.getAttribute('role')")) == {"0 button"}
    texts = all_of(chrome, "#svcmap text", "e.textContent")
    assert s["front"] in texts and s["project"] in texts and n["db"] in texts
    assert chrome.js(NO_XSS)
    spof = all_of(chrome, "#spof tbody tr", "e.dataset.nodeId")
    assert sorted(spof) == sorted(x["id"] for x in m["spof"])
    assert "first map" in chrome.js("return document.getElementById('changes').textContent")
    # The key lists the map's edge types with their counts.
    types = {}
    for e in m["edges"]:
        types[e["type"]] = types.get(e["type"], 0) + 1
    assert all_of(chrome, ".edge-types li", "e.textContent") == [
        "%s (%d)" % kv for kv in sorted(types.items())]
    assert {"depends_on", "shares_network"} <= set(types)

    # A real click on db: the impact list is the API's, and those nodes are highlighted.
    db = "container:" + n["db"]
    chrome.click("#svcmap g.node[data-node-id='%s']" % db)
    chrome.wait("return document.querySelector('#impact[data-node=\"%s\"]:not([aria-busy])')" % db)
    want = impact_api(server, db)
    assert ["container:" + n["api"], 1] in want and ["container:" + n["web"], 2] in want
    assert impact_shown(chrome) == want
    lit = all_of(chrome, "#svcmap g.node.impacted", "e.dataset.nodeId")
    assert sorted(lit) == sorted(x[0] for x in want)
    assert all_of(chrome, "#svcmap g.node.selected", "e.dataset.nodeId") == [db]
    assert n["db"] in chrome.js("return document.getElementById('impact-title').textContent")
    screenshot(chrome, "service-map")

    # Keyboard: Enter on a focused node (the front network) shows its impact.
    front = "network:" + s["front"]
    chrome.js("document.querySelector('#svcmap g.node[data-node-id=\"' + CSS.escape(arguments[0])"
              " + '\"]').focus()", front)
    chrome.keys("\ue007")
    chrome.js("window.__want = arguments[0]", front)
    chrome.wait("const b = document.getElementById('impact'); return b.dataset.node === "
                "window.__want && !b.hasAttribute('aria-busy')")
    assert impact_shown(chrome) == impact_api(server, front)
    assert chrome.js(NO_XSS)

    # The downloads answer with the map's text.
    hrefs = all_of(chrome, ".downloads a", "e.getAttribute('href')")
    assert hrefs == ["/api/service-map/latest.dot", "/api/service-map/latest.mmd",
                     "/api/service-map/latest.svg"]
    dot = chrome.js("return fetch('/api/service-map/latest.dot').then(r => r.text())")
    assert dot.startswith("digraph service_map {")
    assert phone_overflow(chrome) <= 0
    chrome.resize(1200, 900)

    # Remove web: the next map's page lists it under the changes.
    docker("rm", "-f", n["web"])
    map_run(server)
    reopen_map(chrome)
    changes = chrome.js("return document.getElementById('changes').textContent")
    assert "Nodes removed" in changes and n["web"] in changes
    assert chrome.js(NO_XSS) and csp_violations(chrome) == []


HOSTILE_SVG = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="200pt" height="100pt" viewBox="0 0 200 100" onload="window.__xss=4">
<script>window.__xss = 5;</script>
<g id="node1" class="node container" onclick="window.__xss=6" style="fill:red">
<title>n0</title>
<a xlink:href="javascript:window.__xss=7" href="https://example.invalid/">
<polygon points="0,0 10,0 10,10"/></a>
<text x="5" y="5">db</text>
<foreignObject width="10" height="10">
<img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="window.__xss=8"/></foreignObject>
<animate attributeName="href" to="javascript:alert(1)"/>
<a href="#node1"><text>inner</text></a>
</g>
</svg>"""


def test_service_map_svg_is_sanitised(server, chrome, topology):
    """Whatever the SVG holds, only plain shapes and text reach the page: the page's fetch of
    latest.svg is answered with a hostile SVG (in the browser) over a real map."""
    allow(server, [topology["names"]["db"]])
    map_run(server)
    ui_login(chrome, server)
    chrome.js("const real = window.fetch; window.fetch = (u, o) => String(u).endsWith('latest.svg')"
              " ? Promise.resolve(new Response(arguments[0], {headers: {'Content-Type':"
              " 'image/svg+xml'}})) : real(u, o);", HOSTILE_SVG)
    ui_open(chrome, "service-map")
    chrome.wait("return document.querySelector('#svcmap svg g.node[data-node-id]')")
    got = chrome.js(
        "const s = document.querySelector('#svcmap svg');"
        "const all = [s, ...s.querySelectorAll('*')];"
        "return {tags: [...new Set(all.map(e => e.localName))].sort(),"
        " attrs: [...new Set(all.flatMap(e => [...e.attributes].map(a => a.name)))].sort(),"
        " hrefs: all.flatMap(e => [...e.attributes].filter(a => a.localName === 'href')"
        "   .map(a => a.value))}")
    assert set(got["tags"]) <= {"svg", "g", "title", "polygon", "text", "a"}, got
    assert not [a for a in got["attrs"] if a.startswith("on") or a in ("style", "id")], got
    assert got["hrefs"] == ["#node1"], got
    # (DOMParser's inert document already refuses the handlers under the page's CSP; what is
    # checked here is that none of them reaches the page.)
    assert chrome.js(NO_XSS)
    # The one node still works as a button (n0 is the map's first node): Enter on it.
    chrome.js("document.querySelector('#svcmap g.node').focus()")
    chrome.keys("\ue007")
    chrome.wait("return document.querySelector('#impact[data-node]:not([aria-busy])')")

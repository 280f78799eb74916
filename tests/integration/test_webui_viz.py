# SPDX-License-Identifier: MIT
# test_webui_viz.py -- the web UI's GPU page (#/gpus) and service map page (#/service-map) in
# a real headless Chromium (#10). GPU samples come from the fake nvidia-smi replaying a real
# capture (see test_gpu.py), with two GPUs and a hostile GPU name; the service map from real
# Docker networks and containers (created, never started: nothing can send them traffic),
# with a hostile network name and compose project label. Both pages must show what the API
# says, keep every name as text, and never run a script the data brought.
import os

from browser import chrome, screenshot, ui_login, ui_open  # noqa: F401 (fixture)
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
    assert chrome.js(NO_XSS)

# SPDX-License-Identifier: MIT
# test_webui_run.py -- the run detail page (#/run/ID) in a real headless Chromium, on SQLite
# and PostgreSQL: a log_triage run over a log file named <img src=x onerror=alert(1)>.log with
# hostile lines, opened from the dashboard's link while its job waits on a gate; the job's
# progress and the run's end arrive live (no reload); the server-rendered report (heading,
# tables) with the hostile name and lines as text; the JSON view; the artifacts with working
# download links; token counts; "Explain" against the real tiny llama.cpp model of tests/llm,
# streamed into the page in pieces and kept nowhere; Cancel on a running run, and the 409 of
# a run that ended meanwhile shown as a message. Screenshots: build/screenshots/run-*.png.
import json
import os

from browser import (XSS, chrome, phone_overflow, screenshot, ui_login,  # noqa: F401
                     ui_open)
from conftest import BIN
from test_llm import llm, llm_env  # noqa: F401 (fixture)
from test_report_html import HOSTILE_NAME, write_hostile_logs

OPEN = "['queued','running']"


def gated_worker(tmp):
    """A CYBER_BRAIN_WORKER_BIN that waits until the gate file exists, then runs the real
    worker: the test decides when the job may go on (no timing)."""
    gate = os.path.join(tmp, "gate")
    path = os.path.join(tmp, "gated-worker.sh")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nwhile [ ! -e "%s" ]; do sleep 0.1; done\nexec "%s" "$@"\n' % (gate, BIN))
    os.chmod(path, 0o755)
    return path, gate


def trap_xss(chrome):
    """Any script the page was tricked into running would call alert or set window.__xss."""
    chrome.js("window.alert = () => { window.__xss = 'alert'; }; window.__noReload = true;")


def assert_no_xss(chrome):
    assert chrome.js("return window.__xss === undefined"), chrome.js("return window.__xss")
    assert chrome.js("return window.__noReload === true"), "the page was reloaded"
    assert chrome.js("return document.querySelectorAll('#view img, #view script').length") == 0


def status_text(chrome):
    return chrome.js("return document.querySelector('#run-status').textContent")


def wait_cancel_shown(chrome, run_id):
    chrome.wait("const b = document.querySelector('.page-run[data-run=\"%d\"] #run-cancel');"
                "return b && !b.hidden" % run_id)


def test_run_page_live_report_explain(make_instance, chrome, llm):  # noqa: F811
    inst = make_instance()
    write_hostile_logs(inst.logs)
    worker, gate = gated_worker(inst.tmp)
    env = llm_env(llm.url)
    env["CYBER_BRAIN_WORKER_BIN"] = worker
    server = inst.start(env=env)
    ui_login(chrome, server)
    trap_xss(chrome)
    chrome.wait("return document.querySelector('#view .page-dashboard #launch')")
    chrome.js("for (const c of document.querySelectorAll('input[name=task]'))"
              " c.checked = c.value === 'log_triage';")
    chrome.click("#launch")
    run_id = int(chrome.wait("const tr = document.querySelector('#runs tbody tr');"
                             "return tr && tr.dataset.run"))
    # Open it from the dashboard's link.
    chrome.click('#runs tr[data-run="%d"] a' % run_id)
    chrome.wait("return document.querySelector('#view .page-run #jobs tbody tr')")
    assert chrome.js("return location.hash") == "#/run/%d" % run_id
    assert chrome.js("return %s.includes(document.querySelector('#run-status').textContent)"
                     % OPEN), status_text(chrome)
    assert chrome.js("return !document.querySelector('#run-cancel').hidden")
    assert chrome.js("return document.querySelector('#run-tasks').textContent") == "log_triage"
    # No report yet: the server's 409 detail, as text.
    chrome.wait("return document.querySelector('#report p')")
    assert "no report yet" in chrome.js("return document.querySelector('#report').textContent")
    # Let the job go on: progress, the job and the run end arrive over SSE. Record each
    # progress message the row shows on the way.
    chrome.js("window.__msgs = []; const tb = document.querySelector('#jobs tbody');"
              "new MutationObserver(() => { const t = tb.querySelector('.progress-msg').textContent;"
              " if (t && window.__msgs[window.__msgs.length - 1] !== t) window.__msgs.push(t); })"
              ".observe(tb, {characterData: true, childList: true, subtree: true});")
    open(gate, "w").close()
    chrome.wait("return document.querySelector('#run-status').textContent === 'success'",
                timeout=120)
    chrome.wait("return document.querySelector('#report h1')")
    job = chrome.js("const tr = document.querySelector('#jobs tbody tr');"
                    "return [tr.querySelector('.job-status').textContent,"
                    " tr.querySelector('.job-finished').textContent,"
                    " tr.querySelector('progress').value,"
                    " tr.querySelector('.progress-msg').textContent]")
    # The worker's progress lines came as events: its last message is on the row.
    assert job[0] == "success" and job[1] and job[2] == 100 and job[3] == " done", job
    msgs = chrome.js("return window.__msgs")
    assert msgs[0] == " started" and msgs[-1] == " done" and " reading logs" in msgs, msgs
    assert chrome.js("return document.querySelector('#run-cancel').hidden")
    assert chrome.js("return document.querySelector('#report h1').textContent") == (
        "Cyberbrain run %d" % run_id)
    assert chrome.js("return document.querySelectorAll('#report table').length") >= 2
    report_text = chrome.js("return document.querySelector('#report').textContent")
    assert HOSTILE_NAME in report_text
    assert "<script>window.__xss=1</script>" in report_text
    assert_no_xss(chrome)
    # JSON view: the report's JSON, pretty-printed as text.
    chrome.click("#report-json-view summary")
    rep = json.loads(chrome.wait("return document.querySelector('#report-json').textContent"))
    assert rep["run_id"] == run_id and rep["status"] == "success"
    # Artifacts: names as text, links that download.
    chrome.wait("return document.querySelectorAll('#artifacts a').length >= 3")
    links = chrome.js("return [...document.querySelectorAll('#artifacts a')]"
                      ".map(a => [a.textContent, a.getAttribute('href')])")
    names = [n for n, _ in links]
    assert "report.md" in names and "report.json" in names, links
    for name, href in links:
        assert href == "/api/runs/%d/artifacts/%s" % (run_id, name), (name, href)
    got = chrome.js("return fetch(arguments[0]).then(r => r.text())",
                    dict(links)["report.md"])
    assert got.startswith("# Cyberbrain run %d" % run_id)
    chrome.js("window.scrollTo(0, 0)")
    screenshot(chrome, "run-detail")
    # Token counts before any explanation.
    chrome.wait("return document.querySelector('#token-totals [data-key=total_tokens]')")
    assert chrome.js("return document.querySelector("
                     "'#token-totals [data-key=total_tokens]').textContent") == "0"
    # Explain: streamed in pieces into one text node, then the counts.
    chrome.js("window.__pieces = 0; new MutationObserver((m) => { window.__pieces += m.length; })"
              ".observe(document.querySelector('#explain-text'),"
              " {characterData: true, childList: true, subtree: true});")
    chrome.click("#explain")
    meta = chrome.wait("const t = document.querySelector('#explain-meta').textContent;"
                       "return (t.startsWith('Done') || document.querySelector("
                       "'#explain-meta.error')) && t", timeout=180)
    assert meta.startswith("Done: prompt "), meta
    answer = chrome.js("return document.querySelector('#explain-text').textContent")
    assert "Hello" in answer, answer
    assert chrome.js("return window.__pieces") >= 3  # the node, then two or more pieces
    calls = server.get("/api/llm-calls/?run=%d" % run_id).json()["results"]
    assert len(calls) == 1 and calls[0]["status"] == "success", calls
    assert "total %d tokens" % calls[0]["total_tokens"] in meta, (meta, calls)
    chrome.wait("return document.querySelectorAll('#llm-calls tbody tr').length === 1")
    total = chrome.js("return document.querySelector("
                      "'#token-totals [data-key=total_tokens]').textContent")
    assert total == str(calls[0]["total_tokens"]), total
    chrome.js("document.querySelector('#explain').scrollIntoView()")
    screenshot(chrome, "run-explain")
    # At phone width the page does not scroll sideways (wide tables scroll in their card).
    width = phone_overflow(chrome)
    assert width <= 0, width
    chrome.js("window.scrollTo(0, 0)")
    screenshot(chrome, "run-phone")
    chrome.resize(1200, 900)
    # Kept nowhere in the browser either; gone once the page is left.
    assert chrome.js("return localStorage.length + sessionStorage.length") == 0
    assert answer not in chrome.js("return document.cookie")
    assert_no_xss(chrome)
    ui_open(chrome, "")
    assert answer not in chrome.js("return document.body.textContent")


def test_run_page_cancel_and_conflict(make_instance, chrome):
    inst = make_instance()
    worker, _gate = gated_worker(inst.tmp)
    server = inst.start(env={"CYBER_BRAIN_WORKER_BIN": worker})
    text = "Look at " + XSS + " <script>window.__xss=1</script>"
    run = server.launch({"tasks": ["log_triage"], "directive_text": text})
    ui_login(chrome, server)
    trap_xss(chrome)
    ui_open(chrome, "run/%d" % run["id"])
    wait_cancel_shown(chrome, run["id"])
    # The directive snapshot: name and text, as text.
    assert chrome.js("return document.querySelector('#run-directive').textContent") == "custom"
    assert chrome.js("return document.querySelector('#run-directive-text').textContent") == text
    chrome.click("#run-cancel")
    chrome.wait("return document.querySelector('#run-status').textContent === 'cancelled'")
    chrome.wait("return document.querySelector('#run-cancel').hidden")
    assert chrome.js("return document.querySelector('#run-msg').textContent") == (
        "Cancel requested.")
    assert server.wait_run(run["id"])["status"] == "cancelled"
    chrome.wait("return document.querySelector('#jobs .job-status').textContent === 'cancelled'",
                timeout=60)
    # An ended job without a progress figure does not look busy (no indeterminate bar).
    chrome.wait("return document.querySelector('#jobs progress').hasAttribute('value')")
    chrome.js("window.scrollTo(0, 0)")
    screenshot(chrome, "run-cancel")
    assert_no_xss(chrome)
    # A page that has not heard of the end yet (no live stream here): Cancel answers 409,
    # shown as a message.
    run2 = server.launch({"tasks": ["log_triage"]})
    chrome.js("window.EventSource = class { addEventListener() {} close() {} };")
    ui_open(chrome, "run/%d" % run2["id"])
    wait_cancel_shown(chrome, run2["id"])
    assert server.post("/api/runs/%d/cancel/" % run2["id"]).status_code == 200
    server.wait_run(run2["id"])
    chrome.click("#run-cancel")
    msg = chrome.wait("const m = document.querySelector('#run-msg');"
                      "return m.classList.contains('error') && m.textContent")
    assert msg.startswith("Not cancelled: "), msg
    assert chrome.js("return document.querySelector('#run-msg').getAttribute('role')") == "status"
    assert_no_xss(chrome)

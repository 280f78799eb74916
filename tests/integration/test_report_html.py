# SPDX-License-Identifier: MIT
# test_report_html.py -- GET /api/runs/{id}/report.html on SQLite and PostgreSQL: a real
# log_triage run over log files with hostile names and lines renders (heading, tables) with
# nothing that runs; hostile Markdown planted in the stored report comes out inert; the
# headers (CSP sandbox, nosniff); 404 for an unknown run, 409 while a run has no report,
# 401 without a token; the route is in /api/schema/.
import os
import re
import sqlite3
import subprocess

from conftest import iso
from test_lifecycle import slow_worker

HOSTILE_NAME = "<img src=x onerror=alert(1)>.log"
HOSTILE_LINES = [
    "ERROR <script>window.__xss=1</script> failed for [x](javascript:alert(1))",
    "ERROR <img src=x onerror=alert(2)> | pipe | `tick` **bold** # hash",
    "WARN &lt;script&gt; entity and <a href=\"javascript:alert(3)\">link</a>",
]
HOSTILE_MD = """# Planted report

<script>window.__xss = 1</script>

<img src=x onerror="window.__xss=2">

<div onclick="alert(1)">raw block</div>

[click](javascript:alert(1)) [vb](vbscript:msgbox(1)) [d](data:text/html,<script>x</script>)
![img](javascript:alert(2)) <javascript:alert(3)>

| name | value |
|---|---|
| <script>alert(4)</script> | <img src=x onerror=alert(5)> |
| &lt;b&gt; | [r] |

[r]: javascript:alert(6)
"""
TAG_RE = re.compile(r"<[a-zA-Z][^>]*>")


def write_hostile_logs(logs_dir):
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=2)
    lines = ["%s %s" % (iso(now + datetime.timedelta(seconds=i)), text)
             for i, text in enumerate(HOSTILE_LINES)]
    with open(os.path.join(logs_dir, HOSTILE_NAME), "w") as f:
        f.write("\n".join(lines) + "\n")


def assert_inert(html):
    """No element or attribute that runs: no script-like tag, no on* attribute in any tag,
    no javascript:/vbscript:/data:text URL in an attribute."""
    low = html.lower()
    for tag in ("<script", "<iframe", "<object", "<embed", "<svg", "<style", "<img src=x",
                "<a href=\"javascript", "<form", "<base", "<meta"):
        assert tag not in low, (tag, html)
    for m in TAG_RE.finditer(html):
        tag = re.sub(r'"[^"]*"', '""', m.group(0))  # quoted values are text
        assert not re.search(r"\son[a-z]+\s*=", tag, re.I), (tag, html)
        assert not re.search(r"(javascript|vbscript|data:text)", tag, re.I), (m.group(0), html)


def plant_report(inst, run_id, md):
    sql = "UPDATE runs SET report_md = %s WHERE id = %d"
    if inst.backend == "sqlite":
        db = sqlite3.connect(inst.env["CYBER_BRAIN_DB"], timeout=10)
        db.execute(sql % ("?", run_id), (md,))
        db.commit()
        db.close()
    else:
        subprocess.run(["psql", "-Atq", "-v", "ON_ERROR_STOP=1", "-v", "md=" + md,
                        inst.pg_conninfo, "-f", "-"], input=sql % (":'md'", run_id) + ";\n",
                       check=True, capture_output=True, text=True, timeout=30)


def test_report_html_of_a_hostile_run(make_instance):
    inst = make_instance()
    write_hostile_logs(inst.logs)
    server = inst.start()
    run = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"], timeout=120)
    assert run["status"] == "success", run
    rep = server.wait_report(run["id"])
    assert rep["markdown"], rep
    r = server.get("/api/runs/%d/report.html" % run["id"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    html = r.text
    assert "<h1>Cyberbrain run %d</h1>" % run["id"] in html
    assert "<table>" in html and "<th>template</th>" in html
    assert_inert(html)
    # The hostile name and lines are there, as text.
    assert "&lt;img src=x onerror=alert(1)&gt;.log" in html
    assert "&lt;script&gt;" in html
    # The trailing slash form is the same route.
    assert server.get("/api/runs/%d/report.html/" % run["id"]).text == html


def test_report_html_planted_markdown(make_instance):
    inst = make_instance()
    server = inst.start()
    run = server.wait_run(server.launch({"tasks": ["gpu_report"]})["id"], timeout=120)
    assert server.wait_report(run["id"])["markdown"]
    plant_report(inst, run["id"], HOSTILE_MD)
    r = server.get("/api/runs/%d/report.html" % run["id"])
    assert r.status_code == 200, r.text
    html = r.text
    assert "<h1>Planted report</h1>" in html
    assert "<td>&lt;b&gt;</td>" in html
    assert "raw HTML omitted" in html
    assert html.count("<table>") == 1
    assert_inert(html)
    # A report the renderer refuses (an over-wide table): 413 with a detail, not a crash.
    plant_report(inst, run["id"], "|a" * 3000 + "|\n" + "|-" * 3000 + "|\n" + "x\n" * 100)
    r = server.get("/api/runs/%d/report.html" % run["id"])
    assert r.status_code == 413, r.text
    assert "cells" in r.json()["detail"]


def test_report_html_errors(make_instance):
    inst = make_instance()
    server = inst.start(env={"CYBER_BRAIN_WORKER_BIN": slow_worker(inst.tmp, 30)})
    r = server.get("/api/runs/999999/report.html")
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    run = server.launch({"tasks": ["log_triage"]})
    r = server.get("/api/runs/%d/report.html" % run["id"])
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("The run has no report yet")
    r = server.get("/api/runs/%d/report.html" % run["id"], auth=False)
    assert r.status_code == 401
    assert server.post("/api/runs/%d/cancel/" % run["id"]).status_code == 200
    paths = server.get("/api/schema/").json()["paths"]
    assert "get" in paths["/api/runs/{id}/report.html"]

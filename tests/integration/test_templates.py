# SPDX-License-Identifier: MIT
# test_templates.py -- log_triage's template history across runs: the first run sets the
# baseline, a later one names brand-new templates and rate spikes (summary, report, API),
# a failed job persists nothing, and no stored template text holds an address from the logs.
import datetime
import os
import sqlite3
import stat
import subprocess

from conftest import BIN, iso

KNOWN = "cache miss for user"
NEW = "disk controller reset unexpectedly"
FAILED_ONLY = "fan tray stopped spinning"
SECRETS = ("alice@example.com", "10.0.0.")
SQL_TEXTS = "SELECT template || ' ' || COALESCE(example, '') FROM triage_templates"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def append(logs, lines):
    with open(os.path.join(logs, "svc.log"), "a") as f:
        f.write("".join(line + "\n" for line in lines))


def known_lines(ts, n):
    return ["%s WARN cache miss for user alice@example.com from 10.0.0.%d" % (iso(ts), i % 250)
            for i in range(n)]


def triage(server):
    run = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"])
    return run, run["jobs"][0]


def find(entries, needle):
    return [e for e in entries if needle in e["template"]]


def stored_texts(inst):
    """Every template text and example in the database, read directly (not via the API)."""
    if inst.backend == "sqlite":
        con = sqlite3.connect(inst.env["CYBER_BRAIN_DB"])
        try:
            return [r[0] for r in con.execute(SQL_TEXTS)]
        finally:
            con.close()
    out = subprocess.run(["psql", "-At", "-v", "ON_ERROR_STOP=1", inst.pg_conninfo, "-c",
                          SQL_TEXTS],
                         check=True, capture_output=True, text=True, timeout=30)
    return out.stdout.splitlines()


def failing_worker(tmp):
    """A worker that does the real work, then reports the job as failed."""
    path = os.path.join(tmp, "failing-worker.py")
    with open(path, "w") as f:
        f.write("#!/usr/bin/python3\n"
                "import json, subprocess, sys\n"
                "args = sys.argv[1:]\n"
                "rc = subprocess.call([%r] + args)\n"
                "p = args[args.index('--output') + 1] + '/result.json'\n"
                "with open(p) as f:\n"
                "    r = json.load(f)\n"
                "r['status'] = 'failed'\n"
                "r['reason'] = 'injected failure'\n"
                "with open(p, 'w') as f:\n"
                "    json.dump(r, f)\n"
                "sys.exit(rc)\n" % BIN)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def test_baseline_new_templates_and_spikes(server):
    inst = server.instance
    append(inst.logs, known_lines(utcnow() - datetime.timedelta(minutes=2), 3))
    first, job1 = triage(server)
    assert first["status"] == "success", first
    tpl1 = job1["summary"]["templates"]
    assert tpl1["baseline"] is True and tpl1["new_templates"] == [] and tpl1["spikes"] == []
    assert "all" not in tpl1  # the full list stays in result.json and the history
    assert "Baseline" in server.wait_report(first["id"])["markdown"]
    rows = server.list_all("/api/templates/")
    known = find(rows, KNOWN)
    assert len(known) == 1 and known[0]["jobs_seen"] == 1 and known[0]["total_count"] == 3, rows
    assert known[0]["example"].startswith("cache miss for user "), known[0]  # redacted below
    between = iso(utcnow())

    append(inst.logs, known_lines(utcnow(), 60) +
           ["%s ERROR disk controller reset unexpectedly" % iso(utcnow())])
    second, job2 = triage(server)
    assert second["status"] == "success", second
    tpl2 = job2["summary"]["templates"]
    assert tpl2["baseline"] is False
    new = find(tpl2["new_templates"], NEW)
    assert len(new) == 1 and new[0]["level"] == "error" and new[0]["count"] == 1, tpl2
    assert not find(tpl2["new_templates"], KNOWN)
    spike = find(tpl2["spikes"], KNOWN)
    assert len(spike) == 1, tpl2
    assert spike[0]["key"] == known[0]["key"] and spike[0]["count"] == 60
    assert spike[0]["ratio"] >= 3 and spike[0]["count"] >= 3 * spike[0]["expected"]
    md = server.wait_report(second["id"])["markdown"]
    assert "### New templates" in md and "### Rate spikes" in md
    assert NEW in md and new[0]["key"] in md and known[0]["key"] in md
    res = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (second["id"], job2["id"]))
    assert res.status_code == 200 and find(res.json()["templates"]["new_templates"], NEW)

    r = server.get("/api/templates/%s/" % known[0]["key"])
    assert r.status_code == 200, r.text
    assert r.json()["jobs_seen"] == 2 and r.json()["total_count"] == 63
    fresh = server.list_all("/api/templates/?new_since=" + between)
    assert find(fresh, NEW) and not find(fresh, KNOWN), fresh
    errors = server.list_all("/api/templates/?level=error")
    assert find(errors, NEW) and all(e["level"] == "error" for e in errors)
    assert server.get("/api/templates/?level=loud").status_code == 400
    assert server.get("/api/templates/?new_since=yesterday").status_code == 400
    assert server.get("/api/templates/0123456789abcdeg/").status_code == 404
    assert server.get("/api/templates/../../etc/").status_code == 404

    texts = stored_texts(inst)
    assert len(texts) == len(server.list_all("/api/templates/")) and texts
    for t in texts:
        assert not any(s in t for s in SECRETS), t


def test_failed_job_persists_no_templates(server):
    inst = server.instance
    first, _ = triage(server)
    assert first["status"] == "success", first
    before = {r["key"]: r for r in server.list_all("/api/templates/")}
    assert before
    inst.stop()
    server = inst.start(env={"CYBER_BRAIN_WORKER_BIN": failing_worker(inst.tmp)})
    append(inst.logs, ["%s ERROR fan tray stopped spinning" % iso(utcnow())] +
           known_lines(utcnow(), 20))
    run, job = triage(server)
    assert run["status"] == "failed" and job["error"] == "injected failure", run
    # The worker did report the templates; the failed job kept none of them.
    res = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"]))
    assert res.status_code == 200 and find(res.json()["templates"]["all"], FAILED_ONLY)
    after = {r["key"]: r for r in server.list_all("/api/templates/")}
    assert after == before
    assert not any(FAILED_ONLY in t for t in stored_texts(inst))


def test_variant_of_known_template_is_not_new(server):
    """A template mined more generally than before (more values seen) is not new."""
    inst = server.instance
    append(inst.logs, ["%s WARN disk sda is full" % iso(utcnow() - datetime.timedelta(minutes=1))])
    first, job1 = triage(server)
    assert first["status"] == "success" and job1["summary"]["templates"]["baseline"], first
    append(inst.logs, ["%s WARN disk %s is full" % (iso(utcnow()), d)
                       for d in ("sdb", "sdc", "sdd", "sde", "sdf")] +
           ["%s ERROR raid array degraded" % iso(utcnow())])
    second, job2 = triage(server)
    assert second["status"] == "success", second
    tpl = job2["summary"]["templates"]
    assert [t["template"] for t in tpl["new_templates"]] == ["raid array degraded"], tpl
    assert tpl["new_templates_total"] == 1 and tpl["variants_total"] == 1, tpl
    # the general form is kept in the history under its own key all the same
    assert find(server.list_all("/api/templates/"), "disk <*> is full")
    md = server.wait_report(second["id"])["markdown"]
    assert "1 variant(s) of known templates" in md
    # the summary: 6 records (1 error, 5 warnings) in 2 templates, 1 new, no spike
    assert ("**Summary:** 6 record(s) (1 error(s), 5 warning(s)) in 2 template(s); "
            "1 new template(s), 0 rate spike(s); 0 error burst(s); ") in md, md

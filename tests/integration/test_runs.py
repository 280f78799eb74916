# SPDX-License-Identifier: MIT
# test_runs.py -- launching runs, directives snapshots, reports, windowing, pagination.
import datetime
import glob
import http.client
import os
import time
import urllib.parse

from conftest import TERMINAL_RUN, iso

ALL_TASKS = {"log_triage", "gpu_report", "service_map"}


def job_tasks(run):
    return sorted(j["task"] for j in run["jobs"])


def test_launch_long_names(server):
    run = server.launch({"tasks": ["log_triage"]})
    assert isinstance(run["id"], int)
    assert run["status"] in ("queued", "running", "success", "partial", "failed")
    assert job_tasks(run) == ["log_triage"]
    for j in run["jobs"]:
        assert j["run_id"] == run["id"]


def test_launch_short_names(server):
    run = server.launch({"tasks": ["task1", "task2"]})
    assert job_tasks(run) == ["gpu_report", "log_triage"]


def test_launch_all_tasks(server):
    run = server.launch({})
    assert set(job_tasks(run)) == ALL_TASKS and len(run["jobs"]) == 3
    run2 = server.launch({"tasks": []})
    assert set(job_tasks(run2)) == ALL_TASKS and len(run2["jobs"]) == 3
    assert run2["id"] != run["id"]


def test_launch_unknown_task(server):
    r = server.post("/api/runs/launch/", json={"tasks": ["log_triage", "no_such_task"]})
    assert r.status_code == 400, r.text
    assert "no_such_task" in r.text
    assert r.headers["Content-Type"].startswith("application/json")
    # nothing was created
    assert server.get("/api/runs/").json()["count"] == 0


def test_launch_unknown_directive(server):
    r = server.post("/api/runs/launch/", json={"tasks": ["log_triage"], "directive_id": 987654})
    assert r.status_code == 404, r.text
    assert r.json().get("detail")
    assert server.get("/api/runs/").json()["count"] == 0


def test_custom_directive_text_snapshot(server):
    text = "Focus on database errors.\nIgnore \"WARN\" lines; ünïcode ✓ kept.\n\ttabs too"
    run = server.launch({"tasks": ["log_triage"], "directive_text": text})
    assert run["directive_snapshot"]["text"] == text
    got = server.run(run["id"])
    assert got["directive_snapshot"]["text"] == text
    assert got["directive_snapshot"] == run["directive_snapshot"]


def test_directive_snapshot_survives_edit_and_delete(server):
    r = server.post("/api/directives/", json={
        "name": "itest directive", "text": "original text v1",
        "description": "made by the integration suite", "config": {"threshold": 3}})
    assert r.status_code == 201, r.text
    d = r.json()
    run = server.launch({"tasks": ["log_triage"], "directive_id": d["id"]})
    snap = run["directive_snapshot"]
    assert snap["name"] == "itest directive"
    assert snap["text"] == "original text v1"
    assert snap["config"] == {"threshold": 3}
    assert run["directive_id"] == d["id"]

    r = server.put("/api/directives/%d/" % d["id"], json={
        "name": "itest directive", "text": "edited text v2", "config": {"threshold": 9}})
    assert r.status_code == 200, r.text
    d2 = r.json()
    assert d2["text"] == "edited text v2"
    assert d2["version"] == d["version"] + 1

    got = server.run(run["id"])
    assert got["directive_snapshot"] == snap

    r = server.delete("/api/directives/%d/" % d2["id"])
    assert r.status_code == 204, r.text
    got = server.run(run["id"])
    assert got["directive_snapshot"] == snap
    assert got["directive_snapshot"]["text"] == "original text v1"


def test_seeded_directive_launch(server):
    ds = server.list_all("/api/directives/")
    assert len(ds) >= 4
    d1 = ds[0]
    run = server.launch({"tasks": ["task1"], "directive_id": d1["id"]})
    assert run["directive_snapshot"]["name"] == d1["name"]
    assert run["directive_snapshot"]["text"] == d1["text"]


def test_run_terminal_and_report(server):
    run = server.launch({"tasks": ["log_triage", "gpu_report", "service_map"]})
    done = server.wait_run(run["id"])
    assert done["status"] in ("success", "partial", "failed")
    assert done["finished_at"]
    for j in done["jobs"]:
        assert j["status"] in ("success", "failed", "cancelled"), j
    rep = server.wait_report(run["id"])
    assert isinstance(rep["markdown"], str) and rep["markdown"].strip()
    assert rep["markdown"].lstrip().startswith("#")
    assert isinstance(rep["json"], dict) and rep["json"]
    assert "token_totals" in rep
    # the report is built just before the run ends: it says when the last job finished
    last = max(j["finished_at"] for j in done["jobs"])
    assert rep["json"]["finished_at"] == last, (rep["json"]["finished_at"], last)
    assert "- Finished: " + last in rep["markdown"]
    folder = os.path.join(server.instance.uploads, "runs", str(run["id"]))
    md = os.path.join(folder, "report.md")
    js = os.path.join(folder, "report.json")
    assert os.path.isfile(md) and os.path.getsize(md) > 0
    assert os.path.isfile(js) and os.path.getsize(js) > 0
    with open(md, encoding="utf-8") as f:
        assert f.read().strip() == rep["markdown"].strip()


def test_log_triage_succeeds_and_counts(server):
    run = server.launch({"tasks": ["log_triage"]})
    done = server.wait_run(run["id"])
    assert done["status"] == "success", done
    job = done["jobs"][0]
    assert job["status"] == "success"
    # The fixture logs hold 3 ERROR, 2 WARN and 2 INFO lines.
    counts = job["summary"]["counts"]
    assert (counts["error"], counts["warn"], counts["info"]) == (3, 2, 2), job["summary"]
    rep = server.wait_report(run["id"])
    assert rep["json"]["jobs"][0]["summary"]["counts"] == counts


def test_since_last_success_windowing(server):
    r = server.get("/api/runs/since-last-success/?task=log_triage")
    assert r.status_code == 200, r.text
    assert r.json()["run"] is None

    first = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"])
    assert first["status"] == "success", first
    first_job = first["jobs"][0]
    assert first_job["window_end"]

    for name in ("log_triage", "task1"):
        r = server.get("/api/runs/since-last-success/?task=" + name)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["run"] is not None and body["run"]["id"] == first["id"]
        assert body["since"] == first_job["window_end"]

    second = server.launch({"tasks": ["log_triage"]})
    assert second["jobs"][0]["window_start"] == first_job["window_end"]
    second = server.wait_run(second["id"])
    assert second["status"] == "success"
    body = server.get("/api/runs/since-last-success/?task=log_triage").json()
    assert body["run"]["id"] == second["id"]
    # Nothing new since the first run: the second window counts nothing.
    assert second["jobs"][0]["summary"]["counts"]["error"] == 0, second["jobs"][0]
    # One new ERROR line after the second window: the third run counts exactly it.
    time.sleep(0.01)
    with open(os.path.join(server.instance.logs, "app.log"), "a") as f:
        f.write("%s ERROR fresh failure\n" % iso(datetime.datetime.now(datetime.timezone.utc)))
    time.sleep(0.01)
    third = server.launch({"tasks": ["log_triage"]})
    assert third["jobs"][0]["window_start"] == second["jobs"][0]["window_end"]
    third = server.wait_run(third["id"])
    assert third["status"] == "success", third
    assert third["jobs"][0]["summary"]["counts"]["error"] == 1, third["jobs"][0]

    # Another task has no success yet.
    body = server.get("/api/runs/since-last-success/?task=service_map").json()
    assert body["run"] is None
    r = server.get("/api/runs/since-last-success/?task=bogus")
    assert r.status_code == 400, r.text


def raw_get(server, path):
    u = urllib.parse.urlparse(server.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("Authorization", "Bearer " + server.token)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _query(url):
    return urllib.parse.parse_qs(urllib.parse.urlparse(url).query)


def test_pagination(server):
    ids = [server.launch({"tasks": ["log_triage"]})["id"] for _ in range(25)]
    r = server.get("/api/runs/?page_size=10")
    assert r.status_code == 200, r.text
    p1 = r.json()
    assert p1["count"] == 25
    assert len(p1["results"]) == 10
    assert p1["previous"] is None
    assert _query(p1["next"])["page"] == ["2"]
    assert _query(p1["next"])["page_size"] == ["10"]

    p2 = server.get(p1["next"]).json()
    assert len(p2["results"]) == 10 and p2["count"] == 25
    assert p2["previous"] and _query(p2["previous"]).get("page", ["1"]) == ["1"]
    assert _query(p2["next"])["page"] == ["3"]

    p3 = server.get(p2["next"]).json()
    assert len(p3["results"]) == 5
    assert p3["next"] is None
    assert _query(p3["previous"])["page"] == ["2"]

    seen = [x["id"] for x in p1["results"] + p2["results"] + p3["results"]]
    assert sorted(seen) == sorted(ids)
    assert seen == sorted(seen, reverse=True)  # newest first

    r = server.get("/api/runs/?page_size=10&page=4")
    assert r.status_code == 404, r.text
    assert r.json().get("detail")
    # Filters narrow the count.
    r = server.get("/api/runs/?task=gpu_report")
    assert r.status_code == 200 and r.json()["count"] == 0


def test_jobs_list_filter(server):
    a = server.launch({"tasks": ["log_triage", "gpu_report"]})
    b = server.launch({"tasks": ["service_map"]})
    ja = server.list_all("/api/jobs/?run=%d" % a["id"])
    assert sorted(j["task"] for j in ja) == ["gpu_report", "log_triage"]
    jb = server.get("/api/runs/%d/jobs/" % b["id"])
    assert jb.status_code == 200, jb.text
    body = jb.json()
    results = body["results"] if isinstance(body, dict) else body
    assert [j["task"] for j in results] == ["service_map"]


def test_artifacts_download_and_traversal(server):
    run = server.launch({"tasks": ["log_triage"]})
    server.wait_run(run["id"])
    server.wait_report(run["id"])
    r = server.get("/api/runs/%d/artifacts/" % run["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    arts = body["results"] if isinstance(body, dict) else body
    names = [a["name"] for a in arts]
    assert "report.md" in names, names
    r = server.get("/api/runs/%d/artifacts/report.md" % run["id"])
    assert r.status_code == 200, r.text
    with open(os.path.join(server.instance.uploads, "runs", str(run["id"]), "report.md"),
              "rb") as f:
        assert r.content == f.read()
    # Sent verbatim (http.client does not normalise dot segments as requests does).
    for bad in ("../../etc/passwd", "../../../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd",
                "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "%2Fetc%2Fpasswd",
                "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd"):
        status, content = raw_get(server, "/api/runs/%d/artifacts/%s" % (run["id"], bad))
        assert 400 <= status < 500, (bad, status)
        assert b"root:" not in content


def test_result_json_written(server):
    run = server.wait_run(server.launch({})["id"])
    folder = os.path.join(server.instance.uploads, "runs", str(run["id"]))
    # Layout: runs/<run>/jobs/<job>/result.json (output/ is the worker's scratch folder).
    found = glob.glob(os.path.join(folder, "jobs", "*", "result.json"))
    assert sorted(int(p.split(os.sep)[-2]) for p in found) == sorted(
        j["id"] for j in run["jobs"]), found


def test_report_ready_when_run_ends(server):
    """Once a run reads as ended, its report is already stored (one transaction)."""
    ids = [server.launch({"tasks": ["log_triage"]})["id"] for _ in range(10)]
    for rid in ids:
        run = server.wait_run(rid)
        assert run["status"] in TERMINAL_RUN
        rep = server.get("/api/runs/%d/report/" % rid).json()
        assert rep["markdown"], (rid, rep)
        assert rep["json"]["status"] == run["status"], (rid, rep["json"]["status"])


def test_artifact_nul_name_refused(server):
    """%00 in an artifact name must not cut the name short (report.md%00.txt != report.md)."""
    run = server.launch({"tasks": ["log_triage"]})
    server.wait_run(run["id"])
    u = urllib.parse.urlparse(server.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    conn.putrequest("GET", "/api/runs/%d/artifacts/report.md%%00.txt" % run["id"])
    conn.putheader("Authorization", "Bearer " + server.token)
    conn.endheaders()
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert 400 <= resp.status < 500, resp.status


def triage_result(server, run):
    job = run["jobs"][0]
    r = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_log_cursors_follow_rotation(server):
    """Each log_triage run reads from where the last successful one stopped, also across a
    rotation (app.log -> app.log.1, a new app.log): nothing twice, nothing lost."""
    logs = server.instance.logs
    first = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"])
    assert first["status"] == "success", first
    starts = {f["path"]: f["start"] for f in triage_result(server, first)["files"]}
    assert starts.get("app.log") == "first", starts
    now = datetime.datetime.now(datetime.timezone.utc)
    os.rename(os.path.join(logs, "app.log"), os.path.join(logs, "app.log.1"))
    with open(os.path.join(logs, "app.log.1"), "a") as f:
        f.write("%s ERROR written just before the rotation\n" % iso(now))
    with open(os.path.join(logs, "app.log"), "w") as f:
        f.write("%s WARN first line of the new file\n" % iso(now))
    second = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"])
    assert second["status"] == "success", second
    res = triage_result(server, second)
    files = {f["path"]: f for f in res["files"]}
    assert files["app.log.1"]["start"] == "rotated" and files["app.log.1"]["in_window"] == 1
    assert files["app.log"]["start"] == "replaced" and files["app.log"]["in_window"] == 1
    counts = second["jobs"][0]["summary"]["counts"]
    assert counts["error"] == 1 and counts["warn"] == 1, counts

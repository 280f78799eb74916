# SPDX-License-Identifier: MIT
# test_lifecycle.py -- concurrency, crash recovery and the SSE event stream.
import collections
import glob
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import BIN, TERMINAL_JOB, TERMINAL_RUN


def slow_worker(tmp, delay_s):
    """A CYBER_BRAIN_WORKER_BIN that waits delay_s, then runs the real worker."""
    path = os.path.join(tmp, "slow-worker-%s.sh" % str(delay_s).replace(".", "_"))
    with open(path, "w") as f:
        f.write('#!/bin/sh\nsleep %s\nexec "%s" "$@"\n' % (delay_s, BIN))
    os.chmod(path, 0o755)
    return path


def wait_all_terminal(c, timeout):
    deadline = time.monotonic() + timeout
    while True:
        runs = c.list_all("/api/runs/")
        open_runs = [r for r in runs if r["status"] not in TERMINAL_RUN]
        if not open_runs:
            return runs
        assert time.monotonic() < deadline, "runs still open after %ds: %s" % (
            timeout, [(r["id"], r["status"]) for r in open_runs[:10]])
        time.sleep(0.2)


def test_50_concurrent_launches_no_double_execution(make_instance):
    inst = make_instance({"CYBER_BRAIN_MAX_JOBS": "4"})
    c = inst.start()
    body = {"tasks": ["log_triage", "gpu_report", "service_map"]}

    def launch(_):
        r = requests.post(c.base + "/api/runs/launch/", json=body, timeout=30,
                          headers={"Authorization": "Bearer " + c.token})
        return r.status_code, r.text

    with ThreadPoolExecutor(max_workers=50) as ex:
        results = list(ex.map(launch, range(50)))
    codes = collections.Counter(code for code, _ in results)
    assert codes == {201: 50}, (codes, [t for code, t in results if code != 201][:3])
    run_ids = {json.loads(t)["id"] for _, t in results}
    assert len(run_ids) == 50

    runs = wait_all_terminal(c, 240)
    assert len(runs) == 50
    jobs = c.list_all("/api/jobs/")
    assert len(jobs) == 150
    pairs = collections.Counter((j["run_id"], j["task"]) for j in jobs)
    assert all(n == 1 for n in pairs.values())
    assert {j["run_id"] for j in jobs} == run_ids
    for j in jobs:
        assert j["status"] in TERMINAL_JOB, j
        assert j["attempts"] == 1, j
    for rid in run_ids:
        c.wait_report(rid)
        folder = os.path.join(inst.uploads, "runs", str(rid))
        found = glob.glob(os.path.join(folder, "jobs", "*", "result.json"))
        assert sorted(int(p.split(os.sep)[-2]) for p in found) == sorted(
            j["id"] for j in jobs if j["run_id"] == rid), (rid, found)
        assert os.path.isfile(os.path.join(folder, "report.md")), rid


def test_kill9_during_run_then_restart_recovers(make_instance):
    inst = make_instance({"CYBER_BRAIN_MAX_JOBS": "2"})
    slow = slow_worker(inst.tmp, 30)
    c = inst.start(env={"CYBER_BRAIN_WORKER_BIN": slow})
    ids = [c.launch({"tasks": ["log_triage", "gpu_report"]})["id"] for _ in range(4)]

    # Wait (bounded) until the dispatcher has jobs running, then kill -9 serve.
    deadline = time.monotonic() + 20
    while True:
        jobs = c.list_all("/api/jobs/")
        running = [j for j in jobs if j["status"] == "running"]
        if running:
            break
        assert time.monotonic() < deadline, "no job started: %s" % [
            (j["id"], j["status"]) for j in jobs]
        time.sleep(0.05)
    inst.kill9()
    running_ids = {j["id"] for j in running}

    # Restart on the same database with the real (fast) worker.
    c = inst.start()
    runs = wait_all_terminal(c, 90)
    assert {r["id"] for r in runs} == set(ids)
    jobs = {j["id"]: j for j in c.list_all("/api/jobs/")}
    for j in jobs.values():
        assert j["status"] in TERMINAL_JOB, j
    for jid in running_ids:
        j = jobs[jid]
        assert j["status"] == "failed", j
        assert "restart" in (j["error"] or "").lower(), j
    # Jobs that were still queued ran after the restart.
    assert any(j["status"] == "success" for j in jobs.values())


def test_job_deadline_fails_job(make_instance):
    inst = make_instance({"CYBER_BRAIN_JOB_TIMEOUT": "1"})
    slow = slow_worker(inst.tmp, 20)
    c = inst.start(env={"CYBER_BRAIN_WORKER_BIN": slow})
    run = c.launch({"tasks": ["log_triage"]})
    done = c.wait_run(run["id"], timeout=30)
    assert done["status"] == "failed", done
    job = done["jobs"][0]
    assert job["status"] == "failed"
    assert job["error"]


def read_sse(resp, until_run_end, limit_s=30):
    """Parse an SSE stream into (event, data) pairs until a terminal run event."""
    events = []
    ev, data = "message", []
    deadline = time.monotonic() + limit_s
    for raw in resp.iter_lines(decode_unicode=True):
        if time.monotonic() > deadline:
            break
        line = raw if raw is not None else ""
        if line == "":
            if data:
                payload = "\n".join(data)
                events.append((ev, payload))
                if until_run_end and ev == "run":
                    try:
                        if json.loads(payload).get("status") in TERMINAL_RUN:
                            break
                    except ValueError:
                        pass
            ev, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            ev = value
        elif field == "data":
            data.append(value)
    return events


def test_sse_events(make_instance):
    inst = make_instance()
    slow = slow_worker(inst.tmp, 1)
    c = inst.start(env={"CYBER_BRAIN_WORKER_BIN": slow})
    run = c.launch({"tasks": ["log_triage", "gpu_report"]})
    with requests.get(c.base + "/api/runs/%d/events/" % run["id"], stream=True,
                      timeout=(5, 30), headers={"Authorization": "Bearer " + c.token}) as r:
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/event-stream")
        events = read_sse(r, True)
    kinds = [e for e, _ in events]
    assert "job" in kinds, events
    assert kinds[-1] == "run", events
    final = json.loads(events[-1][1])
    assert final["status"] in TERMINAL_RUN
    job_payloads = [json.loads(d) for e, d in events if e == "job"]
    assert {p.get("status") for p in job_payloads} & set(TERMINAL_JOB), job_payloads

    # A finished run's stream still ends with its final state.
    with requests.get(c.base + "/api/runs/%d/events/" % run["id"], stream=True,
                      timeout=(5, 15), headers={"Authorization": "Bearer " + c.token}) as r:
        assert r.status_code == 200
        events = read_sse(r, True, limit_s=10)
    assert events and events[-1][0] == "run", events

    r = c.get("/api/runs/999999/events/")
    assert r.status_code == 404
    r = requests.get(c.base + "/api/runs/%d/events/" % run["id"], timeout=5)
    assert r.status_code == 401

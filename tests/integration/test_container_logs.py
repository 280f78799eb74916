# SPDX-License-Identifier: MIT
# test_container_logs.py -- log_triage reads the logs of allowlisted containers: real
# containers (a FROM scratch image holding Debian's static busybox, built here, no network)
# write known lines, one of them with a TTY; the report counts their lines and error
# template, finds the error burst, lists a vanished container as unreadable, and a second
# run sees only the lines written after the first (the engine's since=). With the engine
# unreachable the job still succeeds on the files and says so. Without an engine the tests
# that need one skip, except with CI=true, where they fail.
import glob
import json
import os
import secrets
import subprocess
import time

import pytest

from conftest import build_busybox_image
from test_worker_image import engine_answers, image  # noqa: F401 (fixture)

BUSYBOX = "/bin/busybox"
CONTAINERS = "/api/containers/"
N_ERRORS = 30


def need_engine():
    if engine_answers() and os.path.exists(BUSYBOX):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: the container log tests need a docker engine and busybox-static")
    pytest.skip("no docker engine answers or no %s (busybox-static)" % BUSYBOX)


@pytest.fixture(scope="module")
def busybox_image(tmp_path_factory):
    """An image FROM scratch with busybox as /bin/sh, /bin/sleep and /bin/cat."""
    need_engine()
    tag = build_busybox_image(tmp_path_factory, "cb-contlogs-busybox", ("sh", "sleep", "cat"))
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60, check=False)


def docker_logs(cid):
    r = subprocess.run(["docker", "logs", cid], capture_output=True, text=True, timeout=30,
                       check=False)
    return r.stdout + r.stderr


def wait_logs(cid, marker, count=1):
    deadline = time.monotonic() + 30
    while docker_logs(cid).count(marker) < count:
        assert time.monotonic() < deadline, "container %s never wrote %r" % (cid, marker)
        time.sleep(0.1)


@pytest.fixture
def logger(busybox_image):
    """Factory: run a container of the busybox image with script; removed at teardown."""
    made = []

    def run(script, tty=False):
        name = "cbcl-" + secrets.token_hex(6)
        cmd = ["docker", "run", "-d", "--network", "none", "--name", name]
        cmd += ["-t"] if tty else []
        r = subprocess.run(cmd + [busybox_image, "/bin/sh", "-c", script + "; exec sleep 3600"],
                           capture_output=True, text=True, timeout=60, check=False)
        assert r.returncode == 0, r.stderr
        made.append(r.stdout.strip())
        wait_logs(made[-1], "INFO ready")
        return {"id": made[-1], "name": name}

    yield run
    if made:
        subprocess.run(["docker", "rm", "-f", *made], capture_output=True, timeout=60,
                       check=False)


def allow(server, ref):
    r = server.post(CONTAINERS, json={"container_ref": ref})
    assert r.status_code == 201, r.text


def result_of(inst, run):
    job = run["jobs"][0]
    path = os.path.join(inst.uploads, "runs", str(run["id"]), "jobs", str(job["id"]),
                        "result.json")
    with open(path) as f:
        return json.load(f)


def file_of(result, source):
    found = [f for f in result["files"] if f["path"] == source]
    assert len(found) == 1, (source, result["files"])
    return found[0]


def reasons(result, kind):
    return {u["path"]: u["reason"] for u in result["coverage"][kind]}


def start_loggers(logger):
    errors = "".join('echo "ERROR payment failed for order %d"; ' % i for i in range(N_ERRORS))
    plain = logger(errors + 'echo "INFO ready"')
    tty = logger('echo "WARN cache miss on shard 1"; echo "WARN cache miss on shard 2"; '
                 'echo "INFO ready"', tty=True)
    return plain, tty


def bucket_directive(server):
    r = server.post("/api/directives/", json={"name": "bursts", "text": "10 s buckets",
                                              "config": {"burst_bucket_seconds": 10}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def triage(server, directive_id):
    body = {"tasks": ["log_triage"]}
    if directive_id:
        body["directive_id"] = directive_id
    run = server.launch(body)
    run = server.wait_run(run["id"], timeout=120)
    assert run["status"] == "success", run
    return run


def check_first(inst, server, run, plain, tty, gone):
    res = result_of(inst, run)
    src, tsrc = "container:" + plain["name"], "container:" + tty["name"]
    assert src in res["coverage"]["read"] and tsrc in res["coverage"]["read"]
    assert file_of(res, src)["lines"] == N_ERRORS + 1
    assert file_of(res, src)["in_window"] == N_ERRORS + 1
    assert file_of(res, tsrc)["lines"] == 3
    assert "gone" in reasons(res, "unreadable")["container:" + gone]
    assert res["container_logs"] == {"read": 2, "failed": 1, "error": None}
    tpl = res["templates"]
    top = [f for f in tpl["top_findings"] if "payment failed for order" in f["template"]]
    assert top and top[0]["errors"] == N_ERRORS, tpl["top_findings"]
    assert any("cache miss on shard" in f["template"] for f in tpl["top_findings"])
    # The 30 errors are written at once: a 10 s bucket holds them (two at most, one of
    # which holds at least half) against a mean of about one error per bucket.
    assert tpl["burst_stats"]["bucket_seconds"] == 10
    bursts = [b for b in tpl["bursts"] if "payment failed" in (b["top_template"] or "")]
    assert bursts and sum(b["errors"] for b in bursts) >= N_ERRORS // 2, tpl["bursts"]
    assert bursts[0]["top_key"] == top[0]["key"]
    md = server.wait_report(run["id"])["markdown"]
    assert "Error bursts" in md and "Container logs read: 2, failed: 1" in md


def test_container_logs_window_and_since(make_instance, logger):
    inst = make_instance()
    server = inst.start()
    plain, tty = start_loggers(logger)
    gone = "cbcl-gone-" + secrets.token_hex(4)
    allow(server, plain["name"])
    allow(server, tty["id"])
    allow(server, gone)
    did = bucket_directive(server)
    check_first(inst, server, triage(server, did), plain, tty, gone)
    # Lines written after the first run's window end are the second run's only lines.
    for i in range(2):
        subprocess.run(["docker", "exec", plain["id"], "/bin/sh", "-c",
                        'echo "ERROR second batch %d" > /proc/1/fd/1' % i],
                       capture_output=True, timeout=30, check=True)
    wait_logs(plain["id"], "ERROR second batch", 2)
    res = result_of(inst, triage(server, did))
    f = file_of(res, "container:" + plain["name"])
    assert f["lines"] == 2 and f["in_window"] == 2, f
    assert file_of(res, "container:" + tty["name"])["lines"] == 0
    assert res["counts"]["error"] == 2
    assert not any("payment failed" in t["template"] for t in res["templates"]["top_findings"])


def test_container_logs_docker_runtime(image, make_instance, logger):  # noqa: F811
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker"})
    server = inst.start()
    plain, tty = start_loggers(logger)
    allow(server, plain["name"])
    allow(server, tty["name"])
    res = result_of(inst, triage(server, None))
    assert file_of(res, "container:" + plain["name"])["lines"] == N_ERRORS + 1
    assert file_of(res, "container:" + tty["name"])["lines"] == 3
    assert res["counts"]["error"] >= N_ERRORS
    # The job's input (with the container logs) is gone after the job.
    assert glob.glob(os.path.join(inst.uploads, "runs", "*", "jobs", "*", "input")) == []


def test_engine_down_still_triages_files(make_instance):
    inst = make_instance({"DOCKER_HOST": "unix:///nonexistent/cb-contlogs.sock"})
    server = inst.start()
    allow(server, "some-service")
    run = server.launch({"tasks": ["log_triage"]})
    run = server.wait_run(run["id"], timeout=60)
    assert run["status"] == "success", run
    res = result_of(inst, run)
    assert res["lines_in_window"] > 0 and "app.log" in res["coverage"]["read"]
    assert "container logs unavailable" in reasons(res, "unreadable")["container:*"]
    assert res["container_logs"]["read"] == 0
    assert "unavailable" in res["container_logs"]["error"]


def test_burst_bucket_validated(server):
    for bad in (5, 86401, "300", 1.5):
        r = server.post("/api/directives/", json={"name": "b", "text": "t",
                                                  "config": {"burst_bucket_seconds": bad}})
        assert r.status_code == 400, (bad, r.text)
        assert "burst_bucket_seconds" in r.text
    r = server.post("/api/directives/", json={"name": "b", "text": "t",
                                              "config": {"burst_bucket_seconds": 86400}})
    assert r.status_code == 201, r.text

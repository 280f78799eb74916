# SPDX-License-Identifier: MIT
# test_recovery.py -- recovery with the docker runtime against a real engine: `kill -9` of
# serve mid-run (collected, lost, deadline passed while down), the engine stopped mid-run
# (a private dockerd, never the system one), and 20 jobs in parallel.
# Without an engine the tests skip, except with CI=true, where they fail.
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from test_worker_image import IMAGE, image  # noqa: F401 (fixture)

SLOW = "cyberbrain-worker-slow:test"
SLOW_S = 8
SLEEPER_JOB = '{"task": "selfcheck", "sleep_s": 60}'

# A static shim that sleeps, then runs the real worker on the job the orchestrator wrote:
# a job that takes a few seconds and then succeeds.
SHIM_C = r"""
#include <unistd.h>
int main(void)
{
    char *argv[] = {"/cyberbrain-worker", "worker", 0};
    sleep(%d);
    execv(argv[0], argv);
    return 127;
}
""" % SLOW_S


def docker(*args, host=None, check=True, timeout=120):
    cmd = ["docker"] + (["-H", host] if host else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert r.returncode == 0, (cmd, r.stderr)
    return r


def labelled(instance_id, host=None):
    r = docker("ps", "-aq", "--filter", "label=cyberbrain.instance=" + instance_id, host=host)
    return r.stdout.split()


def instance_id(inst):
    ids = set(re.findall(r"event=serve\.ready .*instance=([0-9a-f]+)", inst.stderr_text()))
    assert len(ids) == 1, ids
    return ids.pop()


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, "%s not within %ds" % (what, timeout)
        time.sleep(0.25)


def wait_no_container(instance_id_, host=None, timeout=70):
    wait_for("no container labelled %s" % instance_id_,
             lambda: not labelled(instance_id_, host), timeout)


def audit(server, action):
    r = server.get("/api/audit/?action=%s&page_size=100" % action)
    assert r.status_code == 200, r.text
    return r.json()["results"]


@pytest.fixture(scope="module")
def slow(image, tmp_path_factory):  # noqa: F811
    """The worker image whose entrypoint sleeps SLOW_S seconds, then runs the worker."""
    ctx = tmp_path_factory.mktemp("slow")
    (ctx / "shim.c").write_text(SHIM_C)
    r = subprocess.run(["gcc", "-static", "-O2", "-o", str(ctx / "slow"), str(ctx / "shim.c")],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    (ctx / "Dockerfile").write_text('FROM %s\nCOPY slow /slow\nENTRYPOINT ["/slow"]\n' % image)
    docker("build", "-q", "-t", SLOW, str(ctx))
    yield SLOW
    docker("rmi", "-f", SLOW, check=False)


@pytest.fixture(scope="module")
def sleeper(image, tmp_path_factory):  # noqa: F811
    """The worker image with a built-in job that sleeps 60 s."""
    ctx = tmp_path_factory.mktemp("sleeper")
    (ctx / "job.json").write_text(SLEEPER_JOB)
    os.chmod(ctx / "job.json", 0o644)
    (ctx / "Dockerfile").write_text(
        "FROM %s\nCOPY job.json /sleeper/job.json\n"
        'ENTRYPOINT ["/cyberbrain-worker", "worker", "--input", "/sleeper"]\n' % image)
    tag = "cyberbrain-worker-sleeper:recovery"
    docker("build", "-q", "-t", tag, str(ctx))
    yield tag
    docker("rmi", "-f", tag, check=False)


def start_run_in_container(inst, server, task="gpu_report", host=None):
    """Launch a one-task run and wait until its container runs; return (run, instance id)."""
    run = server.launch({"tasks": [task]})
    iid = instance_id(inst)

    def running():
        ids = labelled(iid, host)
        if not ids:
            return None
        st = docker("inspect", "-f", "{{.State.Status}}", ids[0], host=host, check=False)
        return ids if st.stdout.strip() == "running" else None

    wait_for("a running worker container", running, 60)
    return run, iid


def test_kill9_then_restart_collects_the_job(slow, make_instance):
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_WORKER_IMAGE": slow,
                          "CYBER_BRAIN_RECONCILE_INTERVAL": "1"})
    server = inst.start()
    run, iid = start_run_in_container(inst, server)
    inst.kill9()
    inst.start()
    run = server.wait_run(run["id"], timeout=90)
    job = run["jobs"][0]
    assert job["status"] == "success", job
    assert run["status"] == "success", run
    assert instance_id(inst) == iid  # the same installation id after the restart
    wait_no_container(iid)
    rows = [a for a in audit(server, "reconcile") if a["job_id"] == job["id"]]
    assert rows and "collected" in rows[0]["reason"], rows
    rep = server.wait_report(run["id"])
    assert rep["markdown"], rep


def test_kill9_container_gone_fails_the_job_as_lost(slow, make_instance):
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_WORKER_IMAGE": slow})
    server = inst.start()
    run, iid = start_run_in_container(inst, server)
    inst.kill9()
    for cid in labelled(iid):
        docker("rm", "-f", cid)
    inst.start()
    run = server.wait_run(run["id"], timeout=30)
    job = run["jobs"][0]
    assert job["status"] == "failed", job
    assert "worker container lost" in (job["error"] or ""), job
    assert run["status"] == "failed"


def test_kill9_deadline_passed_while_down(sleeper, make_instance):
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_WORKER_IMAGE": sleeper,
                          "CYBER_BRAIN_JOB_TIMEOUT": "3"})
    server = inst.start()
    run, iid = start_run_in_container(inst, server)
    inst.kill9()
    time.sleep(3.5)  # let the deadline pass while no serve watches
    inst.start()
    run = server.wait_run(run["id"], timeout=30)
    job = run["jobs"][0]
    assert job["status"] == "failed", job
    assert "deadline of 3 s exceeded" in (job["error"] or ""), job
    wait_no_container(iid)
    assert any(a["job_id"] == job["id"] for a in audit(server, "deadline_kill"))


def test_twenty_jobs_in_parallel(image, make_instance):  # noqa: F811
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_MAX_JOBS": "20",
                          "CYBER_BRAIN_DB_POOL": "24"})
    server = inst.start()
    runs = [server.launch({"tasks": ["gpu_report", "log_triage"]}) for _ in range(10)]
    job_ids = []
    for r in runs:
        run = server.wait_run(r["id"], timeout=180)
        assert run["status"] == "success", run
        for j in run["jobs"]:
            assert j["status"] == "success", j
            assert j["attempts"] == 1, j
            job_ids.append(j["id"])
    assert len(set(job_ids)) == 20
    text = inst.stderr_text()
    started = re.findall(r"event=worker\.start runtime=docker .*job_id=(\d+)", text)
    assert sorted(int(x) for x in started) == sorted(job_ids)  # each job ran exactly once
    wait_no_container(instance_id(inst), timeout=30)


# ---- the engine stopped mid-run: a private dockerd ----

class PrivateEngine:
    def __init__(self, root):
        self.root = root
        self.sock = os.path.join(root, "d.sock")
        self.host = "unix://" + self.sock
        self.proc = None
        self.log = os.path.join(root, "dockerd.log")

    def start(self):
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", self.host, "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"), "--pidfile",
             os.path.join(self.root, "d.pid"), "--bridge", "none", "--iptables=false",
             "--ip-masq=false"], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        wait_for("the private dockerd", lambda: docker(
            "version", host=self.host, check=False, timeout=10).returncode == 0, 60)

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="module")
def engine(slow):
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but not root: cannot start a private dockerd")
        pytest.skip("a private dockerd needs root")
    if not shutil.which("dockerd"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but dockerd is not installed")
        pytest.skip("dockerd is not installed")
    root = tempfile.mkdtemp(prefix="cbd-", dir="/tmp")  # short: a unix socket path
    eng = PrivateEngine(root)
    eng.start()
    try:
        save = subprocess.Popen(["docker", "save", IMAGE, slow], stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "-H", eng.host, "load"], stdin=save.stdout,
                              capture_output=True, text=True, timeout=300, check=False)
        save.stdout.close()
        assert save.wait(timeout=60) == 0 and load.returncode == 0, load.stderr
        yield eng
    finally:
        eng.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_engine_stopped_mid_run(engine, make_instance):
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_WORKER_IMAGE": SLOW,
                          "DOCKER_HOST": engine.host, "CYBER_BRAIN_RECONCILE_INTERVAL": "1"})
    if engine.proc is None:
        engine.start()
    server = inst.start()
    run, iid = start_run_in_container(inst, server, host=engine.host)
    engine.stop()
    run = server.wait_run(run["id"], timeout=90)
    job = run["jobs"][0]
    assert job["status"] == "failed", job
    # dockerd closes its API before it stops containers, so the wait sees the engine go;
    # should it answer first, the container's kill status is what the job reports
    assert ("docker engine unavailable at %s during the run" % engine.sock in job["error"]
            or "worker exited with status 137" in job["error"]), job
    # the API stays up and says the engine is down
    h = server.get("/api/health/", auth=False)
    assert h.status_code == 200, h.text
    assert h.json()["docker"]["ok"] is False and h.json()["status"] == "degraded", h.json()
    # a job claimed while it is down fails at once with a clear reason
    down = server.wait_run(server.launch({"tasks": ["gpu_report"]})["id"], timeout=30)
    assert down["status"] == "failed"
    assert "docker engine unavailable at %s" % engine.sock in down["jobs"][0]["error"], down
    # the engine returns: work resumes, and what the stop left behind is cleaned up
    engine.start()
    wait_for("health docker ok",
             lambda: server.get("/api/health/", auth=False).json()["docker"]["ok"], 30)
    back = server.wait_run(server.launch({"tasks": ["gpu_report"]})["id"], timeout=90)
    assert back["status"] == "success", back
    wait_no_container(iid, host=engine.host)
    assert "event=reconcile.engine_down" in inst.stderr_text()

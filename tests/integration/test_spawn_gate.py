# SPDX-License-Identifier: MIT
# test_spawn_gate.py -- the docker runtime's spawn gate on a real engine: the first start
# allowlists the worker image (once, ever); an image that is not listed, an inactive entry
# and a digest pin that the engine's image does not match are refused and audited with no
# container created; the limits of an entry are those of the running container; the audit
# has spawn / exit / deadline_kill / remove rows; GPU images are refused without a GPU.
# Without an engine the tests skip, except with CI=true, where they fail.
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from test_docker_runtime import instance_ids, sleeper  # noqa: F401 (fixture)
from test_worker_image import IMAGE, image  # noqa: F401 (fixture)

UNLISTED = "cyberbrain-worker:gate-unlisted"
IMAGES = "/api/worker-images/"


@pytest.fixture(scope="module")
def unlisted(image):  # noqa: F811
    """The worker image under a second tag that nobody allowlists."""
    subprocess.run(["docker", "tag", image, UNLISTED], check=True, capture_output=True)
    yield UNLISTED
    subprocess.run(["docker", "rmi", UNLISTED], capture_output=True, check=False)


def image_id(ref):
    r = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", ref],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def audit(server, action, run_id):
    r = server.get("/api/audit/?action=%s&run=%d&page_size=100" % (action, run_id))
    assert r.status_code == 200, r.text
    return r.json()["results"]


def created_since(since, instance):
    """Ids of the containers the engine created for instance since the unix time since."""
    r = subprocess.run(["docker", "events", "--since", "%.3f" % since,
                        "--until", "%.3f" % time.time(), "--filter", "type=container",
                        "--filter", "event=create", "--filter",
                        "label=cyberbrain.instance=" + instance, "--format", "{{.ID}}"],
                       capture_output=True, text=True, timeout=30, check=True)
    return r.stdout.split()


def docker_start(make_instance, env=None):
    """A docker-runtime instance, started; returns (inst, server, instance id)."""
    e = {"CYBER_BRAIN_RUNTIME": "docker"}
    e.update(env or {})
    inst = make_instance(e)
    server = inst.start()
    ids = instance_ids(inst)
    assert len(ids) == 1, inst.stderr_text()[-2000:]
    return inst, server, ids.pop()


def only_entry(server):
    listed = server.get(IMAGES).json()
    assert listed["count"] == 1, listed
    return listed["results"][0]


def patch_entry(server, body):
    e = only_entry(server)
    r = server.patch(IMAGES + "%d/" % e["id"], json=body)
    assert r.status_code == 200, r.text
    return r.json()


def run_one(server, task="gpu_report", timeout=120):
    run = server.launch({"tasks": [task]})
    run = server.wait_run(run["id"], timeout=timeout)
    return run, run["jobs"][0]


def assert_refused(server, instance, since, run, job, text):
    assert run["status"] == "failed", run
    assert job["status"] == "failed"
    assert text in (job.get("error") or ""), job
    assert "engine unavailable" not in job["error"], job  # a refusal, not an engine fault
    deny = audit(server, "deny", run["id"])
    assert len(deny) == 1, deny
    assert deny[0]["job_id"] == job["id"] and text in deny[0]["reason"], deny
    assert audit(server, "spawn", run["id"]) == []
    assert created_since(since, instance) == []


def test_seeded_first_start_runs_in_containers(image, make_instance):  # noqa: F811
    inst, server, instance = docker_start(make_instance)
    e = only_entry(server)
    assert (e["image_name"], e["image_tag"]) == ("docker.io/library/cyberbrain-worker",
                                                 IMAGE.split(":")[1])
    assert e["digest"] is None and e["is_active"] is True
    assert "event=worker_image.seed" in inst.stderr_text()
    run = server.launch({"tasks": ["gpu_report", "log_triage"]})
    run = server.wait_run(run["id"], timeout=120)
    assert run["status"] == "success", run
    spawned = audit(server, "spawn", run["id"])
    exits = audit(server, "exit", run["id"])
    removed = audit(server, "remove", run["id"])
    assert len(spawned) == len(exits) == len(removed) == 2, (spawned, exits, removed)
    cids = {r["container_id"] for r in spawned}
    assert all(re.fullmatch(r"[0-9a-f]{64}", c) for c in cids), cids
    assert {r["container_id"] for r in exits} == cids == {r["container_id"] for r in removed}
    assert {r["job_id"] for r in spawned} == {j["id"] for j in run["jobs"]}
    assert all(r["image"] == IMAGE for r in spawned + exits + removed)
    assert all(r["reason"] == "exit code 0" for r in exits), exits
    assert subprocess.run(["docker", "ps", "-aq", "--filter",
                           "label=cyberbrain.instance=" + instance],
                          capture_output=True, text=True, check=True).stdout.split() == []


def test_unlisted_image_refused_and_seeding_happens_once(unlisted, make_instance):
    # The first start seeds the default image; a later start with another image does not
    # seed again, and a deleted seed entry does not come back.
    inst, server, first = docker_start(make_instance)
    assert server.delete(IMAGES + "%d/" % only_entry(server)["id"]).status_code == 204
    inst.stop()
    server = inst.start(env={"CYBER_BRAIN_WORKER_IMAGE": unlisted})
    assert instance_ids(inst) == {first}  # the instance id is kept across starts
    assert server.get(IMAGES).json()["count"] == 0
    since = time.time() - 1
    run, job = run_one(server)
    assert_refused(server, first, since, run, job,
                   'worker image "%s" is not on the worker-image allowlist' % unlisted)
    assert audit(server, "deny", run["id"])[0]["image"] == "docker.io/library/" + unlisted


def test_inactive_entry_refused(image, make_instance):  # noqa: F811
    _, server, instance = docker_start(make_instance)
    patch_entry(server, {"is_active": False})
    since = time.time() - 1
    run, job = run_one(server)
    assert_refused(server, instance, since, run, job, "its allowlist entry is inactive")


def test_digest_pin(image, make_instance):  # noqa: F811
    _, server, instance = docker_start(make_instance)
    wrong = "sha256:" + "0" * 64
    patch_entry(server, {"digest": wrong})
    since = time.time() - 1
    run, job = run_one(server)
    assert_refused(server, instance, since, run, job, "does not match the pinned digest")
    # A locally built image has no RepoDigests: its Id is what a pin names.
    patch_entry(server, {"digest": image_id(image)})
    run, job = run_one(server)
    assert run["status"] == "success", run
    assert len(audit(server, "spawn", run["id"])) == 1


def wait_container(instance, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["docker", "ps", "-q", "--no-trunc", "--filter",
                            "label=cyberbrain.instance=" + instance],
                           capture_output=True, text=True, check=True)
        if r.stdout.split():
            return r.stdout.split()[0]
        time.sleep(0.1)
    raise AssertionError("no running container for instance " + instance)


def inspect(cid):
    r = subprocess.run(["docker", "inspect", cid], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)[0]


def test_entry_limits_on_the_running_container(sleeper, make_instance):  # noqa: F811
    _, server, instance = docker_start(make_instance, {"CYBER_BRAIN_WORKER_IMAGE": sleeper,
                                                       "CYBER_BRAIN_JOB_TIMEOUT": "60"})
    e = patch_entry(server, {"memory_mb": 64, "cpus": 0.5, "pids_limit": 40})
    assert (e["memory_mb"], e["cpus"], e["pids_limit"]) == (64, 0.5, 40)
    run = server.launch({"tasks": ["gpu_report"]})
    cid = wait_container(instance)
    c = inspect(cid)
    hc = c["HostConfig"]
    assert hc["Memory"] == 64 * 1024 * 1024
    assert hc["NanoCpus"] == 500_000_000
    assert hc["PidsLimit"] == 40
    # created from the resolved image id, not the tag
    assert c["Config"]["Image"] == image_id(sleeper)
    assert server.post("/api/runs/%d/cancel/" % run["id"]).status_code == 200
    run = server.wait_run(run["id"], timeout=60)
    assert run["jobs"][0]["status"] == "cancelled", run
    exits = audit(server, "exit", run["id"])
    assert [(r["container_id"], r["reason"]) for r in exits] == [(cid, "cancelled")]
    assert [r["container_id"] for r in audit(server, "remove", run["id"])] == [cid]


def test_default_limits(sleeper, make_instance):  # noqa: F811
    _, server, instance = docker_start(make_instance, {"CYBER_BRAIN_WORKER_IMAGE": sleeper,
                                                       "CYBER_BRAIN_JOB_TIMEOUT": "60"})
    run = server.launch({"tasks": ["gpu_report"]})
    hc = inspect(wait_container(instance))["HostConfig"]
    assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (512 << 20, 10**9, 128)
    assert server.post("/api/runs/%d/cancel/" % run["id"]).status_code == 200
    server.wait_run(run["id"], timeout=60)


def directive_with_limits(server, limits):
    r = server.post("/api/directives/", json={
        "name": "limits " + str(time.monotonic()), "text": "worker limits",
        "config": {"worker_limits": limits}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_directive_limits_capped_by_the_entry(sleeper, make_instance):  # noqa: F811
    _, server, instance = docker_start(make_instance, {"CYBER_BRAIN_WORKER_IMAGE": sleeper,
                                                       "CYBER_BRAIN_JOB_TIMEOUT": "60"})
    patch_entry(server, {"memory_mb": 48})  # the image's ceiling for memory only
    did = directive_with_limits(server, {"memory_mb": 96, "cpus": 0.25, "pids_limit": 24})
    run = server.launch({"tasks": ["gpu_report"], "directive_id": did})
    hc = inspect(wait_container(instance))["HostConfig"]
    assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (48 << 20, 250_000_000, 24)
    assert server.post("/api/runs/%d/cancel/" % run["id"]).status_code == 200
    server.wait_run(run["id"], timeout=60)


def test_directive_limits_out_of_range_fail_the_job(image, make_instance):  # noqa: F811
    _, server, _ = docker_start(make_instance)
    did = directive_with_limits(server, {"memory_mb": 1})
    run = server.wait_run(server.launch({"tasks": ["gpu_report"], "directive_id": did})["id"],
                          timeout=60)
    job = run["jobs"][0]
    assert job["status"] == "failed", job
    assert "worker_limits.memory_mb must be an integer 16..1048576" in job["error"], job
    assert audit(server, "spawn", run["id"]) == []


def test_deadline_kill_audited(sleeper, make_instance):  # noqa: F811
    _, server, _ = docker_start(make_instance, {"CYBER_BRAIN_WORKER_IMAGE": sleeper,
                                                "CYBER_BRAIN_JOB_TIMEOUT": "2"})
    run, job = run_one(server, timeout=60)
    assert job["status"] == "failed" and "deadline of 2 s exceeded" in job["error"], job
    kills = audit(server, "deadline_kill", run["id"])
    assert len(kills) == 1 and kills[0]["reason"] == "deadline of 2 s exceeded", kills
    assert audit(server, "exit", run["id"]) == []
    removed = audit(server, "remove", run["id"])
    assert [r["container_id"] for r in removed] == [kills[0]["container_id"]]


def test_gpu_image_refused_without_gpu(image, make_instance):  # noqa: F811
    if shutil.which("nvidia-smi"):
        pytest.skip("this host has nvidia-smi: the no-GPU refusal cannot be shown here")
    _, server, instance = docker_start(make_instance)
    patch_entry(server, {"requires_gpu": True})
    since = time.time() - 1
    run, job = run_one(server)
    assert_refused(server, instance, since, run, job,
                   'worker image "%s" requires a GPU but no NVIDIA GPU was found' % IMAGE)


def fake_smi(tmp_path, rows):
    """A script standing in for nvidia-smi, first on PATH: a fault the real thing cannot
    produce here (this host has no GPU). It answers only the query the gate makes."""
    d = tmp_path / "fake-smi"
    d.mkdir()
    p = d / "nvidia-smi"
    p.write_text("#!/bin/sh\n"
                 '[ "$1" = "--query-gpu=index,memory.free" ] || exit 3\n'
                 '[ "$2" = "--format=csv,noheader,nounits" ] || exit 3\n'
                 "printf '%s'\n" % rows)
    os.chmod(p, 0o755)
    return {"PATH": "%s:%s" % (d, os.environ.get("PATH", "/usr/bin:/bin"))}


def test_gpu_image_refused_below_min_vram(image, make_instance, tmp_path):  # noqa: F811
    env = fake_smi(tmp_path, "0, 1024\\n1, 2048\\n")
    _, server, instance = docker_start(make_instance, env)
    patch_entry(server, {"requires_gpu": True, "min_vram_mb": 8192})
    since = time.time() - 1
    run, job = run_one(server)
    assert_refused(server, instance, since, run, job,
                   "requires 8192 MiB of free GPU memory but the most free on any of the 2 "
                   "GPUs is 2048 MiB")


def test_gpu_image_engine_without_nvidia_runtime(image, make_instance, tmp_path):  # noqa: F811
    # Enough free VRAM ([N/A] is unknown, not zero), so the gate passes and the engine is
    # asked for the GPUs; this engine has no NVIDIA runtime and says so.
    info = subprocess.run(["docker", "info", "--format", "{{json .Runtimes}}"],
                          capture_output=True, text=True, check=True).stdout
    if "nvidia" in info:
        pytest.skip("this engine has an NVIDIA runtime")
    env = fake_smi(tmp_path, "0, [N/A]\\n1, 16000\\n")
    _, server, instance = docker_start(make_instance, env)
    patch_entry(server, {"requires_gpu": True, "min_vram_mb": 8192})
    run, job = run_one(server)
    assert job["status"] == "failed", job
    assert "requires a GPU but the Docker engine has no NVIDIA runtime" in job["error"], job
    assert audit(server, "spawn", run["id"]) == []
    assert subprocess.run(["docker", "ps", "-aq", "--filter",
                           "label=cyberbrain.instance=" + instance],
                          capture_output=True, text=True, check=True).stdout.split() == []

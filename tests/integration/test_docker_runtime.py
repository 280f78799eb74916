# SPDX-License-Identifier: MIT
# test_docker_runtime.py -- CYBER_BRAIN_RUNTIME=docker: jobs run in containers of the
# worker image, which are removed afterwards; a job past its deadline is killed.
# Without an engine the tests skip, except with CI=true, where they fail.
import json
import os
import re
import subprocess

import pytest

from test_worker_image import IMAGE, image  # noqa: F401 (fixture)

SLEEPER = "cyberbrain-worker-sleeper:test"


def containers(label, value):
    r = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}={value}"],
                       capture_output=True, text=True, check=True)
    return r.stdout.split()


def instance_ids(inst):
    return set(re.findall(r"event=serve\.ready .*instance=([0-9a-f]+)",
                          inst.stderr_text()))


@pytest.fixture(scope="module")
def sleeper(image, tmp_path_factory):  # noqa: F811
    """The worker image with a built-in job that sleeps 60 s (for the deadline)."""
    ctx = tmp_path_factory.mktemp("sleeper")
    (ctx / "job.json").write_text(json.dumps({"task": "selfcheck", "sleep_s": 60}))
    (ctx / "Dockerfile").write_text(
        f"FROM {image}\nCOPY job.json /sleeper/job.json\n"
        'ENTRYPOINT ["/cyberbrain-worker", "worker", "--input", "/sleeper"]\n')
    os.chmod(ctx / "job.json", 0o644)
    r = subprocess.run(["docker", "build", "-q", "-t", SLEEPER, str(ctx)], capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    yield SLEEPER
    subprocess.run(["docker", "rmi", "-f", SLEEPER], capture_output=True, check=False)


def test_docker_run_success_and_removed(image, make_instance):  # noqa: F811
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker"})
    server = inst.start()
    run = server.launch({"tasks": ["gpu_report", "log_triage"]})
    run = server.wait_run(run["id"], timeout=120)
    assert run["status"] == "success", run
    assert all(j["status"] == "success" for j in run["jobs"]), run["jobs"]
    ids = instance_ids(inst)
    assert len(ids) == 1, inst.stderr_text()[-2000:]
    assert containers("cyberbrain.instance", ids.pop()) == []
    text = inst.stderr_text()
    assert "event=runtime.pick runtime=docker" in text
    assert text.count("event=worker.start runtime=docker isolated=true") == 2


def test_docker_deadline_kill(sleeper, make_instance):
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker", "CYBER_BRAIN_WORKER_IMAGE": sleeper,
                          "CYBER_BRAIN_JOB_TIMEOUT": "2"})
    server = inst.start()
    run = server.launch({"tasks": ["gpu_report"]})
    run = server.wait_run(run["id"], timeout=60)
    assert run["status"] == "failed", run
    job = run["jobs"][0]
    assert job["status"] == "failed"
    assert "deadline of 2 s exceeded" in (job.get("error") or ""), job
    ids = instance_ids(inst)
    assert len(ids) == 1
    assert containers("cyberbrain.instance", ids.pop()) == []


def test_docker_runtime_without_image_refuses_to_start(image, make_instance):  # noqa: F811
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker",
                          "CYBER_BRAIN_WORKER_IMAGE": "cyberbrain-no-such-image:0"})
    inst.prepare()
    r = inst.cli("serve", timeout=30)
    assert r.returncode != 0
    assert "CYBER_BRAIN_RUNTIME=docker" in r.stderr
    assert "No such image" in r.stderr

# SPDX-License-Identifier: MIT
# test_gpu.py -- the GPU report end to end without a GPU: real nvidia-smi captures
# (tests/data/nvidia-smi) replayed by the fake nvidia-smi (tests/fakes/fake_nvidia_smi.c)
# put first on PATH; `cyberbrain gpu-sample` and gpu_report runs through the API with the
# process runtime.
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BIN, ROOT

CAPS = os.path.join(ROOT, "tests", "data", "nvidia-smi")
H100 = "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt"
H100_MIG = "linux-x86_64__nvidia-h100-mig__590.48.01.txt"
RTX2080 = "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05.txt"
RTX2080_W = "windows-x86_64__nvidia-geforce-rtx-2080-super__591.86.txt"
RTX4080 = "linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt"

# What each capture's CSV section says under load (read off the capture by eye).
EXPECT = {
    H100: {"name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559, "memory_used_mib": 19818,
           "utilization_gpu_pct": 100, "temperature_c": 59, "temperature_margin_c": 26,
           "fan_speed_pct": None, "mig_mode": "disabled", "procs": 3},
    H100_MIG: {"name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559,
               "memory_used_mib": 11125, "utilization_gpu_pct": None, "temperature_c": 53,
               "temperature_margin_c": 24, "fan_speed_pct": None, "mig_mode": "enabled",
               "procs": 3},
    RTX2080: {"name": "NVIDIA GeForce RTX 2080 SUPER", "memory_total_mib": 8192,
              "memory_used_mib": 819, "utilization_gpu_pct": 8, "temperature_c": 45,
              "temperature_margin_c": None, "fan_speed_pct": 38, "mig_mode": None, "procs": 2},
    RTX2080_W: {"name": "NVIDIA GeForce RTX 2080 SUPER", "memory_total_mib": 8192,
                "memory_used_mib": 1296, "utilization_gpu_pct": 7, "temperature_c": 45,
                "temperature_margin_c": None, "fan_speed_pct": 38, "mig_mode": None,
                "procs": None},
    RTX4080: {"name": "NVIDIA GeForce RTX 4080 SUPER", "memory_total_mib": 16376,
              "memory_used_mib": 1474, "utilization_gpu_pct": 7, "temperature_c": 46,
              "temperature_margin_c": None, "fan_speed_pct": 0, "mig_mode": None, "procs": 3},
}


@pytest.fixture(scope="session")
def fake_bin(tmp_path_factory):
    """A folder holding the fake `nvidia-smi` (the one make built, else compiled here)."""
    built = os.environ.get("CB_FAKE_NVIDIA_SMI")
    if built and os.access(built, os.X_OK):
        return os.path.dirname(built)
    d = tmp_path_factory.mktemp("fake-bin")
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-o", str(d / "nvidia-smi"),
                    os.path.join(ROOT, "tests", "fakes", "fake_nvidia_smi.c")], check=True)
    return str(d)


def smi_env(fake_bin, capture, state="load", mode="", **extra):
    env = dict(os.environ)
    env.update({"PATH": fake_bin + ":" + env.get("PATH", "/usr/bin:/bin"),
                "FAKE_NVSMI_CAPTURE": os.path.join(CAPS, capture), "FAKE_NVSMI_STATE": state,
                "FAKE_NVSMI_MODE": mode})
    env.update(extra)
    return env


def gpu_sample(env, *args, timeout=30):
    return subprocess.run([BIN, "gpu-sample"] + list(args), env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("capture", sorted(EXPECT))
def test_cli_replays_each_capture(fake_bin, capture):
    r = gpu_sample(smi_env(fake_bin, capture), "--format", "json", "--source", "nvidia-smi")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    want = EXPECT[capture]
    assert s["source"] == "nvidia-smi" and s["driver"] == "present"
    assert len(s["gpus"]) == 1
    g = s["gpus"][0]
    for k, v in want.items():
        if k != "procs":
            assert g[k] == v, (k, g[k], v)
    assert g["index"] == 0 and g["uuid"].startswith("GPU-")
    assert isinstance(g["power_draw_w"], float) and g["power_draw_w"] > 0
    if want["procs"] is not None:
        assert len(s["processes"]) == want["procs"]
        assert all(p["used_memory_mib"] > 0 for p in s["processes"])
        assert sum(c["used_memory_mib"] for c in s["containers"]) == sum(
            p["used_memory_mib"] for p in s["processes"])
    else:  # Windows WDDM: processes listed, their memory unknown (null, not 0)
        assert len(s["processes"]) > 5
        assert all(p["used_memory_mib"] is None for p in s["processes"])
    # No process of this machine is an allowlisted container: all "other".
    assert {p["container"] for p in s["processes"]} <= {"other"}


def test_cli_text_and_idle(fake_bin):
    r = gpu_sample(smi_env(fake_bin, H100, state="idle"), "--source", "nvidia-smi")
    assert r.returncode == 0, r.stderr
    assert "NVIDIA H100 80GB HBM3" in r.stdout and "source: nvidia-smi" in r.stdout
    assert "processes: 0" in r.stdout  # idle: the capture lists none


def test_cli_four_gpus(fake_bin):
    env = smi_env(fake_bin, RTX4080, FAKE_NVSMI_GPUS="4")
    s = json.loads(gpu_sample(env, "--format", "json", "--source", "nvidia-smi").stdout)
    assert [g["index"] for g in s["gpus"]] == [0, 1, 2, 3]
    assert len({g["uuid"] for g in s["gpus"]}) == 4
    assert len(s["processes"]) == 12


def test_cli_no_driver(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    r = gpu_sample(env, "--format", "json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["gpus"] == [] and s["driver"] == "absent" and "nvidia-smi" in s["reason"]


def test_cli_no_devices(fake_bin):
    r = gpu_sample(smi_env(fake_bin, H100, mode="nodev"), "--format", "json", "--source",
                   "nvidia-smi")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["gpus"] == [] and s["reason"] == "No devices were found"


@pytest.mark.parametrize("mode,needle", [
    ("mismatch", "Driver/library version mismatch"),
    ("malformed", "line 1"),
])
def test_cli_driver_errors(fake_bin, mode, needle):
    r = gpu_sample(smi_env(fake_bin, H100, mode=mode), "--format", "json", "--source",
                   "nvidia-smi")
    assert r.returncode == 1
    s = json.loads(r.stdout)
    assert s["driver"] == "error" and needle in s["reason"] and s["gpus"] == []
    assert s["processes"] is None
    assert needle in r.stderr


def test_cli_hanging_nvidia_smi_times_out(fake_bin):
    r = gpu_sample(smi_env(fake_bin, H100, mode="hang"), "--format", "json", "--source",
                   "nvidia-smi", "--timeout-ms", "500", timeout=20)
    assert r.returncode == 1
    assert "did not answer within 500 ms" in json.loads(r.stdout)["reason"]


def test_cli_process_query_failure_is_not_idle(fake_bin):
    r = gpu_sample(smi_env(fake_bin, H100, mode="apps-fail"), "--format", "json", "--source",
                   "nvidia-smi")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["processes"] is None and "status 15" in s["processes_reason"]
    assert s["gpus"][0]["memory_used_mib"] == 19818


@pytest.mark.parametrize("args", [["--format", "xml"], ["--source", "xml"], ["--timeout-ms", "0"],
                                  ["--bogus"]])
def test_cli_bad_arguments(args):
    r = subprocess.run([BIN, "gpu-sample"] + args, capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "usage" in r.stderr


def gpu_server(make_instance, fake_bin, capture, state="load", mode="", tmp=None, **extra):
    """A server whose workers (process runtime: only PATH reaches them) find a fake
    nvidia-smi configured by the fake-nvidia-smi.conf beside it."""
    d = tempfile.mkdtemp(prefix="cb-fake-smi-")
    shutil.copy(os.path.join(fake_bin, "nvidia-smi"), os.path.join(d, "nvidia-smi"))
    env = smi_env(d, capture, state=state, mode=mode, **extra)
    with open(os.path.join(d, "fake-nvidia-smi.conf"), "w") as f:
        for k in sorted(env):
            if k.startswith("FAKE_NVSMI"):
                f.write("%s=%s\n" % (k, env[k]))
    inst = make_instance({"PATH": env["PATH"]})
    c = inst.start()
    c.instance = inst
    c.fake_conf = os.path.join(d, "fake-nvidia-smi.conf")
    return c


def set_fake(server, capture, state="load", mode=""):
    """Point the server's fake nvidia-smi at another capture (read on every call)."""
    with open(server.fake_conf, "w") as f:
        f.write("FAKE_NVSMI_CAPTURE=%s\nFAKE_NVSMI_STATE=%s\nFAKE_NVSMI_MODE=%s\n" % (
            os.path.join(CAPS, capture), state, mode))


def gpu_job(server):
    run = server.wait_run(server.launch({"tasks": ["gpu_report"]})["id"], timeout=60)
    job = run["jobs"][0]
    return run, job


def test_run_gpu_report_through_api(make_instance, fake_bin):
    server = gpu_server(make_instance, fake_bin, H100)
    assert server.get("/api/gpus/").json()["gpus"] == []  # nothing stored yet
    run, job = gpu_job(server)
    assert run["status"] == "success", job
    s = job["summary"]
    assert s["gpu_count"] == 1 and s["driver"] == "present" and s["source"] == "nvidia-smi"
    assert s["gpus"][0]["memory_used_mib"] == 19818
    # D2 as seeded: power 631.95 of 700 W is 90.3 % >= 90 %; utilisation 100 % >= 95 %
    # (default, severity info); temperature 59 C < 80, margin 26 C > 10, VRAM 24 % < 85.
    assert [(a["kind"], a["severity"]) for a in s["alerts"]] == [
        ("power", "warning"), ("utilization", "info")], s["alerts"]
    assert s["alerts"][0]["gpu_index"] == 0 and s["alerts"][0]["threshold"] == 90
    assert s["alerts"][0]["value"] == 90.3
    # Three processes, none in an allowlisted container: one "other" row with their VRAM.
    assert s["containers"] == [{
        "gpu_uuid": "GPU-00000000-0000-0000-0000-000000000000", "container": "other",
        "container_id": None, "used_memory_mib": 2566 + 1542 + 15690, "processes": 3,
        "utilization_gpu_pct": 100, "utilization_estimated": True}]
    plan = s["planning"]
    g = plan["gpus"][0]
    assert (g["peak_used_mib"], g["headroom_mib"], g["free_now_mib"]) == (
        19818, 81559 - 19818, 81559 - 19818)
    models = {m["model"]: m for m in plan["models"]}
    assert models["70B"]["footprint_mib"] == 70 * (572 + 20) + 1024
    assert models["70B"]["fits_on"] == [0] and models["7B"]["fits_now_on"] == [0]
    rep = server.wait_report(run["id"])
    md = rep["markdown"]
    assert "NVIDIA H100 80GB HBM3" in md and "### Alerts" in md
    assert "power draw of limit 90%" in md and "### Capacity" in md and "| 70B |" in md
    assert rep["json"]["jobs"][0]["summary"]["alerts"] == s["alerts"]
    latest = server.get("/api/gpus/").json()
    assert latest["run_id"] == run["id"] and latest["job_id"] == job["id"]
    lg = latest["gpus"][0]
    assert (lg["memory_used_mib"], lg["temperature_c"], lg["temperature_margin_c"]) == (
        19818, 59, 26)
    assert abs(lg["power_draw_w"] - 631.95) < 0.01 and lg["utilization_gpu_pct"] == 100
    assert latest["containers"][0]["used_memory_mib"] == 19798
    assert latest["containers"][0]["utilization_estimated"] is True


def test_gpu_history_peaks_and_pages(make_instance, fake_bin):
    server = gpu_server(make_instance, fake_bin, H100)
    t0 = server.get("/api/health/").headers.get("Date")
    before = "2000-01-01T00:00:00Z"
    first, _ = gpu_job(server)                 # load: 19818 MiB used
    set_fake(server, H100, state="idle")
    second, job = gpu_job(server)              # idle: 0 MiB used
    assert first["status"] == second["status"] == "success", (first, second, t0)
    plan = job["summary"]["planning"]["gpus"][0]
    # The peak of the window is the first run's, although the GPU is idle now.
    assert (plan["peak_used_mib"], plan["free_now_mib"], plan["samples"]) == (19818, 81559, 2)
    assert plan["headroom_mib"] == 81559 - 19818
    h = server.get("/api/gpus/?from=%s&page_size=1" % before).json()
    assert h["count"] == 2 and len(h["results"]) == 1 and h["next"] and h["previous"] is None
    assert h["results"][0]["job_id"] == job["id"]           # newest first
    assert h["results"][0]["memory_used_mib"] == 0
    nxt = server.get(h["next"]).json()
    assert nxt["results"][0]["memory_used_mib"] == 19818 and "from=" in h["next"]
    assert server.get("/api/gpus/?to=%s" % before).json()["count"] == 0
    uuid = h["results"][0]["gpu_uuid"]
    assert server.get("/api/gpus/?from=%s&gpu_uuid=%s" % (before, uuid)).json()["count"] == 2
    assert server.get("/api/gpus/?from=%s&gpu_uuid=GPU-x" % before).json()["count"] == 0
    c = server.get("/api/gpus/containers/?from=%s" % before).json()
    assert [r["used_memory_mib"] for r in c["results"]] == [19798]  # idle: no process rows
    assert server.get("/api/gpus/containers/?container=other").json()["count"] == 1
    assert server.get("/api/gpus/").json()["job_id"] == job["id"]


@pytest.mark.parametrize("query,field", [
    ("from=yesterday", "from"), ("to=2026-13-01T00:00:00Z", "to"),
    ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
])
def test_gpu_history_bad_dates(server, query, field):
    for path in ("/api/gpus/", "/api/gpus/containers/"):
        r = server.get(path + "?" + query)
        assert r.status_code == 400, r.text
        assert field in r.json(), r.text
    r = server.get("/api/gpus/?from=2026-11-01T00:00:00Z&page=0")
    assert r.status_code in (400, 404) and r.headers["Content-Type"].startswith("application/json")
    assert server.get("/api/gpus/?from=" + "9" * 300).status_code == 400


@pytest.mark.parametrize("config,field", [
    ({"vram_used_pct_warn": 150}, "vram_used_pct_warn"), ({"temp_c_warn": "hot"}, "temp_c_warn"),
    ({"planning_window_hours": 0}, "planning_window_hours"),
    ({"nvidia_smi_timeout_ms": 1.5}, "nvidia_smi_timeout_ms"),
    ({"util_pct_warn": -1}, "util_pct_warn"),
])
def test_gpu_settings_checked_on_save(server, config, field):
    r = server.post("/api/directives/", json={"name": "bad " + field, "text": "x",
                                              "config": config})
    assert r.status_code == 400 and field in r.json()["detail"], r.text


def test_gpu_thresholds_from_directive_and_image_placement(make_instance, fake_bin):
    server = gpu_server(make_instance, fake_bin, H100)
    r = server.post("/api/directives/", json={
        "name": "hot gpus", "text": "tighter GPU thresholds",
        "config": {"temp_c_warn": 50, "temp_margin_c_warn": 30, "power_pct_warn": 95,
                   "util_pct_warn": 101, "vram_used_pct_warn": 20}})
    assert r.status_code == 201, r.text
    for body in ({"image_name": "llm-big", "requires_gpu": True, "min_vram_mb": 70000},
                 {"image_name": "llm-small", "requires_gpu": True, "min_vram_mb": 4096},
                 {"image_name": "no-gpu", "requires_gpu": False}):
        assert server.post("/api/worker-images/", json=body).status_code == 201
    run = server.wait_run(server.launch({"tasks": ["gpu_report"],
                                         "directive_id": r.json()["id"]})["id"], timeout=60)
    s = run["jobs"][0]["summary"]
    # 59 C >= 50; margin 26 <= 30; VRAM 24.3 % >= 20; power 90.3 % < 95; util 100 < 101.
    assert sorted(a["kind"] for a in s["alerts"]) == ["slowdown_margin", "temperature", "vram"]
    imgs = {i["image"].split("/")[-1]: i for i in s["planning"]["images"]}
    assert set(imgs) == {"llm-big:latest", "llm-small:latest"}, imgs
    assert imgs["llm-small:latest"]["gpu_index"] == 0
    assert imgs["llm-big:latest"]["gpu_index"] is None and "free memory" in imgs[
        "llm-big:latest"]["reason"]


def test_run_gpu_report_driver_mismatch_fails(make_instance, fake_bin):
    server = gpu_server(make_instance, fake_bin, H100, mode="mismatch")
    run, job = gpu_job(server)
    assert run["status"] == "failed" and job["status"] == "failed"
    assert "Driver/library version mismatch" in job["error"], job
    assert server.get("/api/gpus/").json()["gpus"] == []  # a failed job leaves no history


@pytest.fixture(scope="session")
def fake_nvml(tmp_path_factory):
    """A folder holding the fake libnvidia-ml.so.1 (the one make built, else compiled)."""
    built = os.environ.get("CB_FAKE_NVML")
    if built and os.path.exists(built):
        return os.path.dirname(built)
    d = tmp_path_factory.mktemp("fake-nvml")
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-shared", "-fPIC", "-o",
                    str(d / "libnvidia-ml.so.1"),
                    os.path.join(ROOT, "tests", "fakes", "fake_nvml.c")], check=True)
    return str(d)


def test_cli_prefers_nvml(fake_bin, fake_nvml):
    """With libnvidia-ml.so.1 loadable, auto takes NVML (no nvidia-smi spawned) and gets the
    slowdown and shutdown thresholds the CSV path cannot give."""
    env = smi_env(fake_bin, H100, FAKE_NVSMI_MODE="hang", LD_LIBRARY_PATH=fake_nvml,
                  FAKE_NVML_CAPTURE=os.path.join(CAPS, RTX4080), FAKE_NVML_STATE="load")
    r = gpu_sample(env, "--format", "json", "--timeout-ms", "2000")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["source"] == "nvml"
    g = s["gpus"][0]
    assert (g["temperature_slowdown_c"], g["temperature_shutdown_c"]) == (96, 101)
    assert g["temperature_margin_c"] == 96 - 45 and g["memory_used_mib"] == 1474
    env["FAKE_NVML_MODE"] = "mismatch"
    env["FAKE_NVSMI_MODE"] = ""
    s = json.loads(gpu_sample(env, "--format", "json").stdout)
    assert s["source"] == "nvidia-smi" and "version mismatch" in s["nvml_error"]
    r = gpu_sample(env, "--format", "json", "--source", "nvml")
    assert r.returncode == 1 and "Failed to initialize NVML" in json.loads(r.stdout)["reason"]


@pytest.fixture(scope="module")
def sleeper_image(tmp_path_factory):
    """An image FROM scratch with busybox's sleep (real containers whose processes the fake
    nvidia-smi reports as GPU processes)."""
    from conftest import build_busybox_image
    from test_container_logs import need_engine
    need_engine()
    tag = build_busybox_image(tmp_path_factory, "cb-gpu-sleeper", ("sleep",))
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60, check=False)


def test_run_names_allowlisted_containers_from_host_proc(make_instance, fake_bin, sleeper_image):
    """Real containers: the fake nvidia-smi reports the host PIDs of an allowlisted container,
    of another container and of this test process; the worker (process runtime, the real
    /proc) reads their cgroups (this host: cgroup v1 /docker/<id>) and names only the
    allowlisted one."""
    import secrets
    names, pids, ids = [], [], []
    try:
        for _ in range(2):
            name = "cbgpu-" + secrets.token_hex(4)
            r = subprocess.run(["docker", "run", "-d", "--network", "none", "--name", name,
                                sleeper_image, "sleep", "300"], capture_output=True, text=True,
                               timeout=60, check=False)
            assert r.returncode == 0, r.stderr
            ids.append(r.stdout.strip())
            names.append(name)
            pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", name],
                                 capture_output=True, text=True, timeout=30, check=True)
            pids.append(pid.stdout.strip())
        server = gpu_server(make_instance, fake_bin, H100,
                            FAKE_NVSMI_PIDS="%s,%s,%d" % (pids[0], pids[1], os.getpid()))
        r = server.post("/api/containers/", json={"container_ref": names[0]})
        assert r.status_code == 201, r.text
        run, job = gpu_job(server)
        assert run["status"] == "success", job
        rows = {c["container"]: c for c in job["summary"]["containers"]}
        assert set(rows) == {names[0], "other"}, rows
        assert rows[names[0]]["used_memory_mib"] == 2566
        assert rows[names[0]]["container_id"] == ids[0]
        assert rows["other"]["used_memory_mib"] == 1542 + 15690
        assert rows["other"]["processes"] == 2 and rows["other"]["container_id"] is None
        # The name of the other container appears nowhere in what was kept.
        path = "/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"])
        r = server.get(path)
        assert r.status_code == 200, r.text
        text = r.text
        procs = json.loads(text)["processes"]
        assert [p["scope"] for p in procs] == ["allowlisted", "container", "host"]
        assert names[1] not in text and ids[1] not in text
        c = server.get("/api/gpus/containers/?container=%s" % names[0]).json()
        assert c["count"] == 1 and c["results"][0]["used_memory_mib"] == 2566
    finally:
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=60,
                           check=False)


def test_run_hanging_nvidia_smi_fails_the_job(make_instance, fake_bin):
    server = gpu_server(make_instance, fake_bin, H100, mode="hang")
    r = server.post("/api/directives/", json={"name": "fast gpu", "text": "short timeout",
                                              "config": {"nvidia_smi_timeout_ms": 500}})
    assert r.status_code == 201, r.text
    run = server.wait_run(server.launch({"tasks": ["gpu_report"],
                                         "directive_id": r.json()["id"]})["id"], timeout=60)
    job = run["jobs"][0]
    assert run["status"] == "failed" and job["status"] == "failed"
    assert "nvidia-smi did not answer within 500 ms" in job["error"], job


def test_worker_container_names_from_host_proc_mount(tmp_path, sleeper_image):
    """The worker image (static worker, FROM scratch) hardened as the docker runtime runs it,
    with the host's /proc mounted read-only at /host/proc as it is for a GPU gpu_report job,
    and a static replay nvidia-smi mounted at /usr/local/bin: from its own PID namespace, as
    uid 65534 with every capability dropped, it reads the host's /proc of another
    container's process and names that container because it is allowlisted."""
    import secrets
    from test_worker_image import HARDENING, IMAGE, job_dirs
    tools = tmp_path / "tools"
    tools.mkdir()
    subprocess.run(["cc", "-static", "-O2", "-std=c11", "-D_GNU_SOURCE", "-o",
                    str(tools / "nvidia-smi"),
                    os.path.join(ROOT, "tests", "fakes", "fake_nvidia_smi.c")], check=True)
    shutil.copy(os.path.join(CAPS, H100), tools / "capture.txt")
    name = "cbgpu-" + secrets.token_hex(4)
    r = subprocess.run(["docker", "run", "-d", "--network", "none", "--name", name,
                        sleeper_image, "sleep", "300"], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    try:
        pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", cid],
                             capture_output=True, text=True, timeout=30,
                             check=True).stdout.strip()
        (tools / "fake-nvidia-smi.conf").write_text(
            "FAKE_NVSMI_CAPTURE=/usr/local/bin/capture.txt\nFAKE_NVSMI_STATE=load\n"
            "FAKE_NVSMI_PIDS=%s,1\n" % pid)
        for p in tools.iterdir():
            os.chmod(p, 0o755)
        os.chmod(tools, 0o755)
        inp, out = job_dirs(tmp_path, {
            "task": "gpu_report", "proc_root": "/host/proc",
            "containers": [{"container_id": cid, "name": name}]})
        cmd = ["docker", "run", "--rm", *HARDENING, "-v", f"{inp}:/input:ro",
               "-v", f"{out}:/output", "--mount",
               "type=bind,source=/proc,target=/host/proc,readonly", "--mount",
               f"type=bind,source={tools},target=/usr/local/bin,readonly", IMAGE]
        w = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert w.returncode == 0, w.stderr
        res = json.loads((out / "result.json").read_text())
        assert res["status"] == "success" and res["source"] == "nvidia-smi", res
        procs = res["processes"]
        assert procs[0]["pid"] == int(pid) and procs[0]["container"] == name, procs
        assert procs[0]["scope"] == "allowlisted" and procs[0]["container_id"] == cid
        assert procs[1]["scope"] == "host" and procs[1]["container"] == "other"  # pid 1
        rows = {c["container"]: c["used_memory_mib"] for c in res["containers"]}
        assert rows == {name: 2566, "other": 1542 + 15690}, rows
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, timeout=60,
                       check=False)

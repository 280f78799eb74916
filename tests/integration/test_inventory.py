# SPDX-License-Identifier: MIT
# test_inventory.py -- /api/inventory/ against the real engine: every container is listed
# with id, name, image and state; only allowlisted ones carry details, and variable values
# are stored nowhere; a removed container shows in the difference; a gpu_report run takes
# one `run` snapshot. The containers are created from the worker image and never started.
# Without an engine the tests skip, except with CI=true, where they fail.
import os
import secrets
import subprocess

import pytest

from test_worker_image import IMAGE, image  # noqa: F401 (fixture)

INV = "/api/inventory/"


@pytest.fixture
def made(image):  # noqa: F811
    """Factory: create (never start) a container of the worker image; removed at teardown."""
    ids = []

    def create(labels=None, env=None):
        name = "cbinv-" + secrets.token_hex(6)
        cmd = ["docker", "create", "--network", "none", "--name", name]
        for k, v in (labels or {}).items():
            cmd += ["--label", "%s=%s" % (k, v)]
        for k, v in (env or {}).items():
            cmd += ["-e", "%s=%s" % (k, v)]
        r = subprocess.run(cmd + [image], capture_output=True, text=True, timeout=60,
                           check=False)
        assert r.returncode == 0, r.stderr
        ids.append(r.stdout.strip())
        return {"id": r.stdout.strip(), "name": name}

    yield create
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=60,
                       check=False)


def remove(c):
    r = subprocess.run(["docker", "rm", "-f", c["id"]], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr


def stored_text(inst):
    """Everything the database holds in the inventory tables, as text."""
    if inst.backend == "postgresql":
        sql = ("SELECT container_id || name || image || state || status || "
               "COALESCE(details, '') FROM inventory_items")
        r = subprocess.run(["psql", "-At", "-v", "ON_ERROR_STOP=1", inst.pg_conninfo, "-c", sql],
                           capture_output=True, text=True, timeout=30, check=True)
        return r.stdout
    out = b""
    db = inst.env["CYBER_BRAIN_DB"]
    for p in (db, db + "-wal"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                out += f.read()
    return out.decode("utf-8", "replace")


def snapshot(server):
    r = server.post(INV + "snapshot/")
    assert r.status_code == 201, r.text
    assert secret_free(r.text)
    return r.json()


SECRET = "val-" + secrets.token_hex(12)


def secret_free(text):
    return SECRET not in text


def by_id(snap):
    return {it["container_id"]: it for it in snap["items"]}


def test_snapshot_details_and_diff(server, made):
    labels = {"com.docker.compose.project": "cbinvproj", "com.docker.compose.service": "web",
              "owner.note": SECRET}
    env = {"DB_PASSWORD": SECRET, "API_TOKEN": SECRET, "PLAIN": SECRET}
    allowed = made(labels, env)
    other = made(labels, env)
    gone = made({}, {"X": SECRET})
    r = server.post("/api/containers/", json={"container_ref": allowed["name"]})
    assert r.status_code == 201, r.text

    snap1 = snapshot(server)
    assert snap1["source"] == "manual" and snap1["run_id"] is None
    assert snap1["container_count"] >= 3
    r = server.get(INV + "%d/" % snap1["id"])
    assert r.status_code == 200 and secret_free(r.text)
    items = by_id(r.json())
    assert len(items) == snap1["container_count"]
    for c in (allowed, other, gone):
        it = items[c["id"]]
        assert it["name"] == c["name"]
        assert it["image"] == IMAGE
        assert it["state"] == "created"
    a = items[allowed["id"]]
    assert a["is_allowlisted"] is True
    d = a["details"]
    assert {"DB_PASSWORD", "API_TOKEN", "PLAIN"} <= set(d["env_names"])
    assert d["labels"] == {"com.docker.compose.project": "cbinvproj",
                           "com.docker.compose.service": "web"}
    assert d["restart_count"] == 0 and d["exit_code"] == 0
    assert [n["name"] for n in d["networks"]] == ["none"]
    for c in (other, gone):
        assert items[c["id"]]["is_allowlisted"] is False
        assert items[c["id"]]["details"] is None

    remove(gone)
    snap2 = snapshot(server)
    r = server.get(INV + "diff/")
    assert r.status_code == 200 and secret_free(r.text)
    diff = r.json()
    assert diff["from"]["id"] == snap1["id"] and diff["to"]["id"] == snap2["id"]
    removed = {x["id"]: x for x in diff["removed"]}
    assert gone["id"] in removed and removed[gone["id"]]["name"] == gone["name"]
    mine = {allowed["id"], other["id"]}
    assert not mine & {x["id"] for x in diff["added"] + diff["removed"] + diff["changed"]}
    r = server.get(INV + "diff/?from=%d&to=%d" % (snap2["id"], snap1["id"]))
    assert gone["id"] in {x["id"] for x in r.json()["added"]}

    latest = server.get(INV + "latest/")
    assert latest.status_code == 200 and latest.json()["id"] == snap2["id"]
    assert gone["id"] not in by_id(latest.json())
    listed = server.get(INV).json()
    assert listed["count"] == 2 and [s["id"] for s in listed["results"]] == [snap2["id"],
                                                                             snap1["id"]]
    assert "items" not in listed["results"][0]
    assert secret_free(stored_text(server.instance))
    assert secret_free(server.instance.stderr_text())


def test_run_takes_one_snapshot(server, image):  # noqa: F811
    run = server.launch({"tasks": ["gpu_report"]})
    run = server.wait_run(run["id"], timeout=60)
    assert run["status"] == "success", run
    run_snaps = [s for s in server.list_all(INV) if s["source"] == "run"]
    assert len(run_snaps) == 1 and run_snaps[0]["run_id"] == run["id"], run_snaps
    # A run without gpu_report or service_map takes none.
    other = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"], timeout=60)
    assert [s for s in server.list_all(INV) if s["run_id"] == other["id"]] == []


def test_engine_down(make_instance, tmp_path):
    sock = tmp_path / "no-docker.sock"
    server = make_instance({"DOCKER_HOST": "unix://%s" % sock}).start()
    r = server.post(INV + "snapshot/")
    assert r.status_code == 503, r.text
    assert r.json()["detail"]
    # The run-time snapshot fails quietly; the job does not.
    run = server.wait_run(server.launch({"tasks": ["gpu_report"]})["id"], timeout=60)
    assert run["status"] == "success", run
    assert server.get(INV).json()["count"] == 0
    assert server.get(INV + "latest/").status_code == 404


def test_service_map_sees_only_allowlisted_details(server, made):
    """service_map's job gets id, name, image and state for every container and details
    only for allowlisted ones: labels and variable values of the others never reach it."""
    labels = {"com.docker.compose.project": "cbinvmap", "owner.note": SECRET}
    allowed = made(labels, {"DB_PASSWORD": SECRET})
    other = made(labels, {"DB_PASSWORD": SECRET})
    r = server.post("/api/containers/", json={"container_ref": allowed["name"]})
    assert r.status_code == 201, r.text
    run = server.wait_run(server.launch({"tasks": ["service_map"]})["id"], timeout=60)
    assert run["status"] == "success", run
    job = run["jobs"][0]
    r = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"]))
    assert r.status_code == 200, r.text
    assert secret_free(r.text) and "owner.note" not in r.text
    seen = {c["name"]: c for c in r.json()["containers"]}
    assert seen[allowed["name"]]["is_allowlisted"] is True
    assert seen[allowed["name"]]["networks"] == ["none"]
    assert seen[other["name"]]["is_allowlisted"] is False
    assert seen[other["name"]]["networks"] == [] and seen[other["name"]]["ports"] == []
    report = server.get("/api/runs/%d/report/" % run["id"])
    assert report.status_code == 200 and secret_free(report.text)

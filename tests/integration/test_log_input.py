# SPDX-License-Identifier: MIT
# test_log_input.py -- log_triage over a folder of bad input (NUL bytes, invalid UTF-8, a
# 10 MB line, CRLF, no final newline, a binary file, a name that is not UTF-8, unreadable
# files and folders): the run succeeds, the result counts what it met, the report's
# Coverage section says what was read, skipped and unreadable. Also D1's log_formats.
# Unreadable needs the docker runtime (the worker runs as uid 65534; as root, the process
# runtime reads a mode-000 file).
import datetime
import os

from conftest import iso
from test_worker_image import image  # noqa: F401 (fixture)

BIG = 10 * 1024 * 1024


def write_bad_logs(logs):
    """Add the bad files to the instance's logs folder; returns the expected counts."""
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=2)
    ts = iso(now).encode()
    files = {
        "nul.log": ts + b" ERROR a\0b\0c failed\n" + ts + b" INFO ok\n",
        "crlf-utf8.log": ts + b" ERROR user \xff\xfe\xc3 failed\r\n" + ts + b" WARN \xc3\xa9t\xc3\xa9\r\n",
        "long.log": ts + b" WARN long " + b"z" * BIG + b"\n" + ts + b" INFO short\n",
        "unterminated.log": ts + b" ERROR last line without newline",
        "bin.dat": b"\x7fELF\x02\x01\x01" + b"\0" * 8000,
        b"name-\xff.log": ts + b" INFO odd name\n",
    }
    for name, data in files.items():
        path = os.path.join(os.fsencode(logs), name if isinstance(name, bytes) else name.encode())
        with open(path, "wb") as f:
            f.write(data)
    secret = os.path.join(logs, "secret.log")
    with open(secret, "wb") as f:
        f.write(ts + b" ERROR hidden\n")
    os.chmod(secret, 0o000)
    private = os.path.join(logs, "private")
    os.makedirs(private)
    with open(os.path.join(private, "app.log"), "wb") as f:
        f.write(ts + b" ERROR hidden too\n")
    os.chmod(private, 0o700)


def triage_result(server, run):
    job = run["jobs"][0]
    r = server.get("/api/runs/%d/artifacts/jobs/%d/result.json" % (run["id"], job["id"]))
    assert r.status_code == 200, r.text
    return r.json()


def run_triage(server):
    run = server.wait_run(server.launch({"tasks": ["log_triage"]})["id"], timeout=120)
    assert run["status"] == "success", run
    return run, triage_result(server, run)


def check_common(server, run, res):
    inp = res["input"]
    assert inp["nul_bytes"] == 2 and inp["nul_lines"] == 1, inp
    assert inp["invalid_utf8_lines"] == 1, inp
    assert inp["crlf_lines"] == 2, inp
    assert inp["lines_cut"] == 1, inp
    assert inp["unterminated_lines"] == 1, inp
    assert inp["binary_files"] == 1, inp
    skipped = {e["path"]: e["reason"] for e in res["coverage"]["skipped"]}
    assert skipped.get("bin.dat") == "binary", skipped
    read = res["coverage"]["read"]
    assert "long.log" in read and "name-?.log" in read, read
    files = {f["path"]: f for f in res["files"]}
    assert files["long.log"]["lines"] == 2, files["long.log"]
    # Exact byte accounting: the cursor of a file with NUL bytes ends where the file does.
    cursors = {c["path"]: c["offset_bytes"] for c in res["cursors"]}
    assert cursors["nul.log"] == os.path.getsize(os.path.join(server.instance.logs, "nul.log"))
    summary = run["jobs"][0]["summary"]
    assert summary["input"] == inp
    assert summary["coverage"]["skipped"]["first"][0]["path"] in skipped
    md = server.wait_report(run["id"])["markdown"]
    assert "### Coverage" in md, md
    assert "bin.dat: binary" in md, md
    assert "| lines\\_cut | 1 |" in md, md
    return md


def test_bad_input_process_runtime(make_instance):
    inst = make_instance()
    write_bad_logs(inst.logs)
    server = inst.start()
    server.instance = inst
    run, res = run_triage(server)
    check_common(server, run, res)


def test_bad_input_docker_unreadable(image, make_instance):  # noqa: F811
    inst = make_instance({"CYBER_BRAIN_RUNTIME": "docker"})
    write_bad_logs(inst.logs)
    server = inst.start()
    server.instance = inst
    run, res = run_triage(server)
    md = check_common(server, run, res)
    unreadable = {e["path"]: e["reason"] for e in res["coverage"]["unreadable"]}
    assert unreadable.get("secret.log") == "Permission denied", unreadable
    assert unreadable.get("private") == "Permission denied", unreadable
    assert res["input"]["unreadable_files"] == 2, res["input"]
    assert run["jobs"][0]["summary"]["files"]["unreadable"] == 2
    assert "- Unreadable: 2" in md and "secret.log: Permission denied" in md, md


def d1(server):
    return next(d for d in server.list_all("/api/directives/") if d["key"] == "D1")


def test_d1_log_formats(server):
    d = d1(server)
    url = "/api/directives/%d/" % d["id"]
    bad = {"config": {"log_formats": [{"path": "hdfs/*.log", "format": "<Date> <Level>"}]}}
    r = server.patch(url, json=bad)
    assert r.status_code == 400, r.text
    assert "log_formats[0].format" in r.text and "no <Content> field" in r.text, r.text
    too_many = {"config": {"log_formats": [{"path": "*", "format": "<Content>"}] * 33}}
    r = server.patch(url, json=too_many)
    assert r.status_code == 400 and "at most 32" in r.text, r.text
    r = server.patch(url, json={"config": {"log_formats": [{"path": "x", "format": 7}]}})
    assert r.status_code == 400 and "log_formats[0].format" in r.text, r.text

    logs = server.instance.logs
    os.makedirs(os.path.join(logs, "hdfs"))
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    old = now - datetime.timedelta(days=3)
    stamp = lambda t: t.strftime("%y%m%d %H%M%S")  # noqa: E731 (HDFS: YYMMDD HHMMSS)
    with open(os.path.join(logs, "hdfs", "dn.log"), "w") as f:
        f.write("%s 148 ERROR dfs.DataNode: three days ago, outside the window\n" % stamp(old))
        f.write("%s 148 ERROR dfs.DataNode: Failed block blk_1\n" % stamp(now))
        f.write("%s 148 ERROR dfs.DataNode: Failed block blk_2\n" % stamp(now))
    good = {"config": {"log_formats": [
        {"path": "hdfs/*.log", "format": "<Date> <Time> <Pid> <Level> <Component>: <Content>"}]}}
    r = server.patch(url, json=good)
    assert r.status_code == 200, r.text
    assert r.json()["config"]["log_formats"] == good["config"]["log_formats"]
    run, res = run_triage(server)
    assert res["log_formats"][0]["files"] == 1 and res["log_formats"][0]["error"] is None
    assert res["templates"]["formats"].get("log_formats[0]") == 1, res["templates"]
    files = {f["path"]: f for f in res["files"]}
    # The format's timestamps place the old line outside the default window.
    assert files["hdfs/dn.log"]["lines"] == 3 and files["hdfs/dn.log"]["in_window"] == 2, files


def test_d1_max_bytes_and_lookback(server):
    """D1's max_bytes_per_file bounds a first read; lookback_hours sets the first window."""
    url = "/api/directives/%d/" % d1(server)["id"]
    for bad in ({"max_bytes_per_file": 1000}, {"max_bytes_per_file": 2 ** 31},
                {"max_bytes_per_file": "1MiB"}, {"lookback_hours": 0},
                {"lookback_hours": "6"}, {"lookback_hours": 10 ** 6},
                {"levels": "error"}, {"levels": ["error", "loud"]}):
        r = server.patch(url, json={"config": bad})
        assert r.status_code == 400, (bad, r.text)
        assert list(bad)[0] in r.json()["detail"], r.text
    r = server.patch(url, json={"config": {"max_bytes_per_file": 1 << 20, "lookback_hours": 2}})
    assert r.status_code == 200, r.text
    ts = iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1))
    line = "%s INFO filler line %%07d of a big file, padded to a fixed width ....\n" % ts
    path = os.path.join(server.instance.logs, "big.log")
    with open(path, "w") as f:
        f.write("".join(line % i for i in range(3 * (1 << 20) // len(line % 0))))
    size, width = os.path.getsize(path), len(line % 0)
    run, res = run_triage(server)
    job = run["jobs"][0]
    hours = (datetime.datetime.fromisoformat(job["window_end"].replace("Z", "+00:00")) -
             datetime.datetime.fromisoformat(job["window_start"].replace("Z", "+00:00")))
    assert hours == datetime.timedelta(hours=2), job
    big = {f["path"]: f for f in res["files"]}["big.log"]
    assert big["start"] == "first" and big["from_offset"] == size - (1 << 20), big
    # the last 1 MiB: whole lines only (the cut one at its start is skipped)
    assert big["lines"] == (1 << 20) // width, (big, width)
    assert res["input"]["partial_lines_skipped"] >= 1

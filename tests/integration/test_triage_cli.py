# SPDX-License-Identifier: MIT
# test_triage_cli.py -- `cyberbrain triage`: bad bytes are counted, never a crash, and
# --assignments has one row per input line.
import csv
import os
import json
import subprocess

from conftest import BIN


def triage(tmp_path, data, *args):
    p = tmp_path / "in.log"
    p.write_bytes(data)
    out = tmp_path / "assign.csv"
    r = subprocess.run([BIN, "triage", "--format", "json", "--assignments", str(out), *args,
                        str(p)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(out, newline="", encoding="utf-8", errors="replace") as f:
        rows = list(csv.DictReader(f))
    return json.loads(r.stdout), rows


def test_crlf_no_final_newline(tmp_path):
    data = b"conn from 10.0.0.1 port 22\r\nconn from 10.0.0.2 port 23\r\nuser bob logged in"
    s, rows = triage(tmp_path, data)
    assert s["lines"] == 3 and len(rows) == 3
    assert [r["LineId"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["EventTemplate"] == "conn from <*> port <*>" == rows[1]["EventTemplate"]
    assert rows[2]["EventTemplate"] == "user bob logged in"
    assert {t["text"]: t["count"] for t in s["templates"]} == {
        "conn from <*> port <*>": 2, "user bob logged in": 1}


def test_bad_bytes_counted(tmp_path):
    lines = [b"ok line 1", b"nul \x00 inside", b"bad utf8 \xff\xfe\xc3 here", b"x" * (10 << 20),
             b"ok line 2", b"", b"\x00\x01\x02"]
    s, rows = triage(tmp_path, b"\n".join(lines) + b"\n")
    assert s["lines"] == len(lines) == len(rows)
    assert s["skipped_long"] == 1
    assert s["skipped_binary"] == 2
    assert rows[0]["EventTemplate"] == rows[4]["EventTemplate"] == "ok line <*>"
    assert rows[3]["EventTemplate"] == "" and rows[1]["EventTemplate"] == ""
    assert any(t["text"].startswith("bad <*> ") and t["text"].endswith(" here") for t in s["templates"])


def test_log_format_and_levels(tmp_path):
    data = (b"[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6\n"
            b"[Sun Dec 04 04:47:45 2005] [error] mod_jk child workerEnv in error state 7\n"
            b"[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10\n"
            b"not a header line\n")
    s, rows = triage(tmp_path, data, "--log-format", r"\[<Time>\] \[<Level>\] <Content>")
    assert s["format_unmatched"] == 1
    assert len(rows) == 4
    top = s["templates"][0]
    assert top["text"] == "mod_jk child workerEnv in error state <*>"
    assert top["levels"] == {"error": 2} and len(top["key"]) == 16


def test_usage_errors(tmp_path):
    for args in (["triage"], ["triage", "--format", "xml", "f"],
                 ["triage", "--log-format", "<Date> no content", "f"]):
        r = subprocess.run([BIN, *args], capture_output=True, timeout=30)
        assert r.returncode == 2, (args, r.stderr)
    r = subprocess.run([BIN, "triage", str(tmp_path / "missing.log")], capture_output=True,
                       timeout=30)
    assert r.returncode == 1 and b"cannot read" in r.stderr


def test_auto_detected_header(tmp_path):
    data = (b"Nov 24 18:52:50 host sshd[123]: Failed password for root from 10.0.0.7 port 5522\n"
            b"Nov 24 18:52:51 host sshd[124]: Failed password for root from 10.0.0.8 port 5523\n")
    s, rows = triage(tmp_path, data)
    assert [t["text"] for t in s["templates"]] == ["Failed password for root from <*> port <*>"]
    assert len(rows) == 2


GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "triage_miner")


def golden_rows(path, *args):
    r = subprocess.run([BIN, "triage", "--format", "json", *args, path], capture_output=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    return s, ["%d\t%s" % (t["count"], t["text"]) for t in s["templates"]]


def test_golden_templates():
    """The miner's templates of a fixed log, bare and behind an auto-detected header."""
    with open(os.path.join(GOLDEN, "mixed.templates"), encoding="utf-8") as f:
        want = f.read().splitlines()
    _, bare = golden_rows(os.path.join(GOLDEN, "mixed.log"), "--log-format", "<Content>")
    assert bare == want
    s, headed = golden_rows(os.path.join(GOLDEN, "mixed_iso.log"))
    assert headed == want
    levels = {t["text"]: t["levels"] for t in s["templates"]}
    assert levels["failed to connect to postgres at <*>:<*>: connection refused"] == {"error": 15}
    assert levels["disk <*> is <*> full"] == {"warn": 8}

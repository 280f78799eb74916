# SPDX-License-Identifier: MIT
# test_redact_cli.py -- `cyberbrain redact [--spans] [--mask]`: exact span offsets, typed
# placeholders, pseudonyms keyed by CYBER_BRAIN_SECRET_KEY, and any bytes (NUL, invalid
# UTF-8, a 10 MB line) without a crash. No database is involved.
import json
import os
import subprocess

from conftest import BIN

KEY = "integration-secret-key-0123456789"


def redact(data, *args, key=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CYBER_BRAIN_SECRET_KEY", "DJANGO_SECRET_KEY")}
    if key:
        env["CYBER_BRAIN_SECRET_KEY"] = key
    r = subprocess.run([BIN, "redact", *args], input=data, capture_output=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def spans(data):
    out = redact(data, "--spans").stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def test_spans_exact_offsets():
    data = (b"user alice@example.com from 10.1.2.3\n"
            b"password=hunter2 /home/bob/x\n"
            b"\n"
            b"db postgres://app:s3cr3t@db:5432/x card 4111 1111 1111 1111")
    got = spans(data)
    assert got == [
        {"line": 1, "start": 5, "end": 22, "type": "EMAIL"},
        {"line": 1, "start": 28, "end": 36, "type": "IP"},
        {"line": 2, "start": 9, "end": 16, "type": "SECRET"},
        {"line": 2, "start": 23, "end": 26, "type": "PATH_USER"},
        {"line": 4, "start": 14, "end": 24, "type": "URL_CREDENTIALS"},
        {"line": 4, "start": 40, "end": 59, "type": "CARD"},
    ]
    lines = data.split(b"\n")
    for s in got:
        assert s["type"] != "EMAIL" or lines[s["line"] - 1][s["start"]:s["end"]] == \
            b"alice@example.com"
    assert lines[3][14:24] == b"app:s3cr3t" and lines[3][40:59] == b"4111 1111 1111 1111"


def test_every_type_named():
    data = (b"a@example.com 10.0.0.9 00:1a:2b:3c:4d:5e +44 20 7946 0958 "
            b"4111111111111111 DE89370400440532013000 123-45-6789 AKIAIOSFODNN7EXAMPLE "
            b"https://u:p@h /home/carol/x 3f4e1a2b9c0d\n")
    assert [s["type"] for s in spans(data)] == [
        "EMAIL", "IP", "MAC", "PHONE", "CARD", "IBAN", "SSN", "SECRET", "URL_CREDENTIALS",
        "PATH_USER", "CONTAINER_ID"]


def test_mask_and_traps():
    data = (b"user alice@example.com from 10.1.2.3 version 1.2.3.4 at 18:52:50 pid 12345\r\n"
            b"Authorization: Bearer abc.def\nno newline at end 4111 1111 1111 1111")
    out = redact(data).stdout
    assert out == (b"user [EMAIL] from [IP] version 1.2.3.4 at 18:52:50 pid 12345\r\n"
                   b"Authorization: Bearer [SECRET]\nno newline at end [CARD]")
    assert redact(out).stdout == out  # idempotent


def test_pseudonyms_keyed_by_secret():
    data = b"from bob@example.com to bob@example.com and ann@example.com\n"
    a = redact(data, key=KEY).stdout.decode()
    words = a.split()
    assert words[1] == words[3] and words[1] != words[5], a
    assert words[1].startswith("[EMAIL:") and len(words[1]) == len("[EMAIL:3f9a]")
    assert redact(data, key=KEY).stdout.decode() == a  # stable
    assert redact(data, key=KEY + "x").stdout.decode() != a  # another key
    assert redact(a.encode(), key=KEY).stdout.decode() == a  # idempotent
    assert redact(data, "--mask", key=KEY).stdout == \
        b"from [EMAIL] to [EMAIL] and [EMAIL]\n"


def test_binary_bytes_and_nul():
    data = b"\xff\xfe bad \xc3( x@example.com \x00 10.0.0.1 \x80\n\x00\x00\n"
    out = redact(data).stdout
    assert out == b"\xff\xfe bad \xc3( [EMAIL] \x00 [IP] \x80\n\x00\x00\n"
    got = spans(data)
    assert [(s["line"], s["start"], s["end"]) for s in got] == [(1, 10, 23), (1, 26, 34)]


def test_ten_megabyte_line_is_cut_not_crashed():
    big = b"a" * (10 << 20) + b" z@example.com"
    data = b"first x@example.com\n" + big + b"\nlast 10.0.0.1\n"
    r = redact(data)
    lines = r.stdout.split(b"\n")
    assert lines[0] == b"first [EMAIL]"
    assert len(lines[1]) == 1 << 20 and set(lines[1]) == {ord("a")}
    assert lines[2] == b"last [IP]"
    assert b"1 line(s) cut" in r.stderr
    got = spans(data)
    assert [(s["line"], s["type"]) for s in got] == [(1, "EMAIL"), (3, "IP")]


def test_bad_argument():
    r = subprocess.run([BIN, "redact", "--nope"], input=b"", capture_output=True, timeout=60)
    assert r.returncode == 2 and b"usage" in r.stderr

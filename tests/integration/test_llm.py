# SPDX-License-Identifier: MIT
# test_llm.py -- explanations by a real local LLM (llama.cpp through node-llama-cpp, the tiny
# "Hello, world!" model of tests/llm), on SQLite and PostgreSQL: both APIs, streamed and not,
# token counts equal to what the model server reported, nothing of the prompt or the answer
# kept anywhere, the locality check (public, unspecified, numeric spellings, redirects, proxy
# from the environment), the llm_calls schema, /api/llm-calls/ and /api/token-usage/.
import http.server
import json
import os
import socket
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import ROOT, free_port
from test_lifecycle import slow_worker
from test_redaction_e2e import dump_database, read_tree

LLM_DIR = os.path.join(ROOT, "tests", "llm")
REPLY = "Hello, world!"
HEALTH_TIMEOUT_S = 60
# The tiny model's tokenizer spends about one token per byte and its context is 2048
# tokens: keep the prompt's estimate (bytes / 3) at 500 tokens, about 1500 bytes.
PROMPT_TOKENS = "500"
PLANTED_EMAIL = "quentin.planted@example.com"
PLANTED_IP = "198.51.100.77"
PLANTED_DIRECTIVE = "Focus on the db outage; contact ursula.planted@example.org zq7marker"


class LlmServer:
    def __init__(self, tmp):
        self.port = free_port()
        self.record = os.path.join(tmp, "requests.jsonl")
        model = os.path.join(tmp, "tiny-hello.gguf")
        subprocess.run(["/usr/bin/python3", os.path.join(LLM_DIR, "make_tiny_gguf.py"), model],
                       check=True, capture_output=True, timeout=60)
        self.log = open(os.path.join(tmp, "llm-server.log"), "wb")
        self.proc = subprocess.Popen(
            ["node", os.path.join(LLM_DIR, "llm-server.mjs"), "--model", model, "--host",
             "127.0.0.1", "--port", str(self.port), "--threads", "1", "--ctx", "2048",
             "--record", self.record],
            cwd=LLM_DIR, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = "http://127.0.0.1:%d" % self.port
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            assert self.proc.poll() is None, "llm-server exited: %s" % self.log_text()
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "llm-server did not start: " + self.log_text()
            time.sleep(0.1)

    def log_text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def requests(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    assert os.path.isdir(os.path.join(LLM_DIR, "node_modules", "node-llama-cpp")), (
        "tests/llm/node_modules is missing: run sh scripts/install-deps")
    srv = LlmServer(str(tmp_path_factory.mktemp("llm")))
    yield srv
    srv.stop()


def llm_env(url, api="auto", stream=True, **extra):
    env = {"LLM_BASE_URL": url, "LLM_API": api, "LLM_MODEL": "tiny-hello",
           "LLM_STREAM": "true" if stream else "false", "LLM_MAX_PROMPT_TOKENS": PROMPT_TOKENS,
           "LLM_MAX_TOKENS": "32", "LLM_CONNECT_TIMEOUT": "2", "LLM_TIMEOUT": "60",
           "CYBER_BRAIN_LOG_LEVEL": "debug"}
    env.update(extra)
    return env


def plant_logs(logs_dir):
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=3)
    lines = []
    for i in range(6):
        ts = (now + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lines.append("%s ERROR login failed for %s from %s attempt %d" % (
            ts, PLANTED_EMAIL, PLANTED_IP, i))
    with open(os.path.join(logs_dir, "auth.log"), "w") as f:
        f.write("\n".join(lines) + "\n")


def ended_run(server, directive_text=None):
    body = {"tasks": ["log_triage"]}
    if directive_text:
        body["directive_text"] = directive_text
    run = server.launch(body)
    run = server.wait_run(run["id"], timeout=120)
    rep = server.wait_report(run["id"])
    assert rep["json"] is not None, rep
    return run


def sse_events(resp):
    """Parse an SSE body into [(event, data)]."""
    events, etype, data = [], None, []
    for raw in resp.iter_lines(decode_unicode=True):
        line = raw if raw is not None else ""
        if line == "":
            if etype is not None or data:
                events.append((etype or "message", "\n".join(data)))
            etype, data = None, []
        elif line.startswith(":") or line.startswith("retry:"):
            continue
        elif line.startswith("event:"):
            etype = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    return events


def explain(server, run_id, expect=200):
    r = server.get("/api/runs/%d/explain/" % run_id, stream=True, timeout=120)
    assert r.status_code == expect, (r.status_code, r.text[:2000])
    if expect != 200:
        body = r.json()
        assert isinstance(body.get("detail"), str) and body["detail"], body
        return body, None
    assert r.headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(r)
    text = "".join(json.loads(d)["text"] for t, d in events if t == "chunk")
    last_type, last = events[-1][0], json.loads(events[-1][1])
    return (last_type, last), text


def assert_kept_nowhere(inst, needles):
    """No needle in any table, in any file under the data folders, or in the log output;
    returns ({path: text} of those files, the log text)."""
    dump = dump_database(inst)
    files = {}
    for root in (inst.uploads, inst.data, inst.logs):
        files.update(read_tree(root))
    logs = inst.stderr_text()
    for n in needles:
        assert n not in dump, "the database holds %r" % n[:60]
        assert n not in logs, "the log output holds %r" % n[:60]
        for path, content in files.items():
            assert n not in content, "%s holds %r" % (path, n[:60])
    return files, logs


def llm_calls(server):
    return server.list_all("/api/llm-calls/")


@pytest.mark.parametrize("api,stream", [("openai", True), ("openai", False), ("ollama", True),
                                        ("ollama", False), ("auto", True)])
def test_explain_counts_equal_server_report(make_instance, llm, api, stream):
    inst = make_instance(llm_env(llm.url, api, stream))
    server = inst.start()
    run = ended_run(server)
    before = len(llm.requests())
    (kind, done), text = explain(server, run["id"])
    assert kind == "done", done
    assert text == REPLY
    got = llm.requests()[before:]
    assert len(got) == 1, got
    req = got[0]
    # auto probes /api/version first: the test server speaks both, so it is taken as Ollama.
    used = "openai" if api == "openai" else "ollama"
    want_path = "/api/chat" if used == "ollama" else "/v1/chat/completions"
    assert req["path"] == want_path
    assert req["body"]["stream"] is stream
    if used == "openai":
        assert req["body"]["stream_options"] == {"include_usage": True} if stream else \
            "stream_options" not in req["body"]
    usage = req["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert done["prompt_tokens"] == usage["prompt_tokens"]
    assert done["completion_tokens"] == usage["completion_tokens"]
    assert done["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    calls = llm_calls(server)
    assert len(calls) == 1
    c = calls[0]
    assert c["id"] == done["llm_call_id"]
    assert c["status"] == "success" and c["run_id"] == run["id"]
    assert c["model"] == "tiny-hello" and c["endpoint_host"] == "127.0.0.1"
    assert c["api"] == used
    assert (c["prompt_tokens"], c["completion_tokens"], c["total_tokens"]) == (
        usage["prompt_tokens"], usage["completion_tokens"],
        usage["prompt_tokens"] + usage["completion_tokens"])
    assert c["task"] == "log_triage"
    # The run's totals (kept by triggers) equal the recorded counts.
    totals = server.run(run["id"])["token_totals"]
    assert totals == {"prompt_tokens": c["prompt_tokens"],
                      "completion_tokens": c["completion_tokens"],
                      "total_tokens": c["total_tokens"]}


def test_privacy_nothing_of_prompt_or_answer_kept(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "openai", True))
    plant_logs(inst.logs)
    server = inst.start()
    run = ended_run(server, PLANTED_DIRECTIVE)
    before = len(llm.requests())
    (kind, done), text = explain(server, run["id"])
    assert kind == "done" and text == REPLY
    (kind2, _), text2 = explain(server, run["id"])  # a second call, same rules
    assert kind2 == "done" and text2 == REPLY
    sent = llm.requests()[before:]
    assert len(sent) == 2
    msgs = sent[0]["body"]["messages"]
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    # What went out: the findings, redacted; never a planted value, never raw log lines.
    for body in sent:
        blob = json.dumps(body["body"])
        for planted in (PLANTED_EMAIL, PLANTED_IP, "ursula.planted@example.org"):
            assert planted not in blob, planted
        assert "login failed for" not in blob or "[EMAIL" in blob
    assert "Focus on the db outage" in user and "zq7marker" in user
    assert "[EMAIL:" in user
    assert len(system) + len(user.encode()) <= int(PROMPT_TOKENS) * 3
    # What is kept: nothing of the prompt or the answer, anywhere.
    first_line = user.splitlines()[0]
    assert first_line.startswith("Run %d" % run["id"])
    needles = [REPLY, system, user, first_line, system[:60]]
    files, logs = assert_kept_nowhere(inst, needles)
    assert any(p.endswith("report.json") for p in files)
    assert "event=llm.explained" in logs
    # API answers other than the stream hold none of it either.
    for path in ("/api/llm-calls/", "/api/token-usage/", "/api/runs/%d/" % run["id"],
                 "/api/runs/%d/report/" % run["id"], "/api/audit/"):
        r = server.get(path)
        assert r.status_code == 200
        for n in needles:
            assert n not in r.text, (path, n[:60])
    if inst.backend == "sqlite":
        db = sqlite3.connect(inst.env["CYBER_BRAIN_DB"])
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "llm_calls" in tables
        db.close()


def test_llm_calls_schema_has_no_text_column(make_instance):
    inst = make_instance()
    inst.prepare()
    allowed_text = {"task", "model", "endpoint_host", "api", "status", "created_at"}
    if inst.backend == "sqlite":
        db = sqlite3.connect(inst.env["CYBER_BRAIN_DB"])
        cols = {r[1]: r[2].upper() for r in db.execute("PRAGMA table_info(llm_calls)")}
        ddl = db.execute("SELECT sql FROM sqlite_master WHERE name='llm_calls'").fetchone()[0]
        db.close()
        text_cols = {c for c, t in cols.items() if t not in ("INTEGER",)}
    else:
        out = subprocess.run(
            ["psql", "-Atq", inst.pg_conninfo, "-c",
             "SELECT column_name || '|' || data_type FROM information_schema.columns "
             "WHERE table_name = 'llm_calls'"],
            capture_output=True, text=True, check=True, timeout=30).stdout
        cols = dict(line.split("|", 1) for line in out.split())
        text_cols = {c for c, t in cols.items() if t not in ("integer", "bigint")}
        ddl = subprocess.run(["pg_dump", "--schema-only", "-t", "llm_calls", inst.pg_conninfo],
                             capture_output=True, text=True, check=True, timeout=30).stdout
    assert set(cols) == allowed_text | {"id", "run_id", "job_id", "directive_id", "prompt_tokens",
                                        "completion_tokens", "total_tokens", "duration_ms"}
    assert text_cols == allowed_text, text_cols
    # Every text column is a short, checked value: nothing long enough to hold a prompt.
    for col in ("task", "model", "endpoint_host", "created_at"):
        assert col in ddl
    assert "length(model) <= 128" in ddl.replace("char_length", "length")
    assert "'success'" in ddl and "'openai'" in ddl
    sql_long = ("INSERT INTO llm_calls (model, status, created_at) VALUES "
                "('%s', 'success', '2026-12-04T00:00:00Z')" % ("m" * 129))
    sql_status = ("INSERT INTO llm_calls (model, status, created_at) VALUES "
                  "('m', 'the answer was Hello', '2026-12-04T00:00:00Z')")
    for sql in (sql_long, sql_status):
        if inst.backend == "sqlite":
            db = sqlite3.connect(inst.env["CYBER_BRAIN_DB"])
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(sql)
            db.close()
        else:
            r = subprocess.run(["psql", "-Atq", "-v", "ON_ERROR_STOP=1", inst.pg_conninfo, "-c",
                                sql], capture_output=True, text=True, timeout=30)
            assert r.returncode != 0 and "check constraint" in r.stderr, r.stderr


def refused(make_instance, url, **extra):
    inst = make_instance(llm_env(url, "openai", True, **extra))
    server = inst.start()
    run = ended_run(server)
    body, _ = explain(server, run["id"], expect=403)
    audit = server.list_all("/api/audit/?action=llm_refused")
    assert len(audit) == 1 and audit[0]["run_id"] == run["id"], audit
    assert audit[0]["reason"] == body["detail"]
    calls = llm_calls(server)
    assert len(calls) == 1 and calls[0]["status"] == "refused", calls
    assert calls[0]["prompt_tokens"] is None and calls[0]["total_tokens"] is None
    assert server.run(run["id"])["token_totals"]["total_tokens"] == 0
    return body["detail"], calls[0]


NOT_LOCAL = "not a local address"


@pytest.mark.parametrize("url,host,why", [
    ("http://8.8.8.8:11434", "8.8.8.8", NOT_LOCAL),
    ("https://8.8.8.8/", "8.8.8.8", NOT_LOCAL),
    ("http://134744072:11434/", "8.8.8.8", NOT_LOCAL),        # 8.8.8.8 spelt in decimal
    ("http://010.010.010.010:11434/", "8.8.8.8", NOT_LOCAL),  # and in octal
    ("http://0x8.0x8.0x8.0x8:11434/", "8.8.8.8", NOT_LOCAL),  # and in hex
    ("http://0.0.0.0:11434", "0.0.0.0", "unspecified"),
    ("http://[::]:11434", "::", "unspecified"),
    ("http://[::ffff:8.8.8.8]:11434", "::ffff:8.8.8.8", NOT_LOCAL),
    ("http://[2001:4860:4860::8888]:11434", "2001:4860:4860::8888", NOT_LOCAL),
])
def test_locality_refused(make_instance, url, host, why):
    detail, call = refused(make_instance, url)
    assert why in detail, detail
    # The detail and the audit reason are redacted (addresses are pseudonyms there); the
    # call row names the host as curl's URL parser normalised it.
    assert call["endpoint_host"] == host


def test_numeric_spelling_of_loopback_is_allowed(make_instance, llm):
    inst = make_instance(llm_env("http://2130706433:%d/" % llm.port, "openai", True))
    server = inst.start()
    run = ended_run(server)
    (kind, done), text = explain(server, run["id"])
    assert kind == "done" and text == REPLY
    assert llm_calls(server)[0]["endpoint_host"] == "127.0.0.1"


def test_proxy_from_environment_is_ignored(make_instance, llm):
    dead = free_port()
    proxy = "http://127.0.0.1:%d" % dead
    inst = make_instance(llm_env(llm.url, "ollama", True, http_proxy=proxy, HTTP_PROXY=proxy,
                                 ALL_PROXY=proxy, all_proxy=proxy, NO_PROXY=""))
    server = inst.start()
    run = ended_run(server)
    (kind, _), text = explain(server, run["id"])
    assert kind == "done" and text == REPLY


class _Hits:
    def __init__(self):
        self.n = 0


def _serve(handler_cls):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    return srv


@pytest.fixture
def redirect_servers():
    hits = _Hits()

    class Target(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.n += 1
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *a):
            pass

    target = _serve(Target)
    location = "http://127.0.0.1:%d/elsewhere" % target.server_address[1]

    class Redirect(http.server.BaseHTTPRequestHandler):
        mode = "all"

        def _redirect(self):
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            if Redirect.mode == "chat" and self.path == "/v1/models":
                body = b'{"object":"list","data":[]}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self._redirect()

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            self._redirect()

        def log_message(self, *a):
            pass

    red = _serve(Redirect)
    yield Redirect, "http://127.0.0.1:%d" % red.server_address[1], hits
    red.shutdown()
    target.shutdown()


def test_redirect_is_not_followed(make_instance, redirect_servers):
    cls, url, hits = redirect_servers
    cls.mode = "all"
    inst = make_instance(llm_env(url, "openai", True))
    server = inst.start()
    run = ended_run(server)
    body, _ = explain(server, run["id"], expect=502)
    assert "redirect" in body["detail"], body
    assert hits.n == 0
    assert llm_calls(server)[0]["status"] == "error"


def test_redirect_of_the_chat_call_is_not_followed(make_instance, redirect_servers):
    cls, url, hits = redirect_servers
    cls.mode = "chat"
    inst = make_instance(llm_env(url, "openai", True))
    server = inst.start()
    run = ended_run(server)
    (kind, last), text = explain(server, run["id"])
    assert kind == "error" and text == ""
    assert "redirect" in last["detail"] and last["http_status"] == 502, last
    assert hits.n == 0
    c = llm_calls(server)[0]
    assert c["status"] == "error" and c["prompt_tokens"] is None


def test_llm_down_and_not_configured(make_instance):
    dead = free_port()
    inst = make_instance(llm_env("http://127.0.0.1:%d" % dead, "auto", True))
    server = inst.start()
    run = ended_run(server)
    body, _ = explain(server, run["id"], expect=503)
    assert "connect" in body["detail"]
    body, _ = explain(server, 999999, expect=404)
    inst.stop()
    inst.env.pop("LLM_BASE_URL")
    server = inst.start()
    body, _ = explain(server, run["id"], expect=409)
    assert "LLM_BASE_URL" in body["detail"]


def test_validate_checks_the_llm(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "auto", True))
    inst.prepare()
    r = inst.cli("validate")
    line = [x for x in r.stdout.splitlines() if x.split()[1:2] == ["llm"]]
    assert line and line[0].startswith("ok") and "ollama" in line[0], r.stdout
    r = inst.cli("validate", env={"LLM_BASE_URL": "http://134744072:11434/"})
    line = [x for x in r.stdout.splitlines() if x.split()[1:2] == ["llm"]]
    assert r.returncode == 1 and line[0].startswith("FAIL"), r.stdout
    assert "8.8.8.8" in line[0] and "not a local address" in line[0]
    r = inst.cli("validate", env={"LLM_BASE_URL": "http://127.0.0.1:%d" % free_port()})
    line = [x for x in r.stdout.splitlines() if x.split()[1:2] == ["llm"]]
    assert line[0].startswith("warn") and "connect" in line[0], r.stdout


def test_run_without_report_is_409(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "openai", True))
    server = inst.start(env={"CYBER_BRAIN_WORKER_BIN": slow_worker(inst.tmp, 30)})
    run = server.launch({"tasks": ["log_triage"]})
    before = len(llm.requests())
    body, _ = explain(server, run["id"], expect=409)
    assert "no report" in body["detail"], body
    assert llm_calls(server) == [] and len(llm.requests()) == before
    r = server.post("/api/runs/%d/cancel/" % run["id"])
    assert r.status_code == 200, r.text


def test_token_usage_aggregates(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "ollama", False))
    server = inst.start()
    run1 = ended_run(server)
    run2 = ended_run(server, "another focus")
    for rid in (run1["id"], run1["id"], run2["id"]):
        (kind, _), _ = explain(server, rid)
        assert kind == "done"
    calls = llm_calls(server)
    assert len(calls) == 3
    total = sum(c["total_tokens"] for c in calls)
    for by, key in (("model", "model"), ("task", "task"), ("day", "day"),
                    ("directive", "directive_id")):
        r = server.get("/api/token-usage/?by=" + by)
        assert r.status_code == 200, r.text
        rows = r.json()["results"]
        assert sum(x["calls"] for x in rows) == 3
        assert sum(x["total_tokens"] or 0 for x in rows) == total
        assert all(key in x for x in rows)
    rows = server.get("/api/token-usage/?by=model").json()["results"]
    assert rows == [{"model": "tiny-hello", "calls": 3, "calls_with_counts": 3,
                     "prompt_tokens": sum(c["prompt_tokens"] for c in calls),
                     "completion_tokens": sum(c["completion_tokens"] for c in calls),
                     "total_tokens": total}]
    assert server.get("/api/token-usage/?by=prompt").status_code == 400
    # ?since= keeps the calls made from then on (the web UI's "this week").
    r = server.get("/api/token-usage/?by=day&since=2000-01-01T00:00:00Z").json()
    assert sum(x["total_tokens"] for x in r["results"]) == total
    r = server.get("/api/token-usage/?by=day&since=2999-01-01T00:00:00.5%2B00:00").json()
    assert r["count"] == 0 and r["results"] == []
    first = min(c["created_at"] for c in calls)
    last = max(c["created_at"] for c in calls)
    r = server.get("/api/token-usage/?by=model&since=" + last).json()["results"]
    assert r[0]["calls"] == sum(1 for c in calls if c["created_at"] >= last) and first <= last
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "x" * 300):
        r = server.get("/api/token-usage/?since=" + bad)
        assert r.status_code == 400 and r.json()["detail"], bad
    r = server.get("/api/llm-calls/?run=%d&page_size=1" % run1["id"])
    assert r.status_code == 200 and r.json()["count"] == 2 and r.json()["next"]
    assert server.get("/api/llm-calls/?run=abc").status_code == 400
    assert server.run(run1["id"])["token_totals"]["total_tokens"] == sum(
        c["total_tokens"] for c in calls if c["run_id"] == run1["id"])


@pytest.mark.parametrize("kind", ["none", "local", "refused"])
def test_health_reports_the_llm(make_instance, llm, kind):
    """GET /api/health/ shows the LLM (the web UI's health card): not configured, answering
    (probe only: no chat call, no llm_calls row), or refused before any traffic leaves. An
    optional LLM never makes the service degraded."""
    env = {"none": None, "local": llm_env(llm.url, "auto", True),
           "refused": llm_env("http://8.8.8.8:11434", "openai", True)}[kind]
    server = make_instance(env).start()
    body = server.get("/api/health/", auth=False).json()
    assert body["status"] == "ok"
    h = body["llm"]
    if kind == "none":
        assert h == {"configured": False, "ok": None}
        return
    assert h["configured"] is True and h["model"] == "tiny-hello" and h["checked_at"], h
    if kind == "refused":
        assert h["ok"] is False and NOT_LOCAL in h["detail"], h
        assert "host" not in h
        return
    assert h["ok"] is True and h["host"] == "127.0.0.1", h
    assert h["api"] in ("openai", "ollama")
    # The probe is kept for a while: a second look answers the same check.
    assert server.get("/api/health/", auth=False).json()["llm"]["checked_at"] == h["checked_at"]
    assert llm_calls(server) == []

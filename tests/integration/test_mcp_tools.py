# SPDX-License-Identifier: MIT
# test_mcp_tools.py -- the MCP tools and resources driven through /mcp over real HTTP (a
# `cyberbrain serve` with the process runtime, SQLite and PostgreSQL): the tool list and its
# schemas, launch_run with wait (progress as SSE, then the run and its report), the same
# data as the REST API, error results, cursor pagination, report resources, read-only mode,
# and the official SDK probe calling launch_run with wait.
import json

import pytest
import requests

from test_mcp_probe import run_probe

BOTH = "application/json, text/event-stream"
READ_ONLY = {"explain_run", "get_directive", "get_inventory", "gpu_status", "get_report", "get_run", "impact_of", "service_map",
             "list_container_allowlist", "list_directives", "list_runs", "list_worker_images",
             "recent_audit", "token_usage"}
ALL_TOOLS = READ_ONLY | {"launch_run", "cancel_run", "set_container_allowlist"}


class Mcp:
    """One MCP session on a server: JSON-RPC requests, answers as JSON or as an SSE stream."""

    def __init__(self, server):
        self.server = server
        self.url = server.base + "/mcp"
        self.next_id = 1
        self.sid = None
        res, _ = self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                             "clientInfo": {"name": "pytest", "version": "1"}})
        assert res["result"]["protocolVersion"] == "2025-11-25"
        r = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert r.status_code == 202

    def post(self, body, stream=False, timeout=15):
        h = {"Content-Type": "application/json", "Accept": BOTH,
             "Authorization": "Bearer " + self.server.token}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
            h["MCP-Protocol-Version"] = "2025-11-25"
        return requests.post(self.url, data=json.dumps(body), headers=h, stream=stream,
                             timeout=timeout)

    def request(self, method, params, timeout=15):
        """Send one request; return (the response message, the notifications before it)."""
        rid = self.next_id
        self.next_id += 1
        r = self.post({"jsonrpc": "2.0", "id": rid, "method": method, "params": params},
                      stream=True, timeout=timeout)
        assert r.status_code == 200, r.text
        if method == "initialize":
            self.sid = r.headers["Mcp-Session-Id"]
        if r.headers["Content-Type"].startswith("application/json"):
            return r.json(), []
        assert r.headers["Content-Type"].startswith("text/event-stream")
        notes = []
        for msg in sse_messages(r):
            if msg.get("id") == rid:
                return msg, notes
            notes.append(msg)
        raise AssertionError("the stream ended without the answer to %s" % method)

    def call(self, name, args=None, progress_token=None, timeout=15):
        """Call a tool; return (result, progress notifications)."""
        params = {"name": name, "arguments": args if args is not None else {}}
        if progress_token is not None:
            params["_meta"] = {"progressToken": progress_token}
        msg, notes = self.request("tools/call", params, timeout=timeout)
        assert "result" in msg, msg
        return msg["result"], [n for n in notes if n.get("method") == "notifications/progress"]

    def ok(self, name, args=None):
        res, _ = self.call(name, args)
        assert res.get("isError") is not True, res
        assert json.loads(res["content"][0]["text"]) == res["structuredContent"] or \
            res["content"][0]["type"] == "text"
        return res["structuredContent"]

    def error_text(self, name, args=None):
        res, _ = self.call(name, args)
        assert res.get("isError") is True, res
        assert "structuredContent" not in res
        return res["content"][0]["text"]


def sse_messages(resp):
    """Yield the JSON-RPC messages of an SSE response as they come."""
    data = []
    for line in resp.iter_lines(decode_unicode=True):
        if line is None:
            continue
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield json.loads("\n".join(data))
            data = []
    if data:
        yield json.loads("\n".join(data))


@pytest.fixture
def mcp(server):
    return Mcp(server)


def test_tools_list_schemas_annotations(mcp):
    msg, _ = mcp.request("tools/list", {})
    tools = {t["name"]: t for t in msg["result"]["tools"]}
    assert set(tools) == ALL_TOOLS
    for name, t in tools.items():
        assert t["inputSchema"]["type"] == "object" and t["outputSchema"]["type"] == "object"
        assert t["title"] and t["description"]
        ann = t["annotations"]
        assert ann["readOnlyHint"] is (name in READ_ONLY), name
        assert ann.get("destructiveHint", False) is (name in ("cancel_run",
                                                                "set_container_allowlist")), name


def test_launch_run_wait_streams_progress_then_report(mcp, server):
    res, progress = mcp.call("launch_run", {"tasks": ["log_triage", "task2"], "wait": True},
                             progress_token="lt-1", timeout=120)
    assert res.get("isError") is not True, res
    run = res["structuredContent"]["run"]
    assert run["status"] in ("success", "partial", "failed"), run
    assert [j["task"] for j in run["jobs"]] == ["log_triage", "gpu_report"]
    # Progress: this call's token, strictly increasing, of the job count, ending at it.
    assert len(progress) >= 3, progress
    vals = [p["params"]["progress"] for p in progress]
    assert all(p["params"]["progressToken"] == "lt-1" for p in progress)
    assert all(b > a for a, b in zip(vals, vals[1:])), vals
    assert vals[0] == 0 and vals[-1] == 2
    assert all(p["params"]["total"] == 2 for p in progress)
    assert any("log_triage" in p["params"].get("message", "") for p in progress)
    # The answer is the report: Markdown as text, JSON structured; the same as the API's.
    rep = server.get("/api/runs/%d/report/" % run["id"]).json()
    assert res["content"][0]["text"] == rep["markdown"] and rep["markdown"]
    assert res["structuredContent"]["report"] == rep["json"]
    assert server.run(run["id"])["status"] == run["status"]


def test_run_tools_match_the_api(mcp, server):
    out = mcp.ok("launch_run", {"tasks": ["task2"]})
    run_id = out["run"]["id"]
    assert out["run"]["status"] == "queued" or out["run"]["status"] in ("running", "success")
    server.wait_run(run_id)
    server.wait_report(run_id)
    got = mcp.ok("get_run", {"run_id": run_id})
    assert got == server.run(run_id)
    md = mcp.call("get_report", {"run_id": run_id})[0]
    api = server.get("/api/runs/%d/report/" % run_id).json()
    assert md["content"][0]["text"] == api["markdown"]
    js = mcp.ok("get_report", {"run_id": run_id, "format": "json"})
    assert js["report"] == api["json"]
    # Errors are results with isError and a clear text, never a protocol error.
    assert "run 987654 not found" in mcp.error_text("get_run", {"run_id": 987654})
    assert "run_id" in mcp.error_text("get_run", {"run_id": "x"})
    assert "Unknown task" in mcp.error_text("launch_run", {"tasks": ["nope"]})
    assert "unknown argument" in mcp.error_text("list_runs", {"page": 2}).lower()
    assert "ended" in mcp.error_text("cancel_run", {"run_id": run_id}) or \
        "already" in mcp.error_text("cancel_run", {"run_id": run_id})
    # An e-mail in a bad argument comes back redacted.
    assert "bob@example.com" not in mcp.error_text("launch_run", {"tasks": ["bob@example.com"]})


def test_slow_run_wait_bound_and_cancel(make_instance, tmp_path):
    """A worker that sleeps keeps the run open: launch_run's wait ends at its bound with an
    error (the run goes on), and cancel_run (checked by the SDK probe) stops it."""
    slow = tmp_path / "slow-worker"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    inst = make_instance({"CYBER_BRAIN_WORKER_BIN": str(slow)})
    client = inst.start()
    client.instance = inst
    m = Mcp(client)
    res, progress = m.call("launch_run", {"tasks": ["gpu_report"], "wait": True,
                                          "wait_timeout_s": 1}, progress_token=7, timeout=30)
    assert res.get("isError") is True, res
    assert "did not end within 1 s" in res["content"][0]["text"]
    assert progress and progress[0]["params"]["progress"] == 0
    run_id = m.ok("list_runs", {"limit": 1})["runs"][0]["id"]
    assert client.run(run_id)["status"] in ("queued", "running")
    r, passed, failed = run_probe(client.base + "/mcp", "--only", "sdk", "--header",
                                  "Authorization: Bearer " + client.token, "--call", "cancel_run",
                                  "--args", json.dumps({"run_id": run_id}))
    assert failed == 0, r.stdout
    assert "structuredContent validated against outputSchema" in r.stdout
    assert client.wait_run(run_id)["status"] == "cancelled"
    assert "already ended" in m.error_text("cancel_run", {"run_id": run_id})


def test_list_runs_cursor_pages(mcp, server):
    ids = {server.launch({"tasks": ["gpu_report"]})["id"] for _ in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 2, "task": "task2"}
        if cursor:
            args["cursor"] = cursor
        page = mcp.ok("list_runs", args)
        assert page["count"] == 5
        seen += [r["id"] for r in page["runs"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and set(seen) == ids and len(seen) == 5
    assert "invalid cursor" in mcp.error_text("list_runs", {"cursor": "not-a-cursor"})


def test_admin_tools(mcp, server):
    d = mcp.ok("list_directives")
    assert d["count"] >= 4
    one = mcp.ok("get_directive", {"directive_id": d["directives"][0]["id"]})
    assert one == server.get("/api/directives/%d/" % one["id"]).json()
    imgs = mcp.ok("list_worker_images")
    assert imgs["count"] == len(server.list_all("/api/worker-images/"))
    out = mcp.ok("set_container_allowlist", {"entries": [
        {"container_ref": "web-1", "note": "front"}, {"container_ref": "db-1"}]})
    assert out["count"] == 2
    api = server.list_all("/api/containers/")
    assert sorted(e["container_ref"] for e in api) == ["db-1", "web-1"]
    assert mcp.ok("list_container_allowlist")["entries"] == api
    text = mcp.error_text("set_container_allowlist",
                          {"entries": [{"container_ref": "ok"}, {"container_ref": "-bad"}]})
    assert "entries[1].container_ref" in text
    assert len(server.list_all("/api/containers/")) == 2
    assert "no inventory snapshot" in mcp.error_text("get_inventory")
    usage = mcp.ok("token_usage", {"period": "week"})
    assert usage["by_period"] == [] and usage["totals"]["calls"] == 0
    assert usage["totals"]["total_tokens"] is None  # nothing reported: null, not 0
    assert usage["by_model"] == server.get("/api/token-usage/?by=model").json()["results"]
    audit = mcp.ok("recent_audit", {"limit": 5})
    assert audit["count"] == len(server.list_all("/api/audit/"))


def test_report_resources(mcp, server):
    run_id = server.launch({"tasks": ["gpu_report"]})["id"]
    server.wait_run(run_id)
    rep = server.wait_report(run_id)
    msg, _ = mcp.request("resources/list", {})
    uris = [r["uri"] for r in msg["result"]["resources"]]
    md_uri = "cyberbrain://runs/%d/report.md" % run_id
    assert md_uri in uris and "cyberbrain://runs/%d/report.json" % run_id in uris
    msg, _ = mcp.request("resources/templates/list", {})
    tpls = [t["uriTemplate"] for t in msg["result"]["resourceTemplates"]]
    assert "cyberbrain://runs/{run_id}/report.md" in tpls
    msg, _ = mcp.request("resources/read", {"uri": md_uri})
    c = msg["result"]["contents"][0]
    assert c["text"] == rep["markdown"] and c["mimeType"] == "text/markdown"
    msg, _ = mcp.request("resources/read", {"uri": md_uri.replace(".md", ".json")})
    assert json.loads(msg["result"]["contents"][0]["text"]) == rep["json"]
    msg, _ = mcp.request("resources/read", {"uri": "cyberbrain://runs/%d/x" % run_id})
    assert msg["error"]["code"] == -32002
    msg, _ = mcp.request("resources/list", {"cursor": "zz"})
    assert msg["error"]["code"] == -32602


def test_read_only_mode_hides_changing_tools(make_instance):
    inst = make_instance({"CYBER_BRAIN_MCP_READONLY": "true"})
    client = inst.start()
    client.instance = inst
    m = Mcp(client)
    msg, _ = m.request("tools/list", {})
    assert {t["name"] for t in msg["result"]["tools"]} == READ_ONLY
    msg, _ = m.request("tools/call", {"name": "launch_run", "arguments": {}})
    assert "error" in msg or msg["result"].get("isError") is True
    assert client.get("/api/runs/").json()["count"] == 0


def test_probe_launch_run_wait(server):
    r, passed, failed = run_probe(server.base + "/mcp", "--header",
                                  "Authorization: Bearer " + server.token, "--call", "launch_run",
                                  "--args", '{"tasks":["log_triage"],"wait":true}')
    assert failed == 0 and passed > 20, r.stdout
    assert "PASS sdk.tools-call:" in r.stdout and "structuredContent validated" in r.stdout
    assert "PASS sdk.progress:" in r.stdout, r.stdout
    assert "PASS sdk.resources-read:" in r.stdout, r.stdout
    assert r.returncode == 0


def test_probe_validates_every_tool(server):
    """The SDK client (its JSON Schema validator) checks every tool's structuredContent
    against its outputSchema, on real data."""
    run_id = server.launch({"tasks": ["gpu_report"]})["id"]
    server.wait_run(run_id)
    server.wait_report(run_id)
    r = server.post("/api/inventory/snapshot/")
    assert r.status_code == 201, r.text
    directive = server.get("/api/directives/").json()["results"][0]["id"]
    calls = [("get_run", {"run_id": run_id}),
             ("list_runs", {"limit": 1}),
             ("get_report", {"run_id": run_id}),
             ("get_report", {"run_id": run_id, "format": "json"}),
             ("list_directives", {}),
             ("get_directive", {"directive_id": directive}),
             ("list_worker_images", {}),
             ("set_container_allowlist", {"entries": [{"container_ref": "web-1", "note": None}]}),
             ("list_container_allowlist", {}),
             ("get_inventory", {}),
             ("gpu_status", {"hours": 48}),
             ("token_usage", {"period": "month"}),
             ("recent_audit", {"limit": 3}),
             ("launch_run", {"tasks": ["task3"]})]
    for name, args in calls:
        r, passed, failed = run_probe(server.base + "/mcp", "--only", "sdk", "--header",
                                      "Authorization: Bearer " + server.token, "--call", name,
                                      "--args", json.dumps(args))
        fails = [ln for ln in r.stdout.splitlines() if ln.startswith(("FAIL", "INFO tools/call"))]
        assert failed == 0, (name, fails)
        assert "structuredContent validated against outputSchema" in r.stdout, (name, r.stdout)
    r, passed, failed = run_probe(server.base + "/mcp", "--only", "sdk", "--header",
                                  "Authorization: Bearer " + server.token, "--call", "get_run",
                                  "--args", '{"run_id": 99999}', "--expect-error")
    assert failed == 0 and "isError: true, as expected" in r.stdout, r.stdout

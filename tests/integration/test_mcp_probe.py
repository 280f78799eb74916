# SPDX-License-Identifier: MIT
# test_mcp_probe.py -- /mcp checked by the official MCP SDK clients (tests/mcp-probe, a copy of
# ../shared/tools/mcp-probe) and by raw HTTP requests for each transport rule.
import json
import os
import re
import shutil
import subprocess

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE_DIR = os.path.join(ROOT, "tests", "mcp-probe")
LAST_LINE = re.compile(r"^(\d+) passed, (\d+) failed$")
BOTH = "application/json, text/event-stream"


def probe_ready():
    """Install the probe's pinned npm packages once (npm ci) when they are missing."""
    if not os.path.isdir(os.path.join(PROBE_DIR, "node_modules", "@modelcontextprotocol", "sdk")):
        assert shutil.which("npm"), "npm is needed for the MCP probe (scripts/install-deps)"
        subprocess.run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=PROBE_DIR,
                       check=True, capture_output=True, timeout=300)
    return PROBE_DIR


def run_probe(url, *args):
    r = subprocess.run(["node", "probe.mjs", url] + list(args), cwd=probe_ready(),
                       capture_output=True, text=True, timeout=300)
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines, "probe printed nothing: %s" % r.stderr[-2000:]
    m = LAST_LINE.match(lines[-1])
    assert m, "probe's last line is %r" % lines[-1]
    return r, int(m.group(1)), int(m.group(2))


def mcp_url(client):
    return client.base + "/mcp"


def post(client, body, headers=None, auth=True, raw=None):
    h = {"Content-Type": "application/json", "Accept": BOTH}
    if auth:
        h["Authorization"] = "Bearer " + client.token
    h.update(headers or {})
    data = raw if raw is not None else json.dumps(body)
    return requests.post(mcp_url(client), data=data, headers=h, timeout=15)


def initialize(client, version="2025-11-25"):
    r = post(client, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"protocolVersion": version, "capabilities": {},
                                 "clientInfo": {"name": "pytest", "version": "1"}}})
    assert r.status_code == 200, r.text
    sid = r.headers["Mcp-Session-Id"]
    assert re.fullmatch(r"[\x21-\x7e]{32}", sid)
    return sid, r.json()["result"]


def test_probe_passes_with_token(server):
    r, passed, failed = run_probe(mcp_url(server), "--header",
                                  "Authorization: Bearer " + server.token)
    assert failed == 0 and passed > 20, r.stdout
    for check in ("sdk.connect", "sdk.tools-list", "sdk2.auto-connect", "http.auth-required",
                  "http.bad-origin", "http.deleted-session-404", "http.modern-probe"):
        assert "PASS %s:" % check in r.stdout, r.stdout
    assert r.returncode == 0


def test_probe_calls_a_read_only_tool(server):
    run = server.launch({"tasks": ["log_triage"]})
    server.wait_run(run["id"])
    r, passed, failed = run_probe(mcp_url(server), "--only", "sdk", "--header",
                                  "Authorization: Bearer " + server.token, "--call", "get_run",
                                  "--args", json.dumps({"run_id": run["id"]}))
    assert failed == 0 and "PASS sdk.tools-call:" in r.stdout, r.stdout
    assert '"id":%d' % run["id"] in r.stdout  # the INFO line quotes structuredContent
    r, passed, failed = run_probe(mcp_url(server), "--only", "sdk", "--header",
                                  "Authorization: Bearer " + server.token, "--call", "get_run",
                                  "--args", json.dumps({"run_id": 999999}), "--expect-error")
    assert failed == 0 and "PASS sdk.tools-call:" in r.stdout, r.stdout


def test_probe_without_token_is_refused(server):
    r, passed, failed = run_probe(mcp_url(server), "--only", "sdk")
    assert failed >= 1 and r.returncode == 1, r.stdout
    assert re.search(r"FAIL sdk\.connect: .*401", r.stdout), r.stdout


def test_auth_origin_host(server):
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    r = post(server, body, auth=False)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    r = post(server, body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = post(server, body, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "detail" in r.json()
    r = post(server, body, headers={"Host": "evil.example:%d" % server.instance.port})
    assert r.status_code == 403
    r = post(server, body, headers={"Origin": "http://localhost:6274"})
    assert r.status_code == 400  # allowed origin, no session


def test_session_rules(server):
    sid, res = initialize(server)
    assert res["protocolVersion"] == "2025-11-25"
    assert res["capabilities"]["tools"] is not None and "resources" in res["capabilities"]
    ping = {"jsonrpc": "2.0", "id": "p1", "method": "ping"}
    r = post(server, ping, headers={"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"})
    assert r.status_code == 200 and r.json() == {"jsonrpc": "2.0", "id": "p1", "result": {}}
    assert post(server, ping).status_code == 400
    assert post(server, ping, headers={"Mcp-Session-Id": "0" * 32}).status_code == 404
    r = post(server, ping, headers={"Mcp-Session-Id": sid, "MCP-Protocol-Version": "1999-01-01"})
    assert r.status_code == 400
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    r = post(server, note, headers={"Mcp-Session-Id": sid})
    assert r.status_code == 202 and r.text == ""
    r = post(server, {"jsonrpc": "2.0", "id": 9, "result": {}}, headers={"Mcp-Session-Id": sid})
    assert r.status_code == 202
    r = post(server, ping, headers={"Mcp-Session-Id": sid, "Accept": "text/html"})
    assert r.status_code == 406
    r = post(server, ping, headers={"Mcp-Session-Id": sid, "Accept": "application/json"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    h = {"Authorization": "Bearer " + server.token, "Mcp-Session-Id": sid}
    assert requests.get(mcp_url(server), headers=h, timeout=5).status_code == 405
    assert requests.put(mcp_url(server), headers=h, timeout=5).status_code == 405
    assert requests.delete(mcp_url(server), headers=h, timeout=5).status_code == 204
    assert requests.delete(mcp_url(server), headers=h, timeout=5).status_code == 404
    assert post(server, ping, headers={"Mcp-Session-Id": sid}).status_code == 404


def test_session_belongs_to_its_token(instance, server):
    """A session id is no use with another valid token: 404, as if unknown; its owner goes on."""
    sid, _ = initialize(server)
    other = instance.cli("token", "create", "--name", "other", check=True).stdout.strip()
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    h = {"Mcp-Session-Id": sid, "Authorization": "Bearer " + other}
    assert post(server, ping, headers=h).status_code == 404
    assert requests.delete(mcp_url(server), headers=h, timeout=5).status_code == 404
    assert post(server, ping, headers={"Mcp-Session-Id": sid}).status_code == 200


def test_bad_bodies_are_4xx(server):
    sid, _ = initialize(server)
    h = {"Mcp-Session-Id": sid}
    r = post(server, None, headers=h, raw='{"jsonrpc":"2.0","id":1,"method":"ping"')
    assert r.status_code == 400 and r.json()["error"]["code"] == -32700
    r = post(server, None, headers=h, raw="[" * 200 + "]" * 200)
    assert r.status_code in (400, 413)
    r = post(server, [{"jsonrpc": "2.0", "id": 1, "method": "ping"}], headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600
    r = post(server, {"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600
    r = post(server, None, headers=h, raw="x" * 10000)
    assert r.status_code == 413
    r = post(server, {"jsonrpc": "2.0", "id": 2, "method": "no/such"}, headers=h)
    assert r.status_code == 200 and r.json()["error"]["code"] == -32601
    r = post(server, {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                      "params": {"name": "no_such_tool", "arguments": {}}}, headers=h)
    assert r.json()["error"]["code"] == -32602
    r = post(server, {"jsonrpc": "2.0", "id": 4, "method": "resources/read",
                      "params": {"uri": "cyberbrain://runs/999999/report.md"}}, headers=h)
    assert r.json()["error"]["code"] == -32002
    r = post(server, {"jsonrpc": "2.0", "id": 5, "method": "tools/list",
                      "params": {"cursor": "bogus"}}, headers=h)
    assert r.json()["error"]["code"] == -32602


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientCapabilities": {},
               "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"}}


def modern(server, method, params=None, headers=None):
    p = dict(params or {})
    p["_meta"] = MODERN_META
    h = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
    h.update(headers or {})
    return post(server, {"jsonrpc": "2.0", "id": "m1", "method": method, "params": p}, headers=h)


def test_stateless_revision(server):
    r = modern(server, "server/discover")
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert "2026-07-28" in res["supportedVersions"] and "2025-11-25" in res["supportedVersions"]
    assert res["resultType"] == "complete" and "tools" in res["capabilities"]
    assert "Mcp-Session-Id" not in r.headers
    r = modern(server, "tools/list")
    res = r.json()["result"]
    assert r.status_code == 200 and isinstance(res["tools"], list)
    assert res["resultType"] == "complete" and res["cacheScope"] in ("public", "private")
    r = modern(server, "tools/list", headers={"Mcp-Method": "tools/call"})
    assert r.status_code == 400 and r.json()["error"]["code"] == -32020
    r = modern(server, "tools/list", headers={"MCP-Protocol-Version": "2025-11-25"})
    assert r.status_code == 400
    r = modern(server, "resources/read", {"uri": "cyberbrain://runs/1/report.md"},
               headers={"Mcp-Name": "cyberbrain://runs/2/report.md"})
    assert r.status_code == 400 and r.json()["error"]["code"] == -32020
    r = modern(server, "resources/read", {"uri": "cyberbrain://runs/999999/report.md"},
               headers={"Mcp-Name": "cyberbrain://runs/999999/report.md"})
    assert r.status_code == 200 and r.json()["error"]["code"] == -32602
    p = {"_meta": dict(MODERN_META, **{"io.modelcontextprotocol/protocolVersion": "2030-01-01"})}
    r = post(server, {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": p},
             headers={"Mcp-Method": "tools/list"})
    assert r.status_code == 400 and r.json()["error"]["code"] == -32022
    assert "2026-07-28" in r.json()["error"]["data"]["supported"]


def test_allowlist_config(make_instance):
    inst = make_instance({"CYBER_BRAIN_MCP_ALLOWED_HOSTS": "myhost.lan, other.lan:1234",
                          "CYBER_BRAIN_MCP_ALLOWED_ORIGINS": "https://app.example"})
    c = inst.start()
    c.instance = inst
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    port = inst.port

    def status(**h):
        return post(c, body, headers=h).status_code

    # 400 = past the allowlist and the token (no session); 403 = refused
    assert status(Host="myhost.lan:%d" % port) == 400
    assert status(Host="MyHost.LAN") == 400
    assert status(Host="other.lan:1234") == 400
    assert status(Host="other.lan:%d" % port) == 403
    assert status(Host="[::1]:%d" % port) == 400
    assert status(Host="localhost.evil.example:%d" % port) == 403
    assert status(Origin="https://app.example") == 400
    assert status(Origin="http://myhost.lan:8080") == 400
    assert status(Origin="https://app.example.evil") == 403
    assert status(Origin="null") == 403
    assert status(Origin="http://[::1]:6274") == 400

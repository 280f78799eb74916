# SPDX-License-Identifier: MIT
# test_http.py -- auth, error shapes, body caps over the real HTTP server.
import socket
import urllib.parse

from conftest import MAX_BODY


def is_json(r):
    return r.headers.get("Content-Type", "").startswith("application/json")


def test_health_needs_no_token(server):
    r = server.get("/api/health/", auth=False)
    assert r.status_code in (200, 503), r.text
    assert is_json(r)
    assert "database" in r.text


def test_401_without_token(server):
    r = server.get("/api/runs/", auth=False)
    assert r.status_code == 401, r.text
    assert is_json(r) and r.json().get("detail")
    r = server.post("/api/runs/launch/", auth=False, json={})
    assert r.status_code == 401, r.text
    assert server.get("/api/runs/").json()["count"] == 0


def test_401_wrong_token(server):
    for header in ("Bearer wrong-token", "Bearer " + server.token + "x", "Bearer ",
                   "Basic " + server.token, server.token):
        r = server.get("/api/runs/", headers={"Authorization": header})
        assert r.status_code == 401, (header, r.status_code, r.text)
        assert is_json(r) and r.json().get("detail")


def test_token_scheme_accepted(server):
    r = server.get("/api/runs/", headers={"Authorization": "Token " + server.token})
    assert r.status_code == 200, r.text
    r = server.get("/api/runs/")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(("count", "next", "previous", "results")) <= set(body)


def test_413_body_too_large(server):
    big = '{"tasks": ["log_triage"], "directive_text": "%s"}' % ("x" * (MAX_BODY * 2))
    r = server.post("/api/runs/launch/", data=big,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert is_json(r) and r.json().get("detail")
    assert server.get("/api/runs/").json()["count"] == 0
    # A body just under the cap still works.
    ok = {"tasks": ["log_triage"], "directive_text": "y" * (MAX_BODY - 200)}
    server.launch(ok)


def test_413_declared_length_without_body(server):
    """A Content-Length over the cap is refused before the body is read."""
    u = urllib.parse.urlparse(server.base)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        req = ("POST /api/runs/launch/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (
                   server.token, 50 * 1024 * 1024))
        s.sendall(req.encode())
        s.sendall(b"{" * 1024)
        head = s.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:200]


def test_malformed_json_400(server):
    for body in ('{"tasks": [', "not json", '{"tasks": "log_triage"}', "[1, 2]",
                 '{"tasks": [1]}', '{"directive_id": "abc"}'):
        r = server.post("/api/runs/launch/", data=body,
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert is_json(r), body
        j = r.json()
        assert isinstance(j, dict) and j, body
    r = server.post("/api/runs/launch/", data='{"tasks": [',
                    headers={"Content-Type": "application/json"})
    assert r.json().get("detail")
    assert server.get("/api/runs/").json()["count"] == 0


def test_deep_json_refused(server):
    body = '{"tasks": ["log_triage"], "x": ' + "[" * 5000 + "]" * 5000 + "}"
    if len(body) > 4096:
        body = '{"tasks": ["log_triage"], "x": ' + "[" * 1000 + "]" * 1000 + "}"
    r = server.post("/api/runs/launch/", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 413), r.text
    assert is_json(r)


def test_404_json(server):
    for path in ("/api/nope/", "/api/runs/999999/", "/api/runs/999999/report/",
                 "/api/directives/999999/", "/api/jobs/999999/"):
        r = server.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert is_json(r) and r.json().get("detail"), path


def test_405_json(server):
    for method, path in (("PUT", "/api/runs/"), ("DELETE", "/api/runs/launch/"),
                         ("GET", "/api/runs/launch/")):
        r = server.request(method, path)
        assert r.status_code == 405, (method, path, r.status_code, r.text)
        assert is_json(r) and r.json().get("detail"), (method, path)


def test_cancel_and_conflict(server):
    run = server.launch({"tasks": ["log_triage"]})
    r = server.post("/api/runs/%d/cancel/" % run["id"])
    assert r.status_code in (200, 409), r.text
    done = server.wait_run(run["id"])
    if r.status_code == 200:
        assert done["status"] in ("cancelled", "success", "partial", "failed")
    r = server.post("/api/runs/%d/cancel/" % run["id"])
    assert r.status_code == 409, r.text
    assert r.json().get("detail")
    r = server.post("/api/runs/999999/cancel/")
    assert r.status_code == 404, r.text


def test_keepalive_many_requests(server):
    """Many requests on one keep-alive connection all answer (no stuck connection)."""
    for _ in range(200):
        r = server.get("/api/runs/?page_size=5")
        assert r.status_code == 200

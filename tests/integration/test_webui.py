# SPDX-License-Identifier: MIT
# test_webui.py -- the built-in web UI (#10): static files with their security headers, login
# with a token -> session cookie, CSRF on state-changing requests, logout; and a real headless
# Chromium (chromium + chromium-driver, driven over chromedriver's W3C HTTP endpoints) that
# logs in, launches a run, sees it succeed without a reload, and keeps a hostile directive
# name as text.
import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
import requests

from conftest import free_port

CSP_PARTS = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
             "frame-ancestors 'none'")
XSS = "<img src=x onerror=alert(1)>"


def check_ui_headers(r):
    csp = r.headers.get("Content-Security-Policy", "")
    for part in CSP_PARTS:
        assert part in csp, csp
    assert "unsafe-inline" not in csp
    assert r.headers.get("X-Content-Type-Options") == "nosniff"


def test_index_and_static_files(server):
    r = requests.get(server.url("/"), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    check_ui_headers(r)
    assert '<script src="/static/app.js"' in r.text
    assert "<script>" not in r.text and "style=" not in r.text
    for name, ctype in (("app.js", "text/javascript"), ("app.css", "text/css")):
        r = requests.get(server.url("/static/" + name), timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype), r.headers
        check_ui_headers(r)
        etag = r.headers["ETag"]
        assert etag.startswith('"') and len(etag) == 34
        r2 = requests.get(server.url("/static/" + name), headers={"If-None-Match": etag},
                          timeout=10)
        assert r2.status_code == 304 and r2.content == b""
    app_js = requests.get(server.url("/static/app.js"), timeout=10).text
    assert "innerHTML" not in app_js
    for bad in ("/static/nope.js", "/static/../web/app.js", "/static/%2e%2e/VERSION"):
        r = requests.get(server.url(bad), timeout=10)
        assert r.status_code == 404, bad
        assert r.json()["detail"]


def login(server):
    s = requests.Session()
    r = s.post(server.url("/api/session/"), json={"token": server.token}, timeout=10)
    assert r.status_code == 200, r.text
    return s, r


def test_login_cookie_flags_and_csrf(server):
    s = requests.Session()
    r = s.get(server.url("/api/session/"), timeout=10)
    assert r.status_code == 401 and r.json()["detail"]
    r = s.post(server.url("/api/session/"), json={"token": "wrong"}, timeout=10)
    assert r.status_code == 401 and "Set-Cookie" not in r.headers
    r = s.post(server.url("/api/session/"), json={}, timeout=10)
    assert r.status_code == 400
    s, r = login(server)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("cb_session=")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie, cookie
    sid = s.cookies["cb_session"]
    assert server.token not in cookie and len(sid) == 64 and sid != server.token
    csrf = r.json()["csrf_token"]
    assert len(csrf) == 64 and csrf != sid
    assert s.get(server.url("/api/session/"), timeout=10).json()["csrf_token"] == csrf
    # Reads work with the cookie alone; writes need the CSRF header.
    assert s.get(server.url("/api/runs/"), timeout=10).status_code == 200
    r = s.post(server.url("/api/directives/"), json={"name": "x", "text": "y"}, timeout=10)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = s.post(server.url("/api/directives/"), json={"name": "x", "text": "y"},
               headers={"X-CSRF-Token": "0" * 64}, timeout=10)
    assert r.status_code == 403 and r.json()["detail"]
    names = [d["name"] for d in server.get("/api/directives/?page_size=200").json()["results"]]
    assert "x" not in names
    r = s.post(server.url("/api/directives/"), json={"name": "x", "text": "y"},
               headers={"X-CSRF-Token": csrf}, timeout=10)
    assert r.status_code == 201, r.text
    # A forged or stale cookie is refused.
    r = requests.get(server.url("/api/runs/"), cookies={"cb_session": "a" * 64}, timeout=10)
    assert r.status_code == 401
    # Logout needs the CSRF token, then the session is gone.
    assert s.delete(server.url("/api/session/"), timeout=10).status_code == 403
    r = s.delete(server.url("/api/session/"), headers={"X-CSRF-Token": csrf}, timeout=10)
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    r = requests.get(server.url("/api/runs/"), cookies={"cb_session": sid}, timeout=10)
    assert r.status_code == 401
    # Bearer still works alongside.
    assert server.get("/api/runs/").status_code == 200


# ---- headless Chromium over chromedriver's W3C endpoints ----

class Driver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": shutil.which("chromium"),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-dev-shm-usage",
                         "--window-size=1200,900"]}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["value"]

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.sid, path), body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        return list(el.values())[0]

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css), {})

    def type(self, css, text):
        self.s("POST", "/element/%s/value" % self.find(css), {"text": text})

    def wait(self, script, timeout=90):
        deadline = time.monotonic() + timeout
        while True:
            v = self.js(script)
            if v:
                return v
            assert time.monotonic() < deadline, "timed out waiting for: " + script
            time.sleep(0.2)

    def quit(self):
        try:
            self.s("DELETE", "")
        except OSError:
            pass


@pytest.fixture
def chrome(tmp_path):
    exe = shutil.which("chromedriver")
    assert exe and shutil.which("chromium"), "install chromium and chromium-driver " \
        "(scripts/install-deps)"
    port = free_port()
    proc = subprocess.Popen([exe, "--port=%d" % port], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "chromedriver did not listen"
            time.sleep(0.1)
    d = Driver(port)
    yield d
    d.quit()
    proc.terminate()
    proc.wait(10)


def test_browser_login_launch_live_and_xss(server, chrome, tmp_path):
    r = server.post("/api/directives/", json={"name": XSS, "text": "look at " + XSS})
    assert r.status_code == 201, r.text
    chrome.go(server.url("/"))
    chrome.wait("return !document.getElementById('login-view').hidden")
    chrome.type("#token", server.token)
    chrome.click("#login-form button")
    chrome.wait("return !document.getElementById('dash-view').hidden")
    # The token is not readable by page script (HttpOnly), and not in the page.
    assert "cb_session" not in chrome.js("return document.cookie")
    assert server.token not in chrome.js("return document.documentElement.outerHTML")
    chrome.wait("return document.querySelectorAll('#directive option').length >= 2")
    picked = chrome.js("const s = document.getElementById('directive');"
                       "const o = [...s.options].find(o => o.textContent.startsWith(arguments[0]));"
                       "s.value = o.value; return o.value;", XSS)
    assert picked
    chrome.click("#launch")
    run_id = chrome.wait("const tr = document.querySelector('#runs tbody tr');"
                         "return tr && tr.dataset.run")
    # The page watches the run over SSE: its row turns to success with no reload.
    chrome.js("window.__noReload = true")
    status = chrome.wait("const td = document.querySelector("
                         "'#runs tr[data-run=\"%s\"] td.status');"
                         "return td && ['success','failed','cancelled','timeout']"
                         ".includes(td.textContent) && td.textContent" % run_id, timeout=120)
    assert chrome.js("return window.__noReload === true"), "the page was reloaded"
    assert status == "success", status
    assert server.run(int(run_id))["status"] == "success"
    # The hostile directive name stays text, in the select and in the runs table.
    assert chrome.js("return document.querySelectorAll('img').length") == 0
    options = chrome.js("return [...document.querySelectorAll('#directive option')]"
                        ".map(e => e.textContent)")
    assert any(t.startswith(XSS) for t in options), options
    cells = chrome.js("return [...document.querySelectorAll('#runs tr[data-run=\"%s\"] td')]"
                      ".map(e => e.textContent)" % run_id)
    assert XSS in cells, cells
    png = base64.b64decode(chrome.s("GET", "/screenshot"))
    shot = tmp_path / "dashboard.png"
    shot.write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 1000
    print("screenshot:", shot)
    # Logout brings the login page back; the API then refuses the old cookie.
    chrome.click("#logout")
    chrome.wait("return !document.getElementById('login-view').hidden")
    assert chrome.js("return fetch('/api/runs/').then(r => r.status)") == 401

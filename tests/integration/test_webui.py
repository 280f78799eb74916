# SPDX-License-Identifier: MIT
# test_webui.py -- the built-in web UI (#10): static files with their security headers, login
# with a token -> session cookie, CSRF on state-changing requests, logout; and a real headless
# Chromium (chromium + chromium-driver, driven over chromedriver's W3C HTTP endpoints) that
# logs in, launches a run, sees it succeed without a reload, and keeps a hostile directive
# name as text.
import re

import requests

from browser import (XSS, chrome, overflow, phone_overflow, screenshot,  # noqa: F401
                     ui_login, ui_open)
from test_llm import ended_run, explain, llm, llm_env  # noqa: F401 (fixture)

CSP_PARTS = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
             "frame-ancestors 'none'")
PAGES = ("app.js", "dashboard.js", "run.js", "directives.js", "allowlists.js", "audit.js",
         "gpu.js", "svcmap.js")


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
    html = r.text
    assert "<script>" not in html and "style=" not in html
    # Every script the page loads is a file of ours (no inline code, no other origin).
    assert sorted(re.findall(r'<script src="/static/([a-z]+\.js)" defer></script>', html)) \
        == sorted(PAGES)
    assert len(re.findall(r"<script", html)) == len(PAGES)
    for name, ctype in (("app.js", "text/javascript"), ("app.css", "text/css")):
        r = requests.get(server.url("/static/" + name), timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(ctype), r.headers
        check_ui_headers(r)
        etag = r.headers["ETag"]
        assert etag.startswith('"') and len(etag) == 34
        r2 = requests.get(server.url("/static/" + name), headers={"If-None-Match": etag},
                          timeout=10)
        assert r2.status_code == 304 and r2.content == b""
    # Values go in as text: no page script writes HTML, except run.js's server-sanitised report.
    for name in PAGES:
        js = requests.get(server.url("/static/" + name), timeout=10).text
        assert "outerHTML =" not in js and "insertAdjacentHTML" not in js, name
        assert "eval(" not in js and "new Function" not in js, name
        if name != "run.js":
            assert "innerHTML" not in js, name
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
    # Behind a TLS proxy the cookie is also Secure (plain HTTP gets none: it would be dropped).
    assert "Secure" not in cookie
    r = requests.post(server.url("/api/session/"), json={"token": server.token},
                      headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert r.status_code == 200 and "; Secure" in r.headers["Set-Cookie"]
    # Bearer still works alongside.
    assert server.get("/api/runs/").status_code == 200


def test_browser_login_launch_live_and_xss(server, chrome):
    r = server.post("/api/directives/", json={"name": XSS, "text": "look at " + XSS})
    assert r.status_code == 201, r.text
    ui_login(chrome, server)
    chrome.wait("return document.querySelector('#view .page-dashboard #launch')")
    # Health: every part answers; no LLM is configured here, and the token card says so.
    chrome.wait("return document.querySelector('[data-health=llm]')")
    health = chrome.js("return Object.fromEntries([...document.querySelectorAll('[data-health]')]"
                       ".map(e => [e.dataset.health, e.textContent]))")
    assert health["status"] == "ok" and health["llm"].startswith("not configured"), health
    for part in ("database", "docker", "disk"):
        assert health[part].startswith("ok ("), health
    assert chrome.wait("return document.querySelector('[data-tokens=total]')"
                       " && document.querySelector('[data-tokens=total]').textContent") == "0"
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
    screenshot(chrome, "dashboard")
    # Logout brings the login page back; the API then refuses the old cookie.
    chrome.click("#logout")
    chrome.wait("return !document.getElementById('login-view').hidden")
    assert chrome.js("return document.getElementById('view').children.length") == 0
    assert chrome.js("return fetch('/api/runs/').then(r => r.status)") == 401


def test_browser_keyboard_navigation(server, chrome):
    ui_login(chrome, server)
    # "g" then a page's letter moves there; every nav entry is a real link reachable by Tab.
    for key, page in (("i", "directives"), ("a", "allowlists"), ("u", "audit"), ("p", "gpus"),
                      ("m", "service-map"), ("d", "dashboard")):
        chrome.js("document.activeElement.blur()")
        chrome.keys("g" + key)
        chrome.wait("return document.querySelector('#view .page-%s')" % page)
        current = chrome.js("return document.querySelector('nav a[aria-current=page]')"
                            ".dataset.page")
        assert current == page
    # Typing "g" into a field does not navigate.
    chrome.js("document.querySelector('#launch-form input').focus()")
    chrome.keys("gi")
    assert chrome.js("return !!document.querySelector('#view .page-dashboard')")
    # Tab order from the top of a fresh load: skip link, home link, then the nav in order.
    chrome.go(server.url("/"))
    chrome.wait("return document.querySelector('#view .page-dashboard #runs')")
    seen = []
    for _ in range(8):
        chrome.keys("\ue004")
        seen.append(chrome.js("const a = document.activeElement;"
                              "return a.dataset.page || a.className || a.tagName"))
    assert seen[0] == "skip"
    nav = [x for x in seen if x in ("dashboard", "directives", "allowlists", "audit")]
    assert nav == ["dashboard", "directives", "allowlists", "audit"], seen
    # Enter on a focused nav link follows it.
    chrome.js("document.querySelector('nav a[data-page=audit]').focus()")
    chrome.keys("\ue007")
    chrome.wait("return document.querySelector('#view .page-audit')")


def test_browser_phone_width_and_dark_mode(server, chrome):
    ui_login(chrome, server)
    # Nothing sticks out sideways at phone width (tables scroll inside their card).
    width = phone_overflow(chrome)
    chrome.wait("return document.querySelector('#runs')")
    assert width <= 0 and overflow(chrome) <= 0, width
    screenshot(chrome, "dashboard-phone")
    # Dark mode follows the system: the emulated dark scheme turns the background dark.
    chrome.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia", "params": {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]}})
    bg = chrome.js("return getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(13, 17, 23)", bg
    screenshot(chrome, "dashboard-dark")


def test_browser_dashboard_llm_health_and_week_tokens(make_instance, llm, chrome):
    """With the real local llama.cpp server: the health card shows the LLM answering, and the
    token card sums this week's calls as the API counts them (counts only, never text)."""
    server = make_instance(llm_env(llm.url, "openai", True)).start()
    run = ended_run(server)
    (kind, done), _ = explain(server, run["id"])
    assert kind == "done", done
    calls = server.list_all("/api/llm-calls/")
    total = sum(c["total_tokens"] for c in calls)
    assert len(calls) == 1 and total > 0
    ui_login(chrome, server)
    text = chrome.wait("const e = document.querySelector('[data-health=llm]');"
                       "return e && e.textContent")
    assert text.startswith("ok (tiny-hello via openai at 127.0.0.1)"), text
    shown = chrome.wait("const e = document.querySelector('[data-tokens=total]');"
                        "return e && e.textContent")
    assert int(shown.replace(",", "").replace(".", "")) == total
    assert chrome.js("return document.querySelector('[data-tokens=calls]').textContent") == "1"
    screenshot(chrome, "dashboard-llm")

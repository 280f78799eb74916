# SPDX-License-Identifier: MIT
# test_webui_directives.py -- the Directives page (#/directives) and quick launch with custom
# text, in a real headless Chromium on SQLite and PostgreSQL: create a directive with hostile
# name, description and text through the form (client-side and server-side errors shown),
# edit it twice, open the diff of two versions and read its +/- lines, delete it with the
# keyboard through the in-page confirm step, launch a run with custom text and find it in
# the run's snapshot, and see that a write without the CSRF header is refused. Every hostile
# value stays text: no <img> element ever appears.
import json

from browser import (XSS, chrome, overflow, phone_overflow, screenshot,  # noqa: F401
                     ui_login, ui_open)

TAB, ENTER, ESCAPE = "\ue004", "\ue007", "\ue00c"
TEXT1 = "watch nginx\n" + XSS + "\nold line"
TEXT2 = "watch nginx\n" + XSS + "\nnew line\nextra"
TEXT3 = "watch nginx and postgres\n" + XSS + "\nnew line\nextra"
NO_IMG = "return document.querySelectorAll('img').length"


def fill(chrome, css, text):
    """Empty the field, then type text into it as keys (a newline is Enter)."""
    chrome.js("document.querySelector(arguments[0]).value = ''", css)
    chrome.type(css, text)


def set_config(chrome, text):
    chrome.js("document.getElementById('dir-config').value = arguments[0]", text)


def live_names(server):
    return [d["name"] for d in server.list_all("/api/directives/")]


def shown_id(chrome):
    """The directive id in #/directives/ID once its view is on screen."""
    chrome.wait("return document.querySelector('#dir-view')")
    return int(chrome.js("return location.hash.split('/')[2]"))


def save_and_view(chrome, version):
    chrome.click("#dir-save")
    chrome.wait("const v = document.querySelector('#dir-view dl');"
                "return v && v.textContent.includes('v%d (latest)')" % version)
    return shown_id(chrome)


def create_with_errors(server, chrome):
    n_before = len(live_names(server))
    chrome.click("#dir-new")
    chrome.wait("return document.querySelector('#dir-form #dir-name')")
    # Nothing is sent while the page finds errors: no name, then config that is not JSON.
    set_config(chrome, "{bad json")
    chrome.click("#dir-save")
    chrome.wait("return document.getElementById('dir-config-err').textContent")
    assert chrome.js("return document.getElementById('dir-name').getAttribute('aria-invalid')") \
        == "true"
    assert "not valid JSON" in chrome.js(
        "return document.getElementById('dir-config-err').textContent")
    assert chrome.js("return document.activeElement.id") == "dir-name"
    chrome.type("#dir-name", XSS)
    chrome.type("#dir-description", "about " + XSS)
    chrome.type("#dir-text", TEXT1)
    set_config(chrome, "[1, 2]")
    chrome.click("#dir-save")
    chrome.wait("return document.getElementById('dir-config-err').textContent"
                ".includes('JSON object')")
    assert len(live_names(server)) == n_before
    # The server's check: its JSON detail is shown, and nothing is written.
    set_config(chrome, '{"lookback_hours": -5}')
    chrome.click("#dir-save")
    detail = chrome.wait("return document.getElementById('dir-form-msg').textContent")
    assert "lookback_hours" in detail, detail
    assert chrome.js("return document.getElementById('dir-config-err').textContent") == ""
    assert len(live_names(server)) == n_before
    set_config(chrome, '{"lookback_hours": 6}')
    return save_and_view(chrome, 1)


def edit(chrome, text, config, version):
    chrome.click("#dir-edit")
    chrome.wait("return document.querySelector('#dir-form #dir-text')")
    fill(chrome, "#dir-text", text)
    set_config(chrome, config)
    return save_and_view(chrome, version)


def diff_texts(chrome, cls):
    return chrome.js("return [...document.querySelectorAll('#diff-lines .%s .diff-text')]"
                     ".map(e => e.textContent)" % cls)


def open_diff(server, chrome, id3):
    chrome.wait("return document.querySelectorAll('#dir-versions tbody tr').length === 3")
    assert chrome.js("return document.querySelector('#dir-versions a[aria-current=page]')"
                     ".textContent") == "v3"
    versions = chrome.js("return [...document.querySelectorAll('#dir-versions tbody tr')]"
                         ".map(t => t.dataset.version)")
    assert versions == ["3", "2", "1"]
    chrome.js("document.getElementById('diff-from').value = '1';"
              "document.getElementById('diff-to').value = '3'")
    chrome.click("#diff-show")
    chrome.wait("return document.querySelector('#dir-diff #diff-lines')")
    assert chrome.js("return location.hash") == "#/directives/%d/diff/1/3" % id3
    assert diff_texts(chrome, "diff-add") == ["watch nginx and postgres", "new line", "extra"]
    assert diff_texts(chrome, "diff-del") == ["watch nginx", "old line"]
    assert diff_texts(chrome, "diff-same") == [XSS]
    assert chrome.js("return document.getElementById('diff-summary').textContent") \
        .startswith("+3 \u22122")
    fields = chrome.js("return [...document.querySelectorAll('#diff-fields tbody tr')]"
                       ".map(t => t.dataset.field)")
    assert fields == ["config"]
    cells = chrome.js("return [...document.querySelectorAll('#diff-fields pre')]"
                      ".map(e => JSON.parse(e.textContent))")
    assert cells == [{"lookback_hours": 6}, {"lookback_hours": 12}]
    # The page shows what the API answers.
    api = server.get("/api/directives/%d/diff/?from=1&to=3" % id3).json()
    assert len(api["lines"]) == chrome.js(
        "return document.querySelectorAll('#diff-lines .diff-line').length")
    assert chrome.js(NO_IMG) == 0
    chrome.js("window.scrollTo(0, 0)")
    screenshot(chrome, "directive-diff")
    # At phone width nothing sticks out sideways (long lines wrap, tables scroll in cards).
    assert phone_overflow(chrome) <= 0
    for hash_, css in (("directives/%d" % id3, "#dir-view"),
                       ("directives/%d/diff/1/3" % id3, "#dir-diff"),
                       ("directives/new", "#dir-form")):
        ui_open(chrome, hash_)
        chrome.wait("return document.querySelector('%s')" % css)
        width = overflow(chrome)
        assert width <= 0, (hash_, width)
    screenshot(chrome, "directive-form-phone")
    chrome.resize(1200, 900)


def delete_by_keyboard(server, chrome, id3):
    ui_open(chrome, "directives/%d" % id3)
    chrome.wait("return document.querySelector('#dir-view #dir-delete')")
    chrome.click("#dir-delete")
    chrome.wait("return !document.getElementById('dir-delete-box').hidden")
    # The safe choice has focus; Escape closes the step and gives focus back.
    assert chrome.js("return document.activeElement.id") == "dir-delete-cancel"
    chrome.keys(ESCAPE)
    chrome.wait("return document.getElementById('dir-delete-box').hidden")
    assert chrome.js("return document.activeElement.id") == "dir-delete"
    assert server.get("/api/directives/%d/" % id3).status_code == 200
    # Keyboard only: Enter opens the step, Tab reaches "Delete every version", Enter.
    chrome.keys(ENTER)
    chrome.wait("return !document.getElementById('dir-delete-box').hidden")
    chrome.keys(TAB)
    assert chrome.js("return document.activeElement.id") == "dir-delete-confirm"
    chrome.keys(ENTER)
    chrome.wait("return document.querySelector('#directives') && location.hash === '#/directives'")
    assert server.get("/api/directives/%d/" % id3).status_code == 404
    assert XSS not in live_names(server)
    names = chrome.js("return [...document.querySelectorAll('#directives a.dir-name')]"
                      ".map(e => e.textContent)")
    assert XSS not in names


def test_directives_page(server, chrome):
    ui_login(chrome, server, "directives")
    chrome.wait("return document.querySelectorAll('#directives tbody tr').length >= 4")
    keys = chrome.js("return [...document.querySelectorAll('#directives tbody tr')]"
                     ".map(t => t.dataset.key)")
    assert {"D1", "D2", "D3", "D4"} <= set(keys), keys
    id1 = create_with_errors(server, chrome)
    assert chrome.js("return document.getElementById('dir-text-view').textContent") == TEXT1
    assert chrome.js("return document.querySelector('#dir-view h2').textContent") == XSS
    assert json.loads(chrome.js(
        "return document.getElementById('dir-config-view').textContent")) == {"lookback_hours": 6}
    assert chrome.js(NO_IMG) == 0
    d = server.get("/api/directives/%d/" % id1).json()
    assert (d["name"], d["description"], d["text"]) == (XSS, "about " + XSS, TEXT1)
    screenshot(chrome, "directive-view")
    id2 = edit(chrome, TEXT2, '{"lookback_hours": 6}', 2)
    id3 = edit(chrome, TEXT3, '{"lookback_hours": 12}', 3)
    assert len({id1, id2, id3}) == 3
    assert server.get("/api/directives/%d/" % id3).json()["text"] == TEXT3
    open_diff(server, chrome, id3)
    ui_open(chrome, "directives")
    chrome.wait("return [...document.querySelectorAll('#directives a.dir-name')]"
                ".some(e => e.textContent === %s)" % json.dumps(XSS))
    assert chrome.js(NO_IMG) == 0
    screenshot(chrome, "directives")
    delete_by_keyboard(server, chrome, id3)
    assert chrome.js(NO_IMG) == 0


def test_quick_launch_custom_text(server, chrome):
    text = "only look at nginx\n" + XSS + "\nand \"quotes\" & <b>tags</b>"
    ui_login(chrome, server)
    chrome.wait("return document.querySelector('#directive option[value=custom]')")
    assert chrome.js("return document.getElementById('custom-text').hidden") is True
    chrome.js("const s = document.getElementById('directive'); s.value = 'custom';"
              "s.dispatchEvent(new Event('change'))")
    assert chrome.js("return document.getElementById('custom-text').hidden") is False
    for t in ("gpu_report", "service_map"):
        chrome.click('#launch-form input[value="%s"]' % t)
    # Empty text is refused in the page; nothing is launched.
    n_runs = server.get("/api/runs/").json()["count"]
    chrome.click("#launch")
    chrome.wait("return document.getElementById('launch-msg').textContent.includes('Write')")
    assert server.get("/api/runs/").json()["count"] == n_runs
    chrome.type("#directive-text", text)
    chrome.click("#launch")
    run_id = int(chrome.wait("const m = document.getElementById('launch-msg').textContent;"
                             "const x = /Run #(\\d+) queued/.exec(m); return x && x[1]"))
    run = server.run(run_id)
    assert run["tasks"] == ["log_triage"]
    assert run["directive_snapshot"]["key"] == "custom"
    assert run["directive_snapshot"]["text"] == text
    assert chrome.js("return document.querySelector('#runs tbody tr').dataset.run") \
        == str(run_id)
    assert chrome.js(NO_IMG) == 0
    server.wait_run(run_id, timeout=120)


def test_write_without_csrf_refused(server, chrome):
    ui_login(chrome, server, "directives")
    chrome.wait("return document.querySelectorAll('#directives tbody tr').length >= 4")
    d4 = next(d for d in server.list_all("/api/directives/") if d["key"] == "D4")
    before = server.get("/api/directives/%d/versions/" % d4["id"]).json()["count"]
    n_before = len(live_names(server))
    # The page's own origin and cookie, but no X-CSRF-Token header.
    script = ("return fetch(arguments[0], {method: arguments[1], credentials: 'same-origin',"
              " headers: {'Content-Type': 'application/json'}, body: arguments[2]})"
              ".then(r => r.json().then(j => [r.status, j.detail]))")
    body = json.dumps({"name": "csrf-less", "text": "x"})
    for method, path in (("POST", "/api/directives/"),
                         ("PUT", "/api/directives/%d/" % d4["id"]),
                         ("PATCH", "/api/directives/%d/" % d4["id"])):
        status, detail = chrome.js(script, path, method, body)
        assert status == 403 and "CSRF" in detail, (method, status, detail)
    status, detail = chrome.js(script.replace(", body: arguments[2]", ""),
                               "/api/directives/%d/" % d4["id"], "DELETE", None)
    assert status == 403 and detail, (status, detail)
    assert len(live_names(server)) == n_before and "csrf-less" not in live_names(server)
    assert server.get("/api/directives/%d/versions/" % d4["id"]).json()["count"] == before
    assert server.get("/api/directives/%d/" % d4["id"]).status_code == 200

# SPDX-License-Identifier: MIT
# test_webui_admin.py -- the web UI's Allowlists and Audit pages (#10) in a real headless
# Chromium against a real Docker Engine: take an inventory snapshot from the page, pick a
# running container (hostile label, secret env value) and allowlist it, add worker images
# through the form (409 and 400 shown as text), remove entries through the keyboard confirm
# step, toggle an entry; the audit log of a docker-runtime run, filtered and paged from the
# page. No <img> ever appears, the env secret and the API token are never in the page, and a
# write from the page without the CSRF header is refused. The containers are built FROM
# scratch (busybox), never pulled, with --network none; removed at teardown.
import json
import secrets
import subprocess

import pytest

from browser import XSS, chrome, phone_overflow, screenshot, ui_login  # noqa: F401 (fixture)
from conftest import build_busybox_image
from test_worker_image import IMAGE, engine_answers, image  # noqa: F401 (fixture)

SECRET = "sk-live-" + secrets.token_hex(16)
COMPOSE_LABEL = "com.docker.compose.service"


@pytest.fixture(scope="module")
def busybox(tmp_path_factory):
    assert engine_answers(), "these tests need the Docker Engine (dockerd)"
    tag = build_busybox_image(tmp_path_factory, "cb-webui-admin", ("sleep",))
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60, check=False)


@pytest.fixture
def pickable(busybox):
    """A running container with a hostile label and a secret-looking env value."""
    name = "cbui-admin-" + secrets.token_hex(4)
    r = subprocess.run(["docker", "run", "-d", "--network", "none", "--name", name,
                        "--label", "%s=%s" % (COMPOSE_LABEL, XSS), "--label", "note=" + XSS,
                        "-e", "API_SECRET=" + SECRET, busybox, "sleep", "600"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    yield {"id": r.stdout.strip(), "name": name}
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60, check=False)


def no_leak(chrome, server):
    """No <img> (an XSS would make one) and neither the env secret nor the token in the page."""
    assert chrome.js("return document.querySelectorAll('img').length") == 0
    html = chrome.js("return document.documentElement.outerHTML")
    assert SECRET not in html and server.token not in html


def msg(chrome, id_, want):
    """Wait until the status line #id_ holds want; return (text, is_error)."""
    chrome.wait("const m = document.getElementById('%s'); return m && m.textContent.includes(%s)"
                % (id_, json.dumps(want)))
    return chrome.js("const m = document.getElementById(arguments[0]);"
                     "return [m.textContent, m.classList.contains('error')]", id_)


def cells(chrome, css):
    return chrome.js("const tr = document.querySelector(arguments[0]);"
                     "return tr && [...tr.cells].map(td => td.textContent)", css)


def pick_container(chrome, server, c):
    chrome.click("#refresh-inventory")
    row = '#inventory tr[data-name="%s"]' % c["name"]
    chrome.wait("return document.querySelector('%s')" % row)
    name, image_, state, labels, action = cells(chrome, row)
    assert (name, labels, action) == (c["name"], "", "Allowlist")
    assert image_.startswith("cb-webui-admin:") and state.startswith("running"), (image_, state)
    chrome.click(row + " button.pick")
    chrome.wait("return document.querySelector('#containers tr[data-ref=\"%s\"]')" % c["name"])
    assert cells(chrome, row)[4] == "listed"
    msg(chrome, "containers-msg", "Added " + c["name"])
    refs = [e["container_ref"] for e in server.get("/api/containers/").json()["results"]]
    assert refs == [c["name"]]
    # A new snapshot inspects it now: its compose label shows, as text.
    chrome.click("#refresh-inventory")
    chrome.wait("const td = document.querySelector('%s td:nth-child(4)');"
                "return td && td.textContent" % row)
    labels = chrome.js("return [...document.querySelectorAll('%s ul.labels li')]"
                       ".map(li => li.textContent)" % row)
    assert labels == ["%s=%s" % (COMPOSE_LABEL, XSS)], labels
    latest = server.get("/api/inventory/latest/").text
    assert SECRET not in latest


def add_images(chrome, server):
    chrome.type("#img-image-name", "busybox:1.36")
    chrome.type("#img-memory-mb", "256")
    chrome.click("#image-add")
    text, bad = msg(chrome, "images-msg", "Added")
    assert (text, bad) == ("Added docker.io/library/busybox:1.36.", False)
    listed = server.get("/api/worker-images/").json()["results"]
    assert [(e["image_name"], e["image_tag"], e["memory_mb"]) for e in listed] == \
        [("docker.io/library/busybox", "1.36", 256)]
    eid = listed[0]["id"]
    chrome.wait("return document.querySelector('#images tr[data-id=\"%d\"]')" % eid)
    assert cells(chrome, '#images tr[data-id="%d"]' % eid)[:3] == \
        ["docker.io/library/busybox:1.36", "no", "256 MiB"]
    # The same image again: 409, its detail shown as an error; nothing added.
    chrome.type("#img-image-name", "docker.io/library/busybox:1.36")
    chrome.click("#image-add")
    text, bad = msg(chrome, "images-msg", "already allowlisted")
    assert bad and "busybox" in text, text
    # A hostile reference: 400 with the field's message, as text.
    chrome.js("document.getElementById('img-image-name').value = ''")
    chrome.type("#img-image-name", XSS)
    chrome.click("#image-add")
    text, bad = msg(chrome, "images-msg", "image_name:")
    assert bad, text
    assert server.get("/api/worker-images/").json()["count"] == 1
    return eid


def remove_row(chrome, row):
    """Remove through the confirm step with the keyboard: Escape backs out, Enter confirms."""
    chrome.click(row + " button.ask")
    assert chrome.js("return document.activeElement.className") == "danger confirm"
    chrome.keys("\ue00c")  # Escape
    chrome.wait("return document.activeElement.classList.contains('ask')")
    chrome.keys("\ue007")  # Enter on Remove asks again
    chrome.wait("return document.activeElement.classList.contains('confirm')")
    chrome.keys("\ue007")  # Enter on "Yes, remove"
    chrome.wait("return !document.querySelector('%s')" % row.replace("'", "\\'"))


def test_browser_allowlists(server, chrome, pickable):
    ui_login(chrome, server, "allowlists")
    chrome.wait("const i = document.getElementById('inventory-info');"
                "return i && i.textContent.startsWith('No inventory snapshot')")
    pick_container(chrome, server, pickable)
    no_leak(chrome, server)
    # A hand-written entry with a hostile note keeps it as text.
    chrome.type("#ct-ref", "cbui-manual")
    chrome.type("#ct-note", XSS)
    chrome.click("#container-add")
    msg(chrome, "containers-msg", "Added cbui-manual")
    chrome.wait("return document.querySelector('#containers tr[data-ref=\"cbui-manual\"]')")
    assert cells(chrome, '#containers tr[data-ref="cbui-manual"]')[:2] == ["cbui-manual", XSS]
    eid = add_images(chrome, server)
    no_leak(chrome, server)
    # Disable the image entry with its checkbox.
    chrome.click('#images tr[data-id="%d"] input.active' % eid)
    msg(chrome, "images-msg", "Disabled")
    assert server.get("/api/worker-images/%d/" % eid).json()["is_active"] is False
    chrome.js("document.getElementById('containers-card').scrollIntoView()")
    screenshot(chrome, "allowlists")
    remove_row(chrome, '#containers tr[data-ref="cbui-manual"]')
    assert [e["container_ref"] for e in server.get("/api/containers/").json()["results"]] == \
        [pickable["name"]]
    remove_row(chrome, '#images tr[data-id="%d"]' % eid)
    assert server.get("/api/worker-images/").json()["count"] == 0
    # A write from the page without the CSRF header is refused, and nothing is written.
    status = chrome.js("return fetch('/api/containers/', {method: 'POST', credentials: "
                       "'same-origin', headers: {'Content-Type': 'application/json'}, body: "
                       "JSON.stringify({container_ref: 'csrf-less'})}).then(r => r.status)")
    assert status == 403
    assert "csrf-less" not in server.get("/api/containers/").text
    no_leak(chrome, server)
    phone_fits(chrome)
    chrome.js("document.getElementById('picker').scrollIntoView()")
    screenshot(chrome, "allowlists-phone")


def phone_fits(chrome):
    """At phone width nothing sticks out sideways (wide tables scroll inside their card)."""
    width = phone_overflow(chrome)
    assert width <= 0, width


def test_browser_inventory_unavailable(make_instance, chrome):
    # With no engine behind the socket, "Refresh inventory" says so (503) instead of failing.
    server = make_instance({"DOCKER_HOST": "unix:///nonexistent/docker.sock"}).start()
    ui_login(chrome, server, "allowlists")
    chrome.wait("return document.getElementById('inventory-info').textContent")
    chrome.click("#refresh-inventory")
    text, bad = msg(chrome, "inventory-msg", "Docker engine does not answer")
    assert bad, text
    # Empty lists say so, and so does an empty audit log.
    empty = chrome.js("return [...document.querySelectorAll('.page-allowlists .empty')]"
                      ".map(p => p.textContent)")
    assert [t.split(":")[0] for t in empty] == ["No worker image is allowlisted",
                                                "No container is allowlisted"], empty
    wait_audit(chrome, "audit")
    assert chrome.js("return document.getElementById('audit-empty').textContent") == \
        "The audit log is empty."


def run_in_docker(server, expect):
    run = server.launch({"tasks": ["log_triage"]})
    run = server.wait_run(run["id"], timeout=120)
    assert run["status"] == expect, run
    return run["id"]


def audit_rows(chrome):
    return chrome.js("return [...document.querySelectorAll('#audit tbody tr')].map(tr =>"
                     "[tr.dataset.action, ...[...tr.cells].map(td => td.textContent)])")


def wait_audit(chrome, hash_):
    """Go to #/hash_ and wait until that audit page has rendered (the old one is cleared
    first, so nothing of it can answer)."""
    chrome.js("document.getElementById('view').replaceChildren(); location.hash = arguments[0]",
              "#/" + hash_)
    chrome.wait("return document.querySelector('.page-audit[data-done]')")


def test_browser_audit(make_instance, chrome, image):  # noqa: F811
    server = make_instance({"CYBER_BRAIN_RUNTIME": "docker"}).start()
    ok = run_in_docker(server, "success")  # spawn, exit and remove rows
    entry = server.get("/api/worker-images/").json()["results"][0]
    assert server.patch("/api/worker-images/%d/" % entry["id"],
                        json={"is_active": False}).status_code == 200
    denied = run_in_docker(server, "failed")  # a deny row
    ui_login(chrome, server, "audit")
    chrome.wait("return document.querySelector('#audit')")
    rows = audit_rows(chrome)
    assert [r[0] for r in rows] == ["deny", "remove", "exit", "spawn"], rows
    deny = rows[0]
    assert deny[4] == "#%d" % denied and "allowlist entry is inactive" in deny[6], deny
    assert chrome.js("return document.querySelector('#audit tbody tr a').getAttribute('href')") \
        == "#/run/%d" % denied
    assert rows[3][3].startswith(IMAGE) and rows[3][4] == "#%d" % ok, rows[3]
    screenshot(chrome, "audit")
    phone_fits(chrome)
    chrome.resize(1200, 900)
    # Filter with the form: action spawn and the first run.
    chrome.js("document.getElementById('audit-action').value = 'spawn'")
    chrome.type("#audit-run", str(ok))
    chrome.click("#audit-filters button[type=submit]")
    chrome.wait("return location.hash === '#/audit/action=spawn&run=%d'" % ok)
    chrome.wait("return document.querySelectorAll('#audit tbody tr').length === 1")
    assert [r[0] for r in audit_rows(chrome)] == ["spawn"]
    # No match for the other run.
    wait_audit(chrome, "audit/action=spawn&run=%d" % denied)
    assert chrome.js("return document.getElementById('audit-empty').textContent") == \
        "No audit row matches."
    # Paging: one row a page, older and newer.
    wait_audit(chrome, "audit/size=1")
    assert chrome.js("return document.getElementById('audit-pos').textContent") == \
        "Page 1 of 4 · 4 rows"
    assert chrome.js("return document.getElementById('audit-prev').disabled") is True
    chrome.click("#audit-next")
    chrome.wait("return document.getElementById('audit-pos') && document.getElementById("
                "'audit-pos').textContent.startsWith('Page 2 ')")
    assert [r[0] for r in audit_rows(chrome)] == ["remove"]
    chrome.click("#audit-prev")
    chrome.wait("return location.hash === '#/audit/size=1' && document.getElementById("
                "'audit-pos') && document.getElementById('audit-pos').textContent"
                ".startsWith('Page 1 ')")
    # A hostile filter in the hash: the server's 400 is shown as text.
    wait_audit(chrome, "audit/action=" + XSS)
    assert "action:" in chrome.js("return document.querySelector('.page-audit .error')"
                                  ".textContent")
    no_leak(chrome, server)
    # The run link opens the run page.
    wait_audit(chrome, "audit")
    chrome.click("#audit tbody tr a")
    chrome.wait("return location.hash === '#/run/%d'" % denied)

# SPDX-License-Identifier: MIT
# browser.py -- a real headless Chromium for the web UI tests (#10): Debian's chromium driven
# by chromedriver over its W3C HTTP endpoints with urllib (no Selenium). Use the `chrome`
# fixture (import it into the test module), ui_login() and screenshot().
# Screenshots are kept as test artifacts under build/screenshots/ (or $CB_SCREENSHOT_DIR).
import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port

XSS = "<img src=x onerror=alert(1)>"
SHOT_DIR = pathlib.Path(os.environ.get(
    "CB_SCREENSHOT_DIR", pathlib.Path(__file__).resolve().parents[2] / "build" / "screenshots"))


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

    def keys(self, text):
        """Type into whatever has focus (W3C key actions); "\\ue004" is Tab, "\\ue007" Enter."""
        acts = []
        for ch in text:
            acts += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": acts}]})

    def wait(self, script, timeout=90):
        deadline = time.monotonic() + timeout
        while True:
            v = self.js(script)
            if v:
                return v
            assert time.monotonic() < deadline, "timed out waiting for: " + script
            time.sleep(0.2)

    def resize(self, width, height):
        self.s("POST", "/window/rect", {"width": width, "height": height})

    def quit(self):
        try:
            self.s("DELETE", "")
        except OSError:
            pass


@pytest.fixture
def chrome():
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


def ui_login(chrome, server, hash_=""):
    """Open the UI, log in with the server's token, and wait for the page at #/hash_."""
    chrome.go(server.url("/"))
    chrome.wait("return !document.getElementById('login-view').hidden")
    chrome.type("#token", server.token)
    chrome.click("#login-form button")
    chrome.wait("return !document.getElementById('view').hidden"
                " && document.querySelector('#view .page')")
    if hash_:
        ui_open(chrome, hash_)


def ui_open(chrome, hash_):
    """Go to #/hash_ (no reload) and wait until its page is on screen."""
    chrome.js("location.hash = arguments[0]", "#/" + hash_)
    name = hash_.split("/")[0] or "dashboard"
    chrome.wait("return document.querySelector('#view .page-%s')" % name)


def overflow(chrome):
    """How far the page sticks out sideways now (wide tables and maps should scroll inside
    their card, never the page)."""
    return chrome.js("return document.documentElement.scrollWidth - window.innerWidth")


def phone_overflow(chrome):
    """Resize the window to a phone's (390 x 844) and return overflow()."""
    chrome.resize(390, 844)
    chrome.wait("return window.innerWidth < 500")
    return overflow(chrome)


def screenshot(chrome, name):
    """Save a PNG of the window as build/screenshots/NAME.png (a test artifact); returns it."""
    png = base64.b64decode(chrome.s("GET", "/screenshot"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOT_DIR / (name + ".png")
    path.write_bytes(png)
    print("screenshot:", path)
    return path

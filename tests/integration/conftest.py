# SPDX-License-Identifier: MIT
# conftest.py -- black-box fixtures: a real `cyberbrain serve` on 127.0.0.1 per test,
# over SQLite (temp folder) and PostgreSQL (CB_ITEST_PG, reset before each start).
import datetime
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("CYBERBRAIN_BIN") or os.path.join(ROOT, "build", "cyberbrain"))
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")
TERMINAL_RUN = ("success", "partial", "failed", "cancelled")
TERMINAL_JOB = ("success", "failed", "cancelled")
START_TIMEOUT_S = 20
MAX_BODY = 4096

# Variables of the server configuration that must not leak in from the caller's shell.
_CLEAR_PREFIXES = ("CYBER_BRAIN_", "POSTGRES_", "DJANGO_", "DOCKER_HOST", "PG", "LLM_")


def build_busybox_image(tmp_path_factory, prefix, applets):
    """Build an image FROM scratch holding /bin/busybox and the applets as links to it;
    returns its tag (prefix + random). The caller removes it (docker rmi -f)."""
    import secrets
    ctx = tmp_path_factory.mktemp("busybox")
    os.makedirs(ctx / "bin")
    shutil.copy("/bin/busybox", ctx / "bin" / "busybox")
    for applet in applets:
        os.symlink("busybox", ctx / "bin" / applet)
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY bin /bin\n")
    tag = prefix + ":" + secrets.token_hex(4)
    r = subprocess.run(["docker", "build", "-q", "-t", tag, str(ctx)], capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    return tag


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_conninfo(conninfo):
    """Parse a libpq key=value conninfo into a dict (quoted values supported)."""
    out = {}
    for part in shlex.split(conninfo):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def pg_env(conninfo):
    ci = parse_conninfo(conninfo)
    names = {"host": "POSTGRES_HOST", "port": "POSTGRES_PORT", "dbname": "POSTGRES_DB",
             "user": "POSTGRES_USER", "password": "POSTGRES_PASSWORD"}
    env = {names[k]: v for k, v in ci.items() if k in names}
    if "POSTGRES_HOST" not in env:
        env["POSTGRES_HOST"] = "/var/run/postgresql"
    return env


def pg_reset(conninfo):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", conninfo, "-c",
                    "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"],
                   check=True, capture_output=True, timeout=30)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def write_logs(logs_dir):
    """A few small log files with recent ISO timestamps and ERROR/WARN lines."""
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    lines_a = [
        "%s INFO service started" % iso(now),
        "%s WARN disk usage at 81%%" % iso(now + datetime.timedelta(seconds=1)),
        "%s ERROR connection refused to db:5432" % iso(now + datetime.timedelta(seconds=2)),
        "%s ERROR connection refused to db:5432" % iso(now + datetime.timedelta(seconds=3)),
        "%s INFO request served in 12 ms" % iso(now + datetime.timedelta(seconds=4)),
    ]
    lines_b = [
        "%s WARN slow query took 2300 ms" % iso(now + datetime.timedelta(seconds=5)),
        "%s ERROR worker crashed: exit 137" % iso(now + datetime.timedelta(seconds=6)),
    ]
    with open(os.path.join(logs_dir, "app.log"), "w") as f:
        f.write("\n".join(lines_a) + "\n")
    with open(os.path.join(logs_dir, "worker.log"), "w") as f:
        f.write("\n".join(lines_b) + "\n")


class Client:
    """A small HTTP client for one server: base URL, token, and verb helpers."""

    def __init__(self, base, token):
        self.base = base
        self.token = token
        self.session = requests.Session()

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    def request(self, method, path, auth=True, headers=None, timeout=15, **kw):
        h = dict(headers or {})
        if auth and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        return self.session.request(method, self.url(path), headers=h, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def launch(self, body=None, expect=201):
        r = self.post("/api/runs/launch/", json=body if body is not None else {})
        assert r.status_code == expect, (r.status_code, r.text)
        return r.json()

    def run(self, run_id):
        r = self.get("/api/runs/%d/" % run_id)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def wait_run(self, run_id, timeout=60):
        """Poll until the run is terminal (bounded); return it."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if run["status"] in TERMINAL_RUN:
                return run
            assert time.monotonic() < deadline, "run %d still %s after %ds" % (
                run_id, run["status"], timeout)
            time.sleep(0.1)

    def wait_report(self, run_id, timeout=10):
        """Return the run's report once stored. The server stores it just after the run's
        terminal state (a known race, reported), so poll briefly."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.get("/api/runs/%d/report/" % run_id)
            assert r.status_code == 200, r.text
            rep = r.json()
            if rep["markdown"] is not None or time.monotonic() > deadline:
                return rep
            time.sleep(0.05)

    def list_all(self, path, page_size=100):
        """Follow `next` links of a paginated list; return every result."""
        sep = "&" if "?" in path else "?"
        url = "%s%spage_size=%d" % (path, sep, page_size)
        out = []
        for _ in range(1000):
            r = self.get(url)
            assert r.status_code == 200, (r.status_code, r.text)
            body = r.json()
            out.extend(body["results"])
            if not body.get("next"):
                return out
            url = body["next"]
        raise AssertionError("pagination never ended for " + path)


class Instance:
    """One configured cyberbrain (env + folders + database); starts/stops `serve`."""

    def __init__(self, backend, tmp, pg_conninfo=None, extra_env=None):
        self.backend = backend
        self.tmp = tmp
        self.pg_conninfo = pg_conninfo
        self.logs = os.path.join(tmp, "logs")
        self.uploads = os.path.join(tmp, "uploads")
        self.data = os.path.join(tmp, "data")
        for d in (self.logs, self.uploads, self.data):
            os.makedirs(d, exist_ok=True)
        write_logs(self.logs)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEAR_PREFIXES)}
        env.update({
            "CYBER_BRAIN_PORT": str(self.port),
            "CYBER_BRAIN_BIND": "127.0.0.1",
            "CYBER_BRAIN_LOGS": self.logs,
            "CYBER_BRAIN_UPLOADS": self.uploads,
            "CYBER_BRAIN_RUNTIME": "process",
            "CYBER_BRAIN_MAX_BODY": str(MAX_BODY),
            "CYBER_BRAIN_SECRET_KEY": "itest-secret-key-not-for-production",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "abort_on_error=0"),
        })
        if backend == "postgresql":
            env.update(pg_env(pg_conninfo))
        else:
            env["CYBER_BRAIN_DB"] = os.path.join(self.data, "cyberbrain.db")
        env.update(extra_env or {})
        self.env = env
        self.proc = None
        self.stderr_paths = []
        self.client = None
        self.pgids = []

    # ---- CLI ----
    def cli(self, *args, env=None, timeout=60, check=False):
        e = dict(self.env)
        e.update(env or {})
        r = subprocess.run([BIN] + list(args), env=e, capture_output=True, text=True,
                           timeout=timeout)
        self._check_sanitizer(r.stderr, "cyberbrain " + " ".join(args))
        if check:
            assert r.returncode == 0, "cyberbrain %s -> %d\nstdout:%s\nstderr:%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr)
        return r

    def reset_db(self):
        if self.backend == "postgresql":
            pg_reset(self.pg_conninfo)

    def prepare(self):
        """Migrate and create a token (once per instance)."""
        self.cli("migrate", check=True)
        r = self.cli("token", "create", "--name", "itest", check=True)
        lines = r.stdout.splitlines()
        assert len(lines) == 1 and lines[0].strip(), "token create printed %r" % r.stdout
        self.client = Client("http://127.0.0.1:%d" % self.port, lines[0].strip())
        return self.client

    # ---- serve ----
    def start(self, env=None):
        assert self.proc is None, "server already running"
        if self.client is None:
            self.prepare()
        e = dict(self.env)
        e.update(env or {})
        path = os.path.join(self.tmp, "serve-%d.stderr" % len(self.stderr_paths))
        self.stderr_paths.append(path)
        self._stderr = open(path, "wb")
        # Own process group so orphaned worker children can be cleaned up at teardown.
        self.proc = subprocess.Popen([BIN, "serve"], env=e, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     start_new_session=True)
        self.pgids.append(self.proc.pid)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("serve exited with %d before answering:\n%s" % (
                    self.proc.returncode, self.stderr_text()[-4000:]))
            try:
                requests.get(self.client.base + "/api/health/", timeout=2)
                return self.client
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer /api/health/ within %ds:\n%s" % (
                    START_TIMEOUT_S, self.stderr_text()[-4000:]))
            time.sleep(0.05)

    def stderr_text(self):
        out = []
        for p in self.stderr_paths:
            try:
                with open(p, "rb") as f:
                    out.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        return "".join(out)

    def kill9(self):
        """kill -9 the server (only the server process; its workers may linger)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None
        self._stderr.close()

    def stop(self):
        """Stop the server (SIGTERM, then SIGKILL); return whether it was still alive."""
        if self.proc is None:
            return True
        alive = self.proc.poll() is None
        if alive:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self._stderr.close()
        return alive

    def cleanup_group(self):
        for pgid in set(self.pgids):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    @staticmethod
    def _check_sanitizer(text, what):
        m = SANITIZER_RE.search(text or "")
        assert not m, "%s reported a sanitizer error:\n%s" % (what, text[-6000:])


def _backends():
    params = [pytest.param("sqlite", id="sqlite")]
    marks = []
    if not os.environ.get("CB_ITEST_PG"):
        marks = [pytest.mark.skip(reason="CB_ITEST_PG is not set")]
    params.append(pytest.param("postgresql", id="postgresql", marks=marks))
    return params


_PG_LOCK = []


def _lock_pg_database(conninfo):
    """Every test resets the shared PostgreSQL database: serialise suites that use the
    same one on this machine (an advisory file lock held for the whole session)."""
    key = " ".join("%s=%s" % kv for kv in sorted(parse_conninfo(conninfo).items()))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    f = open(os.path.join(tempfile.gettempdir(), "cyberbrain-itest-%s.lock" % digest), "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("integration: waiting for another suite using %s" % conninfo, flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)
    _PG_LOCK.append(f)


def pytest_configure(config):
    if os.environ.get("CI") == "true" and not os.environ.get("CB_ITEST_PG"):
        raise pytest.UsageError("CI=true but CB_ITEST_PG is not set: the PostgreSQL "
                                "integration suite is mandatory in CI")
    if os.environ.get("CB_ITEST_PG"):
        _lock_pg_database(os.environ["CB_ITEST_PG"])
    if not os.access(BIN, os.X_OK):
        raise pytest.UsageError("cyberbrain binary not found at %s (set CYBERBRAIN_BIN)" % BIN)


@pytest.fixture(params=_backends())
def backend(request):
    return request.param


@pytest.fixture
def make_instance(backend, tmp_path_factory):
    """Factory: a configured instance (database reset), with optional extra env.
    Teardown stops every server, kills leftovers, and fails on sanitizer reports or a
    server that died on its own."""
    made = []
    pg = os.environ.get("CB_ITEST_PG")

    def make(extra_env=None):
        assert not made, "one instance per test (PostgreSQL shares one database)"
        tmp = str(tmp_path_factory.mktemp("cb"))
        inst = Instance(backend, tmp, pg, extra_env)
        inst.reset_db()
        made.append(inst)
        return inst

    yield make
    errors = []
    for inst in made:
        was_alive = inst.stop()
        inst.cleanup_group()
        text = inst.stderr_text()
        if SANITIZER_RE.search(text):
            errors.append("server stderr has a sanitizer report:\n" + text[-6000:])
        if not was_alive:
            errors.append("server died during the test:\n" + text[-4000:])
        shutil.rmtree(inst.tmp, ignore_errors=True)
    if errors:
        pytest.fail("\n".join(errors))


@pytest.fixture
def instance(make_instance):
    return make_instance()


@pytest.fixture
def server(instance):
    """A started server; yields its Client (instance reachable as client.instance)."""
    c = instance.start()
    c.instance = instance
    return c

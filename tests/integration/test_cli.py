# SPDX-License-Identifier: MIT
# test_cli.py -- the cyberbrain subcommands as a user types them.
import re
import subprocess

from conftest import BIN


def test_migrate_check(instance):
    r = instance.cli("migrate", "--check")
    assert r.returncode != 0, (r.stdout, r.stderr)
    instance.cli("migrate", check=True)
    r = instance.cli("migrate", "--check")
    assert r.returncode == 0, (r.stdout, r.stderr)
    # Migrating again is a no-op that succeeds.
    instance.cli("migrate", check=True)
    assert instance.cli("migrate", "--check").returncode == 0


def test_token_create_one_line(instance):
    instance.cli("migrate", check=True)
    tokens = set()
    for _ in range(2):
        r = instance.cli("token", "create", "--name", "cli-test", check=True)
        lines = r.stdout.split("\n")
        assert len(lines) == 2 and lines[1] == "", repr(r.stdout)
        tok = lines[0]
        assert tok and " " not in tok and len(tok) >= 20, repr(tok)
        tokens.add(tok)
    assert len(tokens) == 2
    r = instance.cli("token", "create")
    assert r.returncode != 0
    assert r.stdout == ""


def test_token_works_against_server(server):
    tok = server.instance.cli("token", "create", "--name", "second", check=True).stdout.strip()
    r = server.get("/api/runs/", headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200, r.text


def test_validate_exit_codes(instance):
    r = instance.cli("validate")
    assert r.returncode == 1, (r.stdout, r.stderr)
    instance.cli("migrate", check=True)
    r = instance.cli("validate")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert len([ln for ln in r.stdout.splitlines() if ln.strip()]) >= 3, out
    r = instance.cli("validate", env={"CYBER_BRAIN_RUNTIME": "sideways"})
    assert r.returncode != 0
    assert "CYBER_BRAIN_RUNTIME" in r.stdout + r.stderr


def test_bad_env_stops_serve(instance):
    instance.cli("migrate", check=True)
    for var, val in (("CYBER_BRAIN_PORT", "abc"), ("CYBER_BRAIN_PORT", "70000"),
                     ("CYBER_BRAIN_MAX_BODY", "-5"), ("CYBER_BRAIN_RUNTIME", "nope")):
        env = dict(instance.env)
        env[var] = val
        p = subprocess.run([BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
        assert p.returncode != 0, (var, val)
        assert var in p.stderr, (var, val, p.stderr)


def test_unknown_subcommand(instance):
    r = instance.cli("frobnicate")
    assert r.returncode != 0
    assert r.stderr.strip()


def test_cli_run_prints_report(instance):
    instance.cli("migrate", check=True)
    r = instance.cli("run", "log_triage", timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stdout.lstrip().startswith("#"), r.stdout[:500]
    assert "log_triage" in r.stdout.replace("\\_", "_")
    # The fixture logs hold 3 ERROR lines (Markdown table row "| error | 3 |").
    assert re.search(r"\|\s*error\s*\|\s*3\s*\|", r.stdout), r.stdout
    r = instance.cli("run", "no_such_task", timeout=60)
    assert r.returncode != 0
    assert "no_such_task" in r.stderr


def test_cli_run_is_visible_to_api(instance):
    instance.cli("migrate", check=True)
    r = instance.cli("run", "task1", timeout=120)
    assert r.returncode == 0, r.stderr
    c = instance.start()
    runs = c.list_all("/api/runs/")
    assert len(runs) == 1 and runs[0]["status"] == "success"


def test_validate_bad_config_exits_1(instance):
    """`cyberbrain validate` exits 0/1 with one line per check, a bad setting included."""
    r = instance.cli("validate", env={"CYBER_BRAIN_RUNTIME": "sideways"})
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "CYBER_BRAIN_RUNTIME" in r.stdout, r.stdout

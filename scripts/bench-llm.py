#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# bench-llm.py -- time GET /api/runs/{id}/explain/ against the tiny real model of tests/llm:
# one server (SQLite, process runtime), one ended log_triage run, N explanations; prints the
# median, min and max end-to-end time and the prompt's size, estimate and counted tokens.
#   CYBERBRAIN_BIN=build/cyberbrain /usr/bin/python3 scripts/bench-llm.py [N]
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("CYBERBRAIN_BIN", os.path.join(ROOT, "build", "cyberbrain"))

from conftest import Instance  # noqa: E402
import test_llm as T  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    tmp_llm, tmp_cb = tempfile.mkdtemp(), tempfile.mkdtemp()
    llm = T.LlmServer(tmp_llm)
    inst = Instance("sqlite", tmp_cb, None, T.llm_env(llm.url, "openai", True))
    try:
        server = inst.start()
        run = T.ended_run(server)
        times = []
        for _ in range(n):
            t0 = time.monotonic()
            (kind, done), text = T.explain(server, run["id"])
            times.append((time.monotonic() - t0) * 1000)
            assert kind == "done" and text == T.REPLY, (kind, done)
        req = llm.requests()[-1]
        sys_b = len(req["body"]["messages"][0]["content"].encode())
        user_b = len(req["body"]["messages"][1]["content"].encode())
        print("explain: %d calls, median %.0f ms (min %.0f, max %.0f)" % (
            n, statistics.median(times), min(times), max(times)))
        print("prompt: %d bytes, estimate %d tokens, the model counted %d; answer %d tokens" % (
            sys_b + user_b, -(-(sys_b + user_b) // 3), done["prompt_tokens"],
            done["completion_tokens"]))
    finally:
        inst.stop()
        inst.cleanup_group()
        llm.stop()
        shutil.rmtree(tmp_llm, ignore_errors=True)
        shutil.rmtree(tmp_cb, ignore_errors=True)


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: MIT
# test_llm_mcp.py -- the MCP tool explain_run over /mcp with a real local LLM (the tiny
# "Hello, world!" model of tests/llm through llama.cpp), on SQLite and PostgreSQL: progress
# notifications carry the pieces of the answer, the result's text is the answer, the counts
# in structuredContent equal what the model server reported and the new llm_calls row;
# nothing of the prompt or the answer is kept anywhere on the MCP path either; errors are
# isError results; the official SDK client validates structuredContent against the schema.
import json

from test_llm import (PLANTED_DIRECTIVE, PLANTED_EMAIL, PLANTED_IP, REPLY,  # noqa: F401
                      assert_kept_nowhere, ended_run, explain, llm, llm_calls, llm_env, plant_logs)
from test_mcp_probe import run_probe
from test_mcp_tools import Mcp

import pytest


def explain_run(mcp, run_id, token=None):
    """Call explain_run; return (result, progress notifications' params)."""
    res, progress = mcp.call("explain_run", {"run_id": run_id}, progress_token=token,
                             timeout=120)
    return res, [p["params"] for p in progress]


@pytest.mark.parametrize("api,stream", [("openai", True), ("ollama", False)])
def test_explain_run_progress_text_and_counts(make_instance, llm, api, stream):
    inst = make_instance(llm_env(llm.url, api, stream))
    server = inst.start()
    run = ended_run(server)
    mcp = Mcp(server)
    before = len(llm.requests())
    res, progress = explain_run(mcp, run["id"], token="ex-1")
    assert res.get("isError") is not True, res
    assert res["content"][0]["type"] == "text" and res["content"][0]["text"] == REPLY
    # Progress: this call's token, strictly increasing, no total; the messages are the pieces.
    assert progress, res
    vals = [p["progress"] for p in progress]
    assert all(p["progressToken"] == "ex-1" for p in progress)
    assert all(b > a for a, b in zip(vals, vals[1:])), vals
    assert all("total" not in p for p in progress)
    assert "".join(p["message"] for p in progress) == REPLY
    if stream:
        assert len(progress) > 1, progress  # the model's pieces, as they came
    # The counts: as the model server reported them, and as recorded.
    got = llm.requests()[before:]
    assert len(got) == 1, got
    assert got[0]["path"] == ("/v1/chat/completions" if api == "openai" else "/api/chat")
    assert got[0]["body"]["stream"] is stream
    usage = got[0]["usage"]
    sc = res["structuredContent"]
    assert sc["run_id"] == run["id"] and sc["model"] == "tiny-hello" and sc["api"] == api
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert sc["prompt_tokens"] == usage["prompt_tokens"]
    assert sc["completion_tokens"] == usage["completion_tokens"]
    assert sc["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert isinstance(sc["duration_ms"], int) and sc["duration_ms"] >= 0
    calls = llm_calls(server)
    assert len(calls) == 1
    c = calls[0]
    assert c["id"] == sc["llm_call_id"] and c["status"] == "success"
    assert c["run_id"] == run["id"] and c["api"] == api and c["task"] == "log_triage"
    assert (c["prompt_tokens"], c["completion_tokens"], c["total_tokens"]) == (
        sc["prompt_tokens"], sc["completion_tokens"], sc["total_tokens"])
    assert c["duration_ms"] == sc["duration_ms"]
    assert server.run(run["id"])["token_totals"]["total_tokens"] == sc["total_tokens"]


def test_explain_run_privacy_nothing_kept(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "openai", True))
    plant_logs(inst.logs)
    server = inst.start()
    run = ended_run(server, PLANTED_DIRECTIVE)
    mcp = Mcp(server)
    before = len(llm.requests())
    res, progress = explain_run(mcp, run["id"], token="p-1")  # SSE with progress
    assert res.get("isError") is not True and res["content"][0]["text"] == REPLY, res
    assert "".join(p["message"] for p in progress) == REPLY
    res2, progress2 = explain_run(mcp, run["id"])  # no progressToken: one JSON answer
    assert res2.get("isError") is not True and res2["content"][0]["text"] == REPLY, res2
    assert progress2 == []
    (kind, _), text = explain(server, run["id"])  # and once through REST, for comparison
    assert kind == "done" and text == REPLY
    sent = llm.requests()[before:]
    assert len(sent) == 3
    system, user = (m["content"] for m in sent[0]["body"]["messages"])
    # The same prompt as the REST endpoint builds: the findings redacted, the directive in.
    assert sent[0]["body"]["messages"] == sent[1]["body"]["messages"] == \
        sent[2]["body"]["messages"]
    blob = json.dumps([s["body"] for s in sent])
    for planted in (PLANTED_EMAIL, PLANTED_IP, "ursula.planted@example.org"):
        assert planted not in blob, planted
    assert "Focus on the db outage" in user and "zq7marker" in user
    first_line = user.splitlines()[0]
    assert first_line.startswith("Run %d" % run["id"])
    needles = [REPLY, system, user, first_line, system[:60]]
    files, logs = assert_kept_nowhere(inst, needles)
    assert any(p.endswith("report.json") for p in files)
    assert logs.count("event=llm.explained") == 3
    # Nor do the other tools' answers, or the REST API's.
    for name, args in (("token_usage", {"period": "all"}), ("recent_audit", {}),
                       ("get_run", {"run_id": run["id"]}), ("get_report", {"run_id": run["id"]})):
        text = json.dumps(mcp.call(name, args)[0])
        for n in needles:
            assert n not in text, (name, n[:60])
    for path in ("/api/llm-calls/", "/api/token-usage/", "/api/audit/"):
        r = server.get(path)
        assert r.status_code == 200
        for n in needles:
            assert n not in r.text, (path, n[:60])
    assert [c["status"] for c in llm_calls(server)] == ["success"] * 3


def test_explain_run_errors(make_instance):
    inst = make_instance(llm_env("http://8.8.8.8:11434", "openai", True))
    server = inst.start()
    run = ended_run(server)
    mcp = Mcp(server)
    text = mcp.error_text("explain_run", {"run_id": run["id"]})
    assert "not a local address" in text and "8.8.8.8" not in text, text  # redacted
    audit = server.list_all("/api/audit/?action=llm_refused")
    assert len(audit) == 1 and audit[0]["run_id"] == run["id"], audit
    calls = llm_calls(server)
    assert len(calls) == 1 and calls[0]["status"] == "refused", calls
    assert "not found" in mcp.error_text("explain_run", {"run_id": 999999})
    assert "run_id" in mcp.error_text("explain_run", {})
    assert "argument" in mcp.error_text("explain_run", {"run_id": run["id"], "x": 1}).lower()
    inst.stop()
    inst.env.pop("LLM_BASE_URL")
    server = inst.start()
    mcp = Mcp(server)
    text = mcp.error_text("explain_run", {"run_id": run["id"]})
    assert "No LLM is configured" in text and "LLM_BASE_URL" in text, text
    assert len(llm_calls(server)) == 1  # nothing asked, nothing recorded


def test_probe_validates_explain_run(make_instance, llm):
    inst = make_instance(llm_env(llm.url, "openai", True))
    server = inst.start()
    run = ended_run(server)
    r, passed, failed = run_probe(server.base + "/mcp", "--only", "sdk", "--timeout", "30000",
                                  "--header", "Authorization: Bearer " + server.token, "--call",
                                  "explain_run", "--args", json.dumps({"run_id": run["id"]}))
    fails = [ln for ln in r.stdout.splitlines() if ln.startswith(("FAIL", "INFO tools/call"))]
    assert failed == 0, fails
    assert "structuredContent validated against outputSchema" in r.stdout, r.stdout
    assert "PASS sdk.progress:" in r.stdout, r.stdout
    assert REPLY in r.stdout or '"total_tokens":' in r.stdout, r.stdout
    calls = llm_calls(server)
    assert len(calls) == 1 and calls[0]["status"] == "success", calls

#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-mcp.sh BIN LOAD -- tools/call get_run over /mcp with 50 concurrent sessions (issue #6):
# start `cyberbrain serve` on loopback (SQLite, process runtime), launch one run through the
# REST API, then run the load client LOAD (bench/mcp_load.c): 50 sessions x 200 calls. Prints
# p50/p99 latency and calls/s.
set -eu
BIN=${1:?usage: bench-mcp.sh BIN LOAD}
LOAD=${2:?usage: bench-mcp.sh BIN LOAD}
SESSIONS=${BENCH_MCP_SESSIONS:-50}
CALLS=${BENCH_MCP_CALLS:-200}
. "$(dirname "$0")/bench-serve.sh"
bench_serve "$BIN" bench-mcp CYBER_BRAIN_MCP_MAX_SESSIONS=1000
RUN=$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"tasks":["log_triage"]}' "http://127.0.0.1:$PORT/api/runs/launch/" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$LOAD" "http://127.0.0.1:$PORT/mcp" "$TOKEN" "$RUN" "$SESSIONS" "$CALLS"

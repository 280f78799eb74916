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
TMP=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/logs" "$TMP/uploads" "$TMP/data"
unset POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD
export CYBER_BRAIN_DB="$TMP/data/cyberbrain.db" CYBER_BRAIN_LOGS="$TMP/logs" \
    CYBER_BRAIN_UPLOADS="$TMP/uploads" CYBER_BRAIN_RUNTIME=process \
    CYBER_BRAIN_BIND=127.0.0.1 CYBER_BRAIN_PORT="$PORT" CYBER_BRAIN_LOG_LEVEL=warn \
    CYBER_BRAIN_MCP_MAX_SESSIONS=1000
"$BIN" migrate >/dev/null
TOKEN=$("$BIN" token create --name bench-mcp)
"$BIN" serve 2>"$TMP/serve.log" &
PID=$!
i=0
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/health/"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 "$PID" 2>/dev/null; then
        echo "bench-mcp: server did not start" >&2
        cat "$TMP/serve.log" >&2
        exit 1
    fi
    sleep 0.1
done
RUN=$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"tasks":["log_triage"]}' "http://127.0.0.1:$PORT/api/runs/launch/" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$LOAD" "http://127.0.0.1:$PORT/mcp" "$TOKEN" "$RUN" "$SESSIONS" "$CALLS"

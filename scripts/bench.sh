#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh BIN -- GET /api/runs/?page_size=50 with 50 runs stored (SQLite), wrk on
# loopback, and the server's idle RSS before and after the load.
# Goals (issue #2): >= 7,000 req/s, p99 < 5 ms at 50 connections, idle RSS < 15 MB.
set -eu
BIN=${1:?usage: bench.sh BIN}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
DURATION=${BENCH_DURATION:-10s}
command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "bench: curl is missing" >&2; exit 1; }

. "$(dirname "$0")/bench-serve.sh"
bench_serve_prepare() {
    now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
    printf '%s INFO started\n%s WARN slow\n%s ERROR failed\n' "$now" "$now" "$now" > "$TMP/logs/app.log"
}
bench_serve "$BIN" bench

api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }
count() { api "http://127.0.0.1:$PORT/api/runs/?status=$1&page_size=1" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }

n=0
while [ $n -lt 50 ]; do
    api -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d '{"tasks":["log_triage"]}' "http://127.0.0.1:$PORT/api/runs/launch/"
    n=$((n + 1))
done
i=0
while [ "$(count queued)" != 0 ] || [ "$(count running)" != 0 ]; do
    i=$((i + 1))
    [ $i -le 600 ] || { echo "bench: runs did not finish in 120 s" >&2; exit 1; }
    sleep 0.2
done

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }
sleep 3
RSS_BEFORE=$(rss_mb)

wrk -t2 -c50 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/runs/?page_size=50" > "$TMP/wrk.txt"
sleep 3
RSS_AFTER=$(rss_mb)

# wrk latencies come as 812.00us / 1.23ms / 1.02s: normalise to ms.
to_ms() { awk -v v="$1" 'BEGIN {
    n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$TMP/wrk.txt")
P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.txt")")
P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.txt")")
ERRS=$(grep -E 'Non-2xx|Socket errors' "$TMP/wrk.txt" || true)

verdict() { if awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; then echo ok; else echo MISSED; fi; }
echo "bench: GET /api/runs/?page_size=50, 50 runs stored, wrk -t2 -c50 -d$DURATION (SQLite)"
echo "requests/s:      $RPS   (goal >= 7000: $(verdict "$RPS" '>=' 7000))"
echo "latency p50:     $P50 ms"
echo "latency p99:     $P99 ms   (goal < 5 ms: $(verdict "$P99" '<' 5))"
echo "idle RSS before: $RSS_BEFORE MB   (goal < 15 MB: $(verdict "$RSS_BEFORE" '<' 15))"
echo "idle RSS after:  $RSS_AFTER MB   (goal < 15 MB: $(verdict "$RSS_AFTER" '<' 15))"
[ -z "$ERRS" ] || echo "wrk: $ERRS"

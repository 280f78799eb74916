# SPDX-License-Identifier: MIT
# bench-serve.sh -- sourced by the benchmark scripts: `bench_serve BIN NAME [VAR=VALUE...]`
# makes a temporary folder (removed on exit, with the server), picks a free loopback port,
# points a fresh SQLite database, logs and uploads folder there (process runtime, warn
# logs, the extra VAR=VALUE settings), migrates, creates a token ($TOKEN) and starts
# `BIN serve` ($PID), waiting until /api/health/ answers. Sets TMP, PORT, TOKEN, PID.
# Before calling it, a script may write log files into "$TMP/logs" only through the
# bench_serve_prepare hook (a shell function it defines, run before the server starts).
TMP=$(mktemp -d)
PID=
bench_serve_cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap bench_serve_cleanup EXIT INT TERM

bench_serve() {
    bs_bin=$1 bs_name=$2
    shift 2
    PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/logs" "$TMP/uploads" "$TMP/data"
    if command -v bench_serve_prepare >/dev/null 2>&1; then
        bench_serve_prepare
    fi
    unset POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD
    export CYBER_BRAIN_DB="$TMP/data/cyberbrain.db" CYBER_BRAIN_LOGS="$TMP/logs" \
        CYBER_BRAIN_UPLOADS="$TMP/uploads" CYBER_BRAIN_RUNTIME=process \
        CYBER_BRAIN_BIND=127.0.0.1 CYBER_BRAIN_PORT="$PORT" CYBER_BRAIN_LOG_LEVEL=warn
    for bs_kv in "$@"; do
        export "${bs_kv?}"
    done
    "$bs_bin" migrate >/dev/null
    TOKEN=$("$bs_bin" token create --name "$bs_name")
    "$bs_bin" serve 2>"$TMP/serve.log" &
    PID=$!
    bs_i=0
    until curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/health/"; do
        bs_i=$((bs_i + 1))
        if [ $bs_i -gt 200 ] || ! kill -0 "$PID" 2>/dev/null; then
            echo "$bs_name: server did not start" >&2
            cat "$TMP/serve.log" >&2
            exit 1
        fi
        sleep 0.1
    done
}

#!/bin/sh
# run-dev.sh -- what `make run` does after building: migrate the database, create and
# print an admin token, and serve (0.0.0.0:9595 unless CYBER_BRAIN_BIND/PORT say otherwise).
set -eu
cd "$(dirname "$0")/.."
if [ -f .env ]; then
    # A local .env (see .env.example) is read the way docker compose would.
    set -a
    . ./.env
    set +a
fi
: "${CYBER_BRAIN_LOGS:=./logs}"
: "${CYBER_BRAIN_UPLOADS:=./uploads}"
export CYBER_BRAIN_LOGS CYBER_BRAIN_UPLOADS
mkdir -p data "$CYBER_BRAIN_LOGS" "$CYBER_BRAIN_UPLOADS"
bin=build/cyberbrain
"$bin" migrate
token=$("$bin" token create --name "admin-$(date -u +%Y%m%dT%H%M%SZ)")
port=${CYBER_BRAIN_PORT:-9595}
cat <<MSG

  Cyberbrain Orchestrator
  admin token (shown once; keep it):  $token
  try:  curl -s -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/runs/
        curl -s -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \\
             -d '{"tasks":["log_triage"]}' http://127.0.0.1:$port/api/runs/launch/

MSG
exec "$bin" serve

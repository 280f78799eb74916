#!/bin/sh
# SPDX-License-Identifier: MIT
# run-integration.sh -- the black-box suite (pytest, Debian's python3) against a built binary.
# CYBERBRAIN_BIN: the binary (default build/cyberbrain). CB_ITEST_PG: libpq conninfo of a
# scratch PostgreSQL database (defaulted to the local socket's cb_itest when it answers).
set -eu
cd "$(dirname "$0")/.."
: "${CYBERBRAIN_BIN:=$PWD/build/cyberbrain}"
export CYBERBRAIN_BIN
if [ -z "${CB_ITEST_PG:-}" ]; then
    local_pg="host=/var/run/postgresql dbname=cb_itest user=root"
    if command -v psql >/dev/null 2>&1 &&
        psql -Atqc 'select 1' "$local_pg" >/dev/null 2>&1; then
        CB_ITEST_PG=$local_pg
        export CB_ITEST_PG
    fi
fi
if [ -n "${CB_ITEST_PG:-}" ]; then
    echo "integration: SQLite and PostgreSQL ($CB_ITEST_PG)"
else
    echo "integration: SQLite only (CB_ITEST_PG unset, no local cb_itest database)"
fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -o console_output_style=classic \
    -r fEs tests/integration "$@"

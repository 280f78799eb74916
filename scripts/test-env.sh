# test-env.sh -- sourced by the test runners: services and database defaults.
#
# As root, starts PostgreSQL and Docker (scripts/start-services). When CB_TEST_PG or
# CB_ITEST_PG is unset and PostgreSQL answers on the local socket, defaults them.
# With CI=true the PostgreSQL suites are mandatory: fail here when it is unreachable.
cb_root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ] && [ -z "${CB_NO_START_SERVICES:-}" ] && [ -z "${CB_SERVICES_STARTED:-}" ]; then
    sh "$cb_root/scripts/start-services" >&2 || echo "test-env: some services did not start" >&2
    CB_SERVICES_STARTED=1
    export CB_SERVICES_STARTED
fi
cb_pg_ok() {
    command -v psql >/dev/null 2>&1 && psql "$1" -X -Atc 'select 1' >/dev/null 2>&1
}
if [ -z "${CB_TEST_PG:-}" ] && cb_pg_ok "host=/var/run/postgresql dbname=cb_test user=$(id -un)"; then
    CB_TEST_PG="host=/var/run/postgresql dbname=cb_test user=$(id -un)"
    export CB_TEST_PG
fi
if [ -z "${CB_ITEST_PG:-}" ] && cb_pg_ok "host=/var/run/postgresql dbname=cb_itest user=$(id -un)"; then
    CB_ITEST_PG="host=/var/run/postgresql dbname=cb_itest user=$(id -un)"
    export CB_ITEST_PG
fi
if [ "${CI:-}" = true ]; then
    for v in CB_TEST_PG CB_ITEST_PG; do
        eval "val=\${$v:-}"
        if [ -z "$val" ] || ! cb_pg_ok "$val"; then
            echo "test-env: CI=true and PostgreSQL is unreachable via $v='$val'" >&2
            exit 1
        fi
    done
fi

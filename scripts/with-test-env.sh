#!/bin/sh
# with-test-env.sh -- run a command with the test environment: with-test-env.sh CMD [ARG...]
# (services started when root, CB_TEST_PG / CB_ITEST_PG defaulted; see test-env.sh).
set -u
. "$(dirname "$0")/test-env.sh"
exec "$@"

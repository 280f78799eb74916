#!/bin/sh
# run-unit.sh -- run Check test binaries and sum their results.
#
#   sh scripts/run-unit.sh build/<flavour>/tests/test_a build/<flavour>/tests/test_b ...
#
# Prints each binary's Check summary and a final line "unit: N passed, N failed".
# Exports CB_WORKER_BIN (build/<flavour>/cyberbrain) and, when run as root with
# PostgreSQL answering, default CB_TEST_PG / CB_ITEST_PG. Exits non-zero on any failure.
set -u

if [ $# -eq 0 ]; then
    echo "unit: 0 passed, 0 failed (no test binaries)"
    exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/test-env.sh"

flavour_dir=$(dirname "$(dirname "$1")")
CB_WORKER_BIN=$(cd "$flavour_dir" && pwd)/cyberbrain
export CB_WORKER_BIN

passed=0
failed=0
bad_bins=""
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM

for bin in "$@"; do
    name=$(basename "$bin")
    "$bin" >"$tmp" 2>&1
    brc=$?
    # Check prints "NN%: Checks: X, Failures: Y, Errors: Z" per suite runner.
    sums=$(sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$tmp")
    checks=0 fails=0
    if [ -n "$sums" ]; then
        set -- $sums
        while [ $# -ge 3 ]; do
            checks=$((checks + $1))
            fails=$((fails + $2 + $3))
            shift 3
        done
    fi
    if [ $brc -ne 0 ] || [ -z "$sums" ] || [ $fails -ne 0 ]; then
        cat "$tmp"
        if [ $fails -eq 0 ]; then
            fails=1 # crashed or exited non-zero without a Check failure line
            checks=$((checks + 1))
        fi
        bad_bins="$bad_bins $name"
        echo "$name: FAILED (exit $brc)"
    else
        grep -E 'Checks: [0-9]+' "$tmp" | sed "s/^/$name: /"
    fi
    passed=$((passed + checks - fails))
    failed=$((failed + fails))
done

echo "unit: $passed passed, $failed failed"
if [ $failed -ne 0 ]; then
    echo "unit: failing binaries:$bad_bins"
    exit 1
fi
exit 0

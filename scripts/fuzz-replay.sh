#!/bin/sh
# fuzz-replay.sh -- replay the checked-in fuzz corpus and regressions: fuzz-replay.sh BIN
#
# Prints the replay binary's per-target counts and "fuzz-replay: N passed, N failed".
set -u
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=$("$bin" "$root/fuzz" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v 'passed, .* failed$'
if [ $rc -eq 0 ]; then
    printf '%s\n' "$out" | tail -n 1
    exit 0
fi
echo "fuzz-replay: FAILED (exit $rc)"
echo "fuzz-replay: 0 passed, 1 failed"
exit 1

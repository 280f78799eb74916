#!/bin/sh
# fuzz.sh -- run libFuzzer targets: fuzz.sh [TARGET] [SECONDS]
#
# Builds the library with clang (FLAVOUR=fuzz: -fsanitize=fuzzer-no-link,address,undefined)
# and each fuzz/fuzz_<target>.c with -fsanitize=fuzzer,address,undefined, then runs it for
# SECONDS (default 60) on fuzz/corpus/<target>/ (seeds, read-only) plus a working corpus
# in build/fuzz/corpus/<target>/, with fuzz/dict/<target>.dict when present. Crashers land
# in fuzz/regression/<target>/; commit them once fixed so `make fuzz-replay` keeps them.
# TARGET empty = every target. Exits non-zero when any target found a crash.
set -eu
target=${1:-}
secs=${2:-60}
cd "$(dirname "$0")/.."
cc=${FUZZ_CC:-clang}
out=build/fuzz

make --no-print-directory -j2 FLAVOUR=fuzz CC="$cc" "$out/libcyberbrain.a" >/dev/null
pkgs="libmicrohttpd jansson libcurl sqlite3 libpq openssl zlib libcmark-gfm"
cflags="-std=c11 -D_GNU_SOURCE -Isrc -Ifuzz -O1 -g -fno-omit-frame-pointer
 -fsanitize=fuzzer,address,undefined $(pkg-config --cflags $pkgs)"
libs="$out/libcyberbrain.a $(pkg-config --libs $pkgs) -lpthread -lm"

if [ -n "$target" ]; then
    targets=$target
else
    targets=$(for f in fuzz/fuzz_*.c; do t=$(basename "$f" .c); echo "${t#fuzz_}"; done)
fi

rc=0
for t in $targets; do
    src=fuzz/fuzz_$t.c
    if [ ! -f "$src" ]; then
        echo "fuzz: no target $t ($src)" >&2
        exit 2
    fi
    # shellcheck disable=SC2086
    $cc $cflags -o "$out/fuzz_$t" "$src" $libs
    mkdir -p "$out/corpus/$t" "fuzz/corpus/$t" "fuzz/regression/$t"
    dict=""
    [ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
    echo "fuzz: $t for ${secs}s"
    # shellcheck disable=SC2086
    if ! "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="fuzz/regression/$t/" $dict "$out/corpus/$t" "fuzz/corpus/$t" \
        >"$out/fuzz_$t.log" 2>&1; then
        tail -n 40 "$out/fuzz_$t.log"
        echo "fuzz: $t FAILED; crasher in fuzz/regression/$t/"
        rc=1
    else
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "$out/fuzz_$t.log" |
            sed "s/^/fuzz: $t: /"
        echo "fuzz: $t ok"
    fi
done
exit $rc

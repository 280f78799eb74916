#!/bin/sh
# top-length.sh -- warn about functions over 60 lines and files over 1000 lines in src/.
# Heuristic: a function starts at a line that is "{" alone in column 0 and ends at the
# next "}" in column 0 (the house clang-format puts function braces there). Always exits 0.
cd "$(dirname "$0")/.."
find src -name '*.[ch]' | sort | while read -r f; do
    n=$(wc -l <"$f")
    [ "$n" -gt 1000 ] && echo "top-length: $f: $n lines (limit 1000)"
    awk -v f="$f" '
        /^[A-Za-z_].*\(/ { sig = $0; sigline = NR }
        /^\{/ { start = NR; name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name) }
        /^\}/ && start { len = NR - start - 1;
            if (len > 60) printf "top-length: %s:%d: %s() is %d lines (limit 60)\n", f, sigline, name, len;
            start = 0 }
    ' "$f"
done
exit 0

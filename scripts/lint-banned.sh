#!/bin/sh
# lint-banned.sh -- reject banned C library calls in src/ (STYLE.md: use core/xalloc.h,
# core/buf.h, snprintf, strtol). src/core/xalloc.c is the one place raw allocation lives.
# Prints file:line: text for each hit and exits 1 when there is any.
set -u
cd "$(dirname "$0")/.."
banned='malloc|calloc|realloc|free|sprintf|strcpy|strcat|strtok|atoi|gets'
# A call is the bare name followed by "(", not part of a longer identifier (xmalloc,
# json_free, vsnprintf) and not a member (->free, .free).
pattern="(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\\("
hits=$(find src -name '*.[ch]' ! -path src/core/xalloc.c -print | sort |
    xargs -r grep -nE "$pattern" /dev/null |
    # drop comment-only lines: /* ... */ and * continuation lines
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)' || true)
if [ -n "$hits" ]; then
    printf '%s\n' "$hits"
    echo "lint-banned: banned calls found (use xmalloc/xcalloc/xrealloc/xfree, buf_printf/snprintf, strtol)" >&2
    exit 1
fi
echo "lint-banned: ok"

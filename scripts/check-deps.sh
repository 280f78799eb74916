#!/bin/sh
# check-deps.sh -- enforce the module layering of STYLE.md B1 on #include lines.
#
#   layer 0: core
#   layer 1: triage redact svcmap markdown (the pure engines: bytes in, structures out)
#   layer 2: http store docker worker llm (the worker runs the engines inside its container;
#                                      the store redacts what it keeps)
#   layer 3: explain                 (one explanation of a run: check, prompt, stream, count;
#                                      shared by api and mcp, which may not include each other)
#   layer 4: api mcp tasks
#   layer 5: app
#   layer 6: src/main.c
# A file in src/<module>/ may include "<other>/..." only when <other> is its own module
# or sits in a lower layer. Prints each violation and exits 1 when there is any.
set -u
cd "$(dirname "$0")/.."

layer() {
    case $1 in
    core) echo 0 ;;
    triage | redact | svcmap | markdown) echo 1 ;;
    http | store | docker | worker | llm) echo 2 ;;
    explain) echo 3 ;;
    api | mcp | tasks) echo 4 ;;
    app) echo 5 ;;
    main) echo 6 ;;
    *) echo "" ;;
    esac
}

bad=0
for f in $(find src -name '*.[ch]' | sort); do
    rel=${f#src/}
    case $rel in
    */*) mod=${rel%%/*} ;;
    *) mod=main ;;
    esac
    my=$(layer "$mod")
    if [ -z "$my" ]; then
        echo "$f: module '$mod' has no layer in scripts/check-deps.sh"
        bad=1
        continue
    fi
    for dep in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_0-9]*\)\/.*/\1/p' "$f" | sort -u); do
        [ "$dep" = "$mod" ] && continue
        dl=$(layer "$dep")
        if [ -z "$dl" ]; then
            echo "$f: includes unknown module '$dep'"
            bad=1
        elif [ "$dl" -ge "$my" ]; then
            line=$(grep -n "#[[:space:]]*include[[:space:]]*\"$dep/" "$f" | head -n 1 | cut -d: -f1)
            echo "$f:$line: $mod (layer $my) must not include $dep (layer $dl)"
            bad=1
        fi
    done
done
if [ $bad -ne 0 ]; then
    echo "check-deps: layering violations (STYLE.md B1)" >&2
    exit 1
fi
echo "check-deps: ok"

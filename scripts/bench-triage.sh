#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-triage.sh [BIN] -- grouping (GA) and parsing (PA) accuracy of `cyberbrain triage` on
# the 8 Loghub-2k systems in ../shared/data/loghub-2k, one set of parameters for all; only
# the header format differs per system (from SOURCES.md). The raw <S>_2k.log files are not
# shipped, so each raw line is rebuilt from the structured CSV by joining its header fields
# per the format (an optional group is kept when its fields are non-empty), then parsed
# back by the binary with --log-format. Scores: ../shared/tools/loghub_score.py, original
# ground truth (headline) and the corrected one (Khan et al. 2022).
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/cyberbrain}
DATA=${LOGHUB_DIR:-../shared/data/loghub-2k}
SCORE=${LOGHUB_SCORE:-../shared/tools/loghub_score.py}
PY=/usr/bin/python3
if [ ! -d "$DATA" ] || [ ! -f "$SCORE" ]; then
    echo "bench-triage: $DATA or $SCORE is missing; nothing to measure"
    exit 0
fi
if [ -n "${BENCH_TMP:-}" ]; then
    TMP=$BENCH_TMP # kept for a look at the predictions
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT INT TERM
fi

fmt_of() {
    case $1 in
    Apache) echo '\[<Time>\] \[<Level>\] <Content>' ;;
    BGL) echo '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>' ;;
    Hadoop) echo '<Date> <Time> <Level> \[<Process>\] <Component>: <Content>' ;;
    HDFS) echo '<Date> <Time> <Pid> <Level> <Component>: <Content>' ;;
    HealthApp) echo '<Time>\|<Component>\|<Pid>\|<Content>' ;;
    Linux) echo '<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>' ;;
    Mac) echo '<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>' ;;
    OpenSSH) echo '<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>' ;;
    esac
}

cat >"$TMP/rebuild.py" <<'PYEOF'
import csv, re, sys
fmt, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
# items: ('lit', text) | ('field', name) | ('group', items)
def parse(s, i=0):
    items = []
    while i < len(s):
        c = s[i]
        if c == '<':
            j = s.index('>', i)
            items.append(('field', s[i + 1:j])); i = j + 1
        elif c == '\\':
            items.append(('lit', s[i + 1])); i += 2
        elif c == '(':
            sub, i = parse(s, i + 1)
            items.append(('group', sub))
        elif c == ')':
            return items, i + 2
        else:
            items.append(('lit', c)); i += 1
    return items, i
def fields(items):
    for k, v in items:
        if k == 'field': yield v
        elif k == 'group': yield from fields(v)
def render(items, row):
    out = []
    for k, v in items:
        if k == 'lit': out.append(v)
        elif k == 'field': out.append(row[v])
        elif all(row[f] != '' for f in fields(v)): out.append(render(v, row))
    return ''.join(out)
items, _ = parse(fmt)
with open(src, newline='', encoding='utf-8') as f, open(dst, 'w', newline='', encoding='utf-8') as o:
    for row in csv.DictReader(f):
        o.write(render(items, row) + '\r\n')
PYEOF

mkdir -p "$TMP/pred"
for S in Apache BGL Hadoop HDFS HealthApp Linux Mac OpenSSH; do
    gt="$DATA/$S/${S}_2k.log_structured.csv"
    [ -f "$gt" ] || { echo "bench-triage: $gt missing, skipped"; continue; }
    fmt=$(fmt_of "$S")
    $PY "$TMP/rebuild.py" "$fmt" "$gt" "$TMP/$S.log"
    "$BIN" triage --format json --log-format "$fmt" --assignments "$TMP/pred/$S.csv" \
        "$TMP/$S.log" >"$TMP/$S.json"
done
for v in orig corrected; do
    echo "== ground truth: $v"
    $PY "$SCORE" --gt-dir "$DATA" --pred-dir "$TMP/pred" --variant "$v" --json "$TMP/score-$v.json" >/dev/null
    $PY - "$TMP/score-$v.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d['files']
ga = pa = 0.0
print('%-10s %6s %6s' % ('system', 'GA', 'PA'))
for r in rows:
    print('%-10s %6.3f %6.3f' % (r['name'], r['GA'], r.get('PA') or 0.0))
    ga += r['GA']; pa += r.get('PA') or 0.0
print('%-10s %6.3f %6.3f' % ('average', ga / len(rows), pa / len(rows)))
PYEOF
done

#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-triage-speed.sh BIN -- `cyberbrain triage` end to end (read, split the header, mine,
# print JSON) over generated 1-million-line HDFS-like and BGL-like files, on one core.
# Prints lines/s (best of 3; the median too), peak RSS, and the time of a quarter of the
# file (time linear in input: the 1 M time is about 4x the 250 k time).
# Goal (issue #4): >= 2,000,000 lines/s with the header format given (--log-format).
set -eu
BIN=${1:?usage: bench-triage-speed.sh BIN}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# Seeded generators: four message shapes each, numbers, ids and addresses varying per line.
"$PY" - "$TMP" <<'PYEOF'
import random, sys
d = sys.argv[1]
def hdfs(r, i):
    k = r.randrange(4)
    if k == 0:
        m = "PacketResponder %d for block blk_%d terminating" % (r.randrange(3), r.getrandbits(62))
    elif k == 1:
        m = "Receiving block blk_%d src: /10.250.%d.%d:%d dest: /10.250.%d.%d:50010" % (
            r.getrandbits(62), r.randrange(255), r.randrange(255), 40000 + r.randrange(9999),
            r.randrange(255), r.randrange(255))
    elif k == 2:
        m = ("BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.%d.%d:50010 is added "
             "to blk_%d size %d") % (r.randrange(255), r.randrange(255), r.getrandbits(62),
                                     r.randrange(67108864))
    else:
        m = "Verification succeeded for blk_%d" % r.getrandbits(62)
    return "081109 %06d %d INFO dfs.DataNode$PacketResponder: %s\n" % (
        203615 + i % 1000, 100 + r.randrange(900), m)
def bgl(r, i):
    k = r.randrange(4)
    if k == 0:
        m = "instruction cache parity error corrected"
    elif k == 1:
        m = "generating core.%d" % r.randrange(100000)
    elif k == 2:
        m = "%d double-hummer alignment exceptions" % r.randrange(1000)
    else:
        m = ("ciod: failed to read message prefix on control stream (CioStream socket to "
             "172.16.%d.%d:%d") % (r.randrange(255), r.randrange(255), r.randrange(65535))
    node = "R%02d-M%d-N%d-C:J%02d-U%02d" % (r.randrange(64), r.randrange(2), r.randrange(16),
                                           r.randrange(18), r.randrange(12))
    return "- %d 2005.06.03 %s 2005-06-03-15.42.50.%06d %s RAS KERNEL INFO %s\n" % (
        1117838570 + i // 100, node, r.randrange(999999), node, m)
for name, gen in (("hdfs", hdfs), ("bgl", bgl)):
    r = random.Random(name)
    lines = [gen(r, i) for i in range(1000000)]
    open("%s/%s-1m.log" % (d, name), "w").writelines(lines)
    open("%s/%s-250k.log" % (d, name), "w").writelines(lines[:250000])
PYEOF

HDFS_FMT='<Date> <Time> <Pid> <Level> <Component>: <Content>'
BGL_FMT='<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>'

# best, median wall seconds and peak RSS (KB) of 3 runs: time3 FILE [FORMAT]
time3() {
    for _ in 1 2 3; do
        if [ -n "${2:-}" ]; then
            /usr/bin/time -f '%e %M' -o "$TMP/t" taskset -c 0 "$BIN" triage --format json \
                --log-format "$2" "$1" >/dev/null
        else
            /usr/bin/time -f '%e %M' -o "$TMP/t" taskset -c 0 "$BIN" triage --format json \
                "$1" >/dev/null
        fi
        tail -n 1 "$TMP/t"
    done | sort -n | awk '{ s[NR] = $1; if ($2 > m) m = $2 } END { print s[1], s[2], m }'
}

verdict() { if awk -v a="$1" 'BEGIN { exit !(a >= 2000000) }'; then echo ok; else echo MISSED; fi; }
echo "bench-triage-speed: cyberbrain triage --format json, one core (taskset -c 0), best of 3"
printf '%-6s %-12s %12s %12s %10s %14s\n' data header 'lines/s' 'median l/s' 'RSS MB' '250k s / 1M s'
for sys in hdfs bgl; do
    if [ "$sys" = hdfs ]; then fmt=$HDFS_FMT; else fmt=$BGL_FMT; fi
    for mode in format auto; do
        if [ "$mode" = format ]; then f=$fmt; else f=; fi
        set -- $(time3 "$TMP/$sys-1m.log" "$f")
        best=$1 med=$2 rss=$3
        set -- $(time3 "$TMP/$sys-250k.log" "$f")
        q=$1
        lps=$(awk -v t="$best" 'BEGIN { printf "%.0f", 1000000 / (t > 0 ? t : 0.01) }')
        mlps=$(awk -v t="$med" 'BEGIN { printf "%.0f", 1000000 / (t > 0 ? t : 0.01) }')
        mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
        v=
        [ "$mode" = format ] && v="(goal >= 2M: $(verdict "$lps"))"
        printf '%-6s %-12s %12s %12s %10s %6s / %-6s %s\n' "$sys" "$mode" "$lps" "$mlps" "$mb" \
            "$q" "$best" "$v"
    done
done

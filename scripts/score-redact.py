#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""score-redact.py CORPUS LABELS PREDICTIONS [--json OUT] [--misses OUT] [--max-per-type N]

Scores redaction findings against the labelled corpus (issue #5). LABELS and PREDICTIONS
are JSON lines, one {"line": N, "start": BYTE, "end": BYTE, "type": T} per span (line from
1, byte offsets within the line, end exclusive): the format of `cyberbrain redact --spans`.

Per type: TP/FP/FN, precision, recall and F2 (beta = 2: recall weighs 4x) on exact spans
(same line, start, end and type), then a lenient score where a span counts when it overlaps
one of the same type (lenient precision: predictions that overlap a label; lenient recall:
labels that a prediction overlaps); the last row is the micro average over all types. The
goal is exact F2 >= 0.97 for every type: each row says met or MISSED.
A report, not a test: exit 0 whatever the scores; 2 on unreadable input.
"""
import argparse
import json
import sys

TYPES = ("EMAIL", "IP", "MAC", "PHONE", "CARD", "IBAN", "SSN", "SECRET", "URL_CREDENTIALS",
         "PATH_USER", "CONTAINER_ID")
GOAL_F2 = 0.97
MAX_LINE_BYTES = 1 << 20


class InputError(Exception):
    pass


def read_corpus(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.endswith(b"\n"):
        data = data[:-1]
    return data.split(b"\n") if data else []


def read_spans(path, lines, what):
    """Parses a JSON-lines span file; returns (spans, problems) where problems counts spans
    that do not fit the corpus (they are kept, so they score as misses)."""
    spans, problems = [], []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if len(raw) > MAX_LINE_BYTES:
                raise InputError("%s:%d: line longer than %d bytes" % (what, n, MAX_LINE_BYTES))
            raw = raw.strip()
            if not raw:
                continue
            try:
                o = json.loads(raw)
            except ValueError as e:
                raise InputError("%s:%d: not JSON (%s)" % (what, n, e))
            if not isinstance(o, dict):
                raise InputError("%s:%d: not a JSON object" % (what, n))
            try:
                ln, s, e, t = o["line"], o["start"], o["end"], o["type"]
            except KeyError as k:
                raise InputError("%s:%d: no %s field" % (what, n, k))
            if not all(type(v) is int for v in (ln, s, e)) or not isinstance(t, str):
                raise InputError("%s:%d: line/start/end must be integers, type a string" % (what, n))
            span = (ln, s, e, t)
            if not (1 <= ln <= len(lines)) or not (0 <= s < e <= len(lines[ln - 1])):
                problems.append("%s:%d: span %r outside the corpus" % (what, n, span))
            spans.append(span)
    return spans, problems


def ratio(a, b):
    return a / b if b else None


def f_beta(p, r, beta=2.0):
    if r is None:
        return None
    if r == 0:
        return 0.0  # also when nothing was predicted (p undefined)
    if p is None:
        return None
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r)


def overlaps(a, b):
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def by_line(spans):
    out = {}
    for sp in spans:
        out.setdefault(sp[0], []).append(sp)
    return out


def score_type(labels, preds):
    """Exact and lenient counts for one type (labels, preds: sets of spans)."""
    tp = len(labels & preds)
    lab_lines, pred_lines = by_line(labels), by_line(preds)
    hit_labels = sum(1 for lab in labels if any(overlaps(lab, p) for p in pred_lines.get(lab[0], ())))
    hit_preds = sum(1 for p in preds if any(overlaps(p, lab) for lab in lab_lines.get(p[0], ())))
    r = {"labels": len(labels), "predicted": len(preds), "tp": tp, "fp": len(preds) - tp,
         "fn": len(labels) - tp}
    r["precision"] = ratio(tp, len(preds))
    r["recall"] = ratio(tp, len(labels))
    r["f2"] = f_beta(r["precision"], r["recall"])
    r["lenient_precision"] = ratio(hit_preds, len(preds))
    r["lenient_recall"] = ratio(hit_labels, len(labels))
    r["lenient_f2"] = f_beta(r["lenient_precision"], r["lenient_recall"])
    r["lenient_tp"], r["lenient_fp"], r["lenient_fn"] = hit_labels, len(preds) - hit_preds, len(labels) - hit_labels
    if r["labels"] == 0:
        r["goal"] = "n/a"
    else:
        r["goal"] = "met" if (r["f2"] or 0.0) >= GOAL_F2 else "MISSED"
    return r


def score(labels, preds):
    """Returns {"types": {T: row}, "all": row} for spans given as (line, start, end, type)."""
    lab, pred = set(labels), set(preds)
    types = list(TYPES) + sorted({sp[3] for sp in lab | pred} - set(TYPES))
    rows = {}
    for t in types:
        rows[t] = score_type({sp for sp in lab if sp[3] == t}, {sp for sp in pred if sp[3] == t})
    # Micro average: one pool; lenient overlap still needs the same type.
    allr = {"labels": 0, "predicted": 0, "tp": 0, "fp": 0, "fn": 0, "lenient_tp": 0, "lenient_fp": 0, "lenient_fn": 0}
    for r in rows.values():
        for k in allr:
            allr[k] += r[k]
    allr["precision"] = ratio(allr["tp"], allr["predicted"])
    allr["recall"] = ratio(allr["tp"], allr["labels"])
    allr["f2"] = f_beta(allr["precision"], allr["recall"])
    allr["lenient_precision"] = ratio(allr["predicted"] - allr["lenient_fp"], allr["predicted"])
    allr["lenient_recall"] = ratio(allr["lenient_tp"], allr["labels"])
    allr["lenient_f2"] = f_beta(allr["lenient_precision"], allr["lenient_recall"])
    allr["goal"] = "met" if all(r["goal"] != "MISSED" for r in rows.values()) else "MISSED"
    return {"types": rows, "all": allr}


def fmt(v):
    return "    -" if v is None else "%.3f" % v


def print_table(res, out=sys.stdout):
    hdr = "%-16s %6s %6s %6s %6s %6s  %6s %6s %6s | %6s %6s %6s | %s" % (
        "type", "labels", "pred", "TP", "FP", "FN", "prec", "recall", "F2", "l.prec", "l.rec", "l.F2",
        "goal F2>=%.2f" % GOAL_F2)
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    items = list(res["types"].items()) + [("all (micro)", res["all"])]
    for t, r in items:
        if t == "all (micro)":
            print("-" * len(hdr), file=out)
        print("%-16s %6d %6d %6d %6d %6d  %6s %6s %6s | %6s %6s %6s | %s" % (
            t, r["labels"], r["predicted"], r["tp"], r["fp"], r["fn"], fmt(r["precision"]), fmt(r["recall"]),
            fmt(r["f2"]), fmt(r["lenient_precision"]), fmt(r["lenient_recall"]), fmt(r["lenient_f2"]), r["goal"]),
            file=out)


def text_of(lines, sp):
    ln, s, e, _ = sp
    if not (1 <= ln <= len(lines)):
        return "?"
    return lines[ln - 1][s:e].decode("utf-8", "replace")


def write_misses(path, lines, labels, preds, max_per_type):
    """Writes, per type, the labels not predicted exactly (with what was predicted over them)
    and the predictions that match no label, each with the line's text."""
    lab, pred = set(labels), set(preds)
    pred_lines = by_line(pred)
    lab_lines = by_line(lab)
    with open(path, "w", encoding="utf-8") as f:
        for t in sorted({sp[3] for sp in lab | pred}, key=lambda x: (x not in TYPES, x)):
            fn = sorted(sp for sp in lab - pred if sp[3] == t)
            fp = sorted(sp for sp in pred - lab if sp[3] == t)
            if not fn and not fp:
                continue
            f.write("== %s: %d missed, %d extra\n" % (t, len(fn), len(fp)))
            for sp in fn[:max_per_type]:
                got = ["%s %d-%d %r" % (p[3], p[1], p[2], text_of(lines, p))
                       for p in pred_lines.get(sp[0], ()) if overlaps(sp, p)]
                f.write("missed line %d %d-%d %r; got: %s\n    %s\n" % (
                    sp[0], sp[1], sp[2], text_of(lines, sp), "; ".join(got) or "nothing", line_text(lines, sp[0])))
            for sp in fp[:max_per_type]:
                want = ["%s %d-%d %r" % (lab_[3], lab_[1], lab_[2], text_of(lines, lab_))
                        for lab_ in lab_lines.get(sp[0], ()) if overlaps(sp, lab_)]
                f.write("extra line %d %d-%d %r; labelled there: %s\n    %s\n" % (
                    sp[0], sp[1], sp[2], text_of(lines, sp), "; ".join(want) or "nothing", line_text(lines, sp[0])))


def line_text(lines, ln):
    if not (1 <= ln <= len(lines)):
        return "?"
    t = lines[ln - 1].decode("utf-8", "replace")
    return t if len(t) <= 300 else t[:297] + "..."


def main(argv=None):
    ap = argparse.ArgumentParser(description="Score redaction spans against the labelled corpus.")
    ap.add_argument("corpus")
    ap.add_argument("labels")
    ap.add_argument("predictions")
    ap.add_argument("--json", help="write the scores as JSON here")
    ap.add_argument("--misses", help="write the missed and extra spans here, per type")
    ap.add_argument("--max-per-type", type=int, default=25, help="misses listed per type and kind (25)")
    a = ap.parse_args(argv)
    try:
        lines = read_corpus(a.corpus)
        labels, lab_problems = read_spans(a.labels, lines, "labels")
        preds, pred_problems = read_spans(a.predictions, lines, "predictions")
    except (OSError, InputError) as e:
        print("score-redact: %s" % e, file=sys.stderr)
        return 2
    if lab_problems:
        print("score-redact: %s (and %d more)" % (lab_problems[0], len(lab_problems) - 1), file=sys.stderr)
        return 2
    dups = len(preds) - len(set(preds))
    res = score(labels, preds)
    print("redaction quality: %d lines, %d labelled spans, %d predicted (%d duplicates ignored, %d outside the corpus)"
          % (len(lines), len(set(labels)), len(set(preds)), dups, len(pred_problems)))
    print_table(res)
    if pred_problems:
        print("first span outside the corpus: %s" % pred_problems[0])
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, sort_keys=True)
    if a.misses:
        write_misses(a.misses, lines, labels, preds, a.max_per_type)
    return 0


if __name__ == "__main__":
    sys.exit(main())

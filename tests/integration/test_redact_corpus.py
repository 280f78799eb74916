# SPDX-License-Identifier: MIT
# test_redact_corpus.py -- the labelled redaction corpus (tests/data/redact) is consistent and
# is what scripts/gen-redact-corpus.py writes; scripts/score-redact.py scores it honestly.
# The engine's own score is a benchmark (`make bench-redact`), not asserted here.
import collections
import importlib.util
import ipaddress
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "redact")
CORPUS = os.path.join(DATA, "corpus.log")
LABELS = os.path.join(DATA, "labels.jsonl")
GEN = os.path.join(ROOT, "scripts", "gen-redact-corpus.py")
SCORER = os.path.join(ROOT, "scripts", "score-redact.py")
TYPES = ("EMAIL", "IP", "MAC", "PHONE", "CARD", "IBAN", "SSN", "SECRET", "URL_CREDENTIALS",
         "PATH_USER", "CONTAINER_ID")


def load_scorer():
    spec = importlib.util.spec_from_file_location("score_redact", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus():
    with open(CORPUS, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    lines = data[:-1].split(b"\n")
    with open(LABELS, encoding="ascii") as f:
        labels = [json.loads(x) for x in f if x.strip()]
    return lines, labels


def text(lines, lab):
    return lines[lab["line"] - 1][lab["start"]:lab["end"]].decode("utf-8")


def luhn_ok(d):
    total = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def iin_ok(d):
    n = len(d)
    return ((d[0] == "4" and n in (13, 16, 19)) or (d[:2] in ("51", "52", "53", "54", "55") and n == 16)
            or (2221 <= int(d[:4]) <= 2720 and n == 16) or (d[:2] in ("34", "37") and n == 15))


def iban_ok(s):
    s = s.replace(" ", "")
    r = s[4:] + s[:4]
    return re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s) is not None and int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def test_sizes_and_counts(corpus):
    lines, labels = corpus
    assert len(lines) >= 2000
    assert len(labels) >= 1000
    counts = collections.Counter(lab["type"] for lab in labels)
    assert set(counts) == set(TYPES)
    for t in TYPES:
        assert counts[t] >= 60, (t, counts[t])
    # Traps: lines with no label at all are plentiful.
    labelled = {lab["line"] for lab in labels}
    assert len(lines) - len(labelled) >= 600


def test_spans_in_range_and_disjoint(corpus):
    lines, labels = corpus
    seen = collections.defaultdict(list)
    for lab in labels:
        assert set(lab) == {"line", "start", "end", "type"}
        assert all(type(lab[k]) is int for k in ("line", "start", "end"))
        assert 1 <= lab["line"] <= len(lines), lab
        assert 0 <= lab["start"] < lab["end"] <= len(lines[lab["line"] - 1]), lab
        t = text(lines, lab)  # raises on a span that cuts a UTF-8 sequence
        assert t == t.strip() and t, lab
        seen[lab["line"]].append((lab["start"], lab["end"]))
    for ln, spans in seen.items():
        spans.sort()
        for a, b in zip(spans, spans[1:]):
            assert a[1] <= b[0], (ln, a, b)


def test_labelled_values_are_what_their_type_says(corpus):
    lines, labels = corpus
    for lab in labels:
        t, v = lab["type"], text(lines, lab)
        if t == "CARD":
            d = re.sub(r"[ -]", "", v)
            assert d.isdigit() and luhn_ok(d) and iin_ok(d), v
        elif t == "IBAN":
            assert iban_ok(v), v
        elif t == "SSN":
            m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})", v)
            assert m and 1 <= int(m[1]) <= 899 and m[1] != "666" and m[2] != "00" and m[3] != "0000", v
        elif t == "IP":
            a = ipaddress.ip_address(v)
            assert not a.is_loopback and not a.is_unspecified, v
        elif t == "EMAIL":
            assert re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", v), v
        elif t == "MAC":
            assert re.fullmatch(r"([0-9a-fA-F]{2}([:-])){5}[0-9a-fA-F]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}", v), v
        elif t == "CONTAINER_ID":
            assert re.fullmatch(r"[0-9a-f]{12}|[0-9a-f]{64}", v), v
        elif t == "PATH_USER":
            line = lines[lab["line"] - 1][:lab["start"]].decode("utf-8")
            assert re.search(r"(/home/|/Users/|C:\\Users\\|C:\\\\Users\\\\)$", line), line
        elif t == "URL_CREDENTIALS":
            assert ":" in v, v
            raw = lines[lab["line"] - 1]
            assert raw[lab["start"] - 3:lab["start"]] == b"://" and raw[lab["end"]:lab["end"] + 1] == b"@", v
        elif t == "PHONE":
            assert len(re.sub(r"\D", "", v)) >= 10 and re.fullmatch(r"[+(\d][\d ().-]*\d", v), v


def test_no_unlabelled_pii_of_checkable_types(corpus):
    """Cards, IBANs, SSNs and e-mails that a checksum or a shape proves are all labelled:
    a trap may look like one of them, but never passes the check."""
    lines, labels = corpus
    by_line = collections.defaultdict(list)
    for lab in labels:
        by_line[lab["line"]].append(lab)

    def covered(ln, s, e, types):
        return any(lab["start"] <= s and e <= lab["end"] and lab["type"] in types for lab in by_line[ln])

    for i, raw in enumerate(lines, 1):
        line = raw.decode("utf-8")
        for m in re.finditer(r"(?<![\w-])\d{13,19}(?![\w-])", line):
            if luhn_ok(m[0]) and iin_ok(m[0]):
                s = len(line[:m.start()].encode())
                assert covered(i, s, s + len(m[0]), ("CARD",)), (i, m[0])
        for m in re.finditer(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])", line):
            if 1 <= int(m[1]) <= 899 and m[1] != "666":
                s = len(line[:m.start()].encode())
                assert covered(i, s, s + 11, ("SSN",)), (i, m[0])
        for m in re.finditer(r"(?<![A-Z0-9])[A-Z]{2}\d{2}[A-Z0-9]{10,30}(?![A-Z0-9])", line):
            if iban_ok(m[0]):
                s = len(line[:m.start()].encode())
                assert covered(i, s, s + len(m[0]), ("IBAN",)), (i, m[0])
        for m in re.finditer(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", line):
            s = len(line[:m.start()].encode())
            e = s + len(m[0].encode())
            ok = covered(i, s, e, ("EMAIL",)) or any(
                lab["type"] in ("URL_CREDENTIALS", "SECRET") and lab["start"] < e and s < lab["end"] for lab in by_line[i])
            assert ok, (i, m[0])


def test_generator_is_deterministic_and_committed(tmp_path):
    r = subprocess.run([sys.executable, GEN, str(tmp_path)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("corpus.log", "labels.jsonl"):
        with open(tmp_path / name, "rb") as a, open(os.path.join(DATA, name), "rb") as b:
            assert a.read() == b.read(), name + " differs from the generator's output"


def run_scorer(tmp_path, preds, *extra):
    p = tmp_path / "pred.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in preds))
    out = tmp_path / "score.json"
    r = subprocess.run([sys.executable, SCORER, CORPUS, LABELS, str(p), "--json", str(out), *extra],
                       capture_output=True, text=True, timeout=120)
    return r, (json.loads(out.read_text()) if out.exists() else None)


def test_scorer_perfect_on_labels(tmp_path, corpus):
    _, labels = corpus
    r, res = run_scorer(tmp_path, labels)
    assert r.returncode == 0, r.stderr
    for t in TYPES:
        row = res["types"][t]
        assert row["fp"] == row["fn"] == 0 and row["tp"] == row["labels"] > 0
        assert row["f2"] == row["lenient_f2"] == 1.0 and row["goal"] == "met"
    assert res["all"]["f2"] == 1.0 and res["all"]["tp"] == len(labels)
    assert "MISSED" not in r.stdout and "all (micro)" in r.stdout


def test_scorer_dropped_shifted_and_retyped(tmp_path, corpus):
    _, labels = corpus
    cards = [i for i, lab in enumerate(labels) if lab["type"] == "CARD"]
    ibans = [i for i, lab in enumerate(labels) if lab["type"] == "IBAN"]
    mails = [i for i, lab in enumerate(labels) if lab["type"] == "EMAIL"]
    preds = [dict(lab) for lab in labels]
    dropped = set(cards[:5])
    for i in ibans[:3]:
        preds[i]["end"] -= 1  # shifted: an exact miss, still an overlap
    preds[mails[0]]["type"] = "SECRET"  # wrong type: a FN for EMAIL, a FP for SECRET
    preds = [p for i, p in enumerate(preds) if i not in dropped]
    preds.append(dict(preds[0]))  # a duplicate is ignored
    preds.append({"line": 1, "start": 0, "end": 1, "type": "NOT_A_TYPE"})
    r, res = run_scorer(tmp_path, preds, "--misses", str(tmp_path / "misses.txt"))
    assert r.returncode == 0, r.stderr
    card, iban, mail, sec = (res["types"][t] for t in ("CARD", "IBAN", "EMAIL", "SECRET"))
    assert card["fn"] == 5 and card["fp"] == 0 and card["precision"] == 1.0 and card["recall"] < 1.0
    assert card["lenient_recall"] == card["recall"] and card["f2"] < 1.0
    assert iban["fn"] == 3 and iban["fp"] == 3 and iban["f2"] < 1.0 and iban["lenient_f2"] == 1.0
    assert mail["fn"] == 1 and mail["fp"] == 0 and sec["fp"] == 1 and sec["fn"] == 0
    assert res["types"]["NOT_A_TYPE"]["fp"] == 1 and res["types"]["NOT_A_TYPE"]["goal"] == "n/a"
    assert res["types"]["MAC"]["f2"] == 1.0
    assert res["all"]["f2"] < 1.0 and res["all"]["goal"] == "MISSED"
    assert res["all"]["fn"] == 5 + 3 + 1
    misses = (tmp_path / "misses.txt").read_text()
    assert "== CARD: 5 missed, 0 extra" in misses and "== IBAN: 3 missed, 3 extra" in misses
    assert "1 duplicates ignored" in r.stdout


def test_scorer_f2_and_empty_predictions(tmp_path):
    s = load_scorer()
    assert abs(s.f_beta(1.0, 0.5) - 5 * 0.5 / (4 + 0.5)) < 1e-12
    assert s.f_beta(0.0, 0.0) == 0.0 and s.f_beta(None, 1.0) is None
    assert s.f_beta(None, 0.0) == 0.0  # nothing predicted: recall 0 scores 0, not n/a
    r, res = run_scorer(tmp_path, [])
    assert r.returncode == 0
    assert res["all"]["recall"] == 0.0 and res["all"]["precision"] is None and res["all"]["goal"] == "MISSED"
    assert res["all"]["f2"] == 0.0 and res["types"]["IBAN"]["f2"] == 0.0 and res["types"]["IBAN"]["goal"] == "MISSED"


def test_scorer_rejects_bad_input(tmp_path):
    p = tmp_path / "bad.jsonl"
    for body, msg in ((b'{"line": 1}\n', b"no 'start' field"), (b"not json\n", b"not JSON"),
                      (b'{"line": "1", "start": 0, "end": 2, "type": "IP"}\n', b"must be integers")):
        p.write_bytes(body)
        r = subprocess.run([sys.executable, SCORER, CORPUS, LABELS, str(p)], capture_output=True, timeout=60)
        assert r.returncode == 2 and msg in r.stderr, r.stderr
    # A span outside the corpus is counted as a miss, not a crash.
    p.write_text(json.dumps({"line": 10 ** 6, "start": 0, "end": 3, "type": "IP"}) + "\n")
    r = subprocess.run([sys.executable, SCORER, CORPUS, LABELS, str(p)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "1 outside the corpus" in r.stdout

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""One fact, one item (issue 18), over the fixture cases (fixtures/gen-fixtures.py,
fixtures/unread/gen-unread.py) as `ingest scan` reports them, in the case's own
setting and in each other setting:

- no two gaps of one report share their meaning: the same requirement (two
  rules asking for the same thing, rules/*.yaml), the same evidence, or one
  item's first sentence saying the other's;
- the text report reads as plain words where the coordinator reads it (the
  items, not their evidence lines): no doubled word ("Only only"), no rule id,
  no UID; each item starts with a capital letter."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("INGEST_BIN")
RULES = os.path.join(SRC, "rules")
sys.path.insert(0, os.path.join(SRC, "tests", "rules"))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("messages", os.path.join(SRC, "tests", "rules", "test-messages.py"))
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

failures = []
REQ_KEYS = ("document", "biomarker", "imaging", "lab", "question")
# items the issue names as saying one thing
NAMED_PAIRS = [{"baseline.lab-report", "baseline.labs"}]


def check(cond, what):
    if not cond:
        failures.append(what)
        sys.stderr.write("FAIL: %s\n" % what)


def requirements():
    """rule id -> its requirement, as comparable text (ages aside)."""
    out = {}
    for name in os.listdir(RULES):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(RULES, name), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for r in (doc or {}).get("rules", []) if isinstance(doc, dict) else []:
            for k in REQ_KEYS:
                if k in r:
                    v = r[k]
                    if isinstance(v, dict):
                        v = {a: b for a, b in v.items() if a not in ("max_age_days", "after_last_treatment")}
                    out[r["id"]] = json.dumps([k, v], sort_keys=True)
    return out


def first_sentence(msg):
    """The item's own first sentence: after a condition's "Only ...: " and an
    unread document's "... If it does not hold it: "."""
    m = msg
    if m.startswith("Only ") and ": " in m:
        m = m.split(": ", 1)[1]
    m = re.split(r"If (?:it does|they do) not hold it: ", m, 1)[-1]
    return re.split(r"(?<=[.?])\s", m, 1)[0].rstrip(".").strip().lower()


def bare_evidence(ev):
    """Evidence without what one item adds about another (merged items, settled conditions)."""
    parts = [p for p in (ev or "").split("; ") if not p.startswith(("also says ", "condition \""))]
    return "; ".join(parts).strip()


def same_meaning(a, b, req):
    """Why gaps A and B say one thing, or None."""
    if a["severity"] == "warning" or b["severity"] == "warning":
        return None
    ra, rb = req.get(a["rule_id"]), req.get(b["rule_id"])
    if ra and ra == rb:
        return "the same requirement (%s)" % ra[:120]
    ea, eb = bare_evidence(a.get("evidence")), bare_evidence(b.get("evidence"))
    if ea.startswith("looked for ") and ea == eb:
        return "the same evidence (%s)" % ea[:120]
    ids = {a["rule_id"], b["rule_id"]}
    for pair in NAMED_PAIRS:
        if ids == pair:
            return "a pair issue 18 names"
    if "baseline.dicom-imaging" in ids and all(req.get(i, "").startswith('["imaging"') for i in ids):
        return "the baseline's imaging item beside a stricter imaging item"
    if ids == {"baseline.radiology-report", "generic.images-without-report"}:
        return "no radiology report at all, and none for a study"
    fa, fb = first_sentence(a["message"]), first_sentence(b["message"])
    if fa and fb and (fa == fb or fb.startswith(fa + " ") or fa.startswith(fb + " ")):
        return "the same first sentence (%r, %r)" % (fa[:80], fb[:80])
    return None


def overlaps(report, req):
    gaps = report["gaps"]
    out = []
    for i in range(len(gaps)):
        for j in range(i + 1, len(gaps)):
            a, b = gaps[i], gaps[j]
            if a["rule_id"] == b["rule_id"] and a["rule_id"].startswith("generic.") and a["message"] != b["message"]:
                continue   # one generic check about two different things (two series, two studies)
            why = same_meaning(a, b, req)
            if why:
                out.append("%s and %s say one thing: %s" % (a["rule_id"], b["rule_id"], why))
    return out


def text_items(txt):
    """The lines of the text report's items a coordinator reads (not their evidence)."""
    out = []
    for line in txt.splitlines():
        if line.startswith("  - "):
            out.append(line[4:])
        elif line.startswith(("STATUS:", "Setting:")):
            out.append(line)
    return out


def self_test(req):
    a = {"rule_id": "baseline.radiology-report", "severity": "recommended", "message": "No radiology report found. "
         "Ask the hospital for the written report of each scan sent.", "evidence": "looked for a document"}
    b = {"rule_id": "generic.images-without-report", "severity": "recommended",
         "message": "No radiology report found for the study 2024-04-10 CT. Ask the hospital for its written report.",
         "evidence": "study 1.2.3"}
    check(same_meaning(a, b, req) is not None, "self-test: the two radiology items say one thing")
    c = {"rule_id": "breast.slides", "severity": "recommended", "message": "Only if x: No mention of blocks found.",
         "evidence": "looked for \"paraffin block\" in any document; 2 documents"}
    d = {"rule_id": "breast.tissue", "severity": "required", "message": "The molecular tests are incomplete.",
         "evidence": "looked for \"paraffin block\" in any document; 2 documents; also says x (\"y\")"}
    check(same_meaning(c, d, req) is not None, "self-test: the same evidence is found")
    e = {"rule_id": "breast.her2", "severity": "required", "message": "No HER2 result found.", "evidence": "x"}
    check(same_meaning(d, e, req) is None, "self-test: different items are different")


def scan(path, args, json_out):
    r = subprocess.run([BIN, "scan", "--today", "2024-03-20"] + args + (["--json"] if json_out else []) + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    check(r.returncode == 0, "ingest scan %s %s exits 0 (%s)" % (path, args, r.stderr.decode(errors="replace")[-300:]))
    return r.stdout.decode("utf-8")


def main():
    if not BIN:
        sys.stderr.write("INGEST_BIN is not set (run through meson test)\n")
        return 1
    req = requirements()
    check(len(req) > 300, "requirements read from rules/ (%d)" % len(req))
    self_test(req)
    ids = set(req)
    tmp = tempfile.mkdtemp(prefix="ingest-one-item-")
    try:
        for gen in (os.path.join(SRC, "fixtures", "gen-fixtures.py"),
                    os.path.join(SRC, "fixtures", "unread", "gen-unread.py")):
            r = subprocess.run([sys.executable, gen, tmp], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
            if r.returncode:
                sys.stderr.write("%s failed: %s\n" % (gen, r.stderr.decode(errors="replace")))
                return 1
        drops = os.path.join(tmp, "drops")
        n_reports = 0
        for case in sorted(os.listdir(drops)):
            for setting in (None, "early", "metastatic"):
                args = ["--setting", setting] if setting else []
                label = "%s%s" % (case, " (%s)" % setting if setting else "")
                rep = json.loads(scan(os.path.join(drops, case), args, True))
                n_reports += 1
                for o in overlaps(rep, req):
                    check(False, "%s: %s" % (label, o))
                for g in rep["gaps"] + rep.get("notes", []):
                    for p in messages.wording(g["message"], "%s %s" % (label, g["rule_id"]), ids):
                        check(False, p)
                txt = scan(os.path.join(drops, case), args, False)
                for line in text_items(txt):
                    for p in messages.wording(line, "%s gap-report.txt %r" % (label, line[:60]), ids):
                        check(False, p)
                    check(line[:1].isupper() or line[:1] in "\"'" or re.match(r"\S*[0-9A-Z]", line),
                          "%s gap-report.txt item starts with a capital letter: %r" % (label, line[:60]))
        check(n_reports >= 9, "reports checked (%d)" % n_reports)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.stderr.write("%d failure(s)\n" % len(failures))
        return 1
    print("one fact, one item: %d reports" % n_reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ingest scan --json` on generated drops, checked against the generator's own record.

For each drop of fixtures/gen-fixtures.py:
  - every input file is in inventory.files exactly once, with the expected kind,
    and with the right size and SHA-256;
  - studies, series, usable instance counts, missing instance numbers, slice gaps,
    transfer syntax and lossiness match what was generated;
  - the number of distinct patients matches;
  - problems (path + code) match exactly;
  - documents and excluded files are listed with their kinds; every biomarker
    reported has a snippet that is really in the document's text;
  - the drop is byte-identical before and after, and nothing was written in it.

usage: test-scan-fixture.py [DROP-NAME...]   (default: every generated drop)
"""

import hashlib
import os
import re
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402

DOC_KINDS = {"pathology-report", "molecular-report", "radiology-report", "lab-report",
             "discharge-summary", "operative-note", "treatment-summary", "clinical-letter",
             "scanned-document", "photo",
             # a readable file of no known kind is still part of the record: listed
             # with the documents (and packaged under documents/unknown), never dropped
             "unknown"}
EXCLUDED_KINDS = {"viewer-software", "os-junk"}

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def norm_ws(s):
    return re.sub(r"\s+", " ", s).strip()


def doc_text(path):
    if path.lower().endswith(".pdf"):
        r = subprocess.run(["pdftotext", "-q", path, "-"], stdout=subprocess.PIPE)
        return r.stdout.decode("utf-8", "replace")
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def check_files(name, drop, exp, inv):
    files = inv.get("files")
    if not check(isinstance(files, list), "%s: inventory.files missing or not a list" % name):
        return {}
    seen = {}
    for f in files:
        p = f.get("path")
        check(p not in seen, "%s: %s listed more than once in inventory.files" % (name, p))
        seen[p] = f
    want = {f["path"]: f for f in exp["files"]}
    for p in sorted(set(want) - set(seen)):
        errors.append("%s: %s (expected kind %s) not in inventory.files" % (name, p, want[p]["kind"]))
    for p in sorted(set(seen) - set(want)):
        errors.append("%s: inventory.files has %s, which the drop does not hold" % (name, p))
    for p in sorted(set(want) & set(seen)):
        got = seen[p]
        check(got.get("kind") == want[p]["kind"],
              "%s: %s: kind %r, expected %r (evidence: %r)"
              % (name, p, got.get("kind"), want[p]["kind"], got.get("kind_evidence")))
        check(bool(got.get("kind_evidence")), "%s: %s: no kind_evidence" % (name, p))
        data = read_input(drop, p)
        check(got.get("bytes") == len(data),
              "%s: %s: bytes %r, expected %d" % (name, p, got.get("bytes"), len(data)))
        # viewer software and OS junk are listed but deliberately never read
        # (libingest/scan.c), so they may carry no hash; everything else must
        # archives are not hashed either: their entries are (one SHA-256 pass)
        if want[p]["kind"] == "archive":
            check(got.get("sha256") is None, "%s: %s: the archive's own bytes were hashed" % (name, p))
        elif not (want[p]["kind"] in EXCLUDED_KINDS and got.get("sha256") is None):
            check(got.get("sha256") == hashlib.sha256(data).hexdigest(),
                  "%s: %s: sha256 %r is not the file's" % (name, p, got.get("sha256")))
    return seen


def check_studies(name, exp, inv):
    studies = inv.get("studies")
    if not check(isinstance(studies, list), "%s: inventory.studies missing or not a list" % name):
        return
    got = {}
    for st in studies:
        check(st.get("study_uid") not in got, "%s: study %s listed twice" % (name, st.get("study_uid")))
        got[st.get("study_uid")] = st
    want = {st["study_uid"]: st for st in exp["studies"]}
    check(set(got) == set(want), "%s: studies %s, expected %s" % (name, sorted(got), sorted(want)))
    for uid in sorted(set(got) & set(want)):
        g, w = got[uid], want[uid]
        check(g.get("date") == w["date"], "%s: study %s: date %r, expected %r"
              % (name, uid, g.get("date"), w["date"]))
        check(sorted(g.get("modalities") or []) == w["modalities"],
              "%s: study %s: modalities %r, expected %r" % (name, uid, g.get("modalities"), w["modalities"]))
        check(g.get("description") == w["description"], "%s: study %s: description %r, expected %r"
              % (name, uid, g.get("description"), w["description"]))
        check(g.get("body_part") == w["body_part"], "%s: study %s: body_part %r, expected %r"
              % (name, uid, g.get("body_part"), w["body_part"]))
        gs = {s.get("series_uid"): s for s in g.get("series") or []}
        ws = {s["series_uid"]: s for s in w["series"]}
        check(len(gs) == len(g.get("series") or []), "%s: study %s: a series is listed twice" % (name, uid))
        check(set(gs) == set(ws), "%s: study %s: series %s, expected %s"
              % (name, uid, sorted(gs), sorted(ws)))
        for suid in sorted(set(gs) & set(ws)):
            a, b = gs[suid], ws[suid]
            where = "%s: series %s (%s %s)" % (name, suid, b["modality"], b["description"])
            check(a.get("modality") == b["modality"], "%s: modality %r, expected %r"
                  % (where, a.get("modality"), b["modality"]))
            check(a.get("description") == b["description"], "%s: description %r, expected %r"
                  % (where, a.get("description"), b["description"]))
            check(a.get("instances") == b["instances"], "%s: instances %r, expected %r"
                  % (where, a.get("instances"), b["instances"]))
            check(sorted(a.get("missing_instances") or []) == b["missing_instances"],
                  "%s: missing_instances %r, expected %r"
                  % (where, a.get("missing_instances"), b["missing_instances"]))
            check(bool(a.get("slice_gaps")) == b["slice_gap"],
                  "%s: slice_gaps %r, expected %s" % (where, a.get("slice_gaps"),
                                                      "some" if b["slice_gap"] else "none"))
            check(a.get("transfer_syntax") == b["transfer_syntax"],
                  "%s: transfer_syntax %r, expected %r"
                  % (where, a.get("transfer_syntax"), b["transfer_syntax"]))
            check(a.get("lossy") == b["lossy"], "%s: lossy %r, expected %r"
                  % (where, a.get("lossy"), b["lossy"]))


def read_input(drop, p):
    """The bytes of an input: a file of the drop, or "x.zip!/member" inside a zip of it."""
    if "!/" in p:
        outer, member = p.split("!/", 1)
        with zipfile.ZipFile(os.path.join(drop, *outer.split("/"))) as z:
            return z.read(member)
    with open(os.path.join(drop, *p.split("/")), "rb") as fh:
        return fh.read()


def check_documents(name, drop, exp, inv):
    docs = inv.get("documents")
    if not check(isinstance(docs, list), "%s: inventory.documents missing or not a list" % name):
        return
    got = {d.get("path"): d for d in docs}
    want = {f["path"]: f for f in exp["files"] if f["kind"] in DOC_KINDS}
    check(set(got) == set(want), "%s: documents %s, expected %s" % (name, sorted(got), sorted(want)))
    for p in sorted(set(got) & set(want)):
        g, w = got[p], want[p]
        check(g.get("kind") == w["kind"], "%s: document %s: kind %r, expected %r"
              % (name, p, g.get("kind"), w["kind"]))
        if "text_layer" in w:
            check(g.get("text_layer") == w["text_layer"], "%s: document %s: text_layer %r, expected %r"
                  % (name, p, g.get("text_layer"), w["text_layer"]))
        if "pages" in w:
            check(g.get("pages") == w["pages"], "%s: document %s: pages %r, expected %r"
                  % (name, p, g.get("pages"), w["pages"]))
        # language detection may say "unknown" (null), but never a wrong language
        if "language" in w and g.get("language") is not None:
            check(g.get("language") == w["language"], "%s: document %s: language %r, expected %r"
                  % (name, p, g.get("language"), w["language"]))
        # never invented: every biomarker comes with a snippet that is in the text
        # (a scan without a text layer has only its OCR text: checked elsewhere)
        if w.get("ocr"):
            continue
        text = norm_ws(doc_text(os.path.join(drop, *p.split("/")))) if "!/" not in p else \
            norm_ws(read_input(drop, p).decode("utf-8", "replace"))
        for bm in g.get("biomarkers") or []:
            snip = norm_ws(bm.get("snippet") or "")
            check(snip and snip in text, "%s: document %s: biomarker %r with snippet %r not in its text"
                  % (name, p, bm.get("name"), bm.get("snippet")))


def check_excluded(name, exp, inv):
    exc = inv.get("excluded")
    if not check(isinstance(exc, list), "%s: inventory.excluded missing or not a list" % name):
        return
    got = {e.get("path"): e.get("kind") for e in exc}
    want = {f["path"]: f["kind"] for f in exp["files"] if f["kind"] in EXCLUDED_KINDS}
    check(got == want, "%s: excluded %r, expected %r" % (name, got, want))


def check_drop(name, drop, exp):
    before = scanlib.tree_state(drop)
    rc, doc, err = scanlib.scan_json(drop)
    after = scanlib.tree_state(drop)
    check(rc == 0, "%s: ingest scan exited %d: %s" % (name, rc, err[-2000:]))
    check(before == after, "%s: the drop changed during the scan: %s" % (name, sorted(
        k for k in set(before) | set(after) if before.get(k) != after.get(k))))
    check(doc.get("schema_version") == 1, "%s: schema_version %r" % (name, doc.get("schema_version")))
    check(doc.get("case_id") == exp["case_id"], "%s: case_id %r, expected %r"
          % (name, doc.get("case_id"), exp["case_id"]))
    inv = doc.get("inventory")
    if not check(isinstance(inv, dict), "%s: no inventory object" % name):
        return
    check_files(name, drop, exp, inv)
    check_studies(name, exp, inv)
    check_documents(name, drop, exp, inv)
    check_excluded(name, exp, inv)
    patients = inv.get("patients")
    check(isinstance(patients, list) and len(patients) == exp["patients"],
          "%s: %s patients, expected %d" % (name, len(patients) if isinstance(patients, list)
                                            else patients, exp["patients"]))
    if isinstance(patients, list):
        for p in patients:
            check(isinstance(p.get("key"), str) and "DOE" not in p["key"].upper()
                  and "MRN" not in p["key"].upper(), "%s: patient key %r is not opaque"
                  % (name, p.get("key")))
    probs = doc.get("problems")
    if check(isinstance(probs, list), "%s: problems missing or not a list" % name):
        got = sorted((p.get("path"), p.get("code")) for p in probs)
        want = sorted((p["path"], p["code"]) for p in exp["problems"])
        check(got == want, "%s: problems %r, expected %r" % (name, got, want))
        for p in probs:
            check(bool(p.get("message")), "%s: problem %s without a message" % (name, p.get("path")))


def main():
    with scanlib.tmpdir() as tmp:
        out, expected = scanlib.generate(tmp)
        names = sys.argv[1:] or sorted(expected["drops"])
        for name in names:
            if name not in expected["drops"]:
                scanlib.fail("no generated drop %s" % name)
            n = len(errors)
            check_drop(name, os.path.join(out, "drops", name), expected["drops"][name])
            print("%s: %s" % (name, "ok" if len(errors) == n else "%d errors" % (len(errors) - n)))
    if errors:
        for e in errors:
            sys.stderr.write("FAIL: %s\n" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()

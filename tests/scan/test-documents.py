# SPDX-License-Identifier: GPL-3.0-or-later
"""Documents through the whole scan: kinds, OCR, biomarkers, labs, language.

Against the generator's own record: a phone photo of a lab sheet becomes a
lab-report with its CEA value (OCR); an image-only scanned pathology report
gets its kind from OCR; the Chinese pathology report is pathology, flagged for
translation, with EGFR and ALK found; every document's found markers are
exactly those its text states with a result, a marker that is only "pending"
is not found but listed as pending. Then a text extractor that crashes or
hangs on one document costs that document only: the scan completes with one
problem for it."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def check_drop(name, doc, exp):
    docs = {d["path"]: d for d in doc["inventory"]["documents"]}
    for f in exp["files"]:
        p = f["path"]
        if p not in docs:
            continue
        d = docs[p]
        if f.get("ocr"):
            check(isinstance(d.get("ocr"), dict) and d["ocr"].get("confidence", 0) > 0,
                  "%s: %s: no OCR marked: %r" % (name, p, d.get("ocr")))
        for lab, value in (f.get("labs") or {}).items():
            vals = [x.get("value") for x in d.get("labs") or [] if x.get("name", "").lower() == lab.lower()]
            check(value in vals, "%s: %s: lab %s = %r not found (labs: %r)" % (name, p, lab, value, d.get("labs")))
        if "language" in f:
            check(d.get("language") == f["language"], "%s: %s: language %r, expected %r"
                  % (name, p, d.get("language"), f["language"]))
            check(d.get("needs_translation") == (f["language"] != "en"),
                  "%s: %s: needs_translation %r" % (name, p, d.get("needs_translation")))
        if "biomarkers_in_text" in f:
            got = sorted({b["name"] for b in d.get("biomarkers") or []})
            check(got == sorted(f["biomarkers_in_text"]), "%s: %s: found markers %r, expected %r"
                  % (name, p, got, sorted(f["biomarkers_in_text"])))
            for b in d.get("biomarkers") or []:
                check(b.get("result") and b.get("snippet"), "%s: %s: %s found without result/snippet"
                      % (name, p, b.get("name")))
        for pend in f.get("biomarkers_pending") or []:
            check(pend not in {b["name"] for b in d.get("biomarkers") or []},
                  "%s: %s: %s is only pending but reported found" % (name, p, pend))
            check(any(u.get("name") == pend and u.get("state") == "pending"
                      for u in d.get("biomarkers_unresulted") or []),
                  "%s: %s: %s not listed as pending: %r" % (name, p, pend, d.get("biomarkers_unresulted")))


def fault_scan(driver, drop, fault, tmp):
    """Scan a copy of the drop with one extra PDF that trips the extractor."""
    bad = os.path.join(tmp, "FAULT-" + fault)
    shutil.copytree(drop, bad)
    src = os.path.join(drop, "reports", "Pathology_Report_2024-02-09.pdf")
    with open(src, "rb") as fh:
        data = fh.read()
    with open(os.path.join(bad, "reports", "trips-the-reader.pdf"), "wb") as fh:
        fh.write(data.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%INGEST-FAULT-INJECT\n", 1))
    env = dict(os.environ, INGEST_TEST_EXTRACTOR_FAULT=fault)
    r = subprocess.run([driver, "-l", "extract_cpu_seconds=2", bad], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if not check(r.returncode == 0, "%s: the scan did not complete (exit %d): %s"
                 % (fault, r.returncode, r.stderr.decode(errors="replace")[-2000:])):
        return
    import json
    doc = json.loads(r.stdout)
    probs = [p for p in doc["problems"] if p["path"] == "reports/trips-the-reader.pdf"]
    check(len(probs) == 1, "%s: expected one problem for the tripping PDF, got %r" % (fault, probs))
    others = [p for p in doc["problems"] if p["path"] != "reports/trips-the-reader.pdf"]
    check({p["path"] for p in others} == {"CD_CITY_GENERAL/DICOM/PA000001/ST000002/SE000001/IM000006"}
          or len(others) <= 2, "%s: other problems appeared: %r" % (fault, others))
    kinds = {d["path"]: d["kind"] for d in doc["inventory"]["documents"]}
    check(kinds.get("reports/Pathology_Report_2024-02-09.pdf") == "pathology-report",
          "%s: the other documents were not read" % fault)
    if probs:
        word, code = ("crashed", "corrupt") if fault == "crash" else ("was stopped", "limit")
        check(word in probs[0]["message"] and probs[0]["code"] == code,
              "%s: problem %r" % (fault, probs[0]))


def treatments_past_text_budget(driver, tmp):
    """Treatment dates are read with the other findings while the text is at
    hand: a document read after the drop's text budget (max_case_text_bytes)
    is spent still has its dated treatments."""
    drop = os.path.join(tmp, "TEXT-BUDGET")
    os.makedirs(drop)
    with open(os.path.join(drop, "a_clinical_letter.txt"), "w") as fh:
        fh.write("CLINICAL LETTER\nDear colleague,\n" + "The patient was seen in clinic and is well. " * 60)
    with open(os.path.join(drop, "b_treatment_summary.txt"), "w") as fh:
        fh.write("TREATMENT SUMMARY\nBreast cancer, ER positive.\n"
                 "Letrozole started 12/05/2025 with ribociclib.\n")
    r = subprocess.run([driver, "-l", "max_case_text_bytes=1000", drop], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if not check(r.returncode == 0, "text budget: the scan failed: %s" % r.stderr.decode(errors="replace")[-2000:]):
        return
    import json
    docs = {d["path"]: d for d in json.loads(r.stdout)["inventory"]["documents"]}
    t = docs.get("b_treatment_summary.txt", {}).get("treatments") or []
    check([x.get("date") for x in t] == ["2025-05-12"],
          "text budget: the treatment after the budget was lost: %r" % t)


def main():
    driver = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        out, expected = scanlib.generate(tmp)
        for name, exp in sorted(expected["drops"].items()):
            code, doc, err = scanlib.scan_json(os.path.join(out, "drops", name))
            if code != 0:
                scanlib.fail("%s: scan failed: %s" % (name, err))
            check_drop(name, doc, exp)
        if driver:
            for fault in ("crash", "hang"):
                fault_scan(driver, os.path.join(out, "drops", "CASE-DEMO-1"), fault, tmp)
            treatments_past_text_budget(driver, tmp)
    if errors:
        for e in errors:
            sys.stderr.write("FAIL: %s\n" % e)
        return 1
    print("documents: kinds, OCR, biomarkers, labs, language and extractor faults as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())

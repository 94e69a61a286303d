#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The case summary (libingest/report-summary.c) of the fixture demo cases
(fixtures/gen-fixtures.py: CASE-DEMO-1 breast, CASE-DEMO-2 lung), in
gap-report.json, the text report and the package's gap-report.html.

The gold below is written from the documents the generator writes (their
lines are quoted here), not from the scanner's output: what they state must
be in the summary with its document, and nothing may be there that no
document states. Every entry must name its source, and that source must be
a document, an image file or a rule of the same report."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402

PATH_PDF = "reports/Pathology_Report_2024-02-09.pdf"
DISCHARGE = "discharge_summary.txt"
PATH_SCAN = "scans/scan0002_pathology.pdf"
MOL = "molecular_report.pdf"
ZH = "病理报告.pdf"

# The lines of each document a diagnosis / specimen / stage line may quote
# (fixtures/gen-fixtures.py, drop_demo1 and drop_demo2).
DOC_LINES = {
    PATH_PDF: ["Specimen: Left breast, core needle biopsy (14G x 3)",
               "Invasive breast carcinoma of no special type (ductal), grade 2."],
    DISCHARGE: ["Diagnosis: metastatic breast cancer (liver, bone); admitted for pain control."],
    PATH_SCAN: ["Specimen: liver, core biopsy (segment 6)"],
    MOL: ["Specimen: right upper lobe, EBUS-TBNA, adenocarcinoma"],
    ZH: ["标本: 右肺上叶穿刺活检", "病理诊断: 肺腺癌"],
}

GOLD = {
    "CASE-DEMO-1": {
        # (field, words the document states, side, source): must be there
        "diagnosis": [
            ("diagnosis", "Invasive breast carcinoma of no special type (ductal), grade 2", None, PATH_PDF),
            ("diagnosis", "metastatic breast cancer (liver, bone)", None, DISCHARGE),
            ("specimen", "Left breast, core needle biopsy (14G x 3)", "left", PATH_PDF),
        ],
        # marker -> (state, words of its result, source); dates: the report's own
        # ("Reported: 09/02/2024": day first, or unclear, never another day)
        "biomarkers": {
            "ER": ("found", "90%", PATH_PDF),
            "PR": ("found", "40%", PATH_PDF),
            "HER2": ("found", "1+", PATH_PDF),
            "Ki-67": ("found", "20%", PATH_PDF),
            "PD-L1": ("pending", "pending", PATH_PDF),
        },
        # what else a document states (read by OCR: may be missed, never wrong)
        "biomarkers_optional": {"GATA3": ("found", "positive", PATH_SCAN)},
        "dates": {PATH_PDF: {None, "2024-02-09"}},
        # date, modality, region, the hospital's description (one study is another patient's)
        "imaging": [
            ("2023-11-20", "CT", "head", "CT HEAD WITHOUT CONTRAST"),
            ("2024-03-02", "CT", "chest, abdomen and pelvis", "CT CHEST ABDOMEN PELVIS WITH CONTRAST"),
            ("2024-03-09", "MRI", "abdomen", "MR LIVER WITH AND WITHOUT CONTRAST"),
            ("2024-03-12", "PET-CT", "whole body", "PET-CT WHOLE BODY FDG"),
        ],
        "patients": 2,
    },
    "CASE-DEMO-2": {
        "diagnosis": [
            ("diagnosis", "肺腺癌", None, ZH),
            ("specimen", "right upper lobe, EBUS-TBNA, adenocarcinoma", "right", MOL),
            ("specimen", "右肺上叶穿刺活检", "right", ZH),
        ],
        "biomarkers": {
            "EGFR": ("found", "exon 19", MOL),
            "ALK": ("found", "negative", MOL),
            "ROS1": ("found", "negative", MOL),
            "KRAS": ("found", ("not detected", "negative"), MOL),     # "no mutation detected"
            "PD-L1": ("found", "60%", MOL),
        },
        # the Chinese report states these too (TTF-1, Napsin A, CK7 positive; EGFR 19 del; ALK negative)
        "biomarkers_optional": {"TTF-1": ("found", "positive", ZH), "napsin A": ("found", "positive", ZH),
                                "Napsin A": ("found", "positive", ZH), "CK7": ("found", "positive", ZH),
                                "EGFR": ("found", "", ZH), "ALK": ("found", "negative", ZH)},
        "dates": {MOL: {None}, ZH: {None}},
        "imaging": [("2024-04-10", "CT", "chest", "CT CHEST WITH CONTRAST")],
        "patients": 1,
    },
}

failures = []


def fail(case, msg):
    failures.append("%s: %s" % (case, msg))


def check_sources(case, doc):
    s = doc["summary"]
    docs = {d["path"] for d in doc["inventory"]["documents"]}
    files = {f["path"] for f in doc["inventory"]["files"]}
    rules = {g["rule_id"] for g in doc["gaps"]}
    where = {"diagnosis": docs, "biomarkers": docs, "treatments": docs, "imaging": files, "missing": rules}
    n = 0
    for key, allowed in where.items():
        for e in s[key]:
            n += 1
            src = e.get("source")
            if not src:
                fail(case, "summary.%s entry without a source: %r" % (key, e))
            elif src not in allowed:
                fail(case, "summary.%s entry's source %r is no %s of this report" %
                     (key, src, "rule" if key == "missing" else "document" if key != "imaging" else "file"))
    return n


def check_case(case, doc, gold):
    s = doc["summary"]
    # diagnosis: what the documents state is there; nothing else is
    for field, words, side, src in gold["diagnosis"]:
        hit = [e for e in s["diagnosis"] if e["field"] == field and words in e["text"] and e["source"] == src]
        if not hit:
            fail(case, "summary.diagnosis lacks %s %r from %s: %r" % (field, words, src, s["diagnosis"]))
        elif hit[0].get("side") != side:
            fail(case, "%s %r: side %r, the document says %r" % (field, words, hit[0].get("side"), side))
    for e in s["diagnosis"]:
        lines = DOC_LINES.get(e["source"], [])
        if not any(e["text"] in ln for ln in lines):
            fail(case, "summary.diagnosis quotes %r from %s, which no gold line of it holds" % (e["text"], e["source"]))
    if s["stage_stated"] or any(e["field"] == "stage" for e in s["diagnosis"]):
        fail(case, "a stage in the summary; no document states one")
    # biomarkers
    rows = s["biomarkers"]
    for name, (state, words, src) in gold["biomarkers"].items():
        hit = [r for r in rows if r["marker"] == name and r["source"] == src]
        if not hit:
            fail(case, "summary.biomarkers lacks %s from %s" % (name, src))
        elif hit[0]["state"] != state or not any(w in (hit[0].get("result") or "")
                                                 for w in (words if isinstance(words, tuple) else (words,))):
            fail(case, "%s: %s %r, the document says %s %r" % (name, hit[0]["state"], hit[0].get("result"), state, words))
    for r in rows:
        g = gold["biomarkers"].get(r["marker"])
        opt = gold["biomarkers_optional"].get(r["marker"])
        ok = (g and g[2] == r["source"]) or (opt and opt[2] == r["source"] and opt[1] in (r.get("result") or ""))
        if not ok:
            fail(case, "summary.biomarkers holds %s %r from %s, which no document states" %
                 (r["marker"], r.get("result"), r["source"]))
        if r.get("date") not in gold["dates"].get(r["source"], {None}):
            fail(case, "%s from %s dated %r: the document says otherwise" % (r["marker"], r["source"], r.get("date")))
        if r.get("conflict"):
            fail(case, "%s marked as a conflict; the documents agree" % r["marker"])
    # imaging: by date, modality and region in words
    got = [(x.get("date"), x["modality"], x.get("region"), x.get("description")) for x in s["imaging"]]
    if got != gold["imaging"]:
        fail(case, "summary.imaging is %r, the studies are %r" % (got, gold["imaging"]))
    if gold["patients"] > 1:
        # the pathology report and the CT of chest, abdomen and pelvis are both DOE, JANE's
        # (MRN4411873); the CT of the head another patient's
        keys = {x.get("description"): x.get("patient") for x in s["imaging"]}
        jane, other = keys.get("CT CHEST ABDOMEN PELVIS WITH CONTRAST"), keys.get("CT HEAD WITHOUT CONTRAST")
        if not jane or not other or jane == other:
            fail(case, "two patients' studies, not told apart by their patient: %r" % keys)
        for e in s["diagnosis"] + s["biomarkers"]:
            if e["source"] == PATH_PDF and e.get("patient") != jane:
                fail(case, "%r of %s: patient %r, the report names the CT's patient %r" %
                     (e.get("text") or e.get("marker"), PATH_PDF, e.get("patient"), jane))
    # still missing: the required items, one line each, as the gaps say
    # (a gap whose item may be in an unread document: its item's first sentence, said so)
    want = [(g["rule_id"], g["message"]) for g in doc["gaps"] if g["severity"] == "required" and "condition" not in g]
    got = [(m["source"], m["message"]) for m in s["missing"]]
    perhaps = " (perhaps in a document that could not be read: check it by eye)."

    def one_line_of(line, msg):
        if "\n" in line:
            return False
        if line.endswith(perhaps):
            return line[:-len(perhaps)] in msg
        return msg.startswith(line)
    if len(got) != len(want) or any(gs != ws or not one_line_of(gm, wm) for (gs, gm), (ws, wm) in zip(got, want)):
        fail(case, "summary.missing %r is not the required gaps, one line each: %r" % (got, want))
    # treatments: each one a document states, with its words
    for t in s["treatments"]:
        src = next((d for d in doc["inventory"]["documents"] if d["path"] == t["source"]), None)
        if not src or not any(x["what"] == t["what"] and x["date"] == t["date"] for x in src.get("treatments") or []):
            fail(case, "summary.treatments %r is no treatment of %s" % (t, t["source"]))


def text_report(drop):
    r = subprocess.run([scanlib.BIN, "scan", drop], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=scanlib.SCAN_TIMEOUT)
    return r.stdout.decode("utf-8")


def html_report(drop, out, case):
    r = subprocess.run([scanlib.BIN, "package", drop, "--out", out, "--no-fetch"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=scanlib.SCAN_TIMEOUT)
    for state in ("ready", "pending"):
        p = os.path.join(out, state, case, "gap-report.html")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                return f.read()
    fail(case, "ingest package wrote no gap-report.html: %s" % r.stderr.decode(errors="replace")[-2000:])
    return ""


def check_pages(case, doc, text, html):
    s = doc["summary"]
    at = text.find("Case summary")
    if at < 0:
        fail(case, "the text report has no Case summary")
    elif "Required" in text and text.find("Required") < at:
        fail(case, "the text report's summary comes after the required list: it is its first page")
    if "<h2 style=\"color:#1a237e\">Case summary</h2>" not in html:
        fail(case, "gap-report.html has no Case summary")
    elif "section class=\"required\"" in html and html.find("section class=\"required\"") < html.find("Case summary"):
        fail(case, "the HTML summary comes after the required list")
    for e in s["diagnosis"]:
        if "%s  [%s]" % (e["text"], e["source"]) not in text:
            fail(case, "text report: %r is not shown with its source %s" % (e["text"], e["source"]))
        esc = e["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        if esc not in html:
            fail(case, "HTML report: %r is not shown" % e["text"])
    for r in s["biomarkers"]:
        if r["source"] not in text or r["marker"] not in text:
            fail(case, "text report: %s from %s is not shown" % (r["marker"], r["source"]))


def main():
    with scanlib.tmpdir() as tmp:
        out, _ = scanlib.generate(tmp)
        entries = 0
        for case, gold in GOLD.items():
            drop = os.path.join(out, "drops", case)
            rc, doc, err = scanlib.scan_json(drop)
            if "summary" not in doc:
                fail(case, "gap-report.json has no summary")
                continue
            entries += check_sources(case, doc)
            check_case(case, doc, gold)
            check_pages(case, doc, text_report(drop), html_report(drop, os.path.join(tmp, "out-" + case), case))
            print("%s: %d diagnosis lines, %d biomarkers, %d treatments, %d studies, %d missing" % (
                case, len(doc["summary"]["diagnosis"]), len(doc["summary"]["biomarkers"]),
                len(doc["summary"]["treatments"]), len(doc["summary"]["imaging"]), len(doc["summary"]["missing"])))
        if not entries:
            fail("all", "no summary entry at all: the check checked nothing")
    if failures:
        for f in failures:
            sys.stderr.write("FAIL: %s\n" % f)
        sys.exit(1)


if __name__ == "__main__":
    main()

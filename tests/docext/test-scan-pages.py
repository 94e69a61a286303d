#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every page and every image through `ingest scan --json` (#17).

A drop made here (gen.py): a pathology report whose second page is a scanned
lab sheet (no text layer), a 30000 x 30000 PNG and the lab sheet as a phone
photo. The report's text page gives its markers and its scanned page, read by
OCR, the lab value; the huge PNG is a limit problem that says its size (never
silence); the ordinary photo is read and is no problem.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("INGEST_BIN")
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def main():
    if not BIN:
        sys.exit("INGEST_BIN is not set (run through meson test)")
    with tempfile.TemporaryDirectory(prefix="ingest-pages.") as drop:
        for kind, name in (("mixed-pdf", "report_with_scanned_lab.pdf"), ("png-huge", "huge_scan.png"),
                           ("lab-jpeg", "lab_photo.jpg")):
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen.py"), kind, os.path.join(drop, name)],
                           check=True)
        r = subprocess.run([BIN, "scan", "--json", drop], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=400)
        try:
            doc = json.loads(r.stdout.decode("utf-8"))
        except json.JSONDecodeError as e:
            sys.exit("no JSON (exit %d): %s\n%s" % (r.returncode, e, r.stderr.decode(errors="replace")[-3000:]))

    docs = {d["path"]: d for d in doc["inventory"]["documents"]}
    probs = {p["path"]: p for p in doc["problems"]}

    d = docs.get("report_with_scanned_lab.pdf")
    if check(d is not None, "the mixed PDF is not a document: %r" % sorted(docs)):
        check(d["kind"] == "pathology-report", "mixed PDF: kind %r (%s)" % (d["kind"], d.get("kind_evidence")))
        check(d.get("text_layer") is True and d.get("pages") == 2, "mixed PDF: text_layer %r pages %r"
              % (d.get("text_layer"), d.get("pages")))
        names = {b["name"] for b in d.get("biomarkers") or []}
        check("ER" in names, "mixed PDF: ER from the text page not found: %r" % d.get("biomarkers"))
        labs = {l["name"]: l for l in d.get("labs") or []}
        check("CEA" in labs and labs["CEA"].get("value") == 4.2,
              "mixed PDF: CEA 4.2 from the scanned page not read: %r" % d.get("labs"))
        check(isinstance(d.get("ocr"), dict), "mixed PDF: OCR not marked: %r" % d.get("ocr"))
        check("report_with_scanned_lab.pdf" not in probs, "mixed PDF: a problem %r" % probs.get(
            "report_with_scanned_lab.pdf"))

    p = probs.get("huge_scan.png")
    if check(p is not None, "the 30000 x 30000 PNG is no problem: %r" % doc["problems"]):
        check(p["code"] == "limit", "huge PNG: code %r" % p["code"])
        check("30000 x 30000" in p["message"] and "check it by eye" in p["message"],
              "huge PNG: message %r" % p["message"])

    check("lab_photo.jpg" not in probs, "an ordinary photo is a problem: %r" % probs.get("lab_photo.jpg"))
    lab = docs.get("lab_photo.jpg")
    check(lab is not None and lab["kind"] == "lab-report", "the lab photo: %r" % (lab and lab["kind"]))

    for e in errors:
        print("FAIL:", e)
    if errors:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The patient named in the papers (#17 item 4): names, birth dates and
hospital numbers in documents' headers join the DICOM patients in the
multi-patient check (generic.multiple-patients), with the same opaque salted
keys. Drops made here: DICOM with pydicom, PDFs with fixtures/pdfgen.py.

- three patients (two in DICOM, one only in a pathology report) are flagged,
  naming three keys;
- one patient written three ways (DICOM "PATEL^RAVI^KUMAR", "PATEL, Ravi
  Kumar" in a PDF, "Ravi K. Patel" in another) is one key, no gap;
- the same name with another birth date is two patients;
- Cyrillic and Chinese headers: "ФИО: Иванов Иван" is DICOM "IVANOV^IVAN",
  "姓名：张伟" is "ZHANG^WEI=张^伟";
- privacy: no name read from a document is in gap-report.json or in the
  scan's log (stderr)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema
from pydicom.uid import generate_uid

BIN = os.environ.get("INGEST_BIN")
SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idlib import THREE_DOC_WORDS, pathology_pdf, pdfgen, three_patients, unicode_pdf, write_ct  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        sys.stderr.write("FAIL: %s\n" % what)


def scan(drop):
    r = subprocess.run([BIN, "scan", "--today", "2024-03-20", "--json", drop], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    check(r.returncode == 0, "ingest scan --json %s exits 0 (got %d: %s)" % (drop, r.returncode,
                                                                         r.stderr.decode(errors="replace")[-2000:]))
    out = r.stdout.decode("utf-8")
    return json.loads(out), out, r.stderr.decode("utf-8", errors="replace")


def gap(rep, rid):
    return [g for g in rep["gaps"] if g["rule_id"] == rid]


def doc_keys(rep):
    """path of each document -> the patient key it was joined to."""
    m = {}
    for p in rep["inventory"]["patients"]:
        for d in p.get("documents", []):
            m[d] = p["key"]
    return m


def main():
    if not BIN:
        sys.stderr.write("INGEST_BIN is not set (run through meson test)\n")
        return 1
    with open(os.path.join(SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    tmp = tempfile.mkdtemp(prefix="ingest-identity-")
    names = []      # every name written into a document: none may leave in JSON or logs
    try:
        # --- 1. three patients: two in DICOM, one only in a pathology report ---
        d1 = os.path.join(tmp, "three")
        three_patients(d1)
        names += THREE_DOC_WORDS
        rep, raw, log = scan(d1)
        validator.validate(rep)
        pats = rep["inventory"]["patients"]
        check(len(pats) == 3, "three patients: two in DICOM, one named only in a pathology report (got %d: %s)"
              % (len(pats), pats))
        g = gap(rep, "generic.multiple-patients")
        check(len(g) == 1 and g[0]["severity"] == "required", "generic.multiple-patients is raised, required (%s)"
              % g)
        if g:
            check("3 different patients" in g[0]["message"], "the gap says 3 patients: %r" % g[0]["message"])
            check("1 of them named only in documents" in g[0]["message"],
                  "the gap says one was named only in documents: %r" % g[0]["message"])
            for p in pats:
                check(p["key"] in g[0]["evidence"], "the gap's evidence names key %s" % p["key"])
            check("reports/histology-1.pdf" in g[0]["evidence"], "the evidence names the pathology report")
        only_doc = [p for p in pats if not p["studies"]]
        check(len(only_doc) == 1 and only_doc[0]["documents"] == ["reports/histology-1.pdf"],
              "the third patient's records are the pathology report, and no study (%s)" % only_doc)
        check(sum(len(p["studies"]) for p in pats) == 2, "the two studies belong to the two DICOM patients")
        for n in names:
            check(n not in raw, "no name or number from a document in gap-report.json: %r" % n)
            check(n not in log, "no name or number from a document in the scan's log: %r" % n)

        # --- 2. one patient, three ways: DICOM, "PATEL, Ravi Kumar", "Ravi K. Patel" ---
        d2 = os.path.join(tmp, "one")
        write_ct(os.path.join(d2, "cd", "IM1.dcm"), "PATEL^RAVI^KUMAR", "19610302", "H1234",
                 generate_uid(), generate_uid(), n=3)
        pathology_pdf(os.path.join(d2, "reports", "path.pdf"),
                      ["City Hospital - Histopathology", "Name: PATEL, Ravi Kumar", "Date of birth: 02.03.1961"])
        os.makedirs(os.path.join(d2, "letters"))
        pdfgen.make_text_pdf(os.path.join(d2, "letters", "clinic-letter.pdf"), [[
            "Oncology Clinic", "Patient: Mr Ravi K. Patel", "DOB: 1961-03-02    Hospital number: H1234", "",
            "Dear colleague, I saw Mr Patel in clinic today to discuss his biopsy results.",
            "Plan: staging CT of the chest, abdomen and pelvis.",
        ]])
        names += ["Ravi Kumar", "Ravi K."]
        rep2, raw2, log2 = scan(d2)
        validator.validate(rep2)
        pats2 = rep2["inventory"]["patients"]
        check(len(pats2) == 1, "one patient written three ways is one key (got %s)" % pats2)
        check(not gap(rep2, "generic.multiple-patients"), "no multi-patient gap for one patient written three ways")
        if len(pats2) == 1:
            check(sorted(pats2[0]["documents"]) == ["letters/clinic-letter.pdf", "reports/path.pdf"],
                  "both documents belong to the one key (%s)" % pats2[0]["documents"])
            check(len(pats2[0]["studies"]) == 1 and pats2[0]["sources"] == 5,
                  "its study and 3 images + 2 documents as sources (%s)" % pats2[0])
        for n in names:
            check(n not in raw2 and n not in log2, "no name from a document in JSON or log (drop 2): %r" % n)

        # --- 3. the same name, another birth date: two people ---
        d3 = os.path.join(tmp, "twins")
        write_ct(os.path.join(d3, "cd", "IM1.dcm"), "PATEL^RAVI^KUMAR", "19610302", "H1234",
                 generate_uid(), generate_uid())
        pathology_pdf(os.path.join(d3, "reports", "path.pdf"),
                      ["Name: Ravi Kumar Patel", "Date of birth: 14.11.1988"])
        rep3, raw3, log3 = scan(d3)
        pats3 = rep3["inventory"]["patients"]
        check(len(pats3) == 2, "the same name with another birth date is two patients (got %s)" % pats3)
        check(len(gap(rep3, "generic.multiple-patients")) == 1, "and the multi-patient gap is raised")

        # --- 4. other scripts: Cyrillic transliterated, Chinese names by character; a name in a script no
        # other patient is written in cannot be told apart by name: only a differing birth date parts it ---
        d4 = os.path.join(tmp, "scripts")
        write_ct(os.path.join(d4, "cd1", "IM1.dcm"), "IVANOV^IVAN^PETROVICH", "19550101", "R1",
                 generate_uid(), generate_uid())
        write_ct(os.path.join(d4, "cd2", "IM1.dcm"), "ZHANG^WEI=张^伟", "19700505", "C1",
                 generate_uid(), generate_uid(), date="20240201")
        unicode_pdf(os.path.join(d4, "ru", "zakl.pdf"),
                    ["ПАТОЛОГОАНАТОМИЧЕСКОЕ ЗАКЛЮЧЕНИЕ", "ФИО: Иванов Иван Петрович",
                     "Дата рождения: 01.01.1955", "", "Диагноз: аденокарцинома предстательной железы."])
        unicode_pdf(os.path.join(d4, "zh", "report.pdf"),
                    ["病理诊断报告", "姓名：张伟    出生日期：1970-05-05", "", "病理诊断：浸润性导管癌。"])
        unicode_pdf(os.path.join(d4, "zh", "other.pdf"),
                    ["病理诊断报告", "姓名：李娜    性别：女", "", "病理诊断：浸润性导管癌。"])
        # right to left, the birth date in a cell of its own (as forms print it)
        os.makedirs(os.path.join(d4, "ar"))
        pdfgen.make_unicode_pdf(os.path.join(d4, "ar", "report.pdf"), [[
            (300, 60, 11, "تقرير علم الأمراض"), (330, 78, 11, "اسم المريض: خالد منصور العتيبي"),
            (430, 96, 11, "تاريخ الميلاد:"), (330, 96, 11, "1949-06-15"), (330, 130, 11, "التشخيص: سرطان")]])
        unicode_pdf(os.path.join(d4, "ar", "letter.pdf"),
                    ["رسالة طبية", "اسم المريض: سامي فهد الحربي", "", "التشخيص: سرطان"])
        names += ["Иванов", "张伟", "李娜", "العتيبي", "الحربي"]
        rep4, raw4, log4 = scan(d4)
        validator.validate(rep4)
        pats4 = rep4["inventory"]["patients"]
        dk = doc_keys(rep4)
        check(len(pats4) == 4, "Ivanov, Zhang, the Chinese name that is not Zhang's and the Arabic name with "
              "another birth date are four patients (got %s)" % pats4)
        for p in pats4:
            if p["studies"]:
                check(len(p["documents"]) == 1, "each DICOM patient has its document (%s)" % p)
        keys_with_studies = {p["key"] for p in pats4 if p["studies"]}
        check(dk.get("ru/zakl.pdf") in keys_with_studies, "ФИО: Иванов Иван Петрович is IVANOV^IVAN^PETROVICH")
        check(dk.get("zh/report.pdf") in keys_with_studies, "姓名：张伟 is ZHANG^WEI=张^伟")
        for doc in ("zh/other.pdf", "ar/report.pdf"):
            check(doc in dk and dk[doc] not in keys_with_studies, "%s names a patient of its own (%s)" % (doc, dk))
        check("ar/letter.pdf" not in dk, "an Arabic name with no birth date, no patient written in Arabic to compare "
              "with and several in other scripts, is no one's: it cannot be told (%s)" % dk)
        for n in names:
            check(n not in raw4 and n not in log4, "no name from a document in JSON or log (drop 4): %r" % n)

        # --- 5. a DICOM name in a script none of the others is written in, with no birth date: still a patient ---
        d5 = os.path.join(tmp, "dicom-scripts")
        write_ct(os.path.join(d5, "a", "IM1.dcm"), "SMITH^JOHN", "19500101", "A1", generate_uid(), generate_uid())
        write_ct(os.path.join(d5, "b", "IM1.dcm"), "DOE^JANE", "19600101", "B1", generate_uid(), generate_uid())
        write_ct(os.path.join(d5, "c", "IM1.dcm"), "王^芳", "", "C1", generate_uid(), generate_uid())
        rep5, _, _ = scan(d5)
        check(len(rep5["inventory"]["patients"]) == 3, "three DICOM patients, one written in Han only, are three "
              "(got %s)" % rep5["inventory"]["patients"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.stderr.write("%d failure(s)\n" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

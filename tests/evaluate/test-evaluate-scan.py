#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ingest scan` end to end with the rules: the generated drops (fixtures/
gen-fixtures.py) get a cancer type, a status and gaps whose rule ids exist,
case.yaml problems carry FILE:LINE:COL, and the report validates against
docs/gap-report.schema.json."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema

SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("INGEST_BIN")
RULES = os.path.join(SRC, "rules")
# the generic checks of SPEC §5 (libingest/evaluate.c)
GENERIC_CHECKS = {"generic.multiple-patients", "generic.missing-instances", "generic.corrupt-files",
                  "generic.conflicting-duplicates", "generic.case-yaml", "generic.degraded-imaging",
                  "generic.report-without-images", "generic.images-without-report",
                  "generic.translation", "generic.dicomdir", "generic.locked-files",
                  "generic.failed-downloads", "generic.other-cancer-types",
                  # the file-set as a PACS files it, by Patient ID (libingest/evaluate-generic.c, check_pacs)
                  "generic.pacs-no-patient-id", "generic.pacs-padded-patient-id",
                  "generic.pacs-shared-patient-id", "generic.pacs-several-patient-ids",
                  "generic.pacs-study-several-patient-ids",
                  # the package's DICOMDIR records (check_pacs too)
                  "generic.fileset-person-several-records", "generic.fileset-study-several-records"}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        sys.stderr.write("FAIL: %s\n" % what)


def rule_ids():
    ids = set()
    for name in os.listdir(RULES):
        if name.endswith(".yaml"):
            with open(os.path.join(RULES, name), encoding="utf-8") as f:
                ids.update(re.findall(r"^\s*-\s*id:\s*([a-z0-9.-]+)\s*$", f.read(), re.M))
    return ids


def scan(args, today="2024-03-20"):
    r = subprocess.run([BIN, "scan", "--today", today] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    return r.returncode, r.stdout.decode("utf-8"), r.stderr.decode(errors="replace")


def scan_json(args, **kw):
    rc, out, err = scan(["--json"] + args, **kw)
    check(rc == 0, "ingest scan --json %s exits 0 whatever the gaps (got %d: %s)" % (args, rc, err[-2000:]))
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        sys.stderr.write("FAIL: not JSON (%s): %r\n" % (e, out[:2000]))
        sys.exit(1)


def main():
    if not BIN:
        sys.stderr.write("INGEST_BIN is not set (run through meson test)\n")
        return 1
    with open(os.path.join(SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    known = rule_ids() | GENERIC_CHECKS
    check(len(known) > 100, "rule ids read from rules/ (%d)" % len(known))

    tmp = tempfile.mkdtemp(prefix="ingest-eval-")
    try:
        out = os.path.join(tmp, "fx")
        r = subprocess.run([sys.executable, os.path.join(SRC, "fixtures", "gen-fixtures.py"), out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if r.returncode != 0:
            sys.stderr.write("gen-fixtures.py failed: %s\n" % r.stderr.decode(errors="replace"))
            return 1
        drops = os.path.join(out, "drops")

        def valid(doc, label):
            errs = ["%s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(top)", e.message)
                    for e in validator.iter_errors(doc)]
            check(not errs, "%s validates against the schema: %s" % (label, errs[:5]))

        def gaps_ok(doc, label):
            check(doc.get("status") in ("complete", "incomplete", "blocked"), "%s has a status" % label)
            for g in doc.get("gaps", []):
                check(g["rule_id"] in known, "%s: gap rule id %s exists" % (label, g["rule_id"]))
                check(g["severity"] in ("required", "recommended", "warning"), "%s: severity" % label)
                check(len(g["message"]) > 10, "%s: %s has a message" % (label, g["rule_id"]))
            req = sum(1 for g in doc.get("gaps", []) if g["severity"] == "required")
            check(doc.get("required_gaps") == req, "%s: required_gaps = %d" % (label, req))
            if doc.get("status") != "blocked":
                check((req > 0) == (doc["status"] == "incomplete"), "%s: status follows the required gaps" % label)

        # CASE-DEMO-1: case.yaml says breast / metastatic
        d1 = scan_json([os.path.join(drops, "CASE-DEMO-1")])
        valid(d1, "CASE-DEMO-1")
        gaps_ok(d1, "CASE-DEMO-1")
        ct = d1.get("cancer_type", {})
        check(ct.get("id") == "breast" and ct.get("source") == "case.yaml",
              "CASE-DEMO-1 cancer_type from case.yaml: %s" % ct)
        check(d1.get("setting") == "metastatic", "CASE-DEMO-1 setting: %s" % d1.get("setting"))
        check((d1.get("question") or "").startswith("Is the current first-line plan complete"),
              "CASE-DEMO-1 question: %r" % d1.get("question"))
        ids = {g["rule_id"]: g for g in d1["gaps"]}
        # two patients (ROE^MARY's head CT): required, and the case is incomplete
        check(ids.get("generic.multiple-patients", {}).get("severity") == "required",
              "CASE-DEMO-1 multiple patients is required")
        check(d1["status"] == "incomplete", "CASE-DEMO-1 incomplete")
        check("generic.missing-instances" in ids, "CASE-DEMO-1 missing instances (7, 8 of the axial CT)")
        check("generic.corrupt-files" in ids, "CASE-DEMO-1 the truncated MR image is named")
        for g in d1["gaps"]:
            check("DOE" not in g["message"] + (g.get("evidence") or "") and
                  "ROE" not in g["message"] + (g.get("evidence") or ""),
                  "CASE-DEMO-1: no patient names in gaps (%s)" % g["rule_id"])

        # CASE-DEMO-2: case.yaml says nsclc
        d2 = scan_json([os.path.join(drops, "CASE-DEMO-2")])
        valid(d2, "CASE-DEMO-2")
        gaps_ok(d2, "CASE-DEMO-2")
        check(d2["cancer_type"]["id"] == "nsclc" and d2["cancer_type"]["source"] == "case.yaml",
              "CASE-DEMO-2 cancer_type from case.yaml: %s" % d2["cancer_type"])
        check(d2.get("patient_language") == "zh", "CASE-DEMO-2 patient_language")

        # "lung" is not a rules id: a problem at case.yaml:1:14, generic rules
        unk = os.path.join(tmp, "UNKNOWN-TYPE")
        shutil.copytree(os.path.join(drops, "CASE-DEMO-2"), unk)
        with open(os.path.join(unk, "case.yaml"), "w", encoding="utf-8") as f:
            f.write("cancer_type: lung\nsetting: metastatic\n")
        d2u = scan_json([unk])
        valid(d2u, "UNKNOWN-TYPE")
        gaps_ok(d2u, "UNKNOWN-TYPE")
        check(d2u["cancer_type"]["id"] == "generic" and d2u["cancer_type"]["source"] == "generic",
              "unknown cancer_type falls back to generic: %s" % d2u["cancer_type"])
        probs = [p for p in d2u["problems"] if p["path"] == "case.yaml"]
        check(len(probs) == 1 and probs[0]["code"] == "corrupt" and
              probs[0]["message"].startswith('case.yaml:1:14: unknown cancer_type "lung"'),
              "unknown cancer_type: case.yaml problem: %s" % probs)

        # --cancer-type overrides case.yaml
        d3 = scan_json(["--cancer-type", "nsclc", os.path.join(drops, "CASE-DEMO-2")])
        check(d3["cancer_type"]["id"] == "nsclc" and d3["cancer_type"]["source"] == "option",
              "--cancer-type: %s" % d3["cancer_type"])
        valid(d3, "CASE-DEMO-2 --cancer-type nsclc")
        gaps_ok(d3, "CASE-DEMO-2 --cancer-type nsclc")

        # a bad setting in case.yaml: a problem with line and column, never an abort
        bad = os.path.join(tmp, "BAD-YAML")
        shutil.copytree(os.path.join(drops, "CASE-DEMO-2"), bad)
        with open(os.path.join(bad, "case.yaml"), "w", encoding="utf-8") as f:
            f.write("cancer_type: nsclc\nsetting: late\nquestion: \"Which first-line treatment is best here?\"\n")
        d4 = scan_json([bad])
        valid(d4, "BAD-YAML")
        probs = [p for p in d4["problems"] if p["path"] == "case.yaml"]
        check(len(probs) == 1 and probs[0]["code"] == "corrupt" and
              'case.yaml:2:10: unknown setting "late"' in probs[0]["message"],
              "bad setting reported: %s" % probs)
        check(d4["cancer_type"]["source"] == "case.yaml" and d4["setting"] is None,
              "the rest of case.yaml is still used: %s %s" % (d4["cancer_type"], d4["setting"]))
        check("generic.case-yaml" in {g["rule_id"] for g in d4["gaps"]}, "case.yaml mistakes are a gap")

        # the text report leads with the status
        rc, text, err = scan([os.path.join(drops, "CASE-DEMO-1")])
        check(rc == 0, "text scan exits 0")
        lines = [l for l in text.splitlines() if l.strip()]
        check(len(lines) > 2 and lines[1].startswith("STATUS: INCOMPLETE"),
              "text report starts with the status: %r" % lines[:3])
        check("Required" in text and "generic.multiple-patients" in text, "text report lists required gaps")

        # every generated drop still validates
        for name in sorted(os.listdir(drops)):
            doc = scan_json([os.path.join(drops, name)])
            valid(doc, name)
            gaps_ok(doc, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.stderr.write("%d failure(s)\n" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

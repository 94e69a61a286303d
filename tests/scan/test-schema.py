#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ingest scan --json` of every generated drop validates against
docs/gap-report.schema.json; and the schema does reject broken documents
(so this test can fail)."""

import copy
import json
import os
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402


def load_validator():
    path = os.path.join(scanlib.SRC, "docs", "gap-report.schema.json")
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors_of(v, doc):
    return ["%s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(top)", e.message)
            for e in v.iter_errors(doc)]


def breakages(doc):
    """Copies of a valid document, each broken in one way the schema must catch."""
    out = []

    def broken(label, fn):
        d = copy.deepcopy(doc)
        if fn(d) is not False:
            out.append((label, d))

    broken("no schema_version", lambda d: d.pop("schema_version"))
    broken("schema_version 2", lambda d: d.__setitem__("schema_version", 2))
    broken("no case_id", lambda d: d.pop("case_id"))
    broken("case_id with a slash", lambda d: d.__setitem__("case_id", "../x"))
    broken("no problems", lambda d: d.pop("problems"))
    broken("no inventory", lambda d: d.pop("inventory"))
    broken("unknown problem code", lambda d: d["problems"].append(
        {"path": "x", "code": "exploded", "message": "m"}))
    broken("problem without message", lambda d: d["problems"].append(
        {"path": "x", "code": "corrupt"}))

    def bad_kind(d):
        files = d["inventory"].get("files")
        if not files:
            return False
        files[0]["kind"] = "dicom-picture"

    broken("unknown file kind", bad_kind)

    def bad_sha(d):
        files = d["inventory"].get("files")
        if not files:
            return False
        files[0]["sha256"] = "XYZ"

    broken("bad sha256", bad_sha)

    def bad_instances(d):
        for st in d["inventory"].get("studies") or []:
            for se in st.get("series") or []:
                se["instances"] = "24"
                return
        return False

    broken("instances as a string", bad_instances)

    def bad_date(d):
        for st in d["inventory"].get("studies") or []:
            st["date"] = "20240302"
            return
        return False

    broken("study date not YYYY-MM-DD", bad_date)
    broken("status unknown", lambda d: d.__setitem__("status", "fine"))
    broken("gap severity unknown", lambda d: d.__setitem__(
        "gaps", [{"rule_id": "x", "severity": "urgent", "message": "m"}]))
    return out


def main():
    v = load_validator()
    failures = []
    with scanlib.tmpdir() as tmp:
        out, expected = scanlib.generate(tmp)
        docs = []
        for name in sorted(expected["drops"]):
            rc, doc, err = scanlib.scan_json(os.path.join(out, "drops", name))
            errs = errors_of(v, doc)
            if errs:
                failures += ["%s: %s" % (name, e) for e in errs]
            print("%s: %s" % (name, "valid" if not errs else "%d schema errors" % len(errs)))
            docs.append((name, doc))
    # the schema must be able to say no
    for name, doc in docs:
        for label, bad in breakages(doc):
            if not errors_of(v, bad):
                failures.append("%s: schema accepted a document with %s" % (name, label))
    minimal = {"schema_version": 1, "case_id": "CASE-1", "inventory": {}, "problems": []}
    if errors_of(v, minimal):
        failures.append("schema rejects the minimal document: %s" % errors_of(v, minimal))
    if not errors_of(v, {}):
        failures.append("schema accepted an empty object")
    if failures:
        for f in failures:
            sys.stderr.write("FAIL: %s\n" % f)
        sys.exit(1)


if __name__ == "__main__":
    main()

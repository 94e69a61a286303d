#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drop whose name, and whose files' names, are not UTF-8 (an inbox file
name is any bytes but '/' and NUL; a CD burnt in Latin-1 or Shift-JIS has
such names): `ingest scan --json` still prints UTF-8 JSON that validates
against docs/gap-report.schema.json, each invalid byte shown as U+FFFD,
the valid characters kept, and a case id made of the folder's name that is
one ([A-Za-z0-9._-]); `ingest package` refuses that name and asks for
--case-id. Before the fix the drop's own name went into the
report as it was, and a strict JSON parser refused the whole report; a
folder named "Case 12" gave a case id the schema refuses."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402


def main():
    with open(os.path.join(scanlib.SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    tmp = tempfile.mkdtemp(prefix="test-names.")
    try:
        drop = os.path.join(tmp.encode(), b"caf\xe9-\xff\xfe-M\xc3\xbcller")   # Latin-1 e-acute, two bad bytes, UTF-8 u-umlaut
        os.mkdir(drop)
        with open(os.path.join(drop, b"Befund \xe4rztlich.txt"), "w") as f:
            f.write("Pathology report\nInvasive ductal carcinoma of the left breast.\n")
        with open(os.path.join(drop, b"ok.txt"), "w") as f:
            f.write("Discharge summary\n")
        r = subprocess.run([scanlib.BIN, "scan", "--json", drop], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=scanlib.SCAN_TIMEOUT)
        try:
            text = r.stdout.decode("utf-8")          # strict: any invalid byte fails here
        except UnicodeDecodeError as e:
            scanlib.fail("the report is not UTF-8: %s: %r" % (e, r.stdout[max(0, e.start - 40):e.end + 40]))
        doc = json.loads(text)
        errs = ["%s: %s" % ("/".join(str(x) for x in e.absolute_path), e.message) for e in validator.iter_errors(doc)]
        if errs:
            scanlib.fail("the report does not validate: %s" % errs[:5])
        if doc["case_id"] != "caf_-_-M_ller":
            scanlib.fail("the case id made of the folder's name: %r (expected each run of other bytes as one '_')"
                         % doc["case_id"])
        name = doc["drops"][0]["name"]
        if name != "caf\ufffd-\ufffd\ufffd-M\u00fcller":
            scanlib.fail("the drop's name: %r (expected each invalid byte as U+FFFD, the rest kept)" % name)
        paths = sorted(x["path"] for x in doc["inventory"]["files"])
        if paths != ["Befund \ufffdrztlich.txt", "ok.txt"]:
            scanlib.fail("the files' names: %r" % paths)
        # ingest package names a folder after the case: it refuses the name and asks for --case-id
        p = subprocess.run([scanlib.BIN, "package", drop, "--out", os.path.join(tmp, "outbox"), "--no-fetch"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=scanlib.SCAN_TIMEOUT)
        if p.returncode != 2 or b"give one with --case-id" not in p.stderr:
            scanlib.fail("ingest package of the same folder: exit %d, %r" % (p.returncode, p.stderr[-400:]))
        print("ok: drop name %r, files %r; exit %d; package refused the name" % (name, paths, r.returncode))
    finally:
        shutil.rmtree(tmp.encode() if isinstance(tmp, str) else tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

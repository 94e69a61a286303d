#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every gap report the test run made validates against
docs/gap-report.schema.json (#19 item 4: "a test loops over them").

The library writes a copy of each report it makes (ingest scan --json, each
package's gap-report.json, the daemon's) into INGEST_TEST_REPORT_COPIES
(test hook, docs/test-hooks.md). Meson runs this test last and alone
(priority -1000, not parallel); it reads every copy, deletes it, and fails
on any report the schema rejects, or when fewer than MIN_REPORTS were made
(the hook or the folder is broken: nothing was checked). Run on its own
(`meson test scan-all-reports`) after nothing else, it has nothing to check
and says so by failing."""
import json
import os
import sys

import jsonschema

SRC = os.environ.get("INGEST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
DIR = os.environ.get("INGEST_TEST_REPORT_COPIES")
MIN_REPORTS = 20

if not DIR:
    print("FAIL: INGEST_TEST_REPORT_COPIES is not set (tests/meson.build sets it)", file=sys.stderr)
    sys.exit(1)
with open(os.path.join(SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
    schema = json.load(f)
v = jsonschema.Draft202012Validator(schema)
names = sorted(os.listdir(DIR)) if os.path.isdir(DIR) else []
bad, seen, sources = [], 0, {}
for n in names:
    p = os.path.join(DIR, n)
    try:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        os.unlink(p)
        doc = json.loads(text)
    except (OSError, ValueError) as e:
        bad.append("%s: not JSON (%s)" % (n, e))
        continue
    seen += 1
    errs = ["%s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(top)", e.message)
            for e in v.iter_errors(doc)]
    if errs:
        bad.append("%s (case %s): %s" % (n, doc.get("case_id"), "; ".join(errs[:5])))
    sources[doc.get("case_id")] = sources.get(doc.get("case_id"), 0) + 1
if bad:
    print("FAIL: %d of %d reports do not validate:\n  %s" % (len(bad), seen, "\n  ".join(bad[:40])), file=sys.stderr)
    sys.exit(1)
if seen < MIN_REPORTS:
    print("FAIL: only %d reports were made by the run (at least %d expected): run the whole suite"
          % (seen, MIN_REPORTS), file=sys.stderr)
    sys.exit(1)
print("ok: %d reports of %d cases validate against the schema" % (seen, len(sources)))

# SPDX-License-Identifier: GPL-3.0-or-later
"""DICOMDIR cross-check: on a copy of the fixture disc, one referenced file is
removed, one unlisted DICOM file is added, and one file is renamed to lower
case (as some burners and copy tools do). The report must name the missing
file and the unlisted one, and resolve the case mismatch instead of calling
the file missing."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out, _ = scanlib.generate(tmp)
        drop = os.path.join(out, "drops", "CASE-DEMO-1")
        code, doc, err = scanlib.scan_json(drop)
        if code != 0:
            scanlib.fail("scan failed: %s" % err)
        dds = doc["inventory"].get("dicomdirs") or []
        if len(dds) != 1:
            scanlib.fail("expected one DICOMDIR, got %r" % [d.get("path") for d in dds])
        clean = dds[0]
        if clean["missing_files"] or clean["unreferenced_files"] or clean["case_or_separator_mismatches"]:
            scanlib.fail("the generated disc should cross-check cleanly: %r" % clean)
        disc = os.path.dirname(os.path.join(drop, clean["path"]))

        dicom = sorted(os.path.relpath(os.path.join(dp, f), disc)
                       for dp, _, fs in os.walk(disc) for f in fs if "/" in os.path.relpath(os.path.join(dp, f), disc))
        dicom = [p for p in dicom if p.upper().startswith("DICOM/")]
        if len(dicom) < 3:
            scanlib.fail("the fixture disc has too few DICOM files: %r" % dicom)
        removed, renamed, copied = dicom[0], dicom[1], dicom[2]
        os.unlink(os.path.join(disc, removed))
        lower = os.path.join(os.path.dirname(renamed), os.path.basename(renamed).lower())
        os.rename(os.path.join(disc, renamed), os.path.join(disc, lower))
        extra = os.path.join(os.path.dirname(copied), "EXTRA001")
        shutil.copyfile(os.path.join(disc, copied), os.path.join(disc, extra))

        code, doc, err = scanlib.scan_json(drop)
        if code != 0:
            scanlib.fail("scan failed: %s" % err)
        dd = doc["inventory"]["dicomdirs"][0]
        prefix = os.path.dirname(clean["path"])
        want_missing = removed
        if dd["missing_files"] != [want_missing]:
            scanlib.fail("missing_files %r, expected [%r]" % (dd["missing_files"], want_missing))
        if dd["unreferenced_files"] != [prefix + "/" + extra]:
            scanlib.fail("unreferenced_files %r, expected [%r]" % (dd["unreferenced_files"], prefix + "/" + extra))
        if dd["case_or_separator_mismatches"] != 1 or renamed not in dd.get("case_mismatch_example", ""):
            scanlib.fail("case mismatch not resolved: %r" % dd)
        if dd["references"] != clean["references"]:
            scanlib.fail("references %r, expected %r" % (dd["references"], clean["references"]))
    print("DICOMDIR cross-check: missing, unlisted and case-changed files reported as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rules/words/report.yaml (the reports' words for DICOM codes and kinds of
files) is checked with the rules: a folder whose words file is wrong does not
validate, and the error names FILE:LINE:COL; a folder without it validates
(codes are then shown as they are). Wrong: a value that is not words, an
unknown section, a modality name (modality_names) missing for an image
modality or naming a code without words, a kind of file without words or
that is no kind.

usage: test-words.py RULES_TOOL RULES_DIR"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        sys.stderr.write("FAIL: %s\n" % what)


def validate(tool, rules, words):
    with tempfile.TemporaryDirectory() as tmp:
        for src in glob.glob(os.path.join(rules, "*.yaml")):
            shutil.copy(src, tmp)
        shutil.copytree(os.path.join(rules, "vocabulary"), os.path.join(tmp, "vocabulary"))
        if words is not None:
            os.mkdir(os.path.join(tmp, "words"))
            with open(os.path.join(tmp, "words", "report.yaml"), "w", encoding="utf-8") as f:
                f.write(words)
        p = subprocess.run([tool, "rules", "validate", tmp], capture_output=True, text=True, timeout=120)
        return p.returncode, p.stderr.replace(tmp + "/", "")


def main():
    tool, rules = sys.argv[1:3]
    with open(os.path.join(rules, "words", "report.yaml"), encoding="utf-8") as f:
        shipped = f.read()
    rc, err = validate(tool, rules, shipped)
    check(rc == 0, "the shipped words validate: %s" % err)
    rc, err = validate(tool, rules, None)
    check(rc == 0, "a folder without words validates: %s" % err)
    for text, want in (
            ("modalities:\n  CT: computed tomography\nsizes: {}\n", "words/report.yaml:3:1: unknown key"),
            ("modalities:\n  CT: [a, b]\n", "words/report.yaml:2:8: expected code: words"),
            ("body_parts: 3\n", "words/report.yaml:1:1: expected a map of code: words"),
            ("modalities: {CT: x\n", "words/report.yaml:"),
    ):
        rc, err = validate(tool, rules, text)
        check(rc != 0 and want in err, "%r: refused with %r (rc %d: %s)" % (text, want, rc, err.strip()[:300]))

    # the shipped file with one entry of modality_names or kinds changed: refused, at the entry
    head, names = shipped.split("\nmodality_names:\n", 1)
    names, kinds = names.split("\nkinds:\n", 1)
    head += "\nmodality_names:\n"
    names += "\nkinds:\n"
    line_of = lambda text, entry: text[:text.index(entry)].count("\n") + 1
    for what, text, want in (
            ("a name missing", head + names.replace("  XA: angiography\n", "") + kinds,
             "modality_names: XA has no name"),
            ("a name that is not words", head + names.replace("  MR: MRI\n", "  MR: [MRI, MR]\n") + kinds,
             "words/report.yaml:%d:8: expected code: words" % line_of(shipped, "  MR: MRI\n")),
            ("a name of a code without words", head + names.replace("  PT+CT: PET-CT\n", "  PT+ZZ: PET-ZZ\n") + kinds,
             "words/report.yaml:%d:3: modality_names: \"PT+ZZ\": ZZ is not in modalities" %
             line_of(shipped, "  PT+CT: PET-CT\n")),
            ("a name of three codes", head + names.replace("  PT+MR: PET-MRI\n", "  PT+MR+CT: PET-MRI-CT\n") + kinds,
             "words/report.yaml:%d:3: modality_names: \"PT+MR+CT\": a name is of one code or two" %
             line_of(shipped, "  PT+MR: PET-MRI\n")),
            ("a kind missing", head + names + kinds.replace("  pathology-report: pathology report\n", ""),
             "kinds: pathology-report has no words"),
            ("a kind that is no kind", head + names + kinds.replace("  photo: photo\n", "  photos: photo\n"),
             "words/report.yaml:%d:3: kinds: \"photos\" is not a kind of file" % line_of(shipped, "  photo: photo\n")),
            ("a kind's words not words", head + names + kinds.replace("  photo: photo\n", "  photo: {a: b}\n"),
             "words/report.yaml:%d:11: expected code: words" % line_of(shipped, "  photo: photo\n")),
    ):
        check(text != shipped, "%s: the shipped file was changed" % what)
        rc, err = validate(tool, rules, text)
        check(rc != 0 and want in err, "%s: refused with %r (rc %d: %s)" % (what, want, rc, err.strip()[:300]))
    if failures:
        return 1
    print("words: checked with the rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

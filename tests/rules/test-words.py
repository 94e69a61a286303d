#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rules/words/report.yaml (the reports' words for DICOM codes) is checked with
the rules: a folder whose words file is wrong does not validate, and the error
names FILE:LINE:COL; a folder without it validates (codes are then shown as
they are).

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
    if failures:
        return 1
    print("words: checked with the rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

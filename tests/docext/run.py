# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs one docext test case: makes its inputs in a scratch folder with gen.py,
then runs the C driver on them.

    run.py DRIVER CASE
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Inputs each case needs (gen.py kinds); the driver finds them as DIR/KIND.
INPUTS = {
    "text-pdf": ["text-pdf"],
    "image-pdf": ["image-pdf"],
    "image": ["lab-jpeg"],
    "image-rotated": ["lab-jpeg-rot90"],
    "langs": ["lab-jpeg"],
    "layout-pdf": ["table-pdf"],
    "layout-rtl": ["ar-table-pdf"],
    "layout-ocr": ["lab-jpeg", "lab-jpeg-rot180"],
    "ocr-scripts": ["ru-jpeg", "zh-jpeg", "zh-mixed-jpeg", "zh-mixed2-jpeg"],
    "text-encodings": ["utf8", "utf16le", "utf16be", "utf16-nobom", "cp1252"],
    "truncate": ["long-text"],
    "garbage": ["garbage"],
    "encrypted": ["encrypted-pdf"],
    "crash": ["fault-pdf"],
    "hang": ["fault-pdf"],
    "stall": ["fault-pdf"],
    "too-big": ["big"],
    "mem-bomb": ["png-bomb"],
    "sigchld": ["text-pdf", "fault-pdf"],
    "bench": ["text-pdf", "image-pdf"],
    "mixed-pdf": ["mixed-pdf"],
    "image-too-large": ["png-huge"],
}


def main():
    driver, case = sys.argv[1], sys.argv[2]
    d = tempfile.mkdtemp(prefix="docext-")
    try:
        for kind in INPUTS[case]:
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen.py"), kind,
                            os.path.join(d, kind)], check=True)
        r = subprocess.run([driver, case, d])
        sys.exit(r.returncode)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()

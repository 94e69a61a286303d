#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A file still being written is never taken: writers that pause longer than
settle_seconds mid-file, with the file open, in a case folder and as a
single-file drop. Then --check-config on good and bad files."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402


def check_config(t):
    r = subprocess.run([dlib.INGESTD, "--check-config", "--config", t.config], capture_output=True, text=True)
    if r.returncode != 0:
        fail("--check-config on a good file: %d %s" % (r.returncode, r.stderr))
    bad = os.path.join(t.root, "bad.yaml")
    with open(bad, "w") as f:
        f.write("settle_seconds: soon\nworkers: 2\nlimits:\n  max_depth: 0\n  nope: 1\nmail:\n  smtp_url: ftp://x\n")
    r = subprocess.run([dlib.INGESTD, "--check-config", "--config", bad], capture_output=True, text=True)
    want = ["%s:1:17:" % bad, "%s:4:14:" % bad, "%s:5:3:" % bad, "%s:7:13:" % bad]
    if r.returncode != 1 or any(w not in r.stderr for w in want):
        fail("--check-config on a bad file: rc %d, wanted %r in:\n%s" % (r.returncode, want, r.stderr))
    r = subprocess.run([dlib.INGESTD, "--help"], capture_output=True, text=True)
    if r.returncode != 0 or "--check-config" not in r.stdout:
        fail("--help")
    print("ok: --check-config, --help")


def main():
    t = dlib.Tree(settle=1, workers=2)
    try:
        check_config(t)
        t.start()
        payload = open(os.path.join(t.fixtures, "expected.json"), "rb").read() * 4
        # a case folder with one file written in two halves, 3.5 s apart (> settle), left open
        d = os.path.join(t.inbox, "CASE-SLOW")
        os.makedirs(d)
        f = open(os.path.join(d, "notes.txt"), "wb")
        f.write(payload[: len(payload) // 2])
        f.flush()
        # a single-file drop written the same way
        g = open(os.path.join(t.inbox, "CASE-SLOWZIP.zip"), "wb")
        z = os.path.join(t.root, "x.zip")
        dlib.zip_dir(os.path.join(t.fixtures, "drops", "CASE-DEMO-2"), z)
        zb = open(z, "rb").read()
        g.write(zb[: len(zb) // 2])
        g.flush()
        time.sleep(3.5)
        if not os.path.exists(d) or not os.path.exists(os.path.join(t.inbox, "CASE-SLOWZIP.zip")):
            fail("a drop was taken while a file in it was open and being written")
        if t.drops():
            fail("journal has drops already: %r" % t.drops())
        f.write(payload[len(payload) // 2:])
        g.write(zb[len(zb) // 2:])
        time.sleep(2.5)  # paused again, still open
        if not os.path.exists(d) or t.drops():
            fail("taken before the writer closed the file")
        f.close()
        g.close()
        t0 = time.time()
        rows = t.wait_done(2, timeout=300)
        print("ok: taken %.1f s after the writers closed their files" % (time.time() - t0))
        for c in ("CASE-SLOW", "CASE-SLOWZIP"):
            t.verify(c)
        # the whole file made it: the archived copy is complete
        arch = os.path.join(t.archive, "CASE-SLOW", rows[[r[3] for r in rows].index("CASE-SLOW")][2], "notes.txt")
        if open(arch, "rb").read() != payload:
            fail("the archived file is not the whole file")
        t.check_clean()
        if t.stop() != 0:
            fail("ingestd did not exit cleanly")
    finally:
        t.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()

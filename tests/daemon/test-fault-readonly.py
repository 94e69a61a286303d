#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault: the outbox's filesystem turns read-only (EROFS).

The outbox is a tmpfs this test mounts (root; skipped otherwise). CASE-RO1 is
published while it is writable; then it is remounted read-only and two drops
arrive: a second drop of CASE-RO1 (an update) and a new case CASE-RO2. Both
must be reported (log, journal last_error, `ingest status`), kept (in work/,
not archived, not quarantined), the published package of CASE-RO1 must stay
as it was and still verify, and once the outbox is writable again both are
published exactly once (the retry's backoff is skipped by moving the failure
back in time in the journal) and verify."""

import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402


def main():
    t = dlib.Tree(settle=1, workers=2)
    m = None
    try:
        m = fl.outbox_on_tmpfs(t, "64m")
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")
        t.start()
        dlib.place(t, fx, "CASE-RO1")
        t.wait_done(1, timeout=300)
        before = t.verify("CASE-RO1")
        tagm = open(os.path.join(before, "tagmanifest-sha256.txt")).read()

        m.remount("ro")
        small = os.path.join(t.root, "more")
        os.makedirs(small)
        pdfs = sorted(os.path.join(dp, f) for dp, _, fn in os.walk(fx) for f in fn if f.lower().endswith(".pdf"))
        with open(pdfs[0], "rb") as src, open(os.path.join(small, "report.pdf"), "wb") as dst:
            dst.write(src.read())
        tp = os.path.join(t.root, "second.tar")
        with tarfile.open(tp, "w") as tf:
            tf.add(small, arcname="more")
        dlib.place(t, tp, "CASE-RO1+second.tar")
        dlib.place(t, fx, "CASE-RO2")
        names = (("CASE-RO1", "CASE-RO1+second.tar"), ("CASE-RO2", "CASE-RO2"))
        for _, name in names:
            fl.wait_attempts(t, name, 2, timeout=120)    # failed, and retried once by the daemon itself
        for case, name in names:
            row = fl.check_reported(t, name, ["Read-only file system"], ["Read-only file system"])
            print("reported: %s: attempt %d: %s" % (name, row[5], row[6]))
            fl.check_kept(t, case, name)
        fl.check_nothing_published(t, "CASE-RO2")
        if open(os.path.join(before, "tagmanifest-sha256.txt")).read() != tagm:
            fail("the published package of CASE-RO1 changed while the outbox was read-only")
        t.verify("CASE-RO1")

        m.remount("rw")
        for _, name in names:
            fl.time_travel(t, name)
        t.wait_done(3, timeout=300)
        fl.check_final(t, ["CASE-RO1", "CASE-RO2"])
        p = t.package("CASE-RO1")
        if open(os.path.join(p, "tagmanifest-sha256.txt")).read() == tagm:
            fail("CASE-RO1 was not updated with its second drop")
        if "report.pdf" not in open(os.path.join(p, "provenance.tsv")).read():
            fail("the second drop of CASE-RO1 is not in its package")
        if t.stop() != 0:
            fail("unclean stop")
        print("ok: EROFS reported, drops kept, old package intact, published once each when writable")
    finally:
        fl.teardown(t, m)
    print("PASS")


if __name__ == "__main__":
    main()

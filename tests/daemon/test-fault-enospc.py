#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault: the outbox's filesystem is full (ENOSPC) while packaging.

The outbox is a small tmpfs this test mounts (root; skipped otherwise), filled
up to a few hundred KiB by a filler file. Two drops bigger than the space (a
folder and a zip, whose entries are expanded in outbox/.building/) must be:
reported (log line, journal last_error, `ingest status`), kept (in work/, not
archived, not quarantined as bad input, nothing published, nothing left in
.building/ but the lock), retried with backoff -- more times than the
give-up limit for bad input (3; the backoff waits are skipped by moving the
last failure back in the journal) -- and published exactly once each, verified,
once the filler is deleted."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402


def main():
    t = dlib.Tree(settle=1, workers=2)
    m = None
    try:
        m = fl.outbox_on_tmpfs(t, "4m")
        ob = t.outbox
        filler = os.path.join(ob, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (4 * 1024 * 1024 - 160 * 1024))
        t.start()
        fx1 = os.path.join(t.fixtures, "drops", "CASE-DEMO-1")      # ~1.1 MB
        z = os.path.join(t.root, "demo2.zip")
        dlib.zip_dir(os.path.join(t.fixtures, "drops", "CASE-DEMO-2"), z)
        dlib.place(t, fx1, "CASE-FULL1")
        dlib.place(t, z, "CASE-FULL2.zip")

        names = ("CASE-FULL1", "CASE-FULL2.zip")
        for name in names:
            fl.wait_attempts(t, name, 2, timeout=120)     # failed, and retried once by the daemon itself
        # Past the give-up limit for bad input (3 failures): still never quarantined.
        for name in names:
            fl.time_travel(t, name, attempts=3)
        for name in names:
            fl.wait_attempts(t, name, 4, timeout=120)
        for case, name in (("CASE-FULL1", "CASE-FULL1"), ("CASE-FULL2", "CASE-FULL2.zip")):
            row = fl.check_reported(t, name, ["No space left on device"], ["No space left on device"])
            print("reported: %s: attempt %d: %s" % (name, row[5], row[6]))
            fl.check_kept(t, case, name)
            fl.check_nothing_published(t, case)
        fl.check_building_clean(t)

        os.unlink(filler)   # space is made: the next retry publishes
        for name in names:
            fl.time_travel(t, name)
        t.wait_done(2, timeout=400)
        fl.check_final(t, ["CASE-FULL1", "CASE-FULL2"])
        if t.stop() != 0:
            fail("unclean stop")
        print("ok: ENOSPC reported, drops kept and retried, published once each after space was made")
    finally:
        fl.teardown(t, m)
    print("PASS")


if __name__ == "__main__":
    main()

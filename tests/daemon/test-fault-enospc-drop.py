#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault: the outbox fills up because of the drop itself (issue 20, item 2).

The outbox is a 32 MiB tmpfs this test mounts (root; skipped otherwise),
empty. A 42.zip-style bomb (23 KB, 4 TiB declared) expands up to its budget
(64 MiB, limits.max_drop_ratio's floor), more than the whole outbox: its
build alone writes more than half the filesystem before ENOSPC, so it is the
drop's fault. It must be quarantined at once with that reason (not retried
forever with the disk held full), and a normal drop beside it published.
The disk full for other reasons (a filler file) is still retried: that is
daemon-fault-enospc."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "expand"))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402
from expandlib import make_bomb  # noqa: E402


def main():
    t = dlib.Tree(settle=1, workers=2)
    m = None
    try:
        m = fl.outbox_on_tmpfs(t, "32m")
        t.start()
        bomb = os.path.join(t.root, "bomb.zip")
        make_bomb(bomb)
        t0 = time.time()
        dlib.place(t, bomb, "CASE-BOMB.zip")
        dlib.place(t, os.path.join(t.fixtures, "drops", "CASE-DEMO-1"), "CASE-OK")

        row = fl.wait_for(lambda: (lambda r: r if r and r[4] == 7 else None)(fl.drop_row(t, "CASE-BOMB.zip")),
                          180, "the bomb's drop quarantined", t)
        detail = t.sql("SELECT detail FROM steps WHERE drop_id = ? AND step = 7", row[0])
        detail = detail[0][0] if detail else None
        print("quarantined after %.1f s, attempt %d: %s" % (time.time() - t0, row[5], detail))
        if not detail or "more than half of the outbox" not in detail:
            fail("the journal does not say the bomb filled the outbox: %r" % detail)
        q = os.listdir(t.quarantine)
        reasons = [x for x in q if x.endswith(".reason.txt")]
        if not any(row[2] in x for x in q if not x.endswith(".reason.txt")) or len(reasons) != 1:
            fail("the bomb's drop is not in quarantine/ with a reason file: %r" % q)
        else:
            text = open(os.path.join(t.quarantine, reasons[0])).read()
            for w in ("more than half of the outbox", "too large for this outbox", "drop it again"):
                if w not in text:
                    fail("the quarantine reason does not say %r:\n%s" % (w, text))
        log = open(t.log, errors="replace").read()
        if "quarantined: the outbox filled up" not in log:
            fail("the log does not say why the bomb was quarantined:\n%s" % t.tail())
        dlib.check_no_patient_data(log, "the daemon log")

        # the other drop is not held up: published, verified; nothing of the bomb left behind
        fl.wait_for(lambda: (lambda r: r and r[4] == 6)(fl.drop_row(t, "CASE-OK")), 180, "CASE-OK archived", t)
        t.verify("CASE-OK")
        if t.package("CASE-BOMB"):
            fail("a package of the bomb was published")
        fl.check_building_clean(t)
        if t.stop() != 0:
            fail("unclean stop")
        print("ok: the drop that filled the outbox by itself was quarantined with its reason; the other published")
    finally:
        fl.teardown(t, m)
    print("PASS")


if __name__ == "__main__":
    main()

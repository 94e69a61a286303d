#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""kill -9 at random moments: start ingestd, drop several cases (folders,
zips, second drops of a case), kill the daemon and its workers with SIGKILL
at a random moment, restart, repeat. At the end every drop is published
exactly once and archived, every bag verifies, nothing is left in work/ or
outbox/.building/, every input is in archive/ or quarantine/ with a reason.

usage: test-crash.py [ROUNDS] [SEED]     (bench/crash.sh runs it with ROUNDS=200)
"""

import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time())
    rng = random.Random(seed)
    print("crash test: %d rounds, seed %d" % (rounds, seed))
    t = dlib.Tree(settle=1, workers=3)
    fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")
    stage = os.path.join(t.root, "stage")
    os.makedirs(stage)
    z = os.path.join(stage, "demo2.zip")
    dlib.zip_dir(fx, z)
    small = os.path.join(stage, "small")
    os.makedirs(small)
    pdfs = [os.path.join(dp, f) for dp, _, fn in os.walk(fx) for f in fn if f.lower().endswith(".pdf")]
    shutil.copy(pdfs[0], small)
    dropped = []          # (inbox name, case)
    kills = 0
    try:
        for rnd in range(rounds):
            t.start()
            for k in range(rng.randint(1, 3)):
                case = "CASE-K%d" % rng.randint(0, 4)    # few cases: later drops merge into earlier ones
                kind = rng.choice(["folder", "zip", "second"])
                n = len(dropped)
                if kind == "folder":
                    name = case if not os.path.exists(os.path.join(t.inbox, case)) else None
                    if name:
                        dlib.place(t, fx, name)
                elif kind == "zip":
                    name = "%s+r%dn%d.zip" % (case, rnd, n)
                    dlib.place(t, z, name)
                else:
                    name = "%s+r%dn%d.tar" % (case, rnd, n)
                    import tarfile
                    tp = os.path.join(stage, name)
                    with tarfile.open(tp, "w") as tf:
                        tf.add(small, arcname="more")
                    dlib.place(t, tp, name)
                if name:
                    dropped.append((name, case))
            time.sleep(rng.uniform(0.2, 6.0))
            t.kill9()
            kills += 1
        # the last start: let everything finish
        t.start()
        rows = t.wait_done(0, timeout=900, what="drops after %d kills" % kills)
        while True:
            inbox_left = [x for x in os.listdir(t.inbox) if not x.startswith(".")]
            if not inbox_left:
                break
            time.sleep(0.5)
        rows = t.wait_done(len(rows), timeout=900)
        rc = t.stop()
        if rc != 0:
            fail("ingestd did not stop cleanly (exit status %s; negative: killed by that signal)" % rc)

        quarantined = [x for x in os.listdir(t.quarantine) if not x.endswith(".reason.txt")]
        for q in quarantined:
            if not os.path.exists(os.path.join(t.quarantine, q + ".reason.txt")):
                fail("quarantined %s has no reason file" % q)
        # every drop we made is accounted for: journalled (archived or quarantined)
        names = [r[1] for r in rows]
        for name, case in dropped:
            if names.count(name) < 1:
                fail("drop %s is not in the journal (lost); journal: %r" % (name, names))
        for r in rows:
            step = dlib.STEPS[r[4]]
            if step == "archived":
                n = t.sql("SELECT count(*) FROM steps WHERE drop_id = ? AND step = 4", r[0])[0][0]
                if n != 1:
                    fail("drop %d (%s) was published %d times" % (r[0], r[2], n))
                if not os.path.exists(os.path.join(t.archive, r[3], r[2])):
                    fail("drop %s is not in archive/%s/" % (r[2], r[3]))
            elif step == "quarantined":
                if r[2] not in quarantined:
                    fail("drop %s quarantined in the journal but not in quarantine/" % r[2])
            else:
                fail("drop %r ended at step %s" % (r, step))
        cases = sorted(set(r[3] for r in rows))
        for c in cases:
            t.verify(c)
            # the case's package holds every archived drop of the case
            p = t.package(c)
            prov = open(os.path.join(p, "provenance.tsv"), errors="replace").read()
            for r in rows:
                if r[3] == c and dlib.STEPS[r[4]] == "archived" and r[2] not in prov:
                    fail("package of %s does not include drop %s" % (c, r[2]))
            other = "ready" if "pending" in p else "pending"
            if os.path.exists(os.path.join(t.outbox, other, c)):
                fail("case %s is in both ready/ and pending/" % c)
        t.check_clean()
        log = open(t.log, errors="replace").read()
        dlib.check_no_patient_data(log, "the daemon's log")
        n_q = sum(1 for r in rows if dlib.STEPS[r[4]] == "quarantined")
        print("RESULT rounds=%d kills=%d drops=%d cases=%d archived=%d quarantined=%d published_once=all "
              "bags_verified=%d work_clean=yes" % (rounds, kills, len(rows), len(cases), len(rows) - n_q, n_q,
                                                   len(cases)))
    except SystemExit:
        sys.stderr.write("seed %d; log tail:\n%s\n" % (seed, t.tail(40)))
        raise
    finally:
        t.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()

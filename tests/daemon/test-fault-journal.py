#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault: the journal (state.db) is locked by another process, then deleted
while the daemon runs (docs/faults.md).

1. Locked: another process holds `BEGIN EXCLUSIVE` for 14 s (longer than the
   journal's 10 s busy timeout) while a drop is claimed and another one is in
   its worker. The daemon logs it, keeps the drops (the inbox entry stays in
   the inbox; a claimed one stays in work/), retries, and once the lock is
   gone both are published exactly once and verify.
2. Deleted: state.db (with its -wal/-shm) is removed while a drop is in
   flight. The daemon must notice, log an error that says what happened and
   what to do, and exit with status 3 (systemd restarts it: Restart=on-failure).
   Restarted, it creates a fresh journal, returns the orphaned input from
   work/ to the inbox, takes it again and publishes it; fresh drop ids do not
   reuse any NNNNNN of the folders already in archive/."""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402

LOCKER = r"""
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("UPDATE cases SET updated_at = updated_at")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
con.close()
"""


def lock_journal(t, seconds):
    p = subprocess.Popen(["/usr/bin/python3", "-c", LOCKER, t.db, str(seconds)], stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "locked":
        fail("could not lock the journal")
    return p


def main():
    t = dlib.Tree(settle=1, workers=2)
    locker = None
    try:
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")
        t.start()
        # --- 1. locked
        dlib.place(t, os.path.join(t.fixtures, "drops", "CASE-DEMO-1"), "CASE-LOCK1")
        fl.wait_for(lambda: (fl.drop_row(t, "CASE-LOCK1") or [0] * 5)[4] >= 1, 60, "CASE-LOCK1 claimed", t)
        locker = lock_journal(t, 14)
        t0 = time.time()
        dlib.place(t, fx, "CASE-LOCK2")
        locker.wait(60)
        locker = None
        if time.time() - t0 < 12:
            fail("the lock was not held long enough")
        if not os.path.exists(os.path.join(t.inbox, "CASE-LOCK2")) and not fl.drop_row(t, "CASE-LOCK2"):
            fail("CASE-LOCK2 disappeared while the journal was locked")
        log = open(t.log, errors="replace").read()
        if "busy" not in log:
            fail("the locked journal was not reported in the log:\n%s" % t.tail())
        print("reported: %s" % [x for x in log.splitlines() if "busy" in x][:3])
        t.wait_done(2, timeout=300)
        fl.check_final(t, ["CASE-LOCK1", "CASE-LOCK2"])
        print("ok: locked journal: reported, kept, retried, published once each")

        # --- 2. deleted
        dlib.place(t, fx, "CASE-DEL1")
        fl.wait_for(lambda: (fl.drop_row(t, "CASE-DEL1") or [0] * 5)[4] >= 1, 60, "CASE-DEL1 claimed", t)
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(t.db + suffix)
            except FileNotFoundError:
                pass
        try:
            rc = t.proc.wait(60)
        except subprocess.TimeoutExpired:
            fail("ingestd did not stop after its journal was deleted:\n%s" % t.tail())
        t.proc = None
        t.logf.close()
        if rc != 3:
            fail("ingestd exited with %s after its journal was deleted, expected 3:\n%s" % (rc, t.tail()))
        log = open(t.log, errors="replace").read()
        if "was deleted or replaced" not in log:
            fail("the deleted journal was not reported:\n%s" % t.tail())
        dlib.check_no_patient_data(log, "the daemon log")
        print("reported: exit 3: %s" % [x for x in log.splitlines() if "deleted or replaced" in x][0][:160])
        # The daemon is gone, but its worker may still be finishing CASE-DEL1
        # (moving it on): wait until no process of this test's ingestd is
        # left, so what is in work/ below is what a restart finds.
        def ours_running():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if t.config.encode() in f.read():
                            return True
                except OSError:
                    pass
            return False
        fl.wait_for(lambda: not ours_running(), 120, "the old worker to finish", t)
        # Restarted (as systemd would): a fresh journal; inputs in work/ are taken again.
        if os.path.exists(t.db):
            os.unlink(t.db)     # a worker may have created an empty one: start from nothing
        # A small drop can finish before the journal goes; then put a claimed
        # drop in work/ by hand (what an in-flight one looks like), so the
        # re-take is tested either way, deterministically.
        # Under load the old worker may also have handed CASE-DEL1 back to the
        # inbox (kept, not lost): whatever is in work/, a case store in
        # work/cases/ or the inbox is taken.
        # A drop the worker was scanning sits in its case store,
        # work/cases/CASE/NNNNNN-NAME: the restart returns it to the inbox too.
        in_work = [x for x in os.listdir(t.work) if x != "cases" and not x.startswith(".")]
        stores = os.path.join(t.work, "cases")
        for case in (os.listdir(stores) if os.path.isdir(stores) else []):
            if not case.startswith("."):
                in_work += [x for x in os.listdir(os.path.join(stores, case)) if not x.startswith(".")]
        in_inbox = [x for x in os.listdir(t.inbox) if not x.startswith(".")]
        kept = sorted({x.split("-", 1)[1] if x.split("-", 1)[0].isdigit() else x for x in in_work} | set(in_inbox))
        if not kept:
            kept = ["CASE-DEL2"]
            shutil.copytree(fx, os.path.join(t.work, "000042-CASE-DEL2"))
        if not set(kept) <= {"CASE-DEL1", "CASE-DEL2"}:
            fail("unexpected inputs left in work/ or the inbox: %r %r" % (in_work, in_inbox))
        t.start()
        rows = t.wait_done(len(kept), timeout=300)
        names = sorted(r[1] for r in rows)
        if names != kept:
            fail("the fresh journal holds %r, expected the re-taken %r only" % (names, kept))
        if any(r[0] <= 3 for r in rows):
            fail("the fresh journal reused a drop id %r (ids 1-3 are in archive/)" % [r[0] for r in rows])
        fl.check_final(t, kept)
        for c in ("CASE-LOCK1", "CASE-LOCK2"):
            t.verify(c)
        for retake in kept:
            arch = sorted(os.listdir(os.path.join(t.archive, retake)))
            if len(arch) != 1:
                fail("archive/%s holds %r, expected the one drop" % (retake, arch))
        if t.stop() != 0:
            fail("unclean stop")
        print("ok: deleted journal: exit 3, restart re-took %s, published once" % kept)
    finally:
        if locker:
            locker.kill()
        t.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()

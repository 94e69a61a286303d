# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the fault-injection tests (docs/faults.md): small filesystems
made by the test itself, waiting for a condition, and the checks every fault
test ends with (reported, kept, retried, published exactly once, verified)."""

import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

SKIP = 77
RETRY_MARK = "kept, retried later: "     # daemon/pipeline.c: an error of the environment


def skip(why):
    print("SKIP: %s" % why)
    sys.exit(SKIP)


class Mount:
    """A tmpfs of SIZE mounted on PATH (root only); unmounted by umount()."""

    def __init__(self, path, size):
        self.path = path
        os.makedirs(path, exist_ok=True)
        if os.geteuid() != 0:
            skip("needs root to mount a small tmpfs on %s (run the suite as root)" % path)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0750" % size, "tmpfs", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            skip("cannot mount a tmpfs (%s): %s" % (size, r.stderr.strip()))
        self.mounted = True

    def remount(self, opts):
        r = subprocess.run(["mount", "-o", "remount," + opts, self.path], capture_output=True, text=True)
        if r.returncode != 0:
            fail("remount %s %s: %s" % (self.path, opts, r.stderr.strip()))

    def umount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


def outbox_on_tmpfs(tree, size):
    """Puts the tree's outbox on a tmpfs of SIZE (e.g. "4m") the test mounts
    itself; returns the Mount (unmount it in a finally block)."""
    ob = os.path.join(tree.root, "outbox-fs")
    m = Mount(ob, size)
    with open(tree.config, "a") as f:
        f.write("paths:\n  outbox: %s\n" % ob)
    tree.outbox = ob
    return m


def teardown(tree, mount):
    """The end of a test with its outbox on a tmpfs, whatever happened: the
    daemon killed if it still runs, the tmpfs unmounted, the tree removed."""
    if tree.proc:
        tree.kill9()
    if mount:
        mount.umount()
    tree.cleanup()


def wait_for(pred, timeout, what, tree=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        if tree and tree.proc and tree.proc.poll() is not None:
            fail("ingestd died (rc %s) while waiting for %s:\n%s" % (tree.proc.returncode, what, tree.tail()))
        time.sleep(0.2)
    fail("timed out after %d s waiting for %s\njournal: %r\n%s" %
         (timeout, what, tree.drops() if tree else None, tree.tail() if tree else ""))


def drop_row(tree, name):
    for r in tree.drops():
        if r[1] == name:
            return r
    return None


def wait_error(tree, name, timeout=120):
    """Waits until the drop NAME has a journalled error; returns its row."""
    return wait_for(lambda: (lambda r: r if r and r[6] else None)(drop_row(tree, name)), timeout,
                    "a journalled error for drop %s" % name, tree)


def time_travel(tree, name, seconds=600, attempts=None):
    """Moves the drop's last failure SECONDS back (and sets its failure count):
    the scheduler's backoff (5 s doubling to 300 s) has passed. This only saves
    the test the wait; the daemon's own decisions are unchanged."""
    con = sqlite3.connect(tree.db, timeout=30)
    with con:
        if attempts is not None:
            con.execute("UPDATE drops SET attempts = ? WHERE name = ?", (attempts, name))
        con.execute("UPDATE drops SET updated_at = updated_at - ? WHERE name = ?", (seconds, name))
    con.close()


def wait_attempts(tree, name, n, timeout=120):
    return wait_for(lambda: (lambda r: r if r and r[5] >= n else None)(drop_row(tree, name)), timeout,
                    "%d failed attempts of drop %s" % (n, name), tree)


def status_text(tree):
    r = subprocess.run([dlib.INGEST, "status", "--db", tree.db], capture_output=True, text=True)
    if r.returncode != 0:
        fail("ingest status failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    return r.stdout


def check_reported(tree, name, log_words, status_words=None):
    """The fault is in the journal (last_error), in `ingest status` and in the
    log (a line with one of LOG_WORDS); no patient data in the log."""
    row = drop_row(tree, name)
    if not row or not row[6]:
        fail("drop %s: no last_error in the journal: %r" % (name, row))
    if not row[6].startswith(RETRY_MARK):
        fail("drop %s: the error is not marked as kept for retry: %r" % (name, row[6]))
    st = status_text(tree)
    if "last error" not in st or row[6] not in st:
        fail("ingest status does not show the error of %s:\n%s" % (name, st))
    for w in status_words or []:
        if w not in st:
            fail("ingest status does not say %r:\n%s" % (w, st))
    log = open(tree.log, errors="replace").read()
    if not any(w in log for w in log_words):
        fail("the log does not report the fault (%r):\n%s" % (log_words, tree.tail()))
    dlib.check_no_patient_data(log, "the daemon log")
    return row


def check_kept(tree, case, name):
    """The drop is kept: in work/, not archived, not quarantined, nothing of it
    published, nothing in outbox/.building/ but the lock."""
    row = drop_row(tree, name)
    if row is None:
        fail("drop %s is not in the journal" % name)
    if row[4] >= 6:
        fail("drop %s reached step %s during the fault" % (name, dlib.STEPS[row[4]]))
    where = [os.path.join(tree.work, row[2]), os.path.join(tree.work, "cases", case, row[2])]
    if not any(os.path.exists(p) for p in where):
        fail("drop %s is not kept in work/ (%r); work/: %r" % (name, where, os.listdir(tree.work)))
    if os.path.exists(os.path.join(tree.archive, case, row[2])):
        fail("drop %s was archived during the fault" % name)
    if [x for x in os.listdir(tree.quarantine) if row[2] in x or x.startswith(name)]:
        fail("drop %s was quarantined during the fault: %r" % (name, os.listdir(tree.quarantine)))
    return row


def check_nothing_published(tree, case):
    if tree.package(case):
        fail("case %s has a package in the outbox during the fault" % case)


def check_building_clean(tree):
    b = os.path.join(tree.outbox, ".building")
    if os.path.isdir(b):
        junk = [x for x in os.listdir(b) if not x.endswith(".lock")]
        if junk:
            fail("outbox/.building/ holds leftovers after a failed build: %r" % junk)


def check_final(tree, cases):
    """Every drop archived, published exactly once, every package verifies."""
    rows = tree.drops()
    for r in rows:
        if r[4] != 6:
            fail("drop %r ended at step %s, not archived" % (r, dlib.STEPS[r[4]]))
        n = tree.sql("SELECT count(*) FROM steps WHERE drop_id = ? AND step = 4", r[0])[0][0]
        if n != 1:
            fail("drop %s was published %d times" % (r[1], n))
    for c in cases:
        tree.verify(c)
        other = [s for s in ("ready", "pending") if os.path.isdir(os.path.join(tree.outbox, s, c))]
        if len(other) != 1:
            fail("case %s is in %r of the outbox (exactly one expected)" % (c, other))
    if os.listdir(tree.quarantine):
        fail("quarantine/ is not empty: %r" % os.listdir(tree.quarantine))
    tree.check_clean()

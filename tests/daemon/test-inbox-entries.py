#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every inbox entry leads to a drop, a quarantine with a reason, or a log
line naming it (#20, item 6; SPEC §3):

- a symbolic link (valid drop name or not, made while the daemon runs) is
  quarantined as the link itself, never followed, with a reason file and a
  log line naming it;
- a folder named `.CASE` (a valid case id) is taken as case `.CASE`;
- the temporary file of an upload (`.CASE.zip.XXXXXX`) is not taken while it
  is written; renamed when done, it is the drop `CASE.zip`; left behind, it is
  quarantined saying it looks like an unfinished upload;
- a symbolic link inside a case folder does not hold the folder forever;
- names in log lines are sanitised (no control characters) and bounded."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

CTRL_NAME = "bad\x1b[2Jname\x07"
LONG_NAME = "L" * 200


def quarantined(t, name):
    """The quarantine item NAME (lstat) and its reason text, or None."""
    p = os.path.join(t.quarantine, name)
    r = p + ".reason.txt"
    if os.path.lexists(p) and os.path.exists(r):
        return p, open(r, errors="replace").read()
    return None


def log_lines(t):
    return open(t.log, "rb").read().decode("utf-8", "replace").splitlines()


def main():
    t = dlib.Tree(settle=1, workers=2)
    try:
        t.start()
        outside = os.path.join(t.root, "outside-secret.txt")
        with open(outside, "w") as f:
            f.write("not for the inbox\n")
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-1")
        pdf = sorted(os.path.join(dp, f) for dp, _, fn in os.walk(fx) for f in fn if f.lower().endswith(".pdf"))[0]
        z = os.path.join(t.root, "w.zip")
        dlib.zip_dir(os.path.join(t.fixtures, "drops", "CASE-DEMO-2"), z)
        zb = open(z, "rb").read()

        # Symbolic links made while the daemon runs: a valid drop name, an invalid one, a dangling one.
        os.symlink(outside, os.path.join(t.inbox, "CASE-LINK.zip"))
        os.symlink(t.root, os.path.join(t.inbox, "CASE-LINKDIR"))
        os.symlink("/nonexistent", os.path.join(t.inbox, CTRL_NAME))
        os.symlink(outside, os.path.join(t.inbox, LONG_NAME))
        # A dot-named case folder (valid case id), built beside and renamed in.
        stage = os.path.join(t.root, "dot")
        os.makedirs(stage)
        shutil.copy(pdf, stage)
        os.rename(stage, os.path.join(t.inbox, ".CASE-DOT"))
        # A case folder holding a symbolic link (made inside it while watched).
        sl = os.path.join(t.inbox, "CASE-SL")
        os.makedirs(sl)
        time.sleep(0.3)
        shutil.copy(pdf, sl)
        os.symlink(outside, os.path.join(sl, "link-to-outside.txt"))
        # The temporary file of an upload that stopped (never renamed).
        with open(os.path.join(t.inbox, ".CASE-GONE.zip.AbC123"), "wb") as f:
            f.write(zb[: len(zb) // 3])
        # The temporary file of an upload still being written, open, paused longer than settle_seconds.
        tmp = os.path.join(t.inbox, ".CASE-W.zip.Xy9Q2a")
        g = open(tmp, "wb")
        g.write(zb[: len(zb) // 2])
        g.flush()
        time.sleep(3.5)
        if not os.path.exists(tmp):
            fail("the temporary file of an upload was taken while it was open and being written")
        g.write(zb[len(zb) // 2:])
        g.close()
        os.rename(tmp, os.path.join(t.inbox, "CASE-W.zip"))

        deadline = time.time() + 240
        while time.time() < deadline:
            rows = t.drops()
            left = os.listdir(t.inbox)
            if not left and len(rows) >= 3 and all(r[4] >= 6 for r in rows):
                break
            if t.proc.poll() is not None:
                fail("ingestd died:\n" + t.tail())
            time.sleep(0.3)
        else:
            fail("the inbox is not empty or drops are not done after 240 s: inbox %r, journal %r\n%s" %
                 (os.listdir(t.inbox), t.drops(), t.tail()))

        cases = sorted(r[3] for r in t.drops())
        if cases != [".CASE-DOT", "CASE-SL", "CASE-W"]:
            fail("drops taken: %r (wanted .CASE-DOT, CASE-SL, CASE-W)" % cases)
        for c in (".CASE-DOT", "CASE-SL", "CASE-W"):
            t.verify(c)
        print("ok: .CASE-DOT, CASE-SL (with a link inside) and CASE-W (renamed upload) taken and packaged")

        lines = log_lines(t)
        for name, want in (("CASE-LINK.zip", "symbolic link"), ("CASE-LINKDIR", "symbolic link"),
                           (".CASE-GONE.zip.AbC123", "temporary file of an upload")):
            q = quarantined(t, name)
            if not q:
                fail("%s is not in quarantine with a reason: %r" % (name, os.listdir(t.quarantine)))
            if want not in q[1]:
                fail("the reason for %s does not say %r:\n%s" % (name, want, q[1]))
            if not [x for x in lines if '"%s"' % name in x and "quarantine" in x]:
                fail("no log line names %s:\n%s" % (name, t.tail()))
        for name in ("CASE-LINK.zip", "CASE-LINKDIR"):
            if not os.path.islink(os.path.join(t.quarantine, name)):
                fail("%s: the link itself should be in quarantine" % name)
        if open(outside).read() != "not for the inbox\n" or not os.path.isdir(t.root):
            fail("a link's target was changed")
        print("ok: links quarantined as links with a reason, the unfinished upload quarantined, each logged by name")

        # Control characters: escaped in the log line, replaced in the quarantine name.
        raw = open(t.log, "rb").read()
        if b"\x1b" in raw or b"\x07" in raw:
            fail("a control character of an entry's name reached the log")
        if not [x for x in lines if '"bad\\x1b[2Jname\\x07"' in x and "symbolic link" in x]:
            fail("no sanitised log line for the name with control characters:\n%s" % t.tail())
        if not quarantined(t, "bad_[2Jname_"):
            fail("the name with control characters is not in quarantine: %r" % os.listdir(t.quarantine))
        # A long name: bounded in the log line.
        long_lines = [x for x in lines if '"LLLL' in x]
        if not long_lines or any(LONG_NAME in x for x in long_lines) or '...' not in long_lines[0]:
            fail("the long name is not cut short in the log: %r" % long_lines)
        print("ok: names in log lines sanitised and bounded")
        if t.stop() != 0:
            fail("ingestd did not stop cleanly")
    finally:
        t.cleanup()
    print("ok: every inbox entry led to a drop or a quarantine with a reason and a log line")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A password-protected zip, and its password in a later drop (#21, SPEC §3).

The daemon takes a drop holding a zip encrypted with `zip -P` (Debian's zip):
its report says the entry is encrypted. A second drop of the same case brings
only a case.yaml with the password: the case is scanned again from its case
store, the zip kept from the first drop opens, and its document is in the
new package. Then a grep over the daemon's log, its journal (state.db and its
WAL), the packages, the mail outbox and every mail the SMTP server (aiosmtpd
on 127.0.0.1) received finds no password. (The drops as received, with their
case.yaml, stay in archive/: the inputs the case is rebuilt from.)"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

PASSWORD = "Zx-7741-kW!pq"
REPORT = b"Pathology report\nHER2 negative\n"


def grep_tree(top, needle):
    hits = []
    for base, _, names in os.walk(top):
        for n in names:
            p = os.path.join(base, n)
            try:
                with open(p, "rb") as f:
                    if needle in f.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


def main():
    smtp = dlib.Smtp()
    t = dlib.Tree(settle=1, workers=1, smtp_port=smtp.port)
    try:
        t.start()
        src = os.path.join(t.root, "src")
        d1 = os.path.join(t.root, "drop1")
        d2 = os.path.join(t.root, "drop2")
        for d in (src, d1, d2):
            os.makedirs(d)
        with open(os.path.join(src, "report.txt"), "wb") as f:
            f.write(REPORT)
        subprocess.run(["zip", "-q", "-P", PASSWORD, os.path.join(d1, "Biopsy.zip"), "report.txt"], cwd=src,
                       check=True)
        with open(os.path.join(d2, "case.yaml"), "w") as f:
            f.write('passwords: ["%s"]\n' % PASSWORD)

        # The daemon's copy of the rules holds the share link shapes too (links/).
        import glob
        if not glob.glob(os.path.join(t.base, "rules.good.*", "links", "services.yaml")):
            fail("the daemon's rules copy lacks links/services.yaml: %r" % glob.glob(os.path.join(t.base, "rules.good.*", "*")))
        dlib.place(t, d1, "CASE-PW")
        t.wait_done(1)
        p = t.package("CASE-PW")
        if not p:
            fail("no package after the first drop:\n" + t.tail())
        rep = open(os.path.join(p, "gap-report.json"), "rb").read()
        if b"encrypted" not in rep or b"case.yaml, passwords" not in rep:
            fail("the first report does not say the zip is encrypted and how to give its password")

        dlib.place(t, d2, "CASE-PW")
        t.wait_done(2)
        p = t.verify("CASE-PW")
        if not grep_tree(os.path.join(p, "data"), REPORT):
            fail("the zip's document is not in the package after the password came:\n" + t.tail())
        rep = open(os.path.join(p, "gap-report.json"), "rb").read()
        if b"Biopsy.zip!/report.txt" not in rep:
            fail("the report does not list the opened entry")
        deadline = time.time() + 60
        while len(smtp.messages) < 2 and time.time() < deadline:
            time.sleep(0.3)
        if len(smtp.messages) < 2:
            fail("expected two report mails, got %d" % len(smtp.messages))
        t.stop()

        needle = PASSWORD.encode()
        hits = [x for x in (t.log, t.db, t.db + "-wal", t.db + "-shm") if os.path.exists(x) and
                needle in open(x, "rb").read()]
        hits += grep_tree(t.outbox, needle) + grep_tree(t.mail, needle)
        hits += ["mail %d" % i for i, m in enumerate(smtp.messages) if needle in m[2]]
        if hits:
            fail("the password is in %r" % hits)
        # The grep can fail: the password is in the archived input (the case.yaml as dropped).
        if not grep_tree(t.archive, needle):
            fail("the grep found the password nowhere, not even in the archived case.yaml")
    finally:
        t.cleanup()
        smtp.stop()
    print("ok")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Privacy of the names read from documents, through ingestd end to end
(tests/daemon/dlib.py: the daemon as a real process, no SMTP configured, so
the report mail is written to the mail folder as .eml): a three-patient drop
(two in DICOM, one only in a pathology report) is flagged, and the name,
birth date and number the report states appear in no mail (subject, headers
or body), no line of the daemon's log, no gap-report.json or gap-report.txt
of the package."""

import email
import email.policy
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
sys.path.insert(0, HERE)
import dlib  # noqa: E402
from dlib import fail  # noqa: E402
from idlib import THREE_DOC_WORDS, three_patients  # noqa: E402


def no_names(text, where):
    for w in THREE_DOC_WORDS:
        if w in text:
            fail("%r (read from the pathology report) found in %s" % (w, where))


def main():
    t = dlib.Tree(settle=1, workers=1)
    try:
        t.start()
        stage = tempfile.mkdtemp(prefix="ingest-identity-", dir=t.root)
        drop = os.path.join(stage, "three")
        three_patients(drop)
        dlib.place(t, drop, "CASE-PT3")
        t.wait_done(1, timeout=300)
        deadline = time.time() + 60
        emls = []
        while time.time() < deadline and not emls:
            emls = [x for x in os.listdir(t.mail) if x.endswith(".eml")]
            time.sleep(0.3)
        if not emls:
            fail("no report mail in %s: %r\n%s" % (t.mail, os.listdir(t.mail), t.tail()))
        for name in emls:
            raw = open(os.path.join(t.mail, name), "rb").read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            subject = dlib.decode_subject(m)
            if "CASE-PT3" not in subject:
                fail("the mail's subject names the case: %r" % subject)
            no_names(subject, "the mail's subject")
            for part in m.walk():
                if part.get_content_maintype() == "text":
                    no_names(part.get_content(), "the mail's %s part" % part.get_content_type())
        pkg = t.package("CASE-PT3")
        if not pkg:
            fail("no package for CASE-PT3")
        for dp, _, fn in os.walk(pkg):
            for f in fn:
                if f in ("gap-report.json", "gap-report.txt"):
                    text = open(os.path.join(dp, f), encoding="utf-8").read()
                    no_names(text, os.path.join(dp, f))
                    if f == "gap-report.json" and "generic.multiple-patients" not in text:
                        fail("the package's gap-report.json lacks generic.multiple-patients")
        t.stop()
        no_names(open(t.log, errors="replace").read(), "the daemon's log")
        print("ok: multi-patient flagged; no document's name in mail, log, gap-report.json/.txt")
    finally:
        t.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

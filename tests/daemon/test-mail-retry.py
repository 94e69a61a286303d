#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mail is never lost: with the SMTP server down the report is kept as an .eml
in the mail outbox; once the server is up, the queued message is delivered
and removed. A daemon restart in between keeps the queue."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402


def main():
    port = dlib.free_port()
    t = dlib.Tree(settle=1, workers=1, smtp_port=port)
    smtp = None
    try:
        t.start()
        dlib.place(t, os.path.join(t.fixtures, "drops", "CASE-DEMO-2"), "CASE-MAIL")
        t.wait_done(1, timeout=300)
        queued = [x for x in os.listdir(t.mail) if x.endswith(".eml")]
        if len(queued) != 1:
            fail("with SMTP down, expected one queued .eml, found %r" % os.listdir(t.mail))
        t.stop()
        t.start()       # the queue survives a restart
        smtp = dlib.Smtp.__new__(dlib.Smtp)
        from aiosmtpd.controller import Controller
        smtp.messages = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                smtp.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        smtp.ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
        smtp.ctl.start()
        deadline = time.time() + 60
        while time.time() < deadline and (not smtp.messages or os.listdir(t.mail)):
            time.sleep(0.2)
        if len(smtp.messages) != 1:
            fail("the queued mail was not delivered once the server came up: %d messages" % len(smtp.messages))
        if [x for x in os.listdir(t.mail) if x.endswith(".eml")]:
            fail("the delivered mail is still queued")
        subj = dlib.decode_subject(dlib.parse_mail(smtp.messages[0][2]))
        if not dlib.SUBJECT_RE.match(subj) or "CASE-MAIL" not in subj:
            fail("subject %r" % subj)
        print("ok: queued while SMTP was down, delivered after: %r" % subj)
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
        if smtp:
            smtp.ctl.stop()
    print("PASS")


if __name__ == "__main__":
    main()

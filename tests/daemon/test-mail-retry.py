#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mail is never lost: with the SMTP server down the report is kept as an .eml
in the mail outbox; once the server is up, the queued message is delivered
and removed. A daemon restart in between keeps the queue.

Fault "SMTP down for hours" (docs/faults.md): two cases while no server
listens; each report stays queued as one .eml, the failure is logged, the
maintenance worker retries with the configured mail.retry_seconds (1 s here,
doubling up to an hour), and once the server is up each message is delivered
exactly once (no duplicate arrives in the seconds after)."""

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
        dlib.place(t, os.path.join(t.fixtures, "drops", "CASE-DEMO-2"), "CASE-MAIL2")
        t.wait_done(2, timeout=300)
        time.sleep(4)       # several retries (every 1 s, doubling) fail meanwhile
        queued = sorted(x for x in os.listdir(t.mail) if x.endswith(".eml"))
        if len(queued) != 2:
            fail("with SMTP down, expected two queued .eml, found %r" % os.listdir(t.mail))
        log = open(t.log, errors="replace").read()
        if "mail not sent yet" not in log:
            fail("the failed delivery was not logged:\n%s" % t.tail())
        dlib.check_no_patient_data(log, "the daemon log")
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
        while time.time() < deadline and (len(smtp.messages) < 2 or os.listdir(t.mail)):
            time.sleep(0.2)
        time.sleep(5)       # a duplicate would arrive now (retries run every second)
        if len(smtp.messages) != 2:
            fail("the queued mail was not delivered exactly once each: %d messages" % len(smtp.messages))
        if [x for x in os.listdir(t.mail) if x.endswith(".eml")]:
            fail("the delivered mail is still queued")
        subjects = sorted(dlib.decode_subject(dlib.parse_mail(m[2])) for m in smtp.messages)
        for subj, case in zip(subjects, ("CASE-MAIL", "CASE-MAIL2")):
            if not dlib.SUBJECT_RE.match(subj) or subj.split()[1] != case:
                fail("subject %r (expected case %s)" % (subj, case))
        print("ok: queued while SMTP was down, delivered once each after: %r" % subjects)
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
        if smtp:
            smtp.ctl.stop()
    print("PASS")


if __name__ == "__main__":
    main()

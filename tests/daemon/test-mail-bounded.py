#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""One size limit for building and sending the report mail (MAIL_MAX_BYTES,
8 MiB, libingest/caps.h; issue 20 item 3):

- a report whose mail with text and HTML would be over the limit (1,000
  documents with 3.6 KB paths: ~11 MB) is mailed as text only, saying so,
  under the limit, and it arrives;
- a queued message that can never be sent is moved out of the queue into
  mail/unsendable/ with a log line naming the case, and not retried: one over
  the limit (left by an older version) and one the SMTP server refuses as too
  large (552; aiosmtpd with a 6.5 MB limit here). Neither holds up the mail
  queued after it."""

import os
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

MAIL_MAX = 8 << 20
SERVER_MAX = 6500000


def old_message(path, case, body_bytes):
    line = b"x" * 74 + b"\r\n"
    with open(path, "wb") as f:
        f.write(("From: ingestd@test.example\r\nTo: coordinator@test.example\r\nSubject: [ingestd] %s generic: "
                 "incomplete \u2014 1 required gap\r\nX-Ingestd-Case: %s\r\nMIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=us-ascii\r\n\r\n" % (case, case)).encode())
        for _ in range(body_bytes // len(line)):
            f.write(line)


def main():
    from aiosmtpd.controller import Controller
    messages = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            messages.append(envelope.content)
            return "250 OK"

    port = dlib.free_port()
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=SERVER_MAX)
    ctl.start()
    t = dlib.Tree(settle=1, workers=1, smtp_port=port)
    try:
        os.makedirs(t.mail, exist_ok=True)
        old_message(os.path.join(t.mail, "d000000-OLD-HUGE.eml"), "OLD-HUGE", 40 << 20)
        old_message(os.path.join(t.mail, "d000000-OLD-SIZE.eml"), "OLD-SIZE", 7 << 20)
        z = os.path.join(t.root, "CASE-LONG.zip")
        deep = "/".join(("d%02d" % k) + "x" * 240 for k in range(15))
        with zipfile.ZipFile(z, "w") as zf:
            for i in range(1000):
                zf.writestr("%s/f%06d.txt" % (deep, i), b"")
        t.start()
        dlib.place(t, z, "CASE-LONG.zip")
        t.wait_done(1, timeout=300)
        deadline = time.time() + 60
        while time.time() < deadline and (not messages or [x for x in os.listdir(t.mail) if x.endswith(".eml")]):
            time.sleep(0.2)
        time.sleep(4)       # retries run every second (doubling): a message retried would be logged again
        log = open(t.log, errors="replace").read()
        # the report too large with its HTML part: text only, under the limit
        if len(messages) != 1:
            fail("expected the one report mail of CASE-LONG, got %d; mail outbox %r\n%s" %
                 (len(messages), os.listdir(t.mail), t.tail()))
        m = dlib.parse_mail(messages[0])
        subj = dlib.decode_subject(m)
        if subj.split()[1] != "CASE-LONG":
            fail("subject %r" % subj)
        if len(messages[0]) > MAIL_MAX:
            fail("the report mail is %d bytes, over the %d of MAIL_MAX_BYTES" % (len(messages[0]), MAIL_MAX))
        if m.get_body(("html",)) is not None:
            fail("a mail over the limit with its HTML part still has it")
        text = m.get_body(("plain",)).get_content()
        if "too large to mail: open gap-report.html in the package" not in text:
            fail("the text-only mail does not say where the HTML report is")
        if "f000999.txt" not in text:
            fail("the text part lost the report's documents")
        print("ok: CASE-LONG mailed as text only, %d bytes" % len(messages[0]))
        # the messages that can never be sent: set aside once, with the case named
        left = sorted(x for x in os.listdir(t.mail) if x.endswith(".eml"))
        if left:
            fail("messages still queued: %r\n%s" % (left, t.tail()))
        aside = os.path.join(t.mail, "unsendable")
        got = sorted(os.listdir(aside)) if os.path.isdir(aside) else []
        if got != ["d000000-OLD-HUGE.eml", "d000000-OLD-SIZE.eml"]:
            fail("mail/unsendable/ holds %r\n%s" % (got, t.tail()))
        for case, why in (("OLD-HUGE", "larger than 8 MiB"), ("OLD-SIZE", "refuses a message this large")):
            # stderr is a file here, not the journal: "ingestd: error: ...", no <3>
            lines = [x for x in log.splitlines() if x.startswith("ingestd: error: case %s: queued report mail" % case)]
            if len(lines) != 1:
                fail("expected one log line for %s set aside, got %r\n%s" % (case, lines, t.tail()))
            if why not in lines[0] or "moved out of the queue" not in lines[0]:
                fail("the log line for %s does not say why and where: %r" % (case, lines[0]))
        print("ok: the unsendable messages set aside, logged once each")
        dlib.check_no_patient_data(log, "the daemon log")
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
        ctl.stop()
    print("PASS")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ingestd's "What changed" (SPEC §5 "changes", docs/daemon.md, issue #18
item 3), read in the mails a real SMTP server (aiosmtpd, 127.0.0.1) receives
for three drops of one case:
1. the breast demo case without its scanned reports: the mail says "First
   report of this case." once, and "What changed" once;
2. a drop that only sends a document again: one line says nothing changed,
   with the count of items unchanged; no "still open" line, no rule id;
3. the scanned reports: a gap they close is listed as "resolved: ..." in the
   gap's own words; the other gaps are one "N items unchanged" line."""

import collections
import json
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

CASE = "CASE-CHG"


def changes_section(text):
    """The lines of the text part's What changed section(s), and how many there are."""
    n = len(re.findall(r"^What changed", text, re.M))
    lines = []
    on = False
    for line in text.splitlines():
        if line.startswith("What changed"):
            on = True
            continue
        if on:
            if not line.startswith("  - "):
                break
            lines.append(line[4:])
    return n, lines


def wait_mails(smtp, n, t):
    deadline = time.time() + 60
    while len(smtp.messages) < n and time.time() < deadline:
        time.sleep(0.2)
    if len(smtp.messages) < n:
        fail("mail %d never arrived; outbox %r\n%s" % (n, os.listdir(t.mail), t.tail()))
    m = dlib.parse_mail(smtp.messages[n - 1][2])
    return m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()


def gaps_of(t, n):
    rows = t.sql("SELECT r.json FROM reports r JOIN drops d ON d.id = r.drop_id WHERE d.case_id = ? ORDER BY r.id",
                 CASE)
    if len(rows) < n:
        fail("%s has %d reports, expected %d" % (CASE, len(rows), n))
    return json.loads(rows[n - 1][0]).get("gaps") or []


def key(g, sev=False):
    return (g["rule_id"], g["message"]) + ((g["severity"],) if sev else ())


def check_once(text, html, what):
    n, lines = changes_section(text)
    if n != 1:
        fail("%s: the mail's text part has %d 'What changed' sections, not 1:\n%s" % (what, n, text[:3000]))
    nh = html.count("What changed")
    if nh != 1:
        fail("%s: the mail's HTML part says 'What changed' %d times, not once" % (what, nh))
    for line in lines:
        if "still open" in line:
            fail("%s: a 'still open' line: %r" % (what, line))
    return lines


def check_no_ids(lines, gaps, what):
    for line in lines:
        for rid in gaps:
            if re.search(r"(?<![\w.])%s(?![\w.])" % re.escape(rid), line):
                fail("%s: the rule id %s is in the text: %r" % (what, rid, line))


def main():
    smtp = dlib.Smtp()
    t = dlib.Tree(settle=1, workers=1, smtp_port=smtp.port)
    try:
        t.start()
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-1")
        stage = os.path.join(t.root, "stage")
        # 1. the case without its scanned reports (and without its link file: no network)
        d1 = os.path.join(stage, "d1")
        shutil.copytree(fx, d1)
        os.unlink(os.path.join(d1, "links.txt"))
        scans = os.path.join(stage, "scans")
        shutil.move(os.path.join(d1, "scans"), scans)
        open(os.path.join(d1, "READY"), "w").close()
        dlib.place(t, d1, CASE)
        t.wait_done(1, timeout=300)
        text, html = wait_mails(smtp, 1, t)
        lines = check_once(text, html, "first drop")
        if lines != ["First report of this case."]:
            fail("the first report's changes should be the one line 'First report of this case.': %r" % lines)
        if text.count("First report of this case.") != 1 or "first report:" in text.lower():
            fail("the first mail should say 'First report of this case.' once:\n%s" % text[:3000])
        gaps1 = gaps_of(t, 1)
        if not gaps1:
            fail("the first report has no gaps: the later checks would prove nothing")
        print("ok: first drop: %r, %d gaps" % (lines, len(gaps1)))

        # 2. a document sent again: nothing changed
        d2 = os.path.join(stage, "d2")
        os.makedirs(d2)
        shutil.copy(os.path.join(fx, "discharge_summary.txt"), d2)
        open(os.path.join(d2, "READY"), "w").close()
        dlib.place(t, d2, CASE)
        t.wait_done(2, timeout=300)
        text, html = wait_mails(smtp, 2, t)
        lines = check_once(text, html, "second drop")
        gaps2 = gaps_of(t, 2)
        if sorted(map(key, gaps2)) != sorted(map(key, gaps1)):
            fail("sending a document again changed the gaps: %r" % (set(map(key, gaps2)) ^ set(map(key, gaps1))))
        if len(lines) != 1 or not lines[0].startswith("Nothing changed"):
            fail("a drop that changes nothing should say so in one line: %r" % lines)
        want = "%d item%s unchanged" % (len(gaps2), "" if len(gaps2) == 1 else "s")
        if want not in lines[0] or CASE not in lines[0]:
            fail("the line should name the drop and say %r: %r" % (want, lines[0]))
        check_no_ids(lines, {g["rule_id"] for g in gaps2}, "second drop")
        print("ok: second drop: %r" % lines)

        # 3. the scanned reports: what they resolve, in words
        d3 = os.path.join(stage, "d3")
        shutil.copytree(scans, os.path.join(d3, "scans"))
        open(os.path.join(d3, "READY"), "w").close()
        dlib.place(t, d3, CASE)
        t.wait_done(3, timeout=300)
        text, html = wait_mails(smtp, 3, t)
        lines = check_once(text, html, "third drop")
        # the mail's own lines (before the report, whose text is the package's)
        own = text.split("\n\n", 1)[0]
        if t.base in own or t.root in own:
            fail("a server path in the mail's own lines:\n%s" % own)
        if t.base in text:
            i = text.index(t.base)
            fail("the report's text in the mail has a server path: %r" % text[max(0, i - 120):i + 80])
        if "Package: %s, pending" % CASE not in text:
            fail("the mail does not name the package and its state:\n%s" % text[:600])
        gaps3 = gaps_of(t, 3)
        rules3 = {g["rule_id"] for g in gaps3}
        resolved = [g for g in gaps2 if g["rule_id"] not in rules3]
        if not resolved:
            fail("the scanned reports resolved no gap; the test proves nothing: %r" % lines)
        for g in resolved:
            words = g["message"].split(". ")[0].rstrip(".")[:60]
            if not any(line.startswith("resolved: ") and words in line for line in lines):
                fail("no 'resolved: ...' line for %r (%s): %r" % (words, g["rule_id"], lines))
        if lines[0] != "drop received: %s" % CASE:
            fail("the first line should name the drop as it was sent: %r" % lines[0])
        if not any(line.startswith("document received: scans/") for line in lines):
            fail("the scanned reports are not listed as received by their names: %r" % lines)
        same = sum((collections.Counter(key(g, True) for g in gaps2) &
                    collections.Counter(key(g, True) for g in gaps3)).values())
        want = "%d item%s unchanged" % (same, "" if same == 1 else "s")
        if same and lines[-1] != want:
            fail("the last line should be %r: %r" % (want, lines))
        check_no_ids(lines, {g["rule_id"] for g in gaps2 + gaps3}, "third drop")
        if any(re.match(r"\d{6}-", line.split(": ", 1)[-1]) for line in lines):
            fail("an internal drop folder name reached the text: %r" % lines)
        print("ok: third drop: %d lines:\n  %s" % (len(lines), "\n  ".join(lines)))
        # the report in the package has the same list, machine ids kept in its JSON
        rep = json.load(open(os.path.join(t.package(CASE), "gap-report.json")))
        ids = [c.get("rule_id") for c in rep.get("changes") or [] if c.get("what") == "resolved"]
        if sorted(ids) != sorted(g["rule_id"] for g in resolved):
            fail("gap-report.json's resolved changes carry rule ids %r, not %r" %
                 (ids, [g["rule_id"] for g in resolved]))
        if t.stop() != 0:
            fail("ingestd did not stop cleanly")
        for line in open(t.log, errors="replace"):
            if "ERROR: AddressSanitizer" in line or "runtime error:" in line:
                fail("sanitizer: %s" % line)
    finally:
        t.cleanup()
        smtp.stop()
    print("PASS")


if __name__ == "__main__":
    main()

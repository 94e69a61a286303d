#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""ingestd end to end: a folder, a zip, an ISO and a link file (http on
127.0.0.1) dropped into the inbox of a running daemon; packages published and
verified, mail received by a real SMTP server, a second drop producing
changes, an invalid name quarantined, ingest status, SIGHUP, clean SIGTERM."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402


def main():
    smtp = dlib.Smtp()
    t = dlib.Tree(settle=1, workers=2, smtp_port=smtp.port, http=True)
    web = os.path.join(t.root, "web")
    os.makedirs(web)
    fx = os.path.join(t.fixtures, "drops")
    # A document to download: the molecular report of the lung fixture.
    pdfs = [os.path.join(dp, f) for dp, _, fn in os.walk(os.path.join(fx, "CASE-DEMO-2")) for f in fn
            if f.lower().endswith(".pdf")]
    if not pdfs:
        fail("the fixture has no PDF to serve")
    shutil.copy(pdfs[0], os.path.join(web, "report.pdf"))
    http = dlib.Http(web)
    try:
        t.start()
        stage = os.path.join(t.root, "stage")
        os.makedirs(stage)
        # 1. a folder (breast case, without its unreachable link file)
        demo1 = os.path.join(stage, "demo1")
        shutil.copytree(os.path.join(fx, "CASE-DEMO-1"), demo1)
        for dp, _, fn in os.walk(demo1):
            for f in fn:
                if f == "links.txt":
                    os.unlink(os.path.join(dp, f))
        dlib.place(t, demo1, "CASE-FOLDER")
        # 2. a zip of the lung case
        z = os.path.join(stage, "CASE-ZIP.zip")
        dlib.zip_dir(os.path.join(fx, "CASE-DEMO-2"), z)
        dlib.place(t, z, "CASE-ZIP.zip")
        # 3. an ISO of the lung case
        iso = os.path.join(stage, "CASE-ISO.iso")
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "CASE_ISO", "-o", iso,
                        os.path.join(fx, "CASE-DEMO-2")], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        dlib.place(t, iso, "CASE-ISO.iso")
        # 4. a link file served over http by 127.0.0.1
        ln = os.path.join(stage, "links")
        os.makedirs(ln)
        with open(os.path.join(ln, "links.txt"), "w") as f:
            f.write("http://127.0.0.1:%d/report.pdf\n" % http.port)
        dlib.place(t, ln, "CASE-LINK")
        # 5. not a valid name
        bad = os.path.join(stage, "bad")
        os.makedirs(bad)
        open(os.path.join(bad, "x.txt"), "w").write("x\n")
        dlib.place(t, bad, "bad name!")

        t.wait_done(4, timeout=400)
        # SIGHUP: reload, keep running
        t.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        if t.proc.poll() is not None:
            fail("ingestd died on SIGHUP")

        # 6. a second drop for the zip case: the breast pathology report alone
        more = os.path.join(stage, "more")
        os.makedirs(more)
        for dp, _, fn in os.walk(os.path.join(fx, "CASE-DEMO-1")):
            for f in fn:
                if f.lower().endswith(".pdf"):
                    shutil.copy(os.path.join(dp, f), more)
        open(os.path.join(more, "READY"), "w").close()
        dlib.place(t, more, "CASE-ZIP")
        rows = t.wait_done(5, timeout=300)

        # quarantine with a reason
        q = os.listdir(t.quarantine)
        if "bad name!" not in q or "bad name!.reason.txt" not in q:
            fail("the invalid drop is not in quarantine with its reason: %r" % q)
        reason = open(os.path.join(t.quarantine, "bad name!.reason.txt")).read()
        if "case id" not in reason:
            fail("the reason does not say what is wrong: %r" % reason)

        cases = ["CASE-FOLDER", "CASE-ZIP", "CASE-ISO", "CASE-LINK"]
        for c in cases:
            p = t.verify(c)
            print("ok: %s verifies (%s)" % (c, p))
        for r in rows:
            if dlib.STEPS[r[4]] != "archived":
                fail("drop %r did not end archived" % (r,))
            n = t.sql("SELECT count(*) FROM steps WHERE drop_id = ? AND step = 4", r[0])[0][0]
            if n != 1:
                fail("drop %d published %d times" % (r[0], n))
            if not os.path.exists(os.path.join(t.archive, r[3], r[2])):
                fail("drop %s is not in archive/%s/" % (r[2], r[3]))
        t.check_clean()

        # the link was downloaded: the served PDF is in the package
        lp = t.package("CASE-LINK")
        rep = json.load(open(os.path.join(lp, "gap-report.json")))
        docs = rep.get("inventory", {}).get("documents", [])
        if not docs:
            fail("the downloaded document is not in CASE-LINK's report: %s" % json.dumps(rep)[:2000])

        # changes: the second report of CASE-ZIP names what was received
        ch = t.sql("SELECT r.changes FROM reports r JOIN drops d ON d.id = r.drop_id "
                   "WHERE d.case_id = 'CASE-ZIP' ORDER BY r.id")
        if len(ch) != 2:
            fail("CASE-ZIP should have 2 reports, has %d" % len(ch))
        second = json.loads(ch[1][0])
        whats = [c["what"] for c in second]
        if "drop received" not in whats or "document received" not in whats:
            fail("the second report's changes lack the new drop/documents: %r" % whats)
        print("ok: changes of the second drop:\n  %s" % "\n  ".join(
            c["what"] + (": " + c["detail"] if "detail" in c else "") for c in second))
        for c in second:
            if c["what"] in ("gap still open", "first report"):
                fail("a change that is no change: %r" % c)
        # ... and the published package's own report carries the history (SPEC §5)
        zrep = json.load(open(os.path.join(t.package("CASE-ZIP"), "gap-report.json")))
        if len(zrep.get("drops") or []) != 2 or not all(d.get("name") and d.get("received_at")
                                                         for d in zrep["drops"]):
            fail("CASE-ZIP's gap-report.json should list its 2 drops: %r" % zrep.get("drops"))
        zwhats = [c.get("what") for c in zrep.get("changes") or []]
        if "drop received" not in zwhats:
            fail("CASE-ZIP's gap-report.json lacks the changes: %r" % zrep.get("changes"))
        with open(os.path.join(t.package("CASE-ZIP"), "gap-report.txt"), encoding="utf-8") as f:
            ztxt = f.read()
            if "What changed since the last report:" not in ztxt:
                fail("CASE-ZIP's gap-report.txt lacks the changes")
        # the reports a person reads name the drops as they were dropped, never
        # the case folder's NNNNNN-NAME (the JSON keeps the paths it scanned)
        with open(os.path.join(t.package("CASE-ZIP"), "gap-report.html"), encoding="utf-8") as f:
            zhtml = f.read()
        zpaths = [d["path"] for d in zrep["inventory"]["documents"]] + [p["path"] for p in zrep.get("problems") or []]
        if not any(re.match(r"\d{6}-", x) for x in zpaths):
            fail("CASE-ZIP's gap-report.json paths are not the case folder's: %r" % zpaths)
        for d in zrep["drops"]:
            inner = re.compile(r"(?<![\w.-])\d{6}-" + re.escape(d["name"]))
            for what, text in (("gap-report.txt", ztxt), ("gap-report.html", zhtml)):
                m = inner.search(text)
                if m:
                    fail("CASE-ZIP's %s names the case folder %r, not the drop %r: ...%s..."
                         % (what, m.group(0), d["name"], text[max(0, m.start() - 80):m.end() + 80]))
            if not any(x.startswith(d["name"] + "/") or x == d["name"] for x in
                       (re.sub(r"^\d{6}-", "", y) for y in zpaths)) and d["name"] not in ztxt:
                fail("CASE-ZIP's gap-report.txt does not name the drop %r" % d["name"])
        print("ok: the package's report lists %d drops and the changes" % len(zrep["drops"]))

        # mail: one per report, real SMTP
        deadline = time.time() + 30
        while len(smtp.messages) < 5 and time.time() < deadline:
            time.sleep(0.2)
        if len(smtp.messages) != 5:
            fail("expected 5 mails, got %d; mail outbox: %r" % (len(smtp.messages), os.listdir(t.mail)))
        subjects = {}
        for frm, rcpt, content in smtp.messages:
            m = dlib.parse_mail(content)
            subj = dlib.decode_subject(m)
            mm = dlib.SUBJECT_RE.match(subj)
            if not mm:
                fail("subject %r is not '[ingestd] CASE cancer-type: STATUS \u2014 N required gaps'" % subj)
            subjects.setdefault(mm.group(1), []).append(subj)
            if sorted(rcpt) != ["coordinator@test.example", "second@test.example"]:
                fail("recipients %r" % rcpt)
            if frm != "ingestd@test.example":
                fail("envelope sender %r" % frm)
            for h in ("Message-ID", "Date", "From", "To"):
                if not m[h]:
                    fail("mail lacks %s" % h)
            if m.get_content_type() != "multipart/alternative":
                fail("mail is %s, not multipart/alternative" % m.get_content_type())
            kinds = [p.get_content_type() for p in m.iter_parts()]
            if kinds != ["text/plain", "text/html"]:
                fail("parts %r" % kinds)
            text = m.get_body(("plain",)).get_content()
            if "What changed" not in text or mm.group(1) not in text:
                fail("text part lacks the case or the changes")
            headers = "".join("%s: %s\n" % (k, v) for k, v in m.items()) + subj
            dlib.check_no_patient_data(headers, "mail headers of %s" % mm.group(1))
        if sorted(subjects) != sorted(cases) or len(subjects["CASE-ZIP"]) != 2:
            fail("mail per case: %r" % subjects)
        print("ok: 5 mails, subjects e.g. %r" % subjects["CASE-FOLDER"][0])
        if [x for x in os.listdir(t.mail) if x.endswith(".eml")]:
            fail("mail still queued though SMTP works: %r" % os.listdir(t.mail))

        # ingest status reads the journal while the daemon runs
        st = subprocess.run([dlib.INGEST, "status", "--config", t.config], capture_output=True, text=True)
        if st.returncode != 0 or "CASE-ZIP" not in st.stdout or "last report" not in st.stdout:
            fail("ingest status: %d\n%s%s" % (st.returncode, st.stdout, st.stderr))
        st1 = subprocess.run([dlib.INGEST, "status", "--config", t.config, "CASE-ZIP"], capture_output=True,
                             text=True)
        if st1.returncode != 0 or "CASE-ISO" in st1.stdout or st1.stdout.count("drop ") != 2:
            fail("ingest status CASE-ZIP:\n%s" % st1.stdout)
        st2 = subprocess.run([dlib.INGEST, "status", "--config", t.config, "NOPE"], capture_output=True, text=True)
        if st2.returncode != 1:
            fail("ingest status of an unknown case should exit 1, not %d" % st2.returncode)
        print(st.stdout)

        t0 = time.time()
        rc = t.stop()
        if rc != 0:
            fail("ingestd exit status %d after SIGTERM" % rc)
        print("ok: stopped in %.1f s" % (time.time() - t0))
        log = open(t.log, errors="replace").read()
        dlib.check_no_patient_data(log, "the daemon's log")
        for line in log.splitlines():
            if "ERROR: AddressSanitizer" in line or "runtime error:" in line:
                fail("sanitizer: %s" % line)
        print("ok: no patient name or id in %d log lines" % len(log.splitlines()))
    finally:
        t.cleanup()
        smtp.stop()
        http.stop()
    print("PASS")


if __name__ == "__main__":
    main()

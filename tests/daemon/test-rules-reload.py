# SPDX-License-Identifier: GPL-3.0-or-later
"""The last good rules are kept when a reload fails (SPEC §11, issue 20 item 1).

ingestd starts with a good copy of the rules (paths.rules) and takes the lung
case; then nsclc.yaml is broken (the issue's unclosed flow sequence) and the
daemon gets SIGHUP: the reload fails, and the same case dropped again is
judged with the rules validated before (same status, same required gaps, no
rules.unavailable), because the workers use the daemon's copy, not the
folder. `ingest status` says that the last reload failed, where, and which
rules are in use, and so does the case's report mail. Fixed and reloaded again: the line is gone, and only the
current copy of the rules is left in base_dir."""

import glob
import json
import os
import shutil
import signal
import subprocess
import time

import dlib


def report(t, case):
    rows = t.sql("SELECT r.status, r.required_gaps, r.json FROM reports r JOIN drops d ON d.id = r.drop_id "
                 "WHERE d.case_id = ? ORDER BY r.id DESC LIMIT 1", case)
    if not rows:
        dlib.fail("case %s has no report in the journal" % case)
    status, req, js = rows[0]
    gaps = sorted((g["rule_id"], g["severity"]) for g in json.loads(js)["gaps"])
    return status, req, gaps


def wait_log(t, text, since, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in open(t.log, errors="replace").read()[since:]:
            return
        time.sleep(0.1)
    dlib.fail("no log line with %r within %d s:\n%s" % (text, timeout, t.tail()))


def mail_text(t, case):
    """The text part of the report mail of CASE (queued as .eml: no SMTP here)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        for path in sorted(glob.glob(os.path.join(t.mail, "*.eml"))):
            with open(path, "rb") as f:
                msg = dlib.parse_mail(f.read())
            if (" %s " % case) in dlib.decode_subject(msg):
                return msg.get_body(preferencelist=("plain",)).get_content()
        time.sleep(0.2)
    dlib.fail("no report mail for %s in %s:\n%s" % (case, t.mail, t.tail()))


def status_text(t):
    r = subprocess.run([dlib.INGEST, "status", "--db", t.db], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        dlib.fail("ingest status failed (%d): %s" % (r.returncode, r.stderr))
    return r.stdout


def main():
    tmp_rules = None
    t = None
    try:
        t = dlib.Tree(settle=1, workers=1, extra="")
        tmp_rules = os.path.join(t.root, "rules")
        shutil.copytree(os.path.join(dlib.SRC, "rules"), tmp_rules)
        with open(t.config, "a") as f:
            f.write("paths:\n  rules: %s\n" % tmp_rules)
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")   # case.yaml: cancer_type nsclc
        stage = os.path.join(t.root, "stage")
        shutil.copytree(fx, stage)
        for dp, _, fn in os.walk(stage):
            for name in fn:
                if name == "links.txt":
                    os.unlink(os.path.join(dp, name))
        t.start()
        dlib.place(t, stage, "CASE-BEFORE")
        t.wait_done(1)
        good = report(t, "CASE-BEFORE")
        if any(g[0] == "rules.unavailable" for g in good[2]):
            dlib.fail("with good rules, the case was held: %r" % (good,))
        if "rules:" in status_text(t):
            dlib.fail("ingest status speaks of the rules before any reload failed:\n%s" % status_text(t))

        # Break the folder and reload: the reload fails, the good copy stays in use.
        with open(os.path.join(tmp_rules, "nsclc.yaml"), "a") as f:
            f.write("\n  - id: x\n    severity: [unclosed\n")
        since = len(open(t.log, errors="replace").read())
        t.proc.send_signal(signal.SIGHUP)
        wait_log(t, "reload failed", since)
        if t.proc.poll() is not None:
            dlib.fail("ingestd died on a reload with broken rules:\n%s" % t.tail())
        log = open(t.log, errors="replace").read()[since:]
        if "nsclc.yaml:" not in log:
            dlib.fail("the log does not name the broken file:\n%s" % log)

        dlib.place(t, stage, "CASE-AFTER")
        t.wait_done(2)
        after = report(t, "CASE-AFTER")
        if after != good:
            dlib.fail("after a failed reload the case was judged differently from the good rules:\n"
                      "  good rules: %r\n  after:      %r" % (good, after))

        # The mail says so to its recipients (the operators among them); not before.
        note = "For the operator: the last reload of the rules failed"
        if note in mail_text(t, "CASE-BEFORE"):
            dlib.fail("the mail of the case before the failed reload speaks of it")
        txt = mail_text(t, "CASE-AFTER")
        if note not in txt or "nsclc.yaml:" not in txt:
            dlib.fail("the mail after the failed reload does not say so, naming the file:\n%s" % txt[:1500])

        st = status_text(t)
        line = [ln for ln in st.splitlines() if ln.startswith("rules: ")]
        if len(line) != 1 or "last reload failed at " not in line[0] or "nsclc.yaml:" not in line[0] \
                or "; using the rules validated at " not in line[0]:
            dlib.fail("ingest status does not show the failed reload as 'rules: last reload failed at TIME: "
                      "FILE:LINE:COL ...; using the rules validated at TIME':\n%s" % st)

        # Fixed and reloaded: taken into use, the line is gone, one copy left.
        shutil.rmtree(tmp_rules)
        shutil.copytree(os.path.join(dlib.SRC, "rules"), tmp_rules)
        since = len(open(t.log, errors="replace").read())
        t.proc.send_signal(signal.SIGHUP)
        wait_log(t, "reloaded", since)
        if "rules:" in status_text(t):
            dlib.fail("ingest status still shows a failed reload after a good one:\n%s" % status_text(t))
        deadline = time.time() + 10
        while time.time() < deadline and len(glob.glob(os.path.join(t.base, "rules.good.*"))) != 1:
            time.sleep(0.2)
        copies = sorted(os.path.basename(p) for p in glob.glob(os.path.join(t.base, "*rules*")))
        if len(copies) != 1 or not copies[0].startswith("rules.good."):
            dlib.fail("base_dir should hold the one copy of the rules in use, not %r" % copies)
        rc = t.stop()
        if rc != 0:
            dlib.fail("ingestd exited %d on SIGTERM:\n%s" % (rc, t.tail()))
        print("ok: a failed reload keeps the good rules (%s, %d required gaps); ingest status says it" %
              (good[0], good[1]))
    finally:
        if t:
            t.cleanup()


if __name__ == "__main__":
    main()

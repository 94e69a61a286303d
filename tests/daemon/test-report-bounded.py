#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A report and a mail that stay bounded (SPEC §11, issue 20 item 3): a zip
of 100,000 empty entries (each one an unreadable document) gives

- `ingest scan --json`: every list cut at REPORT_MAX_LISTED (1,000) entries,
  the totals under "truncated", valid against docs/gap-report.schema.json,
  under 2 MB, and under 128 MiB peak memory;
- through ingestd end to end (aiosmtpd on 127.0.0.1): the report mail
  arrives, is under 1 MB and says how many more there are; the package's
  gap-report.json is cut the same way while provenance.tsv lists every file;
  the worker and the main process stay under 128 MiB peak memory;
- a second drop of 10 more files to that case: its mail's "what changed"
  counts the documents (too many to compare one by one).

usage: test-report-bounded.py [B_SANITIZE]   (meson passes get_option('b_sanitize'))
Under ASan (shadow memory, several times slower) the drop holds 20,000 entries
and the memory is not measured; the caps are the same."""

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

ASAN = len(sys.argv) > 1 and "address" in sys.argv[1]
N = 20000 if ASAN else 100000
LISTED = 1000                   # REPORT_MAX_LISTED (libingest/caps.h)
MIB = 1 << 20
RULES = os.environ.get("INGEST_TEST_RULES_DIR", os.path.join(dlib.SRC, "rules"))


def make_zip(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for i in range(N):
            z.writestr("scan/f%06d.txt" % i, b"")


def validator():
    import jsonschema
    with open(os.path.join(dlib.SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft202012Validator(schema)


def check_report(doc, where, files_total):
    errs = ["%s: %s" % ("/".join(str(x) for x in e.absolute_path), e.message)
            for e in validator().iter_errors(doc)]
    if errs:
        fail("%s does not validate against the schema:\n  %s" % (where, "\n  ".join(errs[:10])))
    inv = doc["inventory"]
    tr = doc.get("truncated")
    if not isinstance(tr, dict):
        fail("%s: no \"truncated\" object although its lists are cut" % where)
    for key, arr, total in (("inventory.documents", inv["documents"], N),
                            ("inventory.files", inv["files"], files_total)):
        if len(arr) != LISTED:
            fail("%s: %s lists %d entries, expected %d" % (where, key, len(arr), LISTED))
        t = tr.get(key)
        if not t or t.get("total") != total or t.get("listed") != LISTED:
            fail("%s: truncated[%r] is %r, expected total %d, listed %d" % (where, key, t, total, LISTED))
    for k, t in tr.items():
        if t["listed"] >= t["total"]:
            fail("%s: truncated[%r] = %r is not a cut" % (where, k, t))


def scan(tmp, z):
    t0 = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = os.path.join(tmp, "scan.json")
    with open(out, "wb") as f:
        r = subprocess.run([dlib.INGEST, "scan", "--json", "--rules", RULES, z], stdout=f,
                           stderr=subprocess.PIPE)
    if r.returncode != 0:
        fail("ingest scan exited %d: %s" % (r.returncode, r.stderr.decode(errors="replace")[-2000:]))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    size = os.path.getsize(out)
    if size > 2 * MIB:
        fail("ingest scan --json of %d empty entries printed %d bytes (more than 2 MB)" % (N, size))
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    check_report(doc, "ingest scan --json", N + 1)
    if not ASAN:
        if peak <= before:
            fail("the peak memory of ingest scan was not measured")
        if peak > 128 * MIB:
            fail("ingest scan of %d empty entries peaked at %.0f MiB (limit 128 MiB)" % (N, peak / MIB))
    print("ok: ingest scan --json: %d bytes, peak %.0f MiB, %.1f s" % (size, peak / MIB, time.time() - t0))


def worker_peaks(log):
    """Peak memory of each drop worker, as ingestd logs it when it reaps one."""
    return [int(x) for x in re.findall(r"worker exited, peak memory (\d+) KiB", log)]


def main():
    tmp = tempfile.mkdtemp(prefix="ingest-bounded.")
    z = os.path.join(tmp, "CASE-BIG.zip")
    make_zip(z)
    scan(tmp, z)

    smtp = dlib.Smtp()
    t = dlib.Tree(settle=1, workers=1, smtp_port=smtp.port)
    try:
        t0 = time.time()
        t.start()
        dlib.place(t, z, "CASE-BIG.zip")
        t.wait_done(1, timeout=600)
        deadline = time.time() + 60
        while not smtp.messages and time.time() < deadline:
            time.sleep(0.2)
        log = open(t.log, errors="replace").read()
        if not smtp.messages:
            fail("the report mail never arrived; mail outbox %r\n%s" % (os.listdir(t.mail), t.tail()))
        if [x for x in os.listdir(t.mail) if x.endswith(".eml")]:
            fail("a mail is still queued: %r" % os.listdir(t.mail))
        content = smtp.messages[0][2]
        if len(content) > MIB:
            fail("the report mail of %d empty entries is %d bytes (more than 1 MB)" % (N, len(content)))
        m = dlib.parse_mail(content)
        subj = dlib.decode_subject(m)
        if not dlib.SUBJECT_RE.match(subj) or subj.split()[1] != "CASE-BIG":
            fail("subject %r" % subj)
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        more = "%s more" % format(N - LISTED, ",")
        for part, body in (("text", text), ("HTML", html)):
            if more not in body:
                fail("the mail's %s part does not say \"%s\"" % (part, more))
        # the package: the report cut the same way, provenance.tsv complete
        p = t.verify("CASE-BIG")
        with open(os.path.join(p, "gap-report.json"), encoding="utf-8") as f:
            doc = json.load(f)
        check_report(doc, "the package's gap-report.json", N + 1)
        if os.path.getsize(os.path.join(p, "gap-report.json")) > 2 * MIB:
            fail("the package's gap-report.json is over 2 MB")
        with open(os.path.join(p, "provenance.tsv"), encoding="utf-8") as f:
            rows = sum(1 for line in f if "!/scan/f" in line)
        if rows != N:
            fail("provenance.tsv lists %d of the %d files" % (rows, N))
        # memory: the worker (logged by the daemon from wait4) and the main process
        main_hwm = 0
        with open("/proc/%d/status" % t.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    main_hwm = int(line.split()[1])
        peaks = worker_peaks(open(t.log, errors="replace").read())
        if not peaks:
            fail("the daemon did not log the worker's peak memory:\n%s" % t.tail())
        print("ok: mail %d bytes; main process peak %d KiB, worker peak %d KiB; %.1f s" %
              (len(content), main_hwm, max(peaks), time.time() - t0))
        if not ASAN:
            if main_hwm > 128 * 1024:
                fail("the main process peaked at %d KiB (limit 128 MiB)" % main_hwm)
            if max(peaks) > 128 * 1024:
                fail("the worker peaked at %d KiB (limit 128 MiB)" % max(peaks))
        # a second drop: the documents are counted, not compared one by one
        z2 = os.path.join(tmp, "more.zip")
        with zipfile.ZipFile(z2, "w") as zf:
            for i in range(10):
                zf.writestr("more/g%02d.txt" % i, b"")
        dlib.place(t, z2, "CASE-BIG.zip")
        t.wait_done(2, timeout=600)
        deadline = time.time() + 60
        while len(smtp.messages) < 2 and time.time() < deadline:
            time.sleep(0.2)
        if len(smtp.messages) < 2:
            fail("the second report mail never arrived\n%s" % t.tail())
        m2 = dlib.parse_mail(smtp.messages[1][2])
        text2 = m2.get_body(("plain",)).get_content()
        want = "documents: %d before, %d now (too many to list)" % (N, N + 10)
        if want not in text2:
            fail("the second mail does not say %r:\n%s" % (want, text2[:1500]))
        if len(smtp.messages[1][2]) > MIB:
            fail("the second report mail is %d bytes" % len(smtp.messages[1][2]))
        peaks = worker_peaks(open(t.log, errors="replace").read())
        print("ok: second drop: changes counted; worker peaks %r KiB" % peaks)
        if not ASAN and max(peaks) > 128 * 1024:
            fail("a worker peaked at %d KiB (limit 128 MiB)" % max(peaks))
        log = open(t.log, errors="replace").read()
        dlib.check_no_patient_data(log, "the daemon log")
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
        smtp.stop()
        subprocess.run(["rm", "-rf", tmp])
    print("PASS")


if __name__ == "__main__":
    main()

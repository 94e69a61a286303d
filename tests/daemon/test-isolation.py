#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Isolation of the parsers in the drop worker (docs/faults.md, "Isolation"):
a DICOM file whose header read crashes, one whose header read hangs, (without
ASan) one whose header read runs out of memory, an archive the archive reader
crashes on, and a zip holding a file that crashes the DICOM reader, each cost
that one file (or archive, or entry), never the drop.

The faults come from the test hook INGEST_TEST_PARSER_FAULT (libingest/testhooks.c):
a marker in the file's own bytes (here its Series Description) makes the scan
crash (SIGSEGV), spin, or allocate until malloc fails just before the header
is read; INGEST-FAULT-ARCHIVE-CRASH as the name of a zip's first entry crashes
the scan just before that zip is expanded. The daemon runs with parse_timeout_seconds: 3. The same lung fixture
goes in clean (CASE-BASE) and with the fault files added (CASE-FAULT, and
zipped: CASE-FZIP); each faulted case must be published with exactly one
problem per fault file that says what happened, everything else packaged as
in the clean case, no attempt counted, nothing quarantined, and the daemon
still running and stopping cleanly.

usage: test-isolation.py [B_SANITIZE]   (meson passes get_option('b_sanitize'))"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402

TIMEOUT_S = 3
ASAN = len(sys.argv) > 1 and "address" in sys.argv[1]


def fault_dicom(src, dst, marker):
    """A copy of the DICOM file SRC with MARKER as its Series Description and a new SOP Instance UID."""
    shutil.copy(src, dst)
    subprocess.run(["dcmodify", "-nb", "-gin", "-i", "(0008,103E)=%s" % marker, dst], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if marker.encode() not in open(dst, "rb").read(65536):
        fail("the marker %s is not in the first 64 KiB of %s" % (marker, dst))


def report(t, case):
    p = t.package(case)
    if not p:
        fail("case %s has no package:\n%s" % (case, t.tail()))
    rep = json.load(open(os.path.join(p, "gap-report.json")))
    payload = sorted(x.split(None, 1)[1].strip() for x in open(os.path.join(p, "manifest-sha256.txt")) if x.strip())
    return rep, payload


def instances(rep):
    return sum(s["instances"] for st in rep["inventory"]["studies"] for s in st["series"])


def check_case(t, case, base, faults):
    """FAULTS: {file name suffix: words its problem message must hold}."""
    rep, payload = report(t, case)
    brep, bpayload = base
    probs = rep.get("problems", [])
    bprobs = brep.get("problems", [])
    for suffix, words in faults.items():
        mine = [x for x in probs if x["path"].endswith(suffix)]
        if len(mine) != 1:
            fail("%s: %d problems for %s (exactly one expected): %r" % (case, len(mine), suffix, probs))
        m = mine[0]
        if m["code"] != "corrupt" or not all(w in m["message"] for w in words):
            fail("%s: the problem of %s does not say %r: %r" % (case, suffix, words, m))
        print("ok: %s: %s -> %s: %s" % (case, m["path"], m["code"], m["message"]))
    if len(probs) != len(bprobs) + len(faults):
        fail("%s: %d problems, the clean case has %d and %d files were faulted: %r" %
             (case, len(probs), len(bprobs), len(faults), probs))
    # Everything else is there as in the clean case: the images, the documents, the payload.
    if instances(rep) != instances(brep):
        fail("%s: %d DICOM instances, the clean case has %d" % (case, instances(rep), instances(brep)))
    if len(rep["inventory"]["documents"]) != len(brep["inventory"]["documents"]):
        fail("%s: documents %r, the clean case has %r" % (case, rep["inventory"]["documents"],
                                                          brep["inventory"]["documents"]))
    if len(payload) != len(bpayload):
        fail("%s: %d payload files, the clean case has %d:\n%r\n%r" % (case, len(payload), len(bpayload),
                                                                      payload, bpayload))
    if any(any(s in x for s in faults) for x in payload):
        fail("%s: a faulted file was packaged: %r" % (case, payload))


def children(pid):
    out = []
    for x in os.listdir("/proc"):
        if not x.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % x).read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(x))
    return out


def wait_confined_worker(t, timeout=120):
    """A drop worker with the seccomp filter (and, without ASan, the address space limit) in place."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for c in children(t.proc.pid):
            try:
                status = open("/proc/%d/status" % c).read()
                limits = open("/proc/%d/limits" % c).read()
            except OSError:
                continue
            if "Seccomp:\t2" not in status or "NoNewPrivs:\t1" not in status:
                continue
            core = [x for x in limits.splitlines() if x.startswith("Max core file size")]
            if not core or core[0].split()[4] != "0":
                fail("worker %d: core files not turned off: %r" % (c, core))
            asl = [x for x in limits.splitlines() if x.startswith("Max address space")]
            if not ASAN and (not asl or asl[0].split()[3] != str(2 << 30)):
                fail("worker %d: the address space limit is not worker_memory + max_file_bytes: %r" % (c, asl))
            return "pid %d: seccomp filter, no_new_privs, no core%s" % (c, "" if ASAN else ", 2 GiB address space")
        time.sleep(0.05)
    fail("no drop worker with a seccomp filter was seen:\n%s" % t.tail())


def main():
    os.environ["INGEST_TEST_PARSER_FAULT"] = "1"
    # A worker address space small enough for the memory case to end quickly.
    t = dlib.Tree(settle=1, workers=2, extra="parse_timeout_seconds: %d\nworker_memory: 1G\n"
                  "limits:\n  max_file_bytes: 1G\n" % TIMEOUT_S)
    try:
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")
        stage = os.path.join(t.root, "stage")
        os.makedirs(stage)
        slices = sorted(os.path.join(fx, "CT_2024-04-10", x) for x in os.listdir(os.path.join(fx, "CT_2024-04-10")))
        faulted = os.path.join(stage, "CASE-FAULT")
        shutil.copytree(fx, faulted)
        os.makedirs(os.path.join(faulted, "extra"))
        faults = {"crash.dcm": ["crashed (signal 11)", "earlier attempt", "new copy"],
                  "spin.dcm": ["took more than %d s" % TIMEOUT_S, "earlier attempt"]}
        fault_dicom(slices[0], os.path.join(faulted, "extra", "crash.dcm"), "INGEST-FAULT-CRASH")
        fault_dicom(slices[1], os.path.join(faulted, "extra", "spin.dcm"), "INGEST-FAULT-SPIN")
        # An archive the archive reader crashes on (the marker is its first entry's name, in its first
        # bytes): the archive is not opened again, the rest of the drop is kept.
        import zipfile
        with zipfile.ZipFile(os.path.join(faulted, "extra", "bad.zip"), "w", zipfile.ZIP_STORED) as z:
            z.writestr("INGEST-FAULT-ARCHIVE-CRASH.txt", "a file named to crash the archive reader\n")
            z.write(slices[4], "slice.dcm")
        faults["bad.zip"] = ["the archive reader crashed (signal 11) on this archive", "not opened"]
        if not ASAN:   # ASan reserves terabytes: no address space limit under it (as tests/docext)
            faults["oom.dcm"] = ["ran out of memory", "earlier attempt"]
            fault_dicom(slices[2], os.path.join(faulted, "extra", "oom.dcm"), "INGEST-FAULT-OOM")
        else:
            print("note: the out-of-memory case is skipped under ASan")
        # The same, zipped, with only the crashing file added: the entry is left out, not the zip.
        # Compared with the clean zip (CASE-ZBASE), not the folder: what a zip yields is the expander's.
        zb = os.path.join(stage, "CASE-ZBASE.zip")
        dlib.zip_dir(fx, zb)
        zsrc = os.path.join(stage, "zsrc")
        shutil.copytree(fx, zsrc)
        fault_dicom(slices[3], os.path.join(zsrc, "crash.dcm"), "INGEST-FAULT-CRASH")
        zf = os.path.join(stage, "CASE-FZIP.zip")
        dlib.zip_dir(zsrc, zf)

        t.start()
        dlib.place(t, fx, "CASE-BASE")
        dlib.place(t, faulted, "CASE-FAULT")
        dlib.place(t, zb, "CASE-ZBASE.zip")
        dlib.place(t, zf, "CASE-FZIP.zip")
        confined = wait_confined_worker(t)
        print("ok: a drop worker runs confined: %s" % confined)
        rows = t.wait_done(4, timeout=400)
        if t.proc.poll() is not None:
            fail("ingestd is not running any more:\n%s" % t.tail())
        for r in rows:
            if r[5]:
                fail("drop %s: %d failed attempt(s) counted (%s); a file that stops a reader must not count" %
                     (r[1], r[5], r[6]))
        fl.check_final(t, ["CASE-BASE", "CASE-FAULT", "CASE-ZBASE", "CASE-FZIP"])   # also: quarantine/ empty

        base = report(t, "CASE-BASE")
        check_case(t, "CASE-FAULT", base, faults)
        check_case(t, "CASE-FZIP", report(t, "CASE-ZBASE"), {"crash.dcm": ["crashed (signal 11)", "earlier attempt"]})
        rep, _ = report(t, "CASE-FZIP")
        zp = [x for x in rep["problems"] if x["path"].endswith("crash.dcm")][0]["path"]
        if "!/" not in zp:
            fail("CASE-FZIP: the problem does not name the entry inside the zip: %r" % zp)

        # The journal: one input left out per fault, in the phase it failed in.
        skips = t.sql("SELECT case_id, path, phase, reason FROM parse_skips ORDER BY case_id, path")
        want = len(faults) + 1
        if len(skips) != want or any(s[2] != ("archive" if s[1].endswith(".zip") else "DICOM header") for s in skips):
            fail("parse_skips: %d rows (want %d, each in its phase): %r" % (len(skips), want, skips))
        print("ok: journal: %r" % (skips,))

        # The log tells the operator, with the case id and never a path or patient data.
        log = open(t.log, errors="replace").read()
        for words in ("the DICOM reader crashed (signal 11) on one input", "made no progress for %d s" % TIMEOUT_S,
                      "the archive reader crashed (signal 11) on one input"):
            if words not in log:
                fail("the log does not say %r:\n%s" % (words, t.tail()))
        for name in faults:
            if name in log:
                fail("the log names the file %s (paths may carry patient data):\n%s" % (name, t.tail()))
        dlib.check_no_patient_data(log, "the daemon log")

        # Still healthy: a new drop of a clean case goes through.
        dlib.place(t, fx, "CASE-AFTER")
        t.wait_done(5, timeout=200)
        rep, _ = report(t, "CASE-AFTER")
        if instances(rep) != instances(base[0]):
            fail("CASE-AFTER: %d instances after the faults, %d expected" % (instances(rep), instances(base[0])))
        time.sleep(0.5)
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault: short reads from an archive (what an I/O error on a disc or a broken
download leaves): a zip and a tar cut off part-way through an entry.

A real EIO needs a failing block device (device-mapper "error" target) or
FUSE, neither available here; the deterministic stand-in is the archive that
ends mid-entry, which is what the reader sees after a short read. Each drop
must complete (archived, published exactly once, verified) with the entries
before the damage in its inventory and package, and a `truncated` (or
`corrupt`) problem naming the archive and the entry that was cut. A DICOM
file cut inside its pixel data, dropped as a plain file in a folder, gives a
problem too and never stops the drop."""

import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
import faultlib as fl  # noqa: E402
from dlib import fail  # noqa: E402


def cut(src, dst, fraction):
    data = open(src, "rb").read()
    with open(dst, "wb") as f:
        f.write(data[:int(len(data) * fraction)])


def main():
    t = dlib.Tree(settle=1, workers=2)
    try:
        fx = os.path.join(t.fixtures, "drops", "CASE-DEMO-2")
        stage = os.path.join(t.root, "stage")
        os.makedirs(stage)
        z = os.path.join(stage, "demo2.zip")
        dlib.zip_dir(fx, z)
        tp = os.path.join(stage, "demo2.tar")
        with tarfile.open(tp, "w") as tf:
            tf.add(fx, arcname="disc")
        cut(z, os.path.join(stage, "CASE-TZIP.zip"), 0.6)
        cut(tp, os.path.join(stage, "CASE-TTAR.tar"), 0.6)
        # A folder drop with one DICOM file cut inside its pixel data.
        folder = os.path.join(stage, "CASE-TDCM")
        dcms = sorted(os.path.join(dp, f) for dp, _, fn in os.walk(fx) for f in fn if f.endswith(".dcm"))
        if len(dcms) < 3:
            fail("the fixture has too few DICOM files: %r" % dcms)
        os.makedirs(folder)
        for i, p in enumerate(dcms[:3]):
            data = open(p, "rb").read()
            with open(os.path.join(folder, "img%d.dcm" % i), "wb") as f:
                f.write(data if i else data[:len(data) - 300])
        t.start()
        for n in ("CASE-TZIP.zip", "CASE-TTAR.tar", "CASE-TDCM"):
            dlib.place(t, os.path.join(stage, n), n)
        rows = t.wait_done(3, timeout=300)
        for r in rows:
            if r[5] or r[6]:
                fail("drop %s failed on the way (attempts %d: %s); a damaged input must not fail the drop" %
                     (r[1], r[5], r[6]))
        fl.check_final(t, ["CASE-TZIP", "CASE-TTAR", "CASE-TDCM"])
        for case, arch in (("CASE-TZIP", "CASE-TZIP.zip"), ("CASE-TTAR", "CASE-TTAR.tar"), ("CASE-TDCM", None)):
            p = t.package(case)
            rep = json.load(open(os.path.join(p, "gap-report.json")))
            probs = rep.get("problems", [])
            codes = [x["code"] for x in probs]
            if not any(c in ("truncated", "corrupt") for c in codes):
                fail("%s: no truncated/corrupt problem: %r" % (case, probs))
            if arch and not any(x["code"] == "truncated" and arch in x["path"] for x in probs):
                fail("%s: the archive %s is not named as truncated: %r" % (case, arch, probs))
            series = [s for st in rep["inventory"]["studies"] for s in st["series"]]
            readable = sum(s["instances"] for s in series)
            payload = [x for x in open(os.path.join(p, "manifest-sha256.txt")).read().splitlines() if x]
            if readable < 1 or not payload:
                fail("%s: the readable part was not kept (instances %d, payload %d)" % (case, readable, len(payload)))
            print("ok: %s: %d instances, %d payload files, problems %r" % (case, readable, len(payload), codes))
        dlib.check_no_patient_data(open(t.log, errors="replace").read(), "the daemon log")
        if t.stop() != 0:
            fail("unclean stop")
    finally:
        t.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()

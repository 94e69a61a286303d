#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A UDF-only disc image (a DVD burned without an ISO 9660 bridge) is
recognised by its volume recognition sequence, not its name, opened through
libudfread, and gives the same files (paths, kinds, SHA-256) as the folder it
was made from.

No tool here writes a UDF-only image, and the kernel may lack the udf module
for a loop mount; so the test makes a UDF bridge image with genisoimage -udf
and removes its ISO 9660 descriptors, moving the UDF recognition sequence
(BEA01, NSR02, TEA01) to sector 16 where ECMA-167 wants it."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expandlib import check, finish, scan, SRC  # noqa: E402

S = 2048


def make_udf_only(src_dir, out):
    bridge = out + ".bridge"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-R", "-J", "-V", "CASE_UDF", "-o", bridge, src_dir],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    d = bytearray(open(bridge, "rb").read())
    os.unlink(bridge)
    ids = {k: bytes(d[k * S + 1:k * S + 6]) for k in range(16, 32)}
    vrs = [k for k in range(16, 32) if ids[k] in (b"BEA01", b"NSR02", b"NSR03", b"TEA01")]
    if not vrs or ids[vrs[0]] != b"BEA01":
        raise SystemExit("genisoimage wrote no UDF recognition sequence: %r" % ids)
    blocks = [bytes(d[k * S:(k + 1) * S]) for k in vrs]
    for k in range(16, 16 + len(vrs) + 3):          # the ISO descriptors and the old VRS
        d[k * S:(k + 1) * S] = bytes(S)
    for i, b in enumerate(blocks):
        d[(16 + i) * S:(17 + i) * S] = b
    with open(out, "wb") as f:
        f.write(d)


def files_of(doc, strip=""):
    out = {}
    for f in doc["inventory"]["files"]:
        p = f["path"]
        if strip and p == strip:
            continue
        out[p] = (f["kind"], f["sha256"])
    return out


def main():
    if not shutil.which("genisoimage"):
        print("genisoimage not installed: skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="ingest-udf.") as tmp:
        fx = os.path.join(tmp, "fx")
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "fixtures", "gen-fixtures.py"), fx],
                       check=True, stdout=subprocess.DEVNULL, timeout=300)
        disc = os.path.join(fx, "drops", "CASE-DEMO-1", "CD_CITY_GENERAL")
        # the disc without its viewer (genisoimage keeps names as they are)
        src = os.path.join(tmp, "disc")
        shutil.copytree(disc, src, ignore=shutil.ignore_patterns("Viewer", "IHE_PDI", "AUTORUN.INF"))
        img = os.path.join(tmp, "CASE-UDF.img")
        make_udf_only(src, img)
        # libarchive and libmagic must not see an ISO: this is UDF only
        with open(img, "rb") as f:
            head = f.read(65536)
        check(b"CD001" not in head[16 * S:32 * S], "the image still has ISO 9660 descriptors")

        ref = files_of(scan(src))
        doc = scan(img, as_folder=False)
        if doc is None:
            return finish()
        got = files_of(doc, strip="CASE-UDF.img")
        top = [f for f in doc["inventory"]["files"] if f["path"] == "CASE-UDF.img"]
        check(len(top) == 1 and top[0]["kind"] == "archive", "the image is not an archive: %r" % top)
        if top:
            # one SHA-256 pass: the entries are hashed, the image itself is not
            check(top[0]["sha256"] is None, "the image's own bytes were hashed: %r" % top[0]["sha256"])
        check(got == ref, "UDF inventory differs from the folder's:\n only folder: %r\n only UDF: %r\n differ: %r"
              % (sorted(set(ref) - set(got))[:10], sorted(set(got) - set(ref))[:10],
                 [p for p in set(ref) & set(got) if ref[p] != got[p]][:10]))
        check(len(ref) > 50, "too few files in the reference: %d" % len(ref))
    return finish()


if __name__ == "__main__":
    sys.exit(main())

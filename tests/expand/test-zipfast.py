#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deflated zip entries inflated by libdeflate (libingest/zipidx.c and the
zpar part of expand.c): every entry of zips made to stress the index (sizes
around the hold limit, stored and deflated mixed, duplicate names, UTF-8
names, a ZIP64 central directory entry, ZIP64 end records, data descriptors
from a streaming writer) must come out with exactly the bytes Python's
zipfile wrote; entries whose CRC or local header was damaged must not be
served from the index (libarchive reads them and reports the damage); and the
log must show the fast path actually served entries, so the test fails if it
is switched off."""

import hashlib
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expandlib import DRIVER, check, fail, finish  # noqa: E402

MIB = 1 << 20
# expand.c holds at most limits.hash_pending_bytes / 4 (16 MiB by default)
# inflated ahead, and takes entries up to a quarter of that
TAKEN_MAX = (16 * MIB // 4) // 4


def content(rnd, size, kind):
    """Bytes that deflate like the real thing: text, DICOM-ish, or noise."""
    if kind == "noise":
        return rnd.randbytes(size)
    words = [b"HER2", b"IHC", b"negative", b"slice", b"\x00\x00\x10\x00", b"Patient", b"\x7f\xe0\x10\x00",
             b"mm", b"lesion", b"\n"]
    out = bytearray()
    while len(out) < size:
        out += rnd.choice(words)
        if kind == "dicom":
            out += rnd.randbytes(rnd.randrange(1, 12))
    return bytes(out[:size])


def run(path):
    """expand-scan -v PATH (the file is the drop): (report, log)."""
    with tempfile.TemporaryDirectory(prefix="ingest-zipfast-cwd.") as cwd:
        r = subprocess.run([DRIVER, "-v", path], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=600)
    log = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        fail("expand-scan %s exited %d: %s" % (path, r.returncode, log[-2000:]))
        return None, log
    return json.loads(r.stdout.decode()), log


def served(log):
    """(entries, inflated by libdeflate, on the second core) from the debug log, summed over zips."""
    tot = [0, 0, 0]
    for m in re.finditer(r"zip: (\d+) entries, (\d+) inflated with libdeflate \((\d+) of them", log):
        for i in range(3):
            tot[i] += int(m.group(i + 1))
    return tot


def by_path(doc):
    out = {}
    for f in doc["inventory"]["files"]:
        out.setdefault(f["path"], []).append(f)
    return out


def problem_paths(doc):
    return {p["path"]: p for p in doc["problems"]}


def cd_records(data):
    """(offset of each central directory header, EOCD offset)."""
    e = data.rindex(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack("<II", data[e + 12:e + 20])
    recs, p = [], cd_off
    while p < cd_off + cd_size:
        assert data[p:p + 4] == b"PK\x01\x02"
        nlen, xlen, clen = struct.unpack("<HHH", data[p + 28:p + 34])
        recs.append(p)
        p += 46 + nlen + xlen + clen
    return recs, e


def cd_name(data, p):
    nlen = struct.unpack("<H", data[p + 28:p + 30])[0]
    return data[p + 46:p + 46 + nlen]


def patch_crc(data, name):
    """Flip the CRC-32 of NAME in its central directory and local headers."""
    recs, _ = cd_records(data)
    for p in recs:
        if cd_name(data, p) == name:
            crc = struct.unpack("<I", data[p + 16:p + 20])[0] ^ 0x5A5A5A5A
            lho = struct.unpack("<I", data[p + 42:p + 46])[0]
            data[p + 16:p + 20] = struct.pack("<I", crc)
            data[lho + 14:lho + 18] = struct.pack("<I", crc)
            return
    raise AssertionError(name)


def patch_local_name(data, name):
    """Change one byte of NAME in its local header only."""
    recs, _ = cd_records(data)
    for p in recs:
        if cd_name(data, p) == name:
            lho = struct.unpack("<I", data[p + 42:p + 46])[0]
            data[lho + 30 + len(name) - 5] ^= 0x20
            return
    raise AssertionError(name)


def patch_zip64(data, name):
    """Move NAME's sizes into a ZIP64 extra field of its central directory header."""
    recs, e = cd_records(data)
    for p in recs:
        if cd_name(data, p) != name:
            continue
        csize, usize = struct.unpack("<II", data[p + 20:p + 28])
        nlen, xlen = struct.unpack("<HH", data[p + 28:p + 32])
        extra = struct.pack("<HHQQ", 1, 16, usize, csize)
        data[p + 20:p + 28] = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)
        data[p + 30:p + 32] = struct.pack("<H", xlen + len(extra))
        at = p + 46 + nlen + xlen
        data[at:at] = extra
        e += len(extra)
        cd_size = struct.unpack("<I", data[e + 12:e + 16])[0]
        data[e + 12:e + 16] = struct.pack("<I", cd_size + len(extra))
        return
    raise AssertionError(name)


def main():
    if not DRIVER:
        fail("the expand-scan driver (argv[1]) is missing")
        finish()
    rnd = random.Random(20261123)
    with tempfile.TemporaryDirectory(prefix="ingest-zipfast.") as tmp:
        # -- 1: the mixed zip (over 1 MiB, so it is mapped and indexed) --
        want = {}                          # path -> list of sha256 hex (duplicates keep both)
        z1 = os.path.join(tmp, "mixed.zip")
        with zipfile.ZipFile(z1, "w", zipfile.ZIP_DEFLATED) as z:
            sizes = [1, 2, 100, 4095, 4096, 65536, 300000, TAKEN_MAX - 1, TAKEN_MAX, TAKEN_MAX + 1, 3 * MIB]
            for i, size in enumerate(sizes + [rnd.randrange(1, 400000) for _ in range(40)]):
                kind = ["text", "dicom", "noise"][i % 3]
                name = "series/%03d-%s.bin" % (i, kind)
                data = content(rnd, size, kind)
                z.writestr(name, data)
                want.setdefault(name, []).append(hashlib.sha256(data).hexdigest())
            stored = content(rnd, 200000, "text")
            z.writestr(zipfile.ZipInfo("stored/plain.txt"), stored, compress_type=zipfile.ZIP_STORED)
            want["stored/plain.txt"] = [hashlib.sha256(stored).hexdigest()]
            # one name and size, stored and deflated: neither may get the other's bytes
            for data, how in [(b"S" * 3000, zipfile.ZIP_STORED), (b"T" * 3000, zipfile.ZIP_DEFLATED)]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    z.writestr(zipfile.ZipInfo("dup/mixed.txt"), data, compress_type=how)
                want.setdefault("dup/mixed.txt", []).append(hashlib.sha256(data).hexdigest())
            for name, data in [("dup/same.txt", b"A" * 5000), ("dup/same.txt", b"B" * 5000),
                               ("dup/sizes.txt", b"C" * 1000), ("dup/sizes.txt", b"D" * 2000),
                               ("отчёт/заключение.txt", content(rnd, 30000, "text")),
                               ("broken/crc.txt", content(rnd, 40000, "text")),
                               ("broken/lname.txt", content(rnd, 40000, "text")),
                               ("z64/slice.dcm", content(rnd, 250000, "dicom"))]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")       # "Duplicate name": meant
                    z.writestr(name, data)
                want.setdefault(name, []).append(hashlib.sha256(data).hexdigest())
        raw = bytearray(open(z1, "rb").read())
        patch_crc(raw, b"broken/crc.txt")
        patch_local_name(raw, b"broken/lname.txt")
        patch_zip64(raw, "z64/slice.dcm".encode())
        open(z1, "wb").write(raw)
        check(zipfile.ZipFile(z1).getinfo("z64/slice.dcm").file_size == 250000, "the ZIP64 patch is not readable")

        doc, log = run(z1)
        if doc:
            got = by_path(doc)
            probs = problem_paths(doc)
            for path, shas in want.items():
                if path.startswith("broken/"):
                    continue
                if path.startswith("dup/"):
                    # two entries of one name: both kept, under whatever names the scan gives
                    continue
                fs = got.get(path, [])
                check([f.get("sha256") for f in fs] == shas,
                      "%s: sha256 %s, want %s" % (path, [f.get("sha256") for f in fs], shas))
                check(path not in probs, "%s: unexpected problem %s" % (path, probs.get(path)))
            dup_shas = sorted(f.get("sha256") for p, fs in got.items() if p.startswith("dup/") for f in fs)
            check(dup_shas == sorted(s for p, ss in want.items() if p.startswith("dup/") for s in ss),
                  "duplicate names: bytes %s" % dup_shas)
            # a damaged CRC: never served from the index; libarchive reports it
            crc = got.get("broken/crc.txt", [])
            check(len(crc) == 1 and "broken/crc.txt" in probs,
                  "broken/crc.txt: no problem reported: %s %s" % (crc, probs.get("broken/crc.txt")))
            # a local header that disagrees: not served from the index; whatever
            # libarchive makes of it is either the true bytes or a problem
            # (libarchive names it from the local header)
            ln = got.get("broken/lname.txt", []) + got.get("broken/lnamE.txt", [])
            check(len(ln) == 1 and (ln[0].get("sha256") == want["broken/lname.txt"][0] or ln[0]["path"] in probs),
                  "broken/lname.txt: %s %s" % (ln, probs))
            n, fast, second = served(log)
            # deflated entries up to TAKEN_MAX and found by a unique (name, size): the sized ones,
            # the 40 random, dup/sizes.txt twice, the UTF-8 name and the ZIP64
            # one; not dup/same.txt (one name and size twice), not the two
            # damaged ones, not the stored one
            eligible = sum(1 for s in sizes if s <= TAKEN_MAX) + 40 + 4
            check(n == len(sum(want.values(), [])), "log says %d entries, want %d" % (n, len(sum(want.values(), []))))
            check(fast == eligible, "%d entries inflated with libdeflate, want %d: %s"
                  % (fast, eligible, log[-500:]))
            if os.cpu_count() > 1:
                check(second > 0, "no entry was inflated on the second core")

        # -- 1b: the end record counts fewer entries than the directory holds:
        # libarchive lists them all, so nothing may be paired by the index
        zc = os.path.join(tmp, "count.zip")
        wantc = {}
        with zipfile.ZipFile(zc, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(8):
                data = content(rnd, 200000, "dicom")
                z.writestr("c/%d.dcm" % i, data)
                wantc["c/%d.dcm" % i] = hashlib.sha256(data).hexdigest()
        raw = bytearray(open(zc, "rb").read())
        e = raw.rindex(b"PK\x05\x06")
        raw[e + 8:e + 12] = struct.pack("<HH", 7, 7)
        open(zc, "wb").write(raw)
        doc, log = run(zc)
        if doc:
            got = {p: fs[0].get("sha256") for p, fs in by_path(doc).items()}
            check(all(got.get(p) == s for p, s in wantc.items()),
                  "count 7 of 8: wrong or missing bytes: %s" % {p: got.get(p) == s for p, s in wantc.items()})
            check(served(log)[1] == 0, "count 7 of 8: %d entries taken from an index that cannot be trusted"
                  % served(log)[1])

        # -- 2: ZIP64 end records (written by zipfile when forced), same bytes --
        z2 = os.path.join(tmp, "zip64-end.zip")
        want2 = {}
        saved = zipfile.ZIP_FILECOUNT_LIMIT
        zipfile.ZIP_FILECOUNT_LIMIT = 0
        try:
            with zipfile.ZipFile(z2, "w", zipfile.ZIP_DEFLATED) as z:
                for i in range(30):
                    data = content(rnd, rnd.randrange(50000, 200000), "dicom")
                    z.writestr("ct/%02d.dcm" % i, data)
                    want2["ct/%02d.dcm" % i] = hashlib.sha256(data).hexdigest()
        finally:
            zipfile.ZIP_FILECOUNT_LIMIT = saved
        check(b"PK\x06\x06" in open(z2, "rb").read()[-200:], "zipfile wrote no ZIP64 end record")
        check(os.path.getsize(z2) > MIB, "zip64-end.zip is not over 1 MiB: it would not be mapped")
        doc, log = run(z2)
        if doc:
            got = {p: fs[0].get("sha256") for p, fs in by_path(doc).items()}
            check(all(got.get(p) == s for p, s in want2.items()), "ZIP64 end records: wrong bytes")
            check(served(log)[1] == 30, "ZIP64 end records: %d of 30 inflated with libdeflate" % served(log)[1])

        # -- 3: data descriptors (Info-ZIP writing to a pipe), same bytes --
        src = os.path.join(tmp, "src")
        os.makedirs(os.path.join(src, "scan"))
        want3 = {}
        for i in range(12):
            data = content(rnd, rnd.randrange(100000, 400000), "dicom")
            with open(os.path.join(src, "scan", "p%02d.txt" % i), "wb") as f:
                f.write(data)
            want3["scan/p%02d.txt" % i] = hashlib.sha256(data).hexdigest()
        z3 = os.path.join(tmp, "streamed.zip")
        with open(z3, "wb") as out:
            subprocess.run("zip -q -r - scan | cat", shell=True, cwd=src, stdout=out, check=True)
        check(os.path.getsize(z3) > MIB, "streamed.zip is not over 1 MiB: it would not be mapped")
        flags = [i.flag_bits for i in zipfile.ZipFile(z3).infolist() if not i.is_dir()]
        check(all(f & 8 for f in flags), "zip to a pipe wrote no data descriptors (flags %s)" % flags)
        doc, log = run(z3)
        if doc:
            got = {p: fs[0].get("sha256") for p, fs in by_path(doc).items()}
            check(all(got.get(p) == s for p, s in want3.items()),
                  "data descriptors: wrong bytes: %s" % {p: got.get(p) for p in want3})
            check(served(log)[1] == 12, "data descriptors: %d of 12 inflated with libdeflate" % served(log)[1])
    finish()


if __name__ == "__main__":
    main()

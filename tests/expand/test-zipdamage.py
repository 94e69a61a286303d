#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zips crafted to hide bytes or entries: each must be a problem in the
report, never silence (#20, item 7).

  lying-size.zip  big.bin declares 1 byte (and the CRC of its first byte) but
                  inflates to 256 MiB; ok.txt after it is sound. big.bin must
                  be `corrupt` ("the archive says this entry is 1 byte but it
                  holds more"), its 256 MiB never inflated, ok.txt read.
  overlap.zip     4,999 more central directory records pointing at the one
                  local header of p0000.txt (a fully overlapping zip), and a
                  sound ok.txt: one `corrupt` problem on the archive naming
                  the 4999 entries that share data, not thousands of records.
Each is scanned in a folder drop, as the drop itself, and inside another zip.
"""

import os
import struct
import sys
import tempfile
import time
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expandlib import check, files, finish, problems, scan  # noqa: E402

MIB = 1 << 20
HIDDEN = 256 * MIB
SHARED = 4999


def lfh(name, crc, csize, usize):
    n = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x5021, crc, csize, usize, len(n), 0) + n


def cdh(name, crc, csize, usize, lho):
    n = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0x5021, crc, csize, usize,
                       len(n), 0, 0, 0, 0, 0o644 << 16, lho) + n


def eocd(count, cd_size, cd_off):
    return struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, count, count, cd_size, cd_off, 0)


def deflate(b):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def deflate_zeros(n):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(MIB)
    return b"".join(c.compress(block) for _ in range(n // MIB)) + c.flush()


OK = b"a sound entry\n"


def build(entries):
    """entries: (name, deflated, declared size, crc, local header offset or None: its own)."""
    out = bytearray()
    recs = []
    for name, dz, usize, crc, lho in entries:
        if lho is None:
            lho = len(out)
            out += lfh(name, crc, len(dz), usize) + dz
        recs.append(cdh(name, crc, len(dz), usize, lho))
    cd = b"".join(recs)
    off = len(out)
    return bytes(out + cd + eocd(len(recs), len(cd), off))


def lying_size():
    return build([("big.bin", deflate_zeros(HIDDEN), 1, zlib.crc32(b"\0"), None),
                  ("ok.txt", deflate(OK), len(OK), zlib.crc32(OK), None)])


def overlap():
    body = b"the one real entry\n"
    dz, crc = deflate(body), zlib.crc32(body)
    ents = [("p0000.txt", dz, len(body), crc, None), ("ok.txt", deflate(OK), len(OK), zlib.crc32(OK), None)]
    ents += [("p%04d.txt" % i, dz, len(body), crc, 0) for i in range(1, SHARED + 1)]
    return build(ents)


def variants(tmp, name, data):
    """(label, path to scan, as_folder, prefix of the zip's entries, path of the zip in the report)."""
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data)
    outer = os.path.join(tmp, "outer-" + name)
    with zipfile.ZipFile(outer, "w") as z:
        zi = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_STORED
        z.writestr(zi, data)
    return [("folder", p, True, name + "!/", name),
            ("drop", p, False, "", name),
            ("nested", outer, True, "outer-%s!/%s!/" % (name, name), "outer-%s!/%s" % (name, name))]


def main():
    with tempfile.TemporaryDirectory(prefix="ingest-zipdamage.") as tmp:
        for label, path, folder, pre, arc in variants(tmp, "lying-size.zip", lying_size()):
            t0 = time.monotonic()
            d = scan(path, as_folder=folder)
            el = time.monotonic() - t0
            if d is None:
                continue
            fs, ps = files(d), problems(d)
            what = "lying-size (%s)" % label
            check(el < 20, "%s: took %.1f s: the hidden bytes were inflated?" % (what, el))
            p = ps.get(pre + "big.bin")
            if check(p is not None, "%s: no problem on big.bin: %s" % (what, ps)):
                check(p["code"] == "corrupt", "%s: code %s" % (what, p["code"]))
                check("says this entry is 1 byte but it holds more" in p["message"] and "ask for a new copy"
                      in p["message"].lower(), "%s: message %r" % (what, p["message"]))
            check(fs.get(pre + "big.bin", {}).get("bytes") == 1, "%s: big.bin is not its declared 1 byte" % what)
            check(fs.get(pre + "ok.txt", {}).get("bytes") == len(OK), "%s: ok.txt not read: %s" % (what, sorted(fs)))
            check((pre + "ok.txt") not in ps, "%s: the sound entry got a problem: %s" % (what, ps.get(pre + "ok.txt")))

        for label, path, folder, pre, arc in variants(tmp, "overlap.zip", overlap()):
            d = scan(path, as_folder=folder)
            if d is None:
                continue
            fs, ps = files(d), problems(d)
            what = "overlap (%s)" % label
            p = ps.get(arc)
            if check(p is not None, "%s: no problem on the archive %r: %s" % (what, arc, list(ps)[:5])):
                check(p["code"] == "corrupt", "%s: code %s" % (what, p["code"]))
                check("%d entries that share their data" % SHARED in p["message"] and "not used" in p["message"],
                      "%s: message %r" % (what, p["message"]))
            check(len(ps) <= 2, "%s: %d problem records, not one: %s" % (what, len(ps), list(ps)[:5]))
            check(fs.get(pre + "ok.txt", {}).get("bytes") == len(OK), "%s: ok.txt not read" % what)
            check(fs.get(pre + "p0000.txt", {}).get("bytes") == 19, "%s: the real entry not read" % what)
    finish()


if __name__ == "__main__":
    main()

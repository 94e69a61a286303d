# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the expansion tests: run a scan in a sealed temp dir."""

import binascii
import io
import json
import shutil
import os
import struct
import subprocess
import sys
import tempfile
import zlib

SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("INGEST_BIN")
DRIVER = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EXPAND_SCAN")
failures = []


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    failures.append(msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish():
    if failures:
        sys.stderr.write("%d check(s) failed\n" % len(failures))
        sys.exit(1)
    print("ok")


def scan(path, limits=None, timeout=600, as_folder=True):
    """Scan PATH with `ingest scan --json` (or the limits driver when limits
    are given) in an empty working dir with TMPDIR pointing to an empty dir;
    asserts both stay empty. Returns the parsed report.
    as_folder: a file is scanned inside a folder drop (copied there), so
    its entries are named "ARCHIVE!/entry"; otherwise the file is the drop
    and its entries are named from the archive's root."""
    if not BIN or not DRIVER:
        sys.stderr.write("INGEST_BIN or the expand-scan driver (argv[1]) missing (run through meson test)\n")
        sys.exit(1)
    with tempfile.TemporaryDirectory(prefix="ingest-expand-sealed.") as sealed:
        cwd, tmp = os.path.join(sealed, "cwd"), os.path.join(sealed, "tmp")
        os.mkdir(cwd)
        os.mkdir(tmp)
        env = dict(os.environ, TMPDIR=tmp)
        if as_folder and os.path.isfile(path):
            holder = os.path.join(sealed, "drop")
            os.mkdir(holder)
            dst = os.path.join(holder, os.path.basename(path))
            # copied, not hard-linked: a file with two names is refused as unsafe
            shutil.copyfile(path, dst)
            path = holder
        if limits:
            cmd = [DRIVER]
            for k, v in limits.items():
                cmd += ["-l", "%s=%d" % (k, v)]
            cmd.append(os.path.abspath(path))
        else:
            cmd = [BIN, "scan", "--json", os.path.abspath(path)]
        r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        err = r.stderr.decode(errors="replace")
        if r.returncode != 0:
            fail("%s exited %d: %s" % (" ".join(cmd), r.returncode, err[-3000:]))
            return None
        try:
            doc = json.loads(r.stdout.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            fail("%s printed no JSON: %s" % (path, e))
            return None
        check(os.listdir(cwd) == [], "%s: the scan wrote into its working dir: %s" % (path, os.listdir(cwd)))
        check(os.listdir(tmp) == [], "%s: the scan wrote into TMPDIR: %s" % (path, os.listdir(tmp)))
        return doc


def problems(doc):
    return {p["path"]: p for p in doc["problems"]} if doc else {}


def files(doc):
    return {f["path"]: f for f in doc["inventory"]["files"]} if doc else {}


# A 42.zip-style bomb (tests/expand/test-drop-budget.py, tests/daemon/test-fault-enospc-drop.py).
def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_raw(entries):
    """A zip of deflated entries [(name, crc, size, deflated bytes)], written
    by hand so that one compressed body serves every copy (Python's zipfile
    would deflate each copy again: minutes instead of a second)."""
    out, cd = io.BytesIO(), io.BytesIO()
    for name, crc, size, body in entries:
        off, n = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x21, crc, len(body), size, len(n), 0) + n)
        out.write(body)
        cd.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0x21, crc, len(body), size,
                             len(n), 0, 0, 0, 0, 0, off) + n)
    cdb, cdo = cd.getvalue(), out.tell()
    out.write(cdb)
    out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries), len(cdb), cdo, 0))
    return out.getvalue()


def make_bomb(path, leaf=4 << 20, fan=16, levels=5):
    """42.zip-style: LEVELS levels of zips of FAN copies; returns the declared total."""
    z = bytes(leaf)
    e = (binascii.crc32(z), leaf, deflate(z))
    cur = zip_raw([("page%02d.dcm" % i,) + e for i in range(fan)])
    declared = leaf * fan
    for lv in range(levels - 1):
        e = (binascii.crc32(cur), len(cur), deflate(cur))
        cur = zip_raw([("part%d-%02d.zip" % (lv, i),) + e for i in range(fan)])
        declared *= fan
    with open(path, "wb") as f:
        f.write(cur)
    return declared

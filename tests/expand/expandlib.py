# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the expansion tests: run a scan in a sealed temp dir."""

import json
import shutil
import os
import subprocess
import sys
import tempfile

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

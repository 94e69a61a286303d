# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the scan tests: generate fixtures, run `ingest scan`."""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("INGEST_BIN")
SCAN_TIMEOUT = 300


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def generate(tmpdir):
    """Runs the fixture generator into tmpdir/fx; returns (outdir, expected)."""
    out = os.path.join(tmpdir, "fx")
    r = subprocess.run([sys.executable, os.path.join(SRC, "fixtures", "gen-fixtures.py"), out],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        fail("gen-fixtures.py failed: %s" % r.stderr.decode(errors="replace"))
    with open(os.path.join(out, "expected.json"), encoding="utf-8") as f:
        return out, json.load(f)


def scan_json(drop):
    """`ingest scan --json DROP`: returns (exit code, parsed document, stderr)."""
    if not BIN:
        fail("INGEST_BIN is not set (run through meson test)")
    r = subprocess.run([BIN, "scan", "--json", drop], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=SCAN_TIMEOUT)
    err = r.stderr.decode(errors="replace")
    try:
        doc = json.loads(r.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail("scan of %s (exit %d) did not print JSON: %s\nstdout: %r\nstderr: %s"
             % (drop, r.returncode, e, r.stdout[:2000], err[-4000:]))
    return r.returncode, doc, err


def tree_state(root):
    """Every entry under root with its type, mode, size, mtime and content hash."""
    state = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            entry = [st.st_mode, st.st_size, st.st_mtime_ns]
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    entry.append(hashlib.sha256(f.read()).hexdigest())
            state[rel] = entry
        st = os.lstat(dirpath)
        state[os.path.relpath(dirpath, root) + "/."] = [st.st_mode]
    return state


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="ingest-scan-test.")

#!/usr/bin/python3
"""Rules that do not validate never let a case pass (SPEC §11, issue 20 item 1).

A copy of the shipped rules with one broken file (the issue's reproduction:
an unclosed flow sequence appended to nsclc.yaml):
- `ingest scan` and `ingest package` refuse to run on it: exit 1 with the
  FILE:LINE:COL errors, and nothing written;
- `ingestd --check-config` fails naming the file, and `ingestd` does not
  start on it (before this, it said OK, started, and every drop went out
  "complete" with 0 required gaps).
The held case when the rules break after the daemon started is
evaluate-unit's test_rules_unavailable()."""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ["INGEST_SOURCE_ROOT"]
BUILD = os.environ["INGEST_BUILD_ROOT"]
INGEST = os.environ["INGEST_BIN"]
INGESTD = os.path.join(BUILD, "daemon", "ingestd")
failures = 0


def check(cond, what):
    global failures
    if not cond:
        print("FAIL:", what)
        failures += 1


with tempfile.TemporaryDirectory(prefix="ingest-failclosed.") as tmp:
    good = os.path.join(SRC, "rules")
    bad = os.path.join(tmp, "rules")
    shutil.copytree(good, bad)
    nsclc = os.path.join(bad, "nsclc.yaml")
    with open(nsclc, "a") as f:
        f.write("\n  - id: x\n    severity: [unclosed\n")
    with open(nsclc) as f:
        eof_line = f.read().count("\n") + 1
    where = "nsclc.yaml:%d:" % eof_line   # the flow sequence is still open at the end of the file

    drop = os.path.join(tmp, "drops")
    subprocess.run(["/usr/bin/python3", os.path.join(SRC, "fixtures", "gen-fixtures.py"), drop],
                   check=True, capture_output=True)
    case = os.path.join(drop, "drops", "CASE-DEMO-2")   # case.yaml: cancer_type nsclc

    # the same drop with the good rules: scanned, and not complete for other reasons is fine
    r = subprocess.run([INGEST, "scan", "--json", "--rules", good, case], capture_output=True, text=True)
    check(r.returncode == 0, "scan with the shipped rules exits 0 (got %d: %s)" % (r.returncode, r.stderr[-300:]))

    r = subprocess.run([INGEST, "scan", "--json", "--rules", bad, case], capture_output=True, text=True)
    check(r.returncode == 1, "scan with broken rules exits 1 (got %d)" % r.returncode)
    check(r.stdout == "", "scan with broken rules prints no report")
    check(where in r.stderr and "do not validate" in r.stderr,
          "scan names the broken file and line (%s): %s" % (where, r.stderr[-300:]))

    out = os.path.join(tmp, "out")
    r = subprocess.run([INGEST, "package", "--out", out, "--rules", bad, case], capture_output=True, text=True)
    check(r.returncode == 1, "package with broken rules exits 1 (got %d)" % r.returncode)
    check(not os.path.exists(os.path.join(out, "ready")) and not os.path.exists(os.path.join(out, "pending")),
          "package with broken rules publishes nothing")
    check(where in r.stderr, "package names the broken file: %s" % r.stderr[-300:])

    base = os.path.join(tmp, "base")
    cfg = os.path.join(tmp, "ingestd.yaml")
    with open(cfg, "w") as f:
        f.write("base_dir: %s\npaths:\n  rules: %s\n" % (base, bad))
    r = subprocess.run([INGESTD, "--config", cfg, "--check-config"], capture_output=True, text=True, timeout=60)
    check(r.returncode != 0, "ingestd --check-config fails on broken rules (got %d)" % r.returncode)
    check(where in r.stderr, "--check-config names the broken file: %s" % r.stderr[-300:])
    r = subprocess.run([INGESTD, "--config", cfg], capture_output=True, text=True, timeout=60)
    check(r.returncode != 0, "ingestd does not start on broken rules (got %d)" % r.returncode)
    check(not os.path.exists(os.path.join(base, "inbox")), "ingestd made no inbox before refusing")

    with open(cfg, "w") as f:
        f.write("base_dir: %s\npaths:\n  rules: %s\n" % (base, good))
    r = subprocess.run([INGESTD, "--config", cfg, "--check-config"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "OK" in r.stdout, "--check-config passes the shipped rules: %s" % r.stderr[-300:])

print("%d check(s) failed" % failures if failures else "all checks passed")
sys.exit(1 if failures else 0)

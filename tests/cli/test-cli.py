# SPDX-License-Identifier: GPL-3.0-or-later
"""The command lines as a user meets them (issue 20, item 8): -V/--version
print the version; an unknown option or a missing value is one line on
stderr naming the option and the command's --help, exit 2, for every command
of `ingest` and for ingestd; ingestd's log lines carry the "<N>" priority
prefix only when stderr is the journal (JOURNAL_STREAM names it)."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "daemon"))
import dlib  # noqa: E402

VERSION = os.environ["INGEST_VERSION"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


# -V and --version
for prog, name in ((dlib.INGEST, "ingest"), (dlib.INGESTD, "ingestd")):
    for flag in ("-V", "--version"):
        r = run([prog, flag])
        check(r.returncode == 0 and r.stdout == "%s %s\n" % (name, VERSION) and r.stderr == "",
              "%s %s: rc %d, stdout %r, stderr %r" % (name, flag, r.returncode, r.stdout, r.stderr))

# Unknown options and missing values: one line, exit 2.
cases = []
for cmd in (["scan"], ["package"], ["verify"], ["status"], ["rules", "list"], ["rules", "validate"]):
    shown = " ".join(cmd)
    helpcmd = "ingest %s --help" % cmd[0]
    cases.append(([dlib.INGEST] + cmd + ["--x", "somewhere"],
                  "ingest %s: unknown option --x; see '%s'\n" % (shown, helpcmd)))
    cases.append(([dlib.INGEST] + cmd + ["--bogus=1", "somewhere"],
                  "ingest %s: unknown option --bogus; see '%s'\n" % (shown, helpcmd)))
for cmd in ("scan", "package", "verify", "status"):
    cases.append(([dlib.INGEST, cmd, "-Z", "somewhere"],
                  "ingest %s: unknown option -Z; see 'ingest %s --help'\n" % (cmd, cmd)))
cases.append(([dlib.INGEST, "scan", "somewhere", "--rules"],
              "ingest scan: option --rules needs a value; see 'ingest scan --help'\n"))
cases.append(([dlib.INGEST, "package", "somewhere", "-o"],
              "ingest package: option -o needs a value; see 'ingest package --help'\n"))
cases.append(([dlib.INGEST, "--x"], "ingest: unknown option --x; see 'ingest --help'\n"))
cases.append(([dlib.INGESTD, "--x"], "ingestd: unknown option --x; see 'ingestd --help'\n"))
cases.append(([dlib.INGESTD, "-Z"], "ingestd: unknown option -Z; see 'ingestd --help'\n"))
cases.append(([dlib.INGESTD, "--config"], "ingestd: option --config needs a value; see 'ingestd --help'\n"))
for argv, want in cases:
    r = run(argv)
    shown = " ".join(os.path.basename(a) if a.startswith("/") else a for a in argv)
    check(r.returncode == 2, "%s: exit %d, not 2" % (shown, r.returncode))
    check(r.stderr == want, "%s: stderr %r, expected the one line %r" % (shown, r.stderr, want))
    check(r.stdout == "", "%s: wrote to stdout: %r" % (shown, r.stdout))

# Log lines: plain on a pipe or terminal, "<N>" only for the journal.
with tempfile.TemporaryDirectory(prefix="ingestd-cli.") as tmp:
    base = os.path.join(tmp, "var")
    cfg = os.path.join(tmp, "ingestd.yaml")
    with open(cfg, "w") as f:
        f.write("base_dir: %s\nsettle_seconds: 1\nworkers: 1\n" % base)
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)

    def daemon_log(journal):
        """Starts ingestd with stderr a file (its dev:ino in JOURNAL_STREAM
        when JOURNAL), waits for its start line, stops it; its log."""
        log = os.path.join(tmp, "log-%s" % journal)
        with open(log, "wb") as lf:
            e = dict(env)
            if journal == "match":
                st = os.fstat(lf.fileno())
                e["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            elif journal == "other":
                st = os.stat(cfg)   # another file: stderr is not that stream
                e["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            p = subprocess.Popen([dlib.INGESTD, "--config", cfg], stdout=lf, stderr=lf, env=e)
            import time
            deadline = time.time() + 30
            while time.time() < deadline and "started" not in open(log, errors="replace").read():
                time.sleep(0.05)
            p.terminate()
            p.wait(60)
        return open(log, errors="replace").read()

    for journal in ("none", "other"):
        text = daemon_log(journal)
        lines = text.splitlines()
        check(lines and all(ln.startswith("ingestd: ") for ln in lines),
              "JOURNAL_STREAM %s: log lines are not 'ingestd: ...':\n%s" % (journal, text))
        check(not re.search(r"^<\d>", text, re.M), "JOURNAL_STREAM %s: a <N> prefix outside the journal:\n%s"
              % (journal, text))
    text = daemon_log("match")
    lines = text.splitlines()
    check(lines and all(re.match(r"<\d>", ln) for ln in lines),
          "stderr is the journal: lines without the <N> priority prefix:\n%s" % text)
    check(any(ln.startswith("<5>ingestd %s started" % VERSION) for ln in lines),
          "stderr is the journal: no '<5>ingestd VERSION started' line:\n%s" % text)

if failures:
    for f in failures:
        sys.stderr.write("FAIL: %s\n" % f)
    sys.exit(1)
print("ok: -V/--version, %d one-line usage errors, log prefixes" % len(cases))

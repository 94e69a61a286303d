# SPDX-License-Identifier: GPL-3.0-or-later
"""The manual pages (issue 20, item 8): each built page renders with
`man -l --warnings` and `groff -man -ww -z` without a single warning, has
the sections a page needs, and says what the programs have: every option of
`ingestd --help` and of each `ingest COMMAND --help`, every command, every
exit status, and every configuration key the daemon knows (from `ingestd
--check-config -v`, the code's own list)."""

import os
import re
import subprocess
import sys
import tempfile

MAN_DIR = sys.argv[1]
INGEST = os.environ["INGEST_BIN"]
INGESTD = os.environ["INGESTD_BIN"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def render(page):
    path = os.path.join(MAN_DIR, page)
    if not os.path.isfile(path):
        failures.append("%s was not built" % page)
        return ""
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8", MAN_KEEP_FORMATTING="")
    r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True, env=env, timeout=60)
    check(r.returncode == 0 and r.stderr == "", "man -l --warnings %s: rc %d, warnings:\n%s" % (page, r.returncode,
                                                                                        r.stderr))
    g = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True, timeout=60)
    check(g.returncode == 0 and g.stderr == "", "groff -man -ww -z %s: rc %d, warnings:\n%s" % (page, g.returncode,
                                                                                         g.stderr))
    text = re.sub(r".\x08", "", r.stdout)
    for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
        check(re.search(r"^%s$" % sec, text, re.M), "%s has no %s section" % (page, sec))
    return re.sub(r"\s+", " ", text)


def long_options(help_text):
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_text)))


def help_of(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout


ingest1 = render("ingest.1")
ingestd8 = render("ingestd.8")
conf5 = render("ingestd.yaml.5")
rules5 = render("ingestd-rules.5")

# ingest(1): every command, every option of each command's --help, the exit statuses
for cmd in (["scan"], ["package"], ["verify"], ["status"], ["rules"]):
    for opt in long_options(help_of([INGEST] + cmd + ["--help"])):
        if opt != "--help":
            check(opt in ingest1, "ingest.1 does not describe %s of ingest %s" % (opt, cmd[0]))
for words in ("ingest scan", "ingest package", "ingest verify", "ingest rules list", "ingest rules validate",
              "ingest status", "--version", "EXIT STATUS"):
    check(words in ingest1, "ingest.1 does not mention %r" % words)
for code in range(5):
    check(re.search(r"EXIT STATUS.* %d .*SEE ALSO" % code, ingest1), "ingest.1 does not give exit status %d" % code)

# ingestd(8): options, signals, directories, files, exit statuses
for opt in long_options(help_of([INGESTD, "--help"])):
    check(opt in ingestd8, "ingestd.8 does not describe %s" % opt)
for words in ("SIGHUP", "SIGTERM", "DIRECTORIES", "FILES", "/etc/ingestd/ingestd.yaml", "state.db",
              "EXIT STATUS", "JOURNAL_STREAM", "rules.good"):
    check(words in ingestd8, "ingestd.8 does not mention %r" % words)
for code in range(5):
    check(re.search(r"EXIT STATUS.* %d .*SEE ALSO" % code, ingestd8), "ingestd.8 does not give exit status %d" % code)

# ingestd.yaml(5): every key the daemon knows, with its default
with tempfile.TemporaryDirectory(prefix="ingest-man.") as tmp:
    cfg = os.path.join(tmp, "empty.yaml")
    open(cfg, "w").close()
    r = subprocess.run([INGESTD, "--check-config", "-v", "--config", cfg], capture_output=True, text=True,
                       timeout=60)
    keys = [ln.split(":", 1)[0] for ln in r.stdout.splitlines()[1:] if ":" in ln]
    check(r.returncode == 0 and len(keys) > 30, "ingestd --check-config -v lists the keys (rc %d, %d keys): %s"
          % (r.returncode, len(keys), r.stderr))
for key in keys:
    name = key.split(".", 1)[1] if key.startswith("limits.") else key
    m = re.search(r"(?<![\w.])%s \((default: [^)]*|no default)\)" % re.escape(name), conf5)
    check(m, "ingestd.yaml.5 does not give key %s with its default as '%s (default: ...)'" % (key, name))

# ingestd-rules(5): the format's keys
for words in ("_biomarkers.yaml", "_labs.yaml", "generic.yaml", "severity", "required", "recommended",
              "when.setting", "when.condition", "when.markers", "document", "biomarker", "lab", "imaging",
              "question", "message", "VALIDATION", "rules.unavailable"):
    check(words in rules5, "ingestd-rules.5 does not mention %r" % words)

if failures:
    for f in failures:
        sys.stderr.write("FAIL: %s\n" % f)
    sys.exit(1)
print("ok: 4 pages render without warnings; %d configuration keys documented" % len(keys))

# SPDX-License-Identifier: GPL-3.0-or-later
"""`ingest scan` writes nothing: traced with strace over a generated drop, no
file is opened for writing or created, renamed, removed or changed (the
confined extractor children included), and the drop is byte-identical after."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402

MUTATING = ("creat", "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
            "rmdir", "link", "linkat", "symlink", "symlinkat", "truncate", "chmod", "fchmodat",
            "chown", "fchownat", "utimensat", "setxattr", "removexattr")
# Opening these for writing is no write to the filesystem.
ALLOWED_WRITE_PATHS = ("/dev/null", "/dev/tty")


def main():
    strace = shutil.which("strace")
    if not strace:
        print("strace not installed: skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        out, _ = scanlib.generate(tmp)
        before = {}
        for drop in sorted(os.listdir(os.path.join(out, "drops"))):
            before[drop] = scanlib.tree_state(os.path.join(out, "drops", drop))
        log = os.path.join(tmp, "strace.log")
        bad = []
        env = dict(os.environ)
        # LeakSanitizer cannot run under ptrace; leaks are checked by the other tests.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        # the test hook that keeps a copy of each report (scan-all-reports) is a write
        env.pop("INGEST_TEST_REPORT_COPIES", None)
        for drop in sorted(before):
            path = os.path.join(out, "drops", drop)
            r = subprocess.run([strace, "-f", "-qq", "-o", log, "-e",
                                "trace=open,openat,openat2," + ",".join(MUTATING),
                                scanlib.BIN, "scan", "--json", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600, env=env)
            if r.returncode != 0:
                scanlib.fail("ingest scan %s exited %d: %s" % (drop, r.returncode, r.stderr.decode(errors="replace")))
            with open(log, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = re.search(r"\b(open|openat|openat2)\((.*)", line)
                    if m:
                        args = m.group(2)
                        if re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", args):
                            pm = re.search(r'"([^"]*)"', args)
                            if not pm or pm.group(1) not in ALLOWED_WRITE_PATHS:
                                bad.append(line.strip())
                        continue
                    for call in MUTATING:
                        if re.search(r"\b%s\(" % call, line) and "= -1" not in line:
                            bad.append(line.strip())
            if scanlib.tree_state(path) != before[drop]:
                scanlib.fail("drop %s changed during the scan" % drop)
        if bad:
            scanlib.fail("ingest scan wrote to the filesystem:\n  " + "\n  ".join(bad[:20]))
    print("ingest scan wrote nothing; the drops are unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())

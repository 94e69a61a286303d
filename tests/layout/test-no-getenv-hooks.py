#!/usr/bin/python3
"""Test switches fenced (issue 15, docs/test-hooks.md): the INGEST_TEST_*
switches (and INGEST_DOCEXT_DEBUG) are read only in the test-hooks module,
libingest/testhooks.c, which a release build leaves out. Fails on a
getenv() of one of them anywhere else in libingest/, daemon/ or tools/."""
import glob
import os
import re
import sys

src = os.environ["INGEST_SOURCE_ROOT"]
allowed = {os.path.join("libingest", "testhooks.c"), os.path.join("libingest", "testhooks.h")}
switch = re.compile(r'\bgetenv\s*\(\s*"INGEST_(TEST_|DOCEXT_DEBUG)')

files = []
for d in ("libingest", "daemon", "tools"):
    for ext in ("c", "cc", "h"):
        files += glob.glob(os.path.join(src, d, "**", "*." + ext), recursive=True)

bad = []
for f in sorted(files):
    rel = os.path.relpath(f, src)
    if rel in allowed:
        continue
    for n, line in enumerate(open(f, encoding="utf-8", errors="replace"), 1):
        if switch.search(line):
            bad.append("%s:%d: reads a test switch (%s); use a hook of libingest/testhooks.h"
                       % (rel, n, line.strip()))
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("test switches: %d files, none reads one outside libingest/testhooks.c" % len(files))

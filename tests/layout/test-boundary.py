#!/usr/bin/python3
"""The library boundary (issue 15, docs/design.md): the programs (daemon/,
tools/) reach libingest only through ingest.h and libingest-internal.h.

Reads every object file of the daemon, its internal library and the ingest
tool with nm, and fails on any symbol they use that libingest proper defines
(libingest.a, not the helper layer libingest/util/) but that neither header
declares. Also fails on an #include of another libingest header in a
program's source."""
import glob
import os
import re
import subprocess
import sys

build = os.environ["INGEST_BUILD_ROOT"]
src = os.environ["INGEST_SOURCE_ROOT"]


def nm(path, *flags):
    out = subprocess.run(["nm", *flags, path], check=True, capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if not parts or parts[-1].endswith(":"):
            continue
        syms.add(parts[-1])
    return syms


lib_objs = glob.glob(os.path.join(build, "libingest", "libingest.a.p", "*.o"))
prog_objs = (glob.glob(os.path.join(build, "daemon", "*.p", "*.o"))
             + glob.glob(os.path.join(build, "tools", "ingest.p", "*.o")))
if not lib_objs or not prog_objs:
    sys.exit("boundary: no object files under %s (libingest.a.p, daemon/*.p, tools/ingest.p)" % build)

defined = set()
for o in lib_objs:
    defined |= nm(o, "-g", "--defined-only")

allowed = set()
for h in ("libingest/ingest.h", "libingest/libingest-internal.h"):
    allowed |= set(re.findall(r"\b[A-Za-z_]\w*\b", open(os.path.join(src, h)).read()))

bad = []
for o in sorted(prog_objs):
    for s in sorted(nm(o, "-u") & defined):
        if s not in allowed:
            bad.append("%s: uses %s, declared in neither ingest.h nor libingest-internal.h"
                       % (os.path.relpath(o, build), s))

# Headers: a program's source names only its own folder's headers, the two above,
# build-config.h, and (tools/) the daemon's side for `ingest status`.
lib_headers = {os.path.basename(p) for p in glob.glob(os.path.join(src, "libingest", "*.h"))}
ok_headers = {"ingest.h", "libingest-internal.h"}
for f in sorted(glob.glob(os.path.join(src, "daemon", "*.[ch]")) + glob.glob(os.path.join(src, "tools", "*.[ch]"))):
    for n, line in enumerate(open(f), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if m and (m.group(1) in lib_headers or m.group(1).startswith("util/")) and m.group(1) not in ok_headers:
            bad.append("%s:%d: includes libingest's %s (use ingest.h or libingest-internal.h)"
                       % (os.path.relpath(f, src), n, m.group(1)))

checked = len(prog_objs)
if bad:
    print("\n".join(bad))
    print("boundary: %d crossing(s) in %d object files" % (len(bad), checked))
    sys.exit(1)
print("boundary: %d object files, %d libingest symbols defined, none used outside the two headers"
      % (checked, len(defined)))

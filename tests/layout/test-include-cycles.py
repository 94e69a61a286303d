#!/usr/bin/python3
"""No #include cycle between libingest's modules (issue 15, docs/design.md).

A module is a file name without its ending and without what follows a
'-' (scan.c, scan.h: "scan"; rules-load.c, rules-loader.h: "rules"): the
files of one module split at its seams share its prefix. A file that
includes another module's header depends on it, and so does its module. The module graph must have no cycle, and the helper layer
(libingest/util/) must include nothing of libingest proper."""
import glob
import os
import re
import sys

src = os.environ["INGEST_SOURCE_ROOT"]
lib = os.path.join(src, "libingest")
inc = re.compile(r'\s*#\s*include\s+"([^"]+)"')

files = glob.glob(os.path.join(lib, "*.[ch]")) + glob.glob(os.path.join(lib, "*.cc"))
util_files = glob.glob(os.path.join(lib, "util", "*.[ch]"))
headers = {os.path.basename(p) for p in glob.glob(os.path.join(lib, "*.h"))}


def stem(name):
    return os.path.splitext(os.path.basename(name))[0].split("-")[0]


graph = {}
for f in files:
    a = stem(f)
    graph.setdefault(a, set())
    for line in open(f, encoding="utf-8"):
        m = inc.match(line)
        if m and m.group(1) in headers and stem(m.group(1)) != a:
            graph[a].add(stem(m.group(1)))

bad = []
for f in util_files:
    for n, line in enumerate(open(f, encoding="utf-8"), 1):
        m = inc.match(line)
        if m and not m.group(1).startswith("util/"):
            bad.append("%s:%d: the helper layer includes %s" % (os.path.relpath(f, src), n, m.group(1)))

# Depth-first search for a back edge; report each cycle once, as a path.
WHITE, GREY, BLACK = 0, 1, 2
colour = {m: WHITE for m in graph}
stack = []
cycles = set()


def visit(m):
    colour[m] = GREY
    stack.append(m)
    for d in sorted(graph.get(m, ())):
        if colour.get(d, BLACK) == GREY:
            cyc = stack[stack.index(d):] + [d]
            cycles.add(" -> ".join(cyc))
        elif colour.get(d) == WHITE:
            visit(d)
    stack.pop()
    colour[m] = BLACK


sys.setrecursionlimit(10000)
for m in sorted(graph):
    if colour[m] == WHITE:
        visit(m)
for c in sorted(cycles):
    bad.append("include cycle: " + c)
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("include graph: %d modules, %d edges, no cycle; util/ includes only itself"
      % (len(graph), sum(len(v) for v in graph.values())))

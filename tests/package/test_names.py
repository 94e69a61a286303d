#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Document names in a package stay unique as a receiver compares them (case
folded), and cheaply: 5,000 files named report.txt in as many folders, and a
Report-2.txt among them, become report.txt, report-2.txt ... with no two
names equal ignoring case, in seconds (a list compared name by name, and the
suffix tried from 2 for each file, took minutes: O(n^3))."""
import os
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pkgtest import check, fail, ingest, workdir  # noqa: E402

N = 5000


def main():
    work = workdir()
    z = os.path.join(work, 'CASE-NAMES.zip')
    with zipfile.ZipFile(z, 'w') as zf:
        zf.writestr('a/Report-2.txt', b'x')
        for i in range(N):
            zf.writestr('d%05d/report.txt' % i, b'')
    out = os.path.join(work, 'out')
    t0 = time.time()
    ingest('package', z, '--out', out, '--rules', os.path.join(os.environ['INGEST_SOURCE_ROOT'], 'rules'),
           check_rc=0)
    took = time.time() - t0
    bag = [os.path.join(out, s, 'CASE-NAMES') for s in ('pending', 'ready')
           if os.path.isdir(os.path.join(out, s, 'CASE-NAMES'))]
    check(len(bag) == 1, 'no package: %r' % os.listdir(out))
    names = []
    for dp, _, fn in os.walk(os.path.join(bag[0], 'data', 'documents')):
        names += [os.path.join(os.path.relpath(dp, bag[0]), f) for f in fn]
    check(len(names) == N + 1, '%d documents packaged, expected %d' % (len(names), N + 1))
    folded = set(n.lower() for n in names)
    check(len(folded) == len(names), 'two names equal ignoring case')
    base = [os.path.basename(n) for n in names]
    check('report.txt' in base and 'Report-2.txt' in base and 'report-3.txt' in base, 'names: %r' % sorted(base)[:5])
    want = set(['report.txt'] + ['report-%d.txt' % k for k in range(3, N + 2)])
    got = set(b for b in base if b != 'Report-2.txt')
    check(got == want, 'not numbered 3..%d: %r' % (N + 1, sorted(want ^ got)[:5]))
    if took > 60:
        fail('packaging %d files of one name took %.0f s' % (N, took))
    print('ok: %d files of one name packaged in %.1f s' % (N, took))
    os.system('rm -rf ' + work)
    print('PASS')


if __name__ == '__main__':
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nothing is left in OUT/.building/ (not even CASE.lock) after `ingest
package` succeeds, after it fails once the build has started (a drop path
that does not exist, a cancer type that is not an id), and after builds of the
same case run at once: each waits for the lock, all publish, and the one
package left verifies (#19, item 4)."""
import os
import shutil
import subprocess

from pkgtest import INGEST, check, fixtures, independent_check, ingest, workdir

work = workdir()
try:
    fx = fixtures(work)
    drop = os.path.join(fx, 'drops', 'CASE-DEMO-1')
    out = os.path.join(work, 'outbox')

    def building():
        b = os.path.join(out, '.building')
        return sorted(os.listdir(b)) if os.path.isdir(b) else []

    ingest('package', drop, '--out', out, check_rc=0)
    check(building() == [], 'after a published package, .building holds %r' % building())

    r = ingest('package', os.path.join(work, 'no-such-drop'), '--out', out, '--case-id', 'CASE-DEMO-1')
    check(r.returncode == 3, 'missing drop: exit %d, wanted 3: %s' % (r.returncode, r.stderr))
    check(building() == [], 'after a failed build (missing drop), .building holds %r' % building())

    r = ingest('package', drop, '--out', out, '--cancer-type', '../x')
    check(r.returncode == 2, 'a cancer type that is no id: exit %d, wanted 2: %s' % (r.returncode, r.stderr))
    check(building() == [], 'after a failed build (cancer type no id), .building holds %r' % building())

    # builds of one case at once: they take turns, the lock file goes each time
    procs = [subprocess.Popen([INGEST, 'package', drop, '--out', out], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(4)]
    for p in procs:
        o, e = p.communicate(timeout=600)
        check(p.returncode == 0, 'concurrent build: exit %d: %s' % (p.returncode, e.decode(errors='replace')))
    check(building() == [], 'after concurrent builds, .building holds %r' % building())
    bags = [os.path.join(out, s, 'CASE-DEMO-1') for s in ('pending', 'ready')
            if os.path.isdir(os.path.join(out, s, 'CASE-DEMO-1'))]
    check(len(bags) == 1, 'packages after concurrent builds: %r' % bags)
    wrong = independent_check(bags[0])
    check(not wrong, 'the package after concurrent builds: %s' % wrong)
    ingest('verify', bags[0], check_rc=0)
    print('ok: .building empty after success, failures and concurrent builds')
finally:
    shutil.rmtree(work, ignore_errors=True)

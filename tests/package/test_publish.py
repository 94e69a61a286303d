#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic publish: the process is SIGKILLed at each step of a package update
(INGEST_TEST_CRASH_AT); the outbox must then hold the old package or the new
one, complete and verifying, never a mixture; the next run publishes the new
one and cleans .building/. Also: an update replaces the package, and a case
moving from pending/ to ready/ leaves exactly one package."""
import os
import shutil
import signal

from pkgtest import check, fixtures, independent_check, ingest, parse_manifest, workdir

STEPS = ['build', 'payload', 'bag', 'publish', 'exchanged', 'published']

work = workdir()
try:
    fx = fixtures(work)
    src = os.path.join(fx, 'drops', 'CASE-DEMO-2')
    drop = os.path.join(work, 'CASE-DEMO-2')
    out = os.path.join(work, 'outbox')

    def version(n):
        """The drop as version n: v1 as generated; v2 adds a letter and loses one slice."""
        shutil.rmtree(drop, ignore_errors=True)
        shutil.copytree(src, drop)
        if n == 2:
            open(os.path.join(drop, 'follow-up letter.txt'), 'w').write('Clinical letter\nDear colleague,\nfollow-up.\n')
            os.unlink(os.path.join(drop, 'CT_2024-04-10', 'slice12.dcm'))

    def packages():
        return [os.path.join(out, d, 'CASE-DEMO-2') for d in ('pending', 'ready')
                if os.path.isdir(os.path.join(out, d, 'CASE-DEMO-2'))]

    def which(bag):
        """1 or 2, from the content; the bag must be whole and verify."""
        wrong = independent_check(bag)
        check(not wrong, '%s is not a whole bag: %s' % (bag, wrong))
        ingest('verify', bag, check_rc=0)
        names = [p.decode() for p in parse_manifest(os.path.join(bag, 'manifest-sha256.txt'))]
        letter = any(n.endswith('follow-up letter.txt') for n in names)
        n_dicom = sum(n.startswith('data/DICOM/') for n in names)
        if letter and n_dicom == 11:
            return 2
        if not letter and n_dicom == 12:
            return 1
        check(False, 'a mixture: letter=%s, %d DICOM files' % (letter, n_dicom))

    def building():
        return sorted(os.listdir(os.path.join(out, '.building')))

    for step in STEPS:
        for move in (False, True):
            shutil.rmtree(out, ignore_errors=True)
            version(1)
            ingest('package', drop, '--out', out, check_rc=0)
            check([which(b) for b in packages()] == [1], 'v1 not published alone')
            version(2)
            args = ['package', drop, '--out', out] + (['--state', 'ready', '--status', 'complete'] if move else [])
            r = ingest(*args, env={'INGEST_TEST_CRASH_AT': step})
            check(r.returncode == -signal.SIGKILL, 'step %s: not killed (exit %d) %s' % (step, r.returncode, r.stderr))
            pk = packages()
            check(pk, 'step %s: no package at all after the crash' % step)
            seen = [which(b) for b in pk]
            if step in ('build', 'payload', 'bag', 'publish'):
                check(seen == [1], 'step %s: before publishing, want the old package alone, got %r' % (step, seen))
            elif not move:
                check(seen == [2], 'step %s: after the exchange, want the new package, got %r' % (step, seen))
            else:
                check(2 in seen and len(seen) <= 2, 'step %s (move): want the new package, got %r' % (step, seen))
            # the next run cleans up and publishes the new package
            ingest(*args, check_rc=0)
            pk = packages()
            check(len(pk) == 1 and which(pk[0]) == 2, 'step %s: after re-run: %r' % (step, pk))
            check(pk[0].split(os.sep)[-2] == ('ready' if move else 'pending'), 'step %s: in %s' % (step, pk[0]))
            check(building() == [], 'step %s: .building not cleaned: %r' % (step, building()))

    # an update without a crash: the new content replaces the old, and back to pending
    shutil.rmtree(out, ignore_errors=True)
    version(1)
    ingest('package', drop, '--out', out, '--state', 'ready', check_rc=0)
    check([which(b) for b in packages()] == [1], 'v1 in ready')
    version(2)
    ingest('package', drop, '--out', out, check_rc=0)
    pk = packages()
    check(len(pk) == 1 and pk[0].endswith('pending/CASE-DEMO-2') and which(pk[0]) == 2, 'update: %r' % pk)
    check(building() == [], '.building after update: %r' % building())
    info = open(os.path.join(pk[0], 'bag-info.txt')).read()
    check('Status: incomplete' in info, info)
    print('ok: %d crash points x 2, update' % len(STEPS))
finally:
    shutil.rmtree(work, ignore_errors=True)

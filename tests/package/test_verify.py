#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ingest verify` on its own: --help, usage and unreadable exit codes, and
manifests that must be refused (paths escaping the bag, absolute paths,
over-long lines, a symbolic link inside data/)."""
import hashlib
import os
import shutil

from pkgtest import check, ingest, rewrite_tagmanifest, workdir


def make_bag(root, files):
    os.makedirs(os.path.join(root, 'data'))
    lines, total = [], 0
    for name, data in files.items():
        p = os.path.join(root, 'data', name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, 'wb').write(data)
        lines.append('%s  data/%s\n' % (hashlib.sha256(data).hexdigest(), name))
        total += len(data)
    open(os.path.join(root, 'manifest-sha256.txt'), 'w').write(''.join(lines))
    open(os.path.join(root, 'bagit.txt'), 'w').write('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n')
    open(os.path.join(root, 'bag-info.txt'), 'w').write('Payload-Oxum: %d.%d\n' % (total, len(files)))
    open(os.path.join(root, 'tagmanifest-sha256.txt'), 'w').write(
        ''.join('%s  %s\n' % (hashlib.sha256(open(os.path.join(root, t), 'rb').read()).hexdigest(), t)
                for t in ('bagit.txt', 'bag-info.txt', 'manifest-sha256.txt')))
    return root


work = workdir()
try:
    r = ingest('verify', '--help', check_rc=0)
    check(b'Exit status' in r.stdout, 'help text')
    ingest('verify', check_rc=2)
    ingest('verify', 'a', 'b', check_rc=2)
    ingest('verify', '--bogus', work, check_rc=2)
    ingest('verify', os.path.join(work, 'nonexistent'), check_rc=3)
    ingest('verify', work, check_rc=3)           # a folder, not a bag

    good = make_bag(os.path.join(work, 'good'), {'a.txt': b'a', 'sub dir/b ü.txt': b'bb', 'c': b''})
    r = ingest('verify', good, check_rc=0)
    check(b'OK: 6 files' in r.stdout, r.stdout)

    # wrong Payload-Oxum alone is a failure
    t = shutil.copytree(good, os.path.join(work, 'oxum'))
    open(os.path.join(t, 'bag-info.txt'), 'w').write('Payload-Oxum: 4.3\n')
    rewrite_tagmanifest(t)
    r = ingest('verify', t, check_rc=1)
    check(b'oxum: bag-info.txt' in r.stdout, r.stdout)

    # manifests that must be refused
    secret = os.path.join(work, 'secret.txt')
    open(secret, 'w').write('s')
    h = hashlib.sha256(b's').hexdigest()
    for name, line in (('dotdot', 'data/../../secret.txt'), ('abs', secret), ('outside', 'secret.txt'),
                       ('dot', 'data/./a.txt'), ('empty', 'data//a.txt'), ('long', 'data/' + 'x' * 20000)):
        t = shutil.copytree(good, os.path.join(work, name))
        with open(os.path.join(t, 'manifest-sha256.txt'), 'a') as f:
            f.write('%s  %s\n' % (h, line))
        rewrite_tagmanifest(t)
        r = ingest('verify', t)
        check(r.returncode == 1, '%s: exit %d (want 1: refused)' % (name, r.returncode))
        check(b'OK' not in r.stdout, '%s: said OK' % name)
    t = shutil.copytree(good, os.path.join(work, 'badhex'))
    with open(os.path.join(t, 'manifest-sha256.txt'), 'a') as f:
        f.write('zz%s  data/a.txt\n' % h[2:])
    ingest('verify', t, check_rc=1)

    # a symbolic link inside data/, listed or not, is never followed
    t = shutil.copytree(good, os.path.join(work, 'link'))
    os.symlink(secret, os.path.join(t, 'data', 'link.txt'))
    r = ingest('verify', t, check_rc=1)
    check(b'extra: data/link.txt' in r.stdout, r.stdout)
    t = shutil.copytree(good, os.path.join(work, 'linkdir'), symlinks=True)
    shutil.rmtree(os.path.join(t, 'data', 'sub dir'))
    os.symlink(os.path.join(good, 'data', 'sub dir'), os.path.join(t, 'data', 'sub dir'))
    r = ingest('verify', t, check_rc=1)
    check('invalid: data/sub dir/b ü.txt'.encode() in r.stdout or 'missing: data/sub dir/b ü.txt'.encode() in r.stdout,
          r.stdout)
    print('ok')
finally:
    shutil.rmtree(work, ignore_errors=True)

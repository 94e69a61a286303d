# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the package tests: fixtures, running ingest, and an
independent BagIt check that does not use our code (coreutils + python)."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

INGEST = os.environ.get('INGEST_BIN', 'ingest')
SRC = os.environ.get('INGEST_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..', '..'))


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def workdir():
    d = tempfile.mkdtemp(prefix='ingest-pkg-test.')
    return d


def fixtures(work):
    out = os.path.join(work, 'fx')
    subprocess.run(['/usr/bin/python3', os.path.join(SRC, 'fixtures', 'gen-fixtures.py'), out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def ingest(*args, env=None, check_rc=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([INGEST] + list(args), capture_output=True, env=e)
    if check_rc is not None and p.returncode != check_rc:
        fail('ingest %s: exit %d, wanted %d\nstdout: %s\nstderr: %s' % (
            ' '.join(args), p.returncode, check_rc, p.stdout.decode(errors='replace'),
            p.stderr.decode(errors='replace')))
    return p


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def decode_path(p):
    # RFC 8493: only CR, LF and % are percent-encoded
    out, i = bytearray(), 0
    while i < len(p):
        if p[i:i + 1] == b'%' and p[i + 1:i + 3].upper() in (b'0A', b'0D', b'25'):
            out += {b'0A': b'\n', b'0D': b'\r', b'25': b'%'}[p[i + 1:i + 3].upper()]
            i += 3
        else:
            out += p[i:i + 1]
            i += 1
    return bytes(out)


def parse_manifest(path):
    """{relative path (bytes): hex} from a manifest; duplicates are an error."""
    entries = {}
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            if not line:
                continue
            h, _, p = line.partition(b'  ')
            check(len(h) == 64 and p, 'malformed manifest line %r' % line)
            p = decode_path(p)
            check(p not in entries, 'listed twice: %r' % p)
            entries[p] = h.decode()
    return entries


def walk_files(root, sub=b'data'):
    found = []
    base = os.fsencode(root)
    for dp, dn, fn in os.walk(os.path.join(base, sub)):
        for n in fn:
            found.append(os.path.relpath(os.path.join(dp, n), base))
    return found


def independent_check(bag, use_sha256sum=True):
    """Returns a list of what is wrong with the bag, checked without our code."""
    wrong = []
    if use_sha256sum:
        for m in ('manifest-sha256.txt', 'tagmanifest-sha256.txt'):
            p = subprocess.run(['sha256sum', '--quiet', '-c', m], cwd=bag, capture_output=True)
            if p.returncode != 0:
                wrong.append('sha256sum -c %s: %s' % (m, (p.stdout + p.stderr).decode(errors='replace').strip()))
    man = parse_manifest(os.path.join(bag, 'manifest-sha256.txt'))
    files = walk_files(bag)
    for f in files:
        if f not in man:
            wrong.append('not in manifest: %r' % f)
    total = 0
    for p, h in man.items():
        full = os.path.join(os.fsencode(bag), p)
        if not os.path.isfile(full):
            wrong.append('missing: %r' % p)
            continue
        total += os.path.getsize(full)
        if not use_sha256sum and sha256_file(full) != h:
            wrong.append('altered: %r' % p)
    tag = parse_manifest(os.path.join(bag, 'tagmanifest-sha256.txt'))
    for t in (b'bagit.txt', b'bag-info.txt', b'manifest-sha256.txt'):
        if t not in tag:
            wrong.append('tag manifest does not cover %r' % t)
    if not use_sha256sum:
        for p, h in tag.items():
            if sha256_file(os.path.join(os.fsencode(bag), p)) != h:
                wrong.append('altered tag file: %r' % p)
    info = open(os.path.join(bag, 'bag-info.txt'), encoding='utf-8').read()
    oxum = [l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('Payload-Oxum:')]
    if oxum != ['%d.%d' % (total, len(man))]:
        wrong.append('Payload-Oxum %r, payload holds %d.%d' % (oxum, total, len(man)))
    bagit = open(os.path.join(bag, 'bagit.txt'), encoding='utf-8').read()
    if bagit != 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n':
        wrong.append('bagit.txt: %r' % bagit)
    return wrong


def rewrite_tagmanifest(bag):
    tag = parse_manifest(os.path.join(bag, 'tagmanifest-sha256.txt'))
    with open(os.path.join(bag, 'tagmanifest-sha256.txt'), 'wb') as f:
        for p in sorted(tag):
            f.write(b'%s  %s\n' % (sha256_file(os.path.join(os.fsencode(bag), p)).encode(), p))


def copy_bag(bag, dst):
    shutil.copytree(bag, dst, symlinks=True)
    return dst


# which gaps explain which count of the package's DICOMDIR differing from the report's
FILESET_EXPLAINS = {
    'patients': {'generic.pacs-no-patient-id', 'generic.fileset-person-several-records'},
    'studies': {'generic.fileset-study-several-records'},
    'series': {'generic.fileset-study-several-records'},
    'instances': {'generic.conflicting-duplicates'},
}


def report_counts(rep):
    """The report's own counts: people with images, studies, series, instances."""
    inv = rep['inventory']
    return {'patients': sum(1 for p in inv['patients'] if p['studies']), 'studies': len(inv['studies']),
            'series': sum(len(s['series']) for s in inv['studies']),
            'instances': sum(se['instances'] for s in inv['studies'] for se in s['series'])}


def check_fileset(name, bag, rep):
    """The records of data/DICOMDIR are the report's inventory.fileset, and
    each count that differs from the report's own has a gap that says why."""
    import pydicom
    recs = pydicom.dcmread(os.path.join(bag, 'data', 'DICOMDIR')).DirectoryRecordSequence
    got = {'patients': 0, 'studies': 0, 'series': 0, 'instances': 0}
    for r in recs:
        t = str(r.DirectoryRecordType).strip()
        got[{'PATIENT': 'patients', 'STUDY': 'studies', 'SERIES': 'series'}.get(t, 'instances')] += 1
    fs = rep['inventory']['fileset']
    left = len(rep['package'].get('not_in_dicomdir', []))
    want = dict((k, fs[k]) for k in got)
    want['instances'] -= left
    check(got == want, '%s: the DICOMDIR has %r records, the report says %r (%d left out)' % (name, got, fs, left))
    ours = report_counts(rep)
    gaps = {g['rule_id'] for g in rep['gaps']}
    for k in ours:
        if fs[k] != ours[k]:
            why = sorted(gaps & FILESET_EXPLAINS[k])
            check(why, '%s: the DICOMDIR has %d %s records, the report counts %d, and no gap says why'
                  % (name, fs[k], k, ours[k]))
            print('  %s: DICOMDIR %s: %d, report %d; the report says why: %s' % (name, k, fs[k], ours[k],
                                                                                ', '.join(why)))
    return got

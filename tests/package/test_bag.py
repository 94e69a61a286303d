#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bag of a realistic drop: BagIt checked without our code (sha256sum -c,
a walk, Payload-Oxum), DICOMDIR checked with dcmdump and pydicom, DICOM bytes
identical to the input, provenance complete, every input accounted for; and
tampering (byte flipped, file deleted, file added) caught by both the
independent check and `ingest verify`."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pydicom

from pkgtest import (check, copy_bag, fail, fixtures, independent_check, ingest, parse_manifest,
                     rewrite_tagmanifest, sha256_file, workdir)

work = workdir()
try:
    fx = fixtures(work)
    drop = os.path.join(fx, 'drops', 'CASE-DEMO-1')
    # names a courier's tools trip over
    open(os.path.join(drop, 'my report 2024.txt'), 'w').write('Discharge summary\nDiagnosis: breast cancer\n')
    open(os.path.join(drop, 'Überweisung µ 東京.txt'), 'w').write('Referral letter\nDear colleague\n')
    open(os.path.join(drop, 'bad\nname%.txt'), 'w').write('Discharge summary\nline two\n')
    open(os.path.join(drop, '.hidden report.txt'), 'w').write('Discharge summary\nline three\n')

    out = os.path.join(work, 'outbox')
    p = ingest('package', drop, '--out', out, check_rc=0)
    bag = os.path.join(out, 'pending', 'CASE-DEMO-1')
    check(os.path.isdir(bag), 'no package at %s' % bag)
    check(sorted(os.listdir(os.path.join(out, '.building'))) == [],
          '.building not clean: %r' % os.listdir(os.path.join(out, '.building')))
    for t in ('bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'tagmanifest-sha256.txt', 'gap-report.json',
              'gap-report.txt', 'gap-report.html', 'provenance.tsv', 'data/DICOMDIR'):
        check(os.path.isfile(os.path.join(bag, t)), 'missing %s' % t)

    # 1. independent BagIt check
    wrong = independent_check(bag)
    check(not wrong, 'fresh bag: %s' % wrong)
    info = open(os.path.join(bag, 'bag-info.txt')).read()
    # CASE-DEMO-1's case.yaml says breast; the rules leave required gaps (two
    # patients' images, among others), so the case is incomplete and pending.
    report = json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))
    check(report['cancer_type']['id'] == 'breast' and report['status'] == 'incomplete',
          'report: %r %r' % (report['cancer_type'], report['status']))
    for k in ('External-Identifier: CASE-DEMO-1', 'Bagging-Date: ', 'Bag-Software-Agent: ingestd',
              'Cancer-Type: breast', 'Status: incomplete'):
        check(k in info, 'bag-info.txt lacks %r' % k)
    tagman = parse_manifest(os.path.join(bag, 'tagmanifest-sha256.txt'))
    tags = sorted(f for f in os.listdir(bag) if os.path.isfile(os.path.join(bag, f)) and f != 'tagmanifest-sha256.txt')
    check(sorted(tagman) == sorted(os.fsencode(t) for t in tags), 'tag manifest covers %r, tag files %r' % (sorted(tagman), tags))
    r = ingest('verify', bag, check_rc=0)

    # 2. payload layout and names
    man = parse_manifest(os.path.join(bag, 'manifest-sha256.txt'))
    names = [p.decode() for p in man]
    docs = [n for n in names if n.startswith('data/documents/')]
    check('data/documents/discharge-summary/my report 2024.txt' in names, 'spaces name: %r' % docs)
    check(any('Überweisung µ 東京.txt' in n for n in docs), 'non-ASCII name: %r' % docs)
    check(any(n.endswith('/bad_name_.txt') for n in docs), 'newline/%% name not sanitised: %r' % docs)
    check(any(n.endswith('/hidden report.txt') for n in docs), 'leading dot kept: %r' % docs)
    for n in names:
        check(n.startswith('data/DICOM/') or n.startswith('data/documents/') or n == 'data/DICOMDIR', 'odd path %s' % n)
        if n.startswith('data/DICOM/'):
            comps = n.split('/')[1:]
            check(len(comps) == 5 and all(len(c) <= 8 and c == c.upper() for c in comps), 'not a PS3.10 id: %s' % n)

    # 3. DICOMDIR: dcmdump reads it; every record's file exists; every DICOM file is referenced
    d = subprocess.run(['dcmdump', '-q', os.path.join(bag, 'data', 'DICOMDIR')], capture_output=True)
    check(d.returncode == 0, 'dcmdump cannot read DICOMDIR: %s' % d.stderr)
    dd = pydicom.dcmread(os.path.join(bag, 'data', 'DICOMDIR'))
    refs = {}
    for rec in dd.DirectoryRecordSequence:
        if 'ReferencedFileID' in rec:
            fid = rec.ReferencedFileID
            fid = '/'.join(fid) if isinstance(fid, (list, pydicom.multival.MultiValue)) else str(fid)
            path = 'data/' + fid
            check(os.path.isfile(os.path.join(bag, path)), 'DICOMDIR names a missing file %s' % path)
            ds = pydicom.dcmread(os.path.join(bag, path), stop_before_pixels=True, force=True)
            check(str(ds.SOPInstanceUID) == str(rec.ReferencedSOPInstanceUIDInFile),
                  '%s: DICOMDIR says %s, file says %s' % (path, rec.ReferencedSOPInstanceUIDInFile, ds.SOPInstanceUID))
            refs[path] = rec
    dicom_files = [n for n in names if n.startswith('data/DICOM/')]
    check(sorted(refs) == sorted(dicom_files), 'DICOMDIR covers %d files, data/DICOM holds %d' % (len(refs), len(dicom_files)))
    check(len(dicom_files) > 50, 'only %d DICOM files' % len(dicom_files))

    # 4. provenance: one row per payload file; DICOM bytes identical to the input
    rows = [l.split('\t') for l in open(os.path.join(bag, 'provenance.tsv'), encoding='utf-8').read().splitlines()]
    check(rows[0] == ['payload_path', 'sha256', 'bytes', 'drop', 'path_in_drop', 'original_name', 'stored',
                      'received_sha256', 'received_bytes'], 'header %r' % rows[0])
    rows = rows[1:]
    check(sorted(r[0] for r in rows) == sorted(names), 'provenance rows != payload files')

    def unescape(s):
        return s.replace('\\n', '\n').replace('\\t', '\t').replace('\\r', '\r').replace('\\\\', '\\')

    def source_bytes(rel):
        if '!/' in rel:
            arc, inner = rel.split('!/', 1)
            with zipfile.ZipFile(os.path.join(drop, arc)) as z:
                return z.read(inner)
        return open(os.path.join(drop, rel), 'rb').read()

    by_source = {}
    prepended = []
    for r in rows:
        if r[0] == 'data/DICOMDIR':
            continue
        src = unescape(r[4])
        by_source[src] = r[0]
        data = source_bytes(src)
        want = hashlib.sha256(data).hexdigest()
        if r[6] == 'as received':
            # the received bytes are the stored ones: not repeated
            check(r[7] == '-' and r[8] == '-', '%s: received digest/size %r' % (r[0], r[7:]))
            check(want == r[1] == sha256_file(os.path.join(bag, r[0])), '%s differs from its source %r' % (r[0], src))
            check(int(r[2]) == len(data), 'size of %s' % r[0])
        else:
            check(want == r[7] and int(r[8]) == len(data), '%s: received digest/size %r' % (r[0], r[7:]))
            # SPEC 6: a data set without file meta is stored with it prepended, its bytes unchanged
            stored = open(os.path.join(bag, r[0]), 'rb').read()
            meta_len = len(stored) - len(data)
            check(r[6] == 'file meta prepended (%d bytes)' % meta_len and stored[128:132] == b'DICM' and
                  stored[meta_len:] == data and stored[132:134] == b'\x02\x00', '%s: stored as %r' % (r[0], r[6]))
            check(hashlib.sha256(stored).hexdigest() == r[1] and int(r[2]) == len(stored), 'digest of %s' % r[0])
            prepended.append(src)
    check(by_source.get('bad\nname%.txt', '').endswith('bad_name_.txt'), 'provenance of the newline name')
    check(prepended == ['other_hospital/ct_head_003.dcm'], 'stored with file meta prepended: %r' % prepended)

    # 5. every input is in the payload, excluded, a problem, or left out with a reason
    rep = json.load(open(os.path.join(bag, 'gap-report.json')))
    inputs = []
    for dp, dn, fn in os.walk(drop):
        for n in fn:
            rel = os.path.relpath(os.path.join(dp, n), drop)
            inputs.append(rel)
            if n.endswith('.zip'):
                with zipfile.ZipFile(os.path.join(dp, n)) as z:
                    inputs += [rel + '!/' + m for m in z.namelist() if not m.endswith('/')]
    accounted = set(by_source) | {e['path'] for e in rep['inventory']['excluded']} | \
        {e['path'] for e in rep['problems']} | {e['path'] for e in rep['package']['left_out']}
    missing = [i for i in inputs if i not in accounted]
    check(not missing, 'inputs not accounted for: %r' % missing)
    pk = rep['package']
    check(pk['state'] == 'pending' and pk['files'] == len(names) and pk['path'].endswith('/pending/CASE-DEMO-1'),
          'package object %r' % pk)
    check(pk['manifest_sha256'] == sha256_file(os.path.join(bag, 'manifest-sha256.txt')), 'manifest_sha256')
    check(pk['bytes'] == sum(int(r[2]) for r in rows), 'bytes')
    check(rep.get('status') == 'incomplete', 'status %r' % rep.get('status'))
    try:
        import jsonschema
        jsonschema.validate(rep, json.load(open(os.path.join(os.environ['INGEST_SOURCE_ROOT'], 'docs', 'gap-report.schema.json'))))
    except ImportError:
        pass
    html = open(os.path.join(bag, 'gap-report.html'), encoding='utf-8').read()
    check('Status: incomplete' in html and '<script' not in html and 'http://' not in html.replace('http-equiv', ''),
          'gap-report.html')

    # 6. tampering: both checks fail, and verify names the path
    def tampered(name, change, what, path):
        t = copy_bag(bag, os.path.join(work, name))
        change(t)
        wrong = independent_check(t)
        check(wrong, '%s: the independent check did not notice' % name)
        r = ingest('verify', t)
        outp = r.stdout.decode()
        check(r.returncode == 1, '%s: verify exit %d\n%s' % (name, r.returncode, outp))
        check('%s: %s:' % (what, path) in outp, '%s: verify did not name %s %s:\n%s' % (name, what, path, outp))
        shutil.rmtree(t)

    victim = dicom_files[len(dicom_files) // 2]

    def flip(t):
        p = os.path.join(t, victim)
        b = bytearray(open(p, 'rb').read())
        b[len(b) // 2] ^= 0x01
        open(p, 'wb').write(b)
    tampered('flip', flip, 'altered', victim)
    doc = sorted(docs)[0]
    tampered('delete', lambda t: os.unlink(os.path.join(t, doc)), 'missing', doc)
    tampered('add', lambda t: open(os.path.join(t, 'data', 'documents', 'extra file.txt'), 'w').write('x'),
             'extra', 'data/documents/extra file.txt')
    tampered('tag', lambda t: open(os.path.join(t, 'bag-info.txt'), 'a').write('Contact-Name: x\n'),
             'altered', 'bag-info.txt')

    # 7. a name with a newline in a bag (percent-encoded): sha256sum -c cannot
    # read it, so it is checked with our own parse; `ingest verify` decodes it
    t = copy_bag(bag, os.path.join(work, 'newline'))
    odd = b'data/documents/unknown/odd\nname 100%.txt'
    open(os.path.join(os.fsencode(t), odd), 'wb').write(b'hello\n')
    with open(os.path.join(t, 'manifest-sha256.txt'), 'ab') as f:
        f.write(hashlib.sha256(b'hello\n').hexdigest().encode() + b'  data/documents/unknown/odd%0Aname 100%25.txt\n')
    info = open(os.path.join(t, 'bag-info.txt')).read().splitlines()
    man2 = parse_manifest(os.path.join(t, 'manifest-sha256.txt'))
    total = sum(os.path.getsize(os.path.join(os.fsencode(t), p)) for p in man2)
    info = [('Payload-Oxum: %d.%d' % (total, len(man2))) if l.startswith('Payload-Oxum:') else l for l in info]
    open(os.path.join(t, 'bag-info.txt'), 'w').write('\n'.join(info) + '\n')
    rewrite_tagmanifest(t)
    check(odd in man2, 'own parse did not decode %%0A / %%25')
    wrong = independent_check(t, use_sha256sum=False)
    check(not wrong, 'newline bag, own check: %s' % wrong)
    ingest('verify', t, check_rc=0)
    os.unlink(os.path.join(os.fsencode(t), odd))
    r = ingest('verify', t, check_rc=1)
    check(b'missing: data/documents/unknown/odd%0Aname 100%.txt:' in r.stdout, 'newline name not reported: %r' % r.stdout)
    shutil.rmtree(t)

    # 8. a bag over 2 MiB (bagit.c VERIFY_SERIAL_BYTES: small bags are hashed
    # on one thread, bigger ones on several): clean, then one byte flipped in
    # its 3 MiB file
    t = copy_bag(bag, os.path.join(work, 'big'))
    big = b'data/documents/unknown/big scan.bin'
    blob = bytes(range(256)) * (3 * 4096)
    open(os.path.join(os.fsencode(t), big), 'wb').write(blob)
    with open(os.path.join(t, 'manifest-sha256.txt'), 'ab') as f:
        f.write(hashlib.sha256(blob).hexdigest().encode() + b'  ' + big + b'\n')
    info = open(os.path.join(t, 'bag-info.txt')).read().splitlines()
    man3 = parse_manifest(os.path.join(t, 'manifest-sha256.txt'))
    total = sum(os.path.getsize(os.path.join(os.fsencode(t), p)) for p in man3)
    check(total > 2 << 20, 'the big bag holds only %d bytes' % total)
    info = [('Payload-Oxum: %d.%d' % (total, len(man3))) if l.startswith('Payload-Oxum:') else l for l in info]
    open(os.path.join(t, 'bag-info.txt'), 'w').write('\n'.join(info) + '\n')
    rewrite_tagmanifest(t)
    ingest('verify', t, check_rc=0)
    with open(os.path.join(os.fsencode(t), big), 'r+b') as f:
        f.seek(2 << 20)
        f.write(b'\xff')
    r = ingest('verify', t, check_rc=1)
    check(b'altered: data/documents/unknown/big scan.bin:' in r.stdout, 'big bag: %r' % r.stdout)
    shutil.rmtree(t)
    print('ok: %d payload files, %d DICOM, %d documents' % (len(names), len(dicom_files), len(docs)))
finally:
    shutil.rmtree(work, ignore_errors=True)

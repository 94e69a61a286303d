#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The same drop as a folder and as zips whose entries come in other orders
gives the same package tree: the same DICOM file ids (Pnnnnnnn/Snnnnnnn/
Rnnnnnnn/Innnnnnn) for the same bytes, conflicting duplicates included, the
same document names (report.txt / report-2.txt), and a DICOMDIR that refers
to the same files (#19, item 4)."""
import os
import random
import shutil
import zipfile

import pydicom

from pkgtest import check, fixtures, ingest, parse_manifest, workdir


def zip_drop(drop, path, seed):
    ents = [os.path.relpath(os.path.join(d, f), drop) for d, _, fs in os.walk(drop) for f in fs]
    random.Random(seed).shuffle(ents)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for e in ents:
            z.write(os.path.join(drop, e), e)


def tree(out):
    bags = [os.path.join(out, s, 'CASE-SAME') for s in ('pending', 'ready')
            if os.path.isdir(os.path.join(out, s, 'CASE-SAME'))]
    check(len(bags) == 1, 'packages in %s: %r' % (out, bags))
    man = parse_manifest(os.path.join(bags[0], 'manifest-sha256.txt'))
    man.pop(b'data/DICOMDIR', None)     # its own UID differs per build; its references are compared below
    dd = pydicom.dcmread(os.path.join(bags[0], 'data', 'DICOMDIR'))
    refs = sorted(('/'.join(r.ReferencedFileID), r.ReferencedSOPInstanceUIDInFile)
                  for r in dd.DirectoryRecordSequence if 'ReferencedFileID' in r)
    return man, refs


work = workdir()
try:
    fx = fixtures(work)
    drop = os.path.join(work, 'drop')
    shutil.copytree(os.path.join(fx, 'drops', 'CASE-DEMO-1'), drop)
    # three copies of one image that differ in their last bytes: conflicting duplicates of one series
    src = os.path.join(drop, 'other_hospital', 'ct_head_001.dcm')
    data = open(src, 'rb').read()
    os.mkdir(os.path.join(drop, 'copies'))
    for k in range(3):
        open(os.path.join(drop, 'copies', 'dup%d.dcm' % k), 'wb').write(data[:-3] + bytes([0x41 + k]) + data[-2:])
    # two documents of one name in two folders
    for d, text in (('a', 'one'), ('b', 'two')):
        os.mkdir(os.path.join(drop, d))
        open(os.path.join(drop, d, 'report.txt'), 'w').write('Discharge summary\nletter %s\n' % text)

    ingest('package', drop, '--out', os.path.join(work, 'out-folder'), '--case-id', 'CASE-SAME', check_rc=0)
    want_man, want_refs = tree(os.path.join(work, 'out-folder'))
    check(sum(p.startswith(b'data/DICOM/') for p in want_man) > 10, 'few DICOM files: %r' % sorted(want_man))
    check(len(want_refs) > 10, 'DICOMDIR refers to %d files' % len(want_refs))
    for seed in (1, 2, 3):
        z = os.path.join(work, 'drop%d.zip' % seed)
        zip_drop(drop, z, seed)
        out = os.path.join(work, 'out-zip%d' % seed)
        ingest('package', z, '--out', out, '--case-id', 'CASE-SAME', check_rc=0)
        man, refs = tree(out)
        diff = sorted(set(man.items()) ^ set(want_man.items()))
        check(not diff, 'zip (order %d) and folder differ in the payload: %r' % (seed, diff))
        check(refs == want_refs, 'zip (order %d) and folder differ in the DICOMDIR: %r' % (
            seed, sorted(set(refs) ^ set(want_refs))))
    print('ok: folder and 3 zips of other entry orders give the same tree (%d payload files)' % len(want_man))
finally:
    shutil.rmtree(work, ignore_errors=True)

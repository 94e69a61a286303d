#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#19 item 5: the package's file-set as real readers see it, on the fixture
drops and on a drop of every pydicom sample *.dcm Debian ships (real files
from many vendors):
  - dciodvfy (dicom3tools) on every DICOMDIR: 0 errors on the fixtures; on
    the samples every error is a Type 1 key the object itself lacks, which
    the report says (package.dicomdir_notes), one note per error;
  - pydicom's FileSet opens every referenced instance, and it is the file
    the record names (SOP Instance UID);
  - DCMTK's dcmmkdir over a copy of the package's DICOM files references the
    same (file, SOP Instance UID) set as our DICOMDIR;
  - its PATIENT, STUDY, SERIES and instance records are the report's
    inventory.fileset, and where they differ from the report's counts a gap
    says why (objects that name no one, a person written several ways, a
    study under several PATIENT records, conflicting duplicates);
  - the same content twice gives the same DICOMDIR bytes (no UID made at
    build time);
  - pydicom's dicomdirtests tree as an ISO 9660 image: the same checks, and
    no problem (each of its DICOMDIR variants reads, as in DCMTK and pydicom).
Warnings of dciodvfy are printed, not failed (see docs/package.md)."""
import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pydicom
from pydicom.fileset import FileSet

from pkgtest import check, check_fileset, fixtures, ingest, parse_manifest, workdir

SAMPLES = '/usr/lib/python3/dist-packages/pydicom/data/test_files'


def fid(rec):
    f = rec.ReferencedFileID
    return '/'.join(f) if isinstance(f, (list, pydicom.multival.MultiValue)) else str(f)


def package(drop, out):
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    return os.path.join(out, 'pending', os.path.basename(drop))


def dciodvfy(ddpath):
    p = subprocess.run(['dciodvfy', ddpath], capture_output=True)
    lines = (p.stdout + p.stderr).decode(errors='replace').splitlines()
    return [l for l in lines if l.startswith('Error')], [l for l in lines if l.startswith('Warning')]


def check_bag(bag, name, strict):
    dd = os.path.join(bag, 'data', 'DICOMDIR')
    rep = json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))
    notes = [n['note'] for n in rep['package'].get('dicomdir_notes', [])]
    # 1. dciodvfy
    errors, warnings = dciodvfy(dd)
    if strict:
        check(not errors, '%s: dciodvfy errors:\n%s' % (name, '\n'.join(errors)))
    else:
        # each error is a Type 1 key the object lacks, and the report says so
        want = collections.Counter()
        for n in notes:
            m = re.search(r'has no (\w+) \(Type 1 in PS3.3 F.5\)', n)
            if m:
                want['Missing attribute Type 1 Required Element=<%s>' % m.group(1)] += 1
            elif 'carry no Patient ID' in n:
                want['Empty attribute (no value) Type 1 Required Element=<PatientID>'] += 1
        got = collections.Counter(re.sub(r'^Error - ', '', e).split(' Module=')[0] for e in errors)
        check(got == want, '%s: dciodvfy errors not matched by the report\'s notes:\n errors %r\n notes %r'
              % (name, dict(got), dict(want)))
    for w in sorted(set(warnings)):
        print('%s: dciodvfy %s' % (name, w))
    # 2. pydicom FileSet: every referenced instance loads, and is the file named
    fs = FileSet(dd)
    refs = {}
    for inst in fs:
        ds = inst.load()
        check(str(ds.SOPInstanceUID) == inst.SOPInstanceUID, '%s: %s is not %s' % (name, inst.path, inst.SOPInstanceUID))
        refs[os.path.relpath(inst.path, os.path.join(bag, 'data'))] = inst.SOPInstanceUID
    files = [p.decode() for p in parse_manifest(os.path.join(bag, 'manifest-sha256.txt'))]
    dicom = sorted(p[len('data/'):] for p in files if p.startswith('data/DICOM/'))
    nid = [e['path'] for e in rep['package']['not_in_dicomdir']]
    check(len(refs) + len(nid) == len(dicom), '%s: %d referenced + %d refused != %d DICOM files'
          % (name, len(refs), len(nid), len(dicom)))
    # 3. dcmmkdir over a copy of the payload references the same set
    cp = os.path.join(os.path.dirname(bag), '..', 'oracle-' + name)
    shutil.rmtree(cp, ignore_errors=True)
    shutil.copytree(os.path.join(bag, 'data', 'DICOM'), os.path.join(cp, 'DICOM'))
    m = subprocess.run(['dcmmkdir', '+r', '-Pgp', '+I', '-Nxc', '-Nec', '-Nrc', '-W', '+F', 'X', '+D', 'DICOMDIR',
                        'DICOM'], cwd=cp, capture_output=True)
    check(m.returncode == 0, '%s: dcmmkdir: %d %s' % (name, m.returncode, m.stderr))
    theirs = {}
    for rec in pydicom.dcmread(os.path.join(cp, 'DICOMDIR')).DirectoryRecordSequence:
        if 'ReferencedFileID' in rec:
            theirs[fid(rec)] = str(rec.ReferencedSOPInstanceUIDInFile)
    only_theirs = sorted(set(theirs.items()) - set(refs.items()))
    only_ours = sorted(set(refs.items()) - set(theirs.items()))
    check(not only_theirs, '%s: dcmmkdir references what we do not: %r' % (name, only_theirs))
    if strict:
        check(not only_ours, '%s: dcmmkdir leaves out %r: %s' % (name, only_ours, m.stderr.decode(errors='replace')))
    else:
        # what dcmmkdir leaves out, it names with its reason (a file DCMTK cannot read, a key the
        # object lacks that dcmmkdir will not invent, a SOP Instance UID given twice); listed here
        said = (m.stdout + m.stderr).decode(errors='replace')
        for f, uid in only_ours:
            check(f in said or uid in said, '%s: dcmmkdir left out %s silently' % (name, f))
            why = [l for l in said.splitlines() if (f in l or uid in l) and l.startswith('E:')]
            print('%s: dcmmkdir leaves out %s: %s' % (name, f, why[:1] or ['(listed as not added)']))
    # 4. the DICOMDIR's records are the report's inventory.fileset; each difference from the report's
    #    counts is a gap (docs/package.md, "One inventory truth")
    check_fileset(name, bag, rep)
    print('ok %s: %d instances; dciodvfy %d errors (each a key the object lacks), %d warnings; %d notes'
          % (name, len(refs), len(errors), len(warnings), len(notes)))
    return open(dd, 'rb').read()


work = workdir()
try:
    fx = fixtures(work)
    for drop in sorted(glob.glob(os.path.join(fx, 'drops', '*'))):
        name = os.path.basename(drop)
        check_bag(package(drop, os.path.join(work, 'out-' + name)), name, strict=True)
    samples = os.path.join(work, 'SAMPLES')
    os.makedirs(samples)
    for f in glob.glob(os.path.join(SAMPLES, '*.dcm')):
        shutil.copy(f, samples)
    # pydicom's dicomdirtests tree (its own DICOMDIR in six variants) as a disc image
    iso = os.path.join(work, 'DDT')
    os.makedirs(iso)
    subprocess.run(['genisoimage', '-quiet', '-V', 'DDT', '-R', '-J', '-o', os.path.join(iso, 'DDT.iso'),
                    os.path.join(SAMPLES, 'dicomdirtests')], check=True)
    isobag = package(iso, os.path.join(work, 'out-iso'))
    check_bag(isobag, 'DDT.iso', strict=False)
    # every DICOMDIR variant reads, as DCMTK and pydicom read them (DICOMDIR-nooffset's last
    # record overstates its length: it is not 'truncated')
    probs = json.load(open(os.path.join(isobag, 'gap-report.json'), encoding='utf-8'))['problems']
    check(not probs, 'DDT.iso: problems %r' % [(p['path'], p['code'], p['message']) for p in probs])
    b1 = check_bag(package(samples, os.path.join(work, 'out-s1')), 'SAMPLES', strict=False)
    b2 = open(os.path.join(package(samples, os.path.join(work, 'out-s2')), 'data', 'DICOMDIR'), 'rb').read()
    check(b1 == b2, 'the same drop twice gives different DICOMDIR bytes')
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(0)

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""SPEC 6, #19 item 1: a DICOM data set received without file meta (no
preamble, no "DICM") is stored in the package with PS3.10 file meta
prepended (Media Storage SOP Class/Instance UID from the data set, the
transfer syntax as detected), its data set bytes unchanged after it;
provenance.tsv says so with the received bytes' SHA-256 and size. One that
cannot be made a PS3.10 file (no SOP Instance UID) is a problem and stays
out of the file-set. Checked with pydicom, dcmftest and DCMTK's dcmdump on
Debian's pydicom samples (big and little endian, explicit and implicit VR)
and bare data sets made here."""
import hashlib
import json
import os
import shutil
import struct
import subprocess

import pydicom
from pydicom.dataset import Dataset

from pkgtest import check, ingest, workdir

SAMPLES = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
ROOT = '1.2.826.0.1.3680043.10.1234.778'


def bare(path, implicit, sop_inst=None, **kw):
    ds = Dataset()
    ds.SOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    if sop_inst:
        ds.SOPInstanceUID = sop_inst
    ds.StudyInstanceUID = ROOT + '.1'
    ds.SeriesInstanceUID = ROOT + '.2'
    ds.PatientName = 'BARE^ONE'
    ds.PatientID = 'BARE1'
    ds.Modality = 'OT'
    ds.StudyDate = '20240101'
    ds.StudyTime = '101010'
    ds.StudyID = '1'
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    for k, v in kw.items():
        setattr(ds, k, v)
    # a data set alone, no preamble and no group 0002 (pydicom's raw writer)
    from pydicom.filewriter import write_dataset
    from pydicom.filebase import DicomBytesIO
    b = DicomBytesIO()
    b.is_little_endian = True
    b.is_implicit_VR = implicit
    write_dataset(b, ds)
    open(path, 'wb').write(b.getvalue())


work = workdir()
try:
    drop = os.path.join(work, 'BARE-1')
    os.makedirs(drop)
    for n in ('ExplVR_BigEndNoMeta.dcm', 'rtstruct.dcm', 'CT_small.dcm'):
        shutil.copy(os.path.join(SAMPLES, n), drop)
    bare(os.path.join(drop, 'implicit.dcm'), True, ROOT + '.3.1')
    bare(os.path.join(drop, 'explicit.dcm'), False, ROOT + '.3.2', InstanceNumber=2)
    bare(os.path.join(drop, 'no_instance_uid.dcm'), True, None, InstanceNumber=3)
    out = os.path.join(work, 'out')
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    bag = os.path.join(out, 'pending', 'BARE-1')
    rows = [l.split('\t') for l in open(os.path.join(bag, 'provenance.tsv'), encoding='utf-8').read().splitlines()]
    head, rows = rows[0], rows[1:]
    check(head[6:] == ['stored', 'received_sha256', 'received_bytes'], 'provenance header %r' % head)
    by_src = {r[4]: r for r in rows if r[4] != '-'}
    want_ts = {'ExplVR_BigEndNoMeta.dcm': '1.2.840.10008.1.2.2', 'rtstruct.dcm': '1.2.840.10008.1.2',
               'implicit.dcm': '1.2.840.10008.1.2', 'explicit.dcm': '1.2.840.10008.1.2.1'}
    for src, ts in want_ts.items():
        check(src in by_src, '%s not packaged: %r' % (src, sorted(by_src)))
        r = by_src[src]
        received = open(os.path.join(drop, src), 'rb').read()
        stored = open(os.path.join(bag, r[0]), 'rb').read()
        n = len(stored) - len(received)
        check(r[6] == 'file meta prepended (%d bytes)' % n, '%s: stored %r' % (src, r[6]))
        check(stored[:128] == b'\0' * 128 and stored[128:132] == b'DICM', '%s: no preamble/DICM' % src)
        check(stored[n:] == received, '%s: data set bytes changed' % src)
        check(r[7] == hashlib.sha256(received).hexdigest() and int(r[8]) == len(received), '%s: received %r' % (src, r[7:]))
        check(r[1] == hashlib.sha256(stored).hexdigest() and int(r[2]) == len(stored), '%s: stored digest' % src)
        # group 0002 explicit VR LE with its group length right
        check(stored[132:140] == b'\x02\x00\x00\x00UL\x04\x00', '%s: group length element' % src)
        gl = struct.unpack('<I', stored[140:144])[0]
        check(144 + gl == n, '%s: group length %d, meta ends at %d' % (src, gl, n))
        ds = pydicom.dcmread(os.path.join(bag, r[0]))
        fm = ds.file_meta
        check(fm.MediaStorageSOPClassUID == ds.SOPClassUID and fm.MediaStorageSOPInstanceUID == ds.SOPInstanceUID,
              '%s: meta UIDs %s %s' % (src, fm.MediaStorageSOPClassUID, fm.MediaStorageSOPInstanceUID))
        check(fm.TransferSyntaxUID == ts, '%s: transfer syntax %s, wanted %s' % (src, fm.TransferSyntaxUID, ts))
        check(fm.FileMetaInformationVersion == b'\x00\x01' and fm.ImplementationClassUID.startswith('2.25.'),
              '%s: meta %r' % (src, fm))
        t = subprocess.run(['dcmftest', os.path.join(bag, r[0])], capture_output=True)
        check(t.stdout.startswith(b'yes:'), '%s: dcmftest %s' % (src, t.stdout))
        t = subprocess.run(['dcmdump', '-q', '-E', os.path.join(bag, r[0])], capture_output=True)
        check(t.returncode == 0 and not t.stderr, '%s: dcmdump %s' % (src, t.stderr))
    # a Part 10 file is untouched
    r = by_src['CT_small.dcm']
    check(r[6] == 'as received' and r[7] == '-' and r[1] == hashlib.sha256(open(os.path.join(drop, 'CT_small.dcm'), 'rb').read()).hexdigest(),
          'CT_small.dcm: %r' % r)
    # no SOP Instance UID: a problem, not in the file-set
    check('no_instance_uid.dcm' not in by_src, 'a data set without SOP Instance UID was packaged')
    rep = json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))
    pr = [p for p in rep['problems'] if p['path'] == 'no_instance_uid.dcm']
    check(len(pr) == 1 and pr[0]['code'] == 'corrupt' and 'SOP Instance UID' in pr[0]['message'], 'problem %r' % pr)
    # the same drop again: the same stored bytes (the meta is deterministic)
    out2 = os.path.join(work, 'out2')
    ingest('package', drop, '--out', out2, '--no-fetch', check_rc=0)
    m1 = [l for l in open(os.path.join(bag, 'manifest-sha256.txt')) if not l.endswith(' data/DICOMDIR\n')]
    m2 = [l for l in open(os.path.join(out2, 'pending', 'BARE-1', 'manifest-sha256.txt'))
          if not l.endswith(' data/DICOMDIR\n')]
    check(m1 == m2, 'two runs give different payloads:\n%s\n%s' % (m1, m2))
    print('ok: %d data sets stored with file meta prepended' % len(want_ts))
finally:
    shutil.rmtree(work, ignore_errors=True)

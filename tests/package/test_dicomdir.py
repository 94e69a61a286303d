#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""data/DICOMDIR, written from the scan's headers, checked without our code:
dcmdump reads it; pydicom's FileSet loads it; our own walk of the offsets
(first/last root record, next, lower) reaches every record exactly once in a
PATIENT > STUDY > SERIES > instance tree; every DICOM payload file is
referenced once (a file of an unknown SOP class is refused and reported);
record types match the SOP classes; each record's UIDs are the file's own;
type 1 keys are present and non-empty (where the file lacks one, the value written is noted in
package.dicomdir_notes; a Patient ID is never invented);
non-ASCII names carry a Specific Character Set. Oracle: DCMTK's own
`dcmmkdir +r -Pgp +I` over a copy of the payload describes the same
(record type, file, SOP Instance UID) set and the same series/study parents,
except files dcmmkdir refuses as not Part 10."""
import json
import os
import shutil
import subprocess

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian

from pkgtest import check, fixtures, ingest, parse_manifest, workdir

ROOT = '1.2.826.0.1.3680043.10.1234.777'
UNKNOWN_SOP = '1.2.826.0.1.3680043.10.1234.999.1'


def write_dcm(path, sop_class, sop_inst, study, series, **kw):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_inst
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_inst
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    for k, v in kw.items():
        setattr(ds, k, v)
    ds.Rows = 2
    ds.Columns = 2
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = b'\0' * 8
    ds.save_as(path, write_like_original=False)


def fid_of(rec):
    f = rec.ReferencedFileID
    return '/'.join(f) if isinstance(f, (list, pydicom.multival.MultiValue)) else str(f)


def part10(path):
    with open(path, 'rb') as f:
        b = f.read(132)
    return len(b) == 132 and b[128:] == b'DICM'


INSTANCE_TYPES = {'IMAGE', 'SR DOCUMENT', 'ENCAP DOC', 'PRESENTATION', 'KEY OBJECT DOC', 'WAVEFORM', 'RT DOSE',
                  'RT STRUCTURE SET', 'RT PLAN', 'RT TREAT RECORD', 'RAW DATA', 'SPECTROSCOPY', 'REGISTRATION',
                  'FIDUCIAL'}


def expected_type(sop):
    if sop.startswith('1.2.840.10008.5.1.4.1.1.88.') and sop != '1.2.840.10008.5.1.4.1.1.88.59':
        return 'SR DOCUMENT'
    if sop.startswith('1.2.840.10008.5.1.4.1.1.104.'):
        return 'ENCAP DOC'
    if sop.startswith('1.2.840.10008.5.1.4.1.1.11.'):
        return 'PRESENTATION'
    return 'IMAGE'   # the fixtures' other classes are CT, MR, PET, SC, ...


def records_by_offset(dd):
    return {rec.seq_item_tell: rec for rec in dd.DirectoryRecordSequence}


def walk(dd):
    """Follow the offsets; return [(patient, study, series, instance)] and the visit count."""
    by_off = records_by_offset(dd)
    seen = {}

    def chain(off, what):
        out = []
        while off:
            check(off in by_off, '%s: offset %d is not a record' % (what, off))
            check(off not in seen, 'record at %d reached twice' % off)
            seen[off] = True
            rec = by_off[off]
            check(int(rec.RecordInUseFlag) == 0xFFFF, 'record at %d: RecordInUseFlag %r' % (off, rec.RecordInUseFlag))
            out.append(rec)
            off = int(rec.OffsetOfTheNextDirectoryRecord)
        return out

    first = int(dd.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity)
    last = int(dd.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity)
    pats = chain(first, 'root')
    check(pats and pats[-1].seq_item_tell == last, 'last root record offset %d is not the end of the root chain' % last)
    leaves = []
    for p in pats:
        check(p.DirectoryRecordType == 'PATIENT', 'root record %s' % p.DirectoryRecordType)
        for s in chain(int(p.OffsetOfReferencedLowerLevelDirectoryEntity), 'patient'):
            check(s.DirectoryRecordType == 'STUDY', 'under PATIENT: %s' % s.DirectoryRecordType)
            for q in chain(int(s.OffsetOfReferencedLowerLevelDirectoryEntity), 'study'):
                check(q.DirectoryRecordType == 'SERIES', 'under STUDY: %s' % q.DirectoryRecordType)
                for i in chain(int(q.OffsetOfReferencedLowerLevelDirectoryEntity), 'series'):
                    check(i.DirectoryRecordType in INSTANCE_TYPES, 'under SERIES: %s' % i.DirectoryRecordType)
                    check(int(i.OffsetOfReferencedLowerLevelDirectoryEntity) == 0, 'instance record with children')
                    leaves.append((p, s, q, i))
    check(len(seen) == len(dd.DirectoryRecordSequence),
          'walk reached %d of %d records' % (len(seen), len(dd.DirectoryRecordSequence)))
    return leaves


def nonempty(rec, kw, where):
    check(kw in rec and str(rec[kw].value).strip() != '', '%s record lacks a value for %s' % (where, kw))


def present(rec, kw, where):
    check(kw in rec, '%s record lacks %s (type 2)' % (where, kw))


work = workdir()
try:
    fx = fixtures(work)
    drop = os.path.join(fx, 'drops', 'CASE-DEMO-1')
    extra = os.path.join(drop, 'extra')
    os.makedirs(extra)
    # a third patient: non-ASCII name, no Patient ID, no Study Date/Time/ID,
    # Series Number or Instance Numbers (all type 1 in the DICOMDIR)
    for k in (1, 2):
        write_dcm(os.path.join(extra, 'm%d.dcm' % k), '1.2.840.10008.5.1.4.1.1.2', '%s.3.%d' % (ROOT, k),
                  ROOT + '.1', ROOT + '.2', SpecificCharacterSet='ISO_IR 100', PatientName='Müller^Jürgen',
                  PatientID='', Modality='CT')
    # a SOP class no DICOMDIR record type exists for
    write_dcm(os.path.join(extra, 'odd.dcm'), UNKNOWN_SOP, ROOT + '.9.1', ROOT + '.8', ROOT + '.8.1',
              PatientName='ODD^ONE', PatientID='ODD1', Modality='OT', InstanceNumber=1)

    out = os.path.join(work, 'outbox')
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    bag = os.path.join(out, 'pending', 'CASE-DEMO-1')
    ddpath = os.path.join(bag, 'data', 'DICOMDIR')
    names = [p.decode() for p in parse_manifest(os.path.join(bag, 'manifest-sha256.txt'))]
    dicom_files = sorted(n for n in names if n.startswith('data/DICOM/'))
    check(len(dicom_files) > 50, 'only %d DICOM files' % len(dicom_files))

    # 1. DCMTK and pydicom read it
    d = subprocess.run(['dcmdump', '-q', ddpath], capture_output=True)
    check(d.returncode == 0 and not d.stderr, 'dcmdump: %d %s' % (d.returncode, d.stderr))
    d = subprocess.run(['dcmftest', ddpath], capture_output=True)
    check(d.returncode == 0 and d.stdout.startswith(b'yes:'), 'dcmftest: %d %s' % (d.returncode, d.stdout))
    dd = pydicom.dcmread(ddpath)
    check(dd.file_meta.MediaStorageSOPClassUID == '1.2.840.10008.1.3.10', 'meta SOP class %s' % dd.file_meta.MediaStorageSOPClassUID)
    check(dd.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian, 'transfer syntax %s' % dd.file_meta.TransferSyntaxUID)
    check(dd.FileSetID == 'CASE_DEMO_1', 'File-set ID %r' % dd.FileSetID)
    fs = FileSet(dd)

    # 2. the offsets make one tree
    leaves = walk(dd)
    check(len(list(fs)) == len(leaves), 'pydicom FileSet has %d instances, our walk %d' % (len(list(fs)), len(leaves)))

    # 3. every DICOM payload file once, except the refused one
    refs = {}
    for p, s, q, i in leaves:
        path = 'data/' + fid_of(i)
        check(path not in refs, '%s referenced twice' % path)
        refs[path] = (p, s, q, i)
    rep = json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))
    nid = rep['package']['not_in_dicomdir']
    check(len(nid) == 1 and nid[0]['path'] == 'extra/odd.dcm' and 'SOP class' in nid[0]['reason'],
          'not_in_dicomdir: %r' % nid)
    odd = [n for n in dicom_files if n not in refs]
    check(len(odd) == 1, 'files not in the DICOMDIR: %r' % odd)
    check(str(pydicom.dcmread(os.path.join(bag, odd[0]), force=True).SOPClassUID) == UNKNOWN_SOP, 'refused %s' % odd[0])
    check(sorted(refs) == sorted(set(dicom_files) - set(odd)), 'DICOMDIR names files outside the payload')

    # 4. each record agrees with its file; type 1 keys present
    pats = set()
    for path, (p, s, q, i) in sorted(refs.items()):
        ds = pydicom.dcmread(os.path.join(bag, path), stop_before_pixels=True, force=True)
        w = path
        check(i.ReferencedSOPInstanceUIDInFile == ds.SOPInstanceUID, '%s: SOP Instance UID' % w)
        check(i.ReferencedSOPClassUIDInFile == ds.SOPClassUID, '%s: SOP Class UID' % w)
        ts = ds.file_meta.TransferSyntaxUID if 'TransferSyntaxUID' in getattr(ds, 'file_meta', {}) else '1.2.840.10008.1.2'
        check(i.ReferencedTransferSyntaxUIDInFile == ts, '%s: transfer syntax %s, file %s' % (w, i.ReferencedTransferSyntaxUIDInFile, ts))
        check(i.DirectoryRecordType == expected_type(str(ds.SOPClassUID)),
              '%s: %s record for %s' % (w, i.DirectoryRecordType, ds.SOPClassUID))
        check(q.SeriesInstanceUID == ds.SeriesInstanceUID, '%s: series %s, file %s' % (w, q.SeriesInstanceUID, ds.SeriesInstanceUID))
        check(s.StudyInstanceUID == ds.StudyInstanceUID, '%s: study %s, file %s' % (w, s.StudyInstanceUID, ds.StudyInstanceUID))
        check(str(p.PatientName) == str(ds.get('PatientName', '')), '%s: patient %r, file %r' % (w, str(p.PatientName), str(ds.get('PatientName', ''))))
        if str(ds.get('PatientID', '')).strip():
            check(p.PatientID == ds.PatientID, '%s: patient id %s, file %s' % (w, p.PatientID, ds.PatientID))
        if 'InstanceNumber' in ds and str(ds.InstanceNumber).strip():
            check(int(i.InstanceNumber) == int(ds.InstanceNumber), '%s: instance number' % w)
        for kw in ('ReferencedFileID', 'ReferencedSOPClassUIDInFile', 'ReferencedSOPInstanceUIDInFile',
                   'ReferencedTransferSyntaxUIDInFile', 'InstanceNumber'):
            nonempty(i, kw, w)
        if i.DirectoryRecordType == 'SR DOCUMENT':
            for kw in ('ContentDate', 'ContentTime', 'CompletionFlag', 'VerificationFlag'):
                nonempty(i, kw, w)
        if i.DirectoryRecordType == 'ENCAP DOC':
            nonempty(i, 'MIMETypeOfEncapsulatedDocument', w)
            check(i.MIMETypeOfEncapsulatedDocument == ds.MIMETypeOfEncapsulatedDocument, '%s: MIME type' % w)
            for kw in ('ContentDate', 'ContentTime', 'DocumentTitle', 'ConceptNameCodeSequence'):
                present(i, kw, w)
        for kw in ('Modality', 'SeriesInstanceUID', 'SeriesNumber'):
            nonempty(q, kw, 'SERIES of ' + w)
        for kw in ('StudyDate', 'StudyTime', 'StudyInstanceUID', 'StudyID'):
            nonempty(s, kw, 'STUDY of ' + w)
        for kw in ('StudyDescription', 'AccessionNumber'):
            present(s, kw, 'STUDY of ' + w)
        if str(ds.get('PatientID', '')).strip():
            nonempty(p, 'PatientID', 'PATIENT of ' + w)
        else:
            # never invented: empty, and the report says so
            check(str(p.get('PatientID', '')) == '', 'PATIENT of %s: invented Patient ID %r' % (w, p.get('PatientID')))
            check(any('carry no Patient ID' in n['note'] for n in rep['package']['dicomdir_notes']),
                  'no note for the empty Patient ID of %s' % w)
        present(p, 'PatientName', 'PATIENT of ' + w)
        pats.add(p.seq_item_tell)
    check(len(pats) == 3, '%d patient records, wanted 3' % len(pats))

    # 5. the invented keys and the character set of the non-ASCII patient
    mul = [v for k, v in refs.items() if str(v[3].ReferencedSOPInstanceUIDInFile).startswith(ROOT + '.3.')]
    check(len(mul) == 2, 'Müller files described: %d' % len(mul))
    p, s, q, _ = mul[0]
    check(all(m[0].seq_item_tell == p.seq_item_tell and m[2].seq_item_tell == q.seq_item_tell for m in mul),
          'one patient and one series for the Müller files')
    check(p.SpecificCharacterSet == 'ISO_IR 192' and str(p.PatientName) == 'Müller^Jürgen',
          'non-ASCII name: %r %r' % (p.get('SpecificCharacterSet'), str(p.PatientName)))
    check(sorted(int(m[3].InstanceNumber) for m in mul) == [1, 2], 'invented instance numbers')
    raw = open(ddpath, 'rb').read()
    check('Müller^Jürgen'.encode('utf-8') in raw, 'name not stored as UTF-8')

    # 6. oracle: DCMTK's dcmmkdir over a copy of the payload
    cp = os.path.join(work, 'oracle')
    shutil.copytree(os.path.join(bag, 'data', 'DICOM'), os.path.join(cp, 'DICOM'))
    m = subprocess.run(['dcmmkdir', '+r', '-Pgp', '+I', '-Nxc', '-Nec', '-Nrc', '-W', '+F', 'CASE_DEMO_1',
                        '+D', 'DICOMDIR', 'DICOM'], cwd=cp, capture_output=True)
    check(m.returncode == 0, 'dcmmkdir: %d %s' % (m.returncode, m.stderr))
    theirs_dd = pydicom.dcmread(os.path.join(cp, 'DICOMDIR'))

    def described(leaves):
        return {(i.DirectoryRecordType, fid_of(i), str(i.ReferencedSOPInstanceUIDInFile)):
                (str(q.SeriesInstanceUID), str(s.StudyInstanceUID)) for p, s, q, i in leaves}
    ours = described(leaves)
    theirs = described(walk(theirs_dd))
    not10 = {k for k in ours if not part10(os.path.join(bag, 'data', k[1]))}
    check(set(theirs) == set(ours) - not10,
          'dcmmkdir and we differ:\n only ours: %r\n only theirs: %r' % (sorted(set(ours) - not10 - set(theirs)),
                                                                        sorted(set(theirs) - set(ours))))
    check(all(ours[k] == theirs[k] for k in theirs), 'series/study parents differ from dcmmkdir')
    check(len(not10) <= 2, 'bare datasets: %r' % not10)
    print('ok: %d records, %d files described, %d not Part 10 (dcmmkdir refuses those), 1 refused'
          % (len(dd.DirectoryRecordSequence), len(refs), len(not10)))
finally:
    shutil.rmtree(work, ignore_errors=True)

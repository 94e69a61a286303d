#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#19 item 3, "one inventory truth": the report says how a PACS files the
package's DICOM objects (inventory.pacs: by Patient ID as its bytes read) and,
one generic.pacs-* gap per reason, why that differs from the people, studies,
series and instances the report counts. A small drop made here with pydicom
holds each reason once:

  - three objects without a Patient ID, of three people the report tells
    apart (one of them beside an object of the same study with an ID);
  - an object whose Patient ID is stored with VR UN and its pad byte, beside
    an object of the same study with the same ID as LO;
  - one Patient ID on the objects of two people (other names and births);
  - one person (name and birth date) under two Patient IDs;
  - so one study under two Patient IDs (an empty one included).

The gaps carry the counts, name the files, and never a name or an ID; the
report predicts Orthanc's /statistics exactly (Debian's Orthanc, started by
this test in a private network namespace, tests/pacs/orthanc.py, and stopped
by it). A drop of one person with one ID raises none of these gaps."""
import glob
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pacs'))
import orthanc  # noqa: E402

orthanc.private_network()

import jsonschema  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage  # noqa: E402
from pkgtest import SRC, check, check_fileset, ingest, workdir  # noqa: E402

ROOT = '1.2.826.0.1.3680043.10.543.19'   # UIDs of this test only
NAMES = ['ALPHA^ANNA', 'BETA^BERT', 'GAMMA^GINA', 'DELTA^DORA', 'EPSILON^EVA', 'ZETA^ZOE', 'ETA^EMIL',
         'IOTA^IDA']
IDS = ['PIDALPHA71', 'PIDDELTA72', 'PIDSHARED73', 'PIDETA74', 'PIDETA75', 'PIDIOTA76']


def write(drop, rel, name, pid, birth, study, inst, un_pid=None):
    """One 8x8 secondary capture of study STUDY (one series), instance INST.
    PID None: no Patient ID element; UN_PID: the ID's bytes, stored as UN."""
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = '%s.%d.1.%d' % (ROOT, study, inst)
    ds.StudyInstanceUID = '%s.%d' % (ROOT, study)
    ds.SeriesInstanceUID = '%s.%d.1' % (ROOT, study)
    ds.PatientName = name
    if un_pid is not None:
        ds.PatientID = 'X' * len(un_pid)    # a placeholder of the same length, made UN below
    elif pid is not None:
        ds.PatientID = pid
    ds.PatientBirthDate = birth
    ds.Modality = 'OT'
    ds.StudyDate = '20240301'
    ds.StudyTime = '101010'
    ds.StudyID = 'S%d' % study
    ds.AccessionNumber = ''
    ds.ReferringPhysicianName = ''
    ds.SeriesNumber = 1
    ds.InstanceNumber = inst
    ds.ConversionType = 'WSD'
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(64)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    path = os.path.join(drop, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.preamble = bytes(128)
    ds.save_as(path, write_like_original=False)
    if un_pid is not None:
        # pydicom writes a known tag with its dictionary VR: the element as some writers store
        # it (rtdose_rle.dcm of pydicom's samples), explicit VR UN with the pad byte kept
        data = open(path, 'rb').read()
        lo = b'\x10\x00\x20\x00LO' + len(un_pid).to_bytes(2, 'little') + b'X' * len(un_pid)
        check(len(un_pid) % 2 == 0 and data.count(lo) == 1, 'the placeholder Patient ID is in %s' % path)
        un = b'\x10\x00\x20\x00UN\x00\x00' + len(un_pid).to_bytes(4, 'little') + un_pid
        open(path, 'wb').write(data.replace(lo, un))


def package(drop, out):
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    bag = os.path.join(out, 'pending', os.path.basename(drop))
    return bag, json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))


def pacs_gaps(rep):
    return {g['rule_id']: g for g in rep['gaps'] if g['rule_id'].startswith(('generic.pacs-', 'generic.fileset-'))}


def upload_all(bag):
    with orthanc.Orthanc() as o:
        for f in sorted(glob.glob(os.path.join(bag, 'data', 'DICOM', '**', '*'), recursive=True)):
            if os.path.isfile(f):
                status, ans = o.upload(f)
                check(status == 200, 'Orthanc refuses %s: %s' % (f, ans))
        s = o.statistics()
    return {k: s['Count' + k.capitalize()] for k in ('patients', 'studies', 'series', 'instances')}


work = workdir()
try:
    validator = jsonschema.Draft202012Validator(json.load(open(os.path.join(SRC, 'docs', 'gap-report.schema.json'))))
    drop = os.path.join(work, 'CASE-PACS')
    write(drop, 'a/1.dcm', 'ALPHA^ANNA', 'PIDALPHA71', '19600101', 1, 1)
    write(drop, 'a/2.dcm', 'ALPHA^ANNA', 'PIDALPHA71', '19600101', 1, 2)
    write(drop, 'noid/beta.dcm', 'BETA^BERT', None, '19610202', 2, 1)           # no element
    write(drop, 'noid/gamma.dcm', 'GAMMA^GINA', '', '19620303', 3, 1)          # empty
    write(drop, 'pad/lo.dcm', 'DELTA^DORA', 'PIDDELTA72', '19630404', 4, 1)
    write(drop, 'pad/un.dcm', 'DELTA^DORA', None, '19630404', 4, 2, un_pid=b'PIDDELTA72  ')
    write(drop, 'shared/eva.dcm', 'EPSILON^EVA', 'PIDSHARED73', '19700101', 5, 1)
    write(drop, 'shared/zoe.dcm', 'ZETA^ZOE', 'PIDSHARED73', '19800101', 6, 1)
    write(drop, 'two/e1.dcm', 'ETA^EMIL', 'PIDETA74', '19500505', 7, 1)
    write(drop, 'two/e2.dcm', 'ETA^EMIL', 'PIDETA75', '19500505', 8, 1)
    write(drop, 'study/with.dcm', 'IOTA^IDA', 'PIDIOTA76', '19900909', 10, 1)
    write(drop, 'study/without.dcm', 'IOTA^IDA', '', '19900909', 10, 2)
    bag, rep = package(drop, os.path.join(work, 'out'))
    validator.validate(rep)
    inv = rep['inventory']
    people = sum(1 for p in inv['patients'] if p['studies'])
    check(people == 8, 'the report counts 8 people with images: %d' % people)
    check(len(inv['studies']) == 9, 'the report counts 9 studies: %d' % len(inv['studies']))
    # by Patient ID as its bytes read: '', PIDALPHA71, PIDDELTA72, 'PIDDELTA72 ', PIDSHARED73, PIDETA74,
    # PIDETA75, PIDIOTA76; study 4 under two IDs (the pad), study 10 under two ('' and PIDIOTA76)
    want = {'patients': 8, 'studies': 11, 'series': 11, 'instances': 12}
    check(inv['pacs'] == want, 'inventory.pacs %r, wanted %r' % (inv['pacs'], want))
    g = pacs_gaps(rep)
    # the DICOMDIR: a PATIENT record per name, ID and birth date as written (ETA and IOTA have two each,
    # and IOTA's study a STUDY record under each)
    fsw = {'patients': 10, 'studies': 10, 'series': 10, 'instances': 12}
    check(inv['fileset'] == fsw, 'inventory.fileset %r, wanted %r' % (inv['fileset'], fsw))
    check(check_fileset('CASE-PACS', bag, rep) == fsw, 'the DICOMDIR has the records inventory.fileset says')
    check(sorted(g) == ['generic.fileset-person-several-records', 'generic.fileset-study-several-records',
                        'generic.pacs-no-patient-id', 'generic.pacs-padded-patient-id',
                        'generic.pacs-several-patient-ids', 'generic.pacs-shared-patient-id',
                        'generic.pacs-study-several-patient-ids'], 'one gap per reason: %r' % sorted(g))

    def says(rid, words, files):
        x = g.get(rid)
        if not x:
            return
        check(x['severity'] == 'warning', '%s: a warning' % rid)
        for w in words:
            check(w in x['message'], '%s says "%s": %s' % (rid, w, x['message']))
        for f in files:
            check(f in x['evidence'], '%s names %s: %s' % (rid, f, x['evidence']))
        check('a PACS holds 8 patients, 11 studies, 11 series, 12 instances' in x['evidence'] and
              'the report counts 8 people with images, 9 studies, 9 series, 12 instances' in x['evidence'] and
              'DICOMDIR has 10 PATIENT, 10 STUDY, 10 SERIES and 12 instance records' in x['evidence'],
              '%s gives both counts: %s' % (rid, x['evidence']))
        text = x['message'] + x['evidence']
        for w in NAMES + IDS:
            for part in w.split('^'):
                check(part not in text, '%s names no patient (%s): %s' % (rid, part, text))

    says('generic.pacs-no-patient-id', ['3 DICOM objects have no Patient ID', 'tells 3 people apart',
                                        'Ask the hospital for the Patient IDs'],
         ['noid/beta.dcm', 'noid/gamma.dcm', 'study/without.dcm'])
    says('generic.pacs-padded-patient-id', ['1 DICOM object carries its Patient ID', 'VR UN',
                                            '1 other object carries the same ID without it'], ['pad/un.dcm'])
    says('generic.pacs-shared-patient-id', ['1 Patient ID is carried by the DICOM objects of 2 people'],
         ['shared/eva.dcm', 'shared/zoe.dcm'])
    says('generic.pacs-several-patient-ids', ['The DICOM objects of 1 person carry 2 different Patient IDs'],
         ['two/e1.dcm', 'two/e2.dcm'])
    says('generic.pacs-study-several-patient-ids', ['1 study has objects with different Patient IDs (2 IDs, '
                                                    'no ID included)'], ['study/with.dcm', 'study/without.dcm'])
    says('generic.fileset-person-several-records', ['The DICOM objects of 2 people', 'in 4 different ways'],
         ['two/e1.dcm', 'two/e2.dcm', 'study/with.dcm', 'study/without.dcm'])
    says('generic.fileset-study-several-records', ['1 study has objects', '(2 STUDY records)'],
         ['study/with.dcm', 'study/without.dcm'])
    # Orthanc holds what the report says a PACS holds
    held = upload_all(bag)
    check(held == want, 'Orthanc holds %r, the report says %r' % (held, want))
    print('ok CASE-PACS: Orthanc %r = inventory.pacs; report %d people, %d studies; gaps %s'
          % (held, people, len(inv['studies']), ', '.join(sorted(g))))

    # one person, one ID, padded as LO (DCMTK and a PACS drop the space): nothing to say
    one = os.path.join(work, 'CASE-ONE')
    write(one, '1.dcm', 'ALPHA^ANNA', 'PIDALPHA71 ', '19600101', 1, 1)
    write(one, '2.dcm', 'ALPHA^ANNA', 'PIDALPHA71', '19600101', 1, 2)
    bag1, rep1 = package(one, os.path.join(work, 'out1'))
    check(not pacs_gaps(rep1), 'one person, one ID: no PACS gap: %r' % sorted(pacs_gaps(rep1)))
    w1 = {'patients': 1, 'studies': 1, 'series': 1, 'instances': 2}
    check(rep1['inventory']['pacs'] == w1, 'CASE-ONE inventory.pacs %r' % rep1['inventory']['pacs'])
    held1 = upload_all(bag1)
    check(held1 == w1, 'CASE-ONE: Orthanc holds %r' % held1)
    check(check_fileset('CASE-ONE', bag1, rep1) == w1, 'CASE-ONE: the DICOMDIR has one record a level')
    print('ok CASE-ONE: Orthanc %r, no PACS gap' % held1)
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(0)

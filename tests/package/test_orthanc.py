#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#19 items 3 and 5: the package as a real PACS stores it. Debian's Orthanc,
started by this test in a private network namespace (tests/pacs/orthanc.py)
and stopped by it, is given every DICOM file of the package over its REST
API, for each fixture drop, for a drop of every pydicom sample *.dcm and
for its dicomdirtests tree as a disc image (ISO 9660):

  - Orthanc accepts every file the package puts in its DICOM file-set: a
    file DCMTK or Orthanc refuses is a problem of the report, left out of the
    file-set, never reported healthy;
  - the studies, series and SOP instances Orthanc holds are the report's
    (inventory.studies[].study_uid, their series_uid, the instance counts)
    and the DICOMDIR's referenced instances, UID for UID;
  - Orthanc's /statistics (patients, studies, series, instances) are
    exactly the report's inventory.pacs: the file-set as a PACS files it, by
    Patient ID as its bytes read. Where those differ from the report's own
    counts (people with images, studies, series, instances), a
    generic.pacs-* gap of the report gives the reason: on the samples the
    objects without a Patient ID (one patient in a PACS, three people in the
    report) and an ID whose pad byte Orthanc keeps (an element stored as UN:
    another patient, and its study split). Without such a gap the test fails
    (docs/package.md, "What a PACS stores")."""
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pacs'))
import orthanc  # noqa: E402

orthanc.private_network()

import pydicom  # noqa: E402
from pkgtest import check, fixtures, ingest, workdir  # noqa: E402

SAMPLES = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
warnings.simplefilter('ignore')


def package(drop, out):
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    return os.path.join(out, 'pending', os.path.basename(drop))


def dicomdir_sops(bag):
    dd = os.path.join(bag, 'data', 'DICOMDIR')
    if not os.path.exists(dd):
        return set()
    return {str(r.ReferencedSOPInstanceUIDInFile) for r in pydicom.dcmread(dd).DirectoryRecordSequence
            if 'ReferencedSOPInstanceUIDInFile' in r}


# which gaps can explain which count of a PACS differing from the report's
EXPLAINS = {
    'patients': {'generic.pacs-no-patient-id', 'generic.pacs-padded-patient-id', 'generic.pacs-shared-patient-id',
                 'generic.pacs-several-patient-ids'},
    'studies': {'generic.pacs-padded-patient-id', 'generic.pacs-study-several-patient-ids'},
}
EXPLAINS['series'] = EXPLAINS['instances'] = EXPLAINS['studies']


def check_counts(name, rep, stats):
    """Orthanc's counts are the report's inventory.pacs; each that differs from
    the report's own counts is explained by a generic.pacs-* gap. Returns the
    report's counts."""
    inv = rep['inventory']
    pacs = inv['pacs']
    held = {k: stats['Count' + k.capitalize()] for k in ('patients', 'studies', 'series', 'instances')}
    check(held == {k: pacs[k] for k in held}, '%s: Orthanc holds %r, the report says a PACS holds %r'
          % (name, held, pacs))
    ours = {'patients': sum(1 for p in inv['patients'] if p['studies']), 'studies': len(inv['studies']),
            'series': sum(len(s['series']) for s in inv['studies']),
            'instances': sum(se['instances'] for s in inv['studies'] for se in s['series'])}
    gaps = {g['rule_id'] for g in rep['gaps'] if g['rule_id'].startswith('generic.pacs-')}
    for k in ours:
        if held[k] != ours[k]:
            why = sorted(gaps & EXPLAINS[k])
            check(why, '%s: Orthanc holds %d %s, the report counts %d, and no gap of the report says why '
                  '(gaps: %r)' % (name, held[k], k, ours[k], sorted(gaps)))
            print('  %s: %s: Orthanc %d, report %d; the report says why: %s' % (name, k, held[k], ours[k],
                                                                               ', '.join(why)))
    return ours


def check_bag(o, bag, name):
    rep = json.load(open(os.path.join(bag, 'gap-report.json'), encoding='utf-8'))
    files = sorted(f for f in glob.glob(os.path.join(bag, 'data', 'DICOM', '**', '*'), recursive=True)
                   if os.path.isfile(f))
    ids = set()
    for f in files:
        status, ans = o.upload(f)
        check(status == 200, '%s: Orthanc refuses %s, which the package holds as healthy: %s'
              % (name, os.path.relpath(f, bag), ans.get('Details') or ans))
        ids.add(ans['ID'])
    # what Orthanc holds, by UID
    o_series = collections.Counter()
    o_studies, o_sops, o_pids = set(), set(), set()
    for i in ids:
        t = o.get('/instances/%s/simplified-tags' % i)
        o_studies.add(t['StudyInstanceUID'])
        o_series[(t['StudyInstanceUID'], t['SeriesInstanceUID'])] += 0
        o_sops.add((t['StudyInstanceUID'], t['SeriesInstanceUID'], t['SOPInstanceUID']))
        o_pids.add(t.get('PatientID', ''))
    for st, se, sop in o_sops:
        o_series[(st, se)] += 1
    inv = rep['inventory']
    r_studies = {s['study_uid'] for s in inv['studies']}
    r_series = {(s['study_uid'], se['series_uid']): se['instances'] for s in inv['studies'] for se in s['series']}
    check(o_studies == r_studies, '%s: studies differ: only in Orthanc %r, only in the report %r'
          % (name, sorted(o_studies - r_studies), sorted(r_studies - o_studies)))
    check(dict(o_series) == r_series, '%s: series or their instance counts differ:\n Orthanc %r\n report  %r'
          % (name, sorted(set(o_series.items()) - set(r_series.items())),
             sorted(set(r_series.items()) - set(o_series.items()))))
    dd = dicomdir_sops(bag)
    sops = {x[2] for x in o_sops}
    check(dd == sops, '%s: the DICOMDIR references other instances than Orthanc holds: %r / %r'
          % (name, sorted(dd - sops)[:5], sorted(sops - dd)[:5]))
    stats = o.statistics()
    ours = check_counts(name, rep, stats)
    print('ok %s: %d files; Orthanc %d patients / %d studies / %d series / %d instances (%d Patient IDs, '
          'empty included); report %d people with images, %d studies, %d series, %d instances'
          % (name, len(files), stats['CountPatients'], stats['CountStudies'], stats['CountSeries'],
             stats['CountInstances'], len(o_pids), ours['patients'], ours['studies'], ours['series'],
             ours['instances']))


work = workdir()
try:
    fx = fixtures(work)
    drops = sorted(glob.glob(os.path.join(fx, 'drops', '*')))
    samples = os.path.join(work, 'SAMPLES')
    os.makedirs(samples)
    for f in glob.glob(os.path.join(SAMPLES, '*.dcm')):
        shutil.copy(f, samples)
    # pydicom's dicomdirtests tree (its own DICOMDIR in six variants) as a disc image
    iso = os.path.join(work, 'DDT')
    os.makedirs(iso)
    subprocess.run(['genisoimage', '-quiet', '-V', 'DDT', '-R', '-J', '-o', os.path.join(iso, 'DDT.iso'),
                    os.path.join(SAMPLES, 'dicomdirtests')], check=True)
    for drop in drops + [samples, iso]:
        name = os.path.basename(drop)
        bag = package(drop, os.path.join(work, 'out-' + name))
        with orthanc.Orthanc() as o:
            check_bag(o, bag, name)
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(0)

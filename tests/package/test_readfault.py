"""A read that fails part-way through a file (a disc's bad sector): the file
is left out of the package with an `unreadable` problem that says how far it
was read, the other files are packaged and the bag verifies. Covers the path
where the rest of a file is read by the sink's jobs (libingest/sink.c), for a
file of a folder and for an entry of an ISO image (a range of the image).
The failure is made by the test hook INGEST_TEST_PARSER_FAULT: a file whose
first bytes say INGEST-FAULT-EIO fails with EIO where its rest is read (this
VM has neither device-mapper nor FUSE to make a real bad sector). Without the
switch the same bytes are packaged like any other file."""
import json
import os
import random
import subprocess

from pkgtest import check, independent_check, ingest, parse_manifest, sha256_file, workdir

HEAD = 65536          # what the scan reads itself; the rest is read by a job

work = workdir()
rng = random.Random(8)


def blob(marker):
    b = bytearray(rng.getrandbits(8) for _ in range(300000))
    if marker:
        b[100:100 + len(marker)] = marker
    return bytes(b)


def make_drop(name):
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, 'bad_sector.bin'), 'wb') as f:
        f.write(blob(b'INGEST-FAULT-EIO'))
    with open(os.path.join(d, 'good.bin'), 'wb') as f:
        f.write(blob(None))
    with open(os.path.join(d, 'discharge_summary.txt'), 'w') as f:
        f.write('DISCHARGE SUMMARY\nDiagnosis: adenocarcinoma of the lung.\n')
    return d


def package(drop, case, fault):
    out = os.path.join(work, 'out-%s-%d' % (case, fault))
    env = {'INGEST_TEST_PARSER_FAULT': '1'} if fault else None
    ingest('package', drop, '--out', out, '--case-id', case, '--no-fetch', env=env, check_rc=0)
    bags = [os.path.join(out, s, case) for s in ('ready', 'pending') if os.path.isdir(os.path.join(out, s, case))]
    check(len(bags) == 1, '%s: no package published in %s' % (case, out))
    return bags[0]


def manifest_names(bag):
    return {os.path.basename(p.decode()): h for p, h in parse_manifest(os.path.join(bag, 'manifest-sha256.txt')).items()}


def check_case(drop, case):
    src = drop if os.path.isdir(drop) else None
    bag = package(drop, case, True)
    rep = json.load(open(os.path.join(bag, 'gap-report.json')))
    probs = [p for p in rep['problems'] if p['path'].endswith('bad_sector.bin')]
    check(len(probs) == 1, '%s: expected one problem for bad_sector.bin, got %r' % (case, rep['problems']))
    p = probs[0]
    check(p['code'] == 'unreadable', '%s: problem code %r' % (case, p['code']))
    check('reading failed after %d bytes' % HEAD in p['message'] and 'Input/output error' in p['message'],
          '%s: problem message %r' % (case, p['message']))
    names = manifest_names(bag)
    check('bad_sector.bin' not in names, '%s: the unreadable file was packaged' % case)
    check('good.bin' in names, '%s: good.bin not packaged: %r' % (case, sorted(names)))
    if src:
        check(names['good.bin'] == sha256_file(os.path.join(src, 'good.bin')), '%s: good.bin hash' % case)
    recs = [f for f in rep['inventory']['files'] if f['path'].endswith('bad_sector.bin')]
    check(len(recs) == 1 and recs[0].get('sha256') is None, '%s: the unreadable file has a digest: %r' % (case, recs))
    independent_check(bag)
    ingest('verify', bag, check_rc=0)

    # the hook is inert without its switch: the same bytes are packaged
    bag = package(drop, case + '-NOFAULT', False)
    names = manifest_names(bag)
    check('bad_sector.bin' in names, '%s: without the switch bad_sector.bin is not packaged' % case)
    if src:
        check(names['bad_sector.bin'] == sha256_file(os.path.join(src, 'bad_sector.bin')),
              '%s: bad_sector.bin hash' % case)


folder = make_drop('CASE-EIO')
check_case(folder, 'CASE-EIO')

# the same files on a disc image: entries read as ranges of the image
iso = os.path.join(work, 'CASE-EIO-ISO.iso')
subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-R', '-J', '-o', iso, folder], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
check_case(iso, 'CASE-EIO-ISO')
print('ok: a failed read costs that file only, with how far it was read; the bag verifies')

"""A hard link in a folder drop (#20, item 7): a file with more than one name
may have its other name outside the drop, and its bytes would then be another
file's, brought into the bag by whoever could make the link. It is refused
with an `unsafe` problem and not read; the drop's other files are packaged
and the bag verifies. The same file copied instead of linked is packaged."""
import json
import os
import shutil

from pkgtest import check, independent_check, ingest, parse_manifest, sha256_file, walk_files, workdir

work = workdir()
outside = os.path.join(work, 'outside')
os.makedirs(outside)
secret = os.path.join(outside, 'not-the-patients.txt')
SECRET = b'INGEST-HARDLINK-OUTSIDE-CONTENT: a file that is not part of the drop\n' * 50
with open(secret, 'wb') as f:
    f.write(SECRET)

drop = os.path.join(work, 'CASE-HL')
os.makedirs(os.path.join(drop, 'sub'))
with open(os.path.join(drop, 'discharge_summary.txt'), 'w') as f:
    f.write('DISCHARGE SUMMARY\nDiagnosis: adenocarcinoma of the lung.\n')
os.link(secret, os.path.join(drop, 'sub', 'pathology.txt'))


def package(case):
    out = os.path.join(work, 'out-' + case)
    ingest('package', drop, '--out', out, '--case-id', case, '--no-fetch', check_rc=0)
    bags = [os.path.join(out, s, case) for s in ('ready', 'pending') if os.path.isdir(os.path.join(out, s, case))]
    check(len(bags) == 1, '%s: no package published in %s' % (case, out))
    return bags[0]


bag = package('CASE-HL')
rep = json.load(open(os.path.join(bag, 'gap-report.json')))
probs = {p['path']: p for p in rep['problems']}
p = probs.get('sub/pathology.txt')
check(p is not None, 'no problem for the hard link: %r' % rep['problems'])
check(p['code'] == 'unsafe', 'hard link: code %r' % p['code'])
check('hard link' in p['message'] and 'outside the drop' in p['message'] and 'copy the file' in p['message'],
      'hard link: message %r' % p['message'])
rec = [f for f in rep['inventory']['files'] if f['path'] == 'sub/pathology.txt']
check(len(rec) == 1 and rec[0].get('sha256') is None, 'the hard link was read: %r' % rec)
names = {os.path.basename(k.decode()): h for k, h in parse_manifest(os.path.join(bag, 'manifest-sha256.txt')).items()}
check('pathology.txt' not in names, 'the hard link was packaged')
check(sha256_file(secret) not in names.values(), 'the outside file\'s content is in the bag')
check('discharge_summary.txt' in names, 'the drop\'s own file was not packaged: %r' % sorted(names))
for rel in walk_files(bag, b''):
    with open(os.path.join(bag.encode(), rel), 'rb') as f:
        check(b'INGEST-HARDLINK-OUTSIDE-CONTENT' not in f.read(), 'outside content in the bag\'s %r' % rel)
wrong = independent_check(bag)
check(not wrong, 'the bag does not verify: %r' % wrong)
ingest('verify', bag, check_rc=0)

# the same bytes as a file of its own (one name) are packaged
os.unlink(os.path.join(drop, 'sub', 'pathology.txt'))
shutil.copyfile(secret, os.path.join(drop, 'sub', 'pathology.txt'))
bag = package('CASE-HL-COPY')
names = {os.path.basename(k.decode()): h for k, h in parse_manifest(os.path.join(bag, 'manifest-sha256.txt')).items()}
check(names.get('pathology.txt') == sha256_file(secret), 'the copied file was not packaged: %r' % sorted(names))
shutil.rmtree(work, ignore_errors=True)
print('ok: a hard link in a folder drop is refused as unsafe and not read; a copy is packaged')

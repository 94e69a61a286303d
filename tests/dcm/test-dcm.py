#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# dcm_read_header() on objects made with DCMTK's own tools (dump2dcm, dcmcrle)
# in every encoding, cut short, and on things that are not DICOM.
import json
import os
import random
import subprocess
import sys
import tempfile

probe = sys.argv[1]
tmp = tempfile.mkdtemp(prefix='test-dcm-')
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print('FAIL', what)


def sh(*args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('%s failed: %s' % (args[0], p.stderr))


def run(files, *opts):
    p = subprocess.run([probe, *opts, *files], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('probe failed (%d): %s' % (p.returncode, p.stderr[-3000:]))
    out = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(out) == len(files), p.stdout
    return out


def one(path, *opts):
    return run([path], *opts)[0]


def path(name):
    return os.path.join(tmp, name)


PIXELS = '\\'.join(['0400'] * 16)   # 4x4, 16 bit
DUMP = r'''
(0008,0005) CS [{charset}]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.9.7433.99.1.{n}]
(0008,0020) DA [20240105]
(0008,0021) DA [20240106]
(0008,0050) SH [ACC123]
(0008,0060) CS [{modality}]
(0008,0080) LO [Hospital Général]
(0008,1030) LO [CT THORAX]
(0008,103e) LO [Axial 1.25mm]
(0010,0010) PN [{name}]
(0010,0020) LO [PID-42]
(0010,0030) DA [19600229]
(0010,0040) CS [F]
(0018,0010) LO [Iohexol]
(0018,0015) CS [CHEST]
(0018,0050) DS [1.25]
(0020,000d) UI [1.2.826.0.1.3680043.9.7433.99.2]
(0020,000e) UI [1.2.826.0.1.3680043.9.7433.99.3]
(0020,0013) IS [{n}]
(0020,0032) DS [-12.5\34.25\-100.75]
(0020,0037) DS [1\0\0\0\1\0]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0008) IS [{frames}]
(0028,0010) US 4
(0028,0011) US 4
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 0
(0028,2110) CS [{lossy}]
(0054,0016) SQ (Sequence with explicit length #=1)
  (fffe,e000) na (Item with explicit length #=1)
    (0018,0031) LO [Fluorodeoxyglucose]
  (fffe,e00d) na (ItemDelimitationItem)
(fffe,e0dd) na (SequenceDelimitationItem)
(7fe0,0010) OW {pixels}
'''


def make(name, opts, charset='ISO_IR 100', enc='latin-1', name_pn='Müller^Jürgen',
         n=7, modality='CT', frames=1, lossy='00'):
    d = path(name + '.dump')
    px = '\\'.join([PIXELS] * frames)
    with open(d, 'w', encoding=enc) as f:
        f.write(DUMP.format(charset=charset, n=n, name=name_pn, modality=modality,
                            frames=frames, lossy=lossy, pixels=px))
    out = path(name)
    sh('dump2dcm', '-q', *opts, d, out)
    return out


p10 = make('p10-le.dcm', ['+te'])
p10i = make('p10-impl.dcm', ['+ti'])
p10b = make('p10-be.dcm', ['+tb'])
bare_le = make('bare-le.dcm', ['-F', '+te'])
bare_i = make('bare-impl.dcm', ['-F', '+ti'])
bare_b = make('bare-be.dcm', ['-F', '+tb'])
utf8 = make('utf8.dcm', ['+te'], charset='ISO_IR 192', enc='utf-8', name_pn='Ōtsuka^Ärzte 東京')
undef = make('undef-len.dcm', ['+te', '-e'])
lossy = make('lossy-flag.dcm', ['+te'], lossy='01', frames=3, modality='PT')
defl = make('deflated.dcm', ['+td'])
rle = path('rle.dcm')
sh('dcmcrle', '-q', p10, rle)

SOP = '1.2.826.0.1.3680043.9.7433.99.1.7'
for f, part10, big, explicit in ((p10, True, False, True), (p10i, True, False, False),
                                 (p10b, True, True, True), (bare_le, False, False, True),
                                 (bare_i, False, False, False), (bare_b, False, True, True),
                                 (undef, True, False, True)):
    r = one(f)
    name = os.path.basename(f)
    check(r['status'] == ('ok' if part10 else 'warn'), '%s: status %s %s' % (name, r['status'], r['message']))
    check(r['part10'] == part10, '%s: part10' % name)
    check(r['big_endian'] == big, '%s: big_endian' % name)
    check(r['sop_instance_uid'] == SOP, '%s: sop uid %r' % (name, r['sop_instance_uid']))
    check(r['sop_class_uid'] == '1.2.840.10008.5.1.4.1.1.2', '%s: sop class' % name)
    check(r['study_uid'] == '1.2.826.0.1.3680043.9.7433.99.2', '%s: study' % name)
    check(r['series_uid'] == '1.2.826.0.1.3680043.9.7433.99.3', '%s: series' % name)
    check(r['patient_name'] == 'Müller^Jürgen', '%s: name %r (ISO_IR 100 to UTF-8)' % (name, r['patient_name']))
    check(r['institution'] == 'Hospital Général', '%s: institution %r' % (name, r['institution']))
    check(r['specific_charset'] == 'ISO_IR 100', '%s: charset' % name)
    check(r['patient_id'] == 'PID-42' and r['patient_birth_date'] == '19600229' and
          r['patient_sex'] == 'F', '%s: patient fields' % name)
    check(r['modality'] == 'CT' and r['study_date'] == '20240105' and r['series_date'] == '20240106',
          '%s: modality/dates' % name)
    check(r['study_description'] == 'CT THORAX' and r['series_description'] == 'Axial 1.25mm',
          '%s: descriptions' % name)
    check(r['body_part'] == 'CHEST' and r['accession'] == 'ACC123' and r['contrast_agent'] == 'Iohexol',
          '%s: body part/accession/contrast' % name)
    check(r['radiopharmaceutical'] == 'Fluorodeoxyglucose', '%s: radiopharmaceutical %r' % (name, r['radiopharmaceutical']))
    check(r['instance_number'] == 7, '%s: instance' % name)
    check(r['image_position'] == [-12.5, 34.25, -100.75], '%s: position %r' % (name, r['image_position']))
    check(r['image_orientation'] == [1, 0, 0, 0, 1, 0], '%s: orientation' % name)
    check(r['slice_thickness'] == 1.25 and r['number_of_frames'] == 1, '%s: thickness/frames' % name)
    check(not r['lossy'], '%s: lossy' % name)
    check(r['has_pixel_data'] and r['pixel_data_length'] == 32, '%s: pixel length %r' % (name, r['pixel_data_length']))
    size = os.path.getsize(f)
    # The value is the last 32 bytes; our offset must point right at it.
    check(r['pixel_data_offset'] == size - 32, '%s: pixel offset %d, size %d' % (name, r['pixel_data_offset'], size))
    check(r['header_bytes'] == r['pixel_data_offset'] - (12 if explicit else 8), '%s: header_bytes' % name)
    check(r['transfer_syntax'] == ('1.2.840.10008.1.2.2' if big else '1.2.840.10008.1.2.1' if explicit
                                   else '1.2.840.10008.1.2'), '%s: ts %s' % (name, r['transfer_syntax']))

r = one(utf8)
check(r['status'] == 'ok' and r['patient_name'] == 'Ōtsuka^Ärzte 東京', 'utf8 name %r' % r['patient_name'])
r = one(lossy)
check(r['lossy'] and r['number_of_frames'] == 3 and r['modality'] == 'PT', 'lossy flag / frames')
r = one(defl)
check(r['status'] == 'warn' and r['sop_instance_uid'] == SOP and r['transfer_syntax'] == '1.2.840.10008.1.2.1.99',
      'deflated: %s %s' % (r['status'], r['message']))
r = one(rle)
check(r['status'] == 'ok' and r['pixel_data_length'] is None and r['transfer_syntax'] == '1.2.840.10008.1.2.5'
      and not r['lossy'], 'rle: %s' % r)

# Truncation.
def cut(src, name, n):
    with open(src, 'rb') as f:
        data = f.read()
    out = path(name)
    with open(out, 'wb') as f:
        f.write(data[:n])
    return out


size = os.path.getsize(p10)
full = one(p10)
for name, n in (('cut-pixels.dcm', size - 10), ('cut-pixel-header.dcm', full['pixel_data_offset'] - 6),
                ('cut-header.dcm', full['pixel_data_offset'] // 2 + 1), ('cut-meta.dcm', 150)):
    r = one(cut(p10, name, n))
    check(r['status'] == 'truncated', '%s: %s %s' % (name, r['status'], r['message']))
r = one(cut(p10, 'cut-header2.dcm', full['pixel_data_offset'] // 2 + 1))
check(r['sop_class_uid'] != '', 'truncated header still gives the complete elements before the cut')
r = one(cut(bare_i, 'cut-bare.dcm', os.path.getsize(bare_i) - 4))
check(r['status'] == 'truncated', 'bare truncated: %s' % r['status'])
rs = os.path.getsize(rle)
r = one(cut(rle, 'cut-rle.dcm', rs - 20))
check(r['status'] == 'truncated', 'rle cut in fragments: %s %s' % (r['status'], r['message']))
r = one(cut(rle, 'cut-rle2.dcm', rs - 8))   # only the sequence delimiter missing
check(r['status'] == 'truncated', 'rle without delimiter: %s %s' % (r['status'], r['message']))

# Prefixes: NEED_MORE while the header is incomplete, then the real answer.
for f in (p10, p10i, p10b, bare_le, bare_i, undef, rle):
    full = one(f)
    for n in (8, 64, 131, 200, full['pixel_data_offset'] - 1):
        r = one(f, '--prefix', str(n))
        check(r['status'] == 'need-more', '%s prefix %d: %s' % (f, n, r['status']))
    r = one(f, '--prefix', str(full['pixel_data_offset']))
    check(r['status'] == full['status'] and r['sop_instance_uid'] == SOP,
          '%s prefix to pixel data: %s' % (f, r['status']))
r = one(p10, '--prefix', str(os.path.getsize(p10) - 10))
check(r['status'] == 'ok', 'prefix short of the pixel data end is fine when total matches')

# Not DICOM, quickly and never a false positive.
nd = {
    'doc.pdf': b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n' * 20,
    'photo.jpg': b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' + bytes(range(256)) * 8,
    'notes.txt': 'Patient: Müller, CT 2024-01-05\n'.encode() * 50,
    'empty.dcm': b'',
    'preamble-only.dcm': b'\0' * 128,
    'tiny.dcm': b'\x08\x00',
    'zip.zip': b'PK\x03\x04' + b'\0' * 300,
    'random.bin': random.Random(1).randbytes(4096),
    'le-words.bin': b'\x08\x00\x05\x00' + b'\xff' * 200,
}
files = []
for name, data in nd.items():
    with open(path(name), 'wb') as f:
        f.write(data)
    files.append(path(name))
for r in run(files):
    check(r['status'] == 'not-dicom', '%s: %s %s' % (os.path.basename(r['file']), r['status'], r['message']))
with open(path('dicm-garbage.dcm'), 'wb') as f:
    f.write(b'\0' * 128 + b'DICM' + random.Random(2).randbytes(600))
r = one(path('dicm-garbage.dcm'))
check(r['status'] in ('corrupt', 'truncated'), 'DICM + garbage: %s' % r['status'])

# Hostile input: mutated and cut copies, all in one sanitized process.
rnd = random.Random(3)
mut = []
for src in (p10, p10i, p10b, bare_le, bare_i, undef, rle, defl, lossy):
    with open(src, 'rb') as f:
        data = f.read()
    for i in range(60):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 6)):
            pos = rnd.randrange(len(b))
            b[pos] = rnd.choice([0, 0xff, 0xfe, 0xe0, 0xdd, 0x0d, rnd.randrange(256)])
        if rnd.random() < 0.3:
            b = b[:rnd.randrange(len(b))]
        out = path('mut-%s-%d' % (os.path.basename(src), i))
        with open(out, 'wb') as f:
            f.write(b)
        mut.append(out)
res = run(mut)
check(all(r['status'] in ('ok', 'warn', 'truncated', 'corrupt', 'not-dicom') for r in res), 'mutants: status')
for r in run(mut, '--dicomdir'):
    check(r['dicomdir_rc'] == -74, 'mutant dicomdir rc %d' % r['dicomdir_rc'])

print('%d failures' % len(fails))
if not fails:
    subprocess.run(["rm", "-rf", tmp])
sys.exit(1 if fails else 0)

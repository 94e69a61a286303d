# SPDX-License-Identifier: GPL-3.0-or-later
"""Pictures of hostile and unusual series (issue 18, item 5): a drop of one
study whose series are a plain CT with its own window, a large image
(scaled to 128 px), an RGB image, an image declaring 60000 x 60000 pixels,
real JPEG, JPEG-LS and RLE series (made with DCMTK's encoders), JPEG and
RLE series whose compressed data is garbage, and pixel data shorter
than the image (DCMTK shows what there is). The package and its HTML report are made whatever the
images hold: the good series get a PNG thumbnail, the bad ones "no preview"
with the reason in words, each costing its own picture only; a child that crashes or hangs on one
(the test hook INGEST_TEST_EXTRACTOR_FAULT) costs that picture only."""
import base64
import os
import re
import sys

import array
import random
import subprocess
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (CTImageStorage, ExplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless,
                         SecondaryCaptureImageStorage)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'package'))
import pkgtest  # noqa: E402
from pkgtest import check  # noqa: E402

STUDY = '1.2.826.0.1.3680043.10.9999.1'


def image(path, series_no, desc, inst, rows, cols, pixel_bytes, xfer=ExplicitVRLittleEndian, spp=1,
          photometric='MONOCHROME2', bits=16, window=None, sop_class=CTImageStorage):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = '%s.%d.%d' % (STUDY, series_no, inst)
    meta.TransferSyntaxUID = xfer
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = 'Hostile^Pixels'
    ds.PatientID = 'HP1'
    ds.PatientBirthDate = '19600101'
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = '%s.%d' % (STUDY, series_no)
    ds.StudyDate = '20240301'
    ds.StudyDescription = 'CT CHEST'
    ds.SeriesDescription = desc
    ds.Modality = 'CT' if sop_class == CTImageStorage else 'OT'
    ds.SeriesNumber = series_no
    ds.InstanceNumber = inst
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    if spp > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = pixel_bytes
    if xfer != ExplicitVRLittleEndian:
        ds['PixelData'].is_undefined_length = True
        ds['PixelData'].VR = 'OB'
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def main():
    work = pkgtest.workdir()
    drop = os.path.join(work, 'CASE-HOSTILE-1')
    os.makedirs(drop)
    rng = random.Random(1)

    def u16(values):
        a = array.array('H', values)
        if sys.byteorder != 'little':
            a.byteswap()
        return a.tobytes()
    # 1: a CT series of 5 with its own window
    for i in range(1, 6):
        px = u16(rng.randrange(400) + 1000 * (i == 3) for _ in range(64 * 64))
        image(os.path.join(drop, 'ct%d.dcm' % i), 1, 'plain CT', i, 64, 64, px, window=(1040, 400))
    # 2: a large image, scaled down
    image(os.path.join(drop, 'big.dcm'), 2, 'large image', 1, 300, 512, u16(list(range(512)) * 300))
    # 3: RGB
    rgb = bytes(rng.randrange(256) for _ in range(32 * 32 * 3))
    image(os.path.join(drop, 'rgb.dcm'), 3, 'colour', 1, 32, 32, rgb, spp=3, photometric='RGB',
          bits=8, sop_class=SecondaryCaptureImageStorage)
    # 4: 60000 x 60000 declared, 2 bytes held
    image(os.path.join(drop, 'huge.dcm'), 4, 'huge declared', 1, 60000, 60000, b'\0\0')
    # 5: JPEG whose data is garbage
    image(os.path.join(drop, 'jpeg.dcm'), 5, 'bad jpeg', 1, 64, 64, encapsulate([b'\xff\xd8' + b'\x13' * 998]),
          xfer=JPEGBaseline8Bit, bits=8)
    # 6: RLE whose segments lie
    rle = (1).to_bytes(4, 'little') + (1 << 30).to_bytes(4, 'little') + b'\0' * 56 + b'\x7f' * 40
    image(os.path.join(drop, 'rle.dcm'), 6, 'bad rle', 1, 64, 64, encapsulate([rle]), xfer=RLELossless)
    # 7: pixel data shorter than the image
    image(os.path.join(drop, 'short.dcm'), 7, 'short pixels', 1, 64, 64, b'\1\0' * 100)

    # 8-10: real compressed series, made by DCMTK's own encoders
    for no, (tool, desc) in enumerate([('dcmcjpeg', 'jpeg ok'), ('dcmcjpls', 'jpeg-ls ok'), ('dcmcrle', 'rle ok')], 8):
        plain = os.path.join(work, 'plain%d.dcm' % no)
        px = u16((x * 4 + y) % 4096 for y in range(64) for x in range(64))
        image(plain, no, desc, 1, 64, 64, px, window=(2048, 4096))
        subprocess.run([tool, plain, os.path.join(drop, 'c%d.dcm' % no)], check=True)

    # 0: a series first in the report whose image carries the test hook's
    # marker (INGEST_TEST_EXTRACTOR_FAULT makes the child crash or sleep on it)
    px = u16(range(64 * 64))
    image(os.path.join(drop, 'fault.dcm'), 0, 'INGEST-FAULT-INJECT', 1, 64, 64, px)

    def report(name, env=None):
        out = os.path.join(work, name)
        p = pkgtest.ingest('package', drop, '--out', out, '--rules', os.path.join(pkgtest.SRC, 'rules'),
                           '--no-fetch', env=env)
        check(p.returncode in (0, 2, 3), 'ingest package failed: %d %s' % (p.returncode, p.stderr.decode()[-2000:]))
        pages = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs if f == 'gap-report.html']
        check(len(pages) == 1, 'no HTML report: %s' % pages)
        html = open(pages[0], encoding='utf-8').read()
        found = {}
        # picture, modality (its code and, in <small>, its name), series description
        for m in re.finditer(r'<tr><td class="pic">(.*?)</td><td>.*?</td><td>([^<]*)</td>', html):
            found[m.group(2)] = m.group(1)
        return found

    rows = report('out')
    print(sorted(rows))

    def picture(desc):
        cell = rows.get(desc)
        check(cell is not None, 'series %r not in the report' % desc)
        m = re.search(r'src="data:image/png;base64,([^"]+)"', cell)
        check(m is not None, 'series %r has no picture: %s' % (desc, re.sub('<[^>]+>', '', cell)))
        png = base64.b64decode(m.group(1))
        check(png[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG')
        return int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big'), png[25], cell

    def no_preview(desc, words):
        cell = rows.get(desc)
        check(cell is not None, 'series %r not in the report' % desc)
        text = re.sub('<[^>]+>', '', cell)
        check(text.startswith('no preview: '), 'series %r has no "no preview": %r' % (desc, text))
        check(any(w in text for w in words), 'series %r: reason %r lacks %s' % (desc, text, words))
        print('%s: %s' % (desc, text))

    w, h, colour, cell = picture('plain CT')
    check((w, h, colour) == (64, 64, 0), 'plain CT thumbnail %dx%d type %d' % (w, h, colour))
    check('instance 3, middle of 5' in cell, 'not the middle slice: ' + cell[-200:])
    check('title="its own window"' in cell, 'the CT\'s own window was not used')
    w, h, colour, _ = picture('large image')
    check((w, h) == (128, 75), 'large image scaled to %dx%d, not 128x75' % (w, h))
    w, h, colour, _ = picture('colour')
    check((w, h, colour) == (32, 32, 2), 'colour image %dx%d type %d' % (w, h, colour))
    for desc in ('jpeg ok', 'jpeg-ls ok', 'rle ok'):
        w, h, colour, _ = picture(desc)
        check((w, h, colour) == (64, 64, 0), '%s: %dx%d type %d' % (desc, w, h, colour))
    no_preview('huge declared', ['too large to preview'])
    no_preview('bad jpeg', ['could not be decoded'])
    no_preview('bad rle', ['could not be decoded'])
    # DCMTK shows what there is of pixel data shorter than the image
    w, h, colour, _ = picture('short pixels')
    check((w, h) == (64, 64), 'short pixels: %dx%d' % (w, h))
    picture('INGEST-FAULT-INJECT')
    good = ('plain CT', 'large image', 'colour', 'jpeg ok', 'jpeg-ls ok', 'rle ok', 'short pixels')

    # a child that crashes, or sleeps, on the first picture costs that picture
    # only: the next child makes all the others
    for fault, words in (('crash', ['crashed']), ('stall', ['took longer than'])):
        rows = report('out-' + fault, env={'INGEST_TEST_EXTRACTOR_FAULT': fault})
        no_preview('INGEST-FAULT-INJECT', words)
        for desc in good:
            picture(desc)
        no_preview('huge declared', ['too large to preview'])
    pkgtest.shutil.rmtree(work, ignore_errors=True)
    print('ok')


if __name__ == '__main__':
    main()

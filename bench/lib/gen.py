# SPDX-License-Identifier: GPL-3.0-or-later
"""Deterministic benchmark drops (Debian's /usr/bin/python3; needs DCMTK's dump2dcm).

  gen.py dvd   TREE [--scale S]   a DVD-sized disc tree: 2600*S CT slices
                                  (512x512x16 bit, ~525 KB each) in 5 series,
                                  a few PDFs and text reports, a viewer folder
                                  (.exe/.dll/autorun.inf)
  gen.py small TREE [--scale S]   many small files: 20000*S small DICOM
                                  images (64x64x16 bit, ~9 KB) in 40 series,
                                  plus 500*S short text notes

One DICOM file is made with dump2dcm, then cloned by patching fixed-width
placeholders (UIDs, instance number, slice position) with values of the same
length, so every clone is a valid file and generation runs at disk speed.
Same arguments, same bytes. Prints "FILES BYTES" (files and payload bytes).
"""

import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # nothing left behind in fixtures/
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures"))
import pdfgen  # noqa: E402

ROOT = "1.2.826.0.1.3680043.9.7433.88"
SOP = ROOT + ".1.000000000"     # .1.SSSIIIIII: series, instance
SERIES = ROOT + ".3.000"
STUDY = ROOT + ".2"

DUMP = r'''
(0008,0005) CS [ISO_IR 100]
(0008,0008) CS [ORIGINAL\PRIMARY\AXIAL]
(0008,0016) UI =%(sopclass)s
(0008,0018) UI [%(sop)s]
(0008,0020) DA [20240105]
(0008,0021) DA [20240105]
(0008,0022) DA [20240105]
(0008,0023) DA [20240105]
(0008,0030) TM [101500]
(0008,0031) TM [101700]
(0008,0050) SH [A20240105001]
(0008,0060) CS [%(modality)s]
(0008,0070) LO [ACME Medical]
(0008,0080) LO [General Hospital]
(0008,0090) PN [Referring^Doctor]
(0008,1010) SH [SCAN01]
(0008,1030) LO [%(study_desc)s]
(0008,103e) LO [SERIES 000]
(0008,1090) LO [ScannerModel 128]
(0010,0010) PN [Bench^Patient]
(0010,0020) LO [PID0001234]
(0010,0030) DA [19600229]
(0010,0040) CS [F]
(0010,1010) AS [064Y]
(0018,0015) CS [CHEST]
(0018,0050) DS [1.25]
(0018,0060) DS [120]
(0018,0088) DS [1.25]
(0018,1020) LO [sw 1.0]
(0018,5100) CS [FFS]
(0020,000d) UI [%(study)s]
(0020,000e) UI [%(series)s]
(0020,0010) SH [1]
(0020,0011) IS [0000]
(0020,0013) IS [000000]
(0020,0032) DS [-200.000\-200.000\00000.00]
(0020,0037) DS [1\0\0\0\1\0]
(0020,0052) UI [%(study)s.4]
(0020,1041) DS [00000.00]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US %(rows)d
(0028,0011) US %(rows)d
(0028,0030) DS [0.78125\0.78125]
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 1
(0028,1050) DS [40]
(0028,1051) DS [400]
(0028,1052) DS [-1024]
(0028,1053) DS [1]
(7fe0,0010) OW =%(pixels)s
'''


def _pixels(rows, seed):
    """A plausible 12-bit image: smooth body disc plus noise (compresses like CT)."""
    rnd = random.Random(seed)
    noise = rnd.randbytes(rows * rows)
    out = bytearray(rows * rows * 2)
    c = rows / 2
    r2 = (rows * 0.42) ** 2
    for y in range(rows):
        dy = (y - c) ** 2
        for x in range(rows):
            v = 1064 + ((x * 3 + y * 5) & 0x3f) if (x - c) ** 2 + dy < r2 else 24
            v = (v + noise[y * rows + x] // 8) & 0x0fff
            o = 2 * (y * rows + x)
            out[o] = v & 0xff
            out[o + 1] = v >> 8
    return bytes(out)


class Template:
    def __init__(self, rows, modality, sopclass, study_desc):
        with tempfile.TemporaryDirectory() as tmp:
            pix = os.path.join(tmp, "pixels.raw")
            with open(pix, "wb") as f:
                f.write(_pixels(rows, rows))
            dump = os.path.join(tmp, "t.dump")
            with open(dump, "w", encoding="latin-1") as f:
                f.write(DUMP % dict(sopclass=sopclass, sop=SOP, modality=modality,
                                    study_desc=study_desc, study=STUDY, series=SERIES,
                                    rows=rows, pixels=pix))
            dcm = os.path.join(tmp, "t.dcm")
            subprocess.run(["dump2dcm", "-q", "+te", dump, dcm], check=True)
            with open(dcm, "rb") as f:
                self.data = bytes(f.read())
        d = self.data
        assert d.count(SOP.encode()) == 2  # meta + dataset
        self.sop_at = [i for i in (d.find(SOP.encode()), d.rfind(SOP.encode()))]
        self.series_at = d.index(SERIES.encode())

        def value_at(tag_vr, old):
            i = d.index(tag_vr + bytes([len(old), 0]) + old)
            return i + len(tag_vr) + 2
        self.snum_at = value_at(b"\x20\x00\x11\x00IS", b"0000")
        self.inum_at = value_at(b"\x20\x00\x13\x00IS", b"000000")
        self.zpos_at = value_at(b"\x20\x00\x32\x00DS", b"-200.000\\-200.000\\00000.00") + 18
        self.sloc_at = value_at(b"\x20\x00\x41\x10DS", b"00000.00")
        self.desc_at = value_at(b"\x08\x00\x3e\x10LO", b"SERIES 000") + 7

    def clone(self, series, instance):
        b = bytearray(self.data)
        sop = b"%03d%06d" % (series, instance)
        for at in self.sop_at:
            b[at + len(SOP) - 9:at + len(SOP)] = sop
        b[self.series_at + len(SERIES) - 3:self.series_at + len(SERIES)] = b"%03d" % series
        b[self.snum_at:self.snum_at + 4] = b"%04d" % series
        b[self.inum_at:self.inum_at + 6] = b"%06d" % (instance + 1)
        z = b"%08.2f" % (instance * 1.25)
        b[self.zpos_at:self.zpos_at + 8] = z
        b[self.sloc_at:self.sloc_at + 8] = z
        b[self.desc_at:self.desc_at + 3] = b"%03d" % series
        return b


class Writer:
    def __init__(self, tree):
        self.tree, self.files, self.bytes = tree, 0, 0

    def put(self, rel, data):
        p = os.path.join(self.tree, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)

    def pdf(self, rel, pages):
        p = os.path.join(self.tree, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        pdfgen.make_text_pdf(p, pages)
        self.files += 1
        self.bytes += os.path.getsize(p)


REPORTS = [
    ("Pathology report", ["Specimen: core biopsy, left breast.",
                          "Diagnosis: invasive ductal carcinoma, grade 2.",
                          "ER positive (90%), PR positive (60%), HER2 negative (IHC 1+).",
                          "Ki-67: 20%."]),
    ("Radiology report", ["CT chest abdomen pelvis with contrast.",
                          "Findings: no evidence of distant metastatic disease.",
                          "Impression: stable appearances."]),
    ("Discharge letter", ["Diagnosis: breast cancer, cT2 cN1 M0.",
                          "Medication: letrozole 2.5 mg daily.",
                          "Follow-up in oncology clinic in 6 weeks."]),
    ("Operation note", ["Procedure: wide local excision and sentinel node biopsy.",
                        "No complications."]),
]


def documents(w, n_pdf, n_txt, prefix):
    for i in range(n_pdf):
        title, lines = REPORTS[i % len(REPORTS)]
        pages = [[title, "Patient: Bench Patient  DOB 29/02/1960", "Date: 2024-01-%02d" % (1 + i % 28)]
                 + lines + ["Page %d" % (p + 1)] for p in range(2)]
        w.pdf("%s/REPORT_%03d.pdf" % (prefix, i), pages)
    for i in range(n_txt):
        title, lines = REPORTS[i % len(REPORTS)]
        text = "\n".join([title, "Note %d" % i, "Date: 2024-01-%02d" % (1 + i % 28)] + lines) + "\n"
        w.put("%s/note_%05d.txt" % (prefix, i), text.encode())


def viewer(w, scale):
    rnd = random.Random(7)
    mz = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    w.put("AUTORUN.INF", b"[autorun]\r\nopen=VIEWER\\viewer.exe\r\nicon=VIEWER\\viewer.exe,0\r\n")
    w.put("README.TXT", b"This disc contains medical images. Run VIEWER\\viewer.exe.\r\n")
    w.put("VIEWER/viewer.exe", mz + rnd.randbytes(int(12e6 * scale)))
    for i in range(max(2, round(40 * scale))):
        w.put("VIEWER/lib%02d.dll" % i, mz + rnd.randbytes(1_000_000))
    for i in range(max(1, round(20 * scale))):
        w.put("VIEWER/lang/%02d.ini" % i, b"[strings]\r\n" + b"key=value\r\n" * 200)


def gen_dvd(tree, scale):
    w = Writer(tree)
    t = Template(512, "CT", "CTImageStorage", "CT CHEST ABDOMEN PELVIS W CONTRAST")
    n = max(5, round(2600 * scale))
    per = -(-n // 5)
    for i in range(n):
        s, k = divmod(i, per)
        w.put("DICOM/S%03d/I%05d" % (s, k), t.clone(s, k))
    documents(w, max(1, round(8 * scale)), max(1, round(8 * scale)), "REPORTS")
    viewer(w, scale)
    return w


def gen_small(tree, scale):
    w = Writer(tree)
    t = Template(64, "MR", "MRImageStorage", "MR BRAIN WITH CONTRAST")
    n = max(40, round(20000 * scale))
    per = -(-n // 40)
    for i in range(n):
        s, k = divmod(i, per)
        w.put("export/ST000/SE%03d/IM%06d.dcm" % (s, k), t.clone(s, k))
    documents(w, 0, max(1, round(500 * scale)), "export/notes")
    return w


def gen_ct(tree, count):
    """COUNT realistic CT slices (512x512, 16 bit) and nothing else, 500 to a
    folder: for the header and package benchmarks."""
    w = Writer(tree)
    t = Template(512, "CT", "CTImageStorage", "CT CHEST ABDOMEN PELVIS W CONTRAST")
    for i in range(count):
        s, k = divmod(i, 500)
        w.put("DICOM/S%03d/I%06d.dcm" % (s, k), t.clone(s, k))
    return w


def main():
    """gen.py dvd|small TREE [--scale S]   or   gen.py ct TREE --count N"""
    kind, tree = sys.argv[1], sys.argv[2]
    opt = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    if kind == "ct":
        w = gen_ct(tree, int(opt.get("--count", "2000")))
    else:
        w = {"dvd": gen_dvd, "small": gen_small}[kind](tree, float(opt.get("--scale", "1")))
    print(w.files, w.bytes)


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: GPL-3.0-or-later
"""Drops for the identity tests (tests/identity): DICOM written with pydicom,
PDFs with fixtures/pdfgen.py; and the names they hold, which must never leave
in a log, a mail or gap-report.json."""

import os
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SRC = os.environ.get("INGEST_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "fixtures"))
import pdfgen  # noqa: E402

CT = "1.2.840.10008.5.1.4.1.1.2"

def write_ct(path, name, birth, pid, study_uid, series_uid, n=1, date="20240110", desc="CT CHEST"):
    """N slices of one CT series of one patient (pydicom, Part 10)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for i in range(1, n + 1):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CT
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        if any(ord(c) > 127 for c in name):
            ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = name
        ds.PatientBirthDate = birth
        ds.PatientID = pid
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyDate = date
        ds.StudyDescription = desc
        ds.Modality = "CT"
        ds.SeriesNumber = 1
        ds.InstanceNumber = i
        ds.BodyPartExamined = "CHEST"
        ds.ImagePositionPatient = [0, 0, 5.0 * i]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = 5.0
        ds.Rows = ds.Columns = 16
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = bytes((k * i) & 0xff for k in range(512))
        p = path if n == 1 else "%s-%03d.dcm" % (path, i)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(p, write_like_original=False)


def pathology_pdf(path, header):
    """A pathology report whose first lines are HEADER (Latin-1 text layer)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pdfgen.make_text_pdf(path, [header + [
        "",
        "SURGICAL PATHOLOGY REPORT",
        "Specimen: core biopsy, left breast.",
        "Diagnosis: invasive ductal carcinoma, grade 2.",
        "Oestrogen receptor: positive (Allred 8/8).",
        "HER2 IHC: negative (1+).",
    ]])


def unicode_pdf(path, lines):
    """A report in any script: one run a line, from the top."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    runs = [(56, 60 + 18 * i, 11, s) for i, s in enumerate(lines)]
    pdfgen.make_unicode_pdf(path, [runs])



# the names and numbers three_patients() writes into its pathology report
THREE_DOC_WORDS = ["LINDQVIST", "Lindqvist", "Astrid", "ASTRID", "44-1093", "23/07/1958"]


def three_patients(d):
    """Two patients in DICOM, a third named only in a pathology report."""
    write_ct(os.path.join(d, "cd1", "IM1.dcm"), "PATEL^RAVI^KUMAR", "19610302", "H1234",
             generate_uid(), generate_uid())
    write_ct(os.path.join(d, "cd2", "IM1.dcm"), "OKAFOR^CHIDINMA", "19740911", "X998",
             generate_uid(), generate_uid(), date="20240112")
    pathology_pdf(os.path.join(d, "reports", "histology-1.pdf"),
                  ["St Elsewhere Hospital, Department of Pathology",
                   "Patient name: LINDQVIST, Astrid Maria    DOB: 23/07/1958",
                   "MRN: 44-1093"])

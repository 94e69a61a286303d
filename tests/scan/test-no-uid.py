#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A DICOM object without a Study Instance UID or a Series Instance UID is a
problem (corrupt), not an empty-UID study or series: the report of
`ingest scan --json` validates against docs/gap-report.schema.json, and
`ingest package` keeps such files out of the DICOM file-set (#19, item 4)."""

import json
import os
import subprocess
import sys

import jsonschema
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scanlib  # noqa: E402

CT = "1.2.840.10008.5.1.4.1.1.2"
STUDY = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")
SERIES = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")


def write(path, inum, study=True, series=True):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT
    sop = generate_uid(prefix="1.2.826.0.1.3680043.8.498.")
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CT
    ds.SOPInstanceUID = sop
    ds.PatientName = "Test^NoUid"
    ds.PatientID = "NOUID-1"
    ds.PatientBirthDate = "19600101"
    ds.Modality = "CT"
    ds.StudyDate = "20240302"
    if study:
        ds.StudyInstanceUID = STUDY
    if series:
        ds.SeriesInstanceUID = SERIES
    ds.InstanceNumber = inum
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(32))
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def main():
    with open(os.path.join(scanlib.SRC, "docs", "gap-report.schema.json"), encoding="utf-8") as f:
        v = jsonschema.Draft202012Validator(json.load(f))
    failures = []
    with scanlib.tmpdir() as tmp:
        drop = os.path.join(tmp, "drop")
        os.mkdir(drop)
        write(os.path.join(drop, "good1.dcm"), 1)
        write(os.path.join(drop, "good2.dcm"), 2)
        write(os.path.join(drop, "nostudy.dcm"), 3, study=False)
        write(os.path.join(drop, "noseries.dcm"), 4, series=False)
        rc, doc, err = scanlib.scan_json(drop)
        for e in v.iter_errors(doc):
            failures.append("schema: %s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(top)", e.message))
        studies = doc.get("inventory", {}).get("studies") or []
        uids = [(st.get("study_uid"), se.get("series_uid"), se.get("instances"))
                for st in studies for se in st.get("series") or []]
        if uids != [(STUDY, SERIES, 2)]:
            failures.append("inventory series: %r, wanted only the two good files in one series" % uids)
        probs = {os.path.basename(p["path"]): p for p in doc.get("problems", [])}
        for name, what in (("nostudy.dcm", "Study Instance UID"), ("noseries.dcm", "Series Instance UID")):
            p = probs.get(name)
            if not p:
                failures.append("%s is not a problem: %r" % (name, sorted(probs)))
                continue
            if p["code"] != "corrupt" or what not in p["message"] or "new copy" not in p["message"]:
                failures.append("%s: problem %r" % (name, p))
        # the package: the two good files in the DICOM file-set, nothing else
        out = os.path.join(tmp, "out")
        r = subprocess.run([scanlib.BIN, "package", drop, "--out", out, "--case-id", "CASE-NOUID"],
                           capture_output=True, timeout=scanlib.SCAN_TIMEOUT)
        if r.returncode != 0:
            failures.append("ingest package: exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")))
        else:
            bags = [os.path.join(out, s, c) for s in ("ready", "pending")
                    if os.path.isdir(os.path.join(out, s)) for c in os.listdir(os.path.join(out, s))]
            if len(bags) != 1:
                failures.append("packages published: %r" % bags)
            else:
                dicoms = []
                for dp, _, fn in os.walk(os.path.join(bags[0], "data", "DICOM")):
                    dicoms += [os.path.join(dp, n) for n in fn]
                if len(dicoms) != 2:
                    failures.append("DICOM files in the package: %d, wanted 2: %r" % (len(dicoms), dicoms))
                for p in dicoms:
                    ds = pydicom.dcmread(p, stop_before_pixels=True)
                    if ds.get("StudyInstanceUID") != STUDY or ds.get("SeriesInstanceUID") != SERIES:
                        failures.append("%s in the package has no study or series UID" % p)
                dd = os.path.join(bags[0], "data", "DICOMDIR")
                if os.path.exists(dd):
                    refs = [r.ReferencedFileID for r in pydicom.dcmread(dd).DirectoryRecordSequence
                            if "ReferencedFileID" in r]
                    if len(refs) != 2:
                        failures.append("DICOMDIR references %d files, wanted 2" % len(refs))
    if failures:
        for f in failures:
            sys.stderr.write("FAIL: %s\n" % f)
        sys.exit(1)
    print("ok: objects without study/series UIDs are problems, kept out of the file-set")


if __name__ == "__main__":
    main()

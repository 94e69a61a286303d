#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documents inside DICOM objects, through `ingest scan --json` (#17).

Drops made here with pydicom and fixtures/pdfgen.py:
- a CT study with a radiology report as an Encapsulated PDF in it: the
  report is a document of the inventory (kind radiology-report, its marker
  found with its snippet, the DICOM study and series in its evidence), it
  stays an instance of its study, and the radiology-report rule has no gap;
  the same CT study without the report has that gap (the check can fail);
- the same with the report as a Comprehensive SR (concept names and text
  items): likewise;
- an Encapsulated PDF holding a damaged PDF: unread, said so, the object
  kept in its study;
- a dose SR (machine data): a DICOM object, no document.
The patient's name written in the objects appears nowhere in the JSON.
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("INGEST_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import pdfgen  # noqa: E402

import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402

BIN = os.environ.get("INGEST_BIN")
PROBE = sys.argv[1] if len(sys.argv) > 1 else None
PATIENT = "TESTPERSON^ZELDA"
STUDY = "1.2.826.0.1.3680043.10.1137.17.1"
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def base(sop_class, sop_uid, series_uid, modality, series_no, desc):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = series_uid
    ds.PatientName = PATIENT
    ds.PatientID = "ZZ-0017"
    ds.PatientBirthDate = "19600101"
    ds.StudyDate = "20260301"
    ds.SeriesDate = "20260301"
    ds.Modality = modality
    ds.StudyDescription = "CT CHEST"
    ds.SeriesDescription = desc
    ds.SeriesNumber = series_no
    ds.InstanceNumber = 1
    return ds


def save(ds, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(path, write_like_original=False)


def ct_series(drop):
    series = STUDY + ".2"
    for i in range(1, 4):
        ds = base("1.2.840.10008.5.1.4.1.1.2", "%s.%d" % (series, i), series, "CT", 2, "CHEST 5mm")
        ds.InstanceNumber = i
        ds.ImagePositionPatient = [0, 0, float(i * 5)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = 5
        ds.Rows = ds.Columns = 8
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = bytes(8 * 8 * 2)
        save(ds, os.path.join(drop, "DICOM", "CT%04d" % i))


REPORT = [
    "RADIOLOGY REPORT",
    "CT chest with contrast, 01/03/2026",
    "Clinical history: carcinoma of the left lung.",
    "Findings: a 23 mm spiculated mass in the left upper lobe.",
    "No pleural effusion.",
    "Impression: left upper lobe mass, in keeping with the known carcinoma.",
    "PD-L1 TPS 60% (reported previously on the biopsy).",
]


def enc_pdf(drop, pdf_bytes, name="REPORT1"):
    series = STUDY + ".9"
    ds = base("1.2.840.10008.5.1.4.1.1.104.1", series + ".1", series, "DOC", 9, "Radiology Report")
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.DocumentTitle = "CT chest report"
    ds.BurnedInAnnotation = "YES"
    ds.ConceptNameCodeSequence = Sequence()
    ds.EncapsulatedDocumentLength = len(pdf_bytes)
    ds.EncapsulatedDocument = pdf_bytes + (b"\0" if len(pdf_bytes) % 2 else b"")
    save(ds, os.path.join(drop, "DICOM", name))


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue = value
    c.CodingSchemeDesignator = scheme
    c.CodeMeaning = meaning
    return c


def text_item(rel, name, text):
    it = Dataset()
    it.RelationshipType = rel
    it.ValueType = "TEXT"
    it.ConceptNameCodeSequence = Sequence([code("121071", "DCM", name)])
    it.TextValue = text
    return it


def sr(drop, sop_class="1.2.840.10008.5.1.4.1.1.88.33", title="Imaging Report", items=None, name="SR0001"):
    series = STUDY + ".8"
    ds = base(sop_class, series + ".1", series, "SR", 8, "Report")
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([code("18748-4", "LN", title)])
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ContentDate = "20260302"
    ds.ContentTime = "101500"
    obs = Dataset()
    obs.RelationshipType = "HAS OBS CONTEXT"
    obs.ValueType = "PNAME"
    obs.ConceptNameCodeSequence = Sequence([code("121008", "DCM", "Person Observer Name")])
    obs.PersonName = "OBSERVER^OTTO"
    findings = Dataset()
    findings.RelationshipType = "CONTAINS"
    findings.ValueType = "CONTAINER"
    findings.ContinuityOfContent = "SEPARATE"
    findings.ConceptNameCodeSequence = Sequence([code("121070", "DCM", "Findings")])
    num = Dataset()
    num.RelationshipType = "CONTAINS"
    num.ValueType = "NUM"
    num.ConceptNameCodeSequence = Sequence([code("G-D7FE", "SRT", "Lesion size")])
    mv = Dataset()
    mv.NumericValue = "23"
    mv.MeasurementUnitsCodeSequence = Sequence([code("mm", "UCUM", "millimeter")])
    num.MeasuredValueSequence = Sequence([mv])
    findings.ContentSequence = Sequence(items if items is not None else [
        text_item("CONTAINS", "Finding", "A 23 mm spiculated mass in the left upper lobe. No pleural effusion."),
        num,
    ])
    impression = text_item("CONTAINS", "Impression",
                           "Left upper lobe mass in keeping with the known carcinoma; PD-L1 TPS 60% on the biopsy.")
    impression.ConceptNameCodeSequence = Sequence([code("121073", "DCM", "Impression")])
    ds.ContentSequence = Sequence([obs, findings, impression])
    save(ds, os.path.join(drop, "DICOM", name))


def scan(drop):
    r = subprocess.run([BIN, "scan", "--json", drop], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    out = r.stdout.decode("utf-8")
    try:
        return json.loads(out), out + r.stderr.decode(errors="replace")
    except json.JSONDecodeError as e:
        sys.exit("scan of %s (exit %d) printed no JSON: %s\n%s" % (drop, r.returncode, e,
                                                                   r.stderr.decode(errors="replace")[-3000:]))


def doc_of(doc, path):
    for d in doc["inventory"]["documents"]:
        if d["path"] == path:
            return d
    return None


def gap_ids(doc):
    return {g["rule_id"] for g in doc["gaps"]}


def instances(doc):
    return sum(se["instances"] for st in doc["inventory"]["studies"] for se in st["series"])


def check_report_doc(name, doc, text, path):
    d = doc_of(doc, path)
    if not check(d is not None, "%s: %s is not a document of the inventory: %r"
                 % (name, path, [x["path"] for x in doc["inventory"]["documents"]])):
        return
    check(d["kind"] == "radiology-report", "%s: kind %r (%s)" % (name, d["kind"], d.get("kind_evidence")))
    ev = d.get("kind_evidence") or ""
    check(STUDY in ev and (STUDY + ".") in ev, "%s: evidence does not name the study and series: %r" % (name, ev))
    check(d.get("language") == "en", "%s: language %r" % (name, d.get("language")))
    found = {b["name"]: b for b in d.get("biomarkers") or []}
    ctx = {b["name"] for b in d.get("biomarkers_context") or []}
    check("PD-L1" in found or "PD-L1" in ctx, "%s: PD-L1 not read from the report: %r / %r"
          % (name, d.get("biomarkers"), d.get("biomarkers_context")))
    for b in d.get("biomarkers") or []:
        check(b.get("snippet"), "%s: %s without its snippet" % (name, b["name"]))
    check("baseline.radiology-report" not in gap_ids(doc), "%s: radiology report still called missing: %r"
          % (name, [g for g in doc["gaps"] if g["rule_id"] == "baseline.radiology-report"]))
    check(PATIENT.split("^")[0] not in text and "ZELDA" not in text,
          "%s: the patient's name is in the JSON or the log" % name)
    check("OTTO" not in text, "%s: an observer's name is in the JSON" % name)


def probe(path, max_bytes):
    r = subprocess.run([PROBE, "--document", str(max_bytes), path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if r.returncode != 0:
        sys.exit("dcm-probe failed on %s: %s" % (path, r.stderr.decode(errors="replace")))
    return json.loads(r.stdout.decode("utf-8"))


def nested(depth, leaf):
    """A chain of depth CONTAINERs with a TEXT item at its end."""
    item = leaf
    for i in range(depth):
        c = Dataset()
        c.RelationshipType = "CONTAINS"
        c.ValueType = "CONTAINER"
        c.ContinuityOfContent = "SEPARATE"
        c.ConceptNameCodeSequence = Sequence([code("121070", "DCM", "Level %d" % (depth - i))])
        c.ContentSequence = Sequence([item])
        item = c
    return item


def probe_checks(tmp, pdf_bytes):
    """dcm_read_document() itself: the SR's text as written, its bounds; the PDF's bytes."""
    d = os.path.join(tmp, "probe")
    sr(d)
    out = probe(os.path.join(d, "DICOM", "SR0001"), 1 << 20)
    want = ("Imaging Report\n\nFindings\n"
            "Finding: A 23 mm spiculated mass in the left upper lobe. No pleural effusion.\n"
            "Lesion size: 23 mm\n"
            "Impression: Left upper lobe mass in keeping with the known carcinoma; PD-L1 TPS 60% on the biopsy.\n")
    check(out.get("document_rc") == 0 and out.get("text") == want, "probe sr: %r" % out)
    check(out.get("items") == 3 and out.get("truncated") is False, "probe sr: items/truncated %r" % out)
    # cut at the byte limit
    out = probe(os.path.join(d, "DICOM", "SR0001"), 40)
    check(out.get("document_rc") == 0 and out.get("truncated") is True and out.get("document_len") <= 40,
          "probe sr cut at 40 bytes: %r" % out)
    # deeper than DCM_SR_MAX_DEPTH (16): read down to it, said cut, the items after it read
    d2 = os.path.join(tmp, "probe-deep")
    sr(d2, items=[nested(20, text_item("CONTAINS", "Finding", "deep down"))])
    out = probe(os.path.join(d2, "DICOM", "SR0001"), 1 << 20)
    text = out.get("text", "")
    check(out.get("document_rc") == 0 and out.get("truncated") is True and "Level 15\n" in text
          and "Level 16" not in text and "deep down" not in text and "Impression:" in text,
          "probe deep sr: %r" % out)
    # a dose SR is no document
    d3 = os.path.join(tmp, "probe-dose")
    sr(d3, sop_class="1.2.840.10008.5.1.4.1.1.88.67")
    out = probe(os.path.join(d3, "DICOM", "SR0001"), 1 << 20)
    check(out.get("document_rc") == -61, "probe dose sr: %r (want -ENODATA)" % out)
    # the PDF's own bytes, without the value's padding; over the limit: -E2BIG
    odd = pdf_bytes if len(pdf_bytes) % 2 else pdf_bytes + b"\n"
    d4 = os.path.join(tmp, "probe-pdf")
    enc_pdf(d4, odd)
    out = probe(os.path.join(d4, "DICOM", "REPORT1"), 1 << 20)
    check(out.get("document_rc") == 0 and out.get("document_type") == "pdf" and out.get("pdf_magic") is True
          and out.get("document_len") == len(odd), "probe pdf (%d bytes): %r" % (len(odd), out))
    out = probe(os.path.join(d4, "DICOM", "REPORT1"), 100)
    check(out.get("document_rc") == -7, "probe pdf over the limit: %r (want -E2BIG)" % out)


def main():
    if not BIN or not PROBE:
        sys.exit("INGEST_BIN is not set or no dcm-probe given (run through meson test)")
    with tempfile.TemporaryDirectory(prefix="ingest-dcmdocs.") as tmp:
        pdf = os.path.join(tmp, "report.pdf")
        pdfgen.make_text_pdf(pdf, [REPORT])
        with open(pdf, "rb") as fh:
            pdf_bytes = fh.read()
        probe_checks(tmp, pdf_bytes)

        # the control: CT alone misses its report
        only_ct = os.path.join(tmp, "only-ct")
        ct_series(only_ct)
        doc, _ = scan(only_ct)
        check("baseline.radiology-report" in gap_ids(doc), "only-ct: no radiology-report gap: %r" % gap_ids(doc))
        check(instances(doc) == 3, "only-ct: %d instances" % instances(doc))

        # an Encapsulated PDF radiology report in the CT's study
        drop = os.path.join(tmp, "enc-pdf")
        ct_series(drop)
        enc_pdf(drop, pdf_bytes)
        doc, text = scan(drop)
        check_report_doc("enc-pdf", doc, text, "DICOM/REPORT1")
        check(instances(doc) == 4, "enc-pdf: the report is no longer an instance of its study (%d)" % instances(doc))
        check(not doc["problems"], "enc-pdf: problems %r" % doc["problems"])

        # a text SR
        drop = os.path.join(tmp, "sr")
        ct_series(drop)
        sr(drop)
        doc, text = scan(drop)
        check_report_doc("sr", doc, text, "DICOM/SR0001")
        check(instances(doc) == 4, "sr: the SR is no longer an instance of its study (%d)" % instances(doc))

        # a dose SR: machine data, no document
        drop = os.path.join(tmp, "dose-sr")
        ct_series(drop)
        sr(drop, sop_class="1.2.840.10008.5.1.4.1.1.88.67", title="X-Ray Radiation Dose Report")
        doc, text = scan(drop)
        check(doc_of(doc, "DICOM/SR0001") is None, "dose-sr: a dose SR listed as a document")
        check(instances(doc) == 4, "dose-sr: %d instances" % instances(doc))

        # an Encapsulated PDF whose PDF is damaged: unread, named, the object kept
        drop = os.path.join(tmp, "bad-pdf")
        ct_series(drop)
        enc_pdf(drop, b"%PDF-1.4\n" + b"\x00garbage" * 200)
        doc, text = scan(drop)
        d = doc_of(doc, "DICOM/REPORT1")
        if check(d is not None, "bad-pdf: the damaged report is not listed as a document"):
            check(d.get("unread_reason"), "bad-pdf: no unread reason: %r" % d)
            check(STUDY in (d.get("kind_evidence") or ""), "bad-pdf: evidence %r" % d.get("kind_evidence"))
        check(instances(doc) == 4, "bad-pdf: the object left its study (%d)" % instances(doc))

    for e in errors:
        print("FAIL:", e)
    if errors:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

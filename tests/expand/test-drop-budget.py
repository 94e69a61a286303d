#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Budgets per drop, across every nesting level (docs/design.md, "Budgets
per drop"; issue 20, item 2).

A 42.zip-style bomb: zips of 16 zips, five levels, the 16 x 16^4 leaves 4 MiB
of zeros each: 4 TiB declared in a file of tens of KB. Each level's ratio is
modest, so only a bound against the outer drop's size stops it: through
`ingest scan` and `ingest package` it must stop within 10 s and 100 MB
written, with a `limit` problem naming the number and the setting, and keep
what was read before. Beside it:

- a normal nested zip of DICOM files (deflate about 2:1) is untouched;
- a small drop whose legitimate expansion passes 100 times its size but not
  64 MiB (the floor) is untouched;
- the wall-time budget (max_drop_seconds) stops a drop that expands slowly
  enough to stay within its byte budgets for long (here: the bomb with the
  byte bounds lifted);
- the bytes kept (staged) for the whole drop are bounded by max_total_bytes,
  for a folder of plain files too;
- entries are counted across all levels (max_entries)."""

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expandlib import BIN, DRIVER, SRC, check, fail, files, finish, make_bomb, problems, scan  # noqa: E402

MIB = 1 << 20
RULES = os.environ.get("INGEST_TEST_RULES_DIR", os.path.join(SRC, "rules"))


def run(cmd, timeout):
    """(seconds, returncode, stdout, stderr); a run past TIMEOUT is killed and fails."""
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("%s: still running after %d s (killed)" % (" ".join(cmd), timeout))
        return timeout, -1, b"", b""
    return time.monotonic() - t0, r.returncode, r.stdout, r.stderr


def du(path):
    total = 0
    for root, _, names in os.walk(path):
        for n in names:
            st = os.lstat(os.path.join(root, n))
            total += max(st.st_size, st.st_blocks * 512)
    return total


def dicom_bytes(seed):
    """A small CT-like DICOM file (smooth image with noise: deflates about 2:1)."""
    import array
    import math
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Budget^Test"
    ds.PatientID = "BUDGET-1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.1.1"
    ds.Modality = "CT"
    ds.StudyDate = "20240105"
    ds.InstanceNumber = seed
    rng = random.Random(seed)
    img = array.array("H", (int(1000 + 400 * math.sin(x / 30.0) * math.cos(y / 40.0) + rng.gauss(0, 20))
                            for y in range(256) for x in range(256)))
    if sys.byteorder != "little":
        img.byteswap()
    ds.Rows, ds.Columns = 256, 256
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = img.tobytes()
    b = io.BytesIO()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(b, write_like_original=False)
    return b.getvalue()


def bomb_checks(tmp):
    holder = os.path.join(tmp, "bomb-drop")
    os.mkdir(holder)
    bomb = os.path.join(holder, "records.zip")
    declared = make_bomb(bomb)
    size = os.path.getsize(bomb)
    print("bomb: %d bytes, %d GiB declared" % (size, declared >> 30))
    check(size < 100 * 1024 and declared >= 1 << 40, "the bomb is not what the test means: %d bytes" % size)

    # ingest scan
    secs, rc, out, err = run([BIN, "scan", "--json", "--rules", RULES, holder], 60)
    print("ingest scan: %.2f s" % secs)
    check(rc == 0, "ingest scan on the bomb exited %d: %s" % (rc, err.decode(errors="replace")[-2000:]))
    check(secs < 10, "ingest scan took %.1f s on the bomb (10 s allowed)" % secs)
    if rc == 0:
        d = json.loads(out)
        p = problems(d).get("records.zip", {})
        check(p.get("code") == "limit" and "archive bomb" in p.get("message", "")
              and "limits.max_drop_ratio" in p.get("message", "") and "67108864" in p.get("message", ""),
              "the bomb has no drop-ratio limit problem: %s" % list(problems(d).items())[:4])
        # the levels open when it struck say so; the rest of the drop was not expanded
        inner = [k for k in problems(d) if k.startswith("records.zip!/")]
        check(all(problems(d)[k]["code"] == "limit" for k in inner) and len(inner) <= 10,
              "a few limit problems expected (the open levels), got %d: %s" % (len(inner), inner[:12]))
        later = [k for k in files(d) if "part3-01.zip" in k]
        check(not later, "the drop went on expanding after its budget was spent: %s" % later[:3])

    # ingest package: time, bytes written, the problem in the bag's report, what was read kept
    outdir = os.path.join(tmp, "outbox")
    secs, rc, out, err = run([BIN, "package", holder, "--out", outdir, "--rules", RULES, "--no-fetch"], 60)
    written = du(outdir) if os.path.isdir(outdir) else 0
    print("ingest package: %.2f s, %.1f MB in the outbox" % (secs, written / 1e6))
    check(rc == 0, "ingest package on the bomb exited %d: %s" % (rc, err.decode(errors="replace")[-2000:]))
    check(secs < 10, "ingest package took %.1f s on the bomb (10 s allowed)" % secs)
    check(written < 100 * 1000 * 1000, "ingest package wrote %d bytes for the bomb (100 MB allowed)" % written)
    bag = os.path.join(outdir, "pending", "bomb-drop")
    grj = os.path.join(bag, "gap-report.json")
    if check(os.path.isfile(grj), "no package published for the bomb: %s" % os.listdir(outdir)):
        with open(grj) as f:
            rep = json.load(f)
        p = problems(rep).get("records.zip", {})
        check(p.get("code") == "limit" and "limits.max_drop_ratio" in p.get("message", ""),
              "the bag's report has no drop-ratio problem: %s" % list(problems(rep).items())[:3])
        kept = [f for f in files(rep).values() if f.get("sha256")]
        check(kept, "what was read before the budget was spent is not kept")
        data = du(os.path.join(bag, "data"))
        check(0 < data <= 64 * MIB, "the bag's data is %d bytes: the expansion budget is 64 MiB" % data)
        print("bag: %d files kept, %.1f MB of data" % (len(kept), data / 1e6))
    building = os.path.join(outdir, ".building")
    check(not os.path.isdir(building) or all(n.endswith(".lock") for n in os.listdir(building)),
          "the outbox's .building is not clean: %s" % (os.listdir(building) if os.path.isdir(building) else None))

    # The wall-time budget: the byte bounds lifted, the bomb would run for
    # hours (64 GiB at a few hundred MB/s); max_drop_seconds=2 stops it.
    secs, rc, out, err = run([DRIVER, "-l", "max_drop_ratio=0", "-l", "max_ratio=1073741824",
                              "-l", "max_drop_seconds=2", holder], 60)
    print("max_drop_seconds=2: stopped after %.2f s" % secs)
    check(rc == 0, "the driver exited %d: %s" % (rc, err.decode(errors="replace")[-2000:]))
    check(secs < 10, "max_drop_seconds=2 did not stop the scan within 10 s (%.1f s)" % secs)
    if rc == 0:
        d = json.loads(out)
        t = [p for p in d["problems"] if p["code"] == "limit" and "limits.max_drop_seconds" in p["message"]
             and "more than 2 s" in p["message"]]
        check(len(t) >= 1, "no time-budget problem: %s" % d["problems"][:4])


def normal_checks(tmp):
    # A zip of a zip of DICOM files with a document beside them: nothing refused.
    src = os.path.join(tmp, "normal-src")
    os.mkdir(src)
    want = {}
    inner = io.BytesIO()
    dcm = [dicom_bytes(i) for i in range(1, 9)]
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for i, b in enumerate(dcm, 1):
            z.writestr("CT/IM%04d.dcm" % i, b)
            want["normal.zip!/series.zip!/CT/IM%04d.dcm" % i] = hashlib.sha256(b).hexdigest()
    note = ("Discharge summary\n" + "The patient was seen in clinic. " * 200).encode()
    holder = os.path.join(tmp, "normal-drop")
    os.mkdir(holder)
    with zipfile.ZipFile(os.path.join(holder, "normal.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("series.zip", inner.getvalue())
        z.writestr("notes/summary.txt", note)
    want["normal.zip!/notes/summary.txt"] = hashlib.sha256(note).hexdigest()
    ratio = sum(len(b) for b in dcm) / len(inner.getvalue())
    print("normal nested zip: DICOM deflated %.1f:1" % ratio)
    d = scan(holder)
    if d:
        check(not d["problems"], "the normal nested zip has problems: %s" % d["problems"])
        got = {k: f.get("sha256") for k, f in files(d).items()}
        for k, h in want.items():
            check(got.get(k) == h, "normal nested zip: %s missing or wrong: %r" % (k, got.get(k)))

    # A small drop whose legitimate expansion is over 100 times its size but
    # under 64 MiB: untouched (the floor), and over 1000:1 nowhere.
    rng = random.Random(7)
    block = bytearray(40 * MIB)
    for off in range(0, len(block), 2048):
        block[off:off + 8] = rng.randbytes(8)
    holder = os.path.join(tmp, "small-drop")
    os.mkdir(holder)
    zp = os.path.join(holder, "scans.zip")
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("scan-001.raw", bytes(block))
    ratio = len(block) / os.path.getsize(zp)
    print("small drop: %d bytes expanding %.0f:1 to %d" % (os.path.getsize(zp), ratio, len(block)))
    check(100 < ratio < 900, "the small drop's ratio %.0f is not what the test means (100..900)" % ratio)
    d = scan(holder)
    if d:
        check(not d["problems"], "the small drop under the floor has problems: %s" % d["problems"])
        check(files(d).get("scans.zip!/scan-001.raw", {}).get("sha256") == hashlib.sha256(block).hexdigest(),
              "the small drop's entry was not read whole")
        # ... and with the floor's share gone (max_drop_ratio below the drop's own ratio but the
        # expansion still under 64 MiB) nothing changes: the floor is what lets it through
        d = scan(holder, {"max_drop_ratio": 10})
        check(d is not None and not d["problems"], "max_drop_ratio=10 refused a drop under the floor: %s"
              % (d or {}).get("problems"))


def kept_and_entries_checks(tmp):
    # Bytes kept for the whole drop (staged in package mode): a folder of plain files.
    holder = os.path.join(tmp, "plain-drop")
    os.mkdir(holder)
    for i in range(3):
        with open(os.path.join(holder, "part%d.bin" % i), "wb") as f:
            f.write(random.Random(i).randbytes(MIB))
    d = scan(holder, {"max_total_bytes": 5 * MIB // 2})
    if d:
        p = problems(d)
        check(set(p) == {"part2.bin"} and p["part2.bin"]["code"] == "limit"
              and "limits.max_total_bytes" in p["part2.bin"]["message"],
              "max_total_bytes does not bound the bytes kept: %s" % p)

    # Entries across all levels: a zip of 3 zips of 400 entries, max_entries 1000.
    holder = os.path.join(tmp, "entries-drop")
    os.mkdir(holder)
    with zipfile.ZipFile(os.path.join(holder, "outer.zip"), "w") as z:
        for k in range(3):
            b = io.BytesIO()
            with zipfile.ZipFile(b, "w") as zi:
                for i in range(400):
                    zi.writestr("f%03d.txt" % i, "entry %d %d\n" % (k, i))
            z.writestr("inner%d.zip" % k, b.getvalue())
    d = scan(holder, {"max_entries": 1000})
    if d:
        n = len(files(d))
        check(n <= 1002, "%d files listed with max_entries=1000 over three levels" % n)
        check(any(p["code"] == "limit" and "more than 1000 files" in p["message"] for p in d["problems"]),
              "no max_entries problem across levels: %s" % d["problems"][:3])


def main():
    with tempfile.TemporaryDirectory(prefix="ingest-drop-budget.") as tmp:
        bomb_checks(tmp)
        normal_checks(tmp)
        kept_and_entries_checks(tmp)
    finish()


if __name__ == "__main__":
    main()

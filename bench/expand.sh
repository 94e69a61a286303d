#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Expansion benchmark: `ingest scan` of a DVD-sized ISO (>= 2,500 DICOM CT
# slices, >= 1 GB) against `bsdtar -xf` of the same ISO, and against
# `bsdtar -xf` followed by `openssl dgst -sha256` of every extracted file
# (what a tool that extracts first and then hashes pays). Runs alternate, each
# with a fresh output folder, on tmpfs (/dev/shm) and on disk; prints medians,
# ratios and ingest's peak RSS.
#
# Usage: bench/expand.sh [INGEST_BIN] [RUNS]
#   INGEST_BIN  default: build-expand-bench/tools/ingest (a release build:
#               meson setup build-expand-bench -Dbuildtype=release && ninja -C build-expand-bench tools/ingest)
#   RUNS        runs of each command per place (default 3)
# Env: BENCH_FILES (default 2600), BENCH_DISK_DIR (default /var/tmp), BENCH_SHM_DIR (default /dev/shm)
set -euo pipefail

SRC_ROOT=$(cd "$(dirname "$0")/.." && pwd)
INGEST=${1:-$SRC_ROOT/build-expand-bench/tools/ingest}
RUNS=${2:-3}
NFILES=${BENCH_FILES:-2600}
DISK=${BENCH_DISK_DIR:-/var/tmp}/ingest-bench-expand.$$
SHM=${BENCH_SHM_DIR:-/dev/shm}/ingest-bench-expand.$$
PY=/usr/bin/python3

[ -x "$INGEST" ] || { echo "no ingest binary at $INGEST (see the usage in $0)" >&2; exit 2; }
for t in bsdtar openssl xorriso "$PY"; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done

cleanup() { rm -rf "$DISK" "$SHM"; }
trap cleanup EXIT
mkdir -p "$DISK" "$SHM"

# ---- the ISO: one realistic 512x512x16-bit CT slice, cloned by byte patching ----
gen_start=$(date +%s.%N)
"$PY" - "$DISK/src" "$NFILES" <<'EOF'
import os, sys, random
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, CTImageStorage

out, n = sys.argv[1], int(sys.argv[2])
root = "1.2.826.0.1.3680043.10.9999"
study, series = root + ".1.1", root + ".1.2"
sop0 = root + ".2.1%08d" % 0                      # fixed width: clones keep every length

meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = CTImageStorage
meta.MediaStorageSOPInstanceUID = sop0
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop0
ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "BENCH^DVD", "BENCH0001", "19600101", "F"
ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
ds.StudyDate, ds.SeriesDate, ds.StudyTime = "20240410", "20240410", "101500"
ds.Modality, ds.Manufacturer, ds.StudyDescription, ds.SeriesDescription = "CT", "BENCH", "CT CHEST", "AXIAL 1mm"
ds.AccessionNumber, ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "A1", "1", 1, 1
ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, 0], [1, 0, 0, 0, 1, 0]
ds.SliceThickness, ds.PixelSpacing = 1.0, [0.7, 0.7]
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.Rows = ds.Columns = 512
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
rnd = random.Random(1)
ds.PixelData = bytes(rnd.getrandbits(8) & (0xff if i % 2 == 0 else 0x0f) for i in range(512 * 512 * 2))
tmpl = os.path.join(out, "template.dcm")
os.makedirs(out, exist_ok=True)
ds.save_as(tmpl, write_like_original=False)
data = open(tmpl, "rb").read()
os.unlink(tmpl)
key = sop0.encode()
assert data.count(key) == 2
for i in range(n):
    d = os.path.join(out, "DICOM", "S%03d" % (i // 500))
    if i % 500 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "IM%05d" % i), "wb") as f:
        f.write(data.replace(key, (root + ".2.1%08d" % i).encode()))
with open(os.path.join(out, "README.TXT"), "w") as f:
    f.write("Benchmark disc\n")
EOF
xorriso -as mkisofs -quiet -J -R -V BENCH_DVD -o "$DISK/dvd.iso" "$DISK/src" 2>/dev/null
rm -rf "$DISK/src"
gen_end=$(date +%s.%N)
iso_bytes=$(stat -c %s "$DISK/dvd.iso")
printf 'ISO: %d DICOM files, %.2f GB, generated in %.1f s\n' "$NFILES" "$(echo "$iso_bytes / 1000000000" | bc -l)" \
	"$(echo "$gen_end - $gen_start" | bc -l)"
cp "$DISK/dvd.iso" "$SHM/dvd.iso"

# ---- runs ----
declare -A T
RSS=()
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

for place in shm disk; do
	dir=$SHM; [ $place = disk ] && dir=$DISK
	iso=$dir/dvd.iso
	for ((i = 1; i <= RUNS; i++)); do
		# ingest scan: reads the ISO once, writes nothing
		s=$(now)
		/usr/bin/time -f %M -o "$dir/rss" "$INGEST" scan --json "$iso" > "$dir/report.json"
		e=$(now)
		T[$place.ingest]+="$(echo "$e - $s" | bc -l) "
		RSS+=("$(cat "$dir/rss")")
		n=$(grep -c '"dicom-image"' "$dir/report.json" || true)
		[ "$n" -ge "$NFILES" ] || { echo "ingest found only $n DICOM images" >&2; exit 1; }
		rm -f "$dir/report.json"

		out=$dir/x.$i; mkdir "$out"
		s=$(now); bsdtar -xf "$iso" -C "$out"; sync -f "$out"; e=$(now)
		T[$place.bsdtar]+="$(echo "$e - $s" | bc -l) "
		rm -rf "$out"

		out=$dir/y.$i; mkdir "$out"
		s=$(now)
		bsdtar -xf "$iso" -C "$out"
		find "$out" -type f -print0 | xargs -0 -n 500 openssl dgst -sha256 > /dev/null
		sync -f "$out"
		e=$(now)
		T[$place.bsdtar_sha]+="$(echo "$e - $s" | bc -l) "
		rm -rf "$out"
	done
done

echo
printf '%-6s %12s %12s %18s %14s %18s\n' place "ingest s" "bsdtar -x s" "bsdtar -x+sha s" "ingest/bsdtar" "ingest/(bsdtar+sha)"
for place in shm disk; do
	mi=$(median ${T[$place.ingest]}); mb=$(median ${T[$place.bsdtar]}); ms=$(median ${T[$place.bsdtar_sha]})
	printf '%-6s %12.2f %12.2f %18.2f %14.2f %18.2f\n' $place "$mi" "$mb" "$ms" \
		"$(echo "$mi / $mb" | bc -l)" "$(echo "$mi / $ms" | bc -l)"
done
printf 'ingest throughput (shm median): %.0f MB/s\n' "$(echo "$iso_bytes / $(median ${T[shm.ingest]}) / 1000000" | bc -l)"
printf 'ingest peak RSS: median %d KiB, max %d KiB\n' "$(median "${RSS[@]}")" "$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)"
echo "runs per command per place: $RUNS (all times: medians, wall clock; disk runs include sync of the extracted files)"

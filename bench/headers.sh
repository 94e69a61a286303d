#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# DICOM header reading speed: dcm_read_header() (tests/dcm/dcm-probe, built
# here without sanitizers at -O2) against DCMTK's dcmdump, each over the same
# N files in one process, alternating A/B for R rounds.
#   bench/headers.sh [N=2000] [ROUNDS=5]
# PROBE=path uses an existing probe instead of building one.
set -euo pipefail

N=${1:-2000}
ROUNDS=${2:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/bench-headers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${PROBE:-}" ]; then
	PROBE=$WORK/dcm-probe
	# shellcheck disable=SC2046
	c++ -std=c++17 -O2 -c "$SRC/libingest/dcm.cc" -o "$WORK/dcm.o" $(pkg-config --cflags dcmtk)
	cc -std=gnu11 -O2 -I"$SRC/libingest" -c "$SRC/tests/dcm/dcm-probe.c" -o "$WORK/probe.o"
	# shellcheck disable=SC2046
	c++ "$WORK/dcm.o" "$WORK/probe.o" -o "$PROBE" $(pkg-config --libs dcmtk) -lz
fi

# One realistic CT slice: 512x512x16 bit, about 60 header elements.
/usr/bin/python3 - "$WORK" "$N" <<'EOF'
import os, subprocess, sys
work, n = sys.argv[1], int(sys.argv[2])
with open(os.path.join(work, 'pixels.raw'), 'wb') as f:
    f.write(bytes((i * 7) & 0xff for i in range(512 * 512 * 2)))
uid = '1.2.826.0.1.3680043.9.7433.77.1.000000'
dump = r'''
(0008,0005) CS [ISO_IR 100]
(0008,0008) CS [ORIGINAL\PRIMARY\AXIAL]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [%s]
(0008,0020) DA [20240105]
(0008,0021) DA [20240105]
(0008,0022) DA [20240105]
(0008,0023) DA [20240105]
(0008,0030) TM [101500]
(0008,0031) TM [101700]
(0008,0050) SH [A20240105001]
(0008,0060) CS [CT]
(0008,0070) LO [ACME Medical]
(0008,0080) LO [General Hospital]
(0008,0090) PN [Referring^Doctor]
(0008,1010) SH [CT01]
(0008,1030) LO [CT CHEST ABDOMEN PELVIS W CONTRAST]
(0008,103e) LO [AXIAL 1.25 STANDARD]
(0008,1090) LO [ScannerModel 128]
(0010,0010) PN [Doe^Jane]
(0010,0020) LO [PID0001234]
(0010,0030) DA [19600229]
(0010,0040) CS [F]
(0010,1010) AS [064Y]
(0018,0010) LO [Iohexol 350]
(0018,0015) CS [CHEST]
(0018,0050) DS [1.25]
(0018,0060) DS [120]
(0018,0088) DS [1.25]
(0018,1020) LO [sw 1.0]
(0018,1100) DS [400]
(0018,1151) IS [250]
(0018,1152) IS [300]
(0018,1210) SH [STANDARD]
(0018,5100) CS [FFS]
(0020,000d) UI [1.2.826.0.1.3680043.9.7433.77.2]
(0020,000e) UI [1.2.826.0.1.3680043.9.7433.77.3]
(0020,0010) SH [1]
(0020,0011) IS [2]
(0020,0012) IS [1]
(0020,0013) IS [000000]
(0020,0032) DS [-200.000\-200.000\-100.000]
(0020,0037) DS [1\0\0\0\1\0]
(0020,0052) UI [1.2.826.0.1.3680043.9.7433.77.4]
(0020,1041) DS [-100.000]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 512
(0028,0011) US 512
(0028,0030) DS [0.78125\0.78125]
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 1
(0028,1050) DS [40]
(0028,1051) DS [400]
(0028,1052) DS [-1024]
(0028,1053) DS [1]
(7fe0,0010) OW =%s
''' % (uid, os.path.join(work, 'pixels.raw'))
with open(os.path.join(work, 'ct.dump'), 'w', encoding='latin-1') as f:
    f.write(dump)
tmpl = os.path.join(work, 'ct.dcm')
subprocess.run(['dump2dcm', '-q', '+te', os.path.join(work, 'ct.dump'), tmpl], check=True)
data = open(tmpl, 'rb').read()
os.makedirs(os.path.join(work, 'files'))
old_uid, old_in = uid.encode(), b'000000'
assert data.count(old_uid) == 2  # meta + dataset
in_at = data.index(b'\x20\x00\x13\x00IS\x06\x00' + old_in) + 8
for i in range(n):
    new_uid = uid[:-6].encode() + b'%06d' % i
    d = bytearray(data.replace(old_uid, new_uid))
    d[in_at:in_at + 6] = b'%06d' % i
    with open(os.path.join(work, 'files', 'I%06d.dcm' % i), 'wb') as f:
        f.write(d)
EOF

FILES=("$WORK"/files/*.dcm)
echo "files: ${#FILES[@]}, each $(stat -c %s "${FILES[0]}") bytes"
# Sanity: all of them read cleanly and dcmdump agrees on one.
"$PROBE" --summary "${FILES[@]}"
dcmdump -q -M "${FILES[7]}" >"$WORK/one.txt"
grep -q 'InstanceNumber' "$WORK/one.txt" || { echo "dcmdump cannot read the files" >&2; exit 1; }

now() { date +%s.%N; }
# Warm the page cache once for both.
"$PROBE" --summary "${FILES[@]}" >/dev/null
dcmdump -q -M "${FILES[@]}" >/dev/null

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }

# A: the probe reading each whole file; P: only a 16 KiB prefix; B: dcmdump;
# S: `ingest scan` of the folder (reads and hashes every byte, identifies,
# reads headers, builds the inventory) when INGEST points to a release build.
declare -a A P B S
for r in $(seq 1 "$ROUNDS"); do
	t0=$(now); "$PROBE" --summary "${FILES[@]}" >/dev/null; t1=$(now)
	dcmdump -q -M "${FILES[@]}" >/dev/null; t2=$(now)
	"$PROBE" --summary --prefix 16384 "${FILES[@]}" >/dev/null; t3=$(now)
	if [ -n "${INGEST:-}" ]; then "$INGEST" scan --json "$WORK/files" >/dev/null; fi; t4=$(now)
	A+=("$(sub "$t1" "$t0")")
	B+=("$(sub "$t2" "$t1")")
	P+=("$(sub "$t3" "$t2")")
	S+=("$(sub "$t4" "$t3")")
	printf 'round %d: probe %.3fs  dcmdump %.3fs  probe-16k %.3fs  ingest-scan %.3fs\n' "$r" "${A[-1]}" "${B[-1]}" "${P[-1]}" "${S[-1]}"
done
/usr/bin/python3 - "${#FILES[@]}" "${A[*]}" "${B[*]}" "${P[*]}" "${S[*]}" "${INGEST:-}" <<'EOF'
import statistics, sys
n = int(sys.argv[1])
a, b, p, s = ([float(x) for x in v.split()] for v in sys.argv[2:6])
ma, mb, mp, ms = statistics.median(a), statistics.median(b), statistics.median(p), statistics.median(s)
print('dcm_read_header, whole file read:  %6.0f files/s (median %.3fs)' % (n / ma, ma))
print('dcm_read_header, 16 KiB prefix:    %6.0f files/s (median %.3fs)' % (n / mp, mp))
print('dcmdump -q -M (loadFile, prints):  %6.0f files/s (median %.3fs)' % (n / mb, mb))
print('ratio whole-file probe / dcmdump: %.2fx;  prefix probe / dcmdump: %.2fx' % (mb / ma, mb / mp))
if sys.argv[6]:
    print('ingest scan (read+hash all bytes): %6.0f files/s (median %.3fs); time vs dcmdump: %.2fx'
          % (n / ms, ms, ms / mb))
EOF

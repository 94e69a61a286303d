#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Packaging speed on a DVD-sized drop: N realistic CT slices (512x512x16 bit,
# one slice cloned with equal-length UID patching, as bench/headers.sh does)
# in an ISO image. Alternating runs, each into a fresh output folder, on tmpfs
# (/dev/shm) and on disk:
#   P: ingest package CASE.iso --out OUT
#   X: bsdtar -xf CASE.iso + openssl dgst -sha256 of every file
#   C: cp -r of the extracted tree
#   V: ingest verify of the package (MB/s)
#   bench/package.sh [N=2600] [ROUNDS=3]
# ISO=path keeps the generated image there (and reuses it when it exists).
# INGEST=path uses that binary; otherwise build-rel/ (meson setup build-rel
# -Dbuildtype=release, no sanitizers) is built.
set -euo pipefail

N=${1:-2600}
ROUNDS=${2:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${INGEST:-}" ]; then
	[ -d "$SRC/build-rel" ] || meson setup "$SRC/build-rel" "$SRC" -Dbuildtype=release >/dev/null
	ninja -C "$SRC/build-rel" tools/ingest >/dev/null
	INGEST=$SRC/build-rel/tools/ingest
fi
DISK=${DISK:-/var/tmp}
GEN=$(mktemp -d "$DISK/bench-package-gen.XXXXXX")
trap 'rm -rf "$GEN" /dev/shm/bench-package-run.* "$DISK"/bench-package-run.*' EXIT

if [ -n "${ISO:-}" ] && [ -f "$ISO" ]; then
	cp "$ISO" "$GEN/CASE.iso"
else
/usr/bin/python3 - "$GEN" "$N" <<'PYEOF'
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
(0008,0030) TM [101500]
(0008,0050) SH [A20240105001]
(0008,0060) CS [CT]
(0008,0070) LO [ACME Medical]
(0008,0080) LO [General Hospital]
(0008,0090) PN [Referring^Doctor]
(0008,1030) LO [CT CHEST ABDOMEN PELVIS W CONTRAST]
(0008,103e) LO [AXIAL 1.25 STANDARD]
(0010,0010) PN [Doe^Jane]
(0010,0020) LO [PID0001234]
(0010,0030) DA [19600229]
(0010,0040) CS [F]
(0018,0015) CS [CHEST]
(0018,0050) DS [1.25]
(0018,0088) DS [1.25]
(0020,000d) UI [1.2.826.0.1.3680043.9.7433.77.2]
(0020,000e) UI [1.2.826.0.1.3680043.9.7433.77.3]
(0020,0010) SH [1]
(0020,0011) IS [2]
(0020,0013) IS [000000]
(0020,0032) DS [-200.000\-200.000\-100.000]
(0020,0037) DS [1\0\0\0\1\0]
(0020,0052) UI [1.2.826.0.1.3680043.9.7433.77.4]
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
old_uid = uid.encode()
assert data.count(old_uid) == 2  # meta + dataset
in_at = data.index(b'\x20\x00\x13\x00IS\x06\x00' + b'000000') + 8
root = os.path.join(work, 'tree', 'DICOM')
for i in range(n):
    d = os.path.join(root, 'S%07d' % (i // 500))
    os.makedirs(d, exist_ok=True)
    b = bytearray(data.replace(old_uid, uid[:-6].encode() + b'%06d' % i))
    b[in_at:in_at + 6] = b'%06d' % i
    with open(os.path.join(d, 'I%07d' % i), 'wb') as f:
        f.write(b)
PYEOF
xorriso -as mkisofs -quiet -R -J -o "$GEN/CASE.iso" "$GEN/tree" 2>/dev/null
rm -rf "$GEN/tree"
[ -n "${ISO:-}" ] && cp "$GEN/CASE.iso" "$ISO"
fi
SIZE=$(stat -c %s "$GEN/CASE.iso")
echo "drop: CASE.iso, $N DICOM files, $((SIZE / 1000000)) MB; ingest: $INGEST"
cat "$GEN/CASE.iso" >/dev/null   # in the page cache for everyone

now() { date +%s.%N; }
declare -A T
for r in $(seq 1 "$ROUNDS"); do
	for where in shm disk; do
		base=$([ $where = shm ] && echo /dev/shm || echo "$DISK")
		run=$(mktemp -d "$base/bench-package-run.XXXXXX")
		t0=$(now)
		"$INGEST" package "$GEN/CASE.iso" --out "$run/out" >/dev/null
		t1=$(now)
		mkdir "$run/x"
		bsdtar -xf "$GEN/CASE.iso" -C "$run/x"
		find "$run/x" -type f -print0 | xargs -0 -n 256 openssl dgst -sha256 >/dev/null
		sync -f "$run/x"
		t2=$(now)
		cp -r "$run/x" "$run/copy"
		sync -f "$run/copy"
		t3=$(now)
		"$INGEST" verify -q "$run/out/pending/CASE"
		t4=$(now)
		T[$where,P]+="$(echo "$t1 - $t0" | bc -l) "
		T[$where,X]+="$(echo "$t2 - $t1" | bc -l) "
		T[$where,C]+="$(echo "$t3 - $t2" | bc -l) "
		T[$where,V]+="$(echo "$t4 - $t3" | bc -l) "
		printf 'round %d %-4s package %.2fs  bsdtar+openssl %.2fs  cp -r %.2fs  verify %.2fs\n' "$r" "$where" \
			"$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$(echo "$t3 - $t2" | bc -l)" \
			"$(echo "$t4 - $t3" | bc -l)"
		rm -rf "$run"
	done
done
for where in shm disk; do
	/usr/bin/python3 - "$where" "$SIZE" "${T[$where,P]}" "${T[$where,X]}" "${T[$where,C]}" "${T[$where,V]}" <<'PYEOF'
import statistics, sys
where, size = sys.argv[1], int(sys.argv[2])
p, x, c, v = (statistics.median(float(t) for t in s.split()) for s in sys.argv[3:7])
print('%-4s median: package %.2fs | bsdtar -xf + openssl sha256 %.2fs (package/that %.2fx) | '
      'cp -r %.2fs (package/cp %.2fx) | verify %.0f MB/s' % (where, p, x, p / x, c, p / c, size / 1e6 / v))
PYEOF
done

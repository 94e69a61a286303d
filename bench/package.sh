#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Packaging speed on a DVD-sized drop: N realistic CT slices (512x512x16 bit,
# one slice cloned with equal-length UID patching: bench/lib/gen.py ct)
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
/usr/bin/python3 "$SRC/bench/lib/gen.py" ct "$GEN/tree" --count "$N" >/dev/null
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

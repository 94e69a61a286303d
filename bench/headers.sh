#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# DICOM header reading speed: dcm_read_header() (tests/dcm/dcm-probe, built
# in build-bench/, a release build without sanitizers) against DCMTK's dcmdump, each over the same
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
	# the probe as the tests build it, in the release build bench/run.sh uses
	BUILD=$SRC/build-bench
	[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$SRC" -Dbuildtype=release >/dev/null
	ninja -C "$BUILD" tests/dcm/dcm-probe >/dev/null
	PROBE=$BUILD/tests/dcm/dcm-probe
fi

# One realistic CT slice: 512x512x16 bit, about 60 header elements.
# N realistic CT slices (512x512x16 bit), cloned with distinct UIDs (bench/lib/gen.py).
/usr/bin/python3 "$SRC/bench/lib/gen.py" ct "$WORK/files" --count "$N" >/dev/null

mapfile -t FILES < <(find "$WORK/files" -type f -name "*.dcm" | sort)
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

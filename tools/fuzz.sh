#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# SECONDS (default 60), seeded from tests/fuzz/<target>/ and from inputs
# derived from the fixtures at run time (archives and disc images made from
# them, their case.yaml and link files, the manifests of a bag that
# `ingest package` builds from them, their documents' text).
# JOBS targets run at a time (default 1; 2 on a two-core machine is right);
# NOBUILD=1 runs the fuzzers as built (no ninja first).
# FUZZ_FLAGS adds libFuzzer options (e.g. -detect_leaks=0 to look past a
# known leak in a library).
# Crashes are written to build-fuzz/artifacts/<target>/; once fixed, copy the
# input into tests/fuzz/<target>/crash-<name> so `meson test` replays it.
#   [JOBS=N] [FUZZ_FLAGS=...] tools/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
jobs=${JOBS:-1}
# The fuzz targets live with the tests, which need the test hooks (docs/test-hooks.md).
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dtest-hooks=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized
elif ! grep -q 'INGEST_TEST_HOOKS 1' build-fuzz/build-config.h; then
	meson setup --reconfigure build-fuzz -Dtest-hooks=true
fi
targets=${*:-$(cd tests/fuzz && ls -d fuzz-*/ | tr -d /)}
# only what is run (the fuzzers, and ingest for the bag seeds); NOBUILD=1 runs what is built
[ -n "${NOBUILD:-}" ] || ninja -C build-fuzz $(for t in $targets; do printf 'tests/fuzz/%s ' "$t"; done) tools/ingest >/dev/null
seeds=$(mktemp -d /tmp/ingest-fuzz-seeds.XXXXXX)
trap 'rm -rf "$seeds"' EXIT
fx=$seeds/fx/drops
/usr/bin/python3 fixtures/gen-fixtures.py "$seeds/fx" >/dev/null

# Archives and disc images of a few fixture files, in every format we open.
expand_seeds() {
	src=$seeds/arc-src
	mkdir -p "$src/DICOM" "$1"
	find "$fx/CASE-DEMO-2" -name 'slice0[12].dcm' -exec cp -t "$src/DICOM" {} +
	cp "$fx/CASE-DEMO-1/discharge_summary.txt" "$fx/CASE-DEMO-1/case.yaml" "$fx/CASE-DEMO-1/links.txt" "$src/"
	cp "$fx/CASE-DEMO-1/portal_download.zip" "$1/portal.zip"
	(cd "$src" && /usr/bin/python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for d, _, fs in os.walk("."):
        for f in fs: z.write(os.path.join(d, f))' "$1/fixtures.zip")
	tar -C "$src" -czf "$1/fixtures.tar.gz" .
	tar -C "$src" -cJf "$1/fixtures.tar.xz" .
	tar -C "$src" -cjf "$1/fixtures.tar.bz2" .
	(cd "$src" && find . | bsdtar --format newc -cf "$1/fixtures.cpio" -T -) 2>/dev/null || true
	(cd "$src" && 7z a -bd "$1/fixtures.7z" . >/dev/null 2>&1) || true
	xorriso -as mkisofs -quiet -no-pad -J -R -o "$1/fixtures.iso" "$src" 2>/dev/null || true
	genisoimage -quiet -udf -o "$1/fixtures-udf.iso" "$src" 2>/dev/null || true
}

# The three manifests of a bag built from a fixture drop, cut as fuzz-manifest reads them.
manifest_seeds() {
	mkdir -p "$1"
	./build-fuzz/tools/ingest package "$fx/CASE-DEMO-2" --out "$seeds/out" --case-id FZ --no-fetch >/dev/null 2>&1 || return 0
	bag=$(find "$seeds/out" -maxdepth 2 -type d -name FZ | head -1)
	[ -n "$bag" ] || return 0
	{ cat "$bag/manifest-sha256.txt"; printf '\f'; cat "$bag/tagmanifest-sha256.txt" 2>/dev/null; printf '\f'
	  cat "$bag/bag-info.txt" 2>/dev/null; } >"$1/fixture-bag"
}

run_one() {
	t=$1
	corpus=build-fuzz/corpus/$t
	mkdir -p "$corpus" "build-fuzz/artifacts/$t"
	cp tests/fuzz/"$t"/* "$corpus"/ 2>/dev/null || true
	case $t in
	fuzz-dcm-header) find "$fx" -type f -path '*DICOM*' | head -50 | xargs -r cp -t "$corpus" 2>/dev/null || true ;;
	fuzz-identify) find "$fx" -type f \( -name '*.pdf' -o -name '*.txt' -o -name '*.jpg' \) | xargs -r cp -t "$corpus" 2>/dev/null || true ;;
	fuzz-rules) cp rules/*.yaml "$corpus"/ ;;
	fuzz-expand) cp "$seeds"/arc/* "$corpus"/ 2>/dev/null || true ;;
	fuzz-caseyaml) n=0; for f in $(find "$fx" -name case.yaml); do n=$((n + 1)); cp "$f" "$corpus/fixture-case-$n.yaml"; done ;;
	fuzz-linkfile) n=0; for f in $(find "$fx" -name links.txt -o -name '*.url' -o -name '*.webloc'); do
			n=$((n + 1)); cp "$f" "$corpus/fixture-link-$n"; done ;;
	fuzz-manifest) cp "$seeds"/bag/* "$corpus"/ 2>/dev/null || true ;;
	fuzz-findings) find "$fx" -type f -name '*.txt' | head -20 | xargs -r cp -t "$corpus" 2>/dev/null || true
		n=0; for f in $(find "$fx" -type f -name '*.pdf' | head -20); do
			n=$((n + 1)); pdftotext -q "$f" "$corpus/fixture-pdf-$n.txt" 2>/dev/null || true; done ;;
	esac
	# Per-target input size cap (libFuzzer's default is the largest seed).
	# fuzz-identify: scan.c hands identification only the first 64 KiB of a
	# file (HEAD_BYTES), which also holds a UDF volume recognition sequence
	# (sectors 16-31); the fixture PDFs (100+ KiB) otherwise make every
	# mutation pay libmagic and the classifier on bytes a scan never shows them.
	# fuzz-expand keeps the default: a UDF image needs its anchor at sector 256.
	# Its malloc limit is raised: libarchive's cpio reader asks for a
	# read-ahead as large as a newc header's name size (up to 4 GiB, a 2.5 GB
	# malloc from tests/fuzz/fuzz-expand/oom-cpio-namesize-2g); in the daemon
	# the worker's RLIMIT_AS bounds it and the archive becomes a problem.
	case $t in
	fuzz-identify) maxlen=-max_len=65536 ;;
	fuzz-expand) maxlen=-malloc_limit_mb=4096 ;;
	*) maxlen= ;;
	esac
	log=build-fuzz/artifacts/$t/last.log
	start=$(date +%s)
	if ./build-fuzz/tests/fuzz/"$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 $maxlen ${FUZZ_FLAGS:-} \
		-artifact_prefix="build-fuzz/artifacts/$t/" "$corpus" >"$log" 2>&1; then
		result=ok
	else
		result="CRASH (see $log)"
	fi
	runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
	[ -n "$runs" ] || runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
	took=$(($(date +%s) - start))
	printf '%-18s %12s %8s %s\n' "$t" "$runs" "$took" "$result"
}

case " $targets " in *" fuzz-expand "*) expand_seeds "$seeds/arc" ;; esac
case " $targets " in *" fuzz-manifest "*) manifest_seeds "$seeds/bag" ;; esac
printf '%-18s %12s %8s %s\n' target executions seconds result
i=0
for t in $targets; do
	run_one "$t" &
	i=$((i + 1))
	if [ "$i" -ge "$jobs" ]; then
		wait
		i=0
	fi
done
wait

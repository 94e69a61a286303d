#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# SECONDS (default 60), seeded from tests/fuzz/<target>/ and the fixtures.
# Crashes are written to build-fuzz/artifacts/<target>/; once fixed, copy the
# input into tests/fuzz/<target>/crash-<name> so `meson test` replays it.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized
fi
meson compile -C build-fuzz >/dev/null
targets=${*:-$(cd tests/fuzz && ls -d fuzz-*/ | tr -d /)}
seeds=$(mktemp -d /tmp/ingest-fuzz-seeds.XXXXXX)
trap 'rm -rf "$seeds"' EXIT
/usr/bin/python3 fixtures/gen-fixtures.py "$seeds/fx" >/dev/null
printf '%-18s %12s %8s %s\n' target executions seconds result
for t in $targets; do
	corpus=build-fuzz/corpus/$t
	mkdir -p "$corpus" "build-fuzz/artifacts/$t"
	cp tests/fuzz/"$t"/* "$corpus"/ 2>/dev/null || true
	case $t in
	fuzz-dcm-header) find "$seeds/fx" -type f -path '*DICOM*' | head -50 | xargs -r cp -t "$corpus" 2>/dev/null || true ;;
	fuzz-identify) find "$seeds/fx" -type f \( -name '*.pdf' -o -name '*.txt' -o -name '*.jpg' \) | xargs -r cp -t "$corpus" 2>/dev/null || true ;;
	fuzz-rules) cp rules/*.yaml "$corpus"/ ;;
	esac
	log=build-fuzz/artifacts/$t/last.log
	if ./build-fuzz/tests/fuzz/"$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="build-fuzz/artifacts/$t/" "$corpus" >"$log" 2>&1; then
		result=ok
	else
		result="CRASH (see $log)"
	fi
	runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
	printf '%-18s %12s %8s %s\n' "$t" "$runs" "$secs" "$result"
done

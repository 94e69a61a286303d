#!/bin/sh
# Installs the Debian packages, builds with -Dwerror=true, ASan+UBSan and the
# test hooks (build-dev.ini), and runs the whole test suite. Extra arguments go
# to meson test.
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
if [ ! -f build-test/build.ninja ]; then
	meson setup build-test --native-file build-dev.ini
elif ! grep -q 'INGEST_TEST_HOOKS 1' build-test/build-config.h; then
	# set up before the test hooks were an option (docs/test-hooks.md)
	meson setup --reconfigure build-test --native-file build-dev.ini -Dtest-hooks=true
fi
meson compile -C build-test
# clang refuses a goto that jumps over a _cleanup_ variable's initialisation
# (gcc accepts it and the cleanup frees garbage on that path): compile the
# library and the programs with clang too.
if [ ! -f build-clang/build.ninja ]; then
	CC=clang CXX=clang++ meson setup build-clang >/dev/null
fi
ninja -C build-clang libingest/libingest.a tools/ingest daemon/ingestd >/dev/null
meson test -C build-test --print-errorlogs --num-processes 2 "$@"

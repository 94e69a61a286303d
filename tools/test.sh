#!/bin/sh
# Installs the Debian packages, builds with -Dwerror=true and ASan+UBSan
# (build-dev.ini), and runs the whole test suite. Extra arguments go to meson test.
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
if [ ! -f build-test/build.ninja ]; then
	meson setup build-test --native-file build-dev.ini
fi
meson compile -C build-test
meson test -C build-test --print-errorlogs --num-processes 2 "$@"

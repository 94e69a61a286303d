#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# kill -9 rounds against ingestd (tests/daemon/test-crash.py): N rounds of
# start / drop cases / SIGKILL at a random moment / restart, then checks that
# every drop was published exactly once, every bag verifies, work/ is empty and
# every input is in archive/ or quarantine/.
#   usage: bench/crash.sh [N=200] [SEED] [BUILD_DIR=build]
# BUILD_DIR configured with -Dtest-hooks=true: the daemon finds the source
# tree's rules through INGEST_TEST_RULES_DIR (docs/test-hooks.md).
set -eu
cd "$(dirname "$0")/.."
n=${1:-200}
seed=${2:-$(date +%s)}
build=${3:-build}
[ -x "$build/daemon/ingestd" ] || { echo "build first: meson compile -C $build" >&2; exit 2; }
start=$(date +%s)
INGEST_SOURCE_ROOT=$PWD INGEST_BUILD_ROOT=$PWD/$build INGEST_BIN=$PWD/$build/tools/ingest \
	INGEST_TEST_RULES_DIR=$PWD/rules /usr/bin/python3 tests/daemon/test-crash.py "$n" "$seed"
echo "crash bench: $n rounds in $(( $(date +%s) - start )) s"

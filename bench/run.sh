#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The benchmark suite (bench/README.md): generates a DVD-sized drop and a
# many-small-files drop at several sizes, then times, side by side, `ingest
# package`, `bsdtar -xf`, `bsdtar -xf` + sha256 of every file, dcmdump of
# every file and `cp -r` of the tree, on tmpfs and on disk, and prints one table.
#   bench/run.sh [--quick] [--sizes 0.25,0.5,1,2] [--rounds N] [--out tmpfs|disk|both]
#                [--drops dvd,small] [--tools ingest,bsdtar,...] [--keep] [--dry-run]
# INGEST=path uses that binary; otherwise build-bench/ (a release build, no
# sanitizers) is set up if missing and tools/ingest built in it.
# BENCH_DISK_DIR (default /var/tmp) and BENCH_SHM_DIR (default /dev/shm) say where.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${INGEST:-}" ]; then
	BUILD=$SRC/build-bench
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$SRC" -Dbuildtype=release >/dev/null
	fi
	ninja -C "$BUILD" tools/ingest >/dev/null
	INGEST=$BUILD/tools/ingest
fi
exec /usr/bin/python3 "$SRC/bench/lib/bench.py" --ingest "$INGEST" "$@"

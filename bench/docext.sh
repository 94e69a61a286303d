#!/bin/sh
# Throughput of the confined document extractor: text PDFs/s and OCR pages/s.
# Usage: bench/docext.sh [BUILD_DIR]   (use a build without sanitizers for figures,
# with -Dtest-hooks=true: the driver is one of the tests, docs/test-hooks.md)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
ninja -C "$build" tests/docext/test-docext >/dev/null
exec /usr/bin/python3 "$here/tests/docext/run.py" "$build/tests/docext/test-docext" bench

#!/bin/sh
# Installs the Debian packages, builds, and runs the demo: generates the
# fixture drops into a temporary inbox and prints what ingest finds in them.
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build
fi
meson compile -C build
demo=$(mktemp -d /tmp/ingestd-demo.XXXXXX)
/usr/bin/python3 fixtures/gen-fixtures.py "$demo" >/dev/null
for drop in "$demo"/drops/*; do
	echo "================================================================"
	echo "ingest scan $drop"
	echo "================================================================"
	./build/tools/ingest scan "$drop"
	echo
done
echo "Demo inbox: $demo/drops (JSON: ./build/tools/ingest scan --json DROP)"

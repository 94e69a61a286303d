#!/bin/sh
# A/B of the confined document extractor: text PDFs per second and seconds per
# scanned (OCR'd) page, of a reference commit (A) and HEAD (B), release builds,
# run alternately (A B B A ...) on one machine so that its load hits both alike.
# Usage: bench/docs-ab.sh [REF [ROUNDS]]   (REF default: main; ROUNDS default 5)
# Inputs (tests/docext/gen.py and layoutpdf.py): set "report" is the 3-page
# text PDF of the docext tests, set "table" a table page plus a two-column
# page; each run also OCRs the scanned lab-sheet PDF 3 times (test-docext bench).
# The builds stay in BENCH_AB_DIR (default /var/tmp/ingest-docs-ab) and are
# reused while their commit is the same.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-main}
rounds=${2:-5}
py=/usr/bin/python3
work=${BENCH_AB_DIR:-/var/tmp/ingest-docs-ab}
mkdir -p "$work"

build() { # COMMIT DIR
	c=$(git -C "$here" rev-parse "$1^{commit}")
	if [ -x "$2/build/tests/docext/test-docext" ] && [ "$(cat "$2/commit" 2>/dev/null)" = "$c" ]; then
		return
	fi
	rm -rf "$2"
	mkdir -p "$2"
	git -C "$here" archive "$c" | tar -x -C "$2"
	meson setup "$2/build" "$2" -Dbuildtype=release -Dtest-hooks=true >/dev/null
	ninja -C "$2/build" tests/docext/test-docext >/dev/null
	echo "$c" >"$2/commit"
}
echo "building $ref and HEAD (release)..." >&2
build "$ref" "$work/a"
build HEAD "$work/b"

for set in report table; do
	mkdir -p "$work/in-$set"
	$py "$here/tests/docext/gen.py" image-pdf "$work/in-$set/image-pdf"
done
$py "$here/tests/docext/gen.py" text-pdf "$work/in-report/text-pdf"
$py "$here/tests/docext/gen.py" table-pdf "$work/in-table/text-pdf"

run() { # SIDE SET
	"$work/$1/build/tests/docext/test-docext" bench "$work/in-$2" 2>/dev/null |
		sed -n "s/^FIGURE text PDFs.*: \([0-9.]*\) documents\/s/$1 $2 text \1/p;
		        s/^FIGURE scanned PDF pages.*(\([0-9.]*\) s\/page)/$1 $2 ocr \1/p"
}
i=0
while [ "$i" -lt "$rounds" ]; do
	for set in report table; do
		if [ $((i % 2)) -eq 0 ]; then run a $set; run b $set; else run b $set; run a $set; fi
	done
	i=$((i + 1))
done >"$work/figures"
$py - "$work/figures" "$ref" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(side, s, what):
    v = [float(r[3]) for r in rows if r[0] == side and r[1] == s and r[2] == what]
    return statistics.median(v), len(v)
for s in ("report", "table"):
    a, n = med("a", s, "text"); b, _ = med("b", s, "text")
    print(f"text PDFs/s, set {s}: {sys.argv[2]} {a:.1f}, HEAD {b:.1f}, HEAD/{sys.argv[2]} {b / a:.2f} (median of {n})")
for s in ("report", "table"):
    a, n = med("a", s, "ocr"); b, _ = med("b", s, "ocr")
    print(f"OCR s/page, set {s}: {sys.argv[2]} {a:.2f}, HEAD {b:.2f}, HEAD/{sys.argv[2]} {b / a:.2f} (median of {n})")
PY

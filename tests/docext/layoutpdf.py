# SPDX-License-Identifier: GPL-3.0-or-later
"""PDFs whose text runs sit at given x, y positions, for the extractor's
layout tests: a table (marker, clone, result, reference in columns) and a
two-column page. Uses fixtures/pdfgen.py's pdf_bytes (object writer) only.

    runs: list of (x, y, size, text) in points, y from the top of an A4 page.
"""

import os
import sys

ROOT = os.environ.get("INGEST_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import pdfgen  # noqa: E402

PAGE_W, PAGE_H = 595, 842


def _esc(s):
    b = s.encode("latin-1", "replace")
    return b.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_runs(pages):
    """pages: list of lists of (x, y, size, text). Helvetica, WinAnsi."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for runs in pages:
        c = bytearray()
        for x, y, size, text in runs:
            c += b"BT /F1 %g Tf %g %g Td (" % (size, x, PAGE_H - y) + _esc(text) + b") Tj ET\n"
        n = len(objs) + 1
        kids.append(b"%d 0 R" % n)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                    b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (PAGE_W, PAGE_H, n + 1))
        objs.append(b"<< /Length %d >>\nstream\n" % len(c) + bytes(c) + b"\nendstream")
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(pages)
    return pdfgen.pdf_bytes(objs)


# The table: header, then rows; columns at fixed x. The result column is what
# a reader must keep on its row.
TABLE_COLS = (56, 190, 290, 430)
TABLE_ROWS = [
    ("Marker", "Clone", "Result", "Reference"),
    ("ER", "SP1", "positive (90%)", "> 1%"),
    ("PR", "1E2", "negative", "> 1%"),
    ("HER2", "4B5", "1+", "0-3+"),
    ("Ki-67", "MIB-1", "20%", "< 14%"),
]


def table_page():
    runs = [(56, 60, 14, "IMMUNOHISTOCHEMISTRY"),
            (56, 84, 10, "Specimen A: left breast, core biopsy.")]
    y = 120
    for row in TABLE_ROWS:
        for x, cell in zip(TABLE_COLS, row):
            runs.append((x, y, 10, cell))
        y += 16
    # A sentence after the table: words, no cells.
    runs.append((56, y + 20, 10, "Comment: staining adequate, controls as expected."))
    return runs


# Two columns of prose; the lines of both columns share baselines.
LEFT = ["The tumour measures 22 mm", "in greatest dimension and", "is an invasive carcinoma."]
RIGHT = ["Lymph nodes: 0 of 3 are", "involved by carcinoma. No", "vascular invasion is seen."]


def two_column_page():
    runs = []
    y = 80
    for a, b in zip(LEFT, RIGHT):
        runs.append((56, y, 10, a))
        runs.append((320, y, 10, b))
        y += 14
    return runs


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "table-pdf":
        data = pdf_runs([table_page(), two_column_page()])
    else:
        sys.exit("unknown kind " + kind)
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

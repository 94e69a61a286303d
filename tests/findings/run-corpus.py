#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""meson test findings-corpus: generate the gold corpus into a fresh temporary
folder (fixtures/corpus/gen-corpus.py, deterministic) and score what
`ingest scan` reads from it (score-corpus.py). Arguments after the
generator's name go to the scorer (floors); INGEST_CORPUS_KEEP=DIR keeps the
corpus and the full listing in DIR."""

import os
import shutil
import subprocess
import sys
import tempfile

src = os.environ["INGEST_SOURCE_ROOT"]
gen = sys.argv[1]
tmp = os.environ.get("INGEST_CORPUS_KEEP") or tempfile.mkdtemp(prefix="ingest-corpus-")
try:
    subprocess.run(["/usr/bin/python3", os.path.join(src, "fixtures", "corpus", gen), tmp], check=True,
                   stdout=subprocess.DEVNULL)
    r = subprocess.run(["/usr/bin/python3", os.path.join(src, "tests", "findings", "score-corpus.py"),
                        "--ingest", os.environ["INGEST_BIN"], "--rules", os.path.join(src, "rules"),
                        "--docs", os.path.join(tmp, "docs"), "--gold", os.path.join(tmp, "gold"),
                        "--report", os.path.join(tmp, "score.txt")] + sys.argv[2:])
    sys.exit(r.returncode)
finally:
    if not os.environ.get("INGEST_CORPUS_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)

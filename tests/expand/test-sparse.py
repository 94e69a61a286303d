#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sparse tar entries: the holes are the entry's bytes too (zeros), also a
hole at the very end, which libarchive reports only by the offset it gives
with the end of the entry. Each entry must come out with its size and the
SHA-256 of the file it was made from, and no problem; in GNU and in pax
(1.0) sparse formats, the tar as a drop file (read where it lies) and inside
a gzip stream (read through libarchive's own buffers).

Holes count towards the expansion ratio like any other byte: a tar.gz of a
few hundred bytes that unfolds into a gigabyte hole is a bomb, and is
stopped with a limit problem while its siblings are kept. The data pieces
are random so the legitimate archives stay well under the ratio."""

import gzip
import hashlib
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expandlib import check, files, finish, problems, scan  # noqa: E402

MIB = 1 << 20


def sparse_file(path, pieces, size):
    """pieces: [(offset, bytes)]; the file is size bytes, zeros elsewhere (holes)."""
    with open(path, "wb") as f:
        f.truncate(size)
        for off, data in pieces:
            f.seek(off)
            f.write(data)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    with tempfile.TemporaryDirectory(prefix="ingest-sparse.") as tmp:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        # a hole at the end (the case libarchive tells only with its end), in the middle, at the start
        rnd = random.Random(8)
        data = lambda n: rnd.randbytes(n)  # noqa: E731
        sparse_file(os.path.join(src, "tail_hole.bin"), [(0, data(5000))], 3 * MIB)
        sparse_file(os.path.join(src, "mid_hole.bin"), [(0, data(4096)), (2 * MIB, data(4096))], 2 * MIB + 4096)
        sparse_file(os.path.join(src, "head_hole.bin"), [(MIB, data(10000))], MIB + 10000)
        want = {n: (os.path.getsize(os.path.join(src, n)), sha(os.path.join(src, n))) for n in os.listdir(src)}
        for fmt in ("gnu", "pax"):
            tarp = os.path.join(tmp, "sparse-%s.tar" % fmt)
            subprocess.run(["tar", "--sparse", "--format=" + fmt, "-cf", tarp, "-C", src] + sorted(want),
                           check=True)
            gz = tarp + ".gz"
            with open(tarp, "rb") as fi, gzip.open(gz, "wb") as fo:
                fo.write(fi.read())
            for path in (tarp, gz):
                doc = scan(path, as_folder=False)
                got = {os.path.basename(f["path"]): f for f in files(doc).values()}
                for name, (size, digest) in want.items():
                    f = got.get(name)
                    if not check(f is not None, "%s: %s not listed: %r" % (path, name, sorted(got))):
                        continue
                    check(f.get("bytes") == size, "%s: %s bytes %r, expected %d" % (path, name, f.get("bytes"), size))
                    check(f.get("sha256") == digest, "%s: %s sha256 %r, expected %s"
                          % (path, name, f.get("sha256"), digest))
                probs = [p for p in problems(doc).values() if os.path.basename(p["path"]) in want]
                check(not probs, "%s: problems %r" % (path, probs))

        # the bomb: 1 GiB of hole beside a small ordinary file, in a tar.gz
        bomb = os.path.join(tmp, "bomb")
        os.mkdir(bomb)
        sparse_file(os.path.join(bomb, "hole.bin"), [(0, b"x")], 1 << 30)
        with open(os.path.join(bomb, "note.txt"), "wb") as f:
            f.write(data(3000))
        tarp = os.path.join(tmp, "bomb.tar")
        subprocess.run(["tar", "--sparse", "--format=pax", "-cf", tarp, "-C", bomb, "note.txt", "hole.bin"],
                       check=True)
        with open(tarp, "rb") as fi, gzip.open(tarp + ".gz", "wb") as fo:
            fo.write(fi.read())
        doc = scan(tarp + ".gz", as_folder=False)
        got = {os.path.basename(f["path"]): f for f in files(doc).values()}
        check("note.txt" in got and got["note.txt"].get("sha256") is not None,
              "bomb: the ordinary file before the bomb is kept: %r" % sorted(got))
        probs = problems(doc)
        check(probs.get("bomb.tar.gz", {}).get("code") == "limit"
              and "1000 times" in probs["bomb.tar.gz"].get("message", ""),
              "bomb: the archive's ratio limit problem expected: %r" % probs)
        check(probs.get("hole.bin", {}).get("code") == "limit", "bomb: hole.bin stopped expected: %r" % probs)
        check("hole.bin" not in got or got["hole.bin"].get("sha256") is None,
              "bomb: the stopped file must not be listed with a digest: %r" % got.get("hole.bin"))
    finish()


if __name__ == "__main__":
    main()

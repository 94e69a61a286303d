# SPDX-License-Identifier: GPL-3.0-or-later
"""Password-protected archives and case.yaml's passwords (SPEC §3, #21).

    test-passwords.py EXPAND_SCAN

Archives made here with Debian's zip (traditional PKWARE encryption, zip -P)
and p7zip (zip with AES-256, and a 7z with its header encrypted), in a folder
drop with a case.yaml listing passwords. `ingest scan` must open the ones a
password fits, say plainly which it could not open without quoting any
password, and `ingest package` must leave no password in the package, the
report or anything it printed. And as the daemon scans a case (its case
store: one folder per drop, expand-scan -c): an encrypted zip of a first drop
opens once a second drop brings a case.yaml with its password.
"""

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

BIN = os.environ.get("INGEST_BIN")
failures = []

PW_ZIPCRYPTO = "S3cr3t-ZC!x"
PW_AES = "Aes-Pw#77 long"
PW_UNUSED = "unused-Qq9"
PW_OTHER = "nobody-knows-it"
REPORT = b"Pathology report\nHER2 negative\n"


def check(cond, msg):
    if not cond:
        sys.stderr.write("FAIL: %s\n" % msg)
        failures.append(msg)
    return cond


def run(*args, cwd=None):
    r = subprocess.run(list(args), cwd=cwd, capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.stderr.write(r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
    return r


def make(tmp, drop, with_yaml=True):
    os.makedirs(drop)
    src = os.path.join(tmp, "src")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "report.txt"), "wb") as f:
        f.write(REPORT)
    z = lambda *a: run(*a, cwd=src)
    check(z("zip", "-q", "-P", PW_ZIPCRYPTO, os.path.join(drop, "Biopsy.zip"), "report.txt").returncode == 0, "zip -P")
    check(z("7z", "a", "-tzip", "-p" + PW_AES, "-mem=AES256", os.path.join(drop, "Aes.zip"),
            "report.txt").returncode == 0, "7z AES zip")
    check(z("zip", "-q", "-P", PW_OTHER, os.path.join(drop, "Other.zip"), "report.txt").returncode == 0, "zip -P other")
    check(z("7z", "a", "-p" + PW_AES, "-mhe=on", os.path.join(drop, "Seven.7z"), "report.txt").returncode == 0, "7z")
    if with_yaml:
        with open(os.path.join(drop, "case.yaml"), "w") as f:
            f.write('cancer_type: breast\npasswords:\n  - "%s"\n  - "%s"\n  - "%s"\n' % (PW_UNUSED, PW_ZIPCRYPTO, PW_AES))


def scan(drop):
    r = run(BIN, "scan", "--json", drop)
    check(r.returncode == 0, "ingest scan exited %d" % r.returncode)
    d = json.loads(r.stdout)
    files = {f["path"]: f for f in d["inventory"]["files"]}
    probs = {p["path"]: p for p in d["problems"]}
    return d, files, probs, r


def secrets_in(blob):
    return [p for p in (PW_ZIPCRYPTO, PW_AES, PW_UNUSED, PW_OTHER) if p.encode() in blob]


def zipcrypto_passes(pw, header, check_byte):
    """Whether PW passes traditional PKWARE encryption's one-byte check on an
    entry whose 12-byte encryption HEADER is given (APPNOTE 6.1.6)."""
    k0, k1, k2 = 0x12345678, 0x23456789, 0x34567890

    def upd(k0, k1, k2, c):
        k0 = zlib.crc32(bytes([c]), k0 ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = zlib.crc32(bytes([k1 >> 24]), k2 ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        return k0, k1, k2

    for c in pw:
        k0, k1, k2 = upd(k0, k1, k2, c)
    plain = 0
    for c in header:
        t = (k2 | 2) & 0xFFFF
        plain = c ^ (((t * (t ^ 1)) >> 8) & 0xFF)
        k0, k1, k2 = upd(k0, k1, k2, plain)
    return plain == check_byte


def wrong_but_passing(path):
    """A password that is not the zip's, yet passes the check byte of its
    first entry (about one in 256 does): libarchive then decrypts garbage."""
    z = zipfile.ZipFile(path)
    zi = z.infolist()[0]
    with open(path, "rb") as f:
        f.seek(zi.header_offset)
        h = f.read(30)
        n, m = struct.unpack("<HH", h[26:30])
        f.seek(zi.header_offset + 30 + n + m)
        header = f.read(12)
    t = zi.date_time
    dos_time = (t[3] << 11) | (t[4] << 5) | (t[5] // 2)
    check_byte = (dos_time >> 8) & 0xFF if zi.flag_bits & 8 else (zi.CRC >> 24) & 0xFF
    for i in range(200000):
        pw = "wrong-%d" % i
        if zipcrypto_passes(pw.encode(), header, check_byte):
            return pw, zi.compress_type
    raise RuntimeError("no passing password found")


def lookalike_passwords(tmp):
    """A wrong password that passes the check is "not this one", the next is
    tried; alone, it opens nothing and its garbage is never a case file. Both
    stored and deflated entries; two entries with different passwords."""
    src = os.path.join(tmp, "src-look")
    os.makedirs(src)
    big = REPORT * 400           # deflated (a stored 31-byte file is kept stored)
    with open(os.path.join(src, "report.txt"), "wb") as f:
        f.write(REPORT)
    with open(os.path.join(src, "labs.txt"), "wb") as f:
        f.write(big)
    for name, member, content in (("Stored.zip", "report.txt", REPORT), ("Deflated.zip", "labs.txt", big)):
        drop = os.path.join(tmp, "look-" + name)
        os.makedirs(drop)
        arc = os.path.join(drop, name)
        check(run("zip", "-q", "-P", PW_OTHER, arc, member, cwd=src).returncode == 0, "zip -P " + name)
        wrong, method = wrong_but_passing(arc)
        check(method == (0 if name == "Stored.zip" else 8), "%s: compression %d" % (name, method))
        sha = hashlib.sha256(content).hexdigest()
        # The look-alike first, then the right one: the right one opens it.
        with open(os.path.join(drop, "case.yaml"), "w") as f:
            f.write('passwords: ["%s", "%s"]\n' % (wrong, PW_OTHER))
        d, files, probs, r = scan(drop)
        f = files.get(name + "!/" + member, {})
        check(f.get("sha256") == sha and not probs, "%s, look-alike then right: %r %r" % (name, f, probs))
        # The look-alike alone: encrypted, said plainly; no bytes of garbage kept as a document.
        with open(os.path.join(drop, "case.yaml"), "w") as f:
            f.write('passwords: ["%s"]\n' % wrong)
        d, files, probs, r = scan(drop)
        p = probs.get(name, {})
        check(p.get("code") == "encrypted" and "none of the 1 password in case.yaml opens" in p.get("message", ""),
              "%s, look-alike alone: %r" % (name, p))
        f = files.get(name + "!/" + member, {})
        check(probs.get(name + "!/" + member, {}).get("code") == "encrypted" and f.get("kind") == "unknown"
              and not f.get("sha256"), "%s, look-alike alone, the entry: %r" % (name, f))
        check(wrong.encode() not in r.stdout + r.stderr, "%s: a password in the scan's output" % name)
    # Two entries, two passwords (a portal that adds files later): each opened by its own.
    drop = os.path.join(tmp, "look-two")
    os.makedirs(drop)
    arc = os.path.join(drop, "Two.zip")
    check(run("zip", "-q", "-P", PW_OTHER, arc, "report.txt", cwd=src).returncode == 0, "zip -P two/1")
    check(run("zip", "-q", "-P", PW_ZIPCRYPTO, arc, "labs.txt", cwd=src).returncode == 0, "zip -P two/2")
    with open(os.path.join(drop, "case.yaml"), "w") as f:
        f.write('passwords: ["%s", "%s", "%s"]\n' % (PW_UNUSED, PW_ZIPCRYPTO, PW_OTHER))
    d, files, probs, r = scan(drop)
    check(files.get("Two.zip!/report.txt", {}).get("sha256") == hashlib.sha256(REPORT).hexdigest()
          and files.get("Two.zip!/labs.txt", {}).get("sha256") == hashlib.sha256(big).hexdigest() and not probs,
          "two passwords: %r" % probs)


def main():
    if not BIN:
        sys.stderr.write("INGEST_BIN missing (run through meson test)\n")
        sys.exit(1)
    with tempfile.TemporaryDirectory(prefix="ingest-pw.") as tmp:
        drop = os.path.join(tmp, "case-pw")
        make(tmp, drop)
        d, files, probs, r = scan(drop)
        print(json.dumps({k: (v["code"], v["message"]) for k, v in probs.items()}, indent=1))
        # The right passwords open ZipCrypto and AES entries (their bytes: checked in the package below).
        for arc in ("Biopsy.zip", "Aes.zip"):
            f = files.get(arc + "!/report.txt", {})
            check(f.get("sha256") == hashlib.sha256(REPORT).hexdigest(), "%s: entry not read: %r" % (arc, f))
            check(arc not in probs and arc + "!/report.txt" not in probs, "%s: problem %r" % (arc, probs.get(arc)))
        # A zip none of the passwords opens: said plainly, with how many were tried, none quoted.
        p = probs.get("Other.zip", {})
        check(p.get("code") == "encrypted" and "none of the 3 passwords in case.yaml opens" in p.get("message", "")
              and "right password" in p.get("message", ""), "Other.zip: %r" % p)
        # A 7z whose header is encrypted: libarchive cannot decrypt 7z; said so.
        p = probs.get("Seven.7z", {})
        check(p.get("code") == "encrypted" and "cannot open, even with a password" in p.get("message", ""),
              "Seven.7z: %r" % p)
        check(not secrets_in(r.stdout + r.stderr), "a password in the scan's output: %r" % secrets_in(r.stdout + r.stderr))

        # The package: the documents out of the archives, no password anywhere.
        out = os.path.join(tmp, "out")
        r = run(BIN, "package", drop, "--out", out)
        check(r.returncode == 0, "ingest package exited %d" % r.returncode)
        found, docs = [], 0
        for base, _, names in os.walk(out):
            for n in names:
                path = os.path.join(base, n)
                with open(path, "rb") as f:
                    blob = f.read()
                if secrets_in(blob):
                    found.append(path)
                docs += blob == REPORT
        check(docs >= 1, "no decrypted document in the package")
        check(not found, "a password in the package: %r" % found)
        check(not secrets_in(r.stdout + r.stderr), "a password in what package printed")

        # No case.yaml: the plain advice names the way to give a password.
        drop2 = os.path.join(tmp, "case-nopw")
        make(tmp, drop2, with_yaml=False)
        d, files, probs, r = scan(drop2)
        p = probs.get("Biopsy.zip!/report.txt", {})
        check(p.get("code") == "encrypted" and "case.yaml, passwords" in p.get("message", ""), "no yaml: %r" % p)

        # A bad passwords entry is reported by position, never by value.
        drop3 = os.path.join(tmp, "case-badyaml")
        os.makedirs(drop3)
        with open(os.path.join(drop3, "case.yaml"), "w") as f:
            f.write('passwords:\n  - "%s"\n  - [nested]\n  - "multi\\nline-%s"\n' % ("x" * 300 + PW_UNUSED, PW_OTHER))
        d, files, probs, r = scan(drop3)
        blob = json.dumps(d).encode()
        check(b"longer than 256 bytes" in blob and b"line break" in blob, "bad passwords not reported")
        check(not secrets_in(blob) and b"xxxxxxxxxx" not in blob, "a bad password quoted in the report")
        # The case store: drop 1 an encrypted zip, drop 2 (later) the case.yaml with its password.
        store = os.path.join(tmp, "store")
        make(tmp, os.path.join(store, "000001-scans"), with_yaml=False)
        r = run(sys.argv[1], "-v", "-c", store)
        d = json.loads(r.stdout)
        probs = {p["path"]: p for p in d["problems"]}
        check(probs.get("000001-scans/Biopsy.zip!/report.txt", {}).get("code") == "encrypted",
              "store, before: %r" % probs.get("000001-scans/Biopsy.zip!/report.txt"))
        os.makedirs(os.path.join(store, "000002-password"))
        with open(os.path.join(store, "000002-password", "case.yaml"), "w") as f:
            f.write('passwords: ["%s"]\n' % PW_ZIPCRYPTO)
        r = run(sys.argv[1], "-v", "-c", store)
        d = json.loads(r.stdout)
        files = {f["path"]: f for f in d["inventory"]["files"]}
        probs = {p["path"]: p for p in d["problems"]}
        f = files.get("000001-scans/Biopsy.zip!/report.txt", {})
        check(f.get("bytes") == len(REPORT) and "000001-scans/Biopsy.zip!/report.txt" not in probs,
              "store, after: %r %r" % (f, probs.get("000001-scans/Biopsy.zip!/report.txt")))
        check(b"opened with a password" in r.stderr, "the opening is not logged")
        check(not secrets_in(r.stdout + r.stderr), "a password in the case store scan's output or log")
        lookalike_passwords(tmp)
    if failures:
        sys.stderr.write("%d check(s) failed\n" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fresh install and ingestd --check-config (#20, item 5; SPEC §11).

- no configuration file means every default: `ingestd --check-config` and
  `ingest status` work without one (no "/dev/null" error), and `ingest status`
  looks for the default journal;
- an empty file, or one of comments only, is every default (not "invalid YAML");
- --check-config tries what the daemon will need as its user: a base_dir the
  user cannot write, a missing mail.password_file, a missing rules folder,
  folders drops are renamed between on two filesystems are each a problem
  that says what to do;
- languages are ISO 639-1 codes, mail.to is a list of addresses."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlib  # noqa: E402
from dlib import fail  # noqa: E402

DEFAULT_CONFIG = "/etc/ingestd/ingestd.yaml"
DEFAULT_DB = "/var/lib/ingestd/state.db"
passed = 0


def ok(what):
    global passed
    passed += 1
    print("ok: " + what)


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def check(cfg=None, *extra):
    args = [dlib.INGESTD, "--check-config"] + (["--config", cfg] if cfg else []) + list(extra)
    if os.geteuid() == 0 and "--user" not in extra:
        args += ["--user", "root"]   # not the machine's ingestd user, if it has one
    return run(*args)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def expect_problem(r, words, what):
    out = r.stdout + r.stderr
    if r.returncode != 1 or any(w not in out for w in words):
        fail("%s: wanted exit 1 and %r, got %d:\n%s" % (what, words, r.returncode, out))
    ok(what)


def expect_ok(r, what):
    if r.returncode != 0 or "OK" not in r.stdout:
        fail("%s: wanted OK, got %d:\n%s%s" % (what, r.returncode, r.stdout, r.stderr))
    ok(what)


def defaults_result(r, label, what):
    """--check-config on the defaults: base_dir /var/lib/ingestd, either usable
    by this user (OK) or said to be not (never a failure to read the file)."""
    out = r.stdout + r.stderr
    for bad in ("/dev/null", "not a regular file", "invalid YAML"):
        if bad in out:
            fail("%s: %r in:\n%s" % (what, bad, out))
    if label not in out:
        fail("%s: %r not in:\n%s" % (what, label, out))
    if r.returncode == 0 and "OK" in r.stdout and "/var/lib/ingestd/inbox" in r.stdout:
        ok(what + " (OK)")
    elif r.returncode == 1 and "base_dir (/var/lib/ingestd)" in r.stderr:
        ok(what + " (/var/lib/ingestd not writable by this user, said so)")
    else:
        fail("%s: exit %d:\n%s" % (what, r.returncode, out))


def main():
    root = tempfile.mkdtemp(prefix="ingestd-config.")
    os.chmod(root, 0o755)   # another user (nobody) may look inside
    try:
        # 1. No configuration file at all.
        if os.path.exists(DEFAULT_CONFIG):
            print("skip: %s exists on this machine" % DEFAULT_CONFIG)
        else:
            defaults_result(check(), "(no file: defaults)", "ingestd --check-config with no configuration file")
            r = run(dlib.INGEST, "status")
            if os.path.exists(DEFAULT_DB):
                if r.returncode != 0:
                    fail("ingest status with no configuration: %d %s" % (r.returncode, r.stderr))
            elif r.returncode != 3 or DEFAULT_DB not in r.stderr or "invalid" in r.stderr:
                fail("ingest status with no configuration: wanted exit 3 naming %s, got %d:\n%s" %
                     (DEFAULT_DB, r.returncode, r.stderr))
            ok("ingest status with no configuration file looks for the default journal")

        # 2. An empty file and a file of comments only: every default.
        for name, text in (("empty.yaml", ""), ("comments.yaml", "# ingestd\n\n   # every key commented\n"
                                                                  "#settle_seconds: 10\n")):
            cfg = write(os.path.join(root, name), text)
            defaults_result(check(cfg), cfg, "--check-config on %s" % name)
            r = run(dlib.INGEST, "status", "--config", cfg)
            if os.path.exists(DEFAULT_DB):
                if r.returncode != 0:
                    fail("ingest status --config %s: %d %s" % (name, r.returncode, r.stderr))
            elif r.returncode != 3 or DEFAULT_DB not in r.stderr:
                fail("ingest status --config %s: wanted exit 3 naming %s, got %d:\n%s" %
                     (name, DEFAULT_DB, r.returncode, r.stderr))
            ok("ingest status --config %s finds the default journal" % name)

        base = os.path.join(root, "base")
        os.makedirs(base)

        # 3. languages: ISO 639-1 codes (a region is allowed); mail.to: a list.
        cfg = write(os.path.join(root, "lang.yaml"), "base_dir: %s\nlanguages: [english]\n" % base)
        expect_problem(check(cfg), ["%s:2:13:" % cfg, "english", "ISO 639-1"], "languages: [english] refused")
        cfg = write(os.path.join(root, "lang2.yaml"), "base_dir: %s\nlanguages: [en, xx]\n" % base)
        expect_problem(check(cfg), ["%s:2:17:" % cfg, "\"xx\""], "languages: [xx] refused")
        cfg = write(os.path.join(root, "lang3.yaml"), "base_dir: %s\nlanguages: [de, pt-BR, EN]\n" % base)
        expect_ok(check(cfg), "languages: [de, pt-BR, EN] accepted")
        cfg = write(os.path.join(root, "to.yaml"), "base_dir: %s\nmail:\n  to: a@b.example\n" % base)
        expect_problem(check(cfg), ["%s:3:7:" % cfg, "is a list", "to: [coordinator@example.org]"],
                       "mail.to: a@b.example (not a list) refused")
        cfg = write(os.path.join(root, "to2.yaml"), "base_dir: %s\nmail:\n  to: [a@b.example, not-an-address]\n"
                    % base)
        expect_problem(check(cfg), ["%s:3:21:" % cfg, "not-an-address"], "mail.to with a bad address refused")

        # 4. A password file that is not there.
        pw = os.path.join(root, "smtp-password")
        cfg = write(os.path.join(root, "pw.yaml"), "base_dir: %s\nmail:\n  from: i@test.example\n"
                    "  smtp_url: smtp://127.0.0.1:25\n  user: ingestd\n  password_file: %s\n" % (base, pw))
        expect_problem(check(cfg), ["mail.password_file (%s)" % pw, "cannot read", "chmod 0640"],
                       "a missing mail.password_file is a problem")
        write(pw, "secret\n")
        expect_ok(check(cfg), "the same with the password file there")

        # 4b. delivery: the default destination and the budgets of a delivery, each bounded.
        cfg = write(os.path.join(root, "dl.yaml"), "base_dir: %s\ndelivery:\n  max_seconds: 10\n" % base)
        expect_problem(check(cfg), ["%s:3:16:" % cfg, "delivery.max_seconds"], "delivery.max_seconds: 10 refused")
        cfg = write(os.path.join(root, "dl2.yaml"), "base_dir: %s\ndelivery:\n  retry_first_seconds: 600\n"
                    "  retry_max_seconds: 60\n" % base)
        expect_problem(check(cfg), ["retry_max_seconds", "less than", "retry_first_seconds"],
                       "delivery.retry_max_seconds below retry_first_seconds refused")
        cfg = write(os.path.join(root, "dl3.yaml"), "base_dir: %s\ndelivery:\n  max_retries: 3\n" % base)
        expect_problem(check(cfg), ["%s:3:3:" % cfg, "unknown key \"delivery.max_retries\"", "max_attempts"],
                       "an unknown delivery key refused, the known ones named")
        cfg = write(os.path.join(root, "dl4.yaml"), "base_dir: %s\ndelivery:\n  max_seconds: 3600\n  max_bytes: 8G\n"
                    "  max_attempts: 5\n  retry_first_seconds: 30\n  retry_max_seconds: 600\n" % base)
        r = check(cfg, "-v")
        expect_ok(r, "delivery budgets accepted")
        for line in ("delivery.max_seconds: 3600", "delivery.max_bytes: 8589934592", "delivery.max_attempts: 5",
                     "delivery.retry_first_seconds: 30", "delivery.retry_max_seconds: 600"):
            if line not in r.stdout:
                fail("--check-config does not show %r:\n%s" % (line, r.stdout))
        ok("--check-config shows the delivery budgets as read")

        # 5. A rules folder that is not there.
        cfg = write(os.path.join(root, "rules.yaml"), "base_dir: %s\npaths:\n  rules: %s/no-rules\n" % (base, root))
        expect_problem(check(cfg), ["%s/no-rules" % root, "paths.rules"], "a missing rules folder is a problem")

        # 6. base_dir not writable by the user the daemon runs as.
        cfg = write(os.path.join(root, "base.yaml"), "base_dir: %s\n" % base)
        if os.geteuid() == 0:
            # As root: checked as the service's user (here nobody), in a child that becomes it.
            os.chmod(base, 0o755)
            expect_problem(check(cfg, "--user", "nobody"),
                           ["base_dir (%s)" % base, "user nobody cannot create files", "chown nobody:"],
                           "base_dir not writable by the service user (--user nobody)")
            inbox = os.path.join(base, "inbox")
            os.makedirs(inbox)
            os.chmod(inbox, 0o700)
            for dp, dn, fn in os.walk(base):
                os.chown(dp, 65534, 65534)
            os.chown(inbox, 0, 0)
            expect_problem(check(cfg, "--user", "nobody"), ["paths.inbox (%s)" % inbox, "cannot read"],
                           "an inbox the service user cannot read")
            os.chown(inbox, 65534, 65534)
            expect_ok(check(cfg, "--user", "nobody"), "the same folders given to the service user")
            r = check(cfg, "--user", "no-such-user-ingestd")
            if r.returncode != 2 or "no-such-user-ingestd" not in r.stderr:
                fail("--user with an unknown user: %d %s" % (r.returncode, r.stderr))
            ok("--user with an unknown user refused")
        else:
            os.chmod(base, 0o555)
            expect_problem(check(cfg), ["base_dir (%s)" % base, "cannot create files"],
                           "base_dir not writable by this user")
            os.chmod(base, 0o755)
            expect_ok(check(cfg), "the same folder made writable")
        expect_ok(check(cfg), "the check leaves nothing behind and passes again")
        left = [x for dp, dn, fn in os.walk(base) for x in fn]
        if left:
            fail("--check-config left files behind: %r" % left)

        # 7. inbox and work on two filesystems (drops are claimed by rename()).
        shm = tempfile.mkdtemp(prefix="ingestd-config.", dir="/dev/shm") if os.path.isdir("/dev/shm") else None
        if shm and os.stat(shm).st_dev != os.stat(root).st_dev:
            os.chmod(shm, 0o755)
            cfg = write(os.path.join(root, "fs.yaml"), "base_dir: %s\npaths:\n  inbox: %s/inbox\n" % (base, shm))
            expect_problem(check(cfg), ["paths.work (%s/work)" % base, "not on the filesystem of paths.inbox"],
                           "inbox and work on two filesystems")
        else:
            print("skip: no second filesystem at /dev/shm")
        if shm:
            shutil.rmtree(shm, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d checks passed" % passed)


if __name__ == "__main__":
    main()

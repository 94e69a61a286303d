# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the ingestd tests: a temporary tree, the daemon as a real
process, a real SMTP server (aiosmtpd) and a real HTTP server on 127.0.0.1."""

import email
import email.header
import email.policy
import http.server
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.environ.get("INGEST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("INGEST_BUILD_ROOT", os.path.join(SRC, "build"))
INGESTD = os.environ.get("INGESTD_BIN", os.path.join(BUILD, "daemon", "ingestd"))
INGEST = os.environ.get("INGEST_BIN", os.path.join(BUILD, "tools", "ingest"))

# Every patient name and id the fixtures contain (fixtures/gen-fixtures.py).
PATIENT_WORDS = ["DOE", "JANE", "ROE", "MARY", "CHEN", "MRN4411873", "H-0098812", "LNG-55021",
                 "19690412", "19551102", "19610930"]

STEPS = ["claiming", "claimed", "scanned", "packaged", "published", "notified", "archived", "quarantined"]


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Smtp:
    """aiosmtpd on 127.0.0.1 keeping every message it is given."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.messages = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        self.port = free_port()
        self.ctl = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.ctl.start()

    def stop(self):
        self.ctl.stop()


class Http:
    """http.server on 127.0.0.1 serving DIR."""

    def __init__(self, directory):
        handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **kw)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        self.srv.shutdown()


class Tree:
    def __init__(self, settle=1, workers=2, smtp_port=None, http=False, extra=""):
        self.root = tempfile.mkdtemp(prefix="ingestd-test.")
        self.base = os.path.join(self.root, "var")
        self.inbox = os.path.join(self.base, "inbox")
        self.outbox = os.path.join(self.base, "outbox")
        self.archive = os.path.join(self.base, "archive")
        self.work = os.path.join(self.base, "work")
        self.quarantine = os.path.join(self.base, "quarantine")
        self.mail = os.path.join(self.base, "mail")
        self.db = os.path.join(self.base, "state.db")
        self.log = os.path.join(self.root, "ingestd.log")
        self.config = os.path.join(self.root, "ingestd.yaml")
        mail = "mail:\n  from: ingestd@test.example\n  to: [coordinator@test.example, second@test.example]\n"
        if smtp_port:
            mail += "  smtp_url: smtp://127.0.0.1:%d\n  starttls: false\n  retry_seconds: 1\n" % smtp_port
        with open(self.config, "w") as f:
            f.write("base_dir: %s\nsettle_seconds: %d\nworkers: %d\nrescan_seconds: 5\n"
                    "http_downloads: %s\n%s%s" % (self.base, settle, workers, "true" if http else "false",
                                                  mail, extra))
        self.proc = None
        self.fixtures = os.path.join(self.root, "fx")
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "fixtures", "gen-fixtures.py"), self.fixtures],
                       check=True, stdout=subprocess.DEVNULL)
        os.makedirs(self.inbox, exist_ok=True)

    def start(self):
        self.logf = open(self.log, "ab")
        logpos = self.logf.tell()      # this start's lines only (the log is shared by restarts)
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:detect_odr_violation=0")
        self.proc = subprocess.Popen([INGESTD, "--config", self.config], stdout=self.logf, stderr=self.logf,
                                     start_new_session=True, env=env)
        # ready when it says so: its "started" line comes after the inbox is
        # watched (loading and checking the rules with their vocabulary
        # takes a second or more under ASan; a drop written before the watch
        # would be judged by what the first scan sees)
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            with open(self.log, "rb") as lf:
                lf.seek(logpos)
                if b" started: inbox " in lf.read():
                    break
            time.sleep(0.05)
        if self.proc.poll() is not None:
            fail("ingestd exited at once:\n" + open(self.log, errors="replace").read())

    def stop(self, timeout=60):
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            fail("ingestd did not stop within %d s of SIGTERM" % timeout)
        self.proc = None
        self.logf.close()
        return rc

    def kill9(self):
        """kill -9 the daemon and its workers (one process group)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None
        self.logf.close()

    def drops(self):
        if not os.path.exists(self.db):
            return []
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            rows = con.execute("SELECT id, name, dir, case_id, step, attempts, last_error FROM drops "
                               "ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            rows = []
        con.close()
        return rows

    def sql(self, q, *args):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        rows = con.execute(q, args).fetchall()
        con.close()
        return rows

    def wait_done(self, n_drops, timeout=300, what="drops"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rows = self.drops()
            inbox_left = [x for x in os.listdir(self.inbox) if not x.startswith(".")]
            if len(rows) >= n_drops and all(r[4] >= 6 for r in rows) and not inbox_left:
                return rows
            if self.proc and self.proc.poll() is not None:
                fail("ingestd died (rc %s):\n%s" % (self.proc.returncode, self.tail()))
            time.sleep(0.3)
        fail("timed out waiting for %d %s to finish; journal: %r\ninbox: %r\n%s" %
             (n_drops, what, self.drops(), os.listdir(self.inbox), self.tail()))

    def tail(self, n=60):
        try:
            return "".join(open(self.log, errors="replace").readlines()[-n:])
        except OSError:
            return ""

    def package(self, case):
        for state in ("ready", "pending"):
            p = os.path.join(self.outbox, state, case)
            if os.path.isdir(p):
                return p
        return None

    def verify(self, case):
        p = self.package(case)
        if not p:
            fail("case %s has no package in outbox/ready|pending" % case)
        r = subprocess.run([INGEST, "verify", p], capture_output=True, text=True)
        if r.returncode != 0:
            fail("ingest verify %s failed (%d):\n%s%s" % (p, r.returncode, r.stdout, r.stderr))
        return p

    def check_clean(self):
        """Nothing in work/ (but the empty case store folder) or .building/ (but locks)."""
        left = [x for x in os.listdir(self.work) if x != "cases"]
        cases = os.listdir(os.path.join(self.work, "cases")) if os.path.isdir(os.path.join(self.work, "cases")) else []
        if left or cases:
            fail("work/ is not empty: %r %r" % (left, cases))
        b = os.path.join(self.outbox, ".building")
        if os.path.isdir(b):
            junk = [x for x in os.listdir(b) if not x.endswith(".lock")]
            if junk:
                fail("outbox/.building/ holds leftovers: %r" % junk)

    def cleanup(self):
        if self.proc:
            self.kill9()
        if os.environ.get("KEEP_TREE"):
            sys.stderr.write("tree kept: %s\n" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def decode_subject(msg):
    raw = msg["Subject"]
    return str(email.header.make_header(email.header.decode_header(raw))) if raw else ""


def parse_mail(content):
    return email.message_from_bytes(content, policy=email.policy.default)


SUBJECT_RE = re.compile(r"^\[ingestd\] (\S+) (\S+): (complete|incomplete|blocked) \u2014 (\d+) required gaps?$")


def check_no_patient_data(text, where):
    for w in PATIENT_WORDS:
        if re.search(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(w), text, re.IGNORECASE):
            fail("patient data %r found in %s" % (w, where))


def zip_dir(src, dst_zip, arcroot=None):
    import zipfile
    with zipfile.ZipFile(dst_zip, "w", zipfile.ZIP_DEFLATED) as z:
        for dp, dn, fn in os.walk(src):
            dn.sort()
            for f in sorted(fn):
                full = os.path.join(dp, f)
                rel = os.path.relpath(full, src)
                z.write(full, os.path.join(arcroot, rel) if arcroot else rel)


def place(tree, src, name):
    """Drop SRC (a file or folder) into the inbox as NAME: built beside it, on the
    same filesystem but outside the inbox (the daemon takes '.' names too), then
    renamed in."""
    staging = os.path.join(tree.base, "incoming")
    os.makedirs(staging, exist_ok=True)
    tmp = os.path.join(staging, name)
    if os.path.isdir(src):
        shutil.copytree(src, tmp)
    else:
        shutil.copy(src, tmp)
    os.rename(tmp, os.path.join(tree.inbox, name))

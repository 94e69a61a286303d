# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs one fetch test case against real servers on 127.0.0.1.

    test-fetch.py DRIVER CASE

An HTTP and an HTTPS server (http.server in threads) listen on 127.0.0.1 only,
on ports the kernel picks. The HTTPS certificate comes from a throw-away CA
made with openssl in a scratch folder; that CA is what the driver is given as
ca_file. Nothing leaves the machine.
"""

import errno
import hashlib
import http.server
import json
import os
import re
import plistlib
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

DRIVER = None
TMP = None
BODY = bytes((i * 7 + (i >> 8)) & 0xff for i in range(300_000))
BIG = 2 * 1024 * 1024
MIB = 1024 * 1024


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


# ---------------------------------------------------------------- servers

class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []     # (path, headers dict lowercased)
        self.counts = {}

    def seen(self, path, headers):
        with self.lock:
            self.requests.append((path, {k.lower(): v for k, v in headers.items()}))
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]

    def hits(self, path):
        with self.lock:
            return self.counts.get(path, 0)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "test"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("server: " + (fmt % args) + "\n")

    def send_body(self, body, status=200, headers=(), length=True):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if length:
            self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def cut(self, body, declared):
        """Headers for DECLARED bytes, then BODY, then the connection drops."""
        self.send_response(200)
        self.send_header("Content-Length", str(declared))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def ranged(self, body):
        rng = self.headers.get("Range", "")
        check(rng.startswith("bytes=") and rng.endswith("-"), "bad Range header " + rng)
        start = int(rng[6:-1])
        part = body[start:]
        self.send_body(part, 206, [("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body))),
                                   ("ETag", '"v1"')])

    def do_GET(self):
        st = self.server.state
        path = self.path.split("?")[0]
        n = st.seen(path, self.headers)
        other = self.server.other_base
        if path == "/file.bin":
            self.send_body(BODY, headers=[("ETag", '"v1"')])
        elif path == "/404":
            self.send_body(b"no such thing\n", 404)
        elif path == "/loop":
            self.send_body(b"", 302, [("Location", "/loop")])
        elif path == "/redir":
            self.send_body(b"", 301, [("Location", "/file.bin")])
        elif path == "/to-http":
            self.send_body(b"", 302, [("Location", other + "/file.bin")])
        elif path == "/big-cl":
            self.send_body(b"\0" * BIG)
        elif path == "/big-close":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(BIG // 65536):
                    self.wfile.write(b"\1" * 65536)
            except OSError:
                pass
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            time.sleep(15)
        elif path == "/cd":
            self.send_body(BODY, headers=[("Content-Disposition",
                                           "attachment; filename=\"fallback.zip\"; "
                                           "filename*=UTF-8''%C3%A4rztbrief%20MRI.zip")])
        elif path == "/cd-evil":
            self.send_body(BODY, headers=[("Content-Disposition", 'attachment; filename="../../x/.bashrc"')])
        elif path == "/resume":
            if n == 1:
                self.cut(BODY[:100_000], len(BODY))
            else:
                self.ranged(BODY)
        elif path == "/resume-restart":
            if n == 1:
                self.cut(BODY[:100_000], len(BODY))
            else:
                self.send_body(BODY)   # ignores Range: the client must start over
        elif path == "/partial-206":
            # A part nobody asked for, passed off as the answer.
            self.send_body(BODY[:1000], 206, [("Content-Range", "bytes 0-999/%d" % len(BODY))])
        elif path == "/flaky":
            if n <= 2:
                self.send_body(b"busy\n", 503, [("Retry-After", "0")])
            else:
                self.send_body(BODY)
        elif path.startswith("/silent/"):
            # Takes the request and never answers (a server that hangs).
            time.sleep(20)
            self.close_connection = True
        elif path == "/long":
            # A body with no length that goes on (64 MiB here: an endless one in effect).
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(64 * MIB // 65536):
                    self.wfile.write(b"\2" * 65536)
            except OSError:
                pass
        elif path == "/always-503":
            self.send_body(b"busy\n", 503)
        else:
            self.send_body(b"?\n", 400)


def make_server(state, tls_ctx=None):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = state
    srv.other_base = ""
    if tls_ctx:
        srv.socket = tls_ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, cwd=TMP, capture_output=True, timeout=30)


def make_ca(name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return os.path.join(TMP, name + ".pem")


def make_server_cert(ca):
    with open(os.path.join(TMP, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(TMP, "srv.pem"), os.path.join(TMP, "srv.key")


class Env:
    def __init__(self, tls=True):
        self.state = State()
        self.http = make_server(self.state)
        self.http_base = "http://127.0.0.1:%d" % self.http.server_address[1]
        self.https_base = None
        self.ca = None
        if tls:
            self.ca = make_ca("test-ca")
            cert, key = make_server_cert("test-ca")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.https = make_server(self.state, ctx)
            self.https_base = "https://127.0.0.1:%d" % self.https.server_address[1]
            self.https.other_base = self.http_base
            self.http.other_base = self.https_base


PROXY_TRAP = None


def proxy_trap():
    """A listener on 127.0.0.1 named as proxy in the environment: the driver must never connect."""
    global PROXY_TRAP
    PROXY_TRAP = socket.socket()
    PROXY_TRAP.bind(("127.0.0.1", 0))
    PROXY_TRAP.listen(8)
    PROXY_TRAP.setblocking(False)
    url = "http://127.0.0.1:%d" % PROXY_TRAP.getsockname()[1]
    for k in ("http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        os.environ[k] = url
    os.environ.pop("no_proxy", None)
    os.environ.pop("NO_PROXY", None)


def get(url, *opts, timeout=25):
    out = os.path.join(TMP, "out")
    if os.path.exists(out):
        os.unlink(out)
    t0 = time.monotonic()
    r = subprocess.run([DRIVER, "get", *opts, url, out], capture_output=True, text=True, timeout=timeout)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "driver exited %d" % r.returncode)
    d = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition("=")
        d[k] = v
    d["rc"] = int(d["rc"])
    d["elapsed"] = time.monotonic() - t0
    d["log"] = r.stderr
    try:
        PROXY_TRAP.accept()
        raise Fail("the driver connected to the proxy named in the environment")
    except BlockingIOError:
        pass
    with open(out, "rb") as f:
        d["content"] = f.read()
    print(url, {k: v for k, v in d.items() if k not in ("content", "log")})
    return d


def expect_ok(d, body=BODY, name=None):
    check(d["rc"] == 0, "expected success, got %r" % d.get("error"))
    check(d["content"] == body, "downloaded bytes differ (%d vs %d)" % (len(d["content"]), len(body)))
    check(int(d["bytes"]) == len(body), "bytes=%s" % d["bytes"])
    check(d["sha256"] == hashlib.sha256(body).hexdigest(), "sha256 mismatch")
    if name is not None:
        check(d["name"] == name, "name %r, expected %r" % (d["name"], name))


def expect_fail(d, rc, *phrases):
    check(d["rc"] == rc, "rc %d, expected %d (%s)" % (d["rc"], rc, d.get("error")))
    for p in phrases:
        check(p in d["error"], "error %r lacks %r" % (d["error"], p))


# ---------------------------------------------------------------- cases

def case_ok_https():
    e = Env()
    d = get(e.https_base + "/file.bin?token=x", "--ca", e.ca)
    expect_ok(d, name="file.bin")
    check(d["status"] == "200" and d["attempts"] == "1", "status/attempts")
    check(d["type"] == "application/octet-stream", "content type")
    # The request carried no proxy, cookie or auth headers.
    path, hdrs = e.state.requests[-1]
    check("cookie" not in hdrs and "authorization" not in hdrs, "unexpected headers %r" % hdrs)
    check(re.fullmatch(r"ingestd/[0-9][0-9A-Za-z.+-]*", hdrs.get("user-agent", "")) is not None,
          "user agent %r" % hdrs.get("user-agent"))


def case_ok_http():
    e = Env(tls=False)
    expect_ok(get(e.http_base + "/file.bin", "--allow-http"), name="file.bin")


def case_http_refused():
    e = Env(tls=False)
    d = get(e.http_base + "/file.bin")
    expect_fail(d, -errno.EPROTONOSUPPORT, "uses http://", "only https links are fetched")
    check(e.state.hits("/file.bin") == 0, "a refused link was requested")


def case_not_found():
    e = Env()
    d = get(e.https_base + "/404", "--ca", e.ca, "--retry-ms", "50")
    expect_fail(d, -errno.EREMOTEIO, "404 Not Found", "expired or is wrong")
    check(d["attempts"] == "1" and e.state.hits("/404") == 1, "a 404 must not be retried")
    check(d["content"] == b"", "error body was written")


def case_redirect():
    e = Env()
    d = get(e.https_base + "/redir", "--ca", e.ca)
    expect_ok(d, name="file.bin")
    check(d["url"].endswith("/file.bin"), "effective url " + d["url"])


def case_redirect_loop():
    e = Env()
    d = get(e.https_base + "/loop", "--ca", e.ca, "--redirects", "5")
    expect_fail(d, -errno.ELOOP, "redirects more than 5 times")
    check(e.state.hits("/loop") == 6, "requests %d" % e.state.hits("/loop"))


def case_redirect_to_http():
    e = Env()
    d = get(e.https_base + "/to-http", "--ca", e.ca)
    expect_fail(d, -errno.EPROTONOSUPPORT, "redirected to an address that is not https")
    check(e.state.hits("/file.bin") == 0, "followed a redirect to http")


def case_too_big_length():
    e = Env()
    d = get(e.https_base + "/big-cl", "--ca", e.ca, "--max-bytes", str(MIB))
    expect_fail(d, -errno.E2BIG, "larger than the 1 MiB limit")
    check(len(d["content"]) <= MIB, "wrote past the limit")
    check(d["attempts"] == "1", "a size failure must not be retried")
    # The context's max_file_bytes caps the options too.
    d = get(e.https_base + "/big-cl", "--ca", e.ca, "--max-file-bytes", str(MIB))
    expect_fail(d, -errno.E2BIG, "larger than the 1 MiB limit")


def case_too_big_chunked():
    e = Env()
    d = get(e.https_base + "/big-close", "--ca", e.ca, "--max-bytes", str(MIB + 5))
    expect_fail(d, -errno.E2BIG, "larger than the 1.0 MiB limit")
    check(len(d["content"]) <= MIB + 5, "wrote past the limit: %d" % len(d["content"]))
    # Just under the limit passes: the check is exact.
    d = get(e.https_base + "/big-close", "--ca", e.ca, "--max-bytes", str(BIG))
    check(d["rc"] == 0 and int(d["bytes"]) == BIG, "exactly at the limit must pass")


def case_stall():
    e = Env()
    d = get(e.https_base + "/stall", "--ca", e.ca, "--stall", "2", "--retries", "0")
    expect_fail(d, -errno.ETIMEDOUT, "stopped making progress for 2 s")
    check(d["elapsed"] < 5, "took %.1f s" % d["elapsed"])
    # The total time limit also holds across retries.
    d = get(e.https_base + "/stall", "--ca", e.ca, "--stall", "60", "--timeout", "3",
            "--retries", "5", "--retry-ms", "100")
    expect_fail(d, -errno.ETIMEDOUT, "did not finish within the 3 s time limit")
    check(d["elapsed"] < 5, "took %.1f s" % d["elapsed"])


def case_scheme():
    for url, scheme in (("ftp://127.0.0.1/x", "ftp"), ("file:///etc/passwd", "file"),
                        ("FILE:///etc/hostname", "file"), ("gopher://127.0.0.1/", "gopher"),
                        ("javascript://alert(1)", "javascript")):
        d = get(url, "--allow-http")
        expect_fail(d, -errno.EPROTONOSUPPORT, "uses %s://, which is not allowed" % scheme)
        check(d["content"] == b"", "something was written")
    d = get("not a link")
    expect_fail(d, -errno.EINVAL, "not a web address")


def case_tls_untrusted():
    e = Env()
    other = make_ca("other-ca")
    d = get(e.https_base + "/file.bin", "--ca", other)
    expect_fail(d, -errno.EPERM, "certificate could not be verified")
    check(d["attempts"] == "1", "a TLS failure must not be retried")
    d = get(e.https_base + "/file.bin")   # the system store does not know the test CA either
    expect_fail(d, -errno.EPERM, "certificate could not be verified")
    check(e.state.hits("/file.bin") == 0, "a request got through an unverified connection")


def case_content_disposition():
    e = Env()
    expect_ok(get(e.https_base + "/cd", "--ca", e.ca), name="\u00e4rztbrief MRI.zip")
    expect_ok(get(e.https_base + "/cd-evil", "--ca", e.ca), name="bashrc")


def case_resume():
    e = Env()
    d = get(e.https_base + "/resume", "--ca", e.ca, "--retries", "2", "--retry-ms", "100")
    expect_ok(d, name="resume")
    check(d["attempts"] == "2", "attempts " + d["attempts"])
    reqs = [h for p, h in e.state.requests if p == "/resume"]
    check(len(reqs) == 2, "requests %d" % len(reqs))
    check("range" not in reqs[0], "first request asked for a range")
    check(reqs[1].get("range") == "bytes=100000-", "second Range %r" % reqs[1].get("range"))
    check(reqs[1].get("if-range") == '"v1"', "If-Range %r" % reqs[1].get("if-range"))
    check("resuming" in d["log"], "no resume logged")


def case_resume_restart():
    e = Env()
    d = get(e.https_base + "/resume-restart", "--ca", e.ca, "--retries", "2", "--retry-ms", "100")
    expect_ok(d)
    check(d["attempts"] == "2", "attempts " + d["attempts"])


def case_partial_206():
    e = Env()
    d = get(e.https_base + "/partial-206", "--ca", e.ca, "--retries", "1", "--retry-ms", "50")
    expect_fail(d, -errno.EIO, "another part of the file", "gave up after 2 attempts")


def case_retry_503():
    e = Env()
    d = get(e.https_base + "/flaky", "--ca", e.ca, "--retries", "3", "--retry-ms", "100")
    expect_ok(d)
    check(d["attempts"] == "3" and e.state.hits("/flaky") == 3, "attempts " + d["attempts"])
    # backoff 100 ms then 200 ms
    check(d["elapsed"] >= 0.3, "no backoff: %.2f s" % d["elapsed"])


def case_retry_exhausted():
    e = Env()
    d = get(e.https_base + "/always-503", "--ca", e.ca, "--retries", "2", "--retry-ms", "100")
    expect_fail(d, -errno.EREMOTEIO, "503 Service Unavailable", "gave up after 3 attempts")
    check(e.state.hits("/always-503") == 3, "requests %d" % e.state.hits("/always-503"))


def case_refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d = get("http://127.0.0.1:%d/x" % port, "--allow-http", "--retries", "1", "--retry-ms", "100")
    expect_fail(d, -errno.ECONNREFUSED, "could not be reached", "gave up after 2 attempts")


def parse(data, name):
    p = os.path.join(TMP, "in")
    with open(p, "wb") as f:
        f.write(data)
    r = subprocess.run([DRIVER, "parse", p, name], capture_output=True, text=True, timeout=10)
    sys.stderr.write(r.stderr)
    check(r.returncode in (0, 2), "parse exited %d" % r.returncode)
    urls = [l[5:] for l in r.stdout.splitlines() if l.startswith("url: ")]
    err = [l[7:] for l in r.stdout.splitlines() if l.startswith("error: ")]
    print(name, urls or err)
    return urls, (err[0] if err else None)


def case_parse_files():
    u, _ = parse(b"\xef\xbb\xbf[InternetShortcut]\r\nURL=https://example.org/scan.zip\r\nIconIndex=0\r\n",
                 "Scans.url")
    check(u == ["https://example.org/scan.zip"], ".url with BOM and CRLF")
    u, _ = parse("[InternetShortcut]\r\nURL=https://example.org/a\r\n".encode("utf-16"), "x.URL")
    check(u == ["https://example.org/a"], ".url in UTF-16")
    xml = plistlib.dumps({"URL": "https://example.org/q?a=1&b=2"}, fmt=plistlib.FMT_XML)
    u, _ = parse(xml, "link.webloc")
    check(u == ["https://example.org/q?a=1&b=2"], "XML webloc")
    binp = plistlib.dumps({"URL": "https://example.org/bin"}, fmt=plistlib.FMT_BINARY)
    u, _ = parse(binp, "link.webloc")
    check(u == ["https://example.org/bin"], "binary webloc")
    binp = plistlib.dumps({"Other": 1, "URL": "https://example.org/\u00fcber"}, fmt=plistlib.FMT_BINARY)
    u, _ = parse(binp, "link.webloc")
    check(u == ["https://example.org/%C3%BCber"], "binary webloc, UTF-16 string")
    binp = plistlib.dumps(["https://example.org/"], fmt=plistlib.FMT_BINARY)
    u, err = parse(binp, "link.webloc")
    check(not u and "does not read" in err, "array plist is unsupported")
    binp = plistlib.dumps({"URL": "https://example.org/x"}, fmt=plistlib.FMT_BINARY)
    for cut in (9, 20, len(binp) - 1):
        u, err = parse(binp[:cut], "link.webloc")
        check(not u and err, "truncated binary plist at %d" % cut)
    u, _ = parse(b"# from the hospital portal\n\nhttps://example.org/1\n  # indented note\n"
                 b"https://example.org/2\r\n\n", "links.txt")
    check(u == ["https://example.org/1", "https://example.org/2"], "links.txt with comments")
    u, err = parse(b"https://example.org/1\nplease see the MRI\n", "links.txt")
    check(not u and "line 2" in err, "prose line in links.txt")
    rnd = bytes((i * 131 + 17) & 0xff for i in range(5000))
    for name in ("g.url", "g.webloc", "links.txt"):
        u, err = parse(rnd, name)
        check(not u and err, "garbage " + name)
        u, err = parse(b"bplist00" + rnd, name)
        check(not u and err, "bplist garbage " + name)
    u, err = parse(b"", "links.txt")
    check(not u and "no links" in err, "empty links.txt")


def drop(links, *opts, timeout=25):
    """A folder drop holding links.txt with LINKS, scanned with its links fetched."""
    d = os.path.join(TMP, "drop")
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d)
    with open(os.path.join(d, "links.txt"), "w") as f:
        f.write("\n".join(links) + "\n")
    t0 = time.monotonic()
    r = subprocess.run([DRIVER, "drop", *opts, d], capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    sys.stderr.write(r.stderr[-5000:])
    check(r.returncode == 0, "driver exited %d" % r.returncode)
    doc = json.loads(r.stdout)
    files = {f["path"]: f for f in doc["inventory"]["files"]}
    probs = {p["path"]: p for p in doc["problems"]}
    print("elapsed %.1f s; files %s; problems %s" % (elapsed, sorted(files),
          {k: (v["code"], v["message"]) for k, v in probs.items()}))
    return files, probs, elapsed


def case_links_ok():
    e = Env()
    files, probs, _ = drop([e.https_base + "/file.bin", e.https_base + "/cd"], "--ca", e.ca)
    check(files.get("links.txt!/file.bin", {}).get("bytes") == len(BODY), "file.bin not kept")
    check(files.get("links.txt!/\u00e4rztbrief MRI.zip", {}).get("bytes") == len(BODY), "the second link not kept")
    check(probs == {}, "problems %r" % probs)


def case_links_time_budget():
    # A good link, then six to a server that never answers: without a budget
    # for the drop each would wait out its own stall limit (60 s) and retries.
    e = Env()
    silent = [e.https_base + "/silent/%d" % i for i in range(6)]
    files, probs, elapsed = drop([e.https_base + "/file.bin"] + silent, "--ca", e.ca, "--seconds", "3")
    check(elapsed < 8, "the drop's downloads took %.1f s with a 3 s budget" % elapsed)
    check(files.get("links.txt!/file.bin", {}).get("bytes") == len(BODY), "the link fetched before was not kept")
    for i, u in enumerate(silent):
        p = probs.get("links.txt!/" + u)
        if not check(p is not None, "no problem for %s" % u):
            continue
        check(p["code"] == "limit", "%s: code %s" % (u, p["code"]))
        check("budget of 3 s" in p["message"] and "limits.max_download_seconds" in p["message"],
              "%s: message %r" % (u, p["message"]))
        check("ask for" in p["message"], "%s: message says nothing to do: %r" % (u, p["message"]))
    check("not downloaded completely" in probs.get("links.txt!/" + silent[0], {}).get("message", ""),
          "the link the budget stopped is not told apart")
    check(e.state.hits("/silent/5") == 0, "a link past the budget was requested")


def case_links_byte_budget():
    e = Env()
    budget = MIB
    links = [e.https_base + "/file.bin", e.https_base + "/long", e.https_base + "/redir"]
    files, probs, _ = drop(links, "--ca", e.ca, "--bytes", str(budget))
    check(files.get("links.txt!/file.bin", {}).get("bytes") == len(BODY), "the link fetched before was not kept")
    check(not any(k.startswith("links.txt!/long") for k in files), "the long body was kept")
    p = probs.get("links.txt!/" + links[1], {})
    check(p.get("code") == "limit" and "budget of %d bytes" % budget in p.get("message", "")
          and "limits.max_download_bytes" in p.get("message", ""), "long body: %r" % p)
    p = probs.get("links.txt!/" + links[2], {})
    check(p.get("code") == "limit" and "was not downloaded" in p.get("message", ""), "link after: %r" % p)
    check(e.state.hits("/redir") == 0, "a link past the budget was requested")


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    global DRIVER, TMP
    DRIVER, case = sys.argv[1], sys.argv[2]
    proxy_trap()
    TMP = tempfile.mkdtemp(prefix="fetch-")
    try:
        CASES[case]()
    except Fail as e:
        print("FAIL:", e)
        sys.exit(1)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("ok")
    sys.exit(0)


if __name__ == "__main__":
    main()

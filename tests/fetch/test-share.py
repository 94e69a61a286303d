# SPDX-License-Identifier: GPL-3.0-or-later
"""Share links of cloud services, played by a local HTTPS server (#21).

    test-share.py DRIVER SERVICES_YAML CASE

One HTTPS server on 127.0.0.1 (certificate from a throw-away CA, made with
openssl at test time) answers as each service does, by the Host header. The
driver runs the production code; only the connection is pointed at
127.0.0.1 through libcurl's connect-to mapping (INGEST_TEST_CONNECT_TO, a
test hook that keeps only entries for 127.0.0.1). Nothing leaves the machine.
"""

import base64
import hashlib
import http.server
import importlib.util
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("testfetch", os.path.join(HERE, "test-fetch.py"))
tf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tf)
Fail, check = tf.Fail, tf.check

DRIVER = SERVICES = TMP = None
HOSTS = ["drive.google.com", "drive.usercontent.google.com", "accounts.google.com", "www.dropbox.com",
         "dl.dropboxusercontent.com", "1drv.ms", "onedrive.live.com", "api.onedrive.com",
         "public.dm.files.1drv.com", "contoso.sharepoint.com", "contoso-my.sharepoint.com", "app.box.com",
         "public.boxcloud.com", "we.tl", "wetransfer.com", "download.wetransfer.com", "www.icloud.com",
         "ckdatabasews.icloud.com", "cvws.icloud-content.com", "share.ambrahealth.com",
         "records.example-hospital.org"]

FILE = bytes((i * 13 + (i >> 7)) & 0xff for i in range(150_000))


def _zip():
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("series/notes.txt", "Images of the chest, series 1 to 3.\n" * 200)
    return b.getvalue()


ZIP = _zip()
PAGE = ("<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>%s</title></head>"
        "<body><p>Please sign in to continue.</p><button>Download</button></body></html>")
WARNING = ("<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
           "<p>Google Drive can't scan this file for viruses.</p>"
           "<form id=\"download-form\" action=\"https://drive.usercontent.google.com/download\" method=\"get\">"
           "<input type=\"submit\" id=\"uc-download-link\" value=\"Download anyway\"/>"
           "<input type=\"hidden\" name=\"id\" value=\"BIG-1\"><input type=\"hidden\" name=\"export\" "
           "value=\"download\"><input type=\"hidden\" name=\"confirm\" value=\"t\"><input type=\"hidden\" "
           "name=\"uuid\" value=\"5f0e-77aa\"></form></body></html>")

ONEDRIVE_LINK = "https://1drv.ms/u/s!AkPx9cQ3-file?e=Zx81"
TID, THASH = "91c97b339855d6c0f4a2772d9b7a5fe720190406121754", "7b85a0"


def cd(name):
    return ("Content-Disposition", "attachment; filename=\"%s\"; filename*=UTF-8''%s"
            % (name.encode("ascii", "replace").decode(), urllib.parse.quote(name)))


class Handler(tf.Handler):
    def html(self, title, status=200, body=None):
        b = (body if body is not None else PAGE % title).encode()
        self.send_body(b, status, [("Content-Type", "text/html; charset=utf-8")])

    def redirect(self, where):
        self.send_body(b"", 302, [("Location", where)])

    def do_POST(self):
        host = self.headers.get("Host", "").split(":")[0]
        path, _, query = self.path.partition("?")
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.server.state.seen(host + path, self.headers)
        try:
            req = json.loads(body)
        except ValueError:
            req = None
        ctype = self.headers.get("Content-Type", "")
        if host == "wetransfer.com" and path.startswith("/api/v4/transfers/") and path.endswith("/download"):
            tid = path.split("/")[4]
            if ctype != "application/json" or not req or req.get("security_hash") != THASH \
               or req.get("intent") != "entire_transfer":
                return self.send_body(b'{"message":"bad request"}', 400, [("Content-Type", "application/json")])
            if tid != TID:
                return self.send_body(b'{"message":"No download access to this Transfer"}', 200,
                                      [("Content-Type", "application/json")])
            ans = {"direct_link": "https://download.wetransfer.com/eu2/%s/files.zip?token=abc&cf=y" % TID}
            return self.send_body(json.dumps(ans).encode(), 200, [("Content-Type", "application/json")])
        if host == "ckdatabasews.icloud.com" and path.endswith("/public/records/resolve"):
            guid = ((req or {}).get("shortGUIDs") or [{}])[0].get("value")
            if guid != "0aBcD3fGh":
                return self.send_body(json.dumps({"results": [{"serverErrorCode": "NOT_FOUND"}]}).encode(), 200,
                                      [("Content-Type", "application/json")])
            url = "https://cvws.icloud-content.com/B/AbC/${f}?o=Ak1&v=1"   # the name placeholder iCloud sends
            ans = {"results": [{"rootRecord": {"fields": {"fileContent": {"value": {"downloadURL": url}}}}}]}
            return self.send_body(json.dumps(ans).encode(), 200, [("Content-Type", "application/json")])
        self.send_body(b"?", 404)

    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        self.server.state.seen(host + path, self.headers)
        self.server.state.requests[-1][1]["query"] = query
        one = lambda k: (q.get(k) or [None])[0]
        # ---- Google Drive
        if host == "drive.usercontent.google.com" and path == "/download":
            fid = one("id")
            if fid == "SMALL-1":
                return self.send_body(FILE, headers=[cd("CT chest.zip")])
            if fid == "BIG-1":
                if one("confirm") == "t" and one("uuid") == "5f0e-77aa":
                    return self.send_body(ZIP, headers=[cd("MRI brain 2024.zip")])
                return self.html(None, body=WARNING)
            if fid == "PRIVATE-1":
                return self.redirect("https://accounts.google.com/ServiceLogin?continue=x")
            if fid == "GONE-1":
                return self.html("Google Drive - 404", 404)
        if host == "accounts.google.com":
            return self.html("Sign in - Google Accounts")
        if host == "drive.google.com":
            return self.html("Google Drive: Sign-in")   # a share page: the client must not stop here
        # ---- Dropbox
        if host == "www.dropbox.com":
            if path == "/s/abc123/CT%20report.pdf" and one("dl") == "1":
                return self.redirect("https://dl.dropboxusercontent.com/s/abc123/CT%20report.pdf")
            if path == "/scl/fo/f0ld3r/hk3y" and one("dl") == "1" and one("rlkey") == "rk1":
                return self.send_body(ZIP, headers=[cd("Scans.zip"), ("Content-Type", "application/zip")])
            if path.startswith("/scl/fi/gone"):
                return self.html("Dropbox - Error")
            return self.html("Dropbox")
        if host == "dl.dropboxusercontent.com" and path == "/s/abc123/CT%20report.pdf":
            return self.send_body(FILE, headers=[cd("CT report.pdf"), ("Content-Type", "application/pdf")])
        # ---- OneDrive: the shares API with the encoded sharing link
        if host == "api.onedrive.com" and path.startswith("/v1.0/shares/u!") and path.endswith("/root/content"):
            enc = path[len("/v1.0/shares/u!"):-len("/root/content")]
            link = base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)).decode()
            if link == ONEDRIVE_LINK:
                return self.redirect("https://public.dm.files.1drv.com/y4m/Pathology.pdf?download&psid=1")
            return self.send_body(b'{"error":{"code":"itemNotFound"}}', 404, [("Content-Type", "application/json")])
        if host == "public.dm.files.1drv.com":
            return self.send_body(FILE, headers=[cd("Pathology.pdf")])
        if host == "1drv.ms" or host == "onedrive.live.com":
            return self.html("OneDrive")
        # ---- SharePoint
        if host.endswith(".sharepoint.com"):
            if one("download") == "1" and path == "/:u:/g/personal/dr_x/EaBcD":
                return self.send_body(ZIP, headers=[cd("PET-CT.zip")])
            return self.html("Sign in to your account")
        # ---- Box
        if host == "app.box.com":
            if path == "/shared/static/q1w2e3r4":
                return self.redirect("https://public.boxcloud.com/d/1/b1!xyz/download")
            return self.html("Box | Simple Online Collaboration")
        if host == "public.boxcloud.com":
            return self.send_body(FILE, headers=[cd("Discharge letter.pdf")])
        # ---- WeTransfer: short link -> the page -> its API -> the file
        if host == "we.tl" and path == "/t-AbCd1234":
            return self.redirect("https://wetransfer.com/downloads/%s/%s" % (TID, THASH))
        if host == "wetransfer.com" and path.startswith("/downloads/"):
            return self.html("WeTransfer")
        if host == "download.wetransfer.com" and path == "/eu2/%s/files.zip" % TID and one("token") == "abc":
            return self.send_body(ZIP, headers=[cd("WeTransfer_%s.zip" % TID[:8])])
        # ---- iCloud Drive
        if host == "cvws.icloud-content.com" and path == "/B/AbC/$%7Bf%7D":
            return self.send_body(ZIP, headers=[cd("scan.zip")])
        if host == "www.icloud.com":
            return self.html("iCloud Drive")
        # ---- a portal, a plain link that answers a page
        if host == "share.ambrahealth.com":
            return self.html("Ambra Health | Sign In")
        if host == "records.example-hospital.org":
            if path == "/files/expired.zip":
                return self.html("Link expired &#8211; Example Hospital")
            if path == "/files/notitle":
                return self.send_body(b"<html>\n<body>Error</body></html>", 200, [("Content-Type", "text/plain")])
        self.send_body(b"?\n", 404)


class Env:
    def __init__(self):
        self.state = tf.State()
        self.ca = tf.make_ca("test-ca")
        with open(os.path.join(TMP, "ext.cnf"), "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    % ",".join("DNS:" + h for h in HOSTS))
        tf.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=services")
        tf.openssl("x509", "-req", "-in", "srv.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key",
                   "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(TMP, "srv.pem"), os.path.join(TMP, "srv.key"))
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        srv.state = self.state
        srv.other_base = ""
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        port = srv.server_address[1]
        # Every service host to the test server; one entry that would go elsewhere, which the hook drops.
        os.environ["INGEST_TEST_CONNECT_TO"] = ",".join(
            ["%s:443:127.0.0.1:%d" % (h, port) for h in HOSTS] + ["example.net:443:192.0.2.1:443"])

    def hits(self, hostpath):
        return self.state.hits(hostpath)

    def queries(self, hostpath):
        return [h.get("query") for p, h in self.state.requests if p == hostpath]


def get(env, url):
    tf.TMP = TMP
    return tf.get(url, "--ca", env.ca, "--services", SERVICES, "--retry-ms", "50")


EMEDIUMTYPE = -tf.errno.EMEDIUMTYPE


def expect_web_page(d, title):
    check(d["rc"] == EMEDIUMTYPE, "rc %d, expected %d (%s)" % (d["rc"], EMEDIUMTYPE, d.get("error")))
    want = "the link gave a web page (\"%s\"), not the files: it may need a sign-in, a click or have expired; " \
           "ask the patient for a direct download link or the files themselves" % title if title else \
           "the link gave a web page, not the files"
    check(want in d["error"], "error %r lacks %r" % (d["error"], want))


# ---------------------------------------------------------------- cases

def case_data():
    """The data file loads; every service's shapes plan as documented; a bad file is refused with FILE:LINE:COL."""
    r = subprocess.run([DRIVER, "services", SERVICES,
                        "https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing",
                        "https://drive.google.com/open?id=XYZ",
                        "https://drive.google.com/uc?export=download&id=QQ",
                        "https://drive.google.com/drive/folders/abc?usp=sharing",
                        "https://www.dropbox.com/s/abc123/MRI%20scan.zip?dl=0",
                        "https://www.dropbox.com/scl/fi/xyz/report.pdf?rlkey=k1&dl=0",
                        ONEDRIVE_LINK,
                        "https://contoso.sharepoint.com/:u:/g/personal/a_b/EAbc?e=xyz",
                        "https://app.box.com/s/abcdef",
                        "https://we.tl/t-AbCd",
                        "https://wetransfer.com/downloads/0123abcd/7b85a0",
                        "https://www.icloud.com/iclouddrive/0a1B2c#scan",
                        "https://eu.ambrahealth.com/share/x",
                        "https://drive.google.com/file/d/%22x%22%7D/view",
                        "https://drive.google.com/file/d/a\"b/view"],
                       capture_output=True, text=True, timeout=10)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "services exited %d: %s" % (r.returncode, r.stdout))
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    print("\n".join("\t".join(x) for x in rows))
    want = [
        ("Google Drive", "direct", "https://drive.usercontent.google.com/download?id=1AbC_d-9&export=download"),
        ("Google Drive", "direct", "https://drive.usercontent.google.com/download?id=XYZ&export=download"),
        ("Google Drive", "direct", "https://drive.usercontent.google.com/download?id=QQ&export=download"),
        ("Google Drive", "problem", None),
        ("Dropbox", "direct", "https://www.dropbox.com/s/abc123/MRI%20scan.zip?dl=1"),
        ("Dropbox", "direct", "https://www.dropbox.com/scl/fi/xyz/report.pdf?rlkey=k1&dl=1"),
        ("OneDrive", "direct", "https://api.onedrive.com/v1.0/shares/u!" +
         base64.urlsafe_b64encode(ONEDRIVE_LINK.encode()).decode().rstrip("=") + "/root/content"),
        ("SharePoint / OneDrive for work", "direct",
         "https://contoso.sharepoint.com/:u:/g/personal/a_b/EAbc?e=xyz&download=1"),
        ("Box", "direct", "https://app.box.com/shared/static/abcdef"),
        ("WeTransfer", "follow", "https://we.tl/t-AbCd"),
        ("WeTransfer", "api", "https://wetransfer.com/api/v4/transfers/0123abcd/download"),
        ("iCloud Drive", "api",
         "https://ckdatabasews.icloud.com/database/1/com.apple.cloudkit/production/public/records/resolve"),
        ("none", "Ambra Health", None),
        ("Google Drive", "direct", None),     # percent-encoded: captured as it is, cannot break out
        ("none", "", None),                   # a raw quote is not captured
    ]
    check(len(rows) == len(want), "rows %d" % len(rows))
    for row, (svc, act, url) in zip(rows, want):
        check(row[1] == svc and row[2] == act, "%s: %r" % (row[0], row[1:]))
        if url is not None:
            check(row[3] == url, "%s: %r, expected %r" % (row[0], row[3], url))
    check("folder link" in rows[3][3] and "zip" in rows[3][3], "folder: %r" % rows[3][3])
    check(rows[10][4] == '{"security_hash":"7b85a0","intent":"entire_transfer"}', "json %r" % rows[10][4])
    check(rows[11][4] == '{"shortGUIDs":[{"value":"0a1B2c"}]}', "json %r" % rows[11][4])

    bad = os.path.join(TMP, "bad.yaml")
    with open(bad, "w") as f:
        f.write("services:\n"
                "  - id: x\n    name: X\n    source: s\n    shapes:\n"
                "      - host: Example.COM\n        path: /a\n        direct: https://x/\n"
                "      - host: e.com\n        path: /{id}\n        direct: https://e.com/{nope}\n"
                "      - host: e.com\n        path: /b\n        direct: http://e.com/\n        problem: p\n"
                "      - host: e.com\n        path: /c\n        follow: yes\n        colour: red\n"
                "portals:\n  - { name: P }\n")
    r = subprocess.run([DRIVER, "services", bad], capture_output=True, text=True, timeout=10)
    print(r.stdout)
    check(r.returncode == 2, "a bad file was accepted")
    for frag in ("bad.yaml:6:15: \"Example.COM\"", "\"{nope}\" is not captured", "must start with https://",
                 "exactly one of direct, follow, api, problem (this one has 2)", "\"follow\" can only be true",
                 "unknown key \"colour\"", "\"host\" is missing"):
        check(frag in r.stdout, "error lacks %r" % frag)


def case_gdrive():
    e = Env()
    d = get(e, "https://drive.google.com/file/d/SMALL-1/view?usp=sharing")
    tf.expect_ok(d, FILE, "CT chest.zip")
    check(e.hits("drive.google.com/file/d/SMALL-1/view") == 0, "the share page was fetched")
    d = get(e, "https://drive.google.com/open?id=SMALL-1")
    tf.expect_ok(d, FILE, "CT chest.zip")
    # The large-file confirmation: the page's own form, submitted once.
    d = get(e, "https://drive.google.com/uc?id=BIG-1&export=download")
    tf.expect_ok(d, ZIP, "MRI brain 2024.zip")
    qs = e.queries("drive.usercontent.google.com/download")
    check(qs[-1] == "id=BIG-1&export=download&confirm=t&uuid=5f0e-77aa", "form query %r" % qs[-1])
    # A private file: Google sends the sign-in page.
    d = get(e, "https://drive.google.com/file/d/PRIVATE-1/view")
    expect_web_page(d, "Sign in - Google Accounts")
    # An expired one: Google's 404 page.
    d = get(e, "https://drive.google.com/file/d/GONE-1/view")
    tf.expect_fail(d, -tf.errno.EREMOTEIO, "404 Not Found", "expired")
    # A folder: said plainly, nothing fetched.
    n = len(e.state.requests)
    d = get(e, "https://drive.google.com/drive/folders/1xYz?usp=sharing")
    check(d["rc"] == EMEDIUMTYPE and "Google Drive folder link" in d["error"] and "zip" in d["error"],
          "folder: %r" % d.get("error"))
    check(len(e.state.requests) == n, "a folder link was requested")


def case_dropbox():
    e = Env()
    d = get(e, "https://www.dropbox.com/s/abc123/CT%20report.pdf?dl=0")
    tf.expect_ok(d, FILE, "CT report.pdf")
    check(e.queries("www.dropbox.com/s/abc123/CT%20report.pdf") == ["dl=1"], "dl=1 not asked")
    d = get(e, "https://www.dropbox.com/scl/fo/f0ld3r/hk3y?rlkey=rk1&dl=0")
    tf.expect_ok(d, ZIP, "Scans.zip")
    d = get(e, "https://www.dropbox.com/scl/fi/gone77/x.zip?rlkey=r&dl=0")
    expect_web_page(d, "Dropbox - Error")


def case_onedrive():
    e = Env()
    d = get(e, ONEDRIVE_LINK)
    tf.expect_ok(d, FILE, "Pathology.pdf")
    check(e.hits("1drv.ms/u/s!AkPx9cQ3-file") == 0, "the share page was fetched")
    d = get(e, "https://1drv.ms/u/s!Unknown?e=1")
    tf.expect_fail(d, -tf.errno.EREMOTEIO, "404")
    d = get(e, "https://contoso.sharepoint.com/:u:/g/personal/dr_x/EaBcD?e=fGh1")
    tf.expect_ok(d, ZIP, "PET-CT.zip")
    check(e.queries("contoso.sharepoint.com/:u:/g/personal/dr_x/EaBcD") == ["e=fGh1&download=1"], "download=1")
    d = get(e, "https://contoso-my.sharepoint.com/:f:/g/personal/dr_x/Folder1")
    expect_web_page(d, "Sign in to your account")


def case_box():
    e = Env()
    d = get(e, "https://app.box.com/s/q1w2e3r4")
    tf.expect_ok(d, FILE, "Discharge letter.pdf")
    check(e.hits("app.box.com/s/q1w2e3r4") == 0, "the preview page was fetched")
    d = get(e, "https://app.box.com/s/expired0")
    expect_web_page(d, "Box | Simple Online Collaboration")
    n = len(e.state.requests)
    d = get(e, "https://app.box.com/folder/123456")
    check(d["rc"] == EMEDIUMTYPE and "Box folder link" in d["error"], "folder: %r" % d.get("error"))
    check(len(e.state.requests) == n, "a folder link was requested")


def case_wetransfer():
    e = Env()
    d = get(e, "https://we.tl/t-AbCd1234")
    tf.expect_ok(d, ZIP, "WeTransfer_91c97b33.zip")
    check(e.hits("wetransfer.com/api/v4/transfers/%s/download" % TID) == 1, "the API was not asked once")
    d = get(e, "https://wetransfer.com/downloads/0000aaaa/%s" % THASH)
    check(d["rc"] == EMEDIUMTYPE and "WeTransfer did not give a download" in d["error"], "expired: %r" % d)


def case_icloud():
    e = Env()
    d = get(e, "https://www.icloud.com/iclouddrive/0aBcD3fGh#scan")
    tf.expect_ok(d, ZIP, "scan.zip")
    d = get(e, "https://www.icloud.com/iclouddrive/0gone#x")
    check(d["rc"] == EMEDIUMTYPE and "iCloud Drive did not give a download" in d["error"], "gone: %r" % d)


def case_pages():
    e = Env()
    d = get(e, "https://share.ambrahealth.com/share/s-1")
    check(d["rc"] == EMEDIUMTYPE and "image-sharing portal Ambra Health" in d["error"]
          and "(\"Ambra Health | Sign In\")" in d["error"] and "sign in" in d["error"], "portal: %r" % d.get("error"))
    d = get(e, "https://records.example-hospital.org/files/expired.zip")
    expect_web_page(d, "Link expired \u2013 Example Hospital")
    d = get(e, "https://records.example-hospital.org/files/notitle")     # text/plain, but a page by its bytes
    expect_web_page(d, None)


def case_drop():
    """A links.txt of every shape: the files, named right, and one clear problem per bad link, in one report."""
    e = Env()
    links = ["https://drive.google.com/file/d/SMALL-1/view?usp=sharing",
             "https://drive.google.com/uc?id=BIG-1&export=download",
             "https://drive.google.com/drive/folders/1xYz",
             "https://www.dropbox.com/s/abc123/CT%20report.pdf?dl=0",
             ONEDRIVE_LINK,
             "https://app.box.com/s/q1w2e3r4",
             "https://we.tl/t-AbCd1234",
             "https://www.icloud.com/iclouddrive/0aBcD3fGh#scan",
             "https://share.ambrahealth.com/share/s-1",
             "https://records.example-hospital.org/files/expired.zip?token=secret"]
    tf.TMP = TMP
    files, probs, elapsed = tf.drop(links, "--ca", e.ca)
    for name, size in (("CT chest.zip", len(FILE)), ("MRI brain 2024.zip", len(ZIP)), ("CT report.pdf", len(FILE)),
                       ("Pathology.pdf", len(FILE)), ("Discharge letter.pdf", len(FILE)),
                       ("WeTransfer_91c97b33.zip", len(ZIP)), ("scan.zip", len(ZIP))):
        f = files.get("links.txt!/" + name)
        check(f is not None and f.get("bytes") == size, "%s: %r" % (name, f))
    bad = {k: v for k, v in probs.items() if k.startswith("links.txt!/")}
    check(len(bad) == 3, "problems %r" % sorted(bad))
    p = bad.get("links.txt!/https://drive.google.com/drive/folders/1xYz", {})
    check(p.get("code") == "download" and "folder link" in p.get("message", ""), "folder %r" % p)
    p = bad.get("links.txt!/https://share.ambrahealth.com/share/s-1", {})
    check(p.get("code") == "download" and "portal Ambra Health" in p.get("message", ""), "portal %r" % p)
    p = bad.get("links.txt!/https://records.example-hospital.org/files/expired.zip", {})
    check(p.get("code") == "download" and "the link gave a web page" in p.get("message", ""), "page %r" % p)
    # No web page was kept as a record: every kept download is one of the files above.
    kept = [k for k, f in files.items() if k.startswith("links.txt!/") and f.get("kind") != "link"]
    check(all(not k.startswith("links.txt!/http") for k in kept), "kept %r" % kept)
    check(not any("secret" in json.dumps(v) for v in probs.values()), "a query string reached the report")


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    global DRIVER, SERVICES, TMP
    DRIVER, SERVICES, case = sys.argv[1], sys.argv[2], sys.argv[3]
    tf.DRIVER = DRIVER
    tf.proxy_trap()
    TMP = tempfile.mkdtemp(prefix="share-")
    tf.TMP = TMP
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

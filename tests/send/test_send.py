#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#22: `ingest send` delivers a package's DICOM objects to a real PACS over
DICOMweb: Debian's Orthanc with its DICOMweb plugin, started by this test in
a private network namespace (tests/pacs/orthanc.py) and stopped by it. What
Orthanc holds is read through its own REST API, never through our code.

  deliver  the fixture package delivered: Orthanc's SOP Instance UIDs are the
           package's (read with pydicom), the receipt says so; a second send
           sends nothing; plain http is refused without --allow-http; a URL
           with credentials in it is refused; a package that fails
           verification is not sent
  resume   a kill between two batches (INGEST_TEST_CRASH_AT=send-batch), then
           a second send: every object there once, the first batch not sent
           again
  retry    a proxy in front of Orthanc answers 503 to the first STOW-RS
           requests, then passes them on: the delivery retries and completes;
           a destination that never recovers is a clear failure (exit 1);
           connections cut without an answer (a PACS restarting) are retried
  refuse   Orthanc refuses one SOP class (PET, a Lua filter): each refused
           object is reported with its reason, the rest confirmed, exit 1
  tls      https with a test CA (openssl) and HTTP basic authentication:
           delivered with --ca and --basic-file; refused without the CA or
           with a wrong password; the same with a bearer token (--token-file,
           checked by the proxy); secrets never printed. Debian's
           Orthanc 1.10.1 resets every TLS connection after the handshake
           here (SslEnabled; curl sees "connection reset by peer"), so TLS is
           ended by a small Python proxy on 127.0.0.1 in front of it;
           Orthanc checks the credentials itself
  samples  a package of every pydicom sample *.dcm (odd encodings, big
           endian, no file meta, multi-frame, compressed): every object of
           its file-set delivered and confirmed
  paging   one study of 1,100 objects (more than a QIDO-RS page of 1,000):
           delivered, and a second send finds every one (sends nothing)
  named    --to NAME --config FILE: a destination of ingestd's configuration
           (destinations:), and its delivery.default without --to; an unknown name and an invalid destination are
           usage errors that name the file, line and column
  parallel a proxy that holds each STOW-RS request until a second one is in
           flight: two batches are sent at once, never more, over two
           kept-alive connections that carry every request; every series
           of the package is confirmed by a QIDO-RS query naming it, none
           before every batch holding one of its objects was answered"""
import http.client
import http.server
import io
import json
import os
import subprocess
import sys
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pacs'))
sys.path.insert(0, os.path.join(HERE, '..', 'package'))
import orthanc  # noqa: E402

orthanc.private_network()

import pydicom  # noqa: E402
from pkgtest import check, fixtures, ingest, workdir  # noqa: E402

DICOMWEB = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'


def start_orthanc():
    return orthanc.Orthanc(plugins=[DICOMWEB], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'}})


def package(work, drop='CASE-DEMO-1'):
    fx = fixtures(work)
    out = os.path.join(work, 'outbox')
    ingest('package', os.path.join(fx, 'drops', drop), '--out', out, '--no-fetch', check_rc=0)
    for sub in ('ready', 'pending'):
        bag = os.path.join(out, sub, drop)
        if os.path.isdir(bag):
            return out, bag
    check(False, 'no package for %s under %s' % (drop, out))


def package_sops(bag):
    sops = []
    for root, _, files in os.walk(os.path.join(bag, 'data', 'DICOM')):
        for f in files:
            if root == os.path.join(bag, 'data', 'DICOM') and f == 'DICOMDIR':
                continue
            sops.append(str(pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True).SOPInstanceUID))
    check(len(sops) > 10, 'the fixture package has only %d DICOM objects' % len(sops))
    return sops


def orthanc_sops(o):
    """SOP Instance UID of every instance Orthanc holds, from its REST API (a list: duplicates show)."""
    out = []
    for i in o.get('/instances'):
        out.append(o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID'])
    return out


def send(bag, url, *extra, env=None, check_rc=None):
    return ingest('send', bag, *(['--to', url] if url else []), *extra, env=env, check_rc=check_rc)


def stow_requests(o):
    """STOW-RS requests Orthanc's log shows (its access log is off: count through statistics instead)."""
    return o.statistics()['CountInstances']


def test_deliver(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        # plain http refused without --allow-http: nothing sent
        p = send(bag, url)
        check(p.returncode == 2 and b'--allow-http' in p.stderr,
              'plain http was not refused: exit %d %s' % (p.returncode, p.stderr))
        check(o.statistics()['CountInstances'] == 0, 'something was sent over plain http without --allow-http')
        # credentials in the URL refused
        p = send(bag, url.replace('http://', 'http://user:secret@'), '--allow-http')
        check(p.returncode == 2 and b'secret' not in p.stderr + p.stdout,
              'a URL with a password was not refused, or the password was printed: %d %s' % (p.returncode, p.stderr))
        # a byte budget smaller than the first batch: nothing sent, a clear failure
        p = send(bag, url, '--allow-http', '--max-bytes', '1000', '--no-receipt')
        check(p.returncode == 1 and b'byte budget' in p.stderr and o.statistics()['CountInstances'] == 0,
              'the byte budget did not hold: exit %d %s' % (p.returncode, p.stderr))
        # the delivery, in several batches
        p = send(bag, url, '--allow-http', '--batch-bytes', '200000', check_rc=0)
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'Orthanc holds %d instances, the package %d; only in Orthanc %r, only '
              'in the package %r' % (len(have), len(want), sorted(set(have) - set(want))[:5],
                                     sorted(set(want) - set(have))[:5]))
        receipt = os.path.join(out, 'receipts', os.path.basename(bag) + '.json')
        check(os.path.isfile(receipt), 'no receipt at %s' % receipt)
        r = json.load(open(receipt))
        check(r['delivered'] is True and r['objects'] == len(want) and r['confirmed'] == len(want)
              and r['sent'] == len(want) and r['already_there'] == 0 and r['failed'] == 0,
              'receipt counts wrong: %r' % {k: v for k, v in r.items() if k != 'confirmed_uids'})
        check(sorted(r['confirmed_uids']) == sorted(want), 'the receipt does not list the confirmed UIDs')
        check(r['destination'] == url, 'receipt destination %r' % r['destination'])
        check(len(r['manifest_sha256']) == 64, 'receipt has no manifest hash')
        check(oct(os.stat(receipt).st_mode & 0o777) in ('0o640', '0o600'), 'receipt mode is not 0640')
        check(not [f for f in os.listdir(os.path.dirname(receipt)) if '.tmp.' in f], 'a temporary receipt is left')
        # bag-info untouched, package still verifies
        ingest('verify', bag, check_rc=0)
        # a second send sends nothing and still confirms everything
        p = send(bag, url, '--allow-http', check_rc=0)
        r = json.load(open(receipt))
        check(r['sent'] == 0 and r['already_there'] == len(want) and r['confirmed'] == len(want)
              and r['bytes_sent'] == 0, 'the second send sent again: %r' % {k: v for k, v in r.items()
                                                                       if k != 'confirmed_uids'})
        check(sorted(orthanc_sops(o)) == sorted(want), 'the second send changed what Orthanc holds')
        # an altered package is not sent (a fresh Orthanc would hold nothing from it)
        victim = os.path.join(bag, 'data', 'DICOM')
        for root, _, files in os.walk(victim):
            files = [f for f in files if f != 'DICOMDIR']
            if files:
                with open(os.path.join(root, files[0]), 'r+b') as f:
                    f.seek(200)
                    f.write(b'X')
                break
        p = send(bag, url, '--allow-http', '--no-receipt')
        check(p.returncode == 1 and b'fails verification' in p.stderr,
              'an altered package was not refused: exit %d %s' % (p.returncode, p.stderr))
    # the verification runs while the objects are listed and a destination asked what it holds: to an
    # empty one, an altered package sends nothing at all
    with start_orthanc() as o2:
        p = send(bag, o2.base + '/dicom-web/', '--allow-http', '--no-receipt')
        check(p.returncode == 1 and b'fails verification' in p.stderr and b'nothing was sent' in p.stderr,
              'an altered package was not refused by an empty destination: exit %d %s' % (p.returncode, p.stderr))
        held = orthanc_sops(o2)
        check(held == [], 'an altered package put %d objects into an empty destination' % len(held))
        # a folder that is no bag (data/DICOM empty, no bagit.txt): the input's fault, exit 3, said once
        nobag = os.path.join(work, 'nobag')
        os.makedirs(os.path.join(nobag, 'data', 'DICOM'), exist_ok=True)
        p = send(nobag, o2.base + '/dicom-web/', '--allow-http', '--no-receipt')
        check(p.returncode == 3 and b'is not a BagIt package' in p.stderr and b'nothing was sent' in p.stderr,
              'a folder that is no bag: exit %d %s' % (p.returncode, p.stderr))
    print('deliver: %d objects delivered and confirmed; second send sent nothing; http, credentials in URL and an '
          'altered package refused (an empty destination given none of it)' % len(want))


def test_resume(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        p = send(bag, url, '--allow-http', '--batch-bytes', '200000', env={'INGEST_TEST_CRASH_AT': 'send-batch'})
        check(p.returncode in (-9, 137), 'the crash point did not kill the send: exit %d %s' % (p.returncode,
                                                                                              p.stderr))
        first = orthanc_sops(o)
        check(0 < len(first) < len(want), 'after the kill Orthanc holds %d of %d (wanted some, not all)'
              % (len(first), len(want)))
        receipt = os.path.join(out, 'receipts', os.path.basename(bag) + '.json')
        check(not os.path.exists(receipt), 'a receipt was written by the killed send')
        send(bag, url, '--allow-http', '--batch-bytes', '200000', check_rc=0)
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'after the resend Orthanc holds %d instances (%d distinct), the '
              'package %d' % (len(have), len(set(have)), len(want)))
        r = json.load(open(receipt))
        check(r['already_there'] == len(first) and r['sent'] == len(want) - len(first),
              'the resend did not skip what had arrived: %r' % {k: v for k, v in r.items() if k != 'confirmed_uids'})
    print('resume: killed after %d of %d objects; the resend sent the other %d only' % (len(first), len(want),
                                                                                      len(want) - len(first)))


class FlakyProxy(http.server.BaseHTTPRequestHandler):
    """Passes requests on to Orthanc, but answers 503 to the first FAIL POSTs."""
    target = None
    fail = 0
    posts = 0
    drop = False
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    login = None    # when set, the Authorization header given to Orthanc
    bearer = None   # when set, a request without "Authorization: Bearer <bearer>" gets 401

    def relay(self, method):
        n = int(self.headers.get('Content-Length', 0))
        if method == 'POST' and FlakyProxy.drop and FlakyProxy.posts < FlakyProxy.fail:
            with self.lock:
                FlakyProxy.posts += 1
            self.rfile.read(min(n, 4096))            # a PACS restarting: the upload cut in the middle
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.body = self.rfile.read(n) if n else None
        if self.bearer and self.headers.get('Authorization') != 'Bearer ' + self.bearer:
            self.send_response(401)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if method == 'POST':
            with self.lock:
                FlakyProxy.posts += 1
                flaky = FlakyProxy.posts <= FlakyProxy.fail
            if flaky:
                self.send_response(503)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
        c = http.client.HTTPConnection('127.0.0.1', self.target, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection')}
        if self.login:
            hdrs['Authorization'] = self.login
        c.request(method, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        self.answered = time.monotonic()     # before the client can have the answer
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()

    def do_GET(self):
        self.relay('GET')

    def do_POST(self):
        self.relay('POST')


def test_retry(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        FlakyProxy.target = o.http_port
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), FlakyProxy)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        try:
            # never recovers: a clear failure after the retries, nothing stored
            FlakyProxy.fail, FlakyProxy.posts = 1000, 0
            p = send(bag, url, '--allow-http', '--no-receipt')
            check(p.returncode == 1 and b'HTTP 503' in p.stderr, 'a destination that answers 503 for ever: '
                  'exit %d %s' % (p.returncode, p.stderr))
            check(FlakyProxy.posts == 5, 'wanted 1 + 4 retries, saw %d STOW-RS requests' % FlakyProxy.posts)
            # recovers after two 503s: retried, delivered
            FlakyProxy.fail, FlakyProxy.posts = 2, 0
            p = send(bag, url, '--allow-http', check_rc=0)
            check(b'HTTP 503; trying again' in p.stderr, 'the retry was not said: %s' % p.stderr)
            check(sorted(orthanc_sops(o)) == sorted(want), 'after the retries Orthanc does not hold the package')
            # uploads cut in the middle without an answer (a PACS restarting), twice: retried, delivered
            for i in o.get('/instances'):
                o.request('DELETE', '/instances/' + i)
            check(o.statistics()['CountInstances'] == 0, 'Orthanc did not delete the instances')
            FlakyProxy.fail, FlakyProxy.posts, FlakyProxy.drop = 2, 0, True
            p = send(bag, url, '--allow-http', '--no-receipt', check_rc=0)
            check(b'cannot be reached' in p.stderr and b'trying again' in p.stderr,
                  'the cut connections were not said: %s' % p.stderr)
            check(sorted(orthanc_sops(o)) == sorted(want), 'after cut connections Orthanc does not hold the package')
        finally:
            srv.shutdown()
    print('retry: 503 for ever fails after 5 attempts; 503 twice, then connections cut twice: retried and delivered (%d objects)' % len(want))


def stow_series(ctype, body):
    """The Series Instance UIDs of the objects in a STOW-RS body (multipart/related)."""
    boundary = ctype.split('boundary=', 1)[1].split(';')[0].strip('"').encode()
    out = set()
    for part in body.split(b'--' + boundary)[1:]:
        if part.startswith(b'--'):
            break
        data = part.split(b'\r\n\r\n', 1)[1][:-2]
        out.add(str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True).SeriesInstanceUID))
    return out


class PairProxy(FlakyProxy):
    """FlakyProxy with keep-alive (HTTP/1.1) that notes the client connection of every request, and holds a
    STOW-RS POST up to 10 s until a second one is in flight beside it: a client that sends one batch at a time
    shows one in flight at most. Every request is logged: (method, path, start, the time Orthanc's answer came
    back (before the client has it), the series of a POST's objects)."""
    protocol_version = 'HTTP/1.1'
    cond = threading.Condition()
    active = most = 0
    conns = set()
    log = []

    def relay(self, method):
        t0 = time.monotonic()
        with self.cond:
            PairProxy.conns.add(self.client_address)
        if method != 'POST':
            FlakyProxy.relay(self, method)
            with self.cond:
                PairProxy.log.append((method, self.path, t0, self.answered, set()))
            return
        with self.cond:
            PairProxy.active += 1
            PairProxy.most = max(PairProxy.most, PairProxy.active)
            self.cond.notify_all()
            self.cond.wait_for(lambda: PairProxy.active > 1, timeout=10)
        try:
            FlakyProxy.relay(self, method)
        finally:
            with self.cond:
                PairProxy.active -= 1
        series = stow_series(self.headers.get('Content-Type', ''), self.body)
        with self.cond:
            PairProxy.log.append((method, self.path, t0, self.answered, series))


def test_parallel(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        PairProxy.target = o.http_port
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), PairProxy)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        try:
            p = send(bag, url, '--allow-http', '--batch-bytes', '200000', check_rc=0)
            r = json.load(open(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')))
            check(PairProxy.most == 2, 'wanted two STOW-RS requests in flight at once, at most; saw %d'
                  % PairProxy.most)
            check(len(PairProxy.conns) == 2, 'wanted every request on two kept-alive connections, saw %d '
                  'connections' % len(PairProxy.conns))
            check(sorted(orthanc_sops(o)) == sorted(want) and r['confirmed'] == len(want),
                  'after the parallel send Orthanc does not hold the package: %s' % p.stderr)
        finally:
            srv.shutdown()
    # the confirming queries (those after the first STOW-RS began): one per series of the package, each asked
    # only once every batch holding an object of that series was answered
    log = sorted(PairProxy.log, key=lambda x: x[2])
    posts = [x for x in log if x[0] == 'POST']
    check(len(posts) >= 3, 'wanted at least three batches, saw %d' % len(posts))
    confirms = [x for x in log if x[0] == 'GET' and x[2] > posts[0][2]]
    asked = {}
    for _, path, t0, _, _ in confirms:
        parts = path.split('?')[0].split('/')
        check(len(parts) == 7 and parts[2] == 'studies' and parts[4] == 'series' and parts[6] == 'instances',
              'a confirming query that does not name one series: %s' % path)
        asked[parts[5]] = t0
    series = {str(pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True).SeriesInstanceUID)
              for root, _, files in os.walk(os.path.join(bag, 'data', 'DICOM')) for f in files if f != 'DICOMDIR'}
    check(set(asked) == series, 'confirmed %d series, the package has %d' % (len(asked), len(series)))
    for uid, t0 in asked.items():
        late = [x for x in posts if uid in x[4] and x[3] > t0]
        check(not late, 'series %s was confirmed before its last batch was answered' % uid)
    overlap = sum(1 for x in confirms if x[2] < posts[-1][3])
    print('parallel: two STOW-RS batches in flight at once on two kept-alive connections; %d objects delivered; '
          '%d series confirmed after their batches (%d of the queries while a batch was in flight)'
          % (len(want), len(series), overlap))


PET = '1.2.840.10008.5.1.4.1.1.128'


def package_sops_of_class(bag, sop_class):
    out = []
    for root, _, files in os.walk(os.path.join(bag, 'data', 'DICOM')):
        for f in files:
            if f == 'DICOMDIR':
                continue
            d = pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True)
            if str(d.SOPClassUID) == sop_class:
                out.append(str(d.SOPInstanceUID))
    return out


def test_refuse(work):
    out, bag = package(work)
    want = package_sops(bag)
    pet = package_sops_of_class(bag, PET)
    check(len(pet) > 0, 'the fixture package has no PET objects')
    lua = os.path.join(work, 'refuse-pet.lua')
    with open(lua, 'w') as f:
        f.write('function ReceivedInstanceFilter(dicom, origin, info)\n'
                '  return dicom.SOPClassUID ~= "%s"\n'
                'end\n' % PET)
    with orthanc.Orthanc(plugins=[DICOMWEB], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'},
                                                    'LuaScripts': [lua]}) as o:
        url = o.base + '/dicom-web/'
        p = send(bag, url, '--allow-http')
        check(p.returncode == 1 and b'not delivered' in p.stderr,
              'a delivery with refused objects did not fail: exit %d %s' % (p.returncode, p.stderr))
        have = orthanc_sops(o)
        check(sorted(have) == sorted(set(want) - set(pet)), 'Orthanc holds %d, wanted all but the %d PET objects'
              % (len(have), len(pet)))
        r = json.load(open(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')))
        # Orthanc 1.10's DICOMweb lists a filtered-out instance as stored (ReferencedSOPSequence):
        # only the confirming QIDO-RS finds it missing; a PACS that says FailedSOPSequence is counted "failed"
        check(r['delivered'] is False and r['confirmed'] == len(want) - len(pet)
              and r['failed'] + r['sent'] == len(want),
              'receipt counts wrong: %r' % {k: v for k, v in r.items() if k != 'confirmed_uids'})
        nd = r['not_delivered']
        check(sorted(x['sop_instance_uid'] for x in nd) == sorted(pet), 'the receipt does not list the PET objects')
        check(all(x['reason'] for x in nd), 'a refused object has no reason: %r' % nd[:2])
        check(sorted(r['confirmed_uids']) == sorted(set(want) - set(pet)), 'the receipt confirms a refused object')
    print('refuse: %d PET objects refused, each reported with its reason (%s); %d confirmed'
          % (len(pet), nd[0]['reason'], len(want) - len(pet)))


def openssl(tmp, *args):
    subprocess.run(['openssl', *args], check=True, cwd=tmp, capture_output=True, timeout=60)


def make_certs(tmp):
    """A test CA and a server certificate for 127.0.0.1 (as tests/fetch); Orthanc's PEM holds key and cert."""
    openssl(tmp, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
            '-days', '2', '-subj', '/CN=ingest-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    with open(os.path.join(tmp, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n'
                'extendedKeyUsage=serverAuth\n')
    openssl(tmp, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr',
            '-subj', '/CN=127.0.0.1')
    openssl(tmp, 'x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
            '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf')
    both = os.path.join(tmp, 'orthanc.pem')
    with open(both, 'w') as f:
        f.write(open(os.path.join(tmp, 'srv.key')).read() + open(os.path.join(tmp, 'srv.pem')).read())
    return os.path.join(tmp, 'ca.pem'), both


class AuthOrthanc(orthanc.Orthanc):
    """Orthanc with HTTP basic authentication on; our own requests to it log in."""
    auth = None

    def request(self, method, path, body=None, ctype=None):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header('Authorization', self.auth)
        if ctype:
            req.add_header('Content-Type', ctype)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def test_tls(work):
    import base64
    out, bag = package(work)
    want = package_sops(bag)
    ca, pem = make_certs(work)
    AuthOrthanc.auth = 'Basic ' + base64.b64encode(b'courier:s3cret-pw').decode()
    cred = os.path.join(work, 'pacs.cred')
    with open(cred, 'w') as f:
        f.write('courier:s3cret-pw\n')
    os.chmod(cred, 0o600)
    wrong = os.path.join(work, 'wrong.cred')
    with open(wrong, 'w') as f:
        f.write('courier:wrong-pw\n')
    extra = {'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'},
             'AuthenticationEnabled': True, 'RegisteredUsers': {'courier': 's3cret-pw'}}
    with AuthOrthanc(plugins=[DICOMWEB], extra=extra) as o:
        FlakyProxy.target, FlakyProxy.fail, FlakyProxy.posts = o.http_port, 0, 0
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), FlakyProxy)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(pem)
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'https://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        try:
            # the test CA not given: the certificate is not trusted, nothing sent
            p = send(bag, url, '--basic-file', cred, '--no-receipt')
            check(p.returncode == 1 and b'certificate' in p.stderr and o.statistics()['CountInstances'] == 0,
                  'sent to an untrusted certificate: exit %d %s' % (p.returncode, p.stderr))
            # wrong password: refused with advice, never printed
            p = send(bag, url, '--ca', ca, '--basic-file', wrong, '--no-receipt')
            check(p.returncode == 1 and b'credentials' in p.stderr and b'wrong-pw' not in p.stderr + p.stdout,
                  'a wrong password: exit %d %s' % (p.returncode, p.stderr))
            # the first upload cut in the middle over TLS: retried (not killed by SIGPIPE), delivered
            FlakyProxy.fail, FlakyProxy.posts, FlakyProxy.drop = 1, 0, True
            p = send(bag, url, '--ca', ca, '--basic-file', cred, check_rc=0)
            check(FlakyProxy.posts == 2 and b'trying again' in p.stderr, 'the cut upload was not retried: %s'
                  % p.stderr)
            FlakyProxy.fail, FlakyProxy.drop = 0, False
            check(b's3cret' not in p.stderr + p.stdout, 'the password was printed')
            check(sorted(orthanc_sops(o)) == sorted(want), 'over https Orthanc does not hold the package')
            receipt = os.path.join(out, 'receipts', os.path.basename(bag) + '.json')
            text = open(receipt).read()
            check('s3cret' not in text and json.loads(text)['destination'] == url,
                  'the receipt is wrong or holds the password')
        finally:
            srv.shutdown()
    # a bearer token (the proxy checks it, then logs in to Orthanc for us): wrong token refused, right one delivers
    tok = os.path.join(work, 'pacs.token')
    with open(tok, 'w') as f:
        f.write('tok-3e1f9a\n')
    with AuthOrthanc(plugins=[DICOMWEB], extra=extra) as o:
        FlakyProxy.target, FlakyProxy.bearer = o.http_port, 'tok-3e1f9a'
        FlakyProxy.login = AuthOrthanc.auth
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), FlakyProxy)
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'https://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        try:
            p = send(bag, url, '--ca', ca, '--token-file', cred, '--no-receipt')
            check(p.returncode == 1 and b'credentials' in p.stderr and b's3cret' not in p.stderr + p.stdout,
                  'a wrong token: exit %d %s' % (p.returncode, p.stderr))
            p = send(bag, url, '--ca', ca, '--token-file', tok, '--no-receipt', check_rc=0)
            check(b'tok-3e1f9a' not in p.stderr + p.stdout, 'the token was printed')
            check(sorted(orthanc_sops(o)) == sorted(want), 'with a bearer token Orthanc does not hold the package')
        finally:
            srv.shutdown()
            FlakyProxy.bearer = FlakyProxy.login = None
    print('tls: %d objects over https with basic auth, then with a bearer token, and the test CA; untrusted CA, wrong password and wrong token refused'
          % len(want))


def test_samples(work):
    import glob
    import shutil
    drop = os.path.join(work, 'SAMPLES')
    os.makedirs(drop)
    for f in glob.glob('/usr/lib/python3/dist-packages/pydicom/data/test_files/*.dcm'):
        shutil.copy(f, drop)
    out = os.path.join(work, 'outbox')
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    bag = [os.path.join(out, d, 'SAMPLES') for d in ('ready', 'pending') if os.path.isdir(os.path.join(out, d, 'SAMPLES'))][0]
    want = package_sops(bag)
    with start_orthanc() as o:
        p = send(bag, o.base + '/dicom-web/', '--allow-http', '--batch-bytes', '4000000')
        check(os.path.exists(os.path.join(out, 'receipts', 'SAMPLES.json')), 'no receipt: exit %d %s'
              % (p.returncode, p.stderr.decode(errors='replace')[-3000:]))
        r = json.load(open(os.path.join(out, 'receipts', 'SAMPLES.json')))
        check(p.returncode == 0 and r['delivered'], 'the samples package was not delivered: exit %d %s\n%s'
              % (p.returncode, p.stderr.decode(errors='replace')[-3000:], json.dumps(r.get('not_delivered'))[:3000]))
        have = orthanc_sops(o)
        check(sorted(set(have)) == sorted(set(want)), 'Orthanc holds %d distinct, the package %d'
              % (len(set(have)), len(set(want))))
    print('samples: %d objects of the pydicom samples delivered and confirmed (%d bytes sent)'
          % (len(want), r['bytes_sent']))


def test_paging(work):
    _, fixture_bag = package(work)
    ct = None
    for root, _, files in os.walk(os.path.join(fixture_bag, 'data', 'DICOM')):
        for f in sorted(files):
            d = pydicom.dcmread(os.path.join(root, f)) if f != 'DICOMDIR' else None
            if d is not None and d.Modality == 'CT':
                ct = d
                break
        if ct is not None:
            break
    check(ct is not None, 'no CT object in the fixture package')
    drop = os.path.join(work, 'BIGSTUDY')
    os.makedirs(drop)
    n = 1100
    for i in range(n):
        ct.SOPInstanceUID = '1.2.826.0.1.3680043.10.1234.77.1.%d' % (i + 1)
        ct.file_meta.MediaStorageSOPInstanceUID = ct.SOPInstanceUID
        ct.InstanceNumber = i + 1
        ct.ImagePositionPatient = [0, 0, i * 1.0]
        ct.SliceLocation = i * 1.0
        ct.save_as(os.path.join(drop, 'IM%05d.dcm' % i), write_like_original=True)
    out = os.path.join(work, 'outbox2')
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    bag = [os.path.join(out, d, 'BIGSTUDY') for d in ('ready', 'pending')
           if os.path.isdir(os.path.join(out, d, 'BIGSTUDY'))][0]
    want = package_sops(bag)
    check(len(want) == n, 'the package holds %d of the %d objects' % (len(want), n))
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        send(bag, url, '--allow-http', check_rc=0)
        check(o.statistics()['CountInstances'] == n, 'Orthanc holds %d of %d' % (o.statistics()['CountInstances'], n))
        # Orthanc honours limit=: one page is not the whole study, so finding all of them took paging
        st, body = o.request('GET', '/dicom-web/studies/%s/instances?includefield=00080018&limit=1000'
                             % ct.StudyInstanceUID)
        check(st == 200 and len(json.loads(body)) == 1000, 'Orthanc does not page QIDO-RS answers (HTTP %d)' % st)
        send(bag, url, '--allow-http', check_rc=0)
        r = json.load(open(os.path.join(out, 'receipts', 'BIGSTUDY.json')))
        check(r['already_there'] == n and r['sent'] == 0 and r['confirmed'] == n,
              'the second send did not find all %d: %r' % (n, {k: v for k, v in r.items() if k != 'confirmed_uids'}))
    print('paging: %d objects of one study delivered; the second send found all of them over QIDO-RS pages' % n)


def test_named(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        cfg = os.path.join(work, 'ingestd.yaml')
        with open(cfg, 'w') as f:
            f.write('destinations:\n  centre-a:\n    dicomweb: %s/dicom-web/\n    allow_http: true\n' % o.base)
        p = send(bag, 'centre-b', '--config', cfg)
        check(p.returncode == 2 and b'no destination "centre-b"' in p.stderr,
              'an unknown destination: exit %d %s' % (p.returncode, p.stderr))
        send(bag, 'centre-a', '--config', cfg, check_rc=0)
        check(sorted(orthanc_sops(o)) == sorted(want), 'the named destination does not hold the package')
        r = json.load(open(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')))
        check(r['destination'] == o.base + '/dicom-web/' and r['delivered'], 'receipt %r' % r['destination'])
        # delivery.default: no --to needed
        with open(cfg, 'a') as f:
            f.write('delivery:\n  default: centre-a\n')
        p = send(bag, None, '--config', cfg, check_rc=0)
        r = json.load(open(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')))
        check(r['delivered'] and r['already_there'] == len(want), 'delivery.default: %r' % r['destination'])
        nodef = os.path.join(work, 'nodefault.yaml')
        with open(nodef, 'w') as f:
            f.write('delivery:\n  default: centre-z\n')
        p = send(bag, None, '--config', nodef)
        check(p.returncode == 2 and b'nodefault.yaml:2:' in p.stderr and b'"centre-z"' in p.stderr,
              'a default naming no destination: exit %d %s' % (p.returncode, p.stderr))
        bad = os.path.join(work, 'bad.yaml')
        with open(bad, 'w') as f:
            f.write('destinations:\n  centre-a:\n    dicomweb: %s/dicom-web/\n    colour: blue\n' % o.base)
        p = send(bag, 'centre-a', '--config', bad)
        check(p.returncode == 2 and b'bad.yaml:4:5: unknown' in p.stderr and b'bad.yaml:3:5: destination' in p.stderr and b'plain http' in p.stderr
              and b'unknown destination key "colour"' in p.stderr,
              'an invalid destination: exit %d %s' % (p.returncode, p.stderr))
    print('named: delivered to centre-a from the configuration; unknown and invalid destinations refused')


def main():
    which = sys.argv[1]
    work = workdir()
    try:
        {'deliver': test_deliver, 'resume': test_resume, 'retry': test_retry, 'refuse': test_refuse,
         'tls': test_tls, 'named': test_named, 'samples': test_samples,
         'paging': test_paging, 'parallel': test_parallel}[which](work)
    finally:
        subprocess.run(['rm', '-rf', work])


main()

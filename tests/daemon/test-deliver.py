#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#22: the daemon delivers each case that reaches outbox/ready/ to the
reviewing centre (SPEC §10, docs/daemon.md "Delivery"): a real PACS, Debian's
Orthanc with its DICOMweb plugin, started by this test in a private network
namespace (tests/pacs/orthanc.py) and stopped by it; what Orthanc holds is
read through its own REST API. Mail goes to a real SMTP server (aiosmtpd) on
127.0.0.1.

The rules are a copy of the source tree's with every "required" made
"recommended", so that a small clean drop is complete and its package goes to
ready/ (the fixture cases have required gaps by design).

  deliver  a drop whose case.yaml says deliver_to: centre-a (the default is
           another destination, which would fail): delivered and confirmed,
           Orthanc holds exactly the package's SOP Instance UIDs, the receipt
           is beside the package, the bag still verifies; `ingest status`
           and a second, short mail say "delivered to centre-a: N of N images
           confirmed"; the report mail says a second mail follows
  crash    kill -9 of the daemon and its workers while a STOW-RS request is
           in flight (a proxy passes it to Orthanc and holds the answer):
           after a restart the delivery resumes, sends nothing twice, every
           object is in Orthanc once, the case is delivered; the journal
           shows the interrupted attempt and the one that finished
  dimse    the same as deliver over DICOM C-STORE (a DIMSE destination:
           called_aet, host, port): delivered and confirmed
  refuse   Orthanc refuses one object (a Lua filter): the delivery ran to its
           end but is not complete: failed at once (not retried), with the
           reason in the journal, `ingest status` and the second mail
  preempt  a second drop of the case comes while the first package's STOW-RS
           answer is in flight: the delivery is stopped (not counted as a
           failure), the drop goes first, the old delivery is superseded, and
           the new package's delivery sends only the new objects
  retry    the destination is down: the attempt fails (transient) and is
           journalled with its reason and a retry time; the daemon is
           stopped, the destination started, the daemon started again: the
           delivery is retried and confirmed (attempt 2 or later)
  auth     the destination refuses our credentials (HTTP 401 from a proxy in
           front of Orthanc): failed at once, never retried, "check the
           credentials file" in journal, status and mail, no password shown
  unknown  case.yaml (in a zip drop) names deliver_to: centre-x, not a destination: the
           delivery is held (never sent to the default), the report mail and
           `ingest status` say why; once the configuration names centre-x and
           the daemon reloads (SIGHUP), it is delivered"""
import base64
import http.client
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pacs'))
import orthanc  # noqa: E402

orthanc.private_network()

import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

import dlib  # noqa: E402
from dlib import fail  # noqa: E402

DICOMWEB = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'
CASE = 'CASE-DLV-1'
DELIVERY_RETRY_FIRST_S = 15    # libingest/caps.h


def start_orthanc():
    return orthanc.Orthanc(plugins=[DICOMWEB], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'}})


def orthanc_sops(o):
    return [o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID'] for i in o.get('/instances')]


def relaxed_rules(dst):
    """The source tree's rules, every required item made recommended."""
    shutil.copytree(os.path.join(dlib.SRC, 'rules'), dst)
    for dp, _, fn in os.walk(dst):
        for f in fn:
            if f.endswith('.yaml'):
                p = os.path.join(dp, f)
                t = open(p).read()
                t2 = re.sub(r'severity:\s*required', 'severity: recommended', t)
                if t2 != t:
                    open(p, 'w').write(t2)
    return dst


def make_drop(path, n=12, deliver_to=None, folder='CT'):
    """A clean drop: one CT series of N slices of one (made-up) patient, and case.yaml."""
    os.makedirs(os.path.join(path, folder))
    study, series = generate_uid(), generate_uid()
    for i in range(n):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
        sop = generate_uid()
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = sop
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.PatientName = 'TESTER^DELIVERY'
        ds.PatientID = 'DLV-0001'
        ds.PatientBirthDate = '19700101'
        ds.PatientSex = 'F'
        ds.StudyDate = '20260901'
        ds.StudyDescription = 'CT CHEST'
        ds.SeriesDescription = 'AXIAL'
        ds.Modality = 'CT'
        ds.BodyPartExamined = 'CHEST'
        ds.SeriesNumber = 1
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [0.0, 0.0, -5.0 * i]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.SliceThickness = 5.0
        ds.PixelSpacing = [0.7, 0.7]
        ds.Rows = ds.Columns = 64
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = 'MONOCHROME2'
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = bytes((i + k) % 256 for k in range(64 * 64 * 2))
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(path, folder, 'IM%04d.dcm' % i), write_like_original=False)
    yaml = 'cancer_type: generic\n'
    if deliver_to:
        yaml += 'deliver_to: %s\n' % deliver_to
    with open(os.path.join(path, 'case.yaml'), 'w') as f:
        f.write(yaml)


def package_sops(bag):
    out = []
    for dp, _, fn in os.walk(os.path.join(bag, 'data', 'DICOM')):
        for f in fn:
            if f == 'DICOMDIR':
                continue
            out.append(str(pydicom.dcmread(os.path.join(dp, f), stop_before_pixels=True).SOPInstanceUID))
    return out


def tree(smtp, rules, destinations, default=None, delivery_keys=None):
    extra = 'paths:\n  rules: %s\ndestinations:\n' % rules
    for name, url in destinations.items():
        if isinstance(url, dict):      # DIMSE: its keys as they are
            extra += '  %s:\n' % name + ''.join('    %s: %s\n' % kv for kv in url.items())
        else:
            extra += '  %s:\n    dicomweb: %s\n    allow_http: true\n' % (name, url)
    if default or delivery_keys:
        extra += 'delivery:\n' + ('  default: %s\n' % default if default else '')
        extra += ''.join('  %s: %s\n' % kv for kv in (delivery_keys or {}).items())
    return dlib.Tree(settle=1, workers=2, smtp_port=smtp.port, extra=extra)


def delivery(t):
    rows = t.sql("SELECT id, state, attempts, failures, objects, sent, already, confirmed, failed, error, "
                 "destination, mail FROM deliveries WHERE case_id = ? ORDER BY id DESC LIMIT 1", CASE)
    return rows[0] if rows else None


def wait_delivery(t, states, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = delivery(t) if os.path.exists(t.db) else None
        if d and d[1] in states:
            return d
        if t.proc and t.proc.poll() is not None:
            fail('ingestd died:\n' + t.tail())
        time.sleep(0.3)
    fail('the delivery did not reach %r within %d s: %r\n%s' % (states, timeout, delivery(t), t.tail()))


def status(t):
    p = subprocess.run([dlib.INGEST, 'status', CASE, '--db', t.db], capture_output=True, text=True)
    if p.returncode != 0:
        fail('ingest status failed (%d): %s' % (p.returncode, p.stderr))
    return p.stdout


def mails(smtp, subject_part):
    out = []
    for _, _, content in smtp.messages:
        m = dlib.parse_mail(content)
        if subject_part in dlib.decode_subject(m):
            out.append(m)
    return out


def wait_mail(smtp, subject_part, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = mails(smtp, subject_part)
        if m:
            return m
        time.sleep(0.3)
    fail('no mail with %r in its subject; subjects: %r' %
         (subject_part, [dlib.decode_subject(dlib.parse_mail(c)) for _, _, c in smtp.messages]))


def body(m):
    return m.get_body(preferencelist=('plain',)).get_content()


def check_delivered(t, o, smtp, n_attempts_min=1):
    d = wait_delivery(t, ('delivered', 'failed'))
    if d[1] != 'delivered':
        fail('not delivered: %r\n%s' % (d, t.tail()))
    bag = os.path.join(t.outbox, 'ready', CASE)
    want = package_sops(bag)
    have = orthanc_sops(o)
    if sorted(have) != sorted(want):
        fail('Orthanc holds %d instances (%d distinct), the package %d' % (len(have), len(set(have)), len(want)))
    if d[4] != len(want) or d[7] != len(want) or d[8] != 0 or d[2] < n_attempts_min:
        fail('journal counts wrong: %r (package: %d objects)' % (d, len(want)))
    receipt = os.path.join(t.outbox, 'receipts', CASE + '.json')
    import json
    r = json.load(open(receipt))
    if not r['delivered'] or sorted(r['confirmed_uids']) != sorted(want):
        fail('receipt wrong: %r' % {k: v for k, v in r.items() if k != 'confirmed_uids'})
    p = subprocess.run([dlib.INGEST, 'verify', bag], capture_output=True, text=True)
    if p.returncode != 0:
        fail('the package no longer verifies after delivery: %s' % p.stdout + p.stderr)
    st = status(t)
    if 'delivery to %s: delivered' % d[10] not in st or 'confirmed %d, failed 0' % len(want) not in st:
        fail('ingest status does not say delivered:\n' + st)
    m = wait_mail(smtp, '%s: delivered to %s' % (CASE, d[10]))
    text = body(m[0])
    want_line = 'delivered to %s: %s of %s images confirmed' % (d[10], '{:,}'.format(len(want)),
                                                               '{:,}'.format(len(want)))
    if want_line not in text:
        fail('the delivery mail does not say %r:\n%s' % (want_line, text))
    for mm in smtp.messages:
        dlib.check_no_patient_data(dlib.decode_subject(dlib.parse_mail(mm[2])), 'a mail subject')
        if 'TESTER' in dlib.decode_subject(dlib.parse_mail(mm[2])) or 'DLV-0001' in dlib.decode_subject(
                dlib.parse_mail(mm[2])):
            fail('patient data in a mail subject')
    return d, want


class HoldingProxy(http.server.BaseHTTPRequestHandler):
    """Passes every request on to Orthanc; with HOLD set, a STOW-RS POST is
    passed on (Orthanc stores it) but its answer is held back until
    RELEASE is set: a delivery caught in the middle."""
    target = None
    hold = threading.Event()
    forwarded = threading.Event()
    release = threading.Event()
    posts = 0

    def log_message(self, *a):
        pass

    def _pass(self):
        n = int(self.headers.get('Content-Length') or 0)
        data = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection('127.0.0.1', self.target, timeout=120)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection')}
        c.request(self.command, self.path, body=data, headers=hdrs)
        r = c.getresponse()
        payload = r.read()
        if self.command == 'POST':
            HoldingProxy.posts += 1
            if HoldingProxy.hold.is_set():
                HoldingProxy.forwarded.set()
                HoldingProxy.release.wait(600)
                return
        try:
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                    self.send_header(k, v)
            self.send_header('Content-Length', str(len(payload)))
            self.send_header('Connection', 'close')
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass

    do_GET = do_POST = _pass


def test_deliver(root, smtp, rules):
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        dead = 'http://127.0.0.1:%d/dicom-web/' % orthanc.free_port()
        t = tree(smtp, rules, {'centre-a': url, 'centre-b': dead}, default='centre-b')
        try:
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src, deliver_to='centre-a')
            dlib.place(t, src, CASE)
            t.wait_done(1, timeout=120)
            if not os.path.isdir(os.path.join(t.outbox, 'ready', CASE)):
                fail('the test drop did not come out complete (ready/):\n' + t.tail())
            d, want = check_delivered(t, o, smtp)
            rep = [m for m in mails(smtp, '[ingestd] %s ' % CASE)]
            if not rep or 'Delivery: to centre-a; a second mail says' not in body(rep[0]):
                fail('the report mail does not announce the delivery:\n%s' % (body(rep[0]) if rep else '(none)'))
            # a second drop of the case: the package is published again, its delivery finds everything there
            src2 = os.path.join(root, 'src2')
            os.makedirs(src2)
            shutil.copy(os.path.join(src, 'case.yaml'), src2)
            with open(os.path.join(src2, 'note.txt'), 'w') as f:
                f.write('Nothing new.\n')
            z = os.path.join(root, 'again.zip')
            dlib.zip_dir(src2, z)
            dlib.place(t, z, CASE + '+again.zip')
            t.wait_done(2, timeout=120)
            deadline = time.time() + 120
            while time.time() < deadline:
                d2 = delivery(t)
                if d2[0] != d[0] and d2[1] in ('delivered', 'failed'):
                    break
                time.sleep(0.3)
            else:
                fail('the second package was not delivered: %r' % (delivery(t),))
            if d2[1] != 'delivered' or d2[5] != 0 or d2[6] != len(want):
                fail('the second delivery sent again: %r' % (d2,))
            if sorted(orthanc_sops(o)) != sorted(want):
                fail('the second delivery changed what Orthanc holds')
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('deliver: %d objects delivered to centre-a (not the default) and confirmed; status and mail say so; '
          'a second package of the case sent nothing again' % len(want))


def test_dimse(root, smtp, rules):
    with orthanc.Orthanc(scu_aets=('INGESTD',)) as o:
        dst = {'called_aet': o.aet, 'host': '127.0.0.1', 'port': o.dicom_port, 'calling_aet': 'INGESTD'}
        t = tree(smtp, rules, {'centre-a': dst}, default='centre-a')
        try:
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src)
            dlib.place(t, src, CASE)
            t.wait_done(1, timeout=120)
            d, want = check_delivered(t, o, smtp)
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('dimse: %d objects delivered over C-STORE to centre-a and confirmed; status and mail say so' % len(want))


def test_refuse(root, smtp, rules):
    src = os.path.join(root, 'src')
    make_drop(src)
    victim = str(pydicom.dcmread(os.path.join(src, 'CT', 'IM0003.dcm'), stop_before_pixels=True).SOPInstanceUID)
    lua = os.path.join(root, 'refuse-one.lua')
    with open(lua, 'w') as f:
        f.write('function ReceivedInstanceFilter(dicom, origin, info)\n'
                '  return dicom.SOPInstanceUID ~= "%s"\n'
                'end\n' % victim)
    with orthanc.Orthanc(plugins=[DICOMWEB], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'},
                                                    'LuaScripts': [lua]}) as o:
        t = tree(smtp, rules, {'centre-a': o.base + '/dicom-web/'}, default='centre-a')
        try:
            t.start()
            dlib.place(t, src, CASE)
            t.wait_done(1, timeout=120)
            d = wait_delivery(t, ('delivered', 'failed'))
            if d[1] != 'failed' or d[2] != 1 or d[3] != 0 or d[7] != 11 or d[4] != 12:
                fail('a delivery with a refused object is not failed at once with 11 of 12 confirmed: %r' % (d,))
            if not d[9] or '1 of 12 objects are not at the destination' not in d[9]:
                fail('the journal does not say why: %r' % (d,))
            st = status(t)
            if 'delivery to centre-a: NOT delivered' not in st or 'confirmed 11, failed' not in st or \
                    'why: 1 of 12' not in st:
                fail('ingest status does not say why not:\n' + st)
            m = wait_mail(smtp, '%s: not delivered to centre-a' % CASE)
            text = body(m[0])
            if 'not delivered to centre-a: 1 of 12 objects are not at the destination' not in text or \
                    '11 of 12 images confirmed there' not in text or 'ingest send' not in text:
                fail('the delivery mail does not say why not:\n' + text)
            time.sleep(DELIVERY_RETRY_FIRST_S + 2)
            if delivery(t)[2] != 1:
                fail('a delivery that failed for good was retried: %r' % (delivery(t),))
            if sorted(orthanc_sops(o)) != sorted(set(package_sops(os.path.join(t.outbox, 'ready', CASE))) -
                                                 {victim}):
                fail('Orthanc does not hold the other 11')
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('refuse: one object refused by the destination: failed at once, 11 of 12 confirmed, status and mail '
          'say why, not retried')


class AuthProxy(http.server.BaseHTTPRequestHandler):
    """Orthanc behind HTTP basic authentication: a request without
    "Authorization: Basic <WANT>" gets 401, the rest are passed on."""
    target = None
    want = None
    refused = 0

    def log_message(self, *a):
        pass

    def _pass(self):
        n = int(self.headers.get('Content-Length') or 0)
        data = self.rfile.read(n) if n else None
        if self.headers.get('Authorization') != 'Basic ' + AuthProxy.want:
            AuthProxy.refused += 1
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="pacs"')
            self.send_header('Content-Length', '0')
            self.send_header('Connection', 'close')
            self.end_headers()
            return
        c = http.client.HTTPConnection('127.0.0.1', self.target, timeout=120)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection', 'authorization')}
        c.request(self.command, self.path, body=data, headers=hdrs)
        r = c.getresponse()
        payload = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(payload)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _pass


def test_auth(root, smtp, rules):
    """A destination that refuses our credentials (HTTP 401) is a clear
    failure at once, never retried like a server that is down: retrying
    cannot mend a wrong password, and the coordinator is told to check it."""
    src = os.path.join(root, 'src')
    make_drop(src)
    cred = os.path.join(root, 'centre-a.basic')
    with open(cred, 'w') as f:
        f.write('alice:wrong-pw-4711\n')
    os.chmod(cred, 0o640)
    AuthProxy.want = base64.b64encode(b'alice:right').decode()
    with start_orthanc() as o:
        AuthProxy.target = o.http_port
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), AuthProxy)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        t = tree(smtp, rules, {'centre-a': {'dicomweb': url, 'allow_http': 'true', 'basic_file': cred}},
                 default='centre-a')
        try:
            t.start()
            dlib.place(t, src, CASE)
            t.wait_done(1, timeout=120)
            d = wait_delivery(t, ('delivered', 'failed'))
            if d[1] != 'failed' or d[2] != 1 or d[3] != 0:
                fail('a destination refusing the credentials is not a failure at once: %r' % (d,))
            if not d[9] or 'HTTP 401' not in d[9] or 'check the credentials file' not in d[9]:
                fail('the journal does not say the credentials were refused: %r' % (d,))
            st = status(t)
            if 'NOT delivered' not in st or 'check the credentials file' not in st:
                fail('ingest status does not say why not:\n' + st)
            m = wait_mail(smtp, '%s: not delivered to centre-a' % CASE)
            text = body(m[0])
            if 'check the credentials file' not in text:
                fail('the delivery mail does not say to check the credentials:\n' + text)
            refused = AuthProxy.refused
            time.sleep(DELIVERY_RETRY_FIRST_S + 2)
            if delivery(t)[2] != 1 or AuthProxy.refused != refused:
                fail('a delivery refused for its credentials was retried: %r' % (delivery(t),))
            if o.statistics()['CountInstances'] != 0:
                fail('objects reached Orthanc past the refused credentials')
            log = open(t.log, errors='replace').read()
            for what, x in (('status', st), ('mail', text), ('log', log)):
                if 'wrong-pw-4711' in x:
                    fail('the password is in the %s' % what)
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            srv.shutdown()
            t.cleanup()
    print('auth: the destination refused the credentials (HTTP 401): failed at once with "check the credentials '
          'file" in journal, status and mail; not retried; no password shown')


def test_crash(root, smtp, rules):
    with start_orthanc() as o:
        HoldingProxy.target = o.http_port
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), HoldingProxy)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        t = tree(smtp, rules, {'centre-a': url}, default='centre-a')
        try:
            HoldingProxy.hold.set()
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src)
            dlib.place(t, src, CASE)
            if not HoldingProxy.forwarded.wait(240):
                fail('no STOW-RS request came:\n' + t.tail())
            d = delivery(t)
            if d[1] != 'sending':
                fail('the journal does not say sending during the send: %r' % (d,))
            n_first = len(orthanc_sops(o))
            t.kill9()
            HoldingProxy.hold.clear()
            HoldingProxy.release.set()
            posts_before = HoldingProxy.posts
            t.start()
            d, want = check_delivered(t, o, smtp, n_attempts_min=2)
            if n_first != len(want):
                fail('Orthanc held %d of %d when the daemon was killed (the proxy passed the whole batch)'
                     % (n_first, len(want)))
            if d[5] != 0 or d[6] != len(want) or HoldingProxy.posts != posts_before:
                fail('the resumed delivery sent again what had arrived: %r, %d STOW-RS requests after the restart'
                     % (d, HoldingProxy.posts - posts_before))
            att = t.sql("SELECT attempt, outcome FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", d[0])
            if att[0][1] != 'interrupted' or att[-1][1] != 'delivered':
                fail('the attempts are not journalled as interrupted, then delivered: %r' % (att,))
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            HoldingProxy.release.set()
            t.cleanup()
            srv.shutdown()
    print('crash: killed with the STOW-RS answer in flight (%d objects stored); after the restart the delivery '
          'found them, sent nothing, and was confirmed; attempts %r' % (n_first, att))


def test_preempt(root, smtp, rules):
    with start_orthanc() as o:
        HoldingProxy.target = o.http_port
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), HoldingProxy)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = 'http://127.0.0.1:%d/dicom-web/' % srv.server_address[1]
        t = tree(smtp, rules, {'centre-a': url}, default='centre-a')
        try:
            HoldingProxy.hold.set()
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src)
            dlib.place(t, src, CASE)
            if not HoldingProxy.forwarded.wait(240):
                fail('no STOW-RS request came:\n' + t.tail())
            first = delivery(t)
            HoldingProxy.hold.clear()
            src2 = os.path.join(root, 'src2')
            make_drop(src2, n=4, folder='CT2')
            z = os.path.join(root, 'second.zip')
            dlib.zip_dir(src2, z)
            dlib.place(t, z, CASE + '+second.zip')
            t.wait_done(2, timeout=180)
            deadline = time.time() + 180
            while time.time() < deadline:
                d = delivery(t)
                if d[0] != first[0] and d[1] in ('delivered', 'failed'):
                    break
                time.sleep(0.3)
            else:
                fail('the second package was not delivered: %r\n%s' % (delivery(t), t.tail()))
            HoldingProxy.release.set()
            old = t.sql("SELECT state, failures FROM deliveries WHERE id = ?", first[0])[0]
            att = t.sql("SELECT outcome, detail FROM delivery_attempts WHERE delivery_id = ?", first[0])
            if old != ('superseded', 0) or [a[0] for a in att] != ['interrupted'] or 'new drop' not in att[0][1]:
                fail('the first delivery was not stopped for the drop and superseded: %r %r' % (old, att))
            bag = os.path.join(t.outbox, 'ready', CASE)
            want = package_sops(bag)
            have = orthanc_sops(o)
            if len(want) != 16 or sorted(have) != sorted(want):
                fail('Orthanc holds %d (%d distinct), the package %d' % (len(have), len(set(have)), len(want)))
            if d[1] != 'delivered' or d[6] != 12 or d[5] != 4:
                fail('the new delivery did not send only the new objects: %r' % (d,))
            if 'its delivery is stopped' not in open(t.log, errors='replace').read():
                fail('the log does not say the delivery was stopped for the drop')
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            HoldingProxy.release.set()
            t.cleanup()
            srv.shutdown()
    print('preempt: a new drop stopped the delivery in flight (superseded, not a failure); the new package '
          'delivered %d objects, %d of them there already' % (d[4], d[6]))


def test_retry(root, smtp, rules):
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        o.proc.terminate()
        o.proc.wait()
        t = tree(smtp, rules, {'centre-a': url}, default='centre-a')
        try:
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src)
            dlib.place(t, src, CASE)
            t.wait_done(1, timeout=120)
            deadline = time.time() + 120
            while time.time() < deadline:
                d = delivery(t)
                if d and d[3] >= 1 and d[1] == 'pending':
                    break
                time.sleep(0.3)
            else:
                fail('the failed attempt was not journalled for a retry: %r\n%s' % (delivery(t), t.tail()))
            if not d[9] or 'could not be reached' not in d[9]:
                fail('the journal does not say why: %r' % (d,))
            st = status(t)
            if 'next attempt at' not in st or 'could not be reached' not in st:
                fail('ingest status does not show the retry:\n' + st)
            if mails(smtp, 'delivered to'):
                fail('a delivery mail went out for a transient failure')
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
            # the destination comes back; the daemon starts again: the retry happens
            o.proc = subprocess.Popen([orthanc.ORTHANC, o.config], stdout=o.log, stderr=o.log)
            deadline = time.time() + 30
            while True:
                try:
                    o.get('/system')
                    break
                except Exception:
                    if time.time() > deadline:
                        fail('Orthanc did not come back')
                    time.sleep(0.2)
            t.start()
            d, want = check_delivered(t, o, smtp, n_attempts_min=2)
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('retry: destination down, attempt journalled with its reason; after a restart with the destination up, '
          'delivered in attempt %d' % d[2])


def test_giveup(root, smtp, rules):
    """The configuration's retry keys: delivery.max_attempts 3, the first wait
    1 s doubling up to 2 s. The destination is down throughout: 3 attempts
    about 1 s and 2 s apart, then failed with how many, said in status and
    in the coordinator's mail (the defaults, 30 attempts from 15 s up to an
    hour, would keep it pending for days)."""
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        o.proc.terminate()
        o.proc.wait()
        t = tree(smtp, rules, {'centre-a': url}, default='centre-a',
                 delivery_keys={'max_attempts': 3, 'retry_first_seconds': 1, 'retry_max_seconds': 2})
        try:
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src)
            t0 = time.time()
            dlib.place(t, src, CASE)
            d = wait_delivery(t, ('failed', 'delivered'), timeout=180)
            took = time.time() - t0
            if d[1] != 'failed' or d[3] != 3 or 'gave up after 3 failed attempts' not in (d[9] or ''):
                fail('wanted failed after 3 attempts, got %r\n%s' % (d, t.tail()))
            if 'could not be reached' not in (d[9] or ''):
                fail('the reason is not kept: %r' % (d[9],))
            att = t.sql("SELECT started_at, ended_at FROM delivery_attempts WHERE delivery_id = ? ORDER BY started_at",
                        d[0])
            if len(att) != 3:
                fail('%d attempts journalled, wanted 3: %r' % (len(att), att))
            gaps = [att[i + 1][0] - att[i][1] for i in range(len(att) - 1)]
            if not (0 <= gaps[0] <= 3 and 1 <= gaps[1] <= 4):
                fail('the waits between attempts are %r s, wanted about 1 and 2' % gaps)
            st = status(t)
            if 'gave up after 3 failed attempts' not in st:
                fail('ingest status does not say it gave up:\n' + st)
            m = wait_mail(smtp, 'centre-a')[-1]
            if 'gave up after 3 failed attempts' not in body(m):
                fail('the mail does not say it gave up:\n' + body(m))
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('giveup: destination down, delivery.max_attempts 3 with waits of %r s: failed in %.0f s, said in the '
          'journal, status and mail' % (gaps, took))


def test_unknown(root, smtp, rules):
    with start_orthanc() as o:
        url = o.base + '/dicom-web/'
        t = tree(smtp, rules, {'centre-a': url}, default='centre-a')
        try:
            t.start()
            src = os.path.join(root, 'src')
            make_drop(src, deliver_to='centre-x')
            # a zip: its case.yaml is read by the scan only (the folder drops' by the daemon too)
            z = os.path.join(root, 'drop.zip')
            dlib.zip_dir(src, z)
            dlib.place(t, z, CASE + '.zip')
            t.wait_done(1, timeout=120)
            d = wait_delivery(t, ('held',), timeout=30)
            if 'centre-x' not in (d[9] or '') or 'not a destination' not in d[9]:
                fail('the hold does not say why: %r' % (d,))
            time.sleep(3)
            if orthanc_sops(o):
                fail('a held delivery sent something (to the default destination?)')
            st = status(t)
            if 'delivery to centre-x: HELD' not in st or 'not a destination' not in st:
                fail('ingest status does not show the hold:\n' + st)
            rep = wait_mail(smtp, '[ingestd] %s ' % CASE)
            if 'Delivery: held' not in body(rep[0]) or 'centre-x' not in body(rep[0]):
                fail('the report mail does not say the delivery is held:\n' + body(rep[0]))
            # the operator adds centre-x and reloads: delivered
            cfg = open(t.config).read().replace('destinations:\n', 'destinations:\n  centre-x:\n    dicomweb: %s\n'
                                                '    allow_http: true\n' % url)
            open(t.config, 'w').write(cfg)
            t.proc.send_signal(signal.SIGHUP)
            check_delivered(t, o, smtp)
            if t.stop() != 0:
                fail('ingestd did not stop cleanly')
        finally:
            t.cleanup()
    print('unknown: deliver_to: centre-x held with its reason in status and mail, nothing sent; delivered after '
          'the configuration named it and ingestd reloaded')


def main():
    which = sys.argv[1]
    root = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'ingest-deliver.%d' % os.getpid())
    os.makedirs(root)
    smtp = dlib.Smtp()
    try:
        rules = relaxed_rules(os.path.join(root, 'rules'))
        {'deliver': test_deliver, 'dimse': test_dimse, 'refuse': test_refuse, 'crash': test_crash, 'preempt': test_preempt, 'retry': test_retry,
         'unknown': test_unknown, 'auth': test_auth, 'giveup': test_giveup}[which](
            root, smtp, rules)
    finally:
        smtp.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()

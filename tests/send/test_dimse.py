#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""#22: `ingest send --to dicom://CALLED_AET@host:port` delivers a package's
DICOM objects to a real PACS over DIMSE (C-FIND, C-STORE through DCMTK's
dcmnet): Debian's Orthanc, its DICOM port in a private network namespace
(tests/pacs/orthanc.py), our calling AE title registered with it (it answers
C-FIND only to known modalities). What Orthanc holds is read through its own
REST API, never through our code.

  deliver  the fixture package: Orthanc's SOP Instance UIDs are the
           package's (pydicom), each once; the receipt says protocol "dimse";
           a second send sends nothing; a calling AE title Orthanc does not
           know cannot query (a clear failure, nothing sent); bad dicom://
           URLs, --tls without --ca and --ca without --tls are usage errors
  samples  every pydicom sample *.dcm (odd encodings, big endian, no file
           meta, multi-frame, compressed), each in its own transfer syntax
  resume   a kill -9 between two associations (INGEST_TEST_CRASH_AT=
           send-batch), then a second send: every object there once, the
           first part not sent again
  restart  Orthanc killed in the middle of a send (the send held with
           SIGSTOP meanwhile, so that it cannot finish first) and started
           again 2 s later: the send retries (connection cut, then refused)
           and delivers everything once
  refuse   Orthanc refuses PET objects (a Lua filter: C-STORE failure) and
           one transfer syntax (AcceptedTransferSyntaxes: the presentation
           context refused): each such object reported with its reason, the
           rest confirmed, exit 1
  named    a DIMSE destination of ingestd's configuration (called_aet, host,
           port, calling_aet); invalid ones are usage errors
  transcode  Orthanc takes only the uncompressed little-endian syntaxes
           (AcceptedTransferSyntaxes) and is sent the pydicom samples: without
           --allow-transcode every object in another syntax is refused, its
           reason saying how to allow decoding; with it each is sent decoded
           (JPEG baseline, extended, lossless, RLE, deflated, big endian),
           listed in the receipt's sent_decoded, stored by Orthanc
           uncompressed under its own SOP Instance UID, its pixels (read with
           pydicom from Orthanc's copy) those of the package's object (RLE,
           deflated, big endian: equal; lossy JPEG: Lossy Image Compression
           "01"); JPEG 2000 (no DCMTK decoder) refused with that reason; a
           third send sends nothing; --allow-transcode with a DICOMweb
           destination, and allow_transcode on one, are usage errors
  commit   storage commitment (--commit-port): Orthanc, knowing our AE title
           at that port, answers on an association of its own; every object
           committed, delivered, the receipt says so; an instance deleted
           from Orthanc after C-FIND and before the request (the send paused
           there, INGEST_TEST_PAUSE_AT=send-commit) is not delivered, with
           Orthanc's failure reason; an Orthanc that does not know where we
           listen never answers: not delivered, the message says what to
           check; one that does not allow us storage commitment (it aborts
           the association when asked) is a refusal, said at once, not
           delivered; --commit-port with DICOMweb is a usage error
  tls      DICOM over TLS (Orthanc's DicomTlsEnabled, a test CA): delivered
           with the CA, refused without trusting it
  reject   association rejects (Orthanc never sends one): a gate on
           127.0.0.1 in front of Orthanc's DICOM port answers the first two
           associations with A-ASSOCIATE-RJ "rejected-transient" (temporary
           congestion, PS3.8 9.3.4), then passes the bytes through: the send
           says it tries again and delivers every object once; a gate that
           rejects permanently (calling AE title not recognized) makes the
           send fail at once with that reason, on the first association,
           never retried"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pacs'))
sys.path.insert(0, os.path.join(HERE, '..', 'package'))
import orthanc  # noqa: E402

orthanc.private_network()

import pydicom  # noqa: E402
from pkgtest import INGEST, check, fixtures, ingest, workdir  # noqa: E402

AET = 'INGESTD'
PET = '1.2.840.10008.5.1.4.1.1.128'


def start_orthanc(extra=None, scu_aets=(AET,)):
    return orthanc.Orthanc(extra=extra, scu_aets=scu_aets)


def url_of(o):
    return 'dicom://%s@127.0.0.1:%d' % (o.aet, o.dicom_port)


def package(work, drop='CASE-DEMO-1'):
    fx = fixtures(work)
    out = os.path.join(work, 'outbox')
    ingest('package', os.path.join(fx, 'drops', drop), '--out', out, '--no-fetch', check_rc=0)
    for sub in ('ready', 'pending'):
        bag = os.path.join(out, sub, drop)
        if os.path.isdir(bag):
            return out, bag
    check(False, 'no package for %s under %s' % (drop, out))


def package_of(work, drop, name):
    out = os.path.join(work, 'outbox-' + name)
    ingest('package', drop, '--out', out, '--no-fetch', check_rc=0)
    return out, [os.path.join(out, d, name) for d in ('ready', 'pending') if os.path.isdir(os.path.join(out, d, name))][0]


def package_objects(bag):
    """(SOP Instance UID, SOP Class UID, transfer syntax) of each DICOM object of the package."""
    out = []
    top = os.path.join(bag, 'data', 'DICOM')
    for root, _, files in os.walk(top):
        for f in files:
            if root == top and f == 'DICOMDIR':
                continue
            d = pydicom.dcmread(os.path.join(root, f), stop_before_pixels=True, force=True)
            ts = str(d.file_meta.TransferSyntaxUID) if 'TransferSyntaxUID' in getattr(d, 'file_meta', {}) else ''
            out.append((str(d.SOPInstanceUID), str(d.SOPClassUID), ts))
    return out


def package_sops(bag):
    sops = [x[0] for x in package_objects(bag)]
    check(len(sops) > 10, 'the package has only %d DICOM objects' % len(sops))
    return sops


def orthanc_sops(o):
    """SOP Instance UID of every instance Orthanc holds, from its REST API (a list: duplicates show)."""
    return [o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID'] for i in o.get('/instances')]


def send(bag, url, *extra, env=None, check_rc=None):
    return ingest('send', bag, *(['--to', url] if url else []), *extra, env=env, check_rc=check_rc)


def receipt_of(out, bag):
    return json.load(open(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')))


def counts(r):
    return {k: v for k, v in r.items() if k not in ('confirmed_uids', 'not_delivered')}


def test_deliver(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        url = url_of(o)
        # usage errors: nothing sent
        for bad in ('dicom://127.0.0.1:%d' % o.dicom_port, 'dicom://%s@127.0.0.1' % o.aet,
                    'dicom://%s@127.0.0.1:0' % o.aet, 'dicom://ABCDEFGHIJKLMNOPQ@127.0.0.1:%d' % o.dicom_port,
                    'dicom://%s@host_name:%d' % (o.aet, o.dicom_port)):
            p = send(bag, bad, '--no-receipt')
            check(p.returncode == 2 and b'dicom://' in p.stderr, 'a bad URL %s: exit %d %s' % (bad, p.returncode, p.stderr))
        p = send(bag, url, '--tls', '--no-receipt')
        check(p.returncode == 2 and b'CA' in p.stderr, '--tls without --ca: exit %d %s' % (p.returncode, p.stderr))
        p = send(bag, url, '--ca', '/etc/hostname', '--no-receipt')
        check(p.returncode == 2 and b'without TLS' in p.stderr, '--ca without --tls: exit %d %s' % (p.returncode, p.stderr))
        p = send(bag, url, '--calling-aet', 'BAD\\AET', '--no-receipt')
        check(p.returncode == 2 and b'AE title' in p.stderr, 'a bad calling AE: exit %d %s' % (p.returncode, p.stderr))
        p = send(bag, o.base + '/dicom-web/', '--tls', '--allow-http', '--no-receipt')
        check(p.returncode == 2 and b'DIMSE' in p.stderr, '--tls for DICOMweb: exit %d %s' % (p.returncode, p.stderr))
        # a calling AE title Orthanc does not know: its C-FIND is refused, so nothing is sent
        p = send(bag, url, '--calling-aet', 'STRANGER', '--no-receipt')
        check(p.returncode == 1 and b'C-FIND' in p.stderr and o.statistics()['CountInstances'] == 0,
              'an unknown calling AE: exit %d %s' % (p.returncode, p.stderr))
        check(o.statistics()['CountInstances'] == 0, 'usage errors sent something')
        # the delivery, in several associations
        p = send(bag, url, '--batch-bytes', '200000', check_rc=0)
        check(b'DELIVERED: %d of %d' % (len(want), len(want)) in p.stdout, 'stdout: %s' % p.stdout)
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'Orthanc holds %d instances, the package %d; only in Orthanc %r, only '
              'in the package %r' % (len(have), len(want), sorted(set(have) - set(want))[:5],
                                     sorted(set(want) - set(have))[:5]))
        r = receipt_of(out, bag)
        check(r['delivered'] is True and r['protocol'] == 'dimse' and r['destination'] == url
              and r['objects'] == len(want) and r['confirmed'] == len(want) and r['sent'] == len(want)
              and r['already_there'] == 0 and r['failed'] == 0 and r['bytes_sent'] > 0,
              'receipt wrong: %r' % counts(r))
        check(sorted(r['confirmed_uids']) == sorted(want), 'the receipt does not list the confirmed UIDs')
        ingest('verify', bag, check_rc=0)
        # a second send sends nothing
        p = send(bag, url, check_rc=0)
        r = receipt_of(out, bag)
        check(r['sent'] == 0 and r['already_there'] == len(want) and r['confirmed'] == len(want)
              and r['bytes_sent'] == 0, 'the second send sent again: %r' % counts(r))
        check(sorted(orthanc_sops(o)) == sorted(want), 'the second send changed what Orthanc holds')
    print('deliver: %d objects over C-STORE, confirmed by C-FIND; the second send sent nothing; bad URLs, an '
          'unknown calling AE, --tls without a CA and a CA without --tls refused' % len(want))


def test_samples(work):
    drop = os.path.join(work, 'SAMPLES')
    os.makedirs(drop)
    for f in glob.glob('/usr/lib/python3/dist-packages/pydicom/data/test_files/*.dcm'):
        shutil.copy(f, drop)
    out, bag = package_of(work, drop, 'SAMPLES')
    objs = package_objects(bag)
    want = [x[0] for x in objs]
    with start_orthanc() as o:
        p = send(bag, url_of(o), '--batch-bytes', '4000000')
        r = receipt_of(out, bag)
        check(p.returncode == 0 and r['delivered'], 'the samples package was not delivered: exit %d %s\n%s'
              % (p.returncode, p.stderr.decode(errors='replace')[-3000:], json.dumps(r.get('not_delivered'))[:3000]))
        have = orthanc_sops(o)
        check(sorted(set(have)) == sorted(set(want)), 'Orthanc holds %d distinct, the package %d'
              % (len(set(have)), len(set(want))))
        # each object in its own transfer syntax: what Orthanc received is what the package holds
        for i in o.get('/instances'):
            meta = o.get('/instances/%s/metadata?expand' % i)
            sop = o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID']
            tss = {x[2] for x in objs if x[0] == sop and x[2]}
            check(not tss or meta.get('TransferSyntax') in tss, '%s arrived in %s, the package has it in %r'
                  % (sop, meta.get('TransferSyntax'), tss))
    print('samples: %d objects in %d transfer syntaxes delivered over C-STORE, each in its own syntax'
          % (len(want), len({x[2] for x in objs})))


def test_resume(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        url = url_of(o)
        p = send(bag, url, '--batch-bytes', '200000', env={'INGEST_TEST_CRASH_AT': 'send-batch'})
        check(p.returncode in (-9, 137), 'the crash point did not kill the send: exit %d %s' % (p.returncode, p.stderr))
        first = orthanc_sops(o)
        check(0 < len(first) < len(want), 'after the kill Orthanc holds %d of %d (wanted some, not all)'
              % (len(first), len(want)))
        check(not os.path.exists(os.path.join(out, 'receipts', os.path.basename(bag) + '.json')),
              'a receipt was written by the killed send')
        send(bag, url, '--batch-bytes', '200000', check_rc=0)
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'after the resend Orthanc holds %d instances (%d distinct), the package %d'
              % (len(have), len(set(have)), len(want)))
        r = receipt_of(out, bag)
        check(r['already_there'] == len(first) and r['sent'] == len(want) - len(first),
              'the resend did not skip what had arrived: %r' % counts(r))
    print('resume: killed after %d of %d objects; the resend sent the other %d only' % (len(first), len(want),
                                                                                      len(want) - len(first)))


def big_study(work, n):
    """A package of one study of N CT objects (copies of a fixture CT with new UIDs)."""
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
    for i in range(n):
        ct.SOPInstanceUID = '1.2.826.0.1.3680043.10.1234.78.1.%d' % (i + 1)
        ct.file_meta.MediaStorageSOPInstanceUID = ct.SOPInstanceUID
        ct.InstanceNumber = i + 1
        ct.save_as(os.path.join(drop, 'IM%05d.dcm' % i), write_like_original=True)
    return package_of(work, drop, 'BIGSTUDY')


def test_restart(work):
    n = 600
    out, bag = big_study(work, n)
    want = package_sops(bag)
    check(len(want) == n, 'the package holds %d of %d objects' % (len(want), n))
    with start_orthanc() as o:
        p = subprocess.Popen([INGEST, 'send', bag, '--to', url_of(o), '--batch-bytes', '100000'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while o.statistics()['CountInstances'] == 0 and p.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        # the send held still while Orthanc stops (so that it cannot finish first), then let go: it meets the
        # connection gone, and Orthanc refusing connections until it is back 2 s later
        os.kill(p.pid, signal.SIGSTOP)
        before = o.statistics()['CountInstances']
        check(p.poll() is None and 0 < before < n, 'the send was not in the middle: exit %s, %d of %d there'
              % (p.poll(), before, n))
        o.halt(kill=True)    # a crash: a stopping Orthanc would wait for the association of the held send
        os.kill(p.pid, signal.SIGCONT)
        time.sleep(2)
        o.start()
        stdout, stderr = p.communicate(timeout=300)
        check(p.returncode == 0, 'the send did not survive Orthanc stopping: exit %d %s'
              % (p.returncode, stderr.decode(errors='replace')[-3000:]))
        check(b'trying again' in stderr, 'no retry was said: %s' % stderr[-2000:])
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'after the restart Orthanc holds %d instances (%d distinct), the package %d'
              % (len(have), len(set(have)), len(want)))
        r = receipt_of(out, bag)
        check(r['delivered'] and r['confirmed'] == n, 'receipt %r' % counts(r))
    print('restart: Orthanc killed for 2 s in the middle of a send of %d objects (%d there); retried (%s), '
          'every object there once' % (n, before, [l for l in stderr.decode().splitlines() if 'trying again' in l][0][:150]))


def test_refuse(work):
    out, bag = package(work)
    objs = package_objects(bag)
    want = [x[0] for x in objs]
    pet = [x[0] for x in objs if x[1] == PET]
    check(len(pet) > 0, 'the fixture package has no PET objects')
    # the transfer syntax of the non-PET objects that is rarest: Orthanc is told not to accept it
    by_ts = {}
    for x in objs:
        if x[1] != PET:
            by_ts.setdefault(x[2], []).append(x[0])
    lua = os.path.join(work, 'refuse-pet.lua')
    with open(lua, 'w') as f:
        f.write('function ReceivedInstanceFilter(dicom, origin, info)\n'
                '  return dicom.SOPClassUID ~= "%s"\n'
                'end\n' % PET)
    with start_orthanc({'LuaScripts': [lua]}) as o:
        p = send(bag, url_of(o))
        check(p.returncode == 1 and b'not delivered' in p.stderr,
              'a delivery with refused objects did not fail: exit %d %s' % (p.returncode, p.stderr))
        have = orthanc_sops(o)
        check(sorted(have) == sorted(set(want) - set(pet)), 'Orthanc holds %d, wanted all but the %d PET objects'
              % (len(have), len(pet)))
        r = receipt_of(out, bag)
        # Orthanc 1.10 answers C-STORE of a filtered-out instance with success (0x0000): only the confirming
        # C-FIND finds it missing; a PACS that answers with a failure status has it counted "failed"
        check(r['delivered'] is False and r['confirmed'] == len(want) - len(pet)
              and r['failed'] + r['sent'] == len(want), 'receipt counts wrong: %r' % counts(r))
        nd = r['not_delivered']
        check(sorted(x['sop_instance_uid'] for x in nd) == sorted(pet), 'the receipt does not list the PET objects')
        check(all('C-STORE' in x['reason'] and 'C-FIND' in x['reason'] for x in nd),
              'a refused object has no reason: %r' % nd[:2])
        pet_reason = nd[0]['reason']
    # a transfer syntax refused at association time
    ts = min(by_ts, key=lambda t: len(by_ts[t]))
    others = sorted({x[2] for x in objs} - {ts})
    refused = [x[0] for x in objs if x[2] == ts]
    with start_orthanc({'AcceptedTransferSyntaxes': others}) as o:
        p = send(bag, url_of(o))
        check(p.returncode == 1, 'a refused transfer syntax: exit %d %s' % (p.returncode, p.stderr))
        r = receipt_of(out, bag)
        nd = r['not_delivered']
        check(sorted(x['sop_instance_uid'] for x in nd) == sorted(refused) and r['failed'] == len(refused),
              'the receipt does not list the %d objects in %s: %r' % (len(refused), ts, counts(r)))
        check(all('transfer syntax' in x['reason'] and ts in x['reason'] for x in nd), 'reason: %r' % nd[:1])
        check(sorted(orthanc_sops(o)) == sorted(set(want) - set(refused)), 'Orthanc holds the wrong objects')
    print('refuse: %d PET objects filtered out by Orthanc (%s); %d objects in %s refused at association (%s)'
          % (len(pet), pet_reason, len(refused), ts, nd[0]['reason']))


def test_named(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc(scu_aets=('COURIER',)) as o:
        cfg = os.path.join(work, 'ingestd.yaml')
        with open(cfg, 'w') as f:
            f.write('destinations:\n  centre-b:\n    called_aet: %s\n    host: 127.0.0.1\n    port: %d\n'
                    '    calling_aet: COURIER\ndelivery:\n  default: centre-b\n' % (o.aet, o.dicom_port))
        send(bag, 'centre-b', '--config', cfg, check_rc=0)
        check(sorted(orthanc_sops(o)) == sorted(want), 'the named DIMSE destination does not hold the package')
        r = receipt_of(out, bag)
        check(r['destination'] == url_of(o) and r['protocol'] == 'dimse' and r['delivered'], 'receipt %r' % counts(r))
        send(bag, None, '--config', cfg, check_rc=0)
        check(receipt_of(out, bag)['already_there'] == len(want), 'delivery.default did not find it all there')
        for body, want_err in (
                ('    called_aet: X\n    host: 127.0.0.1\n', b'nor all of'),
                ('    called_aet: X\n    host: 127.0.0.1\n    port: 104\n    dicomweb: https://a/b/\n', b'mixes'),
                ('    called_aet: X\n    host: 127.0.0.1\n    port: 104\n    tls: true\n', b'no "ca_file"'),
                ('    called_aet: X\n    host: 127.0.0.1\n    port: 104\n    token_file: /x\n', b'for DICOMweb'),
                ('    called_aet: ABCDEFGHIJKLMNOPQ\n    host: 127.0.0.1\n    port: 104\n', b'AE title'),
                ('    called_aet: X\n    host: a/b\n    port: 104\n', b'host name'),
                ('    called_aet: X\n    host: 127.0.0.1\n    port: 70000\n', b'between 1 and 65535')):
            bad = os.path.join(work, 'bad.yaml')
            with open(bad, 'w') as f:
                f.write('destinations:\n  centre-b:\n' + body)
            p = send(bag, 'centre-b', '--config', bad)
            check(p.returncode == 2 and want_err in p.stderr and b'bad.yaml:' in p.stderr,
                  'an invalid DIMSE destination (%r): exit %d %s' % (body, p.returncode, p.stderr))
    print('named: delivered to a DIMSE destination of the configuration (calling AE COURIER), and as its '
          'delivery.default; 7 invalid destinations refused')


def openssl(tmp, *args):
    subprocess.run(['openssl', *args], check=True, cwd=tmp, capture_output=True, timeout=60)


def test_tls(work):
    out, bag = package(work)
    want = package_sops(bag)
    openssl(work, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
            '-days', '2', '-subj', '/CN=ingest-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    with open(os.path.join(work, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n')
    openssl(work, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj',
            '/CN=127.0.0.1')
    openssl(work, 'x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
            '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf')
    # another CA, which did not sign Orthanc's certificate
    openssl(work, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem',
            '-days', '2', '-subj', '/CN=other-ca')
    ca = os.path.join(work, 'ca.pem')
    extra = {'DicomTlsEnabled': True, 'DicomTlsCertificate': os.path.join(work, 'srv.pem'),
             'DicomTlsPrivateKey': os.path.join(work, 'srv.key'), 'DicomTlsTrustedCertificates': ca,
             'DicomTlsRemoteCertificateRequired': False}
    with start_orthanc(extra) as o:
        url = url_of(o)
        p = send(bag, url, '--tls', '--ca', os.path.join(work, 'other.pem'), '--no-receipt')
        check(p.returncode == 1 and o.statistics()['CountInstances'] == 0 and b'certificate' in p.stderr
              and b'CA file' in p.stderr and b'trying again' not in p.stderr,
              'sent over TLS to a certificate no given CA signed, or retried: exit %d %s' % (p.returncode, p.stderr))
        untrusted = p.stderr.decode(errors='replace').strip().splitlines()[-1]
        p = send(bag, url, '--no-receipt')
        check(p.returncode == 1 and o.statistics()['CountInstances'] == 0,
              'plain DIMSE to a TLS port: exit %d %s' % (p.returncode, p.stderr))
        send(bag, url, '--tls', '--ca', ca, check_rc=0)
        check(sorted(orthanc_sops(o)) == sorted(want), 'over TLS Orthanc does not hold the package')
        r = receipt_of(out, bag)
        check(r['delivered'] and r['protocol'] == 'dimse', 'receipt %r' % counts(r))
    print('tls: %d objects over DICOM TLS with the test CA; an untrusted certificate (%s) and plain DIMSE refused'
          % (len(want), untrusted))


class RejectGate:
    """A TCP gate on 127.0.0.1: the first REJECTS connections get an
    A-ASSOCIATE-RJ PDU (PS3.8 9.3.4: type 03H, length 4, reserved, result,
    source, reason) after their A-ASSOCIATE-RQ; later ones are passed through
    to Orthanc's DICOM port, byte for byte."""

    def __init__(self, target_port, rejects, result, source, reason):
        import socket
        self.target_port, self.rejects = target_port, rejects
        self.rj = bytes([0x03, 0x00]) + (4).to_bytes(4, 'big') + bytes([0x00, result, source, reason])
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    @staticmethod
    def read_pdu(c):
        head = b''
        while len(head) < 6:
            k = c.recv(6 - len(head))
            if not k:
                return None
            head += k
        left = int.from_bytes(head[2:6], 'big')
        while left > 0:
            k = c.recv(min(left, 65536))
            if not k:
                return None
            left -= len(k)
        return head[0]

    def serve(self):
        import socket
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.connections <= self.rejects:
                if self.read_pdu(c) == 0x01:          # A-ASSOCIATE-RQ
                    c.sendall(self.rj)
                c.close()
                continue
            u = socket.create_connection(('127.0.0.1', self.target_port))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        import socket
        try:
            while True:
                k = a.recv(65536)
                if not k:
                    break
                b.sendall(k)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.sock.close()


def test_reject(work):
    out, bag = package(work)
    want = package_sops(bag)
    with start_orthanc() as o:
        # transient: result 2 (rejected-transient), source 3 (service-provider, presentation), reason 1 (congestion)
        gate = RejectGate(o.dicom_port, rejects=2, result=2, source=3, reason=1)
        url = 'dicom://%s@127.0.0.1:%d' % (o.aet, gate.port)
        t0 = time.time()
        r = send(bag, url)
        took = time.time() - t0
        err = r.stderr.decode(errors='replace')
        check(r.returncode == 0, 'transient rejects: exit %d %s' % (r.returncode, err[-3000:]))
        check('trying again' in err and 'transient' in err and 'temporary congestion' in err,
              'the transient reject and the retry are not said: %s' % err[-2000:])
        check(gate.connections >= 3, 'only %d associations: no retry after the rejects' % gate.connections)
        have = orthanc_sops(o)
        check(sorted(have) == sorted(want), 'after the rejects Orthanc holds %d instances (%d distinct), the package %d'
              % (len(have), len(set(have)), len(want)))
        rc = receipt_of(out, bag)
        check(rc['delivered'] and rc['confirmed'] == len(want), 'receipt %r' % counts(rc))
        gate.close()
        print('reject: 2 associations rejected-transient (temporary congestion), retried: %d objects delivered '
              'once over %d associations in %.1f s' % (len(want), gate.connections, took))
        retried = [l for l in err.splitlines() if 'trying again' in l]
        # permanent: result 1 (rejected-permanent), source 1 (service-user), reason 3 (calling AE not recognized)
        gate = RejectGate(o.dicom_port, rejects=1000, result=1, source=1, reason=3)
        r = send(bag, 'dicom://%s@127.0.0.1:%d' % (o.aet, gate.port))
        err = r.stderr.decode(errors='replace')
        check(r.returncode != 0 and 'permanent' in err and 'calling AE title not recognized' in err,
              'a permanent reject: exit %d %s' % (r.returncode, err[-2000:]))
        check(gate.connections == 1 and 'trying again' not in err,
              'a permanent reject was retried: %d associations' % gate.connections)
        gate.close()
        print('reject: a permanent reject (calling AE title not recognized) fails at once, 1 association: %s'
              % [l for l in err.splitlines() if 'permanent' in l][0][:200])
        print('reject: %s' % (retried[0][:200] if retried else '-'))


PLAIN = ('1.2.840.10008.1.2', '1.2.840.10008.1.2.1')
J2K = ('1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91')
LOSSY_JPEG = ('1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51')
# pydicom samples, each given a SOP Instance UID of its own (the samples share theirs between encodings); the
# value: the sample whose pixels it must arrive with (its uncompressed twin), '=' its own as pydicom decodes
# them, '' not compared (pydicom cannot decode it here: JPEG lossless, JPEG 2000, lossy JPEG)
TRANSCODE_SAMPLES = {
    'CT_small.dcm': '=', 'MR_small_implicit.dcm': '=',                       # sent as they are
    'SC_rgb_dcmtk_+eb+cr.dcm': '', 'SC_jpeg_no_color_transform.dcm': '',      # JPEG baseline (lossy)
    'JPEG-lossy.dcm': '', 'JPGExtended.dcm': '',                              # JPEG extended (lossy)
    'SC_rgb_jpeg_gdcm.dcm': '',                                                # JPEG lossless
    'MR_small_jpeg_ls_lossless.dcm': 'MR_small.dcm',                          # JPEG-LS lossless
    'MR_small_RLE.dcm': 'MR_small.dcm', 'SC_rgb_rle_2frame.dcm': '=', 'SC_rgb_rle_16bit.dcm': '=',  # RLE
    'image_dfl.dcm': '=',                                                      # deflated
    'MR_small_bigendian.dcm': 'MR_small.dcm',                                 # big endian
    'JPEG2000.dcm': '', 'MR_small_jp2klossless.dcm': '',                      # JPEG 2000: no decoder
}


def transcode_drop(work):
    """The samples above under new SOP Instance UIDs (pixel data untouched; the lossy JPEG ones without Lossy Image
    Compression): {uid: (sample, twin)}."""
    src = '/usr/lib/python3/dist-packages/pydicom/data/test_files'
    drop = os.path.join(work, 'SAMPLES')
    os.makedirs(drop)
    made = {}
    for name, twin in TRANSCODE_SAMPLES.items():
        d = pydicom.dcmread(os.path.join(src, name))
        uid = pydicom.uid.generate_uid(entropy_srcs=['ingestd transcode test', name])
        d.SOPInstanceUID = uid
        d.file_meta.MediaStorageSOPInstanceUID = uid
        if str(d.file_meta.TransferSyntaxUID) in LOSSY_JPEG:
            # as some encoders write them: the delivery must say what decoding cannot undo (PS3.3 C.7.6.1.1.5)
            for k in ('LossyImageCompression', 'LossyImageCompressionRatio', 'LossyImageCompressionMethod'):
                if k in d:
                    delattr(d, k)
        d.save_as(os.path.join(drop, name), write_like_original=True)
        made[uid] = (os.path.join(src, name), os.path.join(src, twin) if twin not in ('', '=') else twin)
    return drop, made


def test_transcode(work):
    import numpy
    drop, made = transcode_drop(work)
    out, bag = package_of(work, drop, 'SAMPLES')
    objs = package_objects(bag)
    want = {x[0] for x in objs}
    check(want == set(made) and len(objs) == len(made), 'the package holds %d objects, %d distinct, of the %d samples'
          % (len(objs), len(want), len(made)))
    ts_of = {x[0]: x[2] for x in objs}
    plain = {u for u, t in ts_of.items() if t in PLAIN}
    j2k = {u for u, t in ts_of.items() if t in J2K}
    others = {t for u, t in ts_of.items() if u not in plain | j2k}
    check(len(plain) == 2 and len(j2k) == 2 and {'1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51',
                                                 '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80',
                                                 '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.1.99',
                                                 '1.2.840.10008.1.2.2'} == others,
          'the samples are not in the syntaxes this test needs: %r' % sorted(ts_of.values()))
    with start_orthanc({'AcceptedTransferSyntaxes': list(PLAIN)}) as o:
        url = url_of(o)
        p = send(bag, url)
        r = receipt_of(out, bag)
        nd = r['not_delivered']
        check(p.returncode == 1 and r['sent_decoded'] == [] and {x['sop_instance_uid'] for x in nd} == want - plain,
              'without --allow-transcode: exit %d %r' % (p.returncode, counts(r)))
        check(all('--allow-transcode' in x['reason'] for x in nd), 'a refusal does not say how to allow decoding: %r'
              % [x['reason'] for x in nd if '--allow-transcode' not in x['reason']][:1])
        check(set(orthanc_sops(o)) == plain, 'without --allow-transcode Orthanc holds other than the %d plain objects'
              % len(plain))
        first_nd = nd[0]['reason']

        p = send(bag, url, '--allow-transcode')
        r = receipt_of(out, bag)
        err = p.stderr.decode(errors='replace')
        nd = r['not_delivered']
        check(p.returncode == 1 and {x['sop_instance_uid'] for x in nd} == j2k,
              'with --allow-transcode: exit %d, not delivered %r\n%s' % (p.returncode, nd, err[-2000:]))
        check(all('no decoder for JPEG 2000' in x['reason'] for x in nd), 'JPEG 2000 reason: %r' % nd[:1])
        dec = r['sent_decoded']
        check({x['sop_instance_uid'] for x in dec} == want - plain - j2k and all(x['sent_as'] in PLAIN for x in dec)
              and all(x['transfer_syntax'] == ts_of[x['sop_instance_uid']] for x in dec),
              'sent_decoded is wrong: %r' % dec)
        check(r['sent'] == len(dec) and r['confirmed'] == len(want) - len(j2k), 'receipt counts %r' % counts(r))
        check('sent decoded' in err, 'the log does not say what was sent decoded')
        ids = {o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID']: i for i in o.get('/instances')}
        check(set(ids) == want - j2k and len(ids) == len(o.get('/instances')),
              'Orthanc holds %d instances, wanted %d' % (len(ids), len(want - j2k)))
        equal = lossy = 0
        for x in dec:
            uid = x['sop_instance_uid']
            meta = o.get('/instances/%s/metadata?expand' % ids[uid])
            check(meta.get('TransferSyntax') in PLAIN, '%s stored in %s' % (x['file'], meta.get('TransferSyntax')))
            st, raw = o.request('GET', '/instances/%s/file' % ids[uid])
            check(st == 200, 'Orthanc did not give back %s: HTTP %d' % (x['file'], st))
            path = os.path.join(work, 'got.dcm')
            with open(path, 'wb') as f:
                f.write(raw)
            got = pydicom.dcmread(path)
            sample, twin = made[uid]
            src = pydicom.dcmread(sample)
            check(str(got.SOPInstanceUID) == uid, '%s: SOP Instance UID changed' % x['file'])
            nbytes = int(src.Rows) * int(src.Columns) * int(src.get('SamplesPerPixel', 1)) * \
                int(src.BitsAllocated) // 8 * int(src.get('NumberOfFrames', 1) or 1)
            check(len(got.PixelData) in (nbytes, nbytes + 1), '%s: %d bytes of pixels stored, %d wanted'
                  % (sample, len(got.PixelData), nbytes))
            if twin:
                ref = src if twin == '=' else pydicom.dcmread(twin)
                check(numpy.array_equal(got.pixel_array, ref.pixel_array), '%s (%s): the pixels differ from %s'
                      % (sample, x['transfer_syntax'], 'its own' if twin == '=' else twin))
                equal += 1
            if x['transfer_syntax'] in LOSSY_JPEG:
                check(got.get('LossyImageCompression') == '01', '%s: decoded from lossy JPEG but Lossy Image '
                      'Compression is %r' % (sample, got.get('LossyImageCompression')))
                lossy += 1
        check(equal == 6 and lossy == 4, '%d pixel arrays compared (6 wanted), %d lossy objects (4)' % (equal, lossy))

        p = send(bag, url, '--allow-transcode')
        r = receipt_of(out, bag)
        check(p.returncode == 1 and r['sent'] == 0 and r['sent_decoded'] == [] and r['bytes_sent'] == 0,
              'a third send sent again: %r' % counts(r))
        check(len(o.get('/instances')) == len(ids), 'a third send stored more')
    p = send(bag, 'http://127.0.0.1:9/dicom-web/', '--allow-http', '--allow-transcode')
    check(p.returncode == 2 and b'DIMSE' in p.stderr, '--allow-transcode with DICOMweb: exit %d %s'
          % (p.returncode, p.stderr))
    cfg = os.path.join(work, 'ingestd.yaml')
    with open(cfg, 'w') as f:
        f.write('destinations:\n  web:\n    dicomweb: https://pacs.example.org/dicom-web/\n    allow_transcode: true\n')
    p = send(bag, 'web', '--config', cfg)
    check(p.returncode == 2 and b'mixes DICOMweb' in p.stderr, 'allow_transcode on a DICOMweb destination: exit %d %s'
          % (p.returncode, p.stderr))
    print('transcode: without --allow-transcode: %s' % first_nd[:300])
    print('transcode: with it %d objects sent decoded (%s), %d pixel arrays equal to the uncompressed ones, %d lossy '
          'ones marked "01"; %d JPEG 2000 objects refused (no decoder)'
          % (len(dec), ', '.join(sorted(others)), equal, lossy, len(j2k)))


def commit_orthanc(port, **modality):
    m = {'AET': AET, 'Host': '127.0.0.1', 'Port': port}
    m.update(modality)
    return start_orthanc({'DicomModalities': {AET.lower(): m}}, scu_aets=())


def test_commit(work):
    out, bag = package(work)
    objs = package_objects(bag)
    want = {x[0] for x in objs}
    port = orthanc.free_port()
    with commit_orthanc(port) as o:
        p = send(bag, url_of(o), '--commit-port', str(port))
        r = receipt_of(out, bag)
        err = p.stderr.decode(errors='replace')
        sc = r['storage_commitment']
        check(p.returncode == 0 and r['delivered'] and sc['result'] == 'answered' and sc['committed'] == len(objs)
              and sc['transaction_uid'].startswith('2.25.'), 'storage commitment: exit %d %r\n%s'
              % (p.returncode, counts(r), err[-2000:]))
        check(b'storage commitment: all committed' in p.stdout, 'the summary does not say it: %s' % p.stdout)
        check(set(orthanc_sops(o)) == want, 'Orthanc does not hold the package')
        first = sc['transaction_uid']

        # an instance gone between C-FIND and the request: Orthanc answers it failed
        gone = sorted(want)[0]
        proc = subprocess.Popen([INGEST, 'send', bag, '--to', url_of(o), '--commit-port', str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, INGEST_TEST_PAUSE_AT='send-commit'))
        for _ in range(600):
            with open('/proc/%d/stat' % proc.pid) as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'T':
                    break
            time.sleep(0.05)
        else:
            proc.kill()
            check(False, 'the send did not pause before storage commitment')
        ids = [i for i in o.get('/instances') if o.get('/instances/%s/simplified-tags' % i)['SOPInstanceUID'] == gone]
        for i in ids:
            o.request('DELETE', '/instances/%s' % i)
        os.kill(proc.pid, signal.SIGCONT)
        so, se = proc.communicate(timeout=300)
        r = receipt_of(out, bag)
        nd = r['not_delivered']
        check(proc.returncode == 1 and r['storage_commitment']['result'] == 'answered'
              and r['storage_commitment']['transaction_uid'] != first
              and {x['sop_instance_uid'] for x in nd} == {gone} and gone not in r['confirmed_uids'],
              'an instance deleted before the request: exit %d %r %r\n%s'
              % (proc.returncode, counts(r), nd, se.decode(errors='replace')[-2000:]))
        check(all('did not commit' in x['reason'] and 'failure reason 0x' in x['reason'] for x in nd),
              'the reason is not the commitment failure: %r' % nd)
        gone_reason = nd[0]['reason']

    # an Orthanc that answers where nobody listens: no answer, not delivered, what to check said
    with commit_orthanc(orthanc.free_port()) as o:
        t0 = time.time()
        p = send(bag, url_of(o), '--commit-port', str(port), '--max-seconds', '20')
        took = time.time() - t0
        r = receipt_of(out, bag)
        err = p.stderr.decode(errors='replace')
        check(p.returncode == 1 and not r['delivered'] and r['storage_commitment']['result'] == 'failed'
              and 'no answer' in err and str(port) in err and 'modality entry' in err and took < 60,
              'no storage commitment answer: exit %d in %.0f s %r\n%s' % (p.returncode, took, counts(r), err[-1500:]))
        check(set(orthanc_sops(o)) == want, 'the objects did not arrive')
        no_answer = [l for l in err.splitlines() if 'no answer' in l][0]

    # an Orthanc that does not allow us storage commitment accepts its presentation context, then aborts the
    # association when asked: a refusal, said at once (not retried), and not delivered (it was asked for)
    with commit_orthanc(port, AllowStorageCommitment=False) as o:
        p = send(bag, url_of(o), '--commit-port', str(port))
        r = receipt_of(out, bag)
        err = p.stderr.decode(errors='replace')
        check(p.returncode == 1 and not r['delivered'] and r['storage_commitment']['result'] == 'failed'
              and 'does not allow it to our AE title' in err and 'trying again' not in err,
              'storage commitment not allowed: exit %d %r\n%s' % (p.returncode, counts(r), err[-1500:]))
        check(set(orthanc_sops(o)) == want, 'the objects did not arrive')
        refused = [l for l in err.splitlines() if 'does not allow' in l][0]
    p = send(bag, 'http://127.0.0.1:9/dicom-web/', '--allow-http', '--commit-port', str(port))
    check(p.returncode == 2 and b'DIMSE' in p.stderr, '--commit-port with DICOMweb: exit %d %s'
          % (p.returncode, p.stderr))
    print('commit: %d objects committed (transaction %s); an instance deleted before the request: %s; %s; '
          '%s' % (len(objs), first, gone_reason[:200], no_answer[:300], refused[:300]))


def main():
    which = sys.argv[1]
    work = workdir()
    try:
        {'deliver': test_deliver, 'samples': test_samples, 'resume': test_resume, 'restart': test_restart,
         'refuse': test_refuse, 'named': test_named, 'tls': test_tls, 'reject': test_reject,
         'transcode': test_transcode, 'commit': test_commit}[which](work)
    finally:
        subprocess.run(['rm', '-rf', work])


main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Delivery speed, A/B with the same objects (#22): a package's DICOM objects
into a fresh local Orthanc (Debian's, with its DICOMweb plugin, in a private
network namespace: tests/pacs/orthanc.py) three ways:

  ingest-send   `ingest send` (QIDO-RS, STOW-RS in 64 MiB batches, QIDO-RS), peak RSS by /usr/bin/time
  ingest-dimse  `ingest send --to dicom://...` (C-FIND, C-STORE in 64 MiB associations, C-FIND), peak RSS
  storescu      DCMTK's storescu, one association, every file (C-STORE)
  rest-upload   Orthanc's own REST API, POST /instances, one request per file (one kept-alive connection)

Not a test; prints wall seconds, MB/s and ingest's peak RSS. BENCH_SEND_TOOLS
(comma list) picks the ways; BENCH_SEND_BATCHES=N,M adds `ingest send` runs
with those --batch-bytes; BENCH_SEND_ROUNDS=N runs the ways N times,
alternating (A B C A B C ...: a loaded machine drifts).

  bench/send.py PACKAGE [INGEST]      e.g. after bench/lib/gen.py dvd DVD --scale 0.25 and ingest package
"""
import glob
import http.client
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'pacs'))
import orthanc  # noqa: E402

orthanc.private_network()

bag = os.path.abspath(sys.argv[1])
ingest = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, '..', 'build-bench', 'tools', 'ingest')
files = sorted(f for f in glob.glob(os.path.join(bag, 'data', 'DICOM', '**', '*'), recursive=True)
               if os.path.isfile(f) and os.path.basename(f) != 'DICOMDIR')
size = sum(os.path.getsize(f) for f in files)
DW = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'


def run(name, fn):
    with orthanc.Orthanc(plugins=[DW], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'}},
                         scu_aets=('INGESTD',)) as o:
        t = time.monotonic()
        extra = fn(o)
        dt = time.monotonic() - t
        n = o.statistics()['CountInstances']
    print('%-12s %6.1f s  %6.1f MB/s  %d of %d instances stored%s' % (name, dt, size / dt / 1e6, n, len(files),
                                                                        extra or ''))


def send(o, batch=None):
    p = subprocess.run(['/usr/bin/time', '-f', 'RSS %M', ingest, 'send', bag, '--to', o.base + '/dicom-web/',
                        '--allow-http', '--no-receipt', '-q'] + (['--batch-bytes', batch] if batch else []),
                       capture_output=True, text=True)
    rss = [l for l in p.stderr.splitlines() if l.startswith('RSS ')]
    return '  exit %d, peak RSS %.1f MiB' % (p.returncode, int(rss[-1].split()[1]) / 1024 if rss else -1)


def dimse(o):
    p = subprocess.run(['/usr/bin/time', '-f', 'RSS %M', ingest, 'send', bag, '--to',
                        'dicom://%s@127.0.0.1:%d' % (o.aet, o.dicom_port), '--no-receipt', '-q'],
                       capture_output=True, text=True)
    rss = [l for l in p.stderr.splitlines() if l.startswith('RSS ')]
    return '  exit %d, peak RSS %.1f MiB' % (p.returncode, int(rss[-1].split()[1]) / 1024 if rss else -1)


def storescu(o):
    p = subprocess.run(['storescu', '-aec', o.aet, '127.0.0.1', str(o.dicom_port)] + files, capture_output=True)
    return '  exit %d' % p.returncode


def rest(o):
    c = http.client.HTTPConnection('127.0.0.1', o.http_port)
    for f in files:
        with open(f, 'rb') as fh:
            c.request('POST', '/instances', fh.read(), {'Content-Type': 'application/dicom'})
        c.getresponse().read()
    c.close()


print('%d objects, %.1f MB' % (len(files), size / 1e6))
tools = os.environ.get('BENCH_SEND_TOOLS', 'ingest-send,ingest-dimse,storescu,rest-upload').split(',')
for _ in range(int(os.environ.get('BENCH_SEND_ROUNDS', '1'))):
    for name, fn in (('ingest-send', send), ('ingest-dimse', dimse), ('storescu', storescu), ('rest-upload', rest)):
        if name in tools:
            run(name, fn)
# BENCH_SEND_BATCHES=1048576,8388608: ingest send again with those --batch-bytes
for b in filter(None, os.environ.get('BENCH_SEND_BATCHES', '').split(',')):
    run('send/%s' % b, lambda o, b=b: send(o, b))

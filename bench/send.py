#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Delivery speed, A/B with the same objects (#22): a package's DICOM objects
into a fresh local Orthanc (Debian's, with its DICOMweb plugin, in a private
network namespace: tests/pacs/orthanc.py) several ways:

  ingest-send   `ingest send`: verify, QIDO-RS, STOW-RS batches (two in flight), QIDO-RS confirm
  ingest-base   the same with another binary (BENCH_SEND_BASE=PATH, e.g. main's): the A/B
  ingest-dimse  `ingest send --to dicom://...`: verify, C-FIND, C-STORE associations, C-FIND confirm
  storescu      DCMTK's storescu, one association, every file (C-STORE)
  rest-upload   Orthanc's own REST API, POST /instances, one request per file, one kept-alive connection
  rest-2conn    the same over two kept-alive connections at once (not in the default set)

Every run gets a fresh Orthanc whose storage and index are in a new folder on
the place measured (tmpfs: BENCH_SHM_DIR, default /dev/shm; disk:
BENCH_DISK_DIR, default /var/tmp), removed after the run, outside the clock.
Each round runs every way once, the order rotated by one each round. The
package is read once before the rounds (page cache). Printed per place and
way: median and range of wall seconds, MB/s of the median, peak RSS of
`ingest send` (GNU time's %M) and the CPU seconds of the client and of
Orthanc (median).

  bench/send.py PACKAGE [INGEST]     e.g. after bench/lib/gen.py dvd DVD --scale 0.25 and ingest package

Environment: BENCH_SEND_ROUNDS (3), BENCH_SEND_PLACES (tmpfs,disk),
BENCH_SEND_TOOLS (ingest-send,ingest-dimse,storescu,rest-upload), BENCH_SEND_BASE,
BENCH_SEND_BATCHES=N,M (adds `ingest send --batch-bytes N` runs, named send/N),
BENCH_SEND_ALT=NAME=PATH,... (adds `ingest send` runs of other binaries, named send:NAME).
"""
import glob
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'pacs'))
import orthanc  # noqa: E402

orthanc.private_network()

bag = os.path.abspath(sys.argv[1])
ingest = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, '..', 'build-bench', 'tools', 'ingest')
base = os.environ.get('BENCH_SEND_BASE')
files = sorted(f for f in glob.glob(os.path.join(bag, 'data', 'DICOM', '**', '*'), recursive=True)
               if os.path.isfile(f) and os.path.basename(f) != 'DICOMDIR')
size = sum(os.path.getsize(f) for f in files)
DW = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so'
PLACES = {'tmpfs': os.environ.get('BENCH_SHM_DIR', '/dev/shm'), 'disk': os.environ.get('BENCH_DISK_DIR', '/var/tmp')}
CLK = os.sysconf('SC_CLK_TCK')


def cpu_of(pid):
    f = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK


def timed(argv):
    """Runs ARGV under GNU time: (exit status, peak RSS KiB, user+sys s, stderr)."""
    p = subprocess.run(['/usr/bin/time', '-f', 'BENCHTIME %M %U %S'] + argv, capture_output=True, text=True)
    t = [l for l in p.stderr.splitlines() if l.startswith('BENCHTIME ')]
    f = t[-1].split() if t else ['', '-1', '0', '0']
    return p.returncode, int(f[1]), float(f[2]) + float(f[3]), p.stderr


def send(o, binary=None, batch=None):
    """`ingest send`, its log lines timed as they come: the phases (verification and the first QIDO-RS
    until "N DICOM objects, M already at the destination"; STOW-RS until the last batch is answered;
    the confirming QIDO-RS and the end)."""
    t0 = time.monotonic()
    p = subprocess.Popen(['/usr/bin/time', '-f', 'BENCHTIME %M %U %S', binary or ingest, 'send', bag, '--to',
                          o.base + '/dicom-web/', '--allow-http', '--no-receipt'] + (['--batch-bytes', batch]
                                                                                    if batch else []),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines, listed, stowed = [], t0, t0
    for line in p.stderr:
        lines.append(line)
        if 'already at the destination' in line:
            listed = stowed = time.monotonic()
        elif ': batch ' in line:
            stowed = time.monotonic()
    rc = p.wait()
    end = time.monotonic()
    t = [l for l in lines if l.startswith('BENCHTIME ')]
    f = t[-1].split() if t else ['', '-1', '0', '0']
    if rc != 0:
        print('ingest send failed (exit %d): %s' % (rc, ''.join(lines)[-500:]))
    return rc, int(f[1]), float(f[2]) + float(f[3]), (listed - t0, stowed - listed, end - stowed)


def dimse(o):
    rc, rss, cpu, err = timed([ingest, 'send', bag, '--to', 'dicom://%s@127.0.0.1:%d' % (o.aet, o.dicom_port),
                               '--no-receipt', '-q'])
    if rc != 0:
        print('ingest send (DIMSE) failed (exit %d): %s' % (rc, err[-500:]))
    return rc, rss, cpu, None


def storescu(o):
    rc, rss, cpu, _ = timed(['storescu', '-aec', o.aet, '127.0.0.1', str(o.dicom_port)] + files)
    return rc, rss, cpu, None


def rest(o, conns=1):
    t0 = os.times()

    def one(part):
        c = http.client.HTTPConnection('127.0.0.1', o.http_port)
        for f in part:
            with open(f, 'rb') as fh:
                c.request('POST', '/instances', fh.read(), {'Content-Type': 'application/dicom'})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                print('POST /instances: HTTP %d' % r.status)
        c.close()
    th = [threading.Thread(target=one, args=(files[k::conns],)) for k in range(conns)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    t1 = os.times()
    return 0, -1, (t1.user - t0.user) + (t1.system - t0.system), None


WAYS = {'ingest-send': send, 'ingest-dimse': dimse, 'storescu': storescu, 'rest-upload': rest,
        'rest-2conn': lambda o: rest(o, 2), 'ingest-base': lambda o: send(o, base)}


def run_one(fn, place):
    tempfile.tempdir = PLACES[place]
    with orthanc.Orthanc(plugins=[DW], extra={'DicomWeb': {'Enable': True, 'Root': '/dicom-web/'}},
                         scu_aets=('INGESTD',)) as o:
        c0 = cpu_of(o.proc.pid)
        t = time.monotonic()
        rc, rss, cpu, phases = fn(o)
        dt = time.monotonic() - t
        ocpu = cpu_of(o.proc.pid) - c0
        n = o.statistics()['CountInstances']
    tempfile.tempdir = None
    return dict(wall=dt, rc=rc, rss=rss, cpu=cpu, ocpu=ocpu, stored=n, phases=phases)


def main():
    for f in files:                       # into the page cache
        with open(f, 'rb') as fh:
            while fh.read(1 << 20):
                pass
    ways = [w for w in os.environ.get('BENCH_SEND_TOOLS', 'ingest-send,ingest-dimse,storescu,rest-upload').split(',') if w]
    if base and 'ingest-base' not in ways:
        ways.insert(1, 'ingest-base')
    fns = {w: WAYS[w] for w in ways}
    for b in filter(None, os.environ.get('BENCH_SEND_BATCHES', '').split(',')):
        fns['send/%s' % b] = lambda o, b=b: send(o, None, b)
    for a in filter(None, os.environ.get('BENCH_SEND_ALT', '').split(',')):
        name, path = a.split('=', 1)
        fns['send:%s' % name] = lambda o, path=path: send(o, path)
    names = list(fns)
    rounds = int(os.environ.get('BENCH_SEND_ROUNDS', '3'))
    places = os.environ.get('BENCH_SEND_PLACES', 'tmpfs,disk').split(',')
    print('%d objects, %.1f MB; %d rounds; Orthanc storage on %s' % (len(files), size / 1e6, rounds, ', '.join(places)))
    res = {(p, w): [] for p in places for w in names}
    for r in range(rounds):
        for p in places:
            for k in range(len(names)):
                w = names[(k + r) % len(names)]
                x = run_one(fns[w], p)
                res[(p, w)].append(x)
                print('  round %d %-5s %-14s %6.2f s  rss %6.1f MiB  cpu %5.2f s  orthanc cpu %5.2f s  %d/%d stored%s%s'
                      % (r + 1, p, w, x['wall'], x['rss'] / 1024, x['cpu'], x['ocpu'], x['stored'], len(files),
                         '' if x['rc'] == 0 else '  EXIT %d' % x['rc'],
                         '  (verify+QIDO %.2f, STOW %.2f, confirm %.2f s)' % x['phases'] if x['phases'] else ''),
                      flush=True)
    print('\n%-6s %-14s %8s %15s %8s %9s %8s %12s  %s' % ('place', 'way', 'median', 'range', 'MB/s', 'peak RSS',
                                                         'cpu', 'orthanc cpu', 'phases (medians)'))
    for p in places:
        for w in names:
            xs = res[(p, w)]
            walls = [x['wall'] for x in xs]
            med = statistics.median(walls)
            rss = max(x['rss'] for x in xs)
            print('%-6s %-14s %7.2fs %6.2f-%6.2f s %8.1f %9s %7.2fs %11.2fs' % (
                p, w, med, min(walls), max(walls), size / med / 1e6, '%.1f MiB' % (rss / 1024) if rss > 0 else '-',
                statistics.median(x['cpu'] for x in xs), statistics.median(x['ocpu'] for x in xs)), end='')
            ph = [x['phases'] for x in xs if x['phases']]
            print('  verify+QIDO %.2f, STOW %.2f, confirm %.2f s' % tuple(statistics.median(v[i] for v in ph)
                                                                         for i in range(3)) if ph else '')


main()

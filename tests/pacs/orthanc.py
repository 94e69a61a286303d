# SPDX-License-Identifier: GPL-3.0-or-later
"""A real PACS for the tests: Debian's Orthanc, started by the test in a
temporary folder and stopped by it.

Orthanc 1.10 (Debian 12) cannot bind its HTTP or DICOM server to one
address, so it only ever runs inside a private network namespace: a test
that uses it calls private_network() first, which re-runs the test under
`unshare -n` with only the loopback interface up. Nothing can reach
another address from there, and nothing outside can reach Orthanc."""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ORTHANC = shutil.which('Orthanc') or '/usr/sbin/Orthanc'
_INSIDE = 'INGEST_TEST_PRIVATE_NET'


def private_network():
    """Re-execute this test inside a new network namespace (lo up); returns
    only inside it. Needs root (the tests run as root, README)."""
    if os.environ.get(_INSIDE) == '1':
        return
    env = dict(os.environ)
    env[_INSIDE] = '1'
    cmd = ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', sys.executable] + sys.argv
    r = subprocess.run(cmd, env=env)
    sys.exit(r.returncode)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Orthanc:
    """Orthanc with its storage in a temporary folder, HTTP on a free port
    of 127.0.0.1 (inside the private namespace), DICOM on another (AE title
    self.aet). SCU_AETS: calling AE titles Orthanc knows as modalities on
    127.0.0.1 (it answers C-FIND only to those; C-STORE to anyone)."""

    def __init__(self, plugins=(), extra=None, scu_aets=()):
        if os.environ.get(_INSIDE) != '1':
            raise RuntimeError('Orthanc runs only inside private_network()')
        self.dir = tempfile.mkdtemp(prefix='ingest-orthanc.')
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.aet = 'INGESTTEST'
        cfg = {
            'Name': 'ingest-test',
            'StorageDirectory': os.path.join(self.dir, 'db'),
            'IndexDirectory': os.path.join(self.dir, 'db'),
            'HttpPort': self.http_port,
            'DicomPort': self.dicom_port,
            'DicomAet': self.aet,
            'RemoteAccessAllowed': False,
            'AuthenticationEnabled': False,
            'Plugins': list(plugins),
            'StableAge': 1,
            'DicomModalities': {a.lower(): {'AET': a, 'Host': '127.0.0.1', 'Port': 104} for a in scu_aets},
            'OrthancPeers': {},
        }
        cfg.update(extra or {})
        self.config = os.path.join(self.dir, 'orthanc.json')
        with open(self.config, 'w') as f:
            json.dump(cfg, f)
        self.log = open(os.path.join(self.dir, 'orthanc.log'), 'wb')
        self.base = 'http://127.0.0.1:%d' % self.http_port
        self._start()

    def _start(self):
        self.proc = subprocess.Popen([ORTHANC, self.config], stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while True:
            try:
                self.get('/system')
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError('Orthanc did not start:\n' + self.log_text())
                time.sleep(0.2)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, 'orthanc.log'), errors='replace') as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    def request(self, method, path, body=None, ctype=None):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if ctype:
            req.add_header('Content-Type', ctype)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                data = r.read()
                return r.status, data
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get(self, path):
        status, data = self.request('GET', path)
        if status != 200:
            raise RuntimeError('GET %s: HTTP %d %s' % (path, status, data[:200]))
        return json.loads(data)

    def upload(self, path):
        """POST one file to /instances: (http status, Orthanc's answer)."""
        with open(path, 'rb') as f:
            status, data = self.request('POST', '/instances', f.read(), 'application/dicom')
        try:
            return status, json.loads(data)
        except ValueError:
            return status, {'raw': data.decode(errors='replace')[:300]}

    def halt(self, kill=False):
        """Stop Orthanc (KILL: at once, as a crash; else it waits for open associations), keeping its
        storage, ports and configuration (start() brings it back)."""
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(30)

    def start(self):
        """Start Orthanc again after halt(), on the same ports with the same storage."""
        self._start()

    def statistics(self):
        return self.get('/statistics')

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()

# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report in a real browser (issue 18, item 5): Debian's chromium,
headless, inside a private network namespace (`unshare -n`, only loopback),
so nothing can go anywhere whatever the page asked for.

For the breast fixture case packaged by `ingest package`:
- every series with images has a thumbnail: an <img> whose src is a PNG
  data: URI that decodes to a real PNG of at most 128 px a side; series
  without images say "no preview" and why;
- a screenshot is taken at 1280 px (written to $INGEST_TEST_SCREENSHOT_DIR
  when set, for docs/) and is not blank;
- chromium's net log (--log-net-log) of loading the page holds no request
  for anything but the page's own file: and data: URLs;
- nothing overflows at 1280 px: a copy of the page with a tiny script that
  writes document.documentElement.scrollWidth into the DOM, read back with
  --dump-dom (the probe is first shown to see a page that does overflow);
- a timeline lists the studies and dated documents oldest first.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'package'))
import pkgtest  # noqa: E402
from pkgtest import check, fail  # noqa: E402

_INSIDE = 'INGEST_TEST_PRIVATE_NET'
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
WIDTH = 1280


def private_network():
    if os.environ.get(_INSIDE) == '1':
        return
    env = dict(os.environ)
    env[_INSIDE] = '1'
    cmd = ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', sys.executable] + sys.argv
    sys.exit(subprocess.run(cmd, env=env).returncode)


def chromium(work, *args, timeout=120):
    prof = tempfile.mkdtemp(prefix='prof.', dir=work)
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
           '--no-first-run', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-default-apps', '--disable-extensions',
           '--user-data-dir=' + prof] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if r.returncode != 0:
        fail('chromium failed (%d): %s' % (r.returncode, r.stderr.decode(errors='replace')[-2000:]))
    return r.stdout.decode(errors='replace')


def png_size(data):
    check(data[:8] == b'\x89PNG\r\n\x1a\n', 'a thumbnail is not a PNG')
    return int.from_bytes(data[16:20], 'big'), int.from_bytes(data[20:24], 'big')


def check_thumbnails(html):
    imgs = re.findall(r'<img [^>]*>', html)
    check(len(imgs) >= 6, 'expected a thumbnail per image series, found %d' % len(imgs))
    for tag in imgs:
        m = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', tag)
        check(m is not None, 'an <img> that is not a PNG data: URI: ' + tag[:120])
        w, h = png_size(base64.b64decode(m.group(1)))
        check(0 < w <= 128 and 0 < h <= 128, 'thumbnail of %dx%d' % (w, h))
        check('width="%d"' % w in tag and 'height="%d"' % h in tag, 'img size attributes differ from the PNG')
    # the SR and encapsulated PDF series hold no image: they say so
    check(html.count('no preview: no image in this series') >= 2, 'series without images do not say "no preview"')
    # nothing in the page may load anything: no src/href to a URL, CSP in place
    for m in re.finditer(r'(?:src|href)\s*=\s*"([^"]*)"', html):
        check(m.group(1).startswith('data:image/png;base64,') or m.group(1).startswith('#'),
              'the page refers to ' + m.group(1)[:80])
    check("default-src 'none'" in html and 'img-src data:' in html, 'the CSP is missing')


def check_timeline(html):
    m = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    check(m is not None, 'no timeline')
    dates = re.findall(r'<span class="tl-date">(\d{4}-\d{2}-\d{2})</span>', m.group(1))
    check(len(dates) >= 4, 'timeline has %d dated entries' % len(dates))
    check(dates == sorted(dates), 'timeline not in date order: %s' % dates)
    check('imaging' in m.group(1) and 'document' in m.group(1), 'timeline lacks studies or documents')


def page_requests(path):
    """The network requests a page made, from chromium's net log: its
    URL_REQUEST_START_JOB events with an initiator (the page's origin; a
    file: page's is "null"). The browser's own background requests (update
    checks, blocked anyway in the namespace) carry "not an origin"."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    try:
        log = json.loads(text)
    except ValueError:  # chromium may stop before closing the JSON
        log = json.loads(text.rstrip().rstrip(',') + ']}')
    start = log['constants']['logEventTypes']['URL_REQUEST_START_JOB']
    urls = []
    for e in log['events']:
        p = e.get('params') or {}
        if e['type'] == start and p.get('initiator', 'not an origin') != 'not an origin':
            urls.append(p.get('url', '?'))
    return urls


def net_log_of(work, page, name):
    netlog = os.path.join(work, name)
    chromium(work, '--window-size=%d,900' % WIDTH, '--screenshot=' + os.path.join(work, name + '.png'),
             '--log-net-log=' + netlog, '--net-log-capture-mode=Everything', 'file://' + page)
    return page_requests(netlog)


PROBE = ('<script>document.body.setAttribute("data-scroll-width",'
         'String(document.documentElement.scrollWidth));</script>')


def scroll_width(work, html, name):
    """The page's scrollWidth at WIDTH px, from a copy with a probe script."""
    copy = html.replace("content=\"default-src 'none';", "content=\"default-src 'none'; script-src 'unsafe-inline';", 1)
    check(copy != html, 'could not add script-src to the copy\'s CSP')
    copy = copy.replace('</body>', PROBE + '</body>', 1)
    p = os.path.join(work, name)
    with open(p, 'w', encoding='utf-8') as f:
        f.write(copy)
    dom = chromium(work, '--window-size=%d,900' % WIDTH, '--dump-dom', 'file://' + p)
    m = re.search(r'data-scroll-width="(\d+)"', dom)
    check(m is not None, 'the probe wrote nothing into the DOM')
    return int(m.group(1))


def screenshot_ok(path):
    from PIL import Image
    im = Image.open(path).convert('RGB')
    check(im.size[0] == WIDTH, 'screenshot is %d px wide' % im.size[0])
    colours = im.getcolors(maxcolors=1 << 20)
    check(colours is None or len(colours) > 50, 'the screenshot looks blank')


def main():
    private_network()
    work = pkgtest.workdir()
    try:
        fx = pkgtest.fixtures(work)
        out = os.path.join(work, 'out')
        pkgtest.ingest('package', os.path.join(fx, 'drops', 'CASE-DEMO-1'), '--out', out,
                       '--rules', os.path.join(pkgtest.SRC, 'rules'), '--no-fetch')
        page = os.path.join(out, 'pending', 'CASE-DEMO-1', 'gap-report.html')
        with open(page, encoding='utf-8') as f:
            html = f.read()
        check_thumbnails(html)
        check_timeline(html)

        shot_dir = os.environ.get('INGEST_TEST_SCREENSHOT_DIR') or work
        shot = os.path.join(shot_dir, 'report-breast.png')
        chromium(work, '--window-size=%d,5200' % WIDTH, '--screenshot=' + shot, 'file://' + page)
        screenshot_ok(shot)

        # the net log sees a page's request when there is one (a copy without
        # the CSP and with one image from 127.0.0.1: refused in the namespace) ...
        probe = os.path.join(work, 'external.html')
        with open(probe, 'w', encoding='utf-8') as f:
            f.write(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', '', html).replace(
                '</body>', '<img src="http://127.0.0.1:9/probe.png"></body>', 1))
        seen = net_log_of(work, probe, 'net-probe.json')
        check('http://127.0.0.1:9/probe.png' in seen, 'the net log missed the probe request: %s' % seen)
        # ... and the report makes none
        made = net_log_of(work, page, 'net.json')
        check(not made, 'the report made requests: %s' % made[:10])

        # the probe sees an overflow when there is one ...
        wide = html.replace('</body>', '<div style="width:2000px;height:1px"></div></body>', 1)
        check(scroll_width(work, wide, 'wide.html') > WIDTH, 'the overflow probe does not see a 2000 px element')
        # ... and the report has none
        sw = scroll_width(work, html, 'probe.html')
        check(sw <= WIDTH, 'the report overflows at %d px: scrollWidth %d' % (WIDTH, sw))
        print('ok: %d thumbnails, scrollWidth %d at %d px' % (html.count('<img '), sw, WIDTH))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every section "## N. Title — `id`" of ../shared/CHECKLISTS.md has its
rules/<id>.yaml declaring that id (and the declared name is not empty)."""
import os
import re
import sys

rules_dir = sys.argv[1]
root = os.environ.get('INGEST_SOURCE_ROOT', os.path.join(rules_dir, '..'))
checklists = os.path.join(root, '..', 'shared', 'CHECKLISTS.md')
if not os.path.exists(checklists):
    print('skip:', checklists, 'not found')
    sys.exit(77)

heading = re.compile(r'^## (\d+)\. (.+?) — `([a-z0-9-]+)`\s*$')
ids = []
with open(checklists, encoding='utf-8') as f:
    for line in f:
        m = heading.match(line)
        if m:
            ids.append(m.group(3))
if len(ids) < 25:
    print('expected at least 25 sections in CHECKLISTS.md, found', len(ids))
    sys.exit(1)

failed = 0
for tid in ids:
    path = os.path.join(rules_dir, tid + '.yaml')
    if not os.path.exists(path):
        print('FAIL', tid, ': no', path)
        failed += 1
        continue
    with open(path, encoding='utf-8') as f:
        text = f.read()
    m = re.search(r'^id:\s*(\S+)\s*$', text, re.M)
    if not m or m.group(1) != tid:
        print('FAIL', tid, ':', path, 'does not declare id:', tid)
        failed += 1
        continue
    if not re.search(r'^name:\s*\S', text, re.M):
        print('FAIL', tid, ': no name in', path)
        failed += 1
        continue
    if not re.search(r'^include:.*\bbaseline\b', text, re.M):
        print('FAIL', tid, ': does not include the baseline')
        failed += 1
        continue
    print('ok  ', tid)
print(len(ids), 'sections checked')
sys.exit(1 if failed else 0)

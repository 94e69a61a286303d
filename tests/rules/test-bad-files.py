#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each tests/rules/bad/NAME.yaml, dropped into a copy of the shipped rules/
(replacing a shipped file of the same name), must give exactly one error:
the line of NAME.expect (a substring of "FILE:LINE:COL: message")."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

tool, rules_dir, bad_dir = sys.argv[1:4]
cases = sorted(glob.glob(os.path.join(bad_dir, '*.yaml')))
if not cases:
    print('no bad cases found in', bad_dir)
    sys.exit(1)

failed = 0
for case in cases:
    name = os.path.basename(case)
    with open(case[:-len('.yaml')] + '.expect', encoding='utf-8') as f:
        expected = f.read().strip()
    with tempfile.TemporaryDirectory() as tmp:
        for src in glob.glob(os.path.join(rules_dir, '*.yaml')):
            shutil.copy(src, tmp)
        shutil.copytree(os.path.join(rules_dir, 'vocabulary'), os.path.join(tmp, 'vocabulary'))
        shutil.copy(case, os.path.join(tmp, name))
        p = subprocess.run([tool, 'rules', 'validate', tmp], capture_output=True, text=True)
    errors = [l for l in p.stderr.splitlines() if l.strip()]
    ok = p.returncode == 1 and len(errors) == 1 and expected in errors[0]
    print(('ok   ' if ok else 'FAIL ') + name)
    if not ok:
        failed += 1
        print('  expected exit 1 and exactly one error containing:', expected)
        print('  got exit', p.returncode, 'stderr:')
        for l in errors:
            print('   ', l)
sys.exit(1 if failed else 0)

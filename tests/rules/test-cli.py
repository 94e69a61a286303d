#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`TOOL rules list|validate [DIR]`: output and exit codes (docs/cli.md)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

tool, rules_dir = sys.argv[1:3]
failed = 0


def run(*args):
    return subprocess.run([tool, 'rules', *args], capture_output=True, text=True)


def check(cond, what, p=None):
    global failed
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failed += 1
        if p is not None:
            print('  exit', p.returncode, '\n  stdout:', p.stdout[:2000], '\n  stderr:', p.stderr[:2000])


p = run('validate', rules_dir)
n_files = len([f for f in os.listdir(rules_dir) if f.endswith('.yaml')])
m = re.search(r'^(\d+) files, (\d+) rules: OK$', p.stdout, re.M)
check(p.returncode == 0 and m is not None and int(m.group(1)) == n_files,
      'validate shipped rules: exit 0, "%d files, M rules: OK"' % n_files, p)

p = run('list', rules_dir)
types = sorted(f[:-5] for f in os.listdir(rules_dir) if f.endswith('.yaml') and not f.startswith('_'))
lines = p.stdout.splitlines()
check(p.returncode == 0 and lines and lines[0].split()[:2] == ['ID', 'NAME'], 'list prints a header', p)
listed = [l.split()[0] for l in lines[1:] if l.strip()]
check(listed == types, 'list shows every type, sorted: %s' % ' '.join(types), p)
breast = [l for l in lines if l.startswith('breast ')]
check(len(breast) == 1 and re.search(r'\s(\d+)\s+(\d+)\s+(\d+)$', breast[0]) is not None,
      'list shows rules, required and recommended counts', p)

for args in (['--help'], ['list', '--help'], ['validate', '--help']):
    p = run(*args)
    check(p.returncode == 0 and 'Usage: ingest rules' in p.stdout, 'rules %s' % ' '.join(args), p)
p = run()
check(p.returncode == 2, 'no verb: exit 2', p)
p = run('frobnicate')
check(p.returncode == 2 and 'unknown command' in p.stderr, 'unknown verb: exit 2', p)
p = run('validate', '--bogus')
check(p.returncode == 2, 'unknown option: exit 2', p)
p = run('validate', rules_dir, rules_dir)
check(p.returncode == 2, 'two DIRs: exit 2', p)
p = run('validate', '/nonexistent/rules.d')
check(p.returncode == 3 and '/nonexistent/rules.d' in p.stderr, 'missing DIR: exit 3', p)

with tempfile.TemporaryDirectory() as tmp:
    for f in os.listdir(rules_dir):
        if f.endswith('.yaml'):
            shutil.copy(os.path.join(rules_dir, f), tmp)
    with open(os.path.join(tmp, 'breast.yaml'), 'a', encoding='utf-8') as f:
        f.write('  - id: breast.extra\n    severity: required\n    document: {kind: nonsense-report}\n'
                '    message: "No such thing found; ask the hospital."\n')
    p = run('validate', tmp)
    check(p.returncode == 1 and re.search(r'breast\.yaml:\d+:\d+: unknown document kind "nonsense-report"',
                                          p.stderr) is not None and 'OK' not in p.stdout,
          'invalid rules: exit 1, FILE:LINE:COL on stderr', p)
    p = run('list', tmp)
    check(p.returncode == 1, 'list of invalid rules: exit 1', p)

# validate FILE.yaml [DIR]: one file against DIR's other files
p = run('validate', os.path.join(rules_dir, 'breast.yaml'), rules_dir)
check(p.returncode == 0 and re.search(r'breast\.yaml: OK \(with the \d+ other files of ', p.stdout) is not None,
      'validate FILE DIR: a shipped type file is OK', p)
p = run('validate', os.path.join(rules_dir, '_labs.yaml'), rules_dir)
check(p.returncode == 0 and 'OK (in place of' in p.stdout, 'validate FILE DIR: a dictionary the others use is OK', p)
with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(rules_dir, 'breast.yaml'), encoding='utf-8') as f:
        text = f.read()
    with open(os.path.join(tmp, 'breast.yaml'), 'w', encoding='utf-8') as f:
        f.write(text + '  - id: breast.extra\n    severity: required\n    document: {kind: nonsense-report}\n'
                '    message: "No such thing found; ask the hospital."\n')
    p = run('validate', os.path.join(tmp, 'breast.yaml'), rules_dir)
    errs = [l for l in p.stderr.splitlines() if l.strip()]
    check(p.returncode == 1 and errs and all(l.startswith(os.path.join(tmp, 'breast.yaml:')) for l in errs) and
          re.match(r'.*/breast\.yaml:\d+:\d+: unknown document kind "nonsense-report"', errs[0]) is not None,
          'validate FILE DIR: an invalid file: exit 1, FILE:LINE:COL errors', p)
    with open(os.path.join(rules_dir, '_labs.yaml'), encoding='utf-8') as f:
        labs = f.read()
    with open(os.path.join(tmp, '_labs.yaml'), 'w', encoding='utf-8') as f:
        f.write(labs.replace('{name: CEA,', '{name: CEA-x,', 1))
    p = run('validate', os.path.join(tmp, '_labs.yaml'), rules_dir)
    check(p.returncode == 1 and 'unknown lab "CEA"' in p.stderr,
          'validate FILE DIR: a dictionary that drops a term shows the files that use it', p)
    with open(os.path.join(tmp, 'breast.yml'), 'w', encoding='utf-8') as f:
        f.write(text)
    p = run('validate', os.path.join(tmp, 'breast.yml'), rules_dir)
    check(p.returncode == 2, 'validate FILE DIR: a file not named ID.yaml: exit 2', p)
p = run('validate', os.path.join(rules_dir, 'breast.yaml'), rules_dir, rules_dir)
check(p.returncode == 2, 'validate FILE DIR DIR: exit 2', p)

sys.exit(1 if failed else 0)

# SPDX-License-Identifier: GPL-3.0-or-later
"""The example configuration (issue 20, item 8) cannot drift from the code:

- as shipped (every key commented out) it is a valid configuration and
  means exactly the defaults;
- with every key uncommented as it stands, it is valid and every value it
  shows is the default in force (compared key by key with `ingestd
  --check-config -v`, the code's own list), except the keys it marks
  "(no default)", which show an example;
- it has every key the daemon knows, each after a line of help.
Only what cannot exist on a test machine is moved: /var/lib/ingestd to a
temporary folder, the installed rules to the source tree's, the password
file to a temporary one."""

import os
import re
import subprocess
import sys
import tempfile

EXAMPLE = sys.argv[1]
INGESTD = os.environ["INGESTD_BIN"]
RULES = os.environ["INGEST_TEST_RULES_DIR"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def effective(path):
    """ingestd --check-config -v on PATH: (rc, {key: value}, stderr)."""
    r = subprocess.run([INGESTD, "--check-config", "-v", "--config", path], capture_output=True, text=True,
                       timeout=60)
    values = {}
    for ln in r.stdout.splitlines()[1:]:
        k, _, v = ln.partition(": ")
        values[k] = v
    return r.returncode, values, r.stderr


text = open(EXAMPLE).read()
lines = text.splitlines()
KEY_LINE = re.compile(r"^#( *)([a-z_]+):(.*)$")

# Flattened keys of the example, the help line before each, the "(no default)" ones.
keys, no_default = [], set()
section = None
for i, ln in enumerate(lines):
    m = KEY_LINE.match(ln)
    if not m:
        continue
    indent, key, value = m.groups()
    if not indent:
        section = key if not value.strip() else None
        full = key
    else:
        check(section is not None, "line %d: %r is indented under no section" % (i + 1, ln))
        full = "%s.%s" % (section, key)
    if value.strip():
        keys.append(full)
        help_line = lines[i - 1] if i else ""
        check(help_line.startswith("# ") and len(help_line) > 12,
              "line %d: key %s has no line of help before it (%r)" % (i + 1, full, help_line))
        if "(no default)" in help_line:
            no_default.add(full)
check(len(set(keys)) == len(keys), "a key is given twice: %r" % keys)

with tempfile.TemporaryDirectory(prefix="ingest-example.") as tmp:
    base = os.path.join(tmp, "var")
    os.makedirs(base)
    password = os.path.join(tmp, "smtp-password")
    with open(password, "w") as f:
        f.write("secret\n")

    # The defaults, as the code has them: an empty file.
    empty = os.path.join(tmp, "empty.yaml")
    open(empty, "w").close()
    rc, defaults, err = effective(empty)
    check(rc == 0, "an empty configuration is valid (rc %d): %s" % (rc, err))
    for k in defaults:
        check(k in keys, "the example has no key %s (the daemon knows it)" % k)
    for k in keys:
        check(k in defaults, "the example has key %s, which the daemon does not list" % k)

    # As shipped: valid, and the defaults exactly.
    rc, shipped, err = effective(EXAMPLE)
    check(rc == 0, "the example as shipped is not a valid configuration (rc %d): %s" % (rc, err))
    if rc == 0:
        check(shipped == defaults, "the example as shipped is not the defaults: %r" %
              {k: (shipped.get(k), defaults.get(k)) for k in set(shipped) | set(defaults)
               if shipped.get(k) != defaults.get(k)})

    # Every key uncommented: valid, and each value the default in force.
    moved = [KEY_LINE.sub(lambda m: "%s%s:%s" % m.groups(), ln) for ln in lines]
    moved = "\n".join(moved) + "\n"
    moved = moved.replace("/var/lib/ingestd", base)
    moved = re.sub(r"^(  rules:).*$", r"\1 " + RULES, moved, flags=re.M)
    moved = re.sub(r"^(  password_file:).*$", r"\1 " + password, moved, flags=re.M)
    check(not re.search(r"^#( *)[a-z_]+:", moved, re.M), "a key line is still commented out")
    uncommented = os.path.join(tmp, "uncommented.yaml")
    with open(uncommented, "w") as f:
        f.write(moved)
    based = os.path.join(tmp, "based.yaml")
    with open(based, "w") as f:
        f.write("base_dir: %s\npaths:\n  rules: %s\n" % (base, RULES))
    rc, want, err = effective(based)
    check(rc == 0, "base_dir and paths.rules alone are valid (rc %d): %s" % (rc, err))
    rc, got, err = effective(uncommented)
    check(rc == 0, "the example with every key uncommented is not valid (rc %d): %s" % (rc, err))
    if rc == 0:
        for k in keys:
            if k in no_default:
                check(got.get(k) != want.get(k), "%s is marked (no default) but shows the default" % k)
            else:
                check(got.get(k) == want.get(k), "%s: the example shows %r, the default in force is %r"
                      % (k, got.get(k), want.get(k)))

if failures:
    for f in failures:
        sys.stderr.write("FAIL: %s\n" % f)
    sys.exit(1)
print("ok: %d keys, each with help and its default (%d without one); valid as shipped and uncommented"
      % (len(keys), len(no_default)))

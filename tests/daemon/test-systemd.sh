#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The unit file: `systemd-analyze verify` passes without a word, with the
# pages its Documentation= names (man:ingestd(8), man:ingestd.yaml(5)) found
# among the built manual pages, and `systemd-analyze security --offline=true`
# rates its exposure at 1.5 or lower. Skips (77) without systemd-analyze.
set -eu
unit_in=$1
ingestd=$2
man_dir=$3
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The installed unit, pointing at the built binary (verify checks ExecStart exists).
sed -e "s#@SBINDIR@/ingestd#$ingestd#" "$unit_in" > "$tmp/ingestd.service"
for page in ingestd.8 ingestd.yaml.5; do
  grep -q "^Documentation=.*man:${page%.*}(${page##*.})" "$tmp/ingestd.service" ||
    { echo "FAIL: Documentation= does not name man:${page%.*}(${page##*.})"; exit 1; }
done
# The manual pages as they are installed (MANDIR/manN/PAGE.N): verify runs man for each man: link.
for f in "$man_dir"/*.[1-8]; do
  s=${f##*.}
  mkdir -p "$tmp/man/man$s"
  cp "$f" "$tmp/man/man$s/"
done
out=$(MANPATH="$tmp/man" systemd-analyze verify "$tmp/ingestd.service" 2>&1) ||
  { printf '%s\n' "$out"; echo "FAIL: systemd-analyze verify failed"; exit 1; }
[ -z "$out" ] || { printf '%s\n' "$out"; echo "FAIL: systemd-analyze verify has something to say"; exit 1; }
out=$(systemd-analyze security --offline=true --no-pager "$tmp/ingestd.service" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for ingestd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { printf '%s\n' "$out" | tail -5; echo "FAIL: no exposure score"; exit 1; }
echo "systemd-analyze security: exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || { echo "FAIL: exposure $score > 1.5"; exit 1; }
echo PASS

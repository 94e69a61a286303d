#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The unit file: `systemd-analyze verify` passes and `systemd-analyze security
# --offline=true` rates its exposure at 2.0 or lower. Skips (77) without systemd-analyze.
set -eu
unit_in=$1
ingestd=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The installed unit, pointing at the built binary (verify checks ExecStart exists).
sed -e "s#@SBINDIR@/ingestd#$ingestd#" -e "s#@DOCDIR@#/usr/share/doc/ingestd#" "$unit_in" > "$tmp/ingestd.service"
systemd-analyze verify "$tmp/ingestd.service"
out=$(systemd-analyze security --offline=true --no-pager "$tmp/ingestd.service" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for ingestd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { printf '%s\n' "$out" | tail -5; echo "FAIL: no exposure score"; exit 1; }
echo "systemd-analyze security: exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "FAIL: exposure $score > 2.0"; exit 1; }
echo PASS

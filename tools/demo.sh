#!/bin/sh
# Installs the Debian packages, builds, and runs the daemon on a temporary tree:
# starts ingestd, drops the fixture cases (the lung case as a disc image, the
# breast case as a folder, then a second drop completing the lung case), waits
# for the reports, prints the gap report summaries and the outbox, and stops it.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
if [ "$(id -u)" = 0 ]; then
	sh tools/install-deps.sh
fi
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B"
fi
meson compile -C "$B"
demo=$(mktemp -d /tmp/ingestd-demo.XXXXXX)
/usr/bin/python3 fixtures/gen-fixtures.py "$demo/fx" >/dev/null
fx=$demo/fx/drops
# Run from the build tree, nothing installed: the rules are the source tree's.
cat > "$demo/ingestd.yaml" <<EOC
base_dir: $demo/var
paths:
  rules: $PWD/rules
settle_seconds: 1
workers: 2
mail:
  from: ingestd@demo.example
  to: [coordinator@demo.example]
EOC
"$B"/daemon/ingestd --config "$demo/ingestd.yaml" 2>"$demo/ingestd.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
while [ ! -d "$demo/var/inbox" ]; do sleep 0.1; done

# Stage outside the inbox, then move in with one rename (as a copy tool would).
mkdir -p "$demo/stage"
# 1. the lung case as a hospital disc image, without its molecular report
cp -r "$fx/CASE-DEMO-2" "$demo/stage/lung"
mv "$demo/stage/lung/molecular_report.pdf" "$demo/stage/"
xorriso -as mkisofs -quiet -R -J -V CASE_DEMO_2 -o "$demo/stage/CASE-DEMO-2.iso" "$demo/stage/lung" 2>/dev/null
mv "$demo/stage/CASE-DEMO-2.iso" "$demo/var/inbox/"
# 2. the breast case as a folder (its link file points nowhere in this demo: left out)
cp -r "$fx/CASE-DEMO-1" "$demo/stage/CASE-DEMO-1"
find "$demo/stage/CASE-DEMO-1" -name links.txt -delete
mv "$demo/stage/CASE-DEMO-1" "$demo/var/inbox/"

wait_drops() {
	n=0
	while :; do
		done_=$("$B"/tools/ingest status --config "$demo/ingestd.yaml" 2>/dev/null | grep -c ' archived' || true)
		[ "$done_" -ge "$1" ] && break
		n=$((n + 1))
		[ $n -lt 600 ] || { echo "demo: timed out; log:"; cat "$demo/ingestd.log"; exit 1; }
		sleep 0.2
	done
}
wait_drops 2
# 3. a second drop completing the lung case: the molecular report, marked READY
mkdir -p "$demo/stage/CASE-DEMO-2"
mv "$demo/stage/molecular_report.pdf" "$demo/stage/CASE-DEMO-2/"
touch "$demo/stage/CASE-DEMO-2/READY"
mv "$demo/stage/CASE-DEMO-2" "$demo/var/inbox/"
wait_drops 3
kill -TERM $pid
wait $pid || true
trap - EXIT

for pkg in "$demo"/var/outbox/*/*/; do
	echo "================================================================"
	echo "$pkg"gap-report.txt
	echo "================================================================"
	sed -n '1,40p' "$pkg/gap-report.txt"
	echo "  [...]"
	echo
done
echo "================================================================"
echo "ingest status"
echo "================================================================"
"$B"/tools/ingest status --config "$demo/ingestd.yaml"
echo
echo "Mail outbox (no SMTP configured in the demo): $(ls "$demo/var/mail/" | tr '\n' ' ')"
last=$(ls "$demo"/var/mail/*CASE-DEMO-2.eml | tail -1)
/usr/bin/python3 - "$last" <<'EOP'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("Subject:", m["Subject"])
text = m.get_body(("plain",)).get_content()
print(text[:text.find("\n\n", text.find("What changed"))])
EOP
echo
echo "Outbox:"
find "$demo/var/outbox" -mindepth 2 -maxdepth 2 -type d | sort
for pkg in "$demo"/var/outbox/*/*/; do
	"$B"/tools/ingest verify "$pkg" >/dev/null && echo "  verified: $pkg"
done
echo
echo "Demo tree: $demo (daemon log: $demo/ingestd.log, mail: $demo/var/mail/, archive: $demo/var/archive/)"

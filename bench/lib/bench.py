# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark driver behind bench/run.sh (see bench/README.md).

For each drop (dvd, small) and size it generates the drop (bench/lib/gen.py,
then an ISO with xorriso), then per place (tmpfs, disk) runs R rounds of every
tool, the tools' order rotated each round, each run into a fresh output
folder made before the clock starts. Outputs on tmpfs are removed after each
run (outside the clock); outputs on disk are kept until the place is done,
because ext4 without a journal does not reuse an inode freed in the last
minute (removing then writing would charge the next run ~1 ms a file), and
the next disk place waits until that minute is over.

Wall time is CLOCK_MONOTONIC around the run; peak RSS is GNU time's %M (the
largest single process of the run's tree: for a shell pipeline, the largest
of its commands; for ingest, ingest or any extractor it forked and reaped). Writers end with `sync -f OUT` inside the
clock (ingest fsyncs its bag anyway), so disk figures include writing back.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"

TOOLS = ["ingest", "ingest-base", "bsdtar", "bsdtar+sha256", "dcmdump", "cp-r"]
LABEL = {
    "ingest": "ingest package",
    "ingest-base": "ingest package (base)",
    "bsdtar": "bsdtar -xf",
    "bsdtar+sha256": "bsdtar -xf + sha256",
    "dcmdump": "dcmdump every file",
    "cp-r": "cp -r tree",
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_timed(argv, rss_file):
    """Run argv (stdout and stderr to /dev/null) under GNU time; return (seconds,
    peak RSS KiB, CPU seconds (user + system, the whole tree), exit status). GNU time, not our own wait4(): a child spawned
    from this Python process would carry Python's RSS into its ru_maxrss (exec
    records the old address space's high-water mark); GNU time's is ~1 MiB."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    full = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file, "--"] + argv
    t0 = time.monotonic()
    pid = os.posix_spawn(full[0], full, os.environ, file_actions=actions, setsid=True)
    try:
        _, status = os.waitpid(pid, 0)
    except KeyboardInterrupt:
        os.killpg(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        raise
    t1 = time.monotonic()
    with open(rss_file) as f:
        rss, user, sys_ = f.read().split()[-3:]
    return t1 - t0, int(rss), float(user) + float(sys_), os.waitstatus_to_exitcode(status)


def rm(path):
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


class Drop:
    def __init__(self, kind, scale, work_disk, work_shm):
        self.kind, self.scale = kind, scale
        self.name = "%s-%s" % (kind, ("%g" % scale).replace(".", "_"))
        self.disk_dir = os.path.join(work_disk, self.name)
        self.shm_dir = os.path.join(work_shm, self.name)

    def generate(self):
        t0 = time.monotonic()
        os.makedirs(self.disk_dir)
        os.makedirs(self.shm_dir)
        tree = os.path.join(self.shm_dir, "gen")
        gen_kind = "dvd" if self.kind == "zip" else self.kind
        out = subprocess.run([PY, os.path.join(HERE, "gen.py"), gen_kind, tree,
                              "--scale", repr(self.scale)],
                             check=True, capture_output=True, text=True).stdout.split()
        self.files, self.bytes = int(out[0]), int(out[1])
        # "zip": the DVD's tree as a deflated zip (bsdtar's default), the rest an ISO
        ext = "zip" if self.kind == "zip" else "iso"
        self.iso = {"disk": os.path.join(self.disk_dir, "%s.%s" % (self.kind, ext))}
        if self.kind == "zip":
            subprocess.run(["bsdtar", "-c", "--format", "zip", "-f", self.iso["disk"], "-C", tree, "."],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "BENCH",
                            "-o", self.iso["disk"], tree], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rm(tree)
        self.iso["tmpfs"] = os.path.join(self.shm_dir, "%s.%s" % (self.kind, ext))
        shutil.copyfile(self.iso["disk"], self.iso["tmpfs"])
        self.iso_bytes = os.path.getsize(self.iso["disk"])
        self.gen_seconds = time.monotonic() - t0

    def place_dir(self, place):
        return self.disk_dir if place == "disk" else self.shm_dir


def command(tool, drop, place, out, ref, args):
    iso = drop.iso[place]
    if tool in ("ingest", "ingest-base"):
        base = tool == "ingest-base"
        return [args.ingest_base if base else args.ingest, "package", iso, "--out", os.path.join(out, "outbox"),
                "--rules", args.rules_base if base else args.rules, "--no-fetch"]
    sh = {
        "bsdtar": 'bsdtar -xf "$1" -C "$2" && sync -f "$2"',
        "bsdtar+sha256": 'bsdtar -xf "$1" -C "$2" && find "$2" -type f -print0 | '
                         'xargs -0 -n 256 openssl dgst -sha256 >/dev/null && sync -f "$2"',
        # non-DICOM files (PDFs, the viewer) make dcmdump fail: that is fine
        "dcmdump": 'find "$3" -type f -print0 | xargs -0 -n 256 dcmdump -q >/dev/null 2>&1; exit 0',
        "cp-r": 'cp -r "$3" "$2/copy" && sync -f "$2"',
    }[tool]
    return ["sh", "-c", sh, "sh", iso, out, ref]


def check(tool, drop, out, status):
    if status != 0:
        raise SystemExit("%s failed (exit %d) on %s" % (tool, status, drop.name))
    if tool in ("ingest", "ingest-base"):
        pub = [os.path.join(out, "outbox", s, drop.kind) for s in ("pending", "ready")]
        if not any(os.path.isfile(os.path.join(p, "manifest-sha256.txt")) for p in pub):
            raise SystemExit("ingest published no package for %s" % drop.name)


def count_files(top):
    return sum(len(f) for _, _, f in os.walk(top))


def measure(drop, place, args, results, last_disk_rm):
    base = drop.place_dir(place)
    ref = os.path.join(base, "ref")
    if not os.path.isdir(ref):
        os.makedirs(ref)
        subprocess.run(["bsdtar", "-xf", drop.iso[place], "-C", ref], check=True)
        n = count_files(ref)
        if n != drop.files:
            raise SystemExit("%s: ISO holds %d files, expected %d" % (drop.name, n, drop.files))
    with open(drop.iso[place], "rb") as f:  # input in the page cache for everyone
        while f.read(1 << 24):
            pass
    if place == "disk" and last_disk_rm[0]:
        wait = 61 - (time.monotonic() - last_disk_rm[0])
        if wait > 0:
            log("  (waiting %.0f s: inodes freed on disk in the last minute are not reused)" % wait)
            time.sleep(wait)
    runs = os.path.join(base, "runs")
    os.makedirs(runs, exist_ok=True)
    tools = [t for t in TOOLS if t in args.tools]
    for r in range(args.rounds):
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        line = []
        for tool in order:
            out = tempfile.mkdtemp(prefix="%s-%d-" % (tool, r), dir=runs)
            secs, rss, cpu, status = run_timed(command(tool, drop, place, out, ref, args),
                                          os.path.join(runs, "rss"))
            check(tool, drop, out, status)
            results.setdefault((drop.kind, drop.scale, place, tool), []).append((r, secs, rss, cpu))
            line.append("%s %.2fs (cpu %.2fs, %.0f MiB)" % (tool, secs, cpu, rss / 1024))
            if place == "tmpfs":
                rm(out)
        log("  %s %-5s round %d: %s" % (drop.name, place, r + 1, ", ".join(line)))
    t = time.monotonic()
    rm(runs)
    if place == "disk":
        last_disk_rm[0] = t


def summarize(results, drops, args):
    rows = []
    for d in drops:
        for place in args.places:
            base = {r: s for r, s, _, _ in results.get((d.kind, d.scale, place, "bsdtar"), [])}
            for tool in TOOLS:
                runs = results.get((d.kind, d.scale, place, tool))
                if not runs:
                    continue
                med = statistics.median(s for _, s, _, _ in runs)
                cpu = statistics.median(c for _, _, _, c in runs)
                ratios = [s / base[r] for r, s, _, _ in runs if r in base and base[r] > 0]
                rows.append(dict(kind=d.kind, scale=d.scale, place=place, tool=tool,
                                 files=d.files, mb=d.bytes / 1e6, iso_mb=d.iso_bytes / 1e6,
                                 med=med, cpu=cpu, mbs=d.bytes / 1e6 / med, fps=d.files / med,
                                 rss=max(x for _, _, x, _ in runs) / 1024,
                                 ratio=statistics.median(ratios) if ratios else None,
                                 n=len(runs)))
    return rows


def print_table(rows, drops, args):
    print()
    print("Drops (payload = sum of file sizes; MB = 10^6 bytes):")
    for d in drops:
        print("  %-10s %6d files, payload %7.0f MB, ISO %7.0f MB (generated in %.0f s)"
              % (d.name, d.files, d.bytes / 1e6, d.iso_bytes / 1e6, d.gen_seconds))
    print()
    print("Medians of %d rounds; ratio = median over rounds of (tool / bsdtar -xf in the same round);"
          % args.rounds)
    print("cpu s = user + system seconds of the run's processes (median); peak RSS = largest")
    print("single process of the run, max over rounds.")
    hdr = "%-6s %5s %-5s %-20s %9s %8s %8s %9s %9s %8s" % (
        "drop", "size", "place", "tool", "wall s", "cpu s", "MB/s", "files/s", "RSS MiB", "ratio")
    print(hdr)
    print("-" * len(hdr))
    prev = None
    for r in rows:
        key = (r["kind"], r["scale"], r["place"])
        if prev and key != prev:
            print()
        prev = key
        print("%-6s %5g %-5s %-20s %9.3f %8.3f %8.0f %9.0f %9.1f %8s" % (
            r["kind"], r["scale"], r["place"], LABEL[r["tool"]], r["med"], r["cpu"], r["mbs"], r["fps"],
            r["rss"], "%.2fx" % r["ratio"] if r["ratio"] is not None else "-"))
    scales = sorted({d.scale for d in drops})
    if len(scales) < 2:
        return
    ref_scale = 1.0 if 1.0 in scales else scales[-1]
    print()
    print("Growth: (wall at size s / wall at size %g) / (payload at s / payload at %g);"
          % (ref_scale, ref_scale))
    print("1.00 = exactly linear; within 0.85..1.15 = linear within 15%. Then ingest's peak RSS per size.")
    by = {(r["kind"], r["scale"], r["place"], r["tool"]): r for r in rows}
    hdr = "%-6s %-5s %-20s " % ("drop", "place", "tool") + "".join("%9s" % ("x%g" % s) for s in scales)
    print(hdr)
    for kind in sorted({d.kind for d in drops}):
        for place in args.places:
            for tool in TOOLS:
                ref = by.get((kind, ref_scale, place, tool))
                if not ref:
                    continue
                cells = []
                for s in scales:
                    r = by.get((kind, s, place, tool))
                    cells.append("%9.2f" % ((r["med"] / ref["med"]) / (r["mb"] / ref["mb"])) if r else "%9s" % "-")
                print("%-6s %-5s %-20s " % (kind, place, LABEL[tool]) + "".join(cells))
            r_cells = []
            for s in scales:
                r = by.get((kind, s, place, "ingest"))
                r_cells.append("%9.1f" % r["rss"] if r else "%9s" % "-")
            print("%-6s %-5s %-20s " % (kind, place, "ingest RSS MiB") + "".join(r_cells))


def main():
    ap = argparse.ArgumentParser(prog="bench/run.sh")
    ap.add_argument("--ingest", required=True)
    ap.add_argument("--rules", default=os.path.join(SRC, "rules"))
    ap.add_argument("--ingest-base", help="a second ingest binary (the A/B baseline), timed as tool ingest-base")
    ap.add_argument("--rules-base", help="the baseline's rules folder (default: --rules)")
    ap.add_argument("--sizes", default="0.25,0.5,1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", choices=["tmpfs", "disk", "both"], default="both")
    ap.add_argument("--drops", default="dvd,small")
    ap.add_argument("--tools", default=",".join(t for t in TOOLS if t != "ingest-base"))
    ap.add_argument("--disk-dir", default=os.environ.get("BENCH_DISK_DIR", "/var/tmp"))
    ap.add_argument("--shm-dir", default=os.environ.get("BENCH_SHM_DIR", "/dev/shm"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.rounds = "0.25", 1
    scales = [float(s) for s in args.sizes.split(",")]
    args.places = ["tmpfs", "disk"] if args.out == "both" else [args.out]
    kinds = args.drops.split(",")
    args.tools = args.tools.split(",")
    for k in kinds:
        if k not in ("dvd", "small", "zip"):
            ap.error("unknown drop %r" % k)
    if args.ingest_base:
        if "ingest-base" not in args.tools:
            args.tools.append("ingest-base")
        args.rules_base = args.rules_base or args.rules
    elif "ingest-base" in args.tools:
        ap.error("tool ingest-base needs --ingest-base PATH")
    for t in args.tools:
        if t not in TOOLS:
            ap.error("unknown tool %r" % t)
    if "bsdtar" not in args.tools:
        args.tools.append("bsdtar")  # the ratio's reference
    if args.rounds < 1 or not scales or min(scales) <= 0:
        ap.error("bad --rounds or --sizes")
    for t in ("bsdtar", "openssl", "xorriso", "dcmdump", "dump2dcm", "sync", "cp"):
        if not shutil.which(t):
            raise SystemExit("missing tool: %s" % t)
    if not os.access(args.ingest, os.X_OK):
        raise SystemExit("no ingest binary at %s" % args.ingest)

    # Rough space needs at the largest size (dvd ~1.4 GB payload at x1).
    big = max(scales) * 1.45e9 if ("dvd" in kinds or "zip" in kinds) else max(scales) * 0.25e9
    need_shm = big * 4          # ISO, reference tree, one output (+ slack)
    need_disk = big * (2 + 4 * args.rounds if "disk" in args.places else 1) * 1.1
    free_shm = shutil.disk_usage(args.shm_dir).free
    free_disk = shutil.disk_usage(args.disk_dir).free
    log("plan: drops %s, sizes %s, %d round(s), places %s; ingest %s"
        % (",".join(kinds), ",".join("%g" % s for s in scales), args.rounds,
           ",".join(args.places), args.ingest))
    log("space: need ~%.1f GB on %s (free %.1f), ~%.1f GB on %s (free %.1f)"
        % (need_shm / 1e9, args.shm_dir, free_shm / 1e9, need_disk / 1e9, args.disk_dir, free_disk / 1e9))
    if need_shm > free_shm or need_disk > free_disk:
        raise SystemExit("not enough space: lower --sizes or --rounds, or set BENCH_DISK_DIR")
    if args.dry_run:
        return

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    work_disk = tempfile.mkdtemp(prefix="ingest-bench.", dir=args.disk_dir)
    work_shm = tempfile.mkdtemp(prefix="ingest-bench.", dir=args.shm_dir)
    results, drops, last_disk_rm = {}, [], [0.0]
    try:
        for kind in kinds:
            for s in scales:
                d = Drop(kind, s, work_disk, work_shm)
                log("generating %s ..." % d.name)
                d.generate()
                log("  %d files, %.0f MB payload, ISO %.0f MB, %.0f s"
                    % (d.files, d.bytes / 1e6, d.iso_bytes / 1e6, d.gen_seconds))
                drops.append(d)
                for place in args.places:
                    measure(d, place, args, results, last_disk_rm)
                if not args.keep:
                    t = time.monotonic()
                    rm(d.disk_dir)
                    rm(d.shm_dir)
                    last_disk_rm[0] = t
    except KeyboardInterrupt:
        log("interrupted: the table below has what was measured so far")
    finally:
        if drops:
            print_table(summarize(results, drops, args), drops, args)
        if args.keep:
            log("kept: %s %s" % (work_disk, work_shm))
        else:
            rm(work_disk)
            rm(work_shm)


if __name__ == "__main__":
    main()

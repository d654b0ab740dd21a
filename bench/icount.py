#!/usr/bin/python3
"""icount.py: instructions an article of honyakud and of its workers in
perf.py's first run at 0 ms, counted by valgrind's callgrind. Unlike CPU
time, the count does not move with the machine's load (two runs of the
same build agree within about 1 %), so two builds compare in one run each.

usage: icount.py --bin BUILD/bin [--bin OTHER/bin ...] [--articles N] [--tm]
                  [--keep DIR]

For each build, perf.py's measurement 1 (0 ms latency, no sweep) runs
twice, at N and at 2N articles, with honyakud and its workers started
under callgrind (perf.py runs them through wrapper scripts); the count an
article is the difference over N, so that start-up (ICU's data, SQLite's
schema, the TM's index) is left out. Everything runs in a temporary
directory that is removed at the end (--keep DIR keeps callgrind's files
there, to read with callgrind_annotate); perf.py stops every process it
started. Exits 1 when a run fails or valgrind is missing.

--tm counts measurement 2 instead: perf.py runs measurements 1 and 2, and
the processes of the second honyakud (the TM path, then the no-op re-run
and the WAITs, on the first run's state) are told from the first's by
their process ids (the second honyakud starts after the first stopped;
its workers after it)."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WRAPPER = """#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=%s/cg.%s.%%p -q %s "$@"
"""


def total(path):
    """The event total of one callgrind output file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise SystemExit("icount.py: no total in %s" % path)


def pid_of(path):
    return int(path.rsplit(".", 1)[1])


def run(bindir, articles, work, tm=False):
    """Instructions of honyakud and of all workers for one perf.py run (with
    tm, of the second honyakud's processes only)."""
    out = tempfile.mkdtemp(dir=work)
    wrap = {}
    for name, role in (("honyakud", "honyakud"), ("honyaku-worker", "worker")):
        path = os.path.join(out, name)
        with open(path, "w") as f:
            f.write(WRAPPER % (out, role, os.path.join(bindir, name)))
        os.chmod(path, 0o755)
        wrap[name] = path
    cmd = ["/usr/bin/python3", os.path.join(HERE, "perf.py"), "--honyakud", wrap["honyakud"],
           "--worker", wrap["honyaku-worker"], "--testserver", os.path.join(bindir, "hny-testserver"),
           "--bench-load", os.path.join(bindir, "bench_load"),
           "--bench-segment", os.path.join(bindir, "bench_segment"),
           "--out", os.path.join(out, "perf"), "--only", "1,2" if tm else "1", "--latencies", "0", "--sweep", "",
           "--articles", str(articles)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:])
        raise SystemExit("icount.py: perf.py failed (%d) for %s" % (done.returncode, bindir))
    daemons = sorted(glob.glob(os.path.join(out, "cg.honyakud.*")), key=pid_of)
    workers = glob.glob(os.path.join(out, "cg.worker.*"))
    if tm:
        if len(daemons) != 2:
            raise SystemExit("icount.py: %d honyakud processes, not 2, for %s" % (len(daemons), bindir))
        workers = [p for p in workers if pid_of(p) > pid_of(daemons[1])]
        daemons = daemons[1:]
    daemon = sum(total(p) for p in daemons)
    workers = sum(total(p) for p in workers)
    if not daemon or not workers:
        raise SystemExit("icount.py: callgrind wrote nothing for %s" % bindir)
    return daemon, workers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", action="append", required=True, help="a build's bin directory")
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--tm", action="store_true", help="count measurement 2 (the TM path)")
    ap.add_argument("--keep", help="keep callgrind's files in this directory")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("icount.py: valgrind is not installed (apt-get install valgrind)")
    n = args.articles
    print("| build | honyakud, instructions an article | workers (both), instructions an article |")
    print("| --- | --- | --- |")
    work = args.keep or tempfile.mkdtemp(prefix="hnyicount.")
    os.makedirs(work, exist_ok=True)
    try:
        for bindir in args.bin:
            d1, w1 = run(bindir, n, work, args.tm)
            d2, w2 = run(bindir, 2 * n, work, args.tm)
            print("| %s | %.2f M | %.2f M |" % (bindir, (d2 - d1) / n / 1e6, (w2 - w1) / n / 1e6))
            sys.stdout.flush()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

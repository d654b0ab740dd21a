#!/usr/bin/python3
"""scale_batches.py: how honyakud's cost per article moves as its store
grows (issue 11, measurement 6), cheaper than perf.py's 100,000 articles.

    scale_batches.py --honyakud P --worker P --testserver P --bench-load P
                     --bench-segment P [--batches 8] [--batch 5000]
                     [--window 1000] [--record 1,8] [--out DIR]

One honyakud (2 workers, DeepL test server at 0 ms, perf.py's deepl
profile) is fed --batches batches of --batch new articles each, at most
--window jobs out at once. Per batch it prints honyakud's CPU per article
(/proc), wall time per article, honyakud's pread64 / pwrite64 / fdatasync
calls per article (`perf stat` on the syscall tracepoints: SQLite reads a
page it does not hold in its cache with one pread, and writes each WAL
frame with one pwrite), the store's files (db, WAL) and honyakud's VmRSS
at the end of the batch. --record N,M: `perf record -g` on honyakud during
those batches (OUT/batchN.perf.data and a report by symbol beside it; the
CPU figures of those batches are then not comparable)."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import perf  # noqa: E402

EVENTS = ["syscalls:sys_enter_pread64", "syscalls:sys_enter_pwrite64", "syscalls:sys_enter_fdatasync",
          "syscalls:sys_enter_fsync"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("honyakud", "worker", "testserver", "bench-load", "bench-segment"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--record", default="", help="batches (1-based) to profile with perf record")
    ap.add_argument("--out", default="scale-out")
    a = ap.parse_args()
    a.record = {int(x) for x in a.record.split(",") if x}
    a.out = os.path.abspath(a.out)
    return a


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    # perf.py's own options, at full sizes, for its Bench and Daemon
    sys.argv = ["perf.py", "--honyakud", a.honyakud, "--worker", a.worker, "--testserver", a.testserver,
                "--bench-load", a.bench_load, "--bench-segment", a.bench_segment, "--out", a.out]
    bench = perf.Bench(perf.parse_args())
    rows = []
    try:
        bench.start_testserver()
        bench.ts_reset(0)
        args = bench.args
        daemon = perf.Daemon(bench, "batches",
                             bench.conf_deepl(args.connections, args.texts_per_request, max(8, args.connections)),
                             args.workers)
        pid = daemon.proc.pid
        print("batch  articles  hd_cpu_ms/art  wall_ms/art  pread/art  pwrite/art  sync/art  "
              "db_MiB  wal_MiB  rss_MiB  load", flush=True)
        try:
            for b in range(1, a.batches + 1):
                run = bench.next_run()
                arts = perf.articles(run, a.batch, args.sentences)
                keys = ["batch-%d-%d" % (run, i) for i in range(a.batch)]
                items = [(k, art.body()) for k, art in zip(keys, arts)]
                stat_out = os.path.join(a.out, "batch%d.stat" % b)
                tools = [subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(EVENTS), "-p", str(pid),
                                           "-o", stat_out], stderr=subprocess.DEVNULL)]
                if b in a.record:
                    tools.append(subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(pid),
                                                   "-o", os.path.join(a.out, "batch%d.perf.data" % b)],
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                time.sleep(0.5)     # perf attaches; a few idle passes are all it can miss
                h = bench.honyaku(daemon, items, "batch %d" % b, window=min(a.batch, a.window))
                for t in tools:
                    t.send_signal(signal.SIGINT)
                for t in tools:
                    t.wait(120)
                counts = {}
                with open(stat_out) as f:
                    for line in f:
                        parts = line.strip().split(",")
                        if len(parts) > 2 and parts[2] in EVENTS:
                            counts[parts[2].split("sys_enter_")[1]] = int(parts[0]) if parts[0].isdigit() else 0
                bench.verify(daemon, h, arts, keys, tm=False, sample=10)
                files = daemon.store_files()
                row = {"batch": b, "articles": b * a.batch,
                       "cpu_ms": h["cpu_s"]["honyakud"] * 1e3 / a.batch,
                       "wall_ms": h["wall_s"] * 1e3 / a.batch,
                       "pread": counts.get("pread64", 0) / a.batch,
                       "pwrite": counts.get("pwrite64", 0) / a.batch,
                       "sync": (counts.get("fdatasync", 0) + counts.get("fsync", 0)) / a.batch,
                       "db_mib": files["db"] / 2**20, "wal_mib": files["db-wal"] / 2**20,
                       "rss_mib": perf.proc_status(pid, "VmRSS"), "load": os.getloadavg()[0],
                       "loop": h.get("loop")}
                rows.append(row)
                print("%5d  %8d  %13.3f  %11.3f  %9.1f  %10.1f  %8.2f  %6.1f  %7.1f  %7.1f  %4.1f" % (
                    b, row["articles"], row["cpu_ms"], row["wall_ms"], row["pread"], row["pwrite"], row["sync"],
                    row["db_mib"], row["wal_mib"], row["rss_mib"], row["load"]), flush=True)
                if b in a.record:
                    data = os.path.join(a.out, "batch%d.perf.data" % b)
                    with open(data + ".txt", "w") as f:
                        subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                                        "--sort", "dso,symbol", "--percent-limit", "0.5"],
                                       stdout=f, stderr=subprocess.DEVNULL, timeout=900)
        finally:
            daemon.stop()
    except (perf.PerfError, TimeoutError) as e:
        print("scale_batches.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        bench.close()
    with open(os.path.join(a.out, "batches.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

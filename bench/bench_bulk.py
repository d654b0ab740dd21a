#!/usr/bin/python3
"""bench_bulk.py: how honyaku behaves on a whole archive (tens of thousands
of pages) with `honyaku batch DIR --out OUT`.

    bench_bulk.py --honyakud PATH --worker PATH --client PATH
                  [--sizes 1000,5000,10000] [--workers 2] [--seed 1]
                  [--budget-s 180]

For each N in --sizes: generate N synthetic Japan Press Weekly pages in the
module-era text layout (../shared/data/samples/LAYOUTS.md) under
YEAR/ISSUE/ folders of a fresh temporary directory, deterministically from
--seed (titles, dates, sections and sentences vary; about one sentence in
six comes from a shared pool of stock sentences, as real news repeats
itself, so the translation memory has hits). Then start a fresh
`honyakud --workers 2` with no config (the built-in "pseudo" profile: no
network, so the figures are the pipeline's own) and a fresh state
directory, and measure:

  * `honyaku batch DIR --from en --to ja --out OUT`: wall time,
    articles/s and segments/s, and the rate in the first and the last
    quarter of the run (from the CLI's progress lines);
  * peak RSS (VmHWM) of honyakud and of each worker after the batch and
    again at the end, plus the client's max RSS (/usr/bin/time -v);
  * the SQLite store (every file of the state directory) per article;
  * a second `batch` over the same folder: must report "0 new jobs";
  * `honyaku export --format tmx` of everything: time, output size and
    the client's max RSS (it streams, so it should not grow with N).

Correctness, cheaply: records.jsonl has N lines, every record has segments
and no errors, and the TMX has one <tu> per segment pair and per title pair.

The largest sizes are skipped when the time spent so far says they would
not end within --budget-s. This is a benchmark, not a test: it prints the
figures and a Markdown table, and exits 1 only when a check fails. Every
process is stopped and the temporary directory removed at the end, also on
error. Run it with `cmake --build BUILD --target bench_bulk`.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import zmq

SIGNATURE = b"HNY/1"
START_TIMEOUT_S = 30.0
BATCH_TIMEOUT_S = 900.0

SECTIONS = ["POLITICS", "JCP", "LABOR", "SOCIETY", "ECONOMY", "OKINAWA", "PEACE",
            "ENVIRONMENT", "EDUCATION", "WELFARE"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
SUBJECTS = ["The Japanese Communist Party", "The Abe government", "The ruling coalition",
            "Akahata", "The labor ministry", "A local assembly", "Residents of Nago City",
            "The Okinawa governor", "A citizens' group", "The National Confederation of Trade Unions",
            "The Defense Ministry", "JCP Chair Shii Kazuo", "The Supreme Court",
            "A group of lawyers", "Opposition parties", "The Tokyo District Court",
            "The Finance Ministry", "Hibakusha organizations", "Young workers",
            "The Japan Business Federation"]
VERBS = ["criticized", "called for a review of", "demanded the withdrawal of",
         "expressed concern about", "welcomed", "submitted a bill against",
         "held a rally against", "filed a lawsuit over", "announced a survey on",
         "questioned the legality of", "protested against", "reported on"]
OBJECTS = ["the consumption tax increase", "the new US base construction",
           "the revision of the labor law", "the war legislation", "nuclear power plant restarts",
           "cuts in pension benefits", "the casino bill", "the TPP agreement",
           "unpaid overtime", "the military budget", "the relocation of Futenma base",
           "the Constitution's Article 9", "the conspiracy bill", "nursing care fees",
           "tuition fees", "the minimum wage", "the secrecy law", "non-regular employment"]
PLACES = ["in Tokyo", "in Osaka", "in Naha", "in Sapporo", "in Fukuoka", "in Hiroshima",
          "in Nagasaki", "in the Diet", "in Fukushima Prefecture", "in Kyoto",
          "at a press conference", "in a House of Councilors session"]
TAILS = ["on %(day)s", "with %(n)d participants", "for the %(ord)s time this year",
         "after %(n)d days of debate", "citing a %(pct)d percent rise",
         "in a statement issued on %(day)s", "at a meeting attended by %(n)d people"]
TITLE_HEADS = ["JCP", "Akahata", "Workers", "Okinawans", "Opposition", "Citizens", "Lawyers",
               "Students", "Farmers", "Hibakusha", "Doctors", "Teachers"]
TITLE_VERBS = ["oppose", "demand end to", "rally against", "call for review of",
               "criticize", "protest", "question", "sue over"]
STOCK_N = 300                   # shared stock sentences (translation-memory hits)
STOCK_SHARE = 6                 # about one sentence in this many is a stock one


def stock_sentences(seed):
    r = random.Random(seed * 7919 + 1)
    out = []
    for i in range(STOCK_N):
        out.append("%s %s %s %s, saying that the public should be given a full explanation (%d)."
                   % (r.choice(SUBJECTS), r.choice(VERBS), r.choice(OBJECTS), r.choice(PLACES), i))
    return out


def sentence(r, day):
    s = "%s %s %s %s %s." % (r.choice(SUBJECTS), r.choice(VERBS), r.choice(OBJECTS),
                              r.choice(PLACES), r.choice(TAILS) % {
                                  "day": day, "n": r.randint(2, 9000), "pct": r.randint(1, 40),
                                  "ord": ["second", "third", "fourth", "fifth"][r.randint(0, 3)]})
    if r.random() < 0.3:
        s += " The %s said it would continue the campaign until %s %d." % (
            r.choice(["union", "party", "group", "association", "committee"]),
            r.choice(MONTHS), r.randint(1, 28))
    return s


def article(seed, i, stock):
    """The path (YEAR/ISSUE/NAME.txt), the page text and the title of article i."""
    r = random.Random(seed * 1000003 + i)
    week = i // 12                              # about 12 articles an issue
    start = datetime.date(2010, 1, 6) + datetime.timedelta(days=7 * week)
    end = start + datetime.timedelta(days=6)
    if start.month == end.month:
        issue = "%d %s %d - %d" % (start.year, MONTHS[start.month - 1], start.day, end.day)
    else:
        issue = "%d %s %d - %s %d" % (start.year, MONTHS[start.month - 1], start.day,
                                       MONTHS[end.month - 1], end.day)
    date = start + datetime.timedelta(days=r.randint(0, 6))
    date_s = "%s %d, %d" % (MONTHS[date.month - 1], date.day, date.year)
    day = date.strftime("%A")
    title = "%s %s %s (%d)" % (r.choice(TITLE_HEADS), r.choice(TITLE_VERBS),
                               r.choice(OBJECTS), i + 1)
    section = r.choice(SECTIONS)
    top3 = " TOP3" if r.random() < 0.05 else ""
    lines = ["Japan Press Weekly", "[Advanced search]", "HOME", "Past issues", "Special issues",
             "Fact Box", "Feature Articles", "Mail to editor", "Mail magazine",
             "HOME  > Past issues  > %s  > %s" % (issue, title), "> List of Past issues",
             "Bookmark and Share", "%s%s [%s]" % (issue, top3, section), "", title, "", date_s, ""]
    for _ in range(r.randint(4, 8)):
        para = []
        for _ in range(r.randint(2, 4)):
            if r.randint(1, STOCK_SHARE) == 1:
                para.append(stock[r.randrange(len(stock))])
            else:
                para.append(sentence(r, day))
        lines += [" ".join(para), ""]
    if i > 3 and r.random() < 0.4:
        lines.append("Past related articles:")
        for k in range(r.randint(1, 3)):
            lines.append("> Earlier report on %s (%d) [%s %d, %d]"
                         % (r.choice(OBJECTS), i - k, MONTHS[r.randint(0, 11)], r.randint(1, 28),
                            date.year - 1))
    lines += ["> List of Past issues",
              "  Copyright (c) Japan Press Service Co., Ltd. All right reserved"]
    path = os.path.join(str(start.year), start.strftime("%Y-%m-%d"), "news-%06d.txt" % (i + 1))
    return path, "\n".join(lines) + "\n", title


def generate(root, n, seed):
    stock = stock_sentences(seed)
    total = 0
    for i in range(n):
        path, text, _ = article(seed, i, stock)
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
        total += len(text.encode("utf-8"))
    return total


class BenchError(Exception):
    pass


class Procs:
    """The temporary directory and the processes started in it; close()
    stops them (SIGTERM, then SIGKILL after a deadline) and removes it."""

    def __init__(self, keep=None):
        self.dir = tempfile.mkdtemp(prefix="hnybulk.", dir="/tmp")
        self.keep = keep
        self.procs = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, log_name, env=None):
        log = open(self.path(log_name), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=20.0):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def log_tail(self, name, lines=20):
        try:
            with open(self.path(name), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self):
        for p in list(self.procs):
            self.stop(p)
        shutil.rmtree(self.dir, ignore_errors=True)


def status_kb(pid, field):
    """VmHWM / VmRSS of a process in kB, or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return sorted(set(out))


def dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def wait_ready(ctx, daemon, endpoint, workers, procs, log_name):
    """Handshake: the broker answers STATUS and every worker registered."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    deadline = time.monotonic() + START_TIMEOUT_S
    req = 0
    try:
        while True:
            if daemon.poll() is not None:
                raise BenchError("honyakud exited %d:\n%s" % (daemon.returncode, procs.log_tail(log_name)))
            req += 1
            sock.send_multipart([SIGNATURE, b"STATUS", json.dumps({"req": req}).encode()])
            if sock.poll(1000):
                frames = sock.recv_multipart()
                hdr = json.loads(frames[2])
                if frames[1] == b"STATUS" and hdr.get("workers", 0) >= workers:
                    return
            if time.monotonic() > deadline:
                raise BenchError("honyakud not ready with %d workers:\n%s"
                                 % (workers, procs.log_tail(log_name)))
            time.sleep(0.05)
    finally:
        sock.close(0)


def timed(argv, env, log_path, on_line=None, timeout=BATCH_TIMEOUT_S):
    """Run argv under /usr/bin/time -v; returns (rc, wall s, max RSS kB,
    stderr lines). on_line(t, line) sees each stderr line as it comes."""
    tv = log_path + ".time"
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-v", "-o", tv] + argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    lines = []
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    try:
        with open(log_path, "wb") as log:
            for raw in p.stderr:
                log.write(raw)
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if on_line:
                    on_line(time.monotonic() - t0, line)
                if not line.startswith("["):
                    lines.append(line)
        rc = p.wait()
    finally:
        timer.cancel()
    wall = time.monotonic() - t0
    rss = None
    with open(tv) as f:
        for line in f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
            if m:
                rss = int(m.group(1))
    return rc, wall, rss, lines


SUMMARY = re.compile(r"batch: (\d+) files: (\d+) done, (\d+) failed, (\d+) new jobs")


def summary(lines):
    for line in lines:
        m = SUMMARY.search(line)
        if m:
            return [int(x) for x in m.groups()]
    raise BenchError("no summary line from batch:\n%s" % "\n".join(lines[-10:]))


def check_records(path, n):
    """Count records, segments, TM hits and translated titles; every record
    has segments, all translated, and no errors."""
    records = segments = tm = titles = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            records += 1
            segs = [s for p in rec.get("paragraphs", []) for s in p.get("segments", [])]
            if not segs:
                raise BenchError("record %s has no segments" % rec.get("key"))
            if rec.get("errors"):
                raise BenchError("record %s has errors: %s" % (rec.get("key"), rec["errors"][:3]))
            if any(not s.get("tgt") for s in segs):
                raise BenchError("record %s has an untranslated segment" % rec.get("key"))
            segments += len(segs)
            titles += 1 if (rec.get("title") or {}).get("tgt") else 0
            tm += sum(1 for s in segs if s.get("tm"))
    if records != n:
        raise BenchError("records.jsonl has %d lines, expected %d" % (records, n))
    return segments, tm, titles


def run_size(args, procs, ctx, n):
    row = {"n": n}
    base = procs.path("n%d" % n)
    archive, out, state = (os.path.join(base, x) for x in ("archive", "out", "state"))
    os.makedirs(archive)
    t0 = time.monotonic()
    row["archive_bytes"] = generate(archive, n, args.seed)
    row["gen_s"] = time.monotonic() - t0

    env = dict(os.environ)
    env["HONYAKU_WORKER"] = args.worker
    env.pop("HONYAKU_ENDPOINT", None)
    log_name = "honyakud-%d.log" % n
    daemon = procs.spawn([args.honyakud, "--state", state, "--workers", str(args.workers),
                          "--log-level", "warn"], log_name, env=env)
    endpoint = "ipc://" + os.path.join(state, "front")
    try:
        wait_ready(ctx, daemon, endpoint, args.workers, procs, log_name)
        workers = children(daemon.pid)
        if len(workers) < args.workers:
            raise BenchError("honyakud has %d children, expected %d" % (len(workers), args.workers))
        # Sample VmRSS while the batch runs, to see where memory grows.
        rss_max = {}
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                for pid in [daemon.pid] + workers:
                    v = status_kb(pid, "VmRSS")
                    if v is not None and v > rss_max.get(pid, 0):
                        rss_max[pid] = v
                stop.wait(0.25)
        th = threading.Thread(target=sampler, daemon=True)
        th.start()

        progress = []                           # (t, k) for each finished file
        def on_line(t, line):
            m = re.match(r"\[(\d+)/\d+\]", line)
            if m:
                progress.append((t, int(m.group(1))))
        cli = [args.client, "--endpoint", endpoint, "--timeout", "30000"]
        rc, wall, crss, lines = timed(cli + ["batch", archive, "--from", "en", "--to", "ja",
                                             "--out", out], env, procs.path("batch1-%d.log" % n),
                                      on_line)
        stop.set()
        th.join()
        files, done, failed, fresh = summary(lines)
        if rc != 0 or done != n or failed or fresh != n:
            raise BenchError("batch N=%d: exit %d, %d files, %d done, %d failed, %d new jobs\n%s"
                             % (n, rc, files, done, failed, fresh, "\n".join(lines[-5:])))
        row["wall_s"], row["batch_rss_kb"] = wall, crss
        row["segments"], row["tm_hits"], row["titles"] = check_records(os.path.join(out, "records.jsonl"), n)
        # Rate of the first and the last quarter of the files finished.
        q = max(1, n // 4)
        if len(progress) >= n:
            t_q1 = progress[q - 1][0]
            t_q3, t_end = progress[n - q - 1][0], progress[n - 1][0]
            row["rate_first_q"] = q / t_q1 if t_q1 > 0 else 0.0
            row["rate_last_q"] = q / (t_end - t_q3) if t_end > t_q3 else 0.0
            row["fetch_s"] = wall - t_end       # writing records.jsonl after the last DONE
        row["records_bytes"] = os.path.getsize(os.path.join(out, "records.jsonl"))
        row["hwm_after_batch"] = {pid: status_kb(pid, "VmHWM") for pid in [daemon.pid] + workers}
        row["rss_sampled"] = dict(rss_max)
        row["store_bytes"] = dir_bytes(state)

        # Second run over the same folder: no new job.
        rc, wall2, crss2, lines = timed(cli + ["batch", archive, "--from", "en", "--to", "ja",
                                               "--out", out + "2"], env,
                                        procs.path("batch2-%d.log" % n))
        files, done, failed, fresh = summary(lines)
        if rc != 0 or done != n or fresh != 0:
            raise BenchError("re-run N=%d: exit %d, %d done, %d failed, %d new jobs (expected 0)"
                             % (n, rc, done, failed, fresh))
        check_records(os.path.join(out + "2", "records.jsonl"), n)
        row["rerun_s"], row["rerun_rss_kb"], row["rerun_fresh"] = wall2, crss2, fresh

        # TMX of everything.
        tmx = os.path.join(base, "all.tmx")
        rc, wall3, crss3, lines = timed(cli + ["export", "--format", "tmx", "--out", tmx], env,
                                        procs.path("export-%d.log" % n))
        if rc != 0:
            raise BenchError("export N=%d: exit %d\n%s" % (n, rc, "\n".join(lines[-5:])))
        with open(tmx, "rb") as f:
            tus = f.read().count(b"<tu ")
        if tus != row["segments"] + row["titles"]:
            raise BenchError("export N=%d: %d <tu> for %d segments and %d titles"
                             % (n, tus, row["segments"], row["titles"]))
        row["export_s"], row["export_rss_kb"], row["tmx_bytes"] = wall3, crss3, os.path.getsize(tmx)
        row["hwm_end"] = {pid: status_kb(pid, "VmHWM") for pid in [daemon.pid] + workers}
        row["daemon_pid"], row["worker_pids"] = daemon.pid, workers
        row["store_bytes_end"] = dir_bytes(state)
        row["store_files"] = {name: os.path.getsize(os.path.join(state, name))
                              for name in sorted(os.listdir(state))
                              if os.path.isfile(os.path.join(state, name))}
    finally:
        procs.stop(daemon)
    row["store_tables"] = table_bytes(state)
    shutil.rmtree(base, ignore_errors=True)
    return row


def table_bytes(state):
    """Bytes per table (indexes included) of the stopped daemon's store, from
    SQLite's dbstat; {} when the store or dbstat is not there."""
    dbs = [n for n in os.listdir(state) if n.endswith(".db")]
    if not dbs:
        return {}
    out = {}
    try:
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, dbs[0]), uri=True)
        try:
            owner = dict(con.execute("SELECT name, tbl_name FROM sqlite_master"))
            for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                t = owner.get(name, name)
                out[t] = out.get(t, 0) + size
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return out


def mb(kb):
    return "%.1f" % (kb / 1024.0) if kb else "?"


def report(rows, args):
    print()
    print("| N | batch s | articles/s | segments/s | first / last quarter art/s | ms per article "
          "| TM hits | store KiB/article | honyakud peak MiB | worker peak MiB | batch CLI MiB "
          "| re-run s (ms/article) | export s | TMX MiB | export CLI MiB |")
    print("| " + " | ".join(["---"] * 15) + " |")
    for r in rows:
        d = r["daemon_pid"]
        whwm = [r["hwm_end"][p] or 0 for p in r["worker_pids"]]
        print("| %d | %.1f | %.0f | %.0f | %s / %s | %.2f | %.1f %% | %.1f | %s | %s | %s | %.2f (%.3f) "
              "| %.2f | %.1f | %s |"
              % (r["n"], r["wall_s"], r["n"] / r["wall_s"], r["segments"] / r["wall_s"],
                 "%.0f" % r.get("rate_first_q", 0), "%.0f" % r.get("rate_last_q", 0),
                 1000.0 * r["wall_s"] / r["n"], 100.0 * r["tm_hits"] / r["segments"],
                 r["store_bytes_end"] / 1024.0 / r["n"], mb(r["hwm_end"][d]),
                 " / ".join(mb(x) for x in whwm), mb(r["batch_rss_kb"]),
                 r["rerun_s"], 1000.0 * r["rerun_s"] / r["n"], r["export_s"],
                 r["tmx_bytes"] / 1048576.0, mb(r["export_rss_kb"])))
    print()
    for r in rows:
        d = r["daemon_pid"]
        print("N=%d: %d segments (%.1f per article), archive %.1f MiB; honyakud VmHWM %s MiB after "
              "batch, %s MiB at the end; store %.1f MiB after batch, %.1f MiB at the end; "
              "records.jsonl %.1f KiB per article, written %.2f s after the last DONE; "
              "re-run batch CLI %s MiB"
              % (r["n"], r["segments"], r["segments"] / r["n"], r["archive_bytes"] / 1048576.0,
                 mb(r["hwm_after_batch"][d]), mb(r["hwm_end"][d]), r["store_bytes"] / 1048576.0,
                 r["store_bytes_end"] / 1048576.0, r["records_bytes"] / 1024.0 / r["n"],
                 r.get("fetch_s", 0), mb(r["rerun_rss_kb"])))
        print("  store files at the end: %s" % ", ".join(
            "%s %.1f MiB" % (k, v / 1048576.0) for k, v in r["store_files"].items()))
        if r["store_tables"]:
            top = sorted(r["store_tables"].items(), key=lambda kv: -kv[1])[:6]
            print("  store by table (with its indexes), bytes per article: %s" % ", ".join(
                "%s %.1f KiB" % (k, v / 1024.0 / r["n"]) for k, v in top))
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        k = b["n"] / a["n"]
        ad, bd = a["hwm_end"][a["daemon_pid"]], b["hwm_end"][b["daemon_pid"]]
        print("ratios N=%d vs N=%d (x%.0f): ms/article x%.2f, honyakud peak x%.2f, "
              "batch CLI x%.2f, export CLI x%.2f, re-run ms/article x%.2f"
              % (b["n"], a["n"], k, (b["wall_s"] / b["n"]) / (a["wall_s"] / a["n"]), bd / ad,
                 b["batch_rss_kb"] / a["batch_rss_kb"], b["export_rss_kb"] / a["export_rss_kb"],
                 (b["rerun_s"] / b["n"]) / (a["rerun_s"] / a["n"])))
        if bd - ad > 0.5 * (ad * (k - 1)) and bd > ad * 2:
            print("finding: honyakud peak memory grows with N: %s MiB at N=%d, %s MiB at N=%d"
                  % (mb(ad), a["n"], mb(bd), b["n"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--honyakud", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget-s", type=float, default=180.0,
                    help="skip a size when the estimate says the run would pass this")
    ap.add_argument("--print-article", type=int, metavar="I",
                    help="print generated article I and exit")
    args = ap.parse_args()
    if args.print_article is not None:
        sys.stdout.write(article(args.seed, args.print_article, stock_sentences(args.seed))[1])
        return 0
    sizes = [int(x) for x in args.sizes.split(",") if x]
    for path in (args.honyakud, args.worker, args.client, "/usr/bin/time"):
        if not os.access(path, os.X_OK):
            print("bench_bulk: %s: not an executable" % path, file=sys.stderr)
            return 2
    print("bench_bulk: pseudo profile, %d workers, seed %d, %s, %d cores"
          % (args.workers, args.seed, platform.platform(), os.cpu_count()), flush=True)
    procs = Procs()
    ctx = zmq.Context()
    rows = []
    t_start = time.monotonic()
    try:
        for n in sizes:
            spent = time.monotonic() - t_start
            if rows:
                per = (spent / sum(r["n"] for r in rows))
                if spent + per * n > args.budget_s:
                    print("  N=%d skipped: about %.0f s more would pass the %.0f s budget"
                          % (n, per * n, args.budget_s), flush=True)
                    continue
            t0 = time.monotonic()
            row = run_size(args, procs, ctx, n)
            rows.append(row)
            print("  N=%5d: batch %.1f s (%.0f articles/s, %.0f segments/s), re-run %.2f s, "
                  "export %.2f s; %.0f s in all"
                  % (n, row["wall_s"], n / row["wall_s"], row["segments"] / row["wall_s"],
                     row["rerun_s"], row["export_s"], time.monotonic() - t0), flush=True)
    except (BenchError, OSError, ValueError, KeyError) as e:
        print("bench_bulk: %s" % e, file=sys.stderr)
        return 1
    finally:
        procs.close()
        ctx.destroy(0)
    report(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

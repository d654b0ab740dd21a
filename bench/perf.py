#!/usr/bin/python3
"""perf.py: issue 11's performance measurements, each beside its baseline,
measured in one run on the same machine.

    perf.py --honyakud P --worker P --testserver P --bench-load P --bench-segment P
            [--out DIR] [--quick | --smoke] [--only 1,2,...] [--profile perf|stat|strace]

1. honyaku against a direct client of the same server: the same sentences
   (ARTICLES x SENTENCES, plus a title each) sent straight to hny-testserver
   (DeepL's API) at 50 texts a request over 16 connections by bench_load (C,
   libcurl multi), and through honyakud with 2 workers and a deepl profile
   of the same limits (concurrency 16, max_texts 50), submit all and wait
   all (bench_load, libhonyaku); at each --latencies. Then segments/s
   against concurrency at --sweep-latency (max_texts 1, so a segment is a
   request), beside the ideal concurrency / latency and the direct client
   at the same concurrency.
2. The TM path (the first run's articles again under new keys: every
   segment a TM hit) and the no-op re-run (the first run's keys again), per
   article, beside the first run and two pipelined WAITs of a finished job
   per article (the broker's floor for two round trips).
3. Store bytes per finished article (the first run's store: the files as
   honyakud leaves them, then after a checkpoint, and per table from
   SQLite's dbstat) against the source bytes, and against the text pairs.
4. The apertium profile through honyaku against the same requests sent
   straight to Apertium APy (eng-spa) at the same concurrency.
5. The worker's prepare path (hny_prepare + its JSON) against ICU's
   BreakIterator alone, in MB/s (bench_segment, on one of the articles).
6. --scale sizes (10,000 and 100,000 articles): time per article, the
   rate by quarter, and the peak RSS (VmHWM) of honyakud and each worker;
   the smallest size runs again after the others, and the mean of its two
   runs is the baseline (as the direct client's before and after).

Everything runs in a private temporary directory; every process started is
stopped at the end, also on Ctrl-C, SIGTERM or an error. Output: a Markdown
table (measured, baseline, ratio, target, pass/fail) and details on stdout
and in OUT/perf.md, the raw figures in OUT/perf.json, and OUT/perf.png
(gnuplot): segments/s against concurrency and against latency.

Exit status: 0 when every measurement ran and every check passed (records
complete and correct, no protocol violation at the server); 1 when a
baseline or honyaku could not run or a check failed (the reason is printed);
with --strict also when a target is missed; 2 on bad usage; 77 with --smoke
when Apertium APy is not installed (as the other APy tests skip).
--smoke runs everything at toy sizes in well under 30 s (CTest
bench.perf_smoke: it proves the harness, its figures mean nothing).
With --profile the honyaku side of the 0 ms first run, the TM path and the
no-op re-run run with a tool attached to honyakud and its workers (perf:
`perf record` with call graphs; stat: `perf stat -e --perf-events`, e.g.
uprobes made with `perf probe` to count calls; strace: `strace -c -f`); the
reports land in OUT/profile/ (the timings of those runs are then not
comparable). Every run also reads honyakud's own account of its loop
(logged on SIGHUP) before and after, and reports where the loop's time
went."""

import argparse
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
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from hnyfix import Fixture, apy_installed, poll  # noqa: E402
from test_daemon_util import Client  # noqa: E402

KEY = "perf-key"                    # the testserver's only key, given via key_env
KEY_ENV = "HNY_PERF_KEY"
QUOTA = 10 ** 15                    # DeepL characters: never the limit here
START_TIMEOUT_S = 60.0
SKIP = 77


class PerfError(Exception):
    """A baseline or honyaku could not run, or a check failed."""


def xlate(text, target):
    """The testserver's deterministic translation (tests/testserver/README.md)."""
    return "【" + target.lower() + "】" + "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


# ------------------------------------------------------------------ articles

SUBJECTS = ["The prefectural assembly", "The labor ministry", "A group of local residents",
            "The city council", "Union representatives", "The opposition party",
            "The finance committee", "Farmers in the northern districts", "The education board",
            "Hospital workers", "The regional court", "Small business owners"]
VERBS = ["announced", "reported", "argued", "confirmed", "warned", "explained", "pointed out",
         "claimed", "stressed", "revealed"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OBJECTS = ["spending on regional hospitals", "the number of temporary workers",
           "imports of rice and beef", "the price of electricity", "the number of nursery schools",
           "funding for disaster recovery", "the budget for public housing",
           "the cost of medical insurance", "the number of bus routes", "wages in the care sector"]
CHANGES = ["had risen by %d percent", "had fallen by %d percent", "would grow by %d percent",
           "could drop by %d percent", "had doubled in %d districts"]
TAILS = ["since %d", "over the years to %d", "compared with %d", "in the budget of %d"]
TOPICS = ["hospital budget", "wage talks", "rice imports", "power prices", "nursery schools",
          "disaster funds", "public housing", "bus routes"]


class Article:
    """One generated news article: a title and paragraphs of five
    sentences, every one unique to (run, article, sentence), about 130
    bytes each, so 30 sentences make about 4 KB (the issue's 3.9 KiB)."""

    def __init__(self, run, a, sentences):
        rnd = random.Random(run * 1000003 + a)
        self.title = "%s: %s under debate, report %d-%d" % (rnd.choice(SUBJECTS), rnd.choice(TOPICS), run, a)
        sents = []
        for s in range(sentences):
            sents.append("%s %s on %s that %s %s %s (survey %d-%d-%d)." % (
                rnd.choice(SUBJECTS), rnd.choice(VERBS), rnd.choice(DAYS), rnd.choice(OBJECTS),
                rnd.choice(CHANGES) % rnd.randint(2, 60), rnd.choice(TAILS) % rnd.randint(1990, 2025),
                run, a, s))
        self.paragraphs = [sents[i:i + 5] for i in range(0, len(sents), 5)]

    def texts(self):
        """The segments honyaku sends: the title, then every sentence."""
        return [self.title] + [s for p in self.paragraphs for s in p]

    def body(self):
        return ("%s\n\n%s\n" % (self.title, "\n\n".join(" ".join(p) for p in self.paragraphs))).encode("utf-8")


def articles(run, count, sentences):
    return [Article(run, a, sentences) for a in range(count)]


def write_articles(path, items):
    """bench_load's ARTICLES file: KEY<TAB>LENGTH\\n, the bytes, \\n."""
    with open(path, "wb") as f:
        for key, body in items:
            f.write(b"%s\t%d\n%s\n" % (key.encode("ascii"), len(body), body))


# ------------------------------------------------------------------ processes

def proc_cpu(pid):
    """CPU seconds (user + system) a process used so far; 0 when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def proc_status(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in MiB; 0 when gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def children(pid):
    """PIDs whose parent is pid (the workers honyakud started)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return sorted(out)


class Daemon:
    """honyakud with its workers on a state directory of the fixture."""

    def __init__(self, bench, name, conf_text, workers, state=None):
        self.bench = bench
        fx = bench.fx
        self.name = name
        self.state = state or fx.path(name, "state")
        os.makedirs(self.state, exist_ok=True)
        conf = fx.write(name + "/honyaku.conf", conf_text)
        env = dict(os.environ, HONYAKU_WORKER=bench.args.worker)
        env[KEY_ENV] = KEY
        self.log = name + "/honyakud.log"
        self.proc = fx.spawn([bench.args.honyakud, "--state", self.state, "--config", conf,
                              "--workers", str(workers)], self.log, env=env)
        self.front = "ipc://" + os.path.join(self.state, "front")
        self.client = Client(self.front)
        self.workers = []

        def ready():
            if self.proc.poll() is not None:
                raise PerfError("honyakud exited %d:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                cmd, st, _ = self.client.request("STATUS", {}, timeout=1.0)
            except AssertionError:
                return False
            return cmd == "STATUS" and st.get("workers", 0) >= workers
        try:
            poll("honyakud with %d workers" % workers, ready, START_TIMEOUT_S)
        except TimeoutError:
            raise PerfError("honyakud not ready with %d workers:\n%s" % (workers, self.log_tail()))
        self.workers = children(self.proc.pid)
        if len(self.workers) < workers:
            raise PerfError("honyakud has %d worker processes, not %d" % (len(self.workers), workers))

    ACCOUNT = re.compile(r"loop: (\d+) passes, (\d+) messages from workers, (\d+) from clients, "
                         r"(\d+) sent; ms: (.*)$")

    def account(self):
        """The loop's account since it started, which honyakud logs on
        SIGHUP before it reloads: passes, messages in and out, ms per
        stage; None from a honyakud that keeps no account (an older one)."""
        before = len(self.bench.fx.log(self.log).splitlines())

        def new_lines():
            lines = self.bench.fx.log(self.log).splitlines()[before:]
            return lines if any("SIGHUP: " in line for line in lines) else None
        self.proc.send_signal(signal.SIGHUP)
        try:
            lines = poll("honyakud to reload on SIGHUP", new_lines, 10)
        except TimeoutError:
            raise PerfError("honyakud did not reload on SIGHUP:\n%s" % self.log_tail())
        found = [m for m in map(self.ACCOUNT.search, lines) if m]
        if not found:
            return None
        m = found[-1]
        ms = {}
        for part in m.group(5).split(", "):
            name, value = part.rsplit(" ", 1)
            ms[name] = float(value)
        return {"passes": int(m.group(1)), "in_back": int(m.group(2)), "in_front": int(m.group(3)),
                "out": int(m.group(4)), "ms": ms}

    @staticmethod
    def account_delta(a, b):
        if not a or not b:
            return None
        d = {k: b[k] - a[k] for k in ("passes", "in_back", "in_front", "out")}
        d["ms"] = {k: b["ms"][k] - a["ms"].get(k, 0.0) for k in b["ms"]}
        return d

    def log_tail(self, lines=15):
        return "\n".join(self.bench.fx.log(self.log).splitlines()[-lines:])

    def pids(self):
        out = {"honyakud": self.proc.pid}
        for i, pid in enumerate(self.workers, 1):
            out["worker%d" % i] = pid
        return out

    def cpu(self):
        return {n: proc_cpu(p) for n, p in self.pids().items()}

    def hwm(self):
        return {n: proc_status(p, "VmHWM") for n, p in self.pids().items()}

    def store_files(self):
        """Bytes of the SQLite file and its WAL as they are now."""
        db = os.path.join(self.state, "honyaku.db")
        size = {}
        for suffix in ("", "-wal", "-shm"):
            try:
                size["db" + suffix] = os.stat(db + suffix).st_size
            except OSError:
                size["db" + suffix] = 0
        return size

    def stop(self):
        """SIGTERM (honyakud drains and exits); the workers follow it."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise PerfError("honyakud did not stop within 30 s of SIGTERM")
        for pid in self.workers:
            try:
                poll("worker %d to exit" % pid, lambda: not os.path.exists("/proc/%d" % pid)
                     or open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z", 15)
            except (TimeoutError, OSError):
                pass


class RssSampler(threading.Thread):
    """VmRSS of a set of processes every quarter second, to see growth."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.samples = []           # (t, {name: MiB})
        self.halt = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self.halt.wait(0.25):
            self.samples.append((time.monotonic() - t0,
                                 {n: proc_status(p, "VmRSS") for n, p in self.pids.items()}))

    def stop(self):
        self.halt.set()
        self.join()


class Profiler:
    """--profile: a tool attached to honyakud and its workers for one run,
    writing OUT/profile/NAME.*. perf: `perf record` of all of them with
    DWARF call graphs, reported by process, by process and DSO, by symbol
    (self) and, for honyakud, by function with its callees (children).
    stat: `perf stat` per process of --perf-events (uprobes such as
    probe_libsqlite3:sqlite3_step count calls). strace: `strace -c -f` per
    process. A no-op when --profile is not given or name is None."""

    def __init__(self, bench, daemon, name):
        self.bench, self.daemon, self.name = bench, daemon, name
        self.procs = []

    def __enter__(self):
        args = self.bench.args
        if not args.profile or not self.name:
            return self
        self.dir = os.path.join(args.out, "profile")
        os.makedirs(self.dir, exist_ok=True)
        pids = self.daemon.pids()
        base = os.path.join(self.dir, self.name)
        if args.profile == "perf":
            self.data = base + ".perf.data"
            self.start(["perf", "record", "-F", "1999", "--call-graph", "dwarf,8192", "-o", self.data,
                        "-p", ",".join(str(p) for p in pids.values())])
        for proc, pid in pids.items():
            if args.profile == "stat":
                self.start(["perf", "stat", "-e", args.perf_events, "-p", str(pid),
                            "-o", "%s.%s.stat" % (base, proc)])
            elif args.profile == "strace":
                self.start(["strace", "-c", "-f", "-p", str(pid), "-o", "%s.%s.strace" % (base, proc)],
                           handshake="attached")
        return self

    def start(self, argv, handshake=None):
        """Start a tool and wait until it is attached. perf starts with its
        events off (-D -1) and is told to turn them on through its control
        FIFO, which it acknowledges; strace says "attached" in its log."""
        n = len(self.procs)
        log = "profile-%s-%d.log" % (self.name, n)
        if argv[0] == "perf":
            ctl, ack = ["%s/%s-%d.%s" % (self.dir, self.name, n, x) for x in ("ctl", "ack")]
            for fifo in (ctl, ack):
                if os.path.exists(fifo):
                    os.unlink(fifo)
                os.mkfifo(fifo)
            argv = argv[:2] + ["-D", "-1", "--control", "fifo:%s,%s" % (ctl, ack)] + argv[2:]
        proc = self.bench.fx.spawn(argv, log)
        self.procs.append(proc)

        def alive():
            if proc.poll() is not None:
                raise PerfError("%s exited %d: %s" % (argv[0], proc.returncode, self.bench.fx.log(log)[-500:]))
        if argv[0] != "perf":
            poll("%s to attach" % argv[0], lambda: alive() or handshake in self.bench.fx.log(log), 30)
            return

        def open_ctl():
            alive()
            try:
                return os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:     # ENXIO: perf has not opened its end yet
                return None
        fd = poll("perf to open its control FIFO", open_ctl, 30)
        afd = os.open(ack, os.O_RDONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"enable\n")
            got = b""

            def acked():
                nonlocal got
                alive()
                try:
                    got += os.read(afd, 16)
                except BlockingIOError:
                    pass
                return b"ack" in got
            poll("perf to turn its events on", acked, 30)
        finally:
            os.close(fd)
            os.close(afd)
            for fifo in (ctl, ack):
                os.unlink(fifo)     # perf has them open: it keeps working

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            proc.wait(120)
        if self.procs and self.bench.args.profile == "perf":
            base = os.path.join(self.dir, self.name)
            for sort, suffix, extra in (("comm", "by-process", ["-g", "none"]), ("comm,dso", "by-dso", ["-g", "none"]),
                                        ("comm,dso,symbol", "by-symbol", ["--no-children", "-g", "none"]),
                                        ("symbol", "honyakud-children", ["--children", "--comms", "honyakud",
                                                                         "-g", "none"])):
                with open("%s.%s.txt" % (base, suffix), "w") as f:
                    subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--sort", sort,
                                    "--percent-limit", "0.5"] + extra,
                                   stdout=f, stderr=subprocess.DEVNULL, timeout=900)
        return False


# ------------------------------------------------------------------ the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.fx = Fixture("hnyperf")
        self.results = {"config": {}, "first": [], "sweep": [], "checks": []}
        self.ts_url = None
        self.ts_proc = None
        self.apy_url = None
        self.run_id = 0

    def close(self):
        self.fx.close()

    def next_run(self):
        self.run_id += 1
        return self.run_id

    # ---------------------------------------------------------- the test server

    def start_testserver(self):
        try:
            self.ts_proc, port = self.fx.start_testserver(self.args.testserver, "--key", KEY,
                                                          "--quota", str(QUOTA))
        except (AssertionError, TimeoutError) as e:
            raise PerfError("baseline cannot run: hny-testserver did not start: %s" % e)
        self.ts_url = "http://127.0.0.1:%d" % port

    def ts(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.ts_url + path, data=data,
                                     method="GET" if data is None else "POST")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode("utf-8") or "{}")

    def ts_reset(self, latency_ms):
        self.ts("/_reset", {})
        self.ts("/_faults", {"latency_ms": latency_ms})

    def ts_stats(self, what):
        st = self.ts("/_stats")
        if st.get("violations"):
            raise PerfError("%s: the testserver saw protocol violations: %s" % (what, st["violations"][:3]))
        return st

    # ---------------------------------------------------------- drivers

    def load(self, argv, what, timeout):
        """Run bench_load; its JSON line, or PerfError with its stderr."""
        try:
            r = subprocess.run([self.args.bench_load] + argv, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PerfError("%s: bench_load did not finish within %d s" % (what, timeout))
        out = r.stdout.decode("utf-8", "replace").strip().splitlines()
        err = r.stderr.decode("utf-8", "replace").strip()
        if r.returncode != 0 or not out:
            raise PerfError("%s: bench_load exited %d: %s %s" % (what, r.returncode, err, out[-1:] or ""))
        return json.loads(out[-1])

    def direct(self, url, bodies, connections, headers, what, check):
        """The direct client: every body POSTed to url over `connections`.
        check(index, body_text) raises PerfError on a wrong answer."""
        tag = "direct%d" % self.next_run()
        path = self.fx.write(tag + "/bodies", "".join(b + "\n" for b in bodies))
        out = self.fx.path(tag, "answers")
        argv = ["http", url, path, "--connections", str(connections), "--out", out]
        for h in headers:
            argv += ["--header", h]
        srv0 = proc_cpu(self.ts_proc.pid) if self.ts_proc else 0.0
        r = self.load(argv, "%s (direct client)" % what, timeout=self.args.timeout)
        r["server_cpu_s"] = (proc_cpu(self.ts_proc.pid) - srv0) if self.ts_proc else 0.0
        if r["ok"] != len(bodies):
            raise PerfError("%s: direct client: %d of %d requests answered 200" % (what, r["ok"], len(bodies)))
        with open(out, encoding="utf-8") as f:
            for line in f:
                idx, status, body = line.rstrip("\n").split("\t", 2)
                check(int(idx), body)
        return r

    def honyaku(self, daemon, items, what, window=None, profile_name=None):
        """honyaku end to end: submit every (key, body) and wait for all."""
        tag = "load%d" % self.next_run()
        path = self.fx.path(tag + ".articles")
        write_articles(path, items)
        jobs = self.fx.path(tag + ".jobs")
        argv = ["honyaku", daemon.front, path, "--from", "en", "--to", self.args.to,
                "--window", str(window or len(items)), "--jobs-out", jobs]
        acc0 = daemon.account()
        cpu0 = daemon.cpu()
        srv0 = proc_cpu(self.ts_proc.pid) if self.ts_proc else 0.0
        with self.attached(daemon, profile_name):
            r = self.load(argv, "%s (honyaku)" % what, timeout=self.args.timeout)
        cpu1 = daemon.cpu()
        r["loop"] = daemon.account_delta(acc0, daemon.account())
        r["cpu_s"] = {n: cpu1[n] - cpu0.get(n, 0.0) for n in cpu1}
        r["server_cpu_s"] = (proc_cpu(self.ts_proc.pid) - srv0) if self.ts_proc else 0.0
        if r["done"] != len(items):
            raise PerfError("%s: %d of %d jobs done:\n%s" % (what, r["done"], len(items), daemon.log_tail()))
        r["jobs"] = {}
        with open(jobs) as f:
            for line in f:
                key, job, state = line.rstrip("\n").split("\t")
                r["jobs"][key] = job
        return r

    def verify(self, daemon, run, arts, keys, tm, sample=None):
        """FETCH the records (all, or `sample` spread over them) and check
        each against its article: every source in order, every target the
        server's translation (or APy's, via tgt_of), the TM flags all `tm`."""
        idx = list(range(len(keys)))
        if sample and sample < len(idx):
            idx = idx[::max(1, len(idx) // sample)][:sample]
        for i in idx:
            job = run["jobs"][keys[i]]
            cmd, hdr, body = daemon.client.request("FETCH", {"job": job}, timeout=30)
            if cmd != "RECORD" or body is None:
                raise PerfError("FETCH %s: %s %s" % (job, cmd, hdr))
            rec = json.loads(body)
            pairs = ([rec["title"]] if rec.get("title") else []) + \
                [s for p in rec["paragraphs"] for s in p["segments"]]
            want = arts[i].texts()
            if [p["src"] for p in pairs] != want:
                raise PerfError("job %s: the record's sources are not the article's sentences" % job)
            for p in pairs:
                if bool(p.get("tm")) != tm:
                    raise PerfError("job %s: segment %r: tm = %r, expected %r" % (job, p["src"], p.get("tm"), tm))
                if p.get("tgt") != self.tgt_of(p["src"]):
                    raise PerfError("job %s: segment %r translated %r" % (job, p["src"], p.get("tgt")))
        return len(idx)

    def tgt_of(self, src):
        return xlate(src, self.args.to)

    # ---------------------------------------------------------- profiling

    def attached(self, daemon, name):
        return Profiler(self, daemon, name)

    # ---------------------------------------------------------- configs

    def conf_deepl(self, concurrency, max_texts, credit):
        return ("[daemon]\nlog_level = %s\ndefault_backend = bench\n\n"
                "[worker]\ncredit = %d\n\n"
                "[backend.bench]\ntype = deepl\nurl = %s\nkey_env = %s\n"
                "concurrency = %d\nmax_texts = %d\n"
                % (self.args.log_level, credit, self.ts_url, KEY_ENV, concurrency, max_texts))

    def deepl_body(self, texts):
        return json.dumps({"text": texts, "source_lang": "EN", "target_lang": self.args.to.upper(),
                           "show_billed_characters": True, "split_sentences": "0"}, ensure_ascii=False)

    def deepl_check(self, bodies):
        def check(i, answer):
            got = [t["text"] for t in json.loads(answer)["translations"]]
            want = [xlate(s, self.args.to) for s in json.loads(bodies[i])["text"]]
            if got != want:
                raise PerfError("direct client: request %d answered wrongly" % i)
        return check

    @staticmethod
    def sandwich(before, after):
        """One figure of a direct client run before and after honyaku's:
        their mean wall time (the rest from the first), both rates kept."""
        out = dict(before)
        for k in ("wall_s", "user_s", "sys_s", "server_cpu_s"):
            out[k] = (before[k] + after[k]) / 2
        out["seg_per_s"] = out["texts"] / out["wall_s"]
        out["runs_seg_per_s"] = [before["seg_per_s"], after["seg_per_s"]]
        return out

    def direct_deepl(self, texts, per_request, connections, what):
        bodies = [self.deepl_body(texts[i:i + per_request]) for i in range(0, len(texts), per_request)]
        r = self.direct(self.ts_url + "/v2/translate", bodies, connections,
                        ["Authorization: DeepL-Auth-Key " + KEY, "Content-Type: application/json"],
                        what, self.deepl_check(bodies))
        st = self.ts_stats(what)
        if st["texts"] != len(texts) or st["requests"] != len(bodies):
            raise PerfError("%s: the server translated %d texts in %d requests, not %d in %d"
                            % (what, st["texts"], st["requests"], len(texts), len(bodies)))
        r["texts"] = len(texts)
        r["seg_per_s"] = len(texts) / r["wall_s"]
        return r

    # ---------------------------------------------------------- 1 and 2 and 3

    def first_run(self, latency, keep=False):
        """Measurement 1 at one latency; at 0 ms also 2 and 3."""
        a = self.args
        run = self.next_run()
        arts = articles(run, a.articles, a.sentences)
        texts = [t for art in arts for t in art.texts()]
        what = "first run, %d ms" % latency
        self.ts_reset(latency)
        d = self.direct_deepl(texts, a.texts_per_request, a.connections, what)
        self.ts_reset(latency)
        daemon = Daemon(self, "first%d" % latency,
                        self.conf_deepl(a.connections, a.texts_per_request, max(8, a.connections)),
                        a.workers)
        try:
            keys = ["first-%d-%d" % (run, i) for i in range(len(arts))]
            h = self.honyaku(daemon, [(k, art.body()) for k, art in zip(keys, arts)], what,
                             profile_name="first-run" if latency == 0 else None)
            st = self.ts_stats(what)
            h["requests"] = st["requests"]
            h["server_texts"] = st["texts"]
            h["texts"] = len(texts)
            h["seg_per_s"] = len(texts) / h["wall_s"]
            self.verify(daemon, h, arts, keys, tm=False)
            if st["texts"] != len(texts):
                raise PerfError("%s: the server translated %d texts, not %d (each sentence once)"
                                % (what, st["texts"], len(texts)))
            # The direct client again, after: the baseline is the two runs'
            # mean, so that a change of load during the run weighs on both.
            self.ts_reset(latency)
            d = self.sandwich(d, self.direct_deepl(texts, a.texts_per_request, a.connections, what))
            row = {"latency_ms": latency, "direct": d, "honyaku": h, "connections": a.connections,
                   "source_bytes": sum(len(art.body()) for art in arts), "articles": len(arts)}
            self.results["first"].append(row)
            print("  1. %s: direct %.0f seg/s in %d requests, honyaku %.0f seg/s in %d requests"
                  % (what, d["seg_per_s"], d["requests"], h["seg_per_s"], h["requests"]), flush=True)
            if latency == 0 and keep:
                daemon = self.store_and_rerun(daemon, arts, keys, h, row)
        finally:
            daemon.stop()

    def store_and_rerun(self, daemon, arts, keys, first, row):
        """Measurements 3 (the first run's store) and 2 (TM path, no-op)."""
        a = self.args
        n = len(arts)
        live = daemon.store_files()
        daemon.stop()
        db = os.path.join(daemon.state, "honyaku.db")
        left = {k: v for k, v in daemon.store_files().items()}
        con = sqlite3.connect(db)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page = con.execute("PRAGMA page_size").fetchone()[0]
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            free = con.execute("PRAGMA freelist_count").fetchone()[0]
            tables = {}
            try:
                q = ("SELECT coalesce(t.tbl_name, d.name), sum(d.pgsize), sum(d.payload)"
                     " FROM dbstat d LEFT JOIN sqlite_master t ON t.name = d.name GROUP BY 1 ORDER BY 2 DESC")
                for name, size, payload in con.execute(q):
                    tables[name] = {"bytes": size, "payload": payload}
                how = "dbstat"
            except sqlite3.OperationalError:
                how = "lengths"     # no dbstat in this SQLite: sum the columns' lengths
                for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                    cols = [c[1] for c in con.execute("PRAGMA table_info(%s)" % name)]
                    expr = " + ".join("coalesce(length(%s), 0)" % c for c in cols) or "0"
                    total = con.execute("SELECT sum(%s) FROM %s" % (expr, name)).fetchone()[0] or 0
                    tables[name] = {"bytes": total, "payload": total}
        finally:
            con.close()
        after = daemon.store_files()
        text = sum(len(t.encode("utf-8")) + len(self.tgt_of(t).encode("utf-8")) for art in arts for t in art.texts())
        row["store"] = {"text_bytes": text, "live": live, "left": left, "checkpointed": after, "page_size": page,
                        "pages": pages, "free_pages": free, "tables": tables, "how": how, "jobs": n}
        print("  3. store: %.1f KiB per article (db + WAL as left running), %.1f KiB after a checkpoint,"
              " source %.1f KiB" % ((live["db"] + live["db-wal"]) / n / 1024,
                                     (after["db"] + after["db-wal"]) / n / 1024,
                                     row["source_bytes"] / n / 1024), flush=True)

        # The same state, a fresh honyakud: the TM path and the no-op re-run.
        self.ts_reset(0)
        daemon = Daemon(self, daemon.name + "-again",
                        self.conf_deepl(a.connections, a.texts_per_request, max(8, a.connections)),
                        a.workers, state=daemon.state)
        tm_keys = ["tm-%d" % i for i in range(n)]
        tm = self.honyaku(daemon, [(k, art.body()) for k, art in zip(tm_keys, arts)], "TM path",
                          profile_name="tm-path")
        st = self.ts_stats("TM path")
        if st["requests"]:
            raise PerfError("TM path: %d requests reached the server (every segment should be a TM hit)"
                            % st["requests"])
        self.verify(daemon, tm, arts, tm_keys, tm=True)
        noop = self.honyaku(daemon, [(k, art.body()) for k, art in zip(keys, arts)], "no-op re-run",
                            profile_name="no-op")
        if noop["existing"] != n:
            raise PerfError("no-op re-run: %d of %d SUBMITs found their job" % (noop["existing"], n))
        # The floor: two pipelined WAITs of a finished job per article.
        jobs = self.fx.write("waits.jobs", "".join("%s\n" % first["jobs"][k] for k in keys))
        floor = self.load(["waits", daemon.front, jobs, "--repeat", "2"], "WAIT round trips",
                          timeout=self.args.timeout)
        row["tm"] = tm
        row["noop"] = noop
        row["floor"] = floor
        print("  2. per article: first run %.3f ms, TM path %.3f ms, no-op %.3f ms (2 WAITs %.3f ms)"
              % (first["wall_s"] * 1e3 / n, tm["wall_s"] * 1e3 / n, noop["wall_s"] * 1e3 / n,
                 floor["wall_s"] * 1e3 / n), flush=True)
        return daemon

    # ---------------------------------------------------------- 1: the sweep

    def sweep(self):
        a = self.args
        lat = a.sweep_latency
        for c in a.sweep:
            run = self.next_run()
            # Enough segments for `rounds` rounds of c requests at once.
            count = max(1, -(-a.rounds * c // (a.sentences + 1)))
            arts = articles(run, count, a.sentences)
            texts = [t for art in arts for t in art.texts()]
            what = "concurrency %d, %d ms" % (c, lat)
            self.ts_reset(lat)
            d = self.direct_deepl(texts, 1, c, what)
            d["flight"] = self.ts_stats(what).get("flight")
            self.ts_reset(lat)
            daemon = Daemon(self, "sweep%d" % c, self.conf_deepl(c, 1, max(8, c)), a.workers)
            try:
                keys = ["sweep-%d-%d" % (run, i) for i in range(len(arts))]
                h = self.honyaku(daemon, [(k, art.body()) for k, art in zip(keys, arts)], what)
                st = self.ts_stats(what)
                self.verify(daemon, h, arts, keys, tm=False, sample=20)
            finally:
                daemon.stop()
            h["requests"] = st["requests"]
            h["in_flight_max"] = st["in_flight_max"]
            h["flight"] = st.get("flight")
            h["seg_per_s"] = len(texts) / h["wall_s"]
            ideal = c * 1000.0 / lat if lat > 0 else None
            self.results["sweep"].append({"concurrency": c, "latency_ms": lat, "texts": len(texts),
                                          "direct": d, "honyaku": h, "ideal": ideal})
            print("  1. %s: %d segments, ideal %s, direct %.0f seg/s, honyaku %.0f seg/s (in flight max %d)"
                  % (what, len(texts), "%.0f" % ideal if ideal else "-", d["seg_per_s"], h["seg_per_s"],
                     st["in_flight_max"]), flush=True)

    # ---------------------------------------------------------- 4: Apertium

    def apertium(self):
        a = self.args
        if not apy_installed():
            raise PerfError("baseline cannot run: Apertium APy is not installed "
                            "(apertium-apy and apertium-eng-spa, scripts/deps.sh)")
        try:
            self.apy_url = self.fx.start_apy(timeout=60.0)
        except RuntimeError as e:
            raise PerfError("baseline cannot run: %s" % e)
        run = self.next_run()
        arts = articles(run, a.apy_articles, a.sentences)
        texts = [t for art in arts for t in art.texts()]

        def form(text):
            return urllib.parse.urlencode({"langpair": "eng|spa", "q": text, "markUnknown": "no",
                                           "format": "txt"})
        # Warm up: APy starts a pair's pipeline on its first request.
        urllib.request.urlopen(urllib.request.Request(self.apy_url + "/translate",
                                                      data=form("Warm up.").encode()), timeout=60).read()
        answers = {}

        def check(i, body):
            doc = json.loads(body)
            tgt = (doc.get("responseData") or {}).get("translatedText")
            if doc.get("responseStatus") != 200 or not isinstance(tgt, str):
                raise PerfError("direct APy: request %d: %s" % (i, body[:200]))
            answers[texts[i]] = tgt
        saved_ts, self.ts_proc = self.ts_proc, None     # the server here is APy
        try:
            def direct():
                r = self.direct(self.apy_url + "/translate", [form(t) for t in texts], a.apy_concurrency,
                                ["Content-Type: application/x-www-form-urlencoded"], "apertium", check)
                r["texts"] = len(texts)
                r["seg_per_s"] = len(texts) / r["wall_s"]
                r["server_cpu_s"] = 0.0
                return r
            d = direct()
            conf = ("[daemon]\nlog_level = %s\ndefault_backend = apy\n\n[worker]\ncredit = %d\n\n"
                    "[backend.apy]\ntype = apertium\nurl = %s\nconcurrency = %d\n"
                    % (a.log_level, max(8, a.apy_concurrency), self.apy_url, a.apy_concurrency))
            daemon = Daemon(self, "apertium", conf, a.workers)
            try:
                keys = ["apy-%d-%d" % (run, i) for i in range(len(arts))]
                saved_to, a.to = a.to, "es"
                self.tgt_of = lambda src: answers.get(src)
                try:
                    h = self.honyaku(daemon, [(k, art.body()) for k, art in zip(keys, arts)], "apertium")
                    self.verify(daemon, h, arts, keys, tm=False)
                    d = self.sandwich(d, direct())
                finally:
                    a.to = saved_to
                    del self.tgt_of
            finally:
                daemon.stop()
        finally:
            self.ts_proc = saved_ts
        h["seg_per_s"] = len(texts) / h["wall_s"]
        self.results["apertium"] = {"texts": len(texts), "direct": d, "honyaku": h,
                                    "concurrency": a.apy_concurrency}
        print("  4. apertium, %d segments at concurrency %d: direct APy %.1f seg/s, honyaku %.1f seg/s"
              % (len(texts), a.apy_concurrency, d["seg_per_s"], h["seg_per_s"]), flush=True)

    # ---------------------------------------------------------- 5: prepare

    def prepare(self):
        art = articles(self.next_run(), 1, self.args.sentences)[0]
        path = self.fx.path("prepare-article.txt")
        with open(path, "wb") as f:
            f.write(art.body())
        try:
            r = subprocess.run([self.args.bench_segment, str(self.args.prepare_mb), path],
                               capture_output=True, timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            raise PerfError("bench_segment did not finish")
        out = r.stdout.decode("utf-8", "replace")
        fig = {}
        for part in out.split("|"):
            words = part.split()
            if len(words) >= 3 and words[-1] == "MB/s":
                fig[" ".join(words[:-2])] = float(words[-2])
        if r.returncode != 0 or "ICU alone" not in fig or "hny_prepare" not in fig:
            raise PerfError("bench_segment (ICU alone and hny_prepare) did not run: %s %s"
                            % (out.strip(), r.stderr.decode("utf-8", "replace").strip()))
        self.results["prepare"] = {"mb_per_s": fig, "bytes": len(art.body()), "output": out.strip()}
        print("  5. prepare %.1f MB/s, ICU BreakIterator alone %.1f MB/s" % (fig["hny_prepare"], fig["ICU alone"]),
              flush=True)

    # ---------------------------------------------------------- 6: scale

    def scale(self):
        a = self.args
        self.results["scale"] = []
        # The smallest size again after the others, as the direct client
        # runs before and after honyaku: its mean is the baseline, so that
        # a machine that slows (or speeds up) through the run does not
        # read as growth with the store.
        sizes = list(a.scale) + ([a.scale[0]] if len(a.scale) >= 2 else [])
        for i, n in enumerate(sizes):
            again = i == len(a.scale)
            run = self.next_run()
            self.ts_reset(0)
            # a fresh state each time: the run again starts from an empty store
            daemon = Daemon(self, "scale%d%s" % (n, "-again" if again else ""),
                            self.conf_deepl(a.connections, a.texts_per_request, max(8, a.connections)),
                            a.workers)
            try:
                arts = articles(run, n, a.sentences)
                keys = ["scale-%d-%d" % (run, i) for i in range(n)]
                items = [(k, art.body()) for k, art in zip(keys, arts)]
                sampler = RssSampler(daemon.pids())
                sampler.start()
                try:
                    h = self.honyaku(daemon, items, "%d articles" % n, window=min(n, a.window))
                finally:
                    sampler.stop()
                h["hwm_mib"] = daemon.hwm()
                h["store"] = daemon.store_files()
                h["rss_first_last"] = self.rss_ends(sampler.samples)
                self.verify(daemon, h, arts, keys, tm=False, sample=50)
                st = self.ts_stats("%d articles" % n)
                h["requests"] = st["requests"]
            finally:
                daemon.stop()
            h["articles"] = n
            h["again"] = again
            h["ms_per_article"] = h["wall_s"] * 1e3 / n
            h["source_bytes"] = sum(len(b) for _, b in items)
            self.results["scale"].append(h)
            del arts, items
            print("  6. %d articles%s: %.3f ms per article, peak RSS %s" % (
                n, " (again)" if h["again"] else "", h["ms_per_article"], ", ".join("%s %.1f MiB" % kv for kv in h["hwm_mib"].items())),
                flush=True)

    @staticmethod
    def rss_ends(samples):
        """Mean VmRSS over the first and the last tenth of the run, per process."""
        if len(samples) < 4:
            return {}
        k = max(1, len(samples) // 10)
        out = {}
        for name in samples[0][1]:
            first = sum(s[1][name] for s in samples[:k]) / k
            last = sum(s[1][name] for s in samples[-k:]) / k
            out[name] = (first, last)
        return out


# ------------------------------------------------------------------ report

def pct(x):
    return "%.0f %%" % (100 * x)


def cpu_budget(r, res):
    """The CPU arithmetic of a first run (None without the figures): what
    the cores had during honyaku's run and what its processes used; and
    what honyakud and its workers may use at most for honyaku to reach 50 %
    of the direct client: the cores over the wall time that 50 % allows,
    less what the test server and the driver used in honyaku's run (both
    needed whatever honyaku costs). A budget at or below zero means the
    server and the driver alone take more than the target allows."""
    d, h = r["direct"], r["honyaku"]
    cores = res.get("config", {}).get("cores") or os.cpu_count() or 1
    if not h.get("cpu_s") or not d.get("seg_per_s"):
        return None
    used = sum(h["cpu_s"].values())
    others = h["server_cpu_s"] + h["user_s"] + h["sys_s"]
    wall50 = h["texts"] / (0.5 * d["seg_per_s"])
    return {"cores": cores, "used": used, "others": others, "wall50_s": wall50,
            "budget": cores * wall50 - others, "busy": (used + others) / (cores * h["wall_s"])}


def report(res, args):
    """The Markdown table: (measurement, measured, baseline, ratio, target, result)."""
    rows = []

    def add(what, measured, baseline, ratio, target, ok):
        rows.append((what, measured, baseline, ratio, target, "–" if ok is None else ("pass" if ok else "FAIL")))

    for r in res.get("first", []):
        d, h = r["direct"], r["honyaku"]
        ratio = h["seg_per_s"] / d["seg_per_s"]
        add("1. first run at %d ms: segments/s" % r["latency_ms"], "%.0f" % h["seg_per_s"],
            "%.0f (direct client)" % d["seg_per_s"], pct(ratio),
            "≥ 50 %" if r["latency_ms"] == 0 else "–", ratio >= 0.5 if r["latency_ms"] == 0 else None)
        add("1. first run at %d ms: HTTP requests for %d texts" % (r["latency_ms"], h["texts"]),
            "%d" % h["requests"], "%d" % d["requests"], "×%.2f" % (h["requests"] / d["requests"]), "–", None)
        bud = cpu_budget(r, res)
        if r["latency_ms"] == 0 and bud:
            add("1. first run at 0 ms: CPU s of honyakud + workers", "%.3f" % bud["used"],
                "%.3f (what the 50 %% target leaves them)" % bud["budget"],
                "×%.1f" % (bud["used"] / bud["budget"]) if bud["budget"] > 0 else "–", "–", None)
    for s in res.get("sweep", []):
        h = s["honyaku"]
        if s["ideal"]:
            ratio = h["seg_per_s"] / s["ideal"]
            add("1. %d in flight at %d ms: segments/s" % (s["concurrency"], s["latency_ms"]),
                "%.0f" % h["seg_per_s"], "%.0f (concurrency ÷ latency)" % s["ideal"], pct(ratio), "≥ 95 %",
                ratio >= 0.95)
    for r in res.get("first", []):
        if "tm" not in r:
            continue
        n = r["articles"]
        first = r["honyaku"]["wall_s"] * 1e3 / n
        tm = r["tm"]["wall_s"] * 1e3 / n
        noop = r["noop"]["wall_s"] * 1e3 / n
        floor = r["floor"]["wall_s"] * 1e3 / n
        add("2. TM path: ms per article", "%.3f" % tm, "%.3f (first run)" % first, "×%.1f faster" % (first / tm),
            "≥ ×5", first / tm >= 5)
        add("2. no-op re-run: ms per article", "%.4f" % noop, "%.4f (2 WAIT round trips)" % floor,
            "×%.1f" % (noop / floor), "≤ 0.1 ms", noop <= 0.1)
        st = r["store"]
        src = r["source_bytes"] / n
        live = (st["live"]["db"] + st["live"]["db-wal"]) / n
        cp = (st["checkpointed"]["db"] + st["checkpointed"]["db-wal"]) / n
        add("3. store bytes per finished article (after a checkpoint)", "%.0f" % cp,
            "%.0f (source bytes)" % src, "×%.1f" % (cp / src), "≤ ×3", cp / src <= 3)
        add("3. store bytes per article as honyakud runs (db + WAL)", "%.0f" % live, "%.0f" % src,
            "×%.1f" % (live / src), "–", None)
        txt = st["text_bytes"] / n
        add("3. store bytes per finished article against its text pairs", "%.0f" % cp,
            "%.0f (source + target text)" % txt, "×%.1f" % (cp / txt), "–", None)
    ap = res.get("apertium")
    if ap:
        ratio = ap["honyaku"]["seg_per_s"] / ap["direct"]["seg_per_s"]
        add("4. apertium at concurrency %d: segments/s" % ap["concurrency"], "%.1f" % ap["honyaku"]["seg_per_s"],
            "%.1f (direct APy)" % ap["direct"]["seg_per_s"], pct(ratio), "≥ 95 %", ratio >= 0.95)
    pr = res.get("prepare")
    if pr:
        f = pr["mb_per_s"]
        add("5. prepare (hny_prepare + JSON): MB/s", "%.1f" % f["hny_prepare"],
            "%.1f (ICU BreakIterator alone)" % f["ICU alone"], pct(f["hny_prepare"] / f["ICU alone"]), "–", None)
    sc = res.get("scale", [])
    firsts = [h for h in sc if not h.get("again")]
    if len(firsts) >= 2:
        small, big = firsts[0], firsts[-1]
        # the smallest size before and after the others: their mean
        smalls = [h["ms_per_article"] for h in sc if h["articles"] == small["articles"]]
        base = sum(smalls) / len(smalls)
        ratio = big["ms_per_article"] / base
        add("6. ms per article at %d" % big["articles"], "%.3f" % big["ms_per_article"],
            "%.3f (at %d: %s)" % (base, small["articles"], ", ".join("%.3f" % x for x in smalls)),
            "×%.2f" % ratio, "≤ ×1.10", ratio <= 1.10)
        for name in big["hwm_mib"]:
            b, s = big["hwm_mib"][name], small["hwm_mib"].get(name, 0)
            if s:
                add("6. peak RSS of %s at %d, MiB" % (name, big["articles"]), "%.1f" % b,
                    "%.1f (at %d)" % (s, small["articles"]), "×%.2f" % (b / s), "≤ ×1.10", b / s <= 1.10)
    return rows


def details(res):
    """The tables behind the figures, as Markdown lines."""
    out = []
    first = res.get("first", [])
    if first:
        out += ["", "**1. First run, honyaku against the direct client** (CPU seconds of each process "
                "during the run; the driver's own CPU shows it was not the limit)", "",
                "| latency | side | texts | requests | wall s | segments/s | driver CPU s | server CPU s "
                "| honyakud CPU s | workers CPU s |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in first:
            d, h = r["direct"], r["honyaku"]
            out.append("| %d ms | direct (before, after) | %d | %d | %.3f | %.0f (%s) | %.3f | %.3f | – | – |" % (
                r["latency_ms"], d["texts"], d["requests"], d["wall_s"], d["seg_per_s"],
                ", ".join("%.0f" % x for x in d.get("runs_seg_per_s", [])),
                d["user_s"] + d["sys_s"], d["server_cpu_s"]))
            out.append("| %d ms | honyaku | %d | %d | %.3f | %.0f | %.3f | %.3f | %.3f | %s |" % (
                r["latency_ms"], h["texts"], h["requests"], h["wall_s"], h["seg_per_s"],
                h["user_s"] + h["sys_s"], h["server_cpu_s"], h["cpu_s"].get("honyakud", 0),
                " + ".join("%.3f" % v for k, v in sorted(h["cpu_s"].items()) if k.startswith("worker"))))
        for r in first:
            bud = cpu_budget(r, res)
            d, h = r["direct"], r["honyaku"]
            if r["latency_ms"] > 0 and r.get("connections"):
                # A request waits out the latency whatever it holds: n
                # requests on c connections take ceil(n / c) latencies at least.
                c, lat = r["connections"], r["latency_ms"] / 1e3
                hr, dr = -(-h["requests"] // c), -(-d["requests"] // c)
                out += ["", "At %d ms honyaku's %d requests on %d connections take at least %d rounds of %d ms "
                        "(%.3f s), the direct client's %d at least %d (%.3f s): the requests alone cap honyaku "
                        "at %.0f %% of the direct client. It ran at %.0f %% of its own cap, the direct client "
                        "at %.0f %% of its." % (
                            r["latency_ms"], h["requests"], c, hr, r["latency_ms"], hr * lat, d["requests"], dr,
                            dr * lat, 100 * dr / hr, 100 * hr * lat / h["wall_s"], 100 * dr * lat / d["wall_s"])]
            if bud and r["latency_ms"] == 0:
                left = ("leave honyakud and its workers %.3f CPU s (they used ×%.1f of it)"
                        % (bud["budget"], bud["used"] / bud["budget"]) if bud["budget"] > 0
                        else "leave honyakud and its workers nothing: the target cannot be met on %d cores"
                        % bud["cores"])
                out += ["", "At %d ms the processes used %.0f %% of the %d cores' time during honyaku's run "
                        "(honyakud and workers %.3f s, server and driver %.3f s, over %.3f s). For 50 %% of the "
                        "direct client the run may take %.3f s: %d cores × %.3f s less the server's and the "
                        "driver's %.3f s %s." % (
                            r["latency_ms"], 100 * bud["busy"], bud["cores"], bud["used"], bud["others"],
                            r["honyaku"]["wall_s"], bud["wall50_s"], bud["cores"], bud["wall50_s"], bud["others"],
                            left)]
        for r in first:
            if "tm" not in r:
                continue
            n = r["articles"]
            out += ["", "**2. Per article, %d articles** (CPU ms per article of each process)" % n, "",
                    "| run | wall ms/article | honyakud CPU ms/article | workers CPU ms/article | driver CPU ms/article |",
                    "| --- | --- | --- | --- | --- |"]
            for name, x in (("first run (0 ms)", r["honyaku"]), ("TM path", r["tm"]), ("no-op re-run", r["noop"])):
                out.append("| %s | %.3f | %.3f | %.3f | %.3f |" % (
                    name, x["wall_s"] * 1e3 / n, x["cpu_s"].get("honyakud", 0) * 1e3 / n,
                    sum(v for k, v in x["cpu_s"].items() if k.startswith("worker")) * 1e3 / n,
                    (x["user_s"] + x["sys_s"]) * 1e3 / n))
            fl = r["floor"]
            out.append("| 2 WAITs of a finished job | %.3f | – | – | %.3f |" % (
                fl["wall_s"] * 1e3 / n, (fl["user_s"] + fl["sys_s"]) * 1e3 / n))
            runs = (("first run (0 ms)", r["honyaku"]), ("TM path", r["tm"]), ("no-op re-run", r["noop"]))
            if any(x.get("loop") is None for _, x in runs):
                continue
            stages = list(r["honyaku"]["loop"]["ms"])
            out += ["", "**Where honyakud's loop spends its time, per article** (its own account, logged on "
                    "SIGHUP before and after each run; ms per article by stage of a pass; `wait` is idle in "
                    "zmq_poll)", "",
                    "| run | passes | messages from workers | from clients | sent | %s |" % " | ".join(stages),
                    "| --- | --- | --- | --- | --- | %s |" % " | ".join("---" for _ in stages)]
            for name, x in runs:
                lp = x["loop"]
                out.append("| %s | %.2f | %.2f | %.2f | %.2f | %s |" % (
                    name, lp["passes"] / n, lp["in_back"] / n, lp["in_front"] / n, lp["out"] / n,
                    " | ".join("%.3f" % (lp["ms"].get(k, 0) / n) for k in stages)))
            st = r["store"]
            out += ["", "**3. Store of the first run, per article** (%s; page %d B, %d pages, %d free; "
                    "db %d B + WAL %d B as left running)" % (
                        "dbstat" if st["how"] == "dbstat" else "summed column lengths", st["page_size"],
                        st["pages"], st["free_pages"], st["live"]["db"], st["live"]["db-wal"]), "",
                    "| table (with its indexes) | bytes/article | payload bytes/article | share |",
                    "| --- | --- | --- | --- |"]
            total = sum(t["bytes"] for t in st["tables"].values()) or 1
            for name, t in st["tables"].items():
                out.append("| %s | %.0f | %.0f | %s |" % (name, t["bytes"] / n, (t["payload"] or 0) / n,
                                                         pct(t["bytes"] / total)))
    sweep = res.get("sweep", [])
    if sweep:
        out += ["", "**1. Segments/s against concurrency** (one text a request)", "",
                "| concurrency | latency | segments | ideal c/latency | direct seg/s | honyaku seg/s | honyaku/ideal "
                "| server in flight max | honyakud CPU s | workers CPU s |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for s in sweep:
            h = s["honyaku"]
            out.append("| %d | %d ms | %d | %s | %.0f | %.0f | %s | %d | %.2f | %.2f |" % (
                s["concurrency"], s["latency_ms"], s["texts"], "%.0f" % s["ideal"] if s["ideal"] else "–",
                s["direct"]["seg_per_s"], h["seg_per_s"], pct(h["seg_per_s"] / s["ideal"]) if s["ideal"] else "–",
                h["in_flight_max"], h["cpu_s"].get("honyakud", 0),
                sum(v for k, v in h["cpu_s"].items() if k.startswith("worker"))))
        # Where a run's time goes against the ideal, as the server saw it:
        # before its first request and after its last answer (SUBMITs,
        # prepares, records, DONEs for honyaku; starting for both), the
        # ramp to 95 % of the most in flight, and how full it was kept.
        flights = [s for s in sweep if s["direct"].get("flight") and s["honyaku"].get("flight")]
        if flights:
            out += ["", "**1. The sweep as the server saw it** (direct / honyaku): wall time outside the "
                    "server's window (first request in to last answer out), the ramp (to 95 % of the most in "
                    "flight), and the mean in flight over the window", "",
                    "| concurrency | wall s | outside the window ms | ramp ms | mean in flight |",
                    "| --- | --- | --- | --- | --- |"]
            for s in flights:
                d, h = s["direct"], s["honyaku"]
                out.append("| %d | %.3f / %.3f | %.0f / %.0f | %.0f / %.0f | %.1f / %.1f |" % (
                    s["concurrency"], d["wall_s"], h["wall_s"],
                    d["wall_s"] * 1e3 - d["flight"]["window_ms"], h["wall_s"] * 1e3 - h["flight"]["window_ms"],
                    d["flight"]["ramp95_ms"], h["flight"]["ramp95_ms"], d["flight"]["mean"], h["flight"]["mean"]))
    ap = res.get("apertium")
    if ap:
        out += ["", "**4. Apertium APy (eng-spa)**: %d segments; direct %.2f s (mean of the runs before and "
                "after honyaku's: %s segments/s; driver CPU %.3f s), honyaku "
                "%.2f s (honyakud CPU %.2f s, workers %.2f s)" % (
                    ap["texts"], ap["direct"]["wall_s"],
                    " and ".join("%.1f" % x for x in ap["direct"].get("runs_seg_per_s", [])),
                    ap["direct"]["user_s"] + ap["direct"]["sys_s"],
                    ap["honyaku"]["wall_s"], ap["honyaku"]["cpu_s"].get("honyakud", 0),
                    sum(v for k, v in ap["honyaku"]["cpu_s"].items() if k.startswith("worker")))]
    pr = res.get("prepare")
    if pr:
        out += ["", "**5. bench_segment on one %d-byte article**: `%s`" % (pr["bytes"], pr["output"].splitlines()[-1])]
    sc = res.get("scale", [])
    if sc:
        out += ["", "**6. Size** (rate by quarter of the jobs, in order of finishing; RSS = VmRSS mean over the "
                "first and last tenth of the run)", "",
                "| articles | wall s | ms/article | articles/s by quarter | store KiB/article (db + WAL) "
                "| peak RSS MiB | RSS first → last tenth, MiB | honyakud CPU ms/article | workers CPU ms/article |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for h in sc:
            n = h["articles"]
            q = [0.0] + h["quarters_s"]
            rates = ["%.0f" % ((n / 4) / (q[i + 1] - q[i])) if q[i + 1] > q[i] else "–" for i in range(4)]
            out.append("| %d%s | %.1f | %.3f | %s | %.1f | %s | %s | %.3f | %.3f |" % (
                n, " (again)" if h.get("again") else "", h["wall_s"], h["ms_per_article"], " / ".join(rates),
                (h["store"]["db"] + h["store"]["db-wal"]) / n / 1024,
                ", ".join("%s %.1f" % kv for kv in h["hwm_mib"].items()),
                ", ".join("%s %.1f → %.1f" % (k, a, b) for k, (a, b) in h["rss_first_last"].items()),
                h["cpu_s"].get("honyakud", 0) * 1e3 / n,
                sum(v for k, v in h["cpu_s"].items() if k.startswith("worker")) * 1e3 / n))
    return out


def plot(res, out_dir):
    """OUT/perf.png: segments/s against concurrency and against latency."""
    if not shutil.which("gnuplot"):
        raise PerfError("gnuplot is not installed (Debian gnuplot-nox, scripts/deps.sh): no plot")
    sweep = res.get("sweep", [])
    first = sorted(res.get("first", []), key=lambda r: r["latency_ms"])
    with open(os.path.join(out_dir, "sweep.dat"), "w") as f:
        for s in sweep:
            f.write("%d %g %g %g\n" % (s["concurrency"], s["ideal"] or 0, s["direct"]["seg_per_s"],
                                       s["honyaku"]["seg_per_s"]))
    with open(os.path.join(out_dir, "latency.dat"), "w") as f:
        for r in first:
            # 0 ms cannot sit on a log axis: it is drawn at 0.5 ms.
            f.write("%g %g %g\n" % (r["latency_ms"] or 0.5, r["direct"]["seg_per_s"], r["honyaku"]["seg_per_s"]))
    lat = sweep[0]["latency_ms"] if sweep else 0
    script = """set terminal pngcairo size 1400,560 font ",11"
set output "perf.png"
set multiplot layout 1,2 title "honyaku against a direct client of the same server (2 workers)"
set logscale xy 2
set grid
set key top left
set xlabel "requests in flight (concurrency)"
set ylabel "segments/s"
set title "one text a request, %d ms latency"
plot "sweep.dat" using 1:2 with lines dt 2 lw 2 lc rgb "gray40" title "ideal: concurrency / latency", \\
     "" using 1:3 with linespoints lw 2 lc rgb "#1f77b4" title "direct client", \\
     "" using 1:4 with linespoints lw 2 lc rgb "#d62728" title "honyaku"
set logscale x 10
set logscale y 10
set xlabel "backend latency, ms (0 ms drawn at 0.5)"
set xrange [0.3:200]
set title "50 texts a request, 16 connections"
plot "latency.dat" using 1:2 with linespoints lw 2 lc rgb "#1f77b4" title "direct client", \\
     "" using 1:3 with linespoints lw 2 lc rgb "#d62728" title "honyaku"
unset multiplot
""" % lat
    with open(os.path.join(out_dir, "perf.gp"), "w") as f:
        f.write(script)
    if not sweep or not first:
        return None
    r = subprocess.run(["gnuplot", "perf.gp"], cwd=out_dir, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise PerfError("gnuplot failed: %s" % r.stderr.decode("utf-8", "replace")[-500:])
    return os.path.join(out_dir, "perf.png")


# ------------------------------------------------------------------ main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("honyakud", "worker", "testserver", "bench-load", "bench-segment"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--out", default="perf-out", help="where perf.md, perf.json and perf.png go")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    ap.add_argument("--smoke", action="store_true", help="toy sizes, to prove the harness (seconds)")
    ap.add_argument("--only", default="1,2,3,4,5,6", help="measurements to run (2 and 3 need 1)")
    ap.add_argument("--articles", type=int, help="articles of the first run (300)")
    ap.add_argument("--sentences", type=int, help="sentences per article (30)")
    ap.add_argument("--texts-per-request", type=int, default=50)
    ap.add_argument("--connections", type=int, default=16, help="and the profile's concurrency")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--latencies", help="ms, comma list (0,20,100)")
    ap.add_argument("--sweep", help="concurrency levels (1,2,4,...,256)")
    ap.add_argument("--sweep-latency", type=int, help="ms (100)")
    ap.add_argument("--rounds", type=int, help="sweep: segments = rounds x concurrency (30)")
    ap.add_argument("--apy-articles", type=int, help="articles sent to Apertium (10)")
    ap.add_argument("--apy-concurrency", type=int, default=4, help="the apertium type's default")
    ap.add_argument("--prepare-mb", type=float, help="MB through bench_segment (20)")
    ap.add_argument("--scale", help="article counts of measurement 6 (10000,100000)")
    ap.add_argument("--window", type=int, default=1000, help="measurement 6: jobs out at once")
    ap.add_argument("--to", default="de")
    ap.add_argument("--log-level", default="info", help="honyakud's (info is its default)")
    ap.add_argument("--timeout", type=int, default=3600, help="s, per load")
    ap.add_argument("--profile", choices=["perf", "stat", "strace"])
    ap.add_argument("--perf-events", default="task-clock,context-switches,cpu-migrations,page-faults",
                    help="--profile stat: perf stat's events (e.g. uprobes made with perf probe)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    sizes = {  # full, quick, smoke
        "articles": (300, 300, 8), "sentences": (30, 30, 5), "latencies": ("0,20,100", "0,100", "0,20"),
        "sweep": ("1,2,4,8,16,32,64,128,256", "1,4,16,64,256", "1,4"), "sweep_latency": (100, 100, 20),
        "rounds": (30, 20, 3), "apy_articles": (10, 5, 1), "prepare_mb": (20, 5, 0.2),
        "scale": ("10000,100000", "1000,10000", "20,60")}
    pick = 2 if args.smoke else 1 if args.quick else 0
    for k, v in sizes.items():
        if getattr(args, k) is None:
            setattr(args, k, v[pick])
    args.latencies = [int(x) for x in str(args.latencies).split(",") if x]
    args.sweep = [int(x) for x in str(args.sweep).split(",") if x]
    args.scale = [int(x) for x in str(args.scale).split(",") if x]
    args.only = {int(x) for x in args.only.split(",") if x}
    args.out = os.path.abspath(args.out)
    return args


def main():
    args = parse_args()
    for name in ("honyakud", "worker", "testserver", "bench_load", "bench_segment"):
        if not os.access(getattr(args, name), os.X_OK):
            print("perf.py: --%s %s: not an executable" % (name.replace("_", "-"), getattr(args, name)),
                  file=sys.stderr)
            return 2
    if 4 in args.only and args.smoke and not apy_installed():
        print("perf.py: Apertium APy is not installed: skipped (apertium-apy, scripts/deps.sh)", file=sys.stderr)
        return SKIP
    os.makedirs(args.out, exist_ok=True)

    def on_term(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    # Also SIGINT: a shell starts a background job with SIGINT ignored.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    bench = Bench(args)
    res = bench.results
    load0 = os.getloadavg()
    res["config"] = {"machine": platform.platform(), "cores": os.cpu_count(), "load_before": load0,
                     "args": {k: v for k, v in vars(args).items() if not isinstance(v, set)},
                     "only": sorted(args.only), "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    print("perf.py: %d articles x %d sentences (+ title), %d texts a request, %d connections, %d workers; "
          "%s, %d cores, load %.2f %.2f %.2f" % (args.articles, args.sentences, args.texts_per_request,
                                                 args.connections, args.workers, platform.platform(),
                                                 os.cpu_count(), *load0), flush=True)
    t0 = time.monotonic()
    try:
        bench.start_testserver()
        if 1 in args.only:
            for lat in args.latencies:
                bench.first_run(lat, keep=lat == 0 and bool({2, 3} & args.only))
            bench.sweep()
        if 4 in args.only:
            bench.apertium()
        if 5 in args.only:
            bench.prepare()
        if 6 in args.only:
            bench.scale()
    except (PerfError, TimeoutError) as e:
        print("perf.py: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("perf.py: interrupted: everything it started is stopped", file=sys.stderr)
        return 130
    finally:
        bench.close()
    res["config"]["load_after"] = os.getloadavg()
    res["config"]["seconds"] = time.monotonic() - t0
    rows = report(res, args)
    lines = ["# perf.py, %s" % res["config"]["when"], "",
             "%s, %d cores; load average %.2f before, %.2f after; %.0f s. %d articles × %d sentences "
             "(+ a title), %d texts a request, %d connections = profile concurrency, %d workers."
             % (res["config"]["machine"], os.cpu_count(), load0[0], res["config"]["load_after"][0],
                res["config"]["seconds"], args.articles, args.sentences, args.texts_per_request,
                args.connections, args.workers),
             "", "| measurement | measured | baseline (same run) | ratio | target | result |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| %s |" % " | ".join(r) for r in rows]
    lines += details(res)
    try:
        png = plot(res, args.out)
    except PerfError as e:
        print("perf.py: %s" % e, file=sys.stderr)
        return 1
    if png:
        lines += ["", "Plot: %s" % png]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    with open(os.path.join(args.out, "perf.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.out, "perf.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1, default=str)
    missed = [r for r in rows if r[5] == "FAIL"]
    if args.strict and missed:
        print("perf.py: %d targets missed" % len(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

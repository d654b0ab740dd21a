#!/usr/bin/python3
"""drills.py: an operator's fault drills against the real processes
(issue 7's "how we will check it"), with a report of figures.

    drills.py --honyakud PATH --worker PATH --client PATH --testserver PATH
              [--only a,b,...] [--articles 60] [--seed 3]

Every drill runs a fresh honyakud (--workers 2, the real honyaku-worker)
on a private state directory, mostly against hny-testserver speaking
DeepL's API with 50 ms latency, and feeds it a generated set of Japan
Press Weekly pages (bench_bulk.py's generator) with `honyaku batch`. A
monitor asks STATUS every 100 ms throughout and records the slowest
answer. Then it checks, against a clean run of the same pages:

  * every page done exactly once: one job per page, no failed job;
  * records identical to the clean run's (sources, targets, metadata;
    job ids and times aside);
  * texts the service translated more than once ("billed twice"): the
    server's texts minus the clean run's;
  * the slowest STATUS answer, and peak RSS of honyakud.

Drills: clean (the reference), worker_kill (kill -9 a worker ten times
mid-batch), broker_kill (kill -9 honyakud mid-batch, restart),
sigterm (SIGTERM mid-batch, restart), quota456 (DeepL answers 456 for
15 s), hung (a fifth of the requests hang until the worker's timeout),
slow_lease (every answer takes 2.5 s, the lease is 1 s), fulldisk (a
2 MiB tmpfs state disk that fills, grown to 64 MiB once SUBMITs get 507),
submits (5 clients submit 1,000 pages each, pseudo backend), big190k (a
190,000-sentence article), big1m (a 1,000,000-sentence article: refused
413 with bounded memory), bodies (12 MiB and 64 MiB files: answered 413).

A benchmark, not a test: it prints the figures and a Markdown table, and
exits 1 when a check fails. Run it with `cmake --build BUILD --target
drills`. Needs root for the tmpfs of `fulldisk` (skipped otherwise)."""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
from hnyfix import Fixture, poll  # noqa: E402
from test_daemon_util import Client  # noqa: E402
import bench_bulk  # noqa: E402

KEY = "drill-key"


def rss_kb(pid):
    """Peak RSS (VmHWM) of a process in kB, 0 when it is gone."""
    return bench_bulk.status_kb(pid, "VmHWM") or 0


children = bench_bulk.children


class Monitor(threading.Thread):
    """STATUS every 100 ms on a socket of its own; the slowest answer and
    the answers that took over a second."""

    def __init__(self, front):
        super().__init__(daemon=True)
        self.front = front
        self.stop_flag = False
        self.worst = 0.0
        self.slow = 0
        self.samples = 0
        self.paused_seen = None

    def run(self):
        c = Client(self.front)
        while not self.stop_flag:
            t0 = time.monotonic()
            try:
                st = c.status()
                took = time.monotonic() - t0
                self.samples += 1
                self.worst = max(self.worst, took)
                self.slow += took > 1.0
                for p in st.get("profiles", []):
                    if p.get("paused") and not self.paused_seen:
                        self.paused_seen = p["paused"]
            except AssertionError:
                # The daemon is down (a drill killed it): a fresh socket.
                c.close()
                c = Client(self.front)
            time.sleep(0.1)
        c.close()


class Drill:
    def __init__(self, args, name, backend="deepl", latency_ms=50, daemon_conf="", profile_conf="",
                 state_dir=None):
        self.args = args
        self.name = name
        self.fx = Fixture("drill-" + name)
        self.state = state_dir or self.fx.path("state")
        self.server = None
        if backend == "deepl":
            self.server_proc, port = self.fx.start_testserver(args.testserver, "--key", KEY,
                                                              "--latency-ms", str(latency_ms),
                                                              "--quota", "100000000")
            self.server = "http://127.0.0.1:%d" % port
        conf = "[daemon]\nheartbeat_ms = 500\nmax_jobs_in_flight = 64\n" + daemon_conf
        if backend == "deepl":
            conf += ("default_backend = deepl\n\n[backend.deepl]\ntype = deepl\nurl = %s\n"
                     "key_env = HNY_DRILL_KEY\nconcurrency = 8\nretry_base_ms = 200\nretries = 8\n%s"
                     % (self.server, profile_conf))
        self.conf = self.fx.write("honyaku.conf", conf)
        self.env = dict(os.environ, HNY_DRILL_KEY=KEY)
        self.daemon = None
        self.monitor = None
        self.front = "ipc://" + os.path.join(self.state, "front")
        self.rss = 0

    def start(self):
        self.daemon = self.fx.spawn([self.args.honyakud, "--state", self.state, "--workers", "2",
                                     "--config", self.conf], "honyakud.log", env=self.env)
        c = Client(self.front)

        def up():
            if self.daemon.poll() is not None:
                raise RuntimeError("honyakud exited: " + self.fx.log("honyakud.log")[-2000:])
            try:
                return c.status()["workers"] == 2
            except AssertionError:
                return False
        poll("honyakud with 2 workers", up, 30)
        c.close()
        if not self.monitor:
            self.monitor = Monitor(self.front)
            self.monitor.start()

    def note_rss(self):
        if self.daemon and self.daemon.poll() is None:
            self.rss = max(self.rss, rss_kb(self.daemon.pid))

    def stats(self):
        with urllib.request.urlopen(self.server + "/_stats", timeout=10) as r:
            return json.loads(r.read())

    def faults(self, **plan):
        req = urllib.request.Request(self.server + "/_faults", data=json.dumps(plan).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def batch(self, src, out, extra=()):
        argv = [self.args.client, "--endpoint", self.front, "batch", src, "--from", "en", "--to", "ja",
                "--out", out, "--format", "text"] + list(extra)
        log = open(self.fx.path("batch-%s.log" % os.path.basename(out)), "ab")
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env)

    def close(self):
        if self.monitor:
            self.monitor.stop_flag = True
            self.monitor.join(5)
        self.note_rss()
        self.fx.close()


def normalized(rec):
    """What must be the same as in the clean run: sources, targets,
    metadata and errors. Not how the work went: job ids, stats, and
    whether a pair came from the TM (work redone after a fault may find
    in the TM what the clean run translated in flight)."""
    meta = {k: v for k, v in rec["metadata"].items() if k != "source"}
    title = rec["title"] and (rec["title"]["src"], rec["title"]["tgt"])
    return json.dumps({"title": title, "metadata": meta,
                       "paragraphs": [[(s["src"], s["tgt"]) for s in p["segments"]]
                                      for p in rec["paragraphs"]],
                       "errors": rec["errors"]}, sort_keys=True)


def records(out):
    """The records of a batch by page: `batch` sends each page's path
    relative to its folder as the source."""
    recs = {}
    with open(os.path.join(out, "records.jsonl"), encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            recs[rec["metadata"]["source"]] = rec
    return recs


class Result:
    def __init__(self, name):
        self.name = name
        self.rows = {}
        self.failures = []

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


def run_batch_drill(args, name, pages, reference, action=None, **drill_kw):
    """Start a drill's daemon, run `batch` over pages, call action(drill,
    proc, out) while it runs, wait, and compare with the reference."""
    res = Result(name)
    d = Drill(args, name, **drill_kw)
    try:
        d.start()
        out = d.fx.path("out")
        t0 = time.monotonic()
        proc = d.batch(pages, out)
        if action:
            action(d, proc, out, res)
        rc = proc.wait(args.batch_timeout)
        took = time.monotonic() - t0
        d.note_rss()
        res.check(rc == 0, "batch exited %d: %s" % (rc, d.fx.log("batch-out.log")[-800:]))
        recs = records(out) if os.path.exists(os.path.join(out, "records.jsonl")) else {}
        c = Client(d.front)
        jobs = c.status()["jobs"]
        c.close()
        n = len(reference["records"])
        res.check(len(recs) == n, "%d records for %d pages" % (len(recs), n))
        res.check(jobs == {"done": n}, "jobs %s for %d pages" % (jobs, n))
        diff = [k for k, r in recs.items() if normalized(r) != reference["records"].get(k)]
        res.check(not diff, "%d records differ from the clean run (%s)" % (len(diff), diff[:3]))
        twice = None
        if d.server:
            st = d.stats()
            texts = st["texts"] - st["texts_spoiled"]
            twice = texts - reference["texts"]
        res.rows = {"time_s": round(took, 1), "pages": n, "done": jobs.get("done", 0),
                    "differ": len(diff), "billed_twice": twice,
                    "status_worst_s": round(d.monitor.worst, 3), "status_over_1s": d.monitor.slow,
                    "honyakud_rss_mb": round(d.rss / 1024, 1)}
        if d.monitor.paused_seen:
            res.rows["paused_said"] = d.monitor.paused_seen[:60]
    finally:
        d.close()
    return res


def clean(args, pages):
    d = Drill(args, "clean")
    try:
        d.start()
        out = d.fx.path("out")
        t0 = time.monotonic()
        rc = d.batch(pages, out).wait(args.batch_timeout)
        if rc != 0:
            raise RuntimeError("the clean run failed: " + d.fx.log("batch-out.log")[-2000:])
        st = d.stats()
        ref = {"records": {k: normalized(r) for k, r in records(out).items()},
               "texts": st["texts"] - st["texts_spoiled"], "time_s": time.monotonic() - t0}
    finally:
        d.close()
    res = Result("clean")
    res.rows = {"time_s": round(ref["time_s"], 1), "pages": len(ref["records"]), "done": len(ref["records"]),
                "differ": 0, "billed_twice": 0, "texts": ref["texts"]}
    return ref, res


def progress(d):
    """Texts the server translated so far."""
    return d.stats()["texts"]


def wait_progress(d, res, share, total):
    poll("%d%% of the texts" % int(share * 100), lambda: progress(d) >= share * total, 120, 0.05)


# ------------------------------------------------------------- the drills

def worker_kill(args, pages, ref):
    """Ten kills spread over the batch: each once the texts moved on by 8 %
    of the run and a worker has requests in flight."""
    def action(d, proc, out, res):
        for k in range(10):
            wait_progress(d, res, 0.08 * (k + 1), ref["texts"])
            poll("requests in flight", lambda: d.stats()["in_flight"] > 0, 60, 0.01)
            kids = children(d.daemon.pid)
            if kids:
                os.kill(random.Random(k).choice(kids), signal.SIGKILL)
    return run_batch_drill(args, "worker_kill", pages, ref, action, latency_ms=200)


def broker_kill(args, pages, ref):
    def action(d, proc, out, res):
        wait_progress(d, res, 0.35, ref["texts"])
        d.note_rss()
        d.daemon.kill()
        d.daemon.wait()
        # Its orphaned workers notice within 3 heartbeats and exit with it
        # (PR_SET_PDEATHSIG); the new honyakud starts its own.
        d.start()
    return run_batch_drill(args, "broker_kill", pages, ref, action, latency_ms=200)


def sigterm(args, pages, ref):
    def action(d, proc, out, res):
        wait_progress(d, res, 0.35, ref["texts"])
        d.note_rss()
        t0 = time.monotonic()
        d.daemon.send_signal(signal.SIGTERM)
        rc = d.daemon.wait(30)
        res.rows_extra = {"sigterm_exit_s": round(time.monotonic() - t0, 2), "sigterm_rc": rc}
        res.check(rc == 0, "honyakud exited %d on SIGTERM" % rc)
        d.start()
    r = run_batch_drill(args, "sigterm", pages, ref, action, latency_ms=200)
    r.rows.update(getattr(r, "rows_extra", {}))
    return r


def quota456(args, pages, ref):
    def action(d, proc, out, res):
        wait_progress(d, res, 0.2, ref["texts"])
        d.faults(rate=1.0, kinds=["456"])
        t_quota = time.monotonic()
        time.sleep(15)          # the drill: the quota is gone for 15 s
        before = progress(d)
        d.faults(rate=0.0)
        t_back = time.monotonic()
        poll("translations after the quota is back", lambda: progress(d) > before, 120, 0.05)
        res.rows_extra = {"resumed_after_s": round(time.monotonic() - t_back, 2),
                          "quota_out_s": round(t_back - t_quota, 1)}
    r = run_batch_drill(args, "quota456", pages, ref, action)
    r.rows.update(getattr(r, "rows_extra", {}))
    r.check("paused_said" in r.rows, "STATUS never said the profile was paused")
    return r


def hung(args, pages, ref):
    def action(d, proc, out, res):
        d.faults(rate=0.2, kinds=["hang"], seed=5)
    return run_batch_drill(args, "hung", pages, ref, action, profile_conf="timeout_ms = 2000\n")


def slow_lease(args, pages, ref):
    r = run_batch_drill(args, "slow_lease", pages, ref, None, latency_ms=2500,
                        daemon_conf="lease_ms = 1000\n", profile_conf="timeout_ms = 10000\n")
    return r


def fulldisk(args, pages, ref):
    """A 2 MiB tmpfs state disk, 1.6 MiB of it taken by a ballast file:
    the pages do not fit (about 5 KiB of store each, and the WAL). Once
    SUBMITs get 507 the volume grows to 64 MiB, as an operator would make
    room; the daemon must find out by itself."""
    if os.geteuid() != 0:
        r = Result("fulldisk")
        r.rows = {"skipped": "needs root for a tmpfs"}
        return r
    base = Fixture("drill-disk")
    state = base.path("state")
    os.makedirs(state, mode=0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", state], check=True)
    with open(os.path.join(state, "ballast"), "wb") as f:
        f.write(b"\0" * (1600 << 10))
    seen = {}

    def action(d, proc, out, res):
        poll("a SUBMIT answered 507", lambda: "cannot take writes" in d.fx.log("honyakud.log"), 300, 0.05)
        c = Client(d.front)
        seen["store"] = c.status()["store"]
        seen["done_then"] = c.status()["jobs"].get("done", 0)
        c.close()
        subprocess.run(["mount", "-o", "remount,size=64m", state], check=True)
        t0 = time.monotonic()
        poll("the store to take writes", lambda: Client(d.front).status()["store"] == "ok", 60, 0.05)
        seen["recovered_after_s"] = round(time.monotonic() - t0, 2)
    try:
        r = run_batch_drill(args, "fulldisk", pages, ref, action, state_dir=state)
        r.rows.update(seen)
        r.check(seen.get("store") == "full", "STATUS did not say the store was full: %s" % seen)
    finally:
        subprocess.run(["umount", "-l", state])
        base.close()
    return r


def submits(args, pages, ref):
    """5 clients, 1,000 pages each, at once (pseudo backend: no latency)."""
    res = Result("submits")
    d = Drill(args, "submits", backend="pseudo")
    try:
        d.start()
        dirs = []
        for k in range(5):
            src = d.fx.path("pages%d" % k)
            bench_bulk.generate(src, 1000, 100 + k)
            dirs.append(src)
        t0 = time.monotonic()
        procs = [d.batch(src, d.fx.path("out%d" % k)) for k, src in enumerate(dirs)]
        rcs = [p.wait(args.batch_timeout) for p in procs]
        took = time.monotonic() - t0
        d.note_rss()
        c = Client(d.front)
        jobs = c.status()["jobs"]
        c.close()
        res.check(rcs == [0] * 5, "batch exit codes %s" % rcs)
        res.check(jobs == {"done": 5000}, "jobs %s" % jobs)
        res.rows = {"time_s": round(took, 1), "pages": 5000, "done": jobs.get("done", 0),
                    "status_worst_s": round(d.monitor.worst, 3), "status_over_1s": d.monitor.slow,
                    "honyakud_rss_mb": round(d.rss / 1024, 1)}
    finally:
        d.close()
    return res


def big_article(args, name, sentences, expect):
    res = Result(name)
    d = Drill(args, name, backend="pseudo")
    try:
        d.start()
        path = d.fx.path("big.txt")
        with open(path, "w") as f:
            f.write("A very long report\n\n")
            for p in range(0, sentences, 50):
                if expect == "done":
                    f.write(" ".join("Item %d is here." % i for i in range(p, min(sentences, p + 50))))
                else:
                    f.write(" ".join(["Yes."] * min(50, sentences - p)))
                f.write("\n\n")
        size = os.path.getsize(path)
        c = Client(d.front)
        t0 = time.monotonic()
        job = c.accepted(open(path, "rb").read(), to="ja", key=name)["job"]
        state = c.wait(job, 600000)["state"]
        took = time.monotonic() - t0
        st = c.status(job)
        c.close()
        d.note_rss()
        workers = max([rss_kb(p) for p in children(d.daemon.pid)] or [0])
        res.check(state == expect, "%s ended %s: %s" % (name, state, st.get("error")))
        if expect == "failed":
            res.check("more than 200000" in (st.get("error") or ""), "error: %s" % st.get("error"))
        res.rows = {"time_s": round(took, 1), "bytes": size, "segments": st["segments"],
                    "state": state, "status_worst_s": round(d.monitor.worst, 3),
                    "status_over_1s": d.monitor.slow, "honyakud_rss_mb": round(d.rss / 1024, 1),
                    "worker_rss_mb": round(workers / 1024, 1)}
        if st.get("error"):
            res.rows["error"] = st["error"][:60]
    finally:
        d.close()
    return res


def bodies(args, pages, ref):
    res = Result("bodies")
    d = Drill(args, "bodies", backend="pseudo")
    try:
        d.start()
        rows = {}
        for mib in (12, 64):
            path = d.fx.path("body%d.txt" % mib)
            with open(path, "wb") as f:
                f.write(b"word " * (mib * 1024 * 1024 // 5))
            t0 = time.monotonic()
            r = subprocess.run([args.client, "--endpoint", d.front, "--max-bytes", "1G", "submit", path,
                                "--from", "en", "--to", "ja"], capture_output=True, timeout=60)
            took = time.monotonic() - t0
            err = (r.stdout + r.stderr).decode("utf-8", "replace").strip().splitlines()
            rows["%dMiB" % mib] = "%.2f s: %s" % (took, err[-1][:70] if err else "")
            res.check(r.returncode != 0 and took < 10, "%d MiB: rc %d in %.1f s" % (mib, r.returncode, took))
        c = Client(d.front)
        res.check(c.status()["jobs"] == {}, "a job was made")
        c.close()
        res.rows = rows
    finally:
        d.close()
    return res


DRILLS = ["worker_kill", "broker_kill", "sigterm", "quota456", "hung", "slow_lease", "fulldisk",
          "submits", "big190k", "big1m", "bodies"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--honyakud", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--testserver", required=True)
    ap.add_argument("--only", default=",".join(DRILLS))
    ap.add_argument("--articles", type=int, default=60)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--batch-timeout", type=float, default=900)
    args = ap.parse_args()
    os.environ["HONYAKU_WORKER"] = args.worker
    wanted = args.only.split(",")
    root = Fixture("drill-pages")
    results = []
    try:
        pages = root.path("pages")
        bench_bulk.generate(pages, args.articles, args.seed)
        ref, res = clean(args, pages)
        results.append(res)
        table = {
            "worker_kill": lambda: worker_kill(args, pages, ref),
            "broker_kill": lambda: broker_kill(args, pages, ref),
            "sigterm": lambda: sigterm(args, pages, ref),
            "quota456": lambda: quota456(args, pages, ref),
            "hung": lambda: hung(args, pages, ref),
            "slow_lease": lambda: slow_lease(args, pages, ref),
            "fulldisk": lambda: fulldisk(args, pages, ref),
            "submits": lambda: submits(args, pages, ref),
            "big190k": lambda: big_article(args, "big190k", 190000, "done"),
            "big1m": lambda: big_article(args, "big1m", 1000000, "failed"),
            "bodies": lambda: bodies(args, pages, ref),
        }
        for name in DRILLS:
            if name not in wanted:
                continue
            print("== %s" % name, flush=True)
            try:
                r = table[name]()
            except Exception as e:      # a drill that broke is a failed drill
                r = Result(name)
                r.failures.append("%s: %s" % (type(e).__name__, e))
            results.append(r)
            print("   %s %s" % (json.dumps(r.rows), "FAILED: " + "; ".join(r.failures) if r.failures else "ok"),
                  flush=True)
    finally:
        root.close()
    print("\n| drill | result | figures |\n|---|---|---|")
    for r in results:
        print("| %s | %s | %s |" % (r.name, "FAILED: " + "; ".join(r.failures) if r.failures else "ok",
                                   ", ".join("%s %s" % (k, v) for k, v in r.rows.items())))
    sys.exit(1 if any(r.failures for r in results) else 0)


if __name__ == "__main__":
    main()

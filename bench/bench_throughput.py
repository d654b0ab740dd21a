#!/usr/bin/python3
"""bench_throughput.py: translation throughput of the whole pipeline against
backend latency and profile concurrency (issue 4).

    bench_throughput.py --honyakud PATH --worker PATH --testserver PATH
                        [--latency-ms 100] [--concurrency 1,2,4,8,16]
                        [--articles 20] [--sentences 10] [--workers 2]
                        [--credit 64] [--type deepl|libretranslate]

Runs real processes: hny-testserver (the project's API test server) on a free
loopback port, and for each concurrency setting a fresh honyakud with a fresh
state directory (so the translation memory starts empty) and --workers N real
honyaku-worker processes. The profile has max_texts = 1, so one segment is
one HTTP request. A pyzmq client (proto/PROTOCOL.md) SUBMITs every article,
pipelined on one DEALER, sends a WAIT for each job as it is ACCEPTED, and
takes the wall time from the first SUBMIT to the last DONE. The figures of a
setting are: segments per second (segments = texts the server translated in
that run), the ideal concurrency / latency, their ratio, and the server's
in_flight_max. A last run at 0 ms latency with the largest concurrency shows
the pipeline's own ceiling. Every process is stopped and the temporary
directory removed at the end, also on error.

This is a benchmark, not a test: it prints a table (Markdown) and exits 0
when every job finished "done" with correct translations, 1 otherwise. It is
run by the CMake target bench_throughput, never by CTest.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import zmq

SIGNATURE = b"HNY/1"
KEY = "bench-key"                 # the testserver's only key, given via key_env
KEY_ENV = "HNY_BENCH_KEY"
START_TIMEOUT_S = 30.0            # testserver and daemon start-up, per run
RUN_TIMEOUT_S = 120.0             # one setting, from first SUBMIT to last DONE


class BenchError(Exception):
    pass


def xlate(text, target):
    """The testserver's deterministic translation (tests/testserver/README.md)."""
    return "【" + target.lower() + "】" + "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


def article_text(run, a, sentences):
    """One article of `sentences` unique sentences in two paragraphs. Each
    sentence carries the run and article numbers, so that no two runs or
    articles share a segment (no translation-memory hit, no dedup)."""
    words = ["council", "ministry", "union", "court", "assembly", "committee",
             "mayor", "governor", "party", "panel"]
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    out = []
    for s in range(sentences):
        out.append("The %s of district %d met on %s to discuss proposal %d of series %d."
                   % (words[s % len(words)], a * 100 + s, days[(a + s) % len(days)],
                      s + 1, run * 1000 + a))
        if s == sentences // 2 - 1:
            out.append("\n\n")
        else:
            out.append(" ")
    return "".join(out).strip() + "\n"


def http_json(url, payload=None, timeout=10):
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8") or "{}")


class Procs:
    """The temporary directory and the processes started in it; close()
    stops them (SIGTERM, then SIGKILL after a deadline) and removes it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hnybench.", dir="/tmp")
        self.procs = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, log_name, env=None, stdout=None):
        log = open(self.path(log_name), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else log,
                             stderr=log, env=env)
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10.0):
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


class Client:
    """One DEALER on the broker's front endpoint; replies matched by "req"."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.next_req = 1

    def close(self):
        self.sock.close(0)

    def send(self, command, header, body=None):
        req = self.next_req
        self.next_req += 1
        frames = [SIGNATURE, command.encode("ascii"),
                  json.dumps(dict(header, req=req), ensure_ascii=False).encode("utf-8")]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)
        return req

    def recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
            raise BenchError("no reply from honyakud before the deadline")
        frames = self.sock.recv_multipart()
        if len(frames) not in (3, 4) or frames[0] != SIGNATURE:
            raise BenchError("malformed reply: %r" % frames[:3])
        return frames[1].decode("ascii"), json.loads(frames[2]), (frames[3] if len(frames) == 4 else None)

    def request(self, command, header, timeout=10.0):
        req = self.send(command, header)
        deadline = time.monotonic() + timeout
        while True:
            cmd, hdr, body = self.recv(deadline)
            if hdr.get("req") == req:
                return cmd, hdr, body


def config_text(args, url, concurrency):
    return ("[daemon]\nheartbeat_ms = 500\nlog_level = warn\ndefault_backend = bench\n"
            "max_jobs_in_flight = 1000\n\n"
            "[worker]\ncredit = %d\n\n"
            "[backend.bench]\ntype = %s\nurl = %s\nkey_env = %s\n"
            "concurrency = %d\nmax_texts = 1\nretries = 1\ntimeout_ms = 30000\n"
            % (args.credit, args.type, url, KEY_ENV, concurrency))


def run_setting(args, procs, ctx, ts_url, run, concurrency, latency_ms, articles):
    """One fresh daemon; returns the figures of one table row."""
    http_json(ts_url + "/_reset", {})
    http_json(ts_url + "/_faults", {"latency_ms": latency_ms})
    state = procs.path("state%d" % run)
    conf = procs.path("honyaku%d.conf" % run)
    with open(conf, "w", encoding="utf-8") as f:
        f.write(config_text(args, ts_url, concurrency))
    env = dict(os.environ)
    env[KEY_ENV] = KEY
    env["HONYAKU_WORKER"] = args.worker
    log_name = "honyakud%d.log" % run
    daemon = procs.spawn([args.honyakud, "--state", state, "--config", conf,
                          "--workers", str(args.workers)], log_name, env=env)
    client = Client(ctx, "ipc://" + os.path.join(state, "front"))
    try:
        # Handshake: the broker answers STATUS and every worker registered.
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if daemon.poll() is not None:
                raise BenchError("honyakud exited %d:\n%s" % (daemon.returncode, procs.log_tail(log_name)))
            try:
                cmd, st, _ = client.request("STATUS", {}, timeout=1.0)
                if cmd == "STATUS" and st.get("workers", 0) >= args.workers:
                    break
            except BenchError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("honyakud not ready with %d workers:\n%s"
                                 % (args.workers, procs.log_tail(log_name)))
            time.sleep(0.05)

        texts = {a: article_text(run, a, args.sentences) for a in range(articles)}
        t0 = time.monotonic()
        reqs = {}
        for a, text in texts.items():
            reqs[client.send("SUBMIT", {"from": "en", "to": args.to, "format": "text",
                                        "key": "bench-%d-%d" % (run, a)},
                             text.encode("utf-8"))] = a
        deadline = t0 + RUN_TIMEOUT_S
        jobs, waits, finished = {}, {}, {}
        t_last = None
        while len(finished) < len(texts):
            cmd, hdr, _ = client.recv(deadline)
            req = hdr.get("req")
            if cmd == "ACCEPTED" and req in reqs:
                job = hdr["job"]
                jobs[job] = reqs[req]
                waits[client.send("WAIT", {"job": job, "timeout_ms": int(RUN_TIMEOUT_S * 1000)})] = job
            elif cmd == "DONE" and req in waits:
                if hdr.get("status") != 200:
                    raise BenchError("job %s: WAIT timed out" % waits[req])
                finished[waits[req]] = hdr.get("state")
                t_last = time.monotonic()
            else:
                raise BenchError("unexpected %s %s" % (cmd, json.dumps(hdr)))
        wall = t_last - t0

        bad = {j: s for j, s in finished.items() if s != "done"}
        if bad:
            raise BenchError("jobs not done: %s\n%s" % (bad, procs.log_tail(log_name)))
        # Check the records: every segment translated by the server, none from the TM.
        segments = 0
        for job in jobs:
            cmd, hdr, body = client.request("FETCH", {"job": job})
            if cmd != "RECORD" or body is None:
                raise BenchError("FETCH %s: %s %s" % (job, cmd, hdr))
            rec = json.loads(body)
            for p in rec["paragraphs"]:
                for s in p["segments"]:
                    if s.get("tm") or s.get("tgt") != xlate(s["src"], args.to):
                        raise BenchError("job %s: wrong segment %s" % (job, json.dumps(s, ensure_ascii=False)))
                    segments += 1
        stats = http_json(ts_url + "/_stats")
        if stats.get("violations"):
            raise BenchError("testserver violations: %s" % stats["violations"][:5])
        if stats["texts"] != stats["requests"]:
            raise BenchError("max_texts = 1 not kept: %d texts in %d requests"
                             % (stats["texts"], stats["requests"]))
        return {"concurrency": concurrency, "latency_ms": latency_ms, "jobs": len(jobs),
                "segments": segments, "requests": stats["requests"], "wall_s": wall,
                "seg_per_s": stats["texts"] / wall, "in_flight_max": stats["in_flight_max"]}
    finally:
        client.close()
        procs.stop(daemon)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--honyakud", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--testserver", required=True)
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--concurrency", default="1,2,4,8,16")
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--sentences", type=int, default=10, help="sentences per article")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--credit", type=int, default=64, help="[worker] credit (tasks per worker)")
    ap.add_argument("--type", default="deepl", choices=["deepl", "libretranslate"])
    ap.add_argument("--to", default="de")
    ap.add_argument("--ceiling-articles", type=int, default=200,
                    help="articles of the 0 ms run (a larger set: it is over fast)")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the 0 ms run")
    args = ap.parse_args()
    levels = [int(x) for x in args.concurrency.split(",") if x]
    for path in (args.honyakud, args.worker, args.testserver):
        if not os.access(path, os.X_OK):
            print("bench_throughput: %s: not an executable" % path, file=sys.stderr)
            return 2

    procs = Procs()
    ctx = zmq.Context()
    rows = []
    try:
        ts = procs.spawn([args.testserver, "--port", "0", "--key", KEY], "testserver.log",
                         stdout=subprocess.PIPE)
        line = ts.stdout.readline().decode("ascii", "replace").strip()   # handshake
        if not line.startswith("PORT="):
            raise BenchError("hny-testserver did not print PORT=: %r\n%s"
                             % (line, procs.log_tail("testserver.log")))
        ts_url = "http://127.0.0.1:%d" % int(line[5:])

        plan = [(c, args.latency_ms, args.articles) for c in levels]
        if not args.no_ceiling:
            plan.append((max(levels), 0, args.ceiling_articles))
        print("bench_throughput: %s profile, max_texts = 1, %d articles x %d sentences, "
              "%d workers, credit %d, %s, %d cores"
              % (args.type, args.articles, args.sentences, args.workers, args.credit,
                 platform.platform(), os.cpu_count()), flush=True)
        for run, (conc, lat, articles) in enumerate(plan, 1):
            row = run_setting(args, procs, ctx, ts_url, run, conc, lat, articles)
            rows.append(row)
            print("  concurrency %2d, latency %3d ms: %4d segments in %6.2f s = %7.1f seg/s, "
                  "in_flight_max %d" % (conc, lat, row["segments"], row["wall_s"],
                                        row["seg_per_s"], row["in_flight_max"]), flush=True)
    except (BenchError, OSError, ValueError, KeyError) as e:
        print("bench_throughput: %s" % e, file=sys.stderr)
        return 1
    finally:
        procs.close()
        ctx.destroy(0)

    print()
    # efficiency: measured / (concurrency / latency). "vs in flight": measured /
    # (in_flight_max / latency), the pipeline's own efficiency at the
    # parallelism the server actually saw.
    print("| concurrency | latency | segments | wall s | segments/s | ideal c/latency | efficiency "
          "| in_flight_max | vs in flight |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["latency_ms"] > 0:
            ideal = r["concurrency"] * 1000.0 / r["latency_ms"]
            seen = r["in_flight_max"] * 1000.0 / r["latency_ms"]
            ideal_s, eff_s = "%.0f" % ideal, "%.0f %%" % (100.0 * r["seg_per_s"] / ideal)
            seen_s = "%.0f %%" % (100.0 * r["seg_per_s"] / seen)
        else:
            ideal_s, eff_s, seen_s = "–", "–", "–"
        print("| %d | %d ms | %d | %.2f | %.1f | %s | %s | %d | %s |"
              % (r["concurrency"], r["latency_ms"], r["segments"], r["wall_s"],
                 r["seg_per_s"], ideal_s, eff_s, r["in_flight_max"], seen_s))
    over = [r for r in rows if r["in_flight_max"] > r["concurrency"]]
    for r in over:
        print("finding: concurrency %d, but %d requests were in flight at once at the server"
              % (r["concurrency"], r["in_flight_max"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

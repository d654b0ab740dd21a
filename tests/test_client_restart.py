"""The honyaku command against the real honyakud when things go wrong.

usage: test_client_restart.py HONYAKUD HONYAKU [too_large|busy|restart]...

too_large: honyakud with max_article_bytes = 1048576. `honyaku submit` of a
  12 MiB article gets the broker's 413 at once (the front accepts frames up
  to the protocol's caps, so nothing hangs); a 64 MiB + 1 body is refused by
  the library before anything is sent. In `honyaku batch` each of them is
  one line of errors.txt and the other files complete.

busy: honyakud with max_jobs_queued = 4 (PROTOCOL.md section 8): `honyaku
  batch --window 16` gets 303 for the SUBMITs past the fourth unfinished
  job, tries again after a backoff, and finishes with every record and no
  job twice. Skipped (said so) with a honyakud that has no max_jobs_queued.

restart: `honyaku batch` over 200 generated articles, with honyakud
  SIGKILLed when some but not all are done (the pseudo profile is held to
  100 one-segment requests a second, so the batch takes about 3 s). While
  it is down, `honyaku status` says at once that nobody listens on the
  stale socket. honyakud is started again on the same state directory; the
  batch must reconnect, ask again about what was out, and finish: exit 0,
  every file exactly once in records.jsonl, in path order, as many jobs in
  the daemon as files. Its records are compared with those of a clean run
  on a fresh state directory. "Identical" means: equal after removing
  what says how the work went rather than what it produced, namely the job
  id (ids follow acceptance order, which a resubmission may change),
  stats.time_ms, stats.requests, stats.chars_billed, stats.tm_hits and each
  segment's "tm" flag (work that was in flight when honyakud died is done
  again, or found in the translation memory). Everything else (key,
  languages, metadata, every src and tgt, errors, segment and character
  counts) must be equal."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, read_jsonl, run  # noqa: E402

FILES = 200
BODY_MAX = 64 * 1024 * 1024
SLOW = """[daemon]
log_level = warn
[backend.pseudo]
rate = 100
max_texts = 1
"""
HOW_NOT_WHAT = ("time_ms", "requests", "chars_billed", "tm_hits")


def wait_up(fx, honyaku, env):
    def up():
        if fx.daemon.poll() is not None:
            raise AssertionError("honyakud exited with %d:\n%s" % (fx.daemon.returncode, fx.log("honyakud.log")))
        return run([honyaku, "--timeout", "300", "status"], env=env, check=False)[0] == 0
    poll("honyakud to answer STATUS", up, timeout=20)


def test_too_large(honyakud, honyaku):
    with Fixture("hnyrst") as fx:
        front = fx.start_daemon(honyakud, "[daemon]\nmax_article_bytes = 1048576\n", workers=1)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        try:
            wait_up(fx, honyaku, env)
            big = fx.write("big/b-12mib.txt", "A sentence of a long article.\n" * (12 * 1024 * 1024 // 30 + 1))
            size = os.path.getsize(big)
            t0 = time.monotonic()
            code, _, err = run([honyaku, "--max-bytes", "16M", "submit", big, "--from", "en", "--to", "es"],
                               env=env, check=False)
            took = time.monotonic() - t0
            want = "article of %d bytes is over max_article_bytes (1048576) (status 413)" % size
            assert code == 1 and err.strip() == "honyaku: submit: %s: %s" % (big, want) and took < 5, (code, err, took)
            print("too_large: 12 MiB SUBMIT answered 413 in %.2f s" % took)

            huge = fx.path("big", "c-huge.txt")
            with open(huge, "wb") as f:
                f.truncate(BODY_MAX + 1)
            fx.write("big/a-small.txt", "A small article.\n")
            fx.write("big/d-small.txt", "Another small article.\n")
            out = fx.path("out")
            t0 = time.monotonic()
            code, _, err = run([honyaku, "--max-bytes", "65M", "batch", fx.path("big"), "--from", "en",
                                "--to", "es", "--out", out], env=env, check=False, timeout=60)
            took = time.monotonic() - t0
            recs = read_jsonl(os.path.join(out, "records.jsonl"))
            assert [r["metadata"]["source"] for r in recs] == ["a-small.txt", "d-small.txt"], (recs, err)
            errs = open(os.path.join(out, "errors.txt")).read().splitlines()
            assert errs == ["b-12mib.txt\t" + want,
                            "c-huge.txt\tthe article is %d bytes, over the %d-byte (64 MiB) cap of the "
                            "protocol: not sent (status 413)" % (BODY_MAX + 1, BODY_MAX)], errs
            assert code == 1 and "2 done, 2 failed" in err, (code, err)
            print("too_large: batch with a 12 MiB and a 64 MiB + 1 file: %.2f s" % took)
            # The broker is still fine.
            _, st, _ = run([honyaku, "status", "--json"], env=env)
            assert sum(json.loads(st)["jobs"].values()) == 2, st
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            raise


def test_busy(honyakud, honyaku):
    with Fixture("hnyrst") as fx:
        front = fx.start_daemon(honyakud, SLOW.replace("[daemon]\n", "[daemon]\nmax_jobs_queued = 4\n"),
                                workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        try:
            wait_up(fx, honyaku, env)
        except AssertionError:
            if "max_jobs_queued" in fx.log("honyakud.log"):
                print("busy: SKIPPED: this honyakud has no max_jobs_queued")
                return
            raise
        try:
            for i in range(40):
                fx.write("arts/b%02d.txt" % i, "Busy article %d says %d.\n" % (i, i * 17))
            t0 = time.monotonic()
            code, _, err = run([honyaku, "batch", fx.path("arts"), "--from", "en", "--to", "es",
                                "--out", fx.path("out"), "--window", "16"], env=env, check=False, timeout=120)
            took = time.monotonic() - t0
            recs = read_jsonl(fx.path("out", "records.jsonl")) if code == 0 else []
            assert code == 0 and len(recs) == 40, (code, err[-2000:])
            assert "(status 303): trying again in" in err, "no 303 seen:\n" + err[-2000:]
            assert all_jobs(honyaku, env) == 40
            print("busy: 40 files through a queue of 4 in %.2f s, %d pauses" % (took, err.count("trying again in")))
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            raise


def make_articles(fx):
    for i in range(FILES):
        fx.write("arts/%02d/a%03d.txt" % (i // 50, i),
                 "Article %d reports on topic %d.\n\nIts second paragraph %d adds detail %d.\n"
                 % (i, i * 7, i * 13, i * 31))
    return fx.path("arts")


def batch_argv(honyaku, src, out):
    return [honyaku, "batch", src, "--from", "en", "--to", "es", "--out", out, "--patience", "60"]


def comparable(rec):
    rec = dict(rec)
    rec.pop("job", None)
    rec.pop("finished", None)
    rec["stats"] = {k: v for k, v in rec.get("stats", {}).items() if k not in HOW_NOT_WHAT}
    for p in rec.get("paragraphs", []):
        for s in p.get("segments", []):
            s.pop("tm", None)
    return rec


def all_jobs(honyaku, env):
    """Jobs in the daemon, whatever their state."""
    _, st, _ = run([honyaku, "status", "--json"], env=env)
    return sum(json.loads(st)["jobs"].values())


def test_restart(honyakud, honyaku):
    # A clean run first, on its own state directory.
    with Fixture("hnyrst") as fx:
        front = fx.start_daemon(honyakud, SLOW, workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        src = make_articles(fx)
        wait_up(fx, honyaku, env)
        t0 = time.monotonic()
        code, _, err = run(batch_argv(honyaku, src, fx.path("out")), env=env, timeout=120)
        clean_s = time.monotonic() - t0
        clean = read_jsonl(fx.path("out", "records.jsonl"))
        assert len(clean) == FILES and "reconnect" not in err, err[-2000:]

    with Fixture("hnyrst") as fx:
        front = fx.start_daemon(honyakud, SLOW, workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        src = make_articles(fx)
        try:
            wait_up(fx, honyaku, env)
            out = fx.path("out")
            t0 = time.monotonic()
            with open(fx.path("batch.err"), "wb") as berr:
                batch = subprocess.Popen(batch_argv(honyaku, src, out), env=env, stdout=subprocess.DEVNULL,
                                         stderr=berr)
            try:
                def done_count():
                    lines = [l for l in fx.log("batch.err").splitlines() if "] done " in l]
                    return len(lines)
                poll("50 files done", lambda: done_count() >= 50 or batch.poll() is not None, 60, 0.01)
                fx.daemon.send_signal(signal.SIGKILL)
                fx.daemon.wait()
                killed_at, done_at_kill = time.monotonic(), done_count()
                assert 0 < done_at_kill < FILES, "the kill did not land mid-batch: %d done" % done_at_kill

                # Down: said at once, with the stale socket named.
                t1 = time.monotonic()
                code, _, err = run([honyaku, "status"], env=env, check=False)
                sock = front[len("ipc://"):]
                assert code == 1 and err.strip() == ("honyaku: status: nobody listens on %s (honyakud is not "
                                                     "running; the socket file is stale)" % sock), err
                assert time.monotonic() - t1 < 2, "status took %.1f s" % (time.monotonic() - t1)

                fx.start_daemon(honyakud, SLOW, workers=2)
                code = batch.wait(120)
            finally:
                if batch.poll() is None:
                    batch.kill()
                    batch.wait()
            took = time.monotonic() - t0
            err = fx.log("batch.err")
            assert code == 0, "batch exited %d" % code
            # Usually one reconnect; two when the first one still reached the
            # dying honyakud (its listening socket closes after the
            # connections), which is handled the same way.
            assert "reconnected to " in err and re.search(r"; [12] reconnects?;", err), "no reconnect"
            recs = read_jsonl(os.path.join(out, "records.jsonl"))
            sources = [r["metadata"]["source"] for r in recs]
            want = sorted(os.path.relpath(os.path.join(d, f), src)
                          for d, _, fs in os.walk(src) for f in fs)
            assert sources == want, "records are not every file once, in path order"
            assert open(os.path.join(out, "errors.txt")).read() == ""
            jobs = all_jobs(honyaku, env)
            assert jobs == FILES, "%d jobs in the daemon for %d files" % (jobs, FILES)
            assert len({r["job"] for r in recs}) == FILES, "two files share a job"

            same_ids = sum(1 for a, b in zip(recs, clean) if a["job"] == b["job"])
            how = sum(1 for a, b in zip(recs, clean) if a != b and comparable(a) == comparable(b))
            for a, b in zip(recs, clean):
                assert comparable(a) == comparable(b), "records differ:\n%s\n%s" % (a, b)
            print("restart: clean run %.2f s; with honyakud killed after %d of %d files and started "
                  "again: %.2f s (%.2f s after the kill); %d records with the same job id, %d differ only "
                  "in how the work went" % (clean_s, done_at_kill, FILES, took, time.monotonic() - killed_at,
                                            same_ids, how))
            for line in err.splitlines():
                if line.startswith("honyaku: batch:"):
                    print("  " + line)
        except BaseException:
            sys.stderr.write("---- batch stderr, without the progress lines ----\n" + "".join(
                l + "\n" for l in fx.log("batch.err").splitlines() if "] done " not in l))
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            raise


def main():
    honyakud, honyaku = sys.argv[1:3]
    tests = {"too_large": test_too_large, "busy": test_busy, "restart": test_restart}
    for name in sys.argv[3:] or list(tests):
        t0 = time.monotonic()
        tests[name](honyakud, honyaku)
        print("%s: ok (%.1f s)" % (name, time.monotonic() - t0))
    print("ok")


if __name__ == "__main__":
    main()

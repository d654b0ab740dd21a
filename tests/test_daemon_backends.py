"""honyakud against the DeepL stand-in (hny-testserver) with faults: the
broker's side of backends. Real honyakud, real honyaku-worker processes
(--workers 2), a private temporary directory, ipc:// endpoints.

usage: test_daemon_backends.py HONYAKUD HNY-TESTSERVER

1. faults: 20 articles while a third of the requests fail (429, 500, 503,
   reset, truncated, malformed): every job done, every segment is the
   server's translation, no violation, every distinct segment read from the
   server exactly once (texts - texts_spoiled), contexts sent per paragraph
   and batches of several texts.
2. the same articles again under new keys: nothing billed, all from the TM.
3. concurrency = 2 with 200 ms latency: never more than 2 requests in flight.
4. rate = 5: 20 one-text requests take at least ~3 s; chars_per_minute
   likewise holds back what is over the first minute's worth.
5. 456 on every request: the profile pauses, STATUS says why, jobs stay
   pending; after /_reset a probe resumes it and the jobs finish.
6. a profile with a fallback: while it is paused, its jobs finish through
   the fallback and the record names it on each segment.
7. long articles: a task spans paragraphs, so DeepL gets at most one
   request per 40 segments (the API allows 50), context included.
8. what the services report reaches STATUS and STATS: DeepL's usage after
   a 456, an OpenAI-compatible server's tokens, LibreTranslate's
   characters."""
import json
import os
import random
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll  # noqa: E402
from test_daemon_util import Client  # noqa: E402

KEY = "test-key"
SUBJECTS = ["The old miller", "A young teacher", "The harbour master", "Our neighbour",
            "The night nurse", "A quiet farmer", "The mayor", "The baker"]
VERBS = ["repaired", "painted", "visited", "described", "counted", "guarded", "cleaned"]
OBJECTS = ["the north bridge", "a broken fence", "the village school", "the river boats",
           "an empty warehouse", "the station clock"]
ENDINGS = ["before dawn", "after the storm", "on Sunday", "with great care", "in the rain"]


def xlate(text, target="ja"):
    return "\u3010" + target.lower() + "\u3011" + "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


def sentence(rng):
    return "%s %s %s %s." % (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS),
                             rng.choice(ENDINGS))


def article(rng, paras=3):
    return "\n\n".join(" ".join(sentence(rng) for _ in range(rng.randint(2, 4)))
                       for _ in range(paras)) + "\n"


def pairs(rec):
    out = [rec["title"]] if rec.get("title") else []
    return out + [s for p in rec["paragraphs"] for s in p["segments"]]


class Server:
    def __init__(self, fx, binary):
        self.proc, self.port = fx.start_testserver(binary, "--key", KEY)
        self.url = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def stats(self):
        return self.call("GET", "/_stats")

    def faults(self, **plan):
        self.call("POST", "/_faults", plan)

    def reset(self):
        self.call("POST", "/_reset", {})


DAEMON = """
[daemon]
heartbeat_ms = 200
lease_ms = 20000
max_jobs_in_flight = 64
default_backend = deepl
"""
# The DeepL profiles against the stand-in: each sets what its part of main() tests.
PROFILES = [
    ("deepl", "concurrency = 3\nretries = 12\n"),
    ("deeplc", "concurrency = 2\nmax_texts = 1\n"),
    ("deeplr", "rate = 5\nmax_texts = 1\n"),
    ("deeplcpm", "chars_per_minute = 6000\n"),
    ("deeplfb", "fallback = pseudo\n"),
]


def config(url):
    return DAEMON + "".join("\n[backend.%s]\ntype = deepl\nurl = %s\nkey_env = HNY_TS_KEY\n%s"
                            "retry_base_ms = 20\n" % (name, url, opts) for name, opts in PROFILES) + (
        "\n[backend.llm]\ntype = openai\nurl = %s\nkey_env = HNY_TS_KEY\nmodel = test-model\n"
        "\n[backend.libre]\ntype = libretranslate\nurl = %s\n" % (url, url))


def submit_all(c, texts, key_prefix, backend="deepl"):
    jobs = []
    for i, t in enumerate(texts):
        cmd, h, _ = c.submit(t, to="ja", format="text", key="%s-%d" % (key_prefix, i), backend=backend)
        assert cmd == "ACCEPTED", (cmd, h)
        jobs.append(h["job"])
    return jobs


def wait_all(c, jobs, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    recs = []
    for j in jobs:
        left = int(max(1, deadline - time.monotonic()) * 1000)
        state = c.wait_done(j, timeout_ms=left)
        rec = c.fetch(j)
        assert state == "done", (j, state, rec["errors"])
        recs.append(rec)
    return recs


def stats(c):
    cmd, h, _ = c.request("STATS")
    assert cmd == "STATS", (cmd, h)
    return h["profiles"]


def main(honyakud, testserver):
    rng = random.Random(4)
    with Fixture("hnybe") as fx:
        srv = Server(fx, testserver)
        conf = fx.write("honyaku.conf", config(srv.url))
        env = dict(os.environ, HNY_TS_KEY=KEY)
        front = fx.start_daemon(honyakud, workers=2, extra=("--config", conf, "--log-level", "debug"),
                                env=env)
        daemon = fx.daemon
        c = Client(front)
        try:
            poll("2 workers", lambda: daemon.poll() is None and c.status()["workers"] == 2, 20)

            # 1. A third of the requests fail.
            texts = [article(rng) for _ in range(40)]  # enough requests for the faults to show (packing shares them)
            srv.faults(rate=0.33, kinds=["429", "500", "503", "reset", "truncated", "malformed"],
                       retry_after=1, seed=7)
            t0 = time.monotonic()
            recs = wait_all(c, submit_all(c, texts, "a"), 90)
            st = srv.stats()
            distinct = set()
            for rec in recs:
                assert not rec["errors"], rec["errors"]
                for s in pairs(rec):
                    assert s["tgt"] == xlate(s["src"]), s
                    distinct.add(s["src"])
            assert not st["violations"], st["violations"]
            assert sum(st["faults"].values()) >= 5, st["faults"]
            read = st["texts"] - st["texts_spoiled"]
            assert read == len(distinct), ("texts read from the server", read, "distinct", len(distinct), st)
            assert st["in_flight_max"] <= 3, st
            # Batching survived context: fewer requests than texts.
            ok_requests = st["requests"] - sum(st["faults"].values())
            assert ok_requests < read, (ok_requests, read, st)
            s1 = stats(c)["deepl"]
            assert s1["segments"] == len(distinct), (s1, len(distinct))
            assert s1["requests_per_segment"] > 0, s1
            log = fx.log("honyakud.log")
            assert "retry" in log, "no retry logged"
            print("faults: %d articles, %d distinct segments, %d requests, faults %s, %.1f s"
                  % (len(recs), len(distinct), st["requests"], st["faults"], time.monotonic() - t0))

            # 2. The same articles again: nothing billed.
            billed = st["billed_characters"]
            recs2 = wait_all(c, submit_all(c, texts, "b"), 30)
            st2 = srv.stats()
            assert st2["billed_characters"] == billed and st2["texts"] == st["texts"], (st, st2)
            for rec in recs2:
                assert rec["stats"]["chars_billed"] == 0, rec["stats"]
                for s in pairs(rec):
                    assert s["tgt"] == xlate(s["src"]), s
                    assert s.get("tm", True), s
            s2 = stats(c)["deepl"]
            assert s2["tm_hits"] - s1["tm_hits"] == sum(len(pairs(r)) for r in recs2), (s1, s2)
            assert s2["chars_billed"] == s1["chars_billed"], (s1, s2)

            # 3. concurrency = 2 across both workers, 200 ms per answer.
            srv.reset()
            srv.faults(latency_ms=200)
            conc = ["Line %d of the concurrency test is here." % i for i in range(12)]
            job = submit_all(c, [" ".join(conc) + "\n"], "c", backend="deeplc")
            wait_all(c, job, 30)
            st = srv.stats()
            assert st["requests"] == 12 and not st["violations"], st
            assert 1 <= st["in_flight_max"] <= 2, st
            # The workers park spares (PROTOCOL.md 13), and a spare ran:
            # the bound above held with them.
            log = fx.log("honyakud.log")
            assert "(translate, spare) to" in log, "no spare task leased"
            assert "spare started" in log, "no spare task started"

            # 4. rate = 5 requests/s: 20 one-text requests need >= 3 s
            # (5 at once, then 5 a second); only the lower bound is checked.
            srv.reset()
            lines = ["Sentence %d checks the rate budget." % i for i in range(20)]
            t0 = time.monotonic()
            wait_all(c, submit_all(c, [" ".join(lines) + "\n"], "r", backend="deeplr"), 40)
            took = time.monotonic() - t0
            st = srv.stats()
            assert st["requests"] == 20, st
            assert took >= 2.5, "20 requests at rate 5 took only %.2f s" % took

            # 4b. chars_per_minute = 6000 (a bucket of 6000, 100 a second):
            # about 6240 code points need >= 2.4 s beyond the first 6000.
            srv.reset()
            long_lines = ["Paragraph %d sentence %d: " % (i, j) + "word " * 36 + "end."
                          for i in range(10) for j in range(3)]
            chars = sum(len(s) for s in long_lines)
            assert 6100 <= chars <= 6500, chars
            paras = ["\n\n".join(" ".join(long_lines[i * 3:i * 3 + 3]) for i in range(10)) + "\n"]
            t0 = time.monotonic()
            wait_all(c, submit_all(c, paras, "m", backend="deeplcpm"), 40)
            took = time.monotonic() - t0
            st = srv.stats()
            assert st["billed_characters"] == chars, (st, chars)
            want = (chars - 6000) / 100.0
            assert took >= want * 0.8, "%d chars at 6000/min took only %.2f s (want %.1f)" % (chars, took, want)

            # 5. Quota gone: the profile pauses, jobs wait.
            srv.reset()
            srv.faults(rate=1.0, kinds=["456"])
            held = submit_all(c, ["The ferry waited for the doctor. The doctor was late.\n\n"
                                  "Nobody on the pier said a word.\n"], "p")
            held_job = held[0]

            def paused():
                p = [x for x in c.status()["profiles"] if x["name"] == "deepl"][0]
                return p.get("paused")
            why = poll("the deepl profile to pause", paused, 20)
            assert why.startswith("deepl:") and "quota" in why.lower(), why
            # The worker asked DeepL's /v2/usage (free) after the 456: it shows.
            usage = poll("DeepL's usage in STATUS", lambda: [x for x in c.status()["profiles"]
                                                               if x["name"] == "deepl"][0].get("usage"), 20)
            assert usage["character_limit"] == 500000 and usage["character_count"] >= 0, usage
            poll("a failed probe", lambda: srv.stats()["faults"].get("456", 0) >= 2, 20)
            js = c.status(held_job)
            assert js["state"] == "translating" and js["failed"] == 0, js
            assert "quota" in js.get("paused", "").lower(), js
            srv.reset()
            rec = wait_all(c, held, 30)[0]
            assert all(s["tgt"] == xlate(s["src"]) for s in pairs(rec)), rec
            poll("deepl to resume", lambda: not paused(), 10)

            # 6. A paused profile with a fallback: its jobs finish there.
            srv.faults(rate=1.0, kinds=["456"])
            fb = submit_all(c, ["The lighthouse keeper wrote letters every night.\n\n"
                                "The letters never left the island.\n"], "f", backend="deeplfb")
            rec = wait_all(c, fb, 30)[0]
            for s in pairs(rec):
                assert s.get("backend") == "pseudo" and s["tgt"].startswith("\u27e6"), s
            assert rec["backend"] == "deeplfb", rec["backend"]
            p = [x for x in c.status()["profiles"] if x["name"] == "deeplfb"][0]
            assert "quota" in p.get("paused", "").lower(), p
            st = srv.stats()
            assert not st["violations"], st
            srv.reset()

            # 7. Long articles: 50 segments to a request, across paragraphs.
            rng2 = random.Random(11)
            longs = ["\n\n".join(" ".join("%s (%d.%d)." % (sentence(rng2)[:-1], a, k * 7 + j)
                                         for j in range(7)) for k in range(18)) + "\n" for a in range(3)]
            recs = wait_all(c, submit_all(c, longs, "long"), 60)
            st = srv.stats()
            segs = sum(len(pairs(r)) for r in recs)
            assert segs >= 3 * 120, segs
            assert st["requests"] * 40 <= segs, ("requests", st["requests"], "segments", segs)
            print("long articles: %d segments in %d requests (%.1f a request)"
                  % (segs, st["requests"], segs / st["requests"]))

            # 8. Tokens and characters as the services report them.
            wait_all(c, submit_all(c, ["The llm reads this. It answers in Japanese.\n"], "t", backend="llm"), 30)
            wait_all(c, submit_all(c, ["Libre reads this one.\n"], "lb", backend="libre"), 30)
            s8 = stats(c)
            assert s8["llm"]["prompt_tokens"] > 0 and s8["llm"]["completion_tokens"] > 0, s8["llm"]
            assert s8["libre"]["chars_billed"] == len("Libre reads this one."), s8["libre"]
            assert s8["deepl"]["segments_per_request"] >= 1, s8["deepl"]
            print("ok")
        except BaseException:
            sys.stderr.write("---- honyakud.log (tail) ----\n" + fx.log("honyakud.log")[-12000:] + "\n")
            sys.stderr.write("---- testserver.log (tail) ----\n" + fx.log("testserver.log")[-3000:] + "\n")
            raise
        finally:
            c.close()
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

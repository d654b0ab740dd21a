"""honyaku-worker and big articles, against a fake broker (fake_broker.py)
announcing heartbeat_ms 100:

  cap        an article of 1,000,000 one-word sentences (5 MB) is refused
             with RESULT 413 "article has more than 200000 segments", and
             the worker's peak RSS (VmHWM) stays under 200 MiB (the whole
             article used to be built: about 480 MiB)
  heartbeats an 8 MB article of one paragraph (~180k long sentences; one
             ICU call of ~0.35 s and a ~0.1 s JSON encoding that no
             progress hook can split) prepares fine, and meanwhile the
             worker heartbeats every interval with the task in `tasks`:
             the worst gap stays under 3 intervals
  190k       an article of 190,000 sentences, under the cap, prepares into
             190,000 segments
  many       1010 prepares held at once (one long, 1009 waiting behind it):
             each HEARTBEAT lists at most 1000 tasks (the codec's cap), the
             rest go in a second one
  sigterm    SIGTERM during a big prepare: DISCONNECT and exit 0 at once

Prints the figures (VmHWM after each, worst heartbeat gap).

usage: test_worker_prepare.py HONYAKU_WORKER [RSS_BOUND_MIB]
(default 200; 0 skips the RSS check, for sanitizer builds)"""
import json
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_broker import FakeBroker, gaps  # noqa: E402
from hnyfix import Fixture  # noqa: E402

HB_MS = 100
SEGMENTS_MAX = 200000       # HNY_SEGMENTS_MAX, include/honyaku/record.h


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for %d" % pid)


def short_sentences(count, per_paragraph):
    """count one-word sentences, per_paragraph to a paragraph (the
    extractor takes at most 20000 paragraphs)."""
    paragraphs = []
    for first in range(0, count, per_paragraph):
        paragraphs.append(" ".join(["Yes."] * min(per_paragraph, count - first)))
    return ("\n\n".join(paragraphs) + "\n").encode()


def one_long_paragraph(size):
    """About size bytes of one paragraph of 8-13 word sentences; returns
    (bytes, sentences)."""
    rng = random.Random(7)
    words = ("the of and to in a is that for it as was with be by on not he this are "
             "or his from at which government minister people").split()
    out, total = [], 0
    while total < size:
        s = " ".join(rng.choice(words) for _ in range(rng.randint(8, 13))).capitalize() + "."
        out.append(s)
        total += len(s) + 1
    return (" ".join(out) + "\n").encode(), len(out)


def prepare(broker, body, timeout=120.0):
    t = broker.task("prepare", {"format": "plain", "from": "en"}, body)
    start = time.monotonic()
    header, result = broker.results([t], timeout)[t]
    return t, header, result, start, time.monotonic()


def main():
    worker_bin = sys.argv[1]
    rss_bound_kib = int(sys.argv[2] if len(sys.argv) > 2 else 200) * 1024
    fx = Fixture("hny-wp")
    broker = None
    # made first: a broker busy elsewhere for 3 intervals is dead
    capped = short_sentences(1000000, 100)
    body, sentences = one_long_paragraph(8000000)
    under = short_sentences(190000, 10)
    try:
        conf = fx.write("worker.conf", "[daemon]\nheartbeat_ms = 1000\n\n[worker]\ncredit = 1024\n")
        endpoint = "ipc://" + fx.path("back")
        broker = FakeBroker(endpoint, HB_MS)
        proc = fx.spawn([worker_bin, "--back", endpoint, "--config", conf, "--name", "wp"],
                        "worker.log")
        broker.recv("READY")

        # cap: refused while segmenting, memory bounded
        _, header, _, _, _ = prepare(broker, capped)
        assert header["status"] == 413, header
        assert header["reason"] == "article has more than %d segments" % SEGMENTS_MAX, header
        hwm_cap = vm_hwm_kib(proc.pid)
        assert not rss_bound_kib or hwm_cap < rss_bound_kib, ("peak RSS %d KiB" % hwm_cap)

        # heartbeats during a long prepare
        t, header, result, start, end = prepare(broker, body)
        assert header["status"] == 200, header
        big_result = result         # read at the end: this broker has no time now
        during = [(ts, tasks) for ts, tasks in broker.beats if start <= ts <= end]
        assert all(tasks == [t] for _, tasks in during), during[:3]
        g = gaps([(start, None)] + during + [(end, None)])
        worst = max(g)
        assert worst < 3 * HB_MS / 1000.0, ("heartbeat gap of %.0f ms during prepare" % (worst * 1000))
        elapsed = end - start
        hwm_big = vm_hwm_kib(proc.pid)

        # 190k sentences: under the cap
        _, header, under_result, _, _ = prepare(broker, under)
        assert header["status"] == 200, header
        hwm_190k = vm_hwm_kib(proc.pid)

        # many: more tasks held than one HEARTBEAT may list
        first = broker.task("prepare", {"format": "plain", "from": "en"}, body)
        rest = [broker.task("prepare", {"format": "plain", "from": "en"}, b"Tiny. Article.\n")
                for _ in range(1009)]
        start = time.monotonic()
        got = broker.results([first] + rest, 120.0)
        assert all(h["status"] == 200 for h, _ in got.values())
        listed = [tasks for ts, tasks in broker.beats if ts >= start and tasks]
        assert listed and max(len(x) for x in listed) == 1000, [len(x) for x in listed]
        # one heartbeat while all 1010 were held: 1000 ids, then the other 10
        held = set([first] + rest)
        assert any(len(a) == 1000 and len(b) == 10 and set(a) | set(b) == held
                   for a, b in zip(listed, listed[1:])), [len(x) for x in listed]

        # SIGTERM while a big prepare runs: the worker drains (READY
        # draining, the prepare in hand); SIGQUIT stops the thread and the
        # worker leaves
        big = broker.task("prepare", {"format": "plain", "from": "en"}, body)
        broker.idle(0.05)
        proc.send_signal(signal.SIGTERM)
        ready, _ = broker.recv("READY", 5.0)
        assert ready.get("draining") is True and big in ready.get("tasks", []), ready
        proc.send_signal(signal.SIGQUIT)
        stopping = time.monotonic()
        broker.recv("DISCONNECT", 5.0)
        assert proc.wait(5) == 0
        exit_s = time.monotonic() - stopping

        stats = json.loads(big_result)["stats"]
        # the segmenter's rules join a few ("... by a. The ...": an initial)
        assert 0.95 * sentences < stats["segments"] <= sentences, (stats, sentences)
        assert json.loads(under_result)["stats"]["segments"] == 190000
        print("test_worker_prepare: passed (1M sentences: 413, VmHWM %d MiB; 8 MB paragraph of "
              "%d sentences: %.1f s, %d heartbeats, worst gap %.0f ms, VmHWM %d MiB; 190k "
              "sentences: VmHWM %d MiB; SIGTERM during prepare: exit in %.2f s)"
              % (hwm_cap // 1024, sentences, elapsed, len(during), worst * 1000,
                 hwm_big // 1024, hwm_190k // 1024, exit_s))
        return 0
    except BaseException:
        lines = [x for x in fx.log("worker.log").splitlines(True) if "prepared 15 bytes" not in x]
        sys.stderr.write("--- worker log (tiny prepares left out) ---\n" + "".join(lines)[-6000:])
        raise
    finally:
        if broker:
            broker.close()
        fx.close()


if __name__ == "__main__":
    sys.exit(main())

"""honyaku-worker and the broker's liveness rules (proto/PROTOCOL.md
section 9), against a fake broker (fake_broker.py) and an APy stand-in
whose answers the test releases (held_apy.py):

  interval   the worker adopts the broker's heartbeat_ms whatever its
             configuration says, both ways (broker 100 ms / config 1000,
             broker 1000 ms / config 100), and is never judged dead
  renewal    while a translation is in flight the worker sends a
             HEARTBEAT listing it every interval, even while RESULTs of
             other tasks keep going out
  disconnect DISCONNECT with a task in flight: READY again, and the task's
             RESULT still comes
  gone       the broker goes away with a task in flight; its RESULT is
             made while no broker is there, kept, and delivered to the
             next broker right after READY; the service saw the text once
  again      the next broker leases the same task again while it is in
             flight: the worker does not ask the service twice, one RESULT
  bounded    70 RESULTs made while no broker is there: 64 kept, the 6
             oldest dropped with a warning, the 64 delivered after READY
  overload   a broker that ignores the credit (2): past 2 x credit tasks in
             hand a TASK gets RESULT 503 at once, the others go on
  drain      SIGTERM with a translation in flight: READY draining, listing
             it; a new TASK gets 503; the translation's RESULT still comes,
             then DISCONNECT and exit 0 (the service saw the text once)
  spares     READY says `spares`; a spare TASK waits for the worker's first
             end of a task of its profile past `after`, goes at once when
             that end came first or when nothing of the profile runs; each
             text is asked once; RESULTs name the task's profile; a new
             READY (after DISCONNECT) lists a parked spare and starts it

usage: test_worker_lease.py HONYAKU_WORKER"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_broker import FakeBroker, gaps, segments  # noqa: E402
from held_apy import HeldApy  # noqa: E402
from hnyfix import Fixture, poll  # noqa: E402

SLOW = {"profile": "slow", "from": "en", "to": "es"}
PSEUDO = {"profile": "pseudo", "from": "en", "to": "ja"}


def write_conf(fx, name, heartbeat_ms, apy_url, credit=100):
    return fx.write(name, "[daemon]\nheartbeat_ms = %d\n\n[worker]\ncredit = %d\n\n"
                    "[backend.slow]\ntype = apertium\nurl = %s\nconcurrency = 100\n"
                    "timeout_ms = 60000\n" % (heartbeat_ms, credit, apy_url))


def wait_log(fx, log, fragment, count=1, timeout=10.0):
    poll("%d x %r in %s" % (count, fragment, log),
         lambda: fx.log(log).count(fragment) >= count, timeout)


def wait_seen(broker, apy, texts, timeout=10.0):
    """Serve heartbeats until the service has been asked for every text
    (a broker that stops answering would be judged dead meanwhile)."""
    deadline = time.monotonic() + timeout
    while not all(apy.seen[t] for t in texts):
        if time.monotonic() > deadline:
            raise AssertionError("the worker never asked for all of %s" % texts[:3])
        broker.idle(0.02)


class Run:
    """One worker process with its fake broker."""

    def __init__(self, fx, worker_bin, apy, tag, config_hb, broker_hb, credit=100):
        self.fx, self.tag = fx, tag
        self.endpoint = "ipc://" + fx.path(tag)
        self.log = tag + ".log"
        self.broker = FakeBroker(self.endpoint, broker_hb)
        conf = write_conf(fx, tag + ".conf", config_hb, apy.url, credit)
        self.proc = fx.spawn([worker_bin, "--back", self.endpoint, "--config", conf,
                              "--name", tag, "--log-level", "debug"], self.log)
        self.ready, _ = self.broker.recv("READY")

    def go_away(self):
        """The broker disappears; returns once the worker noticed (3
        silent intervals) and connected a new socket."""
        silent = "reconnecting to"
        before = self.fx.log(self.log).count(silent)
        self.broker.close()
        wait_log(self.fx, self.log, silent, before + 1)

    def new_broker(self, heartbeat_ms):
        self.broker.close()
        self.broker = FakeBroker(self.endpoint, heartbeat_ms)
        return self.broker

    def stop(self):
        self.broker.close()
        if self.proc.poll() is None:
            self.proc.terminate()       # it drains (nothing held): it leaves at once
            assert self.proc.wait(10) == 0


def test_interval(fx, worker_bin, apy):
    # broker 100 ms, configuration 1000 ms: heartbeats every ~100 ms
    run = Run(fx, worker_bin, apy, "fast", 1000, 100)
    start = time.monotonic()
    run.broker.idle(1.5)
    g = gaps(run.broker.beats, start)
    assert len(g) >= 8, ("too few heartbeats at the broker's 100 ms", g)
    assert max(g) < 0.3, ("a gap of 3 intervals or more", max(g))
    assert len(run.broker.readies) == 1, "the worker judged a live broker dead"
    wait_log(fx, run.log, "heartbeat interval: 100 ms, the broker's (was 1000 ms)")
    assert fx.log(run.log).count("heartbeat interval:") == 1, "the change is logged once"
    fast = max(g)
    run.stop()

    # broker 1000 ms, configuration 100 ms: not judged dead after 300 ms,
    # and heartbeats at the broker's pace
    run = Run(fx, worker_bin, apy, "slowhb", 100, 1000)
    start = time.monotonic()
    run.broker.idle(3.5)
    assert len(run.broker.readies) == 1, "the worker judged a broker at 1000 ms dead"
    g = gaps(run.broker.beats, start)
    assert g and min(g) > 0.5, ("heartbeats faster than the broker's interval", g)
    run.stop()
    return fast


def test_renewal(fx, run, apy):
    broker = run.broker
    held = broker.task("translate", SLOW, segments(["hold-lease"]))
    wait_seen(broker, apy, ["hold-lease"])
    # RESULTs of quick tasks go out every ~50 ms meanwhile: the renewals
    # must come anyway
    start = time.monotonic()
    while time.monotonic() - start < 1.2:
        t = broker.task("translate", PSEUDO, segments(["quick"]))
        header, _ = broker.results([t])[t]
        assert header["status"] == 200, header
        broker.idle(0.05)
    renewals = [(ts, tasks) for ts, tasks in broker.beats if ts >= start and tasks]
    assert all(tasks == [held] for _, tasks in renewals), renewals
    g = gaps(renewals)
    assert len(renewals) >= 6, ("too few renewals", len(renewals))
    assert max(g) < 0.3, ("renewals too far apart", g)
    apy.release("hold-lease")
    header, body = broker.results([held])[held]
    assert header["status"] == 200 and b"<<hold-lease>>" in body, (header, body)
    # nothing held: heartbeats without tasks again
    broker.idle(0.3)
    assert broker.beats[-1][1] is None, broker.beats[-1]
    return max(g)


def test_disconnect(fx, run, apy):
    broker = run.broker
    held = broker.task("translate", SLOW, segments(["hold-disc"]))
    wait_seen(broker, apy, ["hold-disc"])
    peer = broker.peer
    broker.send("DISCONNECT", {"reason": "who are you"})
    broker.recv("READY", 3.0)
    assert broker.peer == peer, "DISCONNECT needs no new socket"
    apy.release("hold-disc")
    header, body = broker.results([held])[held]
    assert header["status"] == 200 and b"<<hold-disc>>" in body, (header, body)
    assert apy.seen["hold-disc"] == 1, apy.seen


def test_gone(fx, run, apy):
    held = run.broker.task("translate", SLOW, segments(["hold-gone"]))
    wait_seen(run.broker, apy, ["hold-gone"])
    run.go_away()
    apy.release("hold-gone")            # the RESULT is made with no broker
    wait_log(fx, run.log, "task %s: RESULT kept until a broker takes it" % held)
    broker = run.new_broker(100)        # a broker comes back on the endpoint
    broker.recv("READY", 5.0)           # READY first (recv fails on a RESULT)
    header, body = broker.results([held])[held]
    assert header["status"] == 200 and b"<<hold-gone>>" in body, (header, body)
    assert apy.seen["hold-gone"] == 1, apy.seen
    wait_log(fx, run.log, "task %s: kept RESULT sent after" % held)


def test_again(fx, run, apy):
    header = {"task": "resumed-1", "kind": "translate", "lease_ms": 30000, "job": "7"}
    header.update(SLOW)
    body = segments(["hold-again"])
    run.broker.send("TASK", header, body)
    wait_seen(run.broker, apy, ["hold-again"])
    run.go_away()
    broker = run.new_broker(100)
    broker.recv("READY", 5.0)
    broker.send("TASK", header, body)   # a restarted broker leases it again
    wait_log(fx, run.log, "task resumed-1 is in hand already")
    apy.release("hold-again")
    got, res = broker.results(["resumed-1"])["resumed-1"]
    assert got["status"] == 200 and b"<<hold-again>>" in res, (got, res)
    broker.idle(0.5)                    # no second RESULT
    assert apy.seen["hold-again"] == 1, apy.seen


def test_bounded(fx, run, apy):
    texts = ["hold-q-%02d" % i for i in range(70)]
    tasks = [run.broker.task("translate", SLOW, segments([t])) for t in texts]
    wait_seen(run.broker, apy, texts)
    run.go_away()
    # one at a time, so that "oldest" is well defined
    kept = "RESULT kept until a broker takes it"
    base = fx.log(run.log).count(kept)
    for i, t in enumerate(texts):
        apy.release(t)
        wait_log(fx, run.log, kept, base + i + 1)
    wait_log(fx, run.log, "dropping its RESULT: more than 64 kept", 6)
    log = fx.log(run.log)
    dropped = [t for t in tasks if "task %s: dropping its RESULT" % t in log]
    assert dropped == tasks[:6], dropped
    broker = run.new_broker(100)
    broker.recv("READY", 5.0)
    got = broker.results(tasks[6:])
    assert all(h["status"] == 200 for h, _ in got.values())
    broker.idle(0.3)
    assert all(apy.seen[t] == 1 for t in texts), apy.seen


def test_overload(fx, worker_bin, apy):
    run = Run(fx, worker_bin, apy, "over", 1000, 100, credit=2)
    texts = ["hold-over-%d" % i for i in range(4)]
    held = [run.broker.task("translate", SLOW, segments([t])) for t in texts]
    wait_seen(run.broker, apy, texts)
    extra = run.broker.task("translate", SLOW, segments(["hold-over-x"]))
    header, _ = run.broker.results([extra])[extra]
    assert header["status"] == 503 and header["reason"] == "too many tasks at this worker", header
    for t in texts:
        apy.release(t)
    got = run.broker.results(held)
    assert all(h["status"] == 200 for h, _ in got.values()), got
    assert apy.seen["hold-over-x"] == 0
    run.stop()


def test_drain(fx, worker_bin, apy):
    run = Run(fx, worker_bin, apy, "drain", 1000, 100)
    held = run.broker.task("translate", SLOW, segments(["hold-drain"]))
    wait_seen(run.broker, apy, ["hold-drain"])
    run.proc.terminate()
    ready, _ = run.broker.recv("READY", 5.0)
    assert ready.get("draining") is True and ready.get("tasks") == [held], ready
    extra = run.broker.task("translate", PSEUDO, segments(["not now"]))
    header, _ = run.broker.results([extra])[extra]
    assert header["status"] == 503 and header["reason"] == "worker stopping", header
    apy.release("hold-drain")
    header, body = run.broker.results([held])[held]
    assert header["status"] == 200 and b"<<hold-drain>>" in body, (header, body)
    run.broker.recv("DISCONNECT", 5.0)
    assert run.proc.wait(10) == 0
    assert apy.seen["hold-drain"] == 1, apy.seen
    run.broker.close()


def test_spares(fx, worker_bin, apy):
    """Spare tasks (PROTOCOL.md 13): the worker says it parks them; a spare
    waits for its first end of a task of the profile past `after`, starts
    at once when that end came before it, and when nothing of the profile
    runs; RESULTs of translate tasks name their profile."""
    run = Run(fx, worker_bin, apy, "spare", 1000, 100)
    broker = run.broker
    try:
        assert run.ready.get("spares") is True, run.ready
        spare = dict(SLOW, spare=True)
        a = broker.task("translate", SLOW, segments(["hold-spare-a"]))
        a2 = broker.task("translate", SLOW, segments(["hold-spare-a2"]))
        wait_seen(broker, apy, ["hold-spare-a", "hold-spare-a2"])
        # after 0: it waits for the first end (a's), not for the last
        s = broker.task("translate", dict(spare, after=0), segments(["hold-spare-s"]))
        wait_log(fx, run.log, "task %s: spare parked" % s)
        assert apy.seen["hold-spare-s"] == 0, "a parked spare was sent"
        apy.release("hold-spare-a")
        header, _ = broker.results([a])[a]
        assert header["status"] == 200 and header.get("profile") == "slow", header
        wait_seen(broker, apy, ["hold-spare-s"])
        apy.release("hold-spare-a2")
        broker.results([a2])
        # two ends so far: a spare leased after 0 RESULTs goes at once
        b = broker.task("translate", SLOW, segments(["hold-spare-b"]))
        wait_seen(broker, apy, ["hold-spare-b"])
        s2 = broker.task("translate", dict(spare, after=0), segments(["hold-spare-s2"]))
        wait_seen(broker, apy, ["hold-spare-s2"])
        assert "task %s: spare parked" % s2 not in fx.log(run.log)
        # after 5, not reached: parked past the next end (s's, the third) ...
        s3 = broker.task("translate", dict(spare, after=5), segments(["hold-spare-s3"]))
        wait_log(fx, run.log, "task %s: spare parked" % s3)
        apy.release("hold-spare-s")
        broker.results([s])
        assert apy.seen["hold-spare-s3"] == 0, "a spare started before its end"
        # ... until nothing else of the profile runs
        apy.release("hold-spare-b")
        apy.release("hold-spare-s2")
        broker.results([b, s2])
        wait_seen(broker, apy, ["hold-spare-s3"])
        apy.release("hold-spare-s3")
        header, _ = broker.results([s3])[s3]
        assert header["status"] == 200, header
        # each text asked once
        assert all(apy.seen[t] == 1 for t in ("hold-spare-a", "hold-spare-a2", "hold-spare-s", "hold-spare-b",
                                            "hold-spare-s2", "hold-spare-s3")), apy.seen
        t = broker.task("translate", PSEUDO, segments(["quick"]))
        header, _ = broker.results([t])[t]
        assert header.get("profile") == "pseudo", header
        # A new registration (here after DISCONNECT) lists the parked spare
        # with its tasks; the broker adopts it as an ordinary lease, so it
        # starts: its `after` counted RESULTs of the registration that ended.
        c = broker.task("translate", SLOW, segments(["hold-spare-c"]))
        wait_seen(broker, apy, ["hold-spare-c"])
        s4 = broker.task("translate", dict(spare, after=99), segments(["hold-spare-s4"]))
        wait_log(fx, run.log, "task %s: spare parked" % s4)
        broker.send("DISCONNECT", {"reason": "register again"})
        ready, _ = broker.recv("READY", 3.0)
        assert c in ready.get("tasks", []) and s4 in ready.get("tasks", []), ready
        wait_seen(broker, apy, ["hold-spare-s4"])
        apy.release("hold-spare-c")
        apy.release("hold-spare-s4")
        broker.results([c, s4])
    finally:
        run.stop()


def main():
    worker_bin = sys.argv[1]
    fx = Fixture("hny-wl")
    apy = HeldApy()
    runs = []
    try:
        fast = test_interval(fx, worker_bin, apy)
        run = Run(fx, worker_bin, apy, "main", 1000, 100)
        runs.append(run)
        renew = test_renewal(fx, run, apy)
        test_disconnect(fx, run, apy)
        test_gone(fx, run, apy)
        test_again(fx, run, apy)
        test_bounded(fx, run, apy)
        assert run.proc.poll() is None, "worker died"
        run.stop()
        test_overload(fx, worker_bin, apy)
        test_drain(fx, worker_bin, apy)
        test_spares(fx, worker_bin, apy)
        print("test_worker_lease: passed (worst gap at 100 ms: idle %.0f ms, renewals %.0f ms)"
              % (fast * 1000, renew * 1000))
        return 0
    except BaseException:
        for name in ("fast.log", "slowhb.log", "main.log", "over.log", "drain.log", "spare.log"):
            sys.stderr.write("--- %s ---\n%s" % (name, fx.log(name)[-5000:]))
        raise
    finally:
        for run in runs:
            run.broker.close()
        apy.close()
        fx.close()


if __name__ == "__main__":
    sys.exit(main())

"""Helpers for the broker's integration tests (test_daemon_*.py): a raw HNY/1
client over a pyzmq DEALER, and a harness that runs the real honyakud with
`--workers 0` in a private temporary directory plus fake workers
(fake_worker.py). Everything started is stopped by Harness.close();
every wait is a poll against a deadline."""
import itertools
import json
import os
import signal
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, validate_record  # noqa: E402,F401

SIG = b"HNY/1"
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_WORKER = os.path.join(HERE, "fake_worker.py")


class Dealer:
    """A DEALER connected to one of honyakud's endpoints, speaking HNY/1
    messages: the peer side of Client and ManualWorker."""

    silence = "nothing came within %.1f s"     # the AssertionError of recv

    def __init__(self, endpoint):
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def close(self):
        self.sock.close(0)

    def send(self, cmd, header=None, body=None):
        frames = [SIG, cmd.encode(), json.dumps(header or {}).encode()]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)

    def recv(self, timeout=10.0):
        """The next message (cmd, header, body); AssertionError on timeout."""
        if not self.sock.poll(int(timeout * 1000)):
            raise AssertionError(self.silence % timeout)
        frames = self.sock.recv_multipart()
        assert frames[0] == SIG, frames
        return frames[1].decode(), json.loads(frames[2]), frames[3] if len(frames) > 3 else None


class Client(Dealer):
    """A client of the front endpoint; every request carries a "req"."""

    silence = "no reply within %.1f s"

    def __init__(self, endpoint):
        super().__init__(endpoint)
        self.ids = itertools.count(1)

    def send_raw(self, frames):
        self.sock.send_multipart(frames)

    def recv_raw(self, timeout=10.0):
        return self.recv(timeout)

    def request(self, cmd, header=None, body=None, timeout=10.0):
        req = "r%d" % next(self.ids)
        h = dict(header or {})
        h["req"] = req
        self.send(cmd, h, body)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no reply to %s within %.1f s" % (cmd, timeout))
            rcmd, rh, rbody = self.recv_raw(left)
            if rh.get("req") == req:
                return rcmd, rh, rbody

    def submit(self, text, frm="en", to="es", **fields):
        h = {"from": frm, "to": to}
        h.update(fields)
        data = text if isinstance(text, bytes) else text.encode()
        return self.request("SUBMIT", h, data)

    def accepted(self, text, **fields):
        cmd, h, _ = self.submit(text, **fields)
        assert cmd == "ACCEPTED", (cmd, h)
        return h

    def wait(self, job, timeout_ms=20000):
        cmd, h, _ = self.request("WAIT", {"job": job, "timeout_ms": timeout_ms},
                                 timeout=timeout_ms / 1000.0 + 5)
        assert cmd == "DONE", (cmd, h)
        return h

    def wait_done(self, job, timeout_ms=20000):
        h = self.wait(job, timeout_ms)
        assert h["status"] == 200, h
        return h["state"]

    def fetch(self, job):
        """The job's record, checked against PROTOCOL.md section 12."""
        cmd, h, body = self.request("FETCH", {"job": job})
        assert cmd == "RECORD", (cmd, h)
        return validate_record(json.loads(body))

    def status(self, job=None):
        cmd, h, _ = self.request("STATUS", {"job": job} if job else {})
        assert cmd == "STATUS", (cmd, h)
        return h


class Harness:
    """honyakud --workers 0 on private ipc:// endpoints, and fake workers."""

    def __init__(self, honyakud, name, config=""):
        self.honyakud = honyakud
        self.fx = Fixture(name)
        self.conf = self.fx.write("honyaku.conf", config)
        self.front = "ipc://" + self.fx.path("state", "front")
        self.back = "ipc://" + self.fx.path("state", "back")
        self.daemon = None
        self.client = None
        self.worker_no = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            sys.stderr.write("---- honyakud.log ----\n" + self.fx.log("honyakud.log")[-8000:] + "\n")
        self.close()

    def start_daemon(self):
        # honyakud.log is appended to: a restart keeps the earlier lines.
        self.fx.start_daemon(self.honyakud, workers=0,
                             extra=("--config", self.conf, "--log-level", "debug"))
        self.daemon = self.fx.daemon
        if self.client:
            self.client.close()
        self.client = Client(self.front)

        def up():
            if self.daemon.poll() is not None:
                raise AssertionError("honyakud exited with %d" % self.daemon.returncode)
            try:
                return self.client.request("STATUS", timeout=0.5)[0] == "STATUS"
            except AssertionError:
                return False
        poll("honyakud to answer STATUS", up, timeout=15)
        return self.client

    def kill_daemon(self):
        self.daemon.send_signal(signal.SIGKILL)
        self.daemon.wait(10)

    def start_worker(self, *args, name=None):
        self.worker_no += 1
        name = name or "fake%d" % self.worker_no
        log = self.fx.path(name + ".tasks")
        proc = self.fx.spawn(["/usr/bin/python3", FAKE_WORKER, "--back", self.back, "--name", name,
                              "--log", log] + list(args), name + ".log")
        proc.task_log = log
        return proc

    def replace_worker(self, old, *args, name=None):
        """SIGKILL the fake worker OLD, wait until the broker has no worker
        left, then start a new one with args (see start_worker)."""
        old.kill()
        old.wait()
        self.wait_workers(0)
        return self.start_worker(*args, name=name)

    def workers(self):
        return self.client.status()["workers"]

    def wait_workers(self, n, timeout=10):
        poll("%d workers" % n, lambda: self.workers() == n, timeout)

    def close(self):
        if self.client:
            self.client.close()
        self.fx.close()


def tasks_of(proc):
    """The TASKs a fake worker received, in order."""
    try:
        with open(proc.task_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def segments(record):
    return [s for p in record["paragraphs"] for s in p["segments"]]


class ManualWorker(Dealer):
    """A worker the test drives message by message (no thread, no timers):
    READY, then whatever the test sends and receives. For promises that
    need exact ordering, e.g. "a RESULT for a TASK it did not hold returns
    no credit"."""

    silence = "the broker sent nothing within %.1f s"

    def __init__(self, back, credit=1, backends=("pseudo",), name="manual"):
        super().__init__(back)
        self.send("READY", {"credit": credit, "backends": list(backends), "name": name,
                            "pid": os.getpid()})

    def expect(self, cmd, timeout=10.0, skip=("HEARTBEAT",)):
        """The next message that is cmd, skipping the commands in skip
        (an unexpected one fails)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.recv(max(0.01, deadline - time.monotonic()))
            if got[0] == cmd:
                return got
            assert got[0] in skip, ("expected %s, got %s" % (cmd, got[0]), got[1])

    def heartbeats(self, n, timeout=10.0, tasks=None):
        """Wait for n broker HEARTBEATs, answering each (with `tasks` when
        given), and return every other message that came before them.
        Messages on one connection keep their order, so a TASK sent in a
        pass before these heartbeats shows up here."""
        others = []
        deadline = time.monotonic() + timeout
        while n > 0:
            got = self.recv(max(0.01, deadline - time.monotonic()))
            if got[0] == "HEARTBEAT":
                self.send("HEARTBEAT", {"tasks": tasks} if tasks else None)
                n -= 1
            else:
                others.append(got)
        return others

    def result(self, task, status=200, body=None, reason=None):
        h = {"task": task, "status": status}
        if reason:
            h["reason"] = reason
        self.send("RESULT", h, body if body is None or isinstance(body, bytes) else
                  json.dumps(body).encode())

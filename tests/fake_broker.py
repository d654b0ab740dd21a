"""The broker's side of the worker conversation (proto/PROTOCOL.md sections
5.3-5.5 and 9), in pyzmq, for tests that run the real honyaku-worker:
a ROUTER on a private ipc:// endpoint that answers READY with a HEARTBEAT
carrying heartbeat_ms, sends HEARTBEATs every interval while the test
waits, and records every HEARTBEAT the worker sends (time and `tasks`).

A test drives it by waiting for messages (recv, results) or for time to
pass (idle); both poll the socket with a deadline. close() makes the
broker go away (the worker sees the connection drop); a new FakeBroker on
the same endpoint is a broker that came back."""
import json
import time

import zmq

SIG = b"HNY/1"


class FakeBroker:
    def __init__(self, endpoint, heartbeat_ms=200, send_interval=True):
        """heartbeat_ms: the interval the broker announces (None: an older
        broker that does not say it). The broker sends a HEARTBEAT when it
        sent nothing for that long, while beat is true."""
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        # A ROUTER drops what passes its high-water mark: a test that sends
        # more than 1000 TASKs at once must not lose some.
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.bind(endpoint)
        self.heartbeat_ms = heartbeat_ms
        self.send_interval = send_interval
        self.peer = None            # routing id of the worker's registration
        self.beats = []             # (monotonic time, tasks or None) per worker HEARTBEAT
        self.readies = []           # (monotonic time, peer, header) per READY
        self.beat = True            # send HEARTBEATs while waiting
        self.last_sent = 0.0
        self.task_no = 0
        self.closed = False

    def close(self):
        if not self.closed:
            self.sock.close(0)
            self.ctx.term()
            self.closed = True

    def send(self, cmd, header=None, body=None, peer=None):
        frames = [peer or self.peer, SIG, cmd.encode(), json.dumps(header or {}).encode()]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)
        self.last_sent = time.monotonic()

    def heartbeat(self):
        h = {}
        if self.heartbeat_ms is not None and self.send_interval:
            h["heartbeat_ms"] = self.heartbeat_ms
        self.send("HEARTBEAT", h)

    def _poll_once(self, deadline):
        """Beat when due, then wait for one message until the deadline.
        Returns (cmd, header, body, peer) or None; HEARTBEATs are
        recorded and returned like any other message."""
        now = time.monotonic()
        interval = (self.heartbeat_ms or 1000) / 1000.0
        beating = self.beat and self.peer is not None
        if beating and now - self.last_sent >= interval:
            self.heartbeat()
            now = time.monotonic()
        wait = min(0.05, deadline - now)
        if beating:
            wait = min(wait, self.last_sent + interval - now)
        if not self.sock.poll(max(1, int(wait * 1000))):
            return None
        frames = self.sock.recv_multipart()
        assert len(frames) in (4, 5), frames
        peer, sig, cmd, header = frames[:4]
        assert sig == SIG, sig
        cmd = cmd.decode()
        header = json.loads(header)
        body = frames[4] if len(frames) == 5 else None
        now = time.monotonic()
        if cmd == "HEARTBEAT":
            self.beats.append((now, header.get("tasks")))
        elif cmd == "READY":
            self.peer = peer
            self.readies.append((now, peer, header))
            self.heartbeat()        # section 9: READY is answered at once
        return cmd, header, body, peer

    def recv(self, want, timeout=10.0):
        """(header, body) of the next `want` message from the worker;
        HEARTBEATs are recorded and skipped, anything else fails."""
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + want)
            got = self._poll_once(deadline)
            if got is None:
                continue
            cmd, header, body, _ = got
            if cmd == "HEARTBEAT" and want != "HEARTBEAT":
                continue
            if cmd != want:
                raise AssertionError("expected %s, got %s %s" % (want, cmd, header))
            return header, body

    def idle(self, seconds):
        """Serve heartbeats for `seconds`; any message but HEARTBEAT fails."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self._poll_once(deadline)
            if got and got[0] != "HEARTBEAT":
                raise AssertionError("unexpected %s %s" % (got[0], got[1]))

    def task(self, kind, header, body):
        self.task_no += 1
        task = "t%d" % self.task_no
        h = {"task": task, "kind": kind, "lease_ms": 30000, "job": str(100 + self.task_no)}
        h.update(header)
        self.send("TASK", h, body)
        return task

    def results(self, tasks, timeout=20.0):
        """The RESULTs of several tasks, in any order: {task: (header, body)}."""
        out = {}
        deadline = time.monotonic() + timeout
        while len(out) < len(tasks):
            header, body = self.recv("RESULT", max(0.01, deadline - time.monotonic()))
            assert header["task"] in tasks, header
            assert header["task"] not in out, "two RESULTs for " + header["task"]
            out[header["task"]] = (header, body)
        return out


def gaps(beats, start=None, end=None):
    """Gaps in seconds between consecutive recorded heartbeats within
    [start, end] (times from time.monotonic())."""
    times = [t for t, _ in beats if (start is None or t >= start) and (end is None or t <= end)]
    return [b - a for a, b in zip(times, times[1:])]


def segments(texts, first_id=1):
    """A translate TASK body."""
    return json.dumps({"segments": [{"id": first_id + i, "src": t}
                                    for i, t in enumerate(texts)]}).encode()

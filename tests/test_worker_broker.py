"""honyaku-worker against a fake broker: a pyzmq ROUTER on a private ipc://
endpoint speaks the worker side of HNY/1 (proto/PROTOCOL.md) to the real
honyaku-worker, and checks READY, prepare and translate RESULTs (pseudo and
Apertium APy), malformed tasks (RESULT 4xx, the worker keeps serving),
heartbeats (this broker is an older one: its HEARTBEATs carry no
heartbeat_ms, so the worker keeps its configured interval), reconnection
when the broker goes silent (the task in flight is kept and still listed
in the heartbeats of the new registration), re-registration on
DISCONNECT, and DISCONNECT + exit on SIGTERM. test_worker_lease.py and
test_worker_prepare.py cover the rest of section 9.

usage: test_worker_broker.py HONYAKU_WORKER ARTICLE HAVE_PREPARE(0|1)"""
import json
import os
import signal
import socket
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, apy_installed, free_port, validate_prepared  # noqa: E402

SIG = b"HNY/1"
HB_MS = 200


class Broker:
    """The broker's side of the worker conversation."""

    def __init__(self, endpoint):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.peer = None            # routing id of the worker's current socket
        self.heartbeats = 0         # HEARTBEATs received from the worker
        self.last_tasks = None      # `tasks` of the last one
        self.beat = True            # send HEARTBEATs while waiting
        self.last_beat = 0.0
        self.task_no = 0

    def close(self):
        self.sock.close(0)
        self.ctx.term()

    def send(self, cmd, header=None, body=None, peer=None):
        frames = [peer or self.peer, SIG, cmd.encode(), json.dumps(header or {}).encode()]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)

    def recv(self, want, timeout=10.0):
        """Return (header, body) of the next `want` message from the worker;
        HEARTBEATs are counted and skipped, anything else fails the test."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if now > deadline:
                raise AssertionError("timed out waiting for " + want)
            if self.beat and self.peer and now - self.last_beat >= HB_MS / 1000.0:
                self.send("HEARTBEAT")
                self.last_beat = now
            if not self.sock.poll(min(50, int((deadline - now) * 1000) + 1)):
                continue
            frames = self.sock.recv_multipart()
            assert len(frames) in (4, 5), frames
            peer, sig, cmd, header = frames[:4]
            assert sig == SIG, sig
            cmd = cmd.decode()
            header = json.loads(header)
            body = frames[4] if len(frames) == 5 else None
            if cmd == "HEARTBEAT":
                self.heartbeats += 1
                self.last_tasks = header.get("tasks")
                continue
            if cmd == "READY":
                self.peer = peer
            if cmd != want:
                raise AssertionError("expected %s, got %s %s" % (want, cmd, header))
            return header, body

    def task(self, kind, header, body):
        self.task_no += 1
        task = "t%d" % self.task_no
        h = {"task": task, "kind": kind, "lease_ms": 30000, "job": str(100 + self.task_no)}
        h.update(header)
        self.send("TASK", h, body)
        return task

    def results(self, tasks, timeout=20.0):
        """Collect the RESULTs of several tasks, in any order."""
        out = {}
        while len(out) < len(tasks):
            header, body = self.recv("RESULT", timeout)
            assert header["task"] in tasks, header
            assert header["task"] not in out, "two RESULTs for " + header["task"]
            out[header["task"]] = (header, body)
        return out


def segments(texts, first_id=1):
    return json.dumps({"segments": [{"id": first_id + i, "src": t}
                                    for i, t in enumerate(texts)]}).encode()


def main():
    worker_bin, article, have_prepare = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    fx = Fixture("hny-tw")
    tmp = fx.dir
    server = False              # a real APy answers
    proc = None
    broker = None
    # A server that accepts connections (kernel backlog) and never answers:
    # its tasks stay in flight until the worker drops them.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        if apy_installed():
            url = fx.start_apy(timeout=30.0)
            server = True
        else:
            url = "http://127.0.0.1:%d" % free_port()     # refused: transient errors
        conf = os.path.join(tmp, "worker.conf")
        with open(conf, "w") as f:
            f.write("[daemon]\nheartbeat_ms = %d\n\n[worker]\ncredit = 3\n\n"
                    "[backend.apertium]\ntype = apertium\nurl = %s\nconcurrency = 4\n\n"
                    "[backend.silent]\ntype = apertium\nurl = http://127.0.0.1:%d\ntimeout_ms = 20000\n"
                    % (HB_MS, url, silent.getsockname()[1]))
        endpoint = "ipc://" + os.path.join(tmp, "back")
        broker = Broker(endpoint)
        proc = fx.spawn([worker_bin, "--back", endpoint, "--config", conf,
                         "--name", "tw", "--log-level", "debug"], "worker.log")

        # READY: credit from the config, the profiles, name and pid.
        ready, _ = broker.recv("READY")
        assert ready["credit"] == 3, ready
        assert set(ready["backends"]) == {"pseudo", "apertium", "silent"}, ready
        assert ready["name"] == "tw" and ready["pid"] == proc.pid, ready

        # prepare
        with open(article, "rb") as f:
            raw = f.read()
        t = broker.task("prepare", {"format": "auto", "from": "en", "source": article}, raw)
        header, body = broker.results([t])[t]
        if have_prepare:
            assert header["status"] == 200, header
            prepared = validate_prepared(json.loads(body))
            assert prepared["schema"] == "honyaku.prepared/1", prepared
            assert prepared["stats"]["segments"] > 5, prepared["stats"]
            assert prepared["paragraphs"][0]["segments"][0]["src"], prepared
        else:
            assert header["status"] == 503, header
        # prepare of bytes that hold no article: a 4xx, not a crash
        t = broker.task("prepare", {"format": "text", "from": "en"}, b"\x00\x01\x02\xff\xfe")
        header, _ = broker.results([t])[t]
        assert (400 <= header["status"] < 500) if have_prepare else header["status"] == 503, header

        # translate: pseudo and apertium at once, several requests in flight
        hello = ["Hello world."] + ["The house number %d is red." % i for i in range(1, 20)]
        ta = broker.task("translate", {"profile": "apertium", "from": "en", "to": "es"}, segments(hello))
        tp = broker.task("translate", {"profile": "pseudo", "from": "en", "to": "ja"},
                         segments(["Hello 42.", "東京"]))
        tj = broker.task("translate", {"profile": "apertium", "from": "en", "to": "ja"},
                         segments(["Hello."]))
        got = broker.results([ta, tp, tj])
        header, body = got[tp]
        assert header["status"] == 200, header
        res = json.loads(body)
        assert [s["tgt"] for s in res["segments"]] == ["⟦ÞŠËÛÐÖ: Ĥêľľö 42.⟧", "⟦ÞŠËÛÐÖ: 東京⟧"], res
        assert res["requests"] == 0 and res["chars_billed"] == 0, res

        header, body = got[ta]
        assert header["status"] == 200, header
        res = json.loads(body)
        assert [s["id"] for s in res["segments"]] == list(range(1, 21)), res
        if server:
            assert res["segments"][0] == {"id": 1, "tgt": "Hola Mundo."}, res["segments"][0]
            assert all("casa" in s["tgt"] for s in res["segments"][1:]), res
            assert res["requests"] == 20 and res["chars_billed"] > 0, res
        else:
            assert all(s["error"]["class"] == "transient" for s in res["segments"]), res
        header, body = got[tj]
        assert header["status"] == 200, header
        err = json.loads(body)["segments"][0]["error"]
        if server:
            assert err["class"] == "permanent" and err["code"] == 400, err
            assert "not installed" in err["reason"], err

        # hostile and malformed tasks: each gets a RESULT, the worker goes on
        bad = [
            (("translate", {"profile": "pseudo", "from": "en", "to": "ja"}, b"not json"), 400),
            (("translate", {"profile": "pseudo", "from": "en", "to": "ja"}, b'{"segments": [{"id": 1}]}'), 400),
            (("translate", {"profile": "pseudo", "from": "en", "to": "ja"}, b"\xff\xfe{"), 400),
            (("translate", {"profile": "pseudo"}, segments(["x"])), 400),
            (("translate", {"profile": "nosuch", "from": "en", "to": "ja"}, segments(["x"])), 503),
            (("sweep", {}, b""), 400),
        ]
        for (kind, h, b), status in bad:
            t = broker.task(kind, h, b)
            header, _ = broker.results([t])[t]
            assert header["status"] == status, (kind, h, b, header)
            assert header.get("reason"), header
        t = broker.task("translate", {"profile": "pseudo", "from": "en", "to": "ja"}, segments(["ok"]))
        header, body = broker.results([t])[t]
        assert header["status"] == 200 and json.loads(body)["segments"][0]["tgt"] == "⟦ÞŠËÛÐÖ: öķ⟧"
        assert proc.poll() is None, "worker died"

        # heartbeats arrive when nothing else is sent
        before = broker.heartbeats
        try:
            broker.recv("NOTHING", timeout=1.0)
        except AssertionError as e:
            assert "timed out" in str(e), e
        assert broker.heartbeats - before >= 3, broker.heartbeats - before

        # DISCONNECT from the broker: the worker registers again
        broker.send("DISCONNECT", {"reason": "who are you"})
        ready, _ = broker.recv("READY", timeout=3.0)
        assert ready["name"] == "tw"

        # a silent broker: after 3 intervals the worker reconnects (a new
        # socket, so a new routing id) and sends READY again; the task in
        # flight goes on (the service never answers it here) and the
        # heartbeats of the new registration list it
        stuck = broker.task("translate", {"profile": "silent", "from": "en", "to": "es"},
                            segments(["never answered"]))
        old_peer = broker.peer
        broker.beat = False
        start = time.monotonic()
        ready, _ = broker.recv("READY", timeout=5.0)
        elapsed = time.monotonic() - start
        assert broker.peer != old_peer, "READY came from the old socket"
        assert elapsed >= 2 * HB_MS / 1000.0, elapsed
        broker.beat = True
        t = broker.task("translate", {"profile": "pseudo", "from": "en", "to": "ja"}, segments(["again"]))
        header, _ = broker.results([t])[t]
        assert header["status"] == 200, header
        broker.last_tasks = None
        try:
            broker.recv("NOTHING", timeout=2.5 * HB_MS / 1000.0)
        except AssertionError as e:
            assert "timed out" in str(e), e
        assert broker.last_tasks == [stuck], broker.last_tasks

        # SIGTERM: READY draining, listing the task in hand (it would be
        # finished and delivered); SIGTERM again changes nothing (a dying
        # broker's threads each send one); SIGQUIT: DISCONNECT at once and
        # exit 0
        proc.send_signal(signal.SIGTERM)
        ready, _ = broker.recv("READY", timeout=3.0)
        assert ready.get("draining") is True and ready.get("tasks") == [stuck], ready
        proc.send_signal(signal.SIGTERM)
        try:
            broker.recv("NOTHING", timeout=0.3)     # its heartbeats go on
        except AssertionError as e:
            assert "timed out" in str(e), e
        assert proc.poll() is None, "a second SIGTERM stopped the draining worker"
        proc.send_signal(signal.SIGQUIT)
        bye, _ = broker.recv("DISCONNECT", timeout=3.0)
        assert bye.get("reason"), bye
        assert proc.wait(5) == 0
        assert "dropping 1 tasks in hand: shutting down" in fx.log("worker.log")
        print("test_worker_broker: passed (apertium %s, prepare %s)"
              % ("real" if server else "absent", "on" if have_prepare else "absent"))
        return 0
    except BaseException:
        sys.stderr.write("--- worker log ---\n" + fx.log("worker.log")[-6000:])
        raise
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        if broker:
            broker.close()
        silent.close()
        fx.close()


if __name__ == "__main__":
    sys.exit(main())

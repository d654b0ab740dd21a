"""honyakud under a systemd-like supervisor: NOTIFY_SOCKET points at a
datagram socket of this test, as systemd's Type=notify does. READY=1 must
come only after both local workers have registered, STATUS= lines follow,
WATCHDOG=1 keeps coming at half of WATCHDOG_USEC, and SIGTERM brings
STOPPING=1 and a clean exit.

usage: test_daemon_notify.py HONYAKUD"""
import json
import os
import signal
import socket
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture  # noqa: E402

honyakud = sys.argv[1]


def status(front):
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(front)
    s.send_multipart([b"HNY/1", b"STATUS", b"{}"])
    if not s.poll(5000):
        raise AssertionError("no STATUS answer")
    frames = s.recv_multipart()
    s.close()
    assert frames[1] == b"STATUS", frames
    return json.loads(frames[2])


with Fixture("notify") as fx:
    path = fx.path("notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
    front = fx.start_daemon(honyakud, workers=2, env=env)
    proc = fx.daemon
    seen = []

    def expect(prefix, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(4096).decode()
            except socket.timeout:
                break
            for line in data.splitlines():
                seen.append(line)
                if line.startswith(prefix):
                    return line
        raise AssertionError("no %s from honyakud; saw %r\n%s" % (prefix, seen, fx.log("honyakud.log")))

    try:
        t0 = time.monotonic()
        expect("READY=1")
        print("READY after %.2f s" % (time.monotonic() - t0))
        # Both local workers registered before READY=1 was sent.
        st = status(front)
        assert st["workers"] == 2, st
        line = expect("STATUS=", timeout=5.0)
        print("%s after %.2f s" % (line, time.monotonic() - t0))
        assert "2 workers" in line, line
        expect("WATCHDOG=1")
        expect("WATCHDOG=1", timeout=2.0)      # it keeps coming, every ~100 ms
        proc.send_signal(signal.SIGTERM)
        expect("STOPPING=1")
        assert proc.wait(10) == 0, proc.returncode
        print("exit after %.2f s" % (time.monotonic() - t0))
        print("ok: " + ", ".join(sorted(set(l.split("=")[0] for l in seen))))
    finally:
        sock.close()

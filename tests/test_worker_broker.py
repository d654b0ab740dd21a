"""honyaku-worker against a fake broker (fake_broker.py: a pyzmq ROUTER on a
private ipc:// endpoint speaks the broker side of HNY/1, proto/PROTOCOL.md,
to the real honyaku-worker), and checks READY, prepare and translate
RESULTs (pseudo and Apertium APy), malformed tasks (RESULT 4xx, the worker
keeps serving), heartbeats (this broker is an older one: its HEARTBEATs
carry no heartbeat_ms, so the worker keeps its configured interval),
reconnection when the broker goes silent (the task in flight is kept and
still listed in the heartbeats of the new registration), re-registration
on DISCONNECT, and DISCONNECT + exit on SIGTERM. test_worker_lease.py and
test_worker_prepare.py cover the rest of section 9.

usage: test_worker_broker.py HONYAKU_WORKER ARTICLE HAVE_PREPARE(0|1)"""
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_broker import FakeBroker, segments  # noqa: E402
from hnyfix import Fixture, apy_installed, free_port, validate_prepared  # noqa: E402

HB_MS = 200


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
        # an older broker: it beats every HB_MS but does not announce heartbeat_ms
        broker = FakeBroker(endpoint, HB_MS, send_interval=False)
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
        before = len(broker.beats)
        broker.idle(1.0)
        assert len(broker.beats) - before >= 3, len(broker.beats) - before

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
        before = len(broker.beats)
        broker.idle(2.5 * HB_MS / 1000.0)
        beats = broker.beats[before:]
        assert beats and beats[-1][1] == [stuck], beats

        # SIGTERM: READY draining, listing the task in hand (it would be
        # finished and delivered); SIGTERM again changes nothing (a dying
        # broker's threads each send one); SIGQUIT: DISCONNECT at once and
        # exit 0
        proc.send_signal(signal.SIGTERM)
        ready, _ = broker.recv("READY", timeout=3.0)
        assert ready.get("draining") is True and ready.get("tasks") == [stuck], ready
        proc.send_signal(signal.SIGTERM)
        broker.idle(0.3)                        # its heartbeats go on
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

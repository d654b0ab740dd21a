"""Security of honyakud's endpoints: `honyaku keygen`, the refusal of plain
TCP, CURVE with allow-lists (clients on the front, workers on the back, the
ZAP handler's refusals in the log), ipc:// socket permissions, and SIGHUP
reloads (a new allow-list admits a new client, log level and profile limits
apply; a broken file keeps the old configuration and the daemon serving).

usage: test_security.py BIN_DIR SCENARIO
  BIN_DIR holds honyakud, honyaku and honyaku-worker;
  SCENARIO is keygen, refuse, curve or reload.

Everything runs in a private temporary directory on loopback ports; every
process is stopped and the directory removed at the end (hnyfix.Fixture)."""
import os
import signal
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, free_port, poll, run  # noqa: E402

BIN = sys.argv[1]
HONYAKUD = os.path.join(BIN, "honyakud")
HONYAKU = os.path.join(BIN, "honyaku")
TIMEOUT_MS = "1500"


def keygen(fx, name):
    """Make PREFIX.key/.pub in the fixture; return (prefix, public key)."""
    prefix = fx.path(name)
    _, out, _ = run([HONYAKU, "keygen", "--out", prefix])
    return prefix, out.strip()


def client(fx, endpoint, keyname, *args, check=False, timeout_ms=TIMEOUT_MS):
    argv = [HONYAKU, "--endpoint", endpoint, "--timeout", timeout_ms,
            "--server-key", fx.path("server.pub"), "--key-file", fx.path(keyname + ".key")]
    return run(argv + list(args), check=check, timeout=30)


def curve_config(fx, front, back, allowed, extra=""):
    fx.write("clients.txt", "# admitted clients\n" + "".join(k + "  some-label\n" for k in allowed))
    return ("[daemon]\nfront = %s\nback = %s\ncurve_key_file = %s\nallowed_clients = %s\n"
            "allowed_workers = %s\n%s\n[worker]\nserver_key = %s\nkey_file = %s\n"
            % (front, back, fx.path("server.key"), fx.path("clients.txt"), fx.path("workers.txt"),
               extra, fx.path("server.pub"), fx.path("worker.key")))


def start_curve(fx, allowed_names, workers=0):
    """honyakud with CURVE on loopback TCP; returns the front endpoint."""
    keys = {}
    for name in ("server", "worker", "alice", "mallory"):
        keys[name] = keygen(fx, name)[1]
    fx.write("workers.txt", keys["worker"] + "\n")
    front = "tcp://127.0.0.1:%d" % free_port()
    back = "tcp://127.0.0.1:%d" % free_port()
    conf = curve_config(fx, front, back, [keys[n] for n in allowed_names])
    fx.start_daemon(HONYAKUD, conf, workers=workers)
    poll("CURVE on the front", lambda: "CURVE on" in fx.log("honyakud.log") or fx.daemon.poll() is not None, 10)
    assert fx.daemon.poll() is None, fx.log("honyakud.log")
    return front, back, keys


def status_ok(fx, front, name):
    code, out, _ = client(fx, front, name, "status", "--json")
    return code == 0 and '"workers"' in out


def test_keygen():
    with Fixture("hnysec") as fx:
        prefix, public = keygen(fx, "k")
        key, pub = open(prefix + ".key").read(), open(prefix + ".pub").read()
        assert stat.S_IMODE(os.stat(prefix + ".key").st_mode) == 0o600, oct(os.stat(prefix + ".key").st_mode)
        assert len(public) == 40, public
        assert "public-key = " + public in key and "secret-key = " in key, key
        secret = key.split("secret-key = ")[1].split()[0]
        assert len(secret) == 40 and secret != public
        assert public in pub and secret not in pub, pub
        # Nothing secret on stdout by default; an existing file is kept.
        code, out, err = run([HONYAKU, "keygen", "--out", prefix], check=False)
        assert code == 1 and "exists" in err and out == "", (code, out, err)
        assert open(prefix + ".key").read() == key
        _, out, _ = run([HONYAKU, "keygen", "--stdout"])
        assert "secret-key = " in out and not os.path.exists(fx.path("honyaku.key")), out
        code, _, err = run([HONYAKU, "keygen", "--bogus"], check=False)
        assert code == 2, err


def test_refuse():
    with Fixture("hnysec") as fx:
        port = free_port()
        # 1. A public TCP front without CURVE: refused at start.
        proc = fx.spawn([HONYAKUD, "--state", fx.path("st1"), "--workers", "0",
                         "--front", "tcp://0.0.0.0:%d" % port], "refused.log")
        assert proc.wait(15) == 1, fx.log("refused.log")
        log = fx.log("refused.log")
        assert "refusing to serve tcp://0.0.0.0:%d without CURVE" % port in log, log
        # 2. Loopback without insecure_tcp_loopback: refused as well.
        proc = fx.spawn([HONYAKUD, "--state", fx.path("st2"), "--workers", "0",
                         "--front", "tcp://127.0.0.1:%d" % port], "refused2.log")
        assert proc.wait(15) == 1 and "without CURVE" in fx.log("refused2.log"), fx.log("refused2.log")
        # 3. A non-loopback address with insecure_tcp_loopback: still refused.
        conf = fx.write("insecure.conf", "[daemon]\ninsecure_tcp_loopback = true\n")
        proc = fx.spawn([HONYAKUD, "--state", fx.path("st3"), "--workers", "0", "--config", conf,
                         "--front", "tcp://0.0.0.0:%d" % port], "refused3.log")
        assert proc.wait(15) == 1 and "without CURVE" in fx.log("refused3.log"), fx.log("refused3.log")
        # 4. Loopback with insecure_tcp_loopback: served, with a warning;
        #    ipc:// socket files are 0600.
        front = "tcp://127.0.0.1:%d" % port
        fx.spawn([HONYAKUD, "--state", fx.path("st4"), "--workers", "0", "--config", conf,
                  "--front", front], "insecure.log")
        code = poll("an answer over plain loopback TCP", lambda: run(
            [HONYAKU, "--endpoint", front, "--timeout", TIMEOUT_MS, "status"], check=False)[0] == 0, 15)
        assert code
        assert "plain TCP without CURVE" in fx.log("insecure.log"), fx.log("insecure.log")
        back = fx.path("st4", "back")
        assert stat.S_ISSOCK(os.stat(back).st_mode), back
        assert stat.S_IMODE(os.stat(back).st_mode) == 0o600, oct(os.stat(back).st_mode)
        # 5. A broken allow-list: refused at start with the file and line.
        fx.write("server.key", "")
        run([HONYAKU, "keygen", "--force", "--out", fx.path("server")])
        bad = fx.write("bad.txt", "not-a-key\n")
        conf = fx.write("bad.conf", "[daemon]\ncurve_key_file = %s\nallowed_clients = %s\n"
                        % (fx.path("server.key"), bad))
        proc = fx.spawn([HONYAKUD, "--state", fx.path("st5"), "--workers", "0", "--config", conf,
                         "--front", "tcp://127.0.0.1:%d" % free_port()], "badlist.log")
        assert proc.wait(15) == 1 and "bad.txt:1" in fx.log("badlist.log"), fx.log("badlist.log")


def test_curve():
    with Fixture("hnysec") as fx:
        front, back, keys = start_curve(fx, ["alice"], workers=1)
        # The allowed client gets STATUS; the local worker (keys from
        # [worker]) registers over CURVE.
        poll("alice's STATUS with one worker", lambda: status_ok(fx, front, "alice")
             and '"workers": 1' in client(fx, front, "alice", "status", "--json")[1], 20, 0.2)
        # An unknown key gets no answer and the refusal is logged, with the
        # key's first 8 characters and never more.
        code, out, err = client(fx, front, "mallory", "status")
        assert code == 1 and "no answer" in err, (code, out, err)
        poll("the refusal in the log", lambda: "key %s..." % keys["mallory"][:8] in fx.log("honyakud.log"), 10)
        assert keys["mallory"] not in fx.log("honyakud.log")
        # No keys at all: no answer either (CURVE is required).
        code, _, err = run([HONYAKU, "--endpoint", front, "--timeout", TIMEOUT_MS, "status"], check=False)
        assert code == 1 and "no answer" in err, err
        # A job completes through the CURVE worker (pseudo backend).
        art = fx.write("a.txt", "Hello world. This is a test.\n")
        code, out, err = client(fx, front, "alice", "submit", art, "--from", "en", "--to", "es",
                                "--backend", "pseudo", "--wait", timeout_ms="20000")
        assert code == 0 and out.strip().endswith("done"), (code, out, err, fx.log("honyakud.log"))
        # A worker with an unknown key is refused on the back.
        wlog = "rogue.log"
        fx.spawn([os.path.join(BIN, "honyaku-worker"), "--back", back, "--name", "rogue",
                  "--server-key", fx.path("server.pub"), "--key-file", fx.path("mallory.key")], wlog)
        poll("the rogue worker's refusal", lambda: "refused a worker" in fx.log("honyakud.log"), 10)
        assert "rogue" not in fx.log("honyakud.log")
        # A client or worker that names a server key without its own pair: usage error.
        code, _, err = run([HONYAKU, "--endpoint", front, "--server-key", fx.path("server.pub"), "status"],
                           check=False, env=dict(os.environ, HONYAKU_CLIENT_KEY_FILE=""))
        assert code == 2 and "--key-file" in err, err


def test_reload():
    with Fixture("hnysec") as fx:
        front, back, keys = start_curve(fx, ["alice"])
        poll("alice's STATUS", lambda: status_ok(fx, front, "alice"), 15, 0.2)
        code, _, err = client(fx, front, "mallory", "status")
        assert code == 1 and "no answer" in err, err
        # A new allow-list and log level: SIGHUP admits mallory.
        conf = curve_config(fx, front, back, [keys["alice"], keys["mallory"]], "log_level = debug\n")
        conf += "\n[backend.pseudo]\nconcurrency = 2\nrate = 50\n"
        fx.write("honyaku.conf", conf)
        fx.daemon.send_signal(signal.SIGHUP)
        poll("the reload", lambda: "SIGHUP: reloaded" in fx.log("honyakud.log"), 10)
        poll("mallory's STATUS", lambda: status_ok(fx, front, "mallory"), 15, 0.2)
        log = fx.log("honyakud.log")
        assert "admitted a client" in log, log          # log_level = debug applies
        assert "reload: profile pseudo: concurrency 2, rate 50/s" in log, log
        # A broken file: logged, the old configuration stays, still serving.
        fx.write("honyaku.conf", conf + "\n[daemon]\nno_such_option = 1\n")
        fx.daemon.send_signal(signal.SIGHUP)
        poll("the failed reload", lambda: "cannot reload" in fx.log("honyakud.log"), 10)
        assert fx.daemon.poll() is None
        assert status_ok(fx, front, "mallory") and status_ok(fx, front, "alice")
        # A broken allow-list is refused as a whole too.
        fx.write("honyaku.conf", conf)
        fx.write("clients.txt", keys["alice"] + "\nshort\n")
        fx.daemon.send_signal(signal.SIGHUP)
        poll("the refused allow-list", lambda: fx.log("honyakud.log").count("cannot reload") >= 2, 10)
        assert status_ok(fx, front, "mallory")
        # Endpoints changed: logged as needing a restart.
        fx.write("clients.txt", keys["alice"] + "\n")
        fx.write("honyaku.conf", conf.replace(front, "tcp://127.0.0.1:%d" % free_port()))
        fx.daemon.send_signal(signal.SIGHUP)
        poll("the restart note", lambda: "endpoints or state changed" in fx.log("honyakud.log"), 10)
        # mallory's key was dropped from the list: refused again.
        poll("mallory refused again", lambda: client(fx, front, "mallory", "status")[0] == 1, 10)
        assert status_ok(fx, front, "alice")


if __name__ == "__main__":
    {"keygen": test_keygen, "refuse": test_refuse, "curve": test_curve,
     "reload": test_reload}[sys.argv[2]]()
    print("ok:", sys.argv[2])

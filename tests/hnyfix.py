"""Fixtures shared by the integration tests: a private temporary directory,
Apertium APy on a free loopback port, and honyakud with its workers. Every
process started here is stopped and every file removed by Fixture.close(),
which the tests call from a finally block (or use the object as a context
manager). Waiting is always a poll against a deadline."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def poll(what, fn, timeout=30.0, interval=0.05):
    """Call fn until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


class Fixture:
    def __init__(self, prefix="hny"):
        # Short paths: ipc:// endpoints must fit in sun_path (107 bytes).
        self.dir = tempfile.mkdtemp(prefix=prefix + ".", dir="/tmp")
        self.procs = []
        self.apy_port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, log_name, env=None):
        log = open(self.path(log_name), "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
        self.procs.append(proc)
        return proc

    def start_apy(self, timeout=60.0):
        """Start Apertium APy on a free port; return its base URL."""
        self.apy_port = free_port()
        self.spawn(["apertium-apy", "-p", str(self.apy_port), "/usr/share/apertium/modes"], "apy.log")
        url = "http://127.0.0.1:%d" % self.apy_port

        def up():
            try:
                with urllib.request.urlopen(url + "/listPairs", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        poll("Apertium APy", up, timeout, 0.1)
        return url

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def start_daemon(self, honyakud, config_text=None, workers=2, extra=()):
        """Start honyakud on private ipc:// endpoints; return the front endpoint."""
        argv = [honyakud, "--state", self.path("state"), "--workers", str(workers)]
        if config_text is not None:
            argv += ["--config", self.write("honyaku.conf", config_text)]
        argv += list(extra)
        self.daemon = self.spawn(argv, "honyakud.log")
        self.front = "ipc://" + self.path("state", "front")
        return self.front

    def log(self, name):
        try:
            with open(self.path(name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(argv, env=None, timeout=120, check=True, input=None):
    """Run a command; return (exit code, stdout, stderr) as text."""
    r = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, input=input)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (argv, r.returncode, out, err))
    return r.returncode, out, err


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]

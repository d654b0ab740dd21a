"""Apertium APy for tests: start it on a free loopback port in a private
temporary directory, wait (polling /listPairs against a deadline) until it
answers, and stop it again.

As a module:
    with apy.Apy() as server:      # raises apy.Missing when not installed
        url = server.url

As a wrapper around a test program (CTest):
    apy.py PROGRAM [ARGS...]
runs PROGRAM with HNY_APY_URL set to the running server's URL and exits
with its status. When apertium-apy is not installed it runs PROGRAM with
HNY_APY_MISSING=1 instead, so that the program can run what needs no APy and
exit 77 (CTest's SKIP_RETURN_CODE) for the rest."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

MODES = "/usr/share/apertium/modes"


class Missing(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def installed():
    return shutil.which("apertium-apy") is not None and os.path.isdir(MODES)


class Apy:
    def __init__(self, timeout=30.0):
        self.timeout = timeout
        self.proc = None
        self.dir = None
        self.url = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _up(self):
        try:
            with urllib.request.urlopen(self.url + "/listPairs", timeout=2) as r:
                return r.status == 200 and b"responseData" in r.read()
        except OSError:
            return False

    def start(self):
        if not installed():
            raise Missing("apertium-apy is not installed")
        # APy may write databases into its working directory: give it its own.
        self.dir = tempfile.mkdtemp(prefix="hny-apy.", dir="/tmp")
        # A port freed by free_port() may be taken again before APy binds it:
        # try a few ports before giving up.
        for _ in range(3):
            port = free_port()
            self.url = "http://127.0.0.1:%d" % port
            log = open(os.path.join(self.dir, "apy.log"), "ab")
            self.proc = subprocess.Popen(["apertium-apy", "-p", str(port), MODES],
                                         cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                if self._up():
                    return self.url
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            self._kill()
        log_text = self.log()
        self.stop()
        raise RuntimeError("Apertium APy did not answer /listPairs:\n" + log_text)

    def log(self):
        try:
            with open(os.path.join(self.dir, "apy.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except (OSError, TypeError):
            return ""

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: apy.py PROGRAM [ARGS...]\n")
        return 2
    env = dict(os.environ)
    if not installed():
        env["HNY_APY_MISSING"] = "1"
        return subprocess.call(argv[1:], env=env)
    with Apy() as server:
        env["HNY_APY_URL"] = server.url
        try:
            return subprocess.call(argv[1:], env=env, timeout=60)
        except subprocess.TimeoutExpired:
            sys.stderr.write("apy.py: %s timed out\n" % argv[1])
            return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The honyaku command against a fake broker written in pyzmq.

usage: test_client_cli.py HONYAKU [TEST_CLIENT_LIB]

The fake broker (a ROUTER on a private ipc:// endpoint, in a thread) speaks
enough of proto/PROTOCOL.md's client side to drive every CLI command:
SUBMIT with idempotency keys, WAIT with timeouts, FETCH, LIST with paging,
STATUS and STATS. Article bodies steer it: "REJECT-ME" is rejected (415),
"FAIL-ME" makes the job fail, "HOLD-ME" never finishes. In "deferred" mode
it finishes one job only when no request has come for 100 ms, so that a
client which does not bound its window would pile up unfinished jobs: the
broker counts the most it ever had at once.

Checks: usage errors (exit 2), an ipc:// endpoint that cannot work (no
socket, not a socket, a stale socket nobody listens on, permission denied:
said at once, not after the timeout) and a silent broker (clear error
within the timeout; batch gives up after --patience), submit/wait/fetch,
REJECTED and failed jobs surfacing as clear errors, a body over the
protocol's 64 MiB cap refused with 413 before anything is sent, 303/503
answers retried (status, wait, fetch, batch), `wait` riding out a broker
restart, batch (window bound, path order, keys, errors.txt, a re-run
creating no new jobs, resuming from what records.jsonl holds: a torn last
line, repeated keys, records of no file, a line that is no record, the
folder's lock), export with paging, status and stats. With
TEST_CLIENT_LIB, also runs that C test of libhonyaku's pipelining against
a fake broker.

The broker can be told to answer the next N requests of a command with a
status (FakeBroker.refuse), and a new FakeBroker can take over the jobs of
a stopped one (state_from), as a restarted honyakud keeps its store."""
import ctypes
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, validate_record, validate_records  # noqa: E402

HONYAKU = sys.argv[1]
CLIENT_LIB = sys.argv[2] if len(sys.argv) > 2 else None
SIG = b"HNY/1"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


class FakeBroker(threading.Thread):
    def __init__(self, endpoint, mode="immediate", silent=False, page=1000, state_from=None,
                 answer_first=0):
        super().__init__(daemon=True)
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.mode, self.silent, self.page = mode, silent, page
        self.answer_first = answer_first    # silent: the first requests are answered all the same
        self.stop_flag = threading.Event()
        self.jobs = {}          # id -> dict
        self.keys = {}          # key -> id
        self.order = []         # ids in creation order
        self.waiters = []       # (rid, req, job, deadline)
        self.submits = []       # SUBMIT headers as received
        self.requests = 0
        self.log = []           # (command, job) of every request and every finish, in order
        self.unfinished = 0
        self.max_unfinished = 0
        self.refusals = {}      # command -> [count, status]: refuse the next count requests
        self.max_body = 0       # largest body received
        self.lock = threading.Lock()
        if state_from is not None:
            # A restarted broker: same jobs and keys, no connections, no waiters.
            self.jobs, self.keys, self.order = state_from.jobs, state_from.keys, state_from.order
            self.unfinished = state_from.unfinished

    def refuse(self, cmd, count, status):
        """Answer the next count requests of cmd with REJECTED status."""
        with self.lock:
            self.refusals[cmd] = [count, status]

    def send(self, rid, cmd, header, body=None):
        frames = [rid, SIG, cmd.encode(), json.dumps(header).encode()]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)

    def reply(self, rid, req, cmd, header, body=None):
        if req is not None:
            header["req"] = req
        self.send(rid, cmd, header, body)

    def finish(self, job, state):
        j = self.jobs[job]
        if j["state"] in ("done", "failed"):
            return
        j["state"] = state
        self.unfinished -= 1
        self.log.append(("FINISH", job))
        keep = []
        for w in self.waiters:
            if w[2] == job:
                self.reply(w[0], w[1], "DONE", {"status": 200, "job": job, "state": state})
            else:
                keep.append(w)
        self.waiters = keep

    def record(self, j):
        # A record as PROTOCOL.md section 12 has it: one pair.
        text = j["body"].decode("utf-8", "replace").strip()
        return {"schema": "honyaku.record/1", "job": j["id"], "key": j["key"],
                "source_lang": j["from"], "target_lang": j["to"], "backend": j["backend"],
                "metadata": {"source": j["source"]} if j.get("source") else {}, "title": None,
                "paragraphs": [{"segments": [{"src": text, "tgt": text.upper(), "tm": False}]}],
                "errors": [], "stats": {"segments": 1, "chars": len(text), "chars_billed": 0,
                                        "tm_hits": 0, "requests": 1, "time_ms": 1}}

    def handle(self, frames):
        rid = frames[0]
        if len(frames) < 4 or frames[1] != SIG:
            return
        cmd = frames[2].decode()
        hdr = json.loads(frames[3])
        req = hdr.get("req")
        body = frames[4] if len(frames) > 4 else None
        self.requests += 1
        self.max_body = max(self.max_body, len(body) if body is not None else 0)
        self.log.append((cmd, hdr.get("job")))
        if self.silent and self.requests > self.answer_first:
            return
        refusal = self.refusals.get(cmd)
        if refusal and refusal[0] > 0:
            refusal[0] -= 1
            reason = {303: "too many unfinished jobs (9): retry later",
                      400: "to: unknown language 'qq' (use a BCP 47 tag such as en, ja, pt-BR)"}.get(
                          refusal[1], "honyakud is shutting down")
            return self.reply(rid, req, "REJECTED", {"status": refusal[1], "reason": reason})
        if cmd == "SUBMIT":
            self.submits.append(hdr)
            if b"REJECT-ME" in body:
                return self.reply(rid, req, "REJECTED", {"status": 415, "reason": "not text: binary data"})
            key = hdr.get("key") or "derived:%d" % len(body)
            if key in self.keys:
                j = self.jobs[self.keys[key]]
                return self.reply(rid, req, "ACCEPTED", {"job": j["id"], "key": key, "existing": True,
                                                         "state": j["state"]})
            jid = str(len(self.order) + 1)
            j = {"id": jid, "key": key, "state": "queued", "body": body, "from": hdr["from"],
                 "to": hdr["to"], "backend": hdr.get("backend", "pseudo"), "source": hdr.get("source")}
            self.jobs[jid] = j
            self.keys[key] = jid
            self.order.append(jid)
            self.unfinished += 1
            self.max_unfinished = max(self.max_unfinished, self.unfinished)
            self.reply(rid, req, "ACCEPTED", {"job": jid, "key": key, "existing": False, "state": "queued"})
            if self.mode == "immediate" and b"HOLD-ME" not in body:
                self.finish(jid, "failed" if b"FAIL-ME" in body else "done")
        elif cmd == "WAIT":
            j = self.jobs.get(hdr["job"])
            if not j:
                return self.reply(rid, req, "REJECTED", {"status": 404, "reason": "no such job"})
            if j["state"] in ("done", "failed"):
                return self.reply(rid, req, "DONE", {"status": 200, "job": j["id"], "state": j["state"]})
            deadline = time.monotonic() + hdr.get("timeout_ms", 30000) / 1000.0
            self.waiters.append((rid, req, j["id"], deadline))
        elif cmd == "FETCH":
            j = self.jobs.get(hdr["job"])
            if not j:
                return self.reply(rid, req, "REJECTED", {"status": 404, "reason": "no such job", "job": hdr["job"]})
            if j["state"] not in ("done", "failed"):
                return self.reply(rid, req, "REJECTED", {"status": 300, "reason": "not finished", "job": j["id"]})
            rec = self.record(j)
            if j["state"] == "failed":
                # A job that failed by itself (PROTOCOL.md 12.3): no segments, one entry.
                rec.update(paragraphs=[], errors=[{"paragraph": None, "segment": None, "code": 500,
                                                   "class": "permanent", "reason": "backend exploded"}])
                rec["stats"].update(segments=0, chars=0, requests=0)
            self.reply(rid, req, "RECORD", {"status": 200, "job": j["id"]},
                       json.dumps(rec, indent=2).encode())
        elif cmd == "STATUS":
            if "job" in hdr:
                j = self.jobs.get(hdr["job"])
                if not j:
                    return self.reply(rid, req, "REJECTED", {"status": 404, "reason": "no such job"})
                h = {"status": 200, "job": j["id"], "key": j["key"], "state": j["state"],
                     "segments": 1, "done": 1 if j["state"] == "done" else 0,
                     "failed": 1 if j["state"] == "failed" else 0, "created": 1700000000000,
                     "backend": j["backend"]}
                if j["state"] == "failed":
                    h["error"] = "backend exploded"
                return self.reply(rid, req, "STATUS", h)
            counts = {}
            for j in self.jobs.values():
                counts[j["state"]] = counts.get(j["state"], 0) + 1
            self.reply(rid, req, "STATUS", {"status": 200, "jobs": counts, "workers": 2,
                                            "queue": {"prepare": 0, "translate": 0},
                                            "profiles": [{"name": "pseudo", "type": "pseudo"}],
                                            "version": "fake-1"})
        elif cmd == "LIST":
            ids = [i for i in self.order if "state" not in hdr or self.jobs[i]["state"] == hdr["state"]]
            if "after" in hdr:
                ids = [i for i in ids if int(i) > int(hdr["after"])]
            limit = min(hdr.get("limit", 100), self.page)
            page = ids[:limit]
            h = {"status": 200, "jobs": [{"job": i, "key": self.jobs[i]["key"],
                                          "state": self.jobs[i]["state"]} for i in page]}
            if len(ids) > limit:
                h["next"] = page[-1]
            self.reply(rid, req, "LISTING", h)
        elif cmd == "STATS":
            self.reply(rid, req, "STATS", {"status": 200, "profiles": {
                "pseudo": {"tm_hits": 3, "tm_misses": 7, "chars_billed": 1234, "requests": 5, "segments": 10}}})
        else:
            self.reply(rid, req, "REJECTED", {"status": 501, "reason": "unknown command"})

    def run(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        while not self.stop_flag.is_set():
            events = dict(poller.poll(100))
            with self.lock:
                if events:
                    while True:
                        try:
                            frames = self.sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self.handle(frames)
                elif self.mode == "deferred":
                    # Idle for 100 ms: the client has filled its window. Finish one.
                    for jid in self.order:
                        j = self.jobs[jid]
                        if j["state"] == "queued" and b"HOLD-ME" not in j["body"]:
                            self.finish(jid, "failed" if b"FAIL-ME" in j["body"] else "done")
                            break
                now = time.monotonic()
                keep = []
                for w in self.waiters:
                    if w[3] <= now:
                        self.reply(w[0], w[1], "DONE", {"status": 300, "job": w[2],
                                                        "state": self.jobs[w[2]]["state"]})
                    else:
                        keep.append(w)
                self.waiters = keep
        self.sock.close()
        self.ctx.term()

    def stop(self):
        self.stop_flag.set()
        self.join(10)


def run(args, endpoint=None, input=None, timeout=30):
    argv = [HONYAKU] + (["--endpoint", endpoint] if endpoint else []) + args
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, timeout=timeout, input=input)
    return (r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"),
            time.monotonic() - t0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def xxh3_128_hex(data):
    """XXH3-128 via Debian's libxxhash, in canonical (big-endian) hex."""
    class H(ctypes.Structure):
        _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]
    lib = ctypes.CDLL("libxxhash.so.0")
    lib.XXH3_128bits.restype = H
    lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    h = lib.XXH3_128bits(data, len(data))
    return "%016x%016x" % (h.high64, h.low64)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def test_usage(tmp):
    cases = [
        ([], "no command given"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["submit", "x.txt"], "--from and --to are required"),
        (["submit", "--from", "en", "--to", "es"], "no FILE given"),
        (["submit", "--bogus", "x"], "unknown option '--bogus'"),
        (["submit", "x", "--from"], "needs a value"),
        (["submit", "a", "b", "--from", "en", "--to", "es", "--key", "k"], "--key needs exactly one FILE"),
        (["submit", "a", "--from", "en", "--to", "es", "--format", "pdf"], "unknown --format 'pdf'"),
        (["batch", tmp, "--from", "en", "--to", "es"], "--out DIR is required"),
        (["batch", tmp, "--from", "en", "--to", "es", "--out", "o", "--window", "0"], "--window"),
        (["batch", tmp, "--from", "en", "--to", "es", "--out", "o", "--progress", "fancy"],
         "--progress: 'fancy' is not auto, tty, lines or none"),
        (["wait", "1", "--timeout", "soon"], "--timeout"),
        (["export", "--format", "docx"], "unknown format 'docx'"),
        (["--timeout", "-5", "status"], "--timeout"),
        (["help", "nosuch"], "unknown command 'nosuch'"),
        (["prepare"], "exactly one FILE"),
    ]
    for args, msg in cases:
        code, out, err, _ = run(args)
        check(code == 2, "usage %r: exit %d, want 2 (%s)" % (args, code, err.strip()))
        check(err.startswith("honyaku:") and msg in err, "usage %r: stderr %r lacks %r" % (args, err, msg))
    code, out, _, _ = run(["--help"])
    check(code == 0 and "batch" in out and "--endpoint" in out, "--help")
    code, out, _, _ = run(["help", "batch"])
    check(code == 0 and "--window" in out, "help batch")
    code, out, _, _ = run(["submit", "--help"])
    check(code == 0 and "--lenient" in out, "submit --help")
    code, out, _, _ = run(["--version"])
    check(code == 0 and out.startswith("honyaku "), "--version")


def as_other_user():
    """argv prefix that runs a command as a user without honyakud's rights:
    root passes every permission check, so as root the client runs as
    nobody (setpriv). [] when not root; None when there is no way."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    r = subprocess.run(prefix + [HONYAKU, "--version"], capture_output=True, timeout=10)
    return prefix if r.returncode == 0 else None


def test_unreachable(tmp):
    """Endpoints that cannot work are said at once, whatever the --timeout."""
    path = os.path.join(tmp, "nobody")
    ep = "ipc://" + path
    art = os.path.join(tmp, "one.txt")
    write(art, "One sentence.\n")
    d = os.path.join(tmp, "unreachdir")
    write(os.path.join(d, "a.txt"), "A.\n")

    def all_commands(ep, want, what, prefix=(), out=os.path.join(tmp, "unreachout"), every=True):
        """Every command that talks to honyakud (or status and batch only)
        fails with want, in one line, in well under the timeout."""
        for args in (["status"], ["wait", "7"], ["fetch", "7"], ["stats"], ["export"],
                     ["submit", art, "--from", "en", "--to", "es"],
                     ["batch", d, "--from", "en", "--to", "es", "--out", out]):
            if not every and args[0] not in ("status", "batch"):
                continue
            argv = list(prefix) + [HONYAKU, "--endpoint", ep, "--timeout", "20000"] + args
            t0 = time.monotonic()
            r = subprocess.run(argv, capture_output=True, timeout=30)
            took, err = time.monotonic() - t0, r.stderr.decode("utf-8", "replace")
            check(r.returncode == 1, "%s %r: exit %d" % (what, args, r.returncode))
            check(want in err and len(err.strip().splitlines()) == 1 and err.startswith("honyaku: " + args[0]),
                  "%s %r: stderr %r lacks %r" % (what, args, err, want))
            check(took < 2, "%s %r took %.1f s" % (what, args, took))

    all_commands(ep, "no socket at %s: is honyakud running? (its state directory is %s)" % (path, tmp),
                 "no socket")
    all_commands("ipc://" + os.path.join(tmp, "no-such-dir", "front"),
                 "(%s does not exist)" % os.path.join(tmp, "no-such-dir"), "no folder", every=False)
    write(path, "I am a regular file\n")
    all_commands(ep, "%s is not a socket (it is a regular file)" % path, "not a socket")
    os.unlink(path)
    # A socket file nobody listens on: what a honyakud that died leaves.
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
    all_commands(ep, "nobody listens on %s (honyakud is not running; the socket file is stale)" % path,
                 "stale socket")
    os.unlink(path)
    # A honyakud started a moment ago may bind its socket a little after
    # the client looked: the client looks again for a short while.
    late = os.path.join(tmp, "late")

    def bind_late():
        time.sleep(0.15)        # the delay under test, not a wait for anything
        b = FakeBroker("ipc://" + late)
        b.start()
        return b
    holder = []
    t = threading.Thread(target=lambda: holder.append(bind_late()))
    t.start()
    try:
        code, out, err, took = run(["status"], endpoint="ipc://" + late)
        check(code == 0 and "honyakud fake-1" in out, "late socket: %d %r %r" % (code, out, err))
    finally:
        t.join()
        for b in holder:
            b.stop()

    # Permission denied: a socket that listens, in a folder closed to the
    # client, then open folder and a 0600 socket.
    prefix = as_other_user()
    if prefix is None:
        print("test_unreachable: SKIPPED the permission cases: running as root without setpriv")
    else:
        pdir = tempfile.mkdtemp(prefix="hnyperm.", dir="/tmp")
        try:
            os.chmod(pdir, 0o755)
            sub = os.path.join(pdir, "state")
            os.mkdir(sub, 0o700)
            os.chmod(sub, 0o700)
            sock_path = os.path.join(sub, "front")
            pout = os.path.join(pdir, "out")
            os.mkdir(pout)
            os.chmod(pout, 0o777)
            listener = socket.socket(socket.AF_UNIX)
            listener.bind(sock_path)
            listener.listen(8)
            try:
                os.chmod(sock_path, 0o600)
                # The client itself must be reachable by that user.
                os.chmod(d, 0o755)
                os.chmod(tmp, 0o755)
                os.chmod(art, 0o644)
                all_commands("ipc://" + sock_path, "permission denied: %s (" % sub, "closed folder",
                             prefix, pout)
                os.chmod(sub, 0o755)
                all_commands("ipc://" + sock_path, "permission denied: %s belongs to " % sock_path,
                             "0600 socket", prefix, pout)
            finally:
                listener.close()
                os.chmod(tmp, 0o700)
        finally:
            shutil.rmtree(pdir, ignore_errors=True)

    code, _, err, _ = run(["--endpoint", "bogus", "status"])
    check(code == 1 and "bad endpoint 'bogus'" in err, "bad endpoint: %r" % err)
    # A broker that reads but never answers.
    ep = "ipc://" + os.path.join(tmp, "silent")
    b = FakeBroker(ep, silent=True)
    b.start()
    try:
        for args in (["status"], ["wait", "7"], ["fetch", "7"], ["stats"],
                     ["submit", art, "--from", "en", "--to", "es"]):
            code, _, err, took = run(["--timeout", "400"] + args, endpoint=ep)
            check(code == 1, "silent %r: exit %d" % (args, code))
            check(("no answer from %s within %s s: is honyakud running?"
                   % (ep, "0.8" if args[0] == "wait" else "0.4")) in err,
                  "silent %r: stderr %r" % (args, err))
            check(took < 5, "silent %r took %.1f s" % (args, took))
        # batch asks for the daemon's STATUS before anything else: a broker
        # that never answers stops it within the timeout, endpoint named
        # (test_batch_silence: one that goes silent later).
        code, _, err, took = run(["--timeout", "300", "batch", d, "--from", "en", "--to", "es",
                                  "--out", os.path.join(tmp, "silentout"), "--patience", "100"],
                                 endpoint=ep, timeout=30)
        check(code == 1 and err == "honyaku: batch: cannot reach honyakud at %s: no answer from %s within "
              "0.3 s: is honyakud running?\n" % (ep, ep) and took < 5,
              "silent broker batch: %d %r %.1f s" % (code, err, took))
        check(not os.path.exists(os.path.join(tmp, "silentout")), "silent broker batch wrote its --out")
    finally:
        b.stop()
    # One that answers the STATUS, then nothing: reconnects until --patience.
    b = FakeBroker(ep, silent=True, answer_first=1)
    b.start()
    try:
        code, _, err, took = run(["--timeout", "300", "batch", d, "--from", "en", "--to", "es",
                                  "--out", os.path.join(tmp, "silentout"), "--patience", "1"],
                                 endpoint=ep, timeout=30)
        check(code == 1 and "no answer from" in err and "gave up after 1 s (--patience)" in err
              and "reconnecting" in err and took < 15, "silent broker batch: %d %r" % (code, err))
        check(err.splitlines()[-1].startswith("honyaku: batch: 1 files: 0 done, 0 failed, 0 new jobs; "
                                              "1 not finished: stopped;"), "silent broker summary %r" % err)
        check(b.requests >= 3, "silent broker got %d requests" % b.requests)
    finally:
        b.stop()


def test_flow(tmp):
    ep = "ipc://" + os.path.join(tmp, "flow")
    b = FakeBroker(ep)
    b.start()
    try:
        art = os.path.join(tmp, "art.txt")
        write(art, "Hello world.\n")
        code, out, err, _ = run(["submit", art, "--from", "en", "--to", "es", "--backend", "pseudo",
                                 "--format", "text", "--key", "k1", "--lenient"], endpoint=ep)
        check(code == 0 and out == "1\t%s\n" % art, "submit: %d %r %r" % (code, out, err))
        h = b.submits[-1]
        check(h.get("from") == "en" and h.get("to") == "es" and h.get("backend") == "pseudo"
              and h.get("format") == "text" and h.get("key") == "k1" and h.get("lenient") is True
              and h.get("source") == art and isinstance(h.get("req"), str), "submit header %r" % h)
        code, out, _, _ = run(["submit", art, "--from", "en", "--to", "es", "--key", "k1"], endpoint=ep)
        check(code == 0 and out.startswith("1\t") and len(b.order) == 1, "same key, same job")
        code, out, err, _ = run(["wait", "1"], endpoint=ep)
        check(code == 0 and out == "1\tdone\n", "wait: %d %r %r" % (code, out, err))
        code, out, err, _ = run(["fetch", "1"], endpoint=ep)
        rec = validate_record(json.loads(out)) if code == 0 else {}
        check(rec.get("job") == "1" and rec["paragraphs"][0]["segments"][0]["tgt"] == "HELLO WORLD.",
              "fetch: %d %r %r" % (code, out[:200], err))
        code, _, err, _ = run(["fetch", "99"], endpoint=ep)
        check(code == 1 and err.strip() == "honyaku: fetch: 99: no such job (status 404)", "fetch 404: %r" % err)
        # stdin and --wait
        code, out, err, _ = run(["submit", "-", "--from", "en", "--to", "es", "--wait"], endpoint=ep,
                                input=b"From standard input.\n")
        check(code == 0 and out == "2\t-\tdone\n", "submit - --wait: %d %r %r" % (code, out, err))
        # Client-side checks: nothing is sent.
        n = len(b.submits)
        empty = os.path.join(tmp, "empty.txt")
        write(empty, b"")
        code, _, err, _ = run(["submit", empty, "--from", "en", "--to", "es"], endpoint=ep)
        check(code == 1 and err.strip() == "honyaku: submit: %s: file is empty" % empty, "empty: %r" % err)
        big = os.path.join(tmp, "big.txt")
        write(big, b"x" * 5000)
        code, _, err, _ = run(["--max-bytes", "1K", "submit", big, "--from", "en", "--to", "es"], endpoint=ep)
        check(code == 1 and "big.txt: file is larger than 1024 bytes" in err, "too big: %r" % err)
        code, _, err, _ = run(["submit", os.path.join(tmp, "missing.txt"), "--from", "en", "--to", "es"], endpoint=ep)
        check(code == 1 and "missing.txt: No such file" in err, "missing: %r" % err)
        check(len(b.submits) == n, "client-side checks sent SUBMITs")
        # REJECTED and failed jobs.
        rej = os.path.join(tmp, "rej.bin")
        write(rej, b"REJECT-ME \x00\x01")
        code, _, err, _ = run(["submit", rej, "--from", "en", "--to", "es"], endpoint=ep)
        check(code == 1 and err.strip() == "honyaku: submit: %s: not text: binary data (status 415)" % rej,
              "rejected: %r" % err)
        bad = os.path.join(tmp, "bad.txt")
        write(bad, "FAIL-ME please.\n")
        code, out, err, _ = run(["submit", bad, "--from", "en", "--to", "es", "--wait"], endpoint=ep)
        check(code == 1 and "\tfailed" in out and "failed: backend exploded" in err.splitlines()[-1]
              and err.startswith("honyaku: submit:"), "failed job: %d %r %r" % (code, out, err))
        # A job that does not finish in time: DONE 300, exit 3.
        hold = os.path.join(tmp, "hold.txt")
        write(hold, "HOLD-ME a while.\n")
        code, out, _, _ = run(["submit", hold, "--from", "en", "--to", "es"], endpoint=ep)
        job = out.split("\t")[0]
        code, out, err, took = run(["wait", job, "--timeout", "300"], endpoint=ep)
        check(code == 3 and out == "%s\tqueued\n" % job and "still queued" in err and took < 5,
              "wait timeout: %d %r %r" % (code, out, err))
        # status, stats
        code, out, _, _ = run(["status"], endpoint=ep)
        check(code == 0 and "honyakud fake-1" in out and "workers" in out and "pseudo (pseudo)" in out,
              "status: %r" % out)
        code, out, _, _ = run(["status", "--json"], endpoint=ep)
        st = json.loads(out) if code == 0 else {}
        check(st.get("jobs", {}).get("done") == 2 and "req" not in st, "status --json: %r" % out)
        code, out, _, _ = run(["status", "1"], endpoint=ep)
        check(code == 0 and "state      done" in out and "key        k1" in out, "status 1: %r" % out)
        code, out, _, _ = run(["stats"], endpoint=ep)
        check(code == 0 and "pseudo" in out and "1234" in out and "tm_hits" in out, "stats: %r" % out)
        code, out, _, _ = run(["stats", "--json"], endpoint=ep)
        check(code == 0 and json.loads(out)["pseudo"]["tm_misses"] == 7, "stats --json: %r" % out)
    finally:
        b.stop()


def test_batch(tmp):
    ep = "ipc://" + os.path.join(tmp, "batch")
    b = FakeBroker(ep, mode="deferred", page=4)
    b.start()
    try:
        src = os.path.join(tmp, "articles")
        names = ["a.txt", "b/c.txt", "b/d/e.html", "f.md", "g.txt", "h.txt", "i/j.txt", "k.txt",
                 "l.txt", "m.txt"]
        for i, n in enumerate(names):
            write(os.path.join(src, n), "Article number %d.\n" % i)
        write(os.path.join(src, ".hidden.txt"), "never")
        write(os.path.join(src, ".git", "config"), "never")
        out = os.path.join(tmp, "out1")
        code, _, err, _ = run(["batch", src, "--from", "en", "--to", "es", "--backend", "pseudo",
                               "--out", out, "--window", "3"], endpoint=ep, timeout=60)
        check(code == 0, "batch: exit %d %r" % (code, err))
        check(b.max_unfinished == 3, "batch window: at most %d unfinished, want 3" % b.max_unfinished)
        check(len(b.order) == 10, "batch made %d jobs" % len(b.order))
        check(err.count("] done") == 10 and "[10/10] done" in err, "batch progress: %r" % err)
        # Records are fetched while the batch runs, not after the last job.
        events = [e[0] for e in b.log]
        last_finish = max(i for i, e in enumerate(events) if e == "FINISH")
        check("FETCH" in events[:last_finish], "batch: no FETCH before the last job finished: %r" % events)
        check(events.count("FETCH") == 10, "batch: %d FETCHes, want 10" % events.count("FETCH"))
        recs = validate_records([json.loads(l) for l in read_lines(os.path.join(out, "records.jsonl"))])
        want = sorted(names)
        check([r["metadata"]["source"] for r in recs] == want, "records order %r" % [r["metadata"]["source"] for r in recs])
        check(read_lines(os.path.join(out, "errors.txt")) == [], "errors.txt not empty")
        keys = {h["source"]: h["key"] for h in b.submits}
        rel = "b/d/e.html"
        content = open(os.path.join(src, rel), "rb").read()
        # The key: path, then from, to, backend, format, lenient, each
        # NUL-ended, then the content (the same folder into another
        # language is other jobs).
        check(keys.get(rel) == "batch:" + xxh3_128_hex(rel.encode() + b"\0en\0es\0pseudo\0auto\0" + b"0\0"
                                                        + content),
              "batch key %r" % keys.get(rel))
        # Again: no new jobs, same records.
        out2 = os.path.join(tmp, "out2")
        code, _, err, _ = run(["batch", src, "--from", "en", "--to", "es", "--backend", "pseudo",
                               "--out", out2, "--window", "3"], endpoint=ep, timeout=60)
        recs2 = validate_records([json.loads(l) for l in read_lines(os.path.join(out2, "records.jsonl"))])
        check(code == 0 and len(b.order) == 10 and "0 new jobs" in err, "re-run: %d jobs, %r" % (len(b.order), err))
        check([r["job"] for r in recs2] == [r["job"] for r in recs], "re-run records differ")
        # export pages through LIST (4 per page here).
        exp = os.path.join(tmp, "export.jsonl")
        code, _, err, _ = run(["export", "--out", exp], endpoint=ep)
        lines = read_lines(exp) if code == 0 else []
        check(code == 0 and sorted(json.loads(l)["job"] for l in lines) == sorted(b.order, key=str),
              "export: %d %r" % (code, err))
        # Failures: rejected, failed, empty and too big; the good one still lands.
        src2 = os.path.join(tmp, "mixed")
        write(os.path.join(src2, "1-good.txt"), "Fine.\n")
        write(os.path.join(src2, "2-rejected.bin"), b"REJECT-ME\x00")
        write(os.path.join(src2, "3-failed.txt"), "FAIL-ME now.\n")
        write(os.path.join(src2, "4-empty.txt"), b"")
        write(os.path.join(src2, "5-big.txt"), b"y" * 3000)
        out3 = os.path.join(tmp, "out3")
        code, _, err, _ = run(["--max-bytes", "2K", "batch", src2, "--from", "en", "--to", "es",
                               "--out", out3], endpoint=ep, timeout=60)
        check(code == 1, "mixed batch exit %d" % code)
        recs3 = read_lines(os.path.join(out3, "records.jsonl"))
        errs = read_lines(os.path.join(out3, "errors.txt"))
        check(len(recs3) == 1 and json.loads(recs3[0])["metadata"]["source"] == "1-good.txt", "mixed records %r" % recs3)
        check(len(errs) == 4, "errors.txt: %r" % errs)
        joined = "\n".join(errs)
        for what in ("2-rejected.bin\tnot text: binary data (status 415)", "3-failed.txt\tjob ",
                     "backend exploded", "4-empty.txt\tfile is empty", "5-big.txt\tfile is larger than 2048 bytes"):
            check(what in joined, "errors.txt lacks %r: %r" % (what, errs))
        # A refusal about the request, not the file (a daemon that knows
        # fewer languages than this client): the batch stops at the first.
        jobs = len(b.order)
        b.refuse("SUBMIT", 100, 400)
        code, _, err, _ = run(["batch", src, "--from", "en", "--to", "es", "--out",
                               os.path.join(tmp, "out4"), "--window", "3"], endpoint=ep, timeout=60)
        sent = 100 - b.refusals["SUBMIT"][0]
        b.refuse("SUBMIT", 0, 400)
        check(code == 1 and "honyakud refuses this batch: to: unknown language 'qq'" in err
              and "every file would be refused the same way" in err and len(b.order) == jobs
              and sent <= 3, "refused batch: exit %d, %d SUBMITs, %r" % (code, sent, err))
    finally:
        b.stop()


def test_batch_resume(tmp):
    """What a re-run finds in OUT/records.jsonl: a torn last line is cut
    off (its file fetched again, from the job it has), a line repeating a
    key is left out, a record of no file of the batch is kept after the
    others, files with their record are not sent at all; a line that is
    not a record stops the batch with the file untouched; one batch at a
    time writes into a folder."""
    ep = "ipc://" + os.path.join(tmp, "resume")
    b = FakeBroker(ep)
    b.start()
    try:
        src = os.path.join(tmp, "resumedir")
        for i in range(4):
            write(os.path.join(src, "r%d.txt" % i), "Resume %d.\n" % i)
        out = os.path.join(tmp, "resumeout")
        argv = ["batch", src, "--from", "en", "--to", "es", "--out", out, "--progress", "lines"]
        code, _, err, _ = run(argv, endpoint=ep)
        check(code == 0, "resume first run: %d %r" % (code, err))
        path = os.path.join(out, "records.jsonl")
        lines = read_lines(path)
        orphan = dict(json.loads(lines[0]), key="batch:" + "0" * 32, job="99")
        orphan["metadata"] = {"source": "gone.txt"}
        with open(path, "w") as f:
            f.write("\n".join([lines[0], lines[2], json.dumps(orphan), lines[0], lines[3]]) + "\n")
            f.write(lines[1][:25])      # a run killed while writing r1's record
        submits = len(b.submits)
        code, _, err, _ = run(argv, endpoint=ep)
        recs = read_lines(path)
        check(code == 0 and [json.loads(l)["metadata"]["source"] for l in recs]
              == ["r0.txt", "r1.txt", "r2.txt", "r3.txt", "gone.txt"] and recs[:4] == lines,
              "resume records %r %r" % (recs, err))
        check(len(b.submits) == submits + 1 and b.submits[-1]["source"] == "r1.txt",
              "resume sent %r" % [h["source"] for h in b.submits[submits:]])
        for what in ("cut off an incomplete last line (25 bytes", "1 lines repeat the key of an earlier line",
                     "3 of 4 files have their record in %s already: not sent again" % path,
                     "1 records match no file of this batch",
                     "[4/4] done     r1.txt  job 2, 1 segments, 0 chars billed, existing",
                     "4 files: 1 done, 0 failed, 0 new jobs; 3 skipped (in records.jsonl already);"):
            check(what in err, "resume stderr lacks %r: %r" % (what, err))
        # Not a record: nothing is touched.
        with open(path, "a") as f:
            f.write("not json\n")
        before = open(path, "rb").read()
        code, _, err, _ = run(argv, endpoint=ep)
        check(code == 1 and err == "honyaku: batch: %s:6: not a record of honyaku batch ('[' or '{' expected near "
              "'not'); move the file away or choose another --out\n" % path and open(path, "rb").read() == before,
              "not a record: %d %r" % (code, err))
        # Another batch holds the folder.
        with open(os.path.join(out, ".batch.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            code, _, err, _ = run(argv, endpoint=ep)
        check(code == 1 and err == "honyaku: batch: %s: another honyaku batch is writing into this folder\n" % out,
              "locked: %d %r" % (code, err))
    finally:
        b.stop()


BODY_MAX = 64 * 1024 * 1024


def test_too_large(tmp):
    """A body over the protocol's 64 MiB cap is refused with 413 before
    anything is sent: by submit, and by batch for that one file."""
    ep = "ipc://" + os.path.join(tmp, "big")
    b = FakeBroker(ep)
    b.start()
    try:
        src = os.path.join(tmp, "bigdir")
        write(os.path.join(src, "a.txt"), "Small one.\n")
        write(os.path.join(src, "c.txt"), "Small two.\n")
        huge = os.path.join(src, "b-huge.txt")
        with open(huge, "wb") as f:
            f.truncate(BODY_MAX + 1)
        want = ("the article is %d bytes, over the %d-byte (64 MiB) cap of the protocol: "
                "not sent (status 413)" % (BODY_MAX + 1, BODY_MAX))
        code, _, err, took = run(["--max-bytes", "65M", "submit", huge, "--from", "en", "--to", "es"],
                                 endpoint=ep)
        check(code == 1 and err.strip() == "honyaku: submit: %s: %s" % (huge, want) and took < 5,
              "huge submit: %d %r %.1f s" % (code, err, took))
        out = os.path.join(tmp, "bigout")
        code, _, err, took = run(["--max-bytes", "65M", "batch", src, "--from", "en", "--to", "es",
                                  "--out", out], endpoint=ep, timeout=60)
        recs = [json.loads(l)["metadata"]["source"] for l in read_lines(os.path.join(out, "records.jsonl"))]
        errs = read_lines(os.path.join(out, "errors.txt"))
        check(code == 1 and recs == ["a.txt", "c.txt"] and errs == ["b-huge.txt\t" + want],
              "huge batch: %d %r %r %r" % (code, recs, errs, err))
        check(b.max_body <= BODY_MAX, "a body of %d bytes was sent" % b.max_body)
    finally:
        b.stop()


def test_retry_later(tmp):
    """303 (busy) and 503 (shutting down) mean "try again later": the
    synchronous commands ask again within their timeout, batch after a
    backoff (503 within --patience)."""
    ep = "ipc://" + os.path.join(tmp, "busy")
    b = FakeBroker(ep)
    b.start()
    try:
        art = os.path.join(tmp, "busy.txt")
        write(art, "Busy day.\n")
        b.refuse("SUBMIT", 2, 303)
        code, out, err, _ = run(["submit", art, "--from", "en", "--to", "es"], endpoint=ep)
        check(code == 0 and out.startswith("1\t") and b.refusals["SUBMIT"][0] == 0,
              "submit after 303s: %d %r %r" % (code, out, err))
        for args in (["status"], ["status", "1"], ["wait", "1"], ["fetch", "1"]):
            b.refuse(args[0].upper(), 2, 303)
            code, out, err, _ = run(args, endpoint=ep)
            check(code == 0 and b.refusals[args[0].upper()][0] == 0,
                  "%r after 303s: %d %r %r" % (args, code, out, err))
        # Busy for longer than the timeout: the 303 is the answer.
        b.refuse("SUBMIT", 1000, 303)
        code, _, err, took = run(["--timeout", "500", "submit", art, "--from", "en", "--to", "es",
                                  "--key", "other"], endpoint=ep)
        check(code == 1 and "too many unfinished jobs (9): retry later (status 303)" in err and took < 5,
              "submit busy for long: %d %r %.1f s" % (code, err, took))
        b.refuse("SUBMIT", 0, 303)

        src = os.path.join(tmp, "busydir")
        for i in range(6):
            write(os.path.join(src, "f%d.txt" % i), "File %d is busy.\n" % i)
        n = len(b.order)
        b.refuse("SUBMIT", 5, 303)
        out = os.path.join(tmp, "busyout")
        code, _, err, _ = run(["batch", src, "--from", "en", "--to", "es", "--out", out, "--window", "3"],
                              endpoint=ep, timeout=60)
        recs = [json.loads(l)["metadata"]["source"] for l in read_lines(os.path.join(out, "records.jsonl"))]
        check(code == 0 and recs == ["f%d.txt" % i for i in range(6)] and len(b.order) == n + 6
              and "retry later (status 303): trying again in" in err and "6 new jobs" in err,
              "batch after 303s: %d %r %r" % (code, recs, err))
        # 503 while honyakud shuts down: tried again, within --patience.
        b.refuse("SUBMIT", 3, 503)
        out = os.path.join(tmp, "busyout2")
        write(os.path.join(src, "g.txt"), "One more.\n")
        code, _, err, _ = run(["batch", src, "--from", "en", "--to", "es", "--out", out], endpoint=ep, timeout=60)
        check(code == 0 and len(read_lines(os.path.join(out, "records.jsonl"))) == 7
              and "shutting down (status 503)" in err, "batch after 503s: %d %r" % (code, err))
        b.refuse("SUBMIT", 100000, 503)
        write(os.path.join(src, "h.txt"), "And another.\n")
        code, _, err, took = run(["batch", src, "--from", "en", "--to", "es", "--out", out,
                                  "--patience", "1"], endpoint=ep, timeout=60)
        check(code == 1 and "honyakud is shutting down (status 503); gave up after 1 s (--patience)" in err
              and took < 10, "batch, 503 for good: %d %r %.1f s" % (code, err, took))
    finally:
        b.stop()


def test_wait_restart(tmp):
    """`honyaku wait` rides out a broker restart: the connection drops, the
    library opens a new one once the socket is back and asks again."""
    ep = "ipc://" + os.path.join(tmp, "restart")
    b = FakeBroker(ep)
    b.start()
    b2 = None
    try:
        art = os.path.join(tmp, "hold.txt")
        write(art, "HOLD-ME until the restart.\n")
        code, out, _, _ = run(["submit", art, "--from", "en", "--to", "es"], endpoint=ep)
        job = out.split("\t")[0]
        p = subprocess.Popen([HONYAKU, "--endpoint", ep, "wait", job], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            poll("the WAIT at the first broker", lambda: any(w[2] == job for w in b.waiters), 10)
            b.stop()
            b2 = FakeBroker(ep, state_from=b)
            b2.start()
            poll("the WAIT asked again at the second broker", lambda: any(w[2] == job for w in b2.waiters), 10)
            with b2.lock:
                b2.finish(job, "done")
            out, err = p.communicate(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        check(p.returncode == 0 and out.decode() == "%s\tdone\n" % job,
              "wait across a restart: %d %r %r" % (p.returncode, out, err))
    finally:
        b.stop()
        if b2:
            b2.stop()


def test_batch_silence(tmp):
    """A broker that stops answering (hung, not dead: the connection stays
    up) is noticed by the answer deadline; batch reconnects, asks again,
    and finishes once it answers."""
    ep = "ipc://" + os.path.join(tmp, "hung")
    b = FakeBroker(ep, silent=True, answer_first=1)     # the STATUS batch starts with
    b.start()
    try:
        src = os.path.join(tmp, "hungdir")
        for i in range(4):
            write(os.path.join(src, "h%d.txt" % i), "Hung %d.\n" % i)
        errlog = os.path.join(tmp, "hung.err")
        with open(errlog, "wb") as ef:
            p = subprocess.Popen([HONYAKU, "--endpoint", ep, "--timeout", "300", "batch", src, "--from", "en",
                                  "--to", "es", "--out", os.path.join(tmp, "hungout"), "--patience", "30"],
                                 stdout=subprocess.DEVNULL, stderr=ef)
        try:
            poll("batch to notice the silence",
                 lambda: "reconnecting" in open(errlog).read() or p.poll() is not None, 10)
            b.silent = False
            code = p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        err = open(errlog).read()
        check(code == 0 and "no answer from %s within 0.6 s: is honyakud running?; reconnecting" % ep in err
              and "reconnected to" in err and len(b.order) == 4,
              "batch after a silence: %d %d jobs %r" % (code, len(b.order), err))
    finally:
        b.stop()


def test_lib(tmp):
    if not CLIENT_LIB:
        return
    ep = "ipc://" + os.path.join(tmp, "lib")
    b = FakeBroker(ep)
    b.start()
    try:
        r = subprocess.run([CLIENT_LIB, ep], capture_output=True, timeout=30)
        sys.stdout.write(r.stdout.decode() + r.stderr.decode())
        check(r.returncode == 0, "test_client_lib exited %d" % r.returncode)
        check(b.max_body == BODY_MAX, "test_client_lib: largest body %d bytes, want %d" % (b.max_body, BODY_MAX))
    finally:
        b.stop()


def main():
    fx = Fixture("hnycli")
    tmp = fx.dir
    try:
        for t in (test_usage, test_unreachable, test_flow, test_batch, test_batch_resume, test_too_large,
                  test_retry_later, test_wait_restart, test_batch_silence, test_lib):
            t0 = time.monotonic()
            t(tmp)
            print("%s: %.1f s" % (t.__name__, time.monotonic() - t0))
    finally:
        fx.close()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()

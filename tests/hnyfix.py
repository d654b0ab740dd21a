"""Fixtures shared by the Python integration tests, the one place for:
free loopback ports, polling with a deadline, a private temporary directory,
Apertium APy on a free port (waiting for /listPairs), honyakud on private
ipc:// endpoints, hny-testserver with its PORT= handshake, and cleanup.

Every process started through a Fixture is stopped and its directory
removed by Fixture.close(), which the tests call from a finally block (or
use the object as a context manager); with HNY_FIX_KEEP=1 in the
environment the directory stays (its logs, for a developer reading a run
of bench/perf.py at --log-level debug). Waiting is always a poll against a
deadline, never a sleep to let things settle."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

APY_MODES = "/usr/share/apertium/modes"


def free_port():
    """A loopback TCP port that was free a moment ago (another process may
    take it before the caller binds it: retry where that matters)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def poll(what, fn, timeout=30.0, interval=0.05):
    """Call fn until it returns a true value (returned) or the deadline
    passes (TimeoutError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


def stop(proc, timeout=10.0):
    """SIGTERM proc if it still runs, wait up to timeout, then SIGKILL.
    Returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def apy_installed():
    """True when Apertium APy and its language modes are installed."""
    return shutil.which("apertium-apy") is not None and os.path.isdir(APY_MODES)


def apy_answers(url):
    """True when the APy at url lists its pairs."""
    try:
        with urllib.request.urlopen(url + "/listPairs", timeout=2) as r:
            return r.status == 200 and b"responseData" in r.read()
    except OSError:
        return False


class Fixture:
    def __init__(self, prefix="hny"):
        # Short paths: ipc:// endpoints must fit in sun_path (107 bytes).
        self.dir = tempfile.mkdtemp(prefix=prefix + ".", dir="/tmp")
        self.procs = []
        self.apy_port = None
        self.daemon = None
        self.front = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spawn(self, argv, log_name, env=None, cwd=None, stderr=subprocess.STDOUT):
        """Start argv with stdout (and by default stderr) appended to
        log_name in the fixture; close() stops it."""
        with open(self.path(log_name), "ab") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=stderr,
                                    stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.procs.append(proc)
        return proc

    def start_apy(self, timeout=60.0, tries=3):
        """Start Apertium APy on a free port, in the fixture's directory (it
        may write databases into its working directory), and wait until
        /listPairs answers; return its base URL. A port found free may be
        taken before APy binds it, so a few ports are tried. Raises
        RuntimeError with the end of apy.log when APy never answers."""
        for _ in range(tries):
            port = free_port()
            url = "http://127.0.0.1:%d" % port
            proc = self.spawn(["apertium-apy", "-p", str(port), APY_MODES], "apy.log", cwd=self.dir)

            def up():
                if apy_answers(url):
                    return "up"
                return "exited" if proc.poll() is not None else None
            try:
                state = poll("Apertium APy", up, timeout)
            except TimeoutError:
                state = "timeout"
            if state == "up":
                self.apy_port = port
                return url
            stop(proc, 5)
        raise RuntimeError("Apertium APy did not answer /listPairs:\n" + self.log("apy.log")[-4000:])

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def start_daemon(self, honyakud, config_text=None, workers=2, extra=(), env=None):
        """Start honyakud with its state (and so its ipc:// endpoints) in the
        fixture, logging to honyakud.log (appended: a restart keeps the
        earlier lines). config_text, when given, is written to honyaku.conf
        and passed with --config. Sets self.daemon; returns the front
        endpoint (self.front)."""
        argv = [honyakud, "--state", self.path("state"), "--workers", str(workers)]
        if env is None and "RUNTIME_DIRECTORY" in os.environ:
            # Under a systemd unit honyakud would bind its sockets there, not here.
            env = {k: v for k, v in os.environ.items() if k != "RUNTIME_DIRECTORY"}
        if config_text is not None:
            argv += ["--config", self.write("honyaku.conf", config_text)]
        argv += list(extra)
        self.daemon = self.spawn(argv, "honyakud.log", env=env)
        self.front = "ipc://" + self.path("state", "front")
        return self.front

    def start_testserver(self, binary, *args, env=None, stderr=subprocess.STDOUT, timeout=15.0):
        """Start hny-testserver on a port of its choosing (--port 0, then
        args) and read its handshake, the line PORT=<n> on its stdout, from
        testserver.log. With stderr=None its log goes to the caller's
        stderr instead. Returns (process, port)."""
        proc = self.spawn([binary, "--port", "0"] + list(args), "testserver.log",
                          env=env, stderr=stderr)

        def port():
            for line in self.log("testserver.log").splitlines():
                if line.startswith("PORT="):
                    return int(line[5:])
            if proc.poll() is not None:
                raise AssertionError("hny-testserver exited before PORT=: " + self.log("testserver.log"))
            return None
        return proc, poll("PORT= from hny-testserver (%s)" % self.path("testserver.log"), port, timeout)

    def log(self, name):
        try:
            with open(self.path(name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        """Stop every process started here (SIGTERM, SIGKILL after 10 s)
        and remove the directory."""
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
        if os.environ.get("HNY_FIX_KEEP"):     # to read the logs after a run
            sys.stderr.write("hnyfix: kept %s\n" % self.dir)
            return
        shutil.rmtree(self.dir, ignore_errors=True)


def run(argv, env=None, timeout=120, check=True, input=None):
    """Run a command; return (exit code, stdout, stderr) as text."""
    r = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, input=input)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s" % (argv, r.returncode, out, err))
    return r.returncode, out, err


def read_jsonl(path):
    """The JSON objects of a JSON Lines file. A file named records.jsonl
    holds records: each is validated (validate_record, PROTOCOL.md 12)."""
    with open(path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    if os.path.basename(path) == "records.jsonl":
        validate_records(docs, path)
    return docs


# ---- the data sections of proto/PROTOCOL.md (11: prepared article, 12:
# record), checked with the real validator (python3-jsonschema) against
# proto/schema/*.schema.json, plus the rules across members of 12.5.

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "proto", "schema")
_validators = {}


def _validator(name):
    """The Draft 2020-12 validator of proto/schema/NAME.schema.json, with
    every schema of that folder in its store (record refers to prepared)."""
    if name not in _validators:
        import jsonschema
        store = {}
        for f in sorted(os.listdir(SCHEMA_DIR)):
            if f.endswith(".schema.json"):
                with open(os.path.join(SCHEMA_DIR, f), encoding="utf-8") as fh:
                    doc = json.load(fh)
                jsonschema.Draft202012Validator.check_schema(doc)
                store[doc["$id"]] = doc
                store[f] = doc
        schema = store[name + ".schema.json"]
        try:        # jsonschema >= 4.18 resolves through a registry
            import referencing
            registry = referencing.Registry().with_resources(
                (uri, referencing.Resource.from_contents(doc)) for uri, doc in store.items()
                if uri == doc["$id"])
            _validators[name] = jsonschema.Draft202012Validator(schema, registry=registry)
        except ImportError:     # Debian 12: 4.10
            resolver = jsonschema.RefResolver.from_schema(schema, store=store)
            _validators[name] = jsonschema.Draft202012Validator(schema, resolver=resolver)
    return _validators[name]


class SchemaError(AssertionError):
    """A document that breaks proto/PROTOCOL.md section 11 or 12."""


def _schema_check(name, doc, what):
    import jsonschema
    errors = sorted(_validator(name).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        # "not valid under any of the given schemas" (oneOf) says little:
        # name the branch that came closest instead.
        errors = [jsonschema.exceptions.best_match(e.context) if e.context else e for e in errors]
        lines = ["%s /%s: %s" % (what, "/".join(str(p) for p in e.absolute_path), e.message)
                 for e in errors[:8]]
        raise SchemaError("%s breaks %s.schema.json (PROTOCOL.md):\n  %s\n  in %s"
                          % (what, name, "\n  ".join(lines),
                             json.dumps(doc, ensure_ascii=False)[:1500]))


def validate_prepared(doc, what="prepared article"):
    """Check a prepared article (PROTOCOL.md section 11) against
    prepared.schema.json and the sums of its stats; returns doc, raises
    SchemaError."""
    _schema_check("prepared", doc, what)
    segs = [s for p in doc["paragraphs"] for s in p["segments"]]
    srcs = [s["src"] for s in segs] + ([doc["title"]["src"]] if doc["title"] else [])
    want = {"paragraphs": len(doc["paragraphs"]), "segments": len(segs),
            "chars": sum(len(s) for s in srcs), "bytes": sum(len(s.encode("utf-8")) for s in srcs)}
    if doc["stats"] != want:
        raise SchemaError("%s: stats %r do not add up (section 11): %r" % (what, doc["stats"], want))
    return doc


def validate_record(rec, what=None):
    """Check a record (PROTOCOL.md section 12) against record.schema.json
    and the rules across members of section 12.5; returns rec, raises
    SchemaError."""
    what = what or "record of job %s" % (rec.get("job") if isinstance(rec, dict) else "?")
    _schema_check("record", rec, what)
    pairs = ([((-1, 0), rec["title"])] if rec["title"] else []) + \
        [((p, s), pair) for p, para in enumerate(rec["paragraphs"])
         for s, pair in enumerate(para["segments"])]
    want = {"segments": len(pairs), "tm_hits": sum(1 for _, pr in pairs if pr["tm"]),
            "chars": sum(len(pr["src"] or "") for _, pr in pairs)}
    got = {k: rec["stats"][k] for k in want}
    if got != want:
        raise SchemaError("%s: stats %r disagree with its pairs %r (section 12.5)" % (what, got, want))
    # An aligned record's null side is a sentence without counterpart, not
    # a failure (12.6); its links are the aligner's plus the title's.
    aligned = rec["backend"] == "aligned"
    if aligned and "alignment" in rec:
        links = rec["alignment"]["stats"]["links"] + (rec["title"] is not None)
        if links != len(pairs):
            raise SchemaError("%s: %d links in alignment.stats (and the title) but %d pairs (section 12.6)"
                              % (what, links, len(pairs)))
    failed = [] if aligned else [pos for pos, pr in pairs if pr["tgt"] is None]
    placed = [(e["paragraph"], e["segment"]) for e in rec["errors"] if e["paragraph"] is not None]
    if sorted(failed) != sorted(placed) or len(set(placed)) != len(placed):
        raise SchemaError("%s: failed pairs %r and errors %r do not match one to one (section 12.3)"
                          % (what, failed, placed))
    if placed != sorted(placed):
        raise SchemaError("%s: errors %r are not in document order (section 12.3)" % (what, placed))
    own = [i for i, e in enumerate(rec["errors"]) if e["paragraph"] is None]
    if own and (own != [len(rec["errors"]) - 1] or len(rec["errors"]) != 1
                or rec["paragraphs"] or rec["title"] is not None):
        raise SchemaError("%s: a failure of the job itself must be the only error, with no pairs "
                          "(section 12.3): %r" % (what, rec["errors"]))
    return rec


def validate_records(recs, what="records"):
    """validate_record on each of recs; returns recs."""
    for i, r in enumerate(recs):
        validate_record(r, "%s[%d] (job %s)" % (what, i, r.get("job") if isinstance(r, dict) else "?"))
    return recs


class Checks:
    """The checks of a test that goes on past a failed one, so that one run
    shows every failure: check(cond, what) prints "FAIL: what" and counts
    it; check.done(name) ends the test with its verdict (exit 1 on any)."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("FAIL: " + what)
        return cond

    def done(self, name):
        if self.failures:
            print("%s: %d failure(s)" % (name, len(self.failures)))
            raise SystemExit(1)
        print("%s: ok" % name)

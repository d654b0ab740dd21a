#!/usr/bin/python3
"""spec_client.py: an HNY/1 client written from proto/PROTOCOL.md alone
(pyzmq, no honyaku code), to prove that the spec is enough.

    spec_client.py ENDPOINT FILE --from en --to es [--backend NAME]
    spec_client.py --conformance ENDPOINT --max-article-bytes N --worker-cmd CMD

The first form probes the broker with a message of a wrong signature
(expects REJECTED 505) and one of an unknown command (expects REJECTED
501) and checks it still answers STATUS; then SUBMITs FILE, WAITs until
DONE 200, FETCHes the RECORD, checks it against section 12 (the JSON
Schema proto/schema/record.schema.json and the rules of 12.5) and prints
it. Exit status 0 on success; 1 with a message on stderr otherwise; 2 for
bad arguments.

The second form checks, as an outsider would, every promise the spec
makes to a client (sections 3-8, 12), against a broker that has no
worker yet and whose max_article_bytes is N: each request and its reply,
pipelining with req (integers and strings), REJECTED keeping req, U+0000
in members the message does not define, the error statuses (400, 404,
413, 501, 505, 300 for WAIT and FETCH of unfinished jobs, 409), LIST
paging, idempotent SUBMIT; then it runs CMD (a shell command that starts
a worker) and checks the finished jobs, their records and STATS. Each
case prints one PASS or FAIL line; a case that needs a broker change of
issue 7 says so when it fails. Exit status 0 when every case passes.
run_conformance() does the same for tests/test_spec.py.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import SchemaError, validate_record  # noqa: E402  (proto/schema/, section 12)

SIGNATURE = b"HNY/1"                       # PROTOCOL.md section 3
HEADER_MAX = 65536
RECORD_SCHEMA = "honyaku.record/1"         # section 12
STATES = ("queued", "preparing", "translating", "done", "failed")
FINAL = ("done", "failed")


class ProtocolError(Exception):
    pass


class Client:
    """One DEALER on the broker's front endpoint; every request carries a
    fresh "req" and its reply is matched by it (section 4)."""

    def __init__(self, endpoint, timeout_s):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.timeout_s = timeout_s
        self.next_req = 1

    def close(self):
        self.sock.close()
        self.ctx.term()

    def send_frames(self, frames):
        self.sock.send_multipart(frames)

    def recv(self, timeout_s=None):
        """One whole message as (command, header dict, body or None)."""
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        if not self.sock.poll(int(timeout_s * 1000)):
            raise ProtocolError("no reply within %.1f s" % timeout_s)
        frames = self.sock.recv_multipart()
        if len(frames) not in (3, 4):
            raise ProtocolError("reply of %d frames (3 or 4 expected)" % len(frames))
        if frames[0] != SIGNATURE:
            raise ProtocolError("reply signature %r is not HNY/1" % frames[0])
        command = frames[1].decode("ascii", "replace")
        if len(frames[2]) > HEADER_MAX:
            raise ProtocolError("%s header over %d bytes" % (command, HEADER_MAX))
        try:
            header = json.loads(frames[2].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("%s header is not JSON: %s" % (command, e))
        if not isinstance(header, dict):
            raise ProtocolError("%s header is not a JSON object" % command)
        if command in ("REJECTED", "DONE", "RECORD", "LISTING") or (
                command in ("STATUS", "STATS") and "status" in header):
            check_int(header, "status", command)
        body = frames[3] if len(frames) == 4 else None
        return command, header, body

    def new_req(self):
        req = self.next_req
        self.next_req += 1
        return req

    def send(self, command, header, body=None, req=None):
        """Send a request without waiting; returns its req."""
        req = self.new_req() if req is None else req
        frames = [SIGNATURE, command.encode("ascii"),
                  json.dumps(dict(header, req=req), ensure_ascii=False).encode("utf-8")]
        if body is not None:
            frames.append(body)
        self.send_frames(frames)
        return req

    def request(self, command, header, body=None, timeout_s=None, req=None):
        """Send one request with a fresh "req" and return its reply."""
        req = self.send(command, header, body, req)
        reply = self.recv(timeout_s)
        if reply[1].get("req") != req:
            raise ProtocolError("%s reply carries req %r, sent %r"
                                % (reply[0], reply[1].get("req"), req))
        return reply


def expect(reply, command, status=None):
    got, header, _ = reply
    if got != command or (status is not None and header.get("status") != status):
        raise ProtocolError("expected %s %s, got %s %s"
                            % (command, status if status is not None else "",
                               got, json.dumps(header)[:500]))
    return header


def check_int(header, field, command):
    value = header.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError("%s: %s is not an integer: %r" % (command, field, value))
    return value


def check_str(header, field, command):
    value = header.get(field)
    if not isinstance(value, str):
        raise ProtocolError("%s: %s is not a string: %r" % (command, field, value))
    return value


def check(cond, what, *args):
    if not cond:
        raise ProtocolError(what % args if args else what)


def parse_record(reply, job):
    """The RECORD reply's body as a record of job, checked against section 12."""
    header = expect(reply, "RECORD", 200)
    check(header.get("job") == job and reply[2] is not None,
          "RECORD for job %r or without a body (wanted %r)", header.get("job"), job)
    try:
        record = json.loads(reply[2].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError("record is not JSON: %s" % e)
    check(isinstance(record, dict) and record.get("schema") == RECORD_SCHEMA,
          "record schema is not %s", RECORD_SCHEMA)
    check(record.get("job") == job, "record names job %r, not %r", record.get("job"), job)
    try:
        validate_record(record)
    except SchemaError as e:
        raise ProtocolError(str(e))
    return record


def probe(client):
    """Malformed messages get REJECTED on the same socket; the broker goes on."""
    # A wrong signature: the broker cannot read the rest, so no req comes back.
    client.send_frames([b"HNY/0", b"STATUS", b"{}"])
    header = expect(client.recv(), "REJECTED", 505)
    check_str(header, "reason", "REJECTED")
    # An unknown command: the broker stops before the header (section 7).
    client.send_frames([SIGNATURE, b"FROBNICATE", b'{"req": 0}'])
    header = expect(client.recv(), "REJECTED", 501)
    check_str(header, "reason", "REJECTED")
    # Still answering.
    expect(client.request("STATUS", {}), "STATUS", 200)


def run(args):
    try:
        with open(args.file, "rb") as f:
            article = f.read()
    except OSError as e:
        print("spec_client: %s: %s" % (args.file, e.strerror), file=sys.stderr)
        return 1
    client = Client(args.endpoint, args.timeout)
    try:
        probe(client)

        submit = {"from": getattr(args, "from"), "to": args.to,
                  "source": os.path.abspath(args.file)}
        if args.backend:
            submit["backend"] = args.backend
        if args.format:
            submit["format"] = args.format
        reply = client.request("SUBMIT", submit, article)
        if reply[0] == "REJECTED":
            raise ProtocolError("SUBMIT rejected: %s %s"
                                % (reply[1].get("status"), reply[1].get("reason")))
        accepted = expect(reply, "ACCEPTED")
        job = check_str(accepted, "job", "ACCEPTED")
        check_str(accepted, "key", "ACCEPTED")
        check_str(accepted, "state", "ACCEPTED")
        if not isinstance(accepted.get("existing"), bool):
            raise ProtocolError("ACCEPTED: existing is not a boolean")

        state = wait_final(client, job, args.wait, args.timeout)
        record = parse_record(client.request("FETCH", {"job": job}), job)
        json.dump(record, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        if state != "done":
            print("spec_client: job %s ended in state %s" % (job, state), file=sys.stderr)
            return 1
        return 0
    except ProtocolError as e:
        print("spec_client: %s" % e, file=sys.stderr)
        return 1
    finally:
        client.close()


def wait_final(client, job, wait_s, timeout_s):
    """WAIT (in steps of at most 10 s) until job is final; its state."""
    deadline = time.monotonic() + wait_s
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise ProtocolError("job %s not final after %.0f s" % (job, wait_s))
        wait_ms = min(left_ms, 10000)
        done = expect(client.request("WAIT", {"job": job, "timeout_ms": wait_ms},
                                     timeout_s=wait_ms / 1000 + timeout_s), "DONE")
        status = check_int(done, "status", "DONE")
        check(done.get("job") == job, "DONE for job %r, waited for %r", done.get("job"), job)
        state = check_str(done, "state", "DONE")
        if status == 200:
            check(state in FINAL, "DONE 200 with state %r", state)
            return state
        check(status == 300, "DONE with status %d", status)


# ---------------------------------------------------------------- conformance

ISSUE7 = "needs the issue 7 broker change"


class Suite:
    """The client-facing promises, one case each (run in order: later
    cases use the jobs earlier ones submitted)."""

    def __init__(self, front, max_article_bytes, start_worker, timeout_s=10.0, out=sys.stdout):
        self.client = Client(front, timeout_s)
        self.front = front
        self.max = max_article_bytes
        self.start_worker = start_worker
        self.timeout_s = timeout_s
        self.out = out
        self.jobs = []              # accepted jobs, in order: (job, key, content)
        self.align_jobs = []        # accepted align jobs: (job, key, source sentences, target sentences)
        self.failed = []

    # -- helpers

    def submit(self, text, **fields):
        h = {"from": "en", "to": "es"}
        h.update(fields)
        body = text if isinstance(text, bytes) else text.encode("utf-8")
        header = expect(self.client.request("SUBMIT", h, body), "ACCEPTED")
        for f in ("job", "key", "state"):
            check_str(header, f, "ACCEPTED")
        check(isinstance(header.get("existing"), bool), "ACCEPTED: existing is not a boolean")
        check(header["state"] in STATES, "ACCEPTED: state %r", header["state"])
        return header

    def rejected(self, reply, status, req=None, job=None, reason=None):
        """reply must be REJECTED status with req (None: any or none) and
        job as given (None: absent)."""
        header = expect(reply, "REJECTED", status)
        check_str(header, "reason", "REJECTED")
        check("\n" not in header["reason"], "REJECTED reason is not one line: %r", header["reason"])
        if req is not None:
            check(header.get("req") == req, "REJECTED carries req %r, wanted %r", header.get("req"), req)
        check(header.get("job") == job, "REJECTED carries job %r, wanted %r", header.get("job"), job)
        if reason:
            check(reason in header["reason"], "REJECTED reason %r does not name %r",
                  header["reason"], reason)
        return header

    def raw(self, frames, timeout_s=None):
        self.client.send_frames(frames)
        return self.client.recv(timeout_s)

    def raw_header(self, command, text, body=None):
        frames = [SIGNATURE, command.encode(), text.encode("utf-8") if isinstance(text, str) else text]
        if body is not None:
            frames.append(body)
        return self.raw(frames)

    # -- the runner

    def run(self):
        cases = [
            ("3, 7", "a wrong signature gets REJECTED 505, and the broker keeps serving", self.c_signature, None),
            ("7", "an unknown command gets REJECTED 501", self.c_unknown_command, None),
            ("3, 7", "frame counts and bodies: 2 or 5 frames, a body where none belongs, none where one must be: 400",
             self.c_frames, None),
            ("3, 7", "a header over 65536 bytes gets 413; one of exactly 65536 is served", self.c_header_cap, None),
            ("4, 7", "headers that are not one UTF-8 JSON object (or nest past 16, or repeat a name): 400",
             self.c_bad_json, None),
            ("7", "a worker-only command or a reply on the front: 400 '<COMMAND> is not a client request', req kept",
             self.c_worker_only, None),
            ("4", "REJECTED keeps req (integer and string) and job; an invalid req is not copied",
             self.c_req_kept, None),
            ("4", "U+0000 (and numbers past 64 bits) in members the message does not define are ignored",
             self.c_nul_unknown, None),
            ("4", "U+0000 in a defined field: 400 naming it, req kept", self.c_nul_defined, None),
            ("5.1", "unknown jobs: STATUS, WAIT, FETCH get 404 with the job", self.c_unknown_job, None),
            ("5.2", "STATUS without job: jobs, workers, queue, profiles, version", self.c_status_daemon, None),
            ("5.2, 14", "STATUS without job: store \"ok\", and each profile's live workers",
             self.c_status_daemon_new, ISSUE7 + " (STATUS store, profiles[].workers)"),
            ("5.1", "SUBMIT: ACCEPTED, existing false, state queued", self.c_submit, None),
            ("1, 5.1", "SUBMIT of a key that has a job: ACCEPTED existing true, that job; other content: 409",
             self.c_existing, None),
            ("5.1, 8", "SUBMIT body over max_article_bytes: 413 with req; at the cap: accepted",
             self.c_too_large, None),
            ("5.1", "SUBMIT's metadata: a member of section 11.2 with another type: 400 naming it",
             self.c_metadata_types, None),
            ("5.1", "SUBMIT's from and to are BCP 47 tags, canonicalized (EN = en); no tag: 400 naming it",
             self.c_languages, None),
            ("5.1, 8", "align SUBMIT: two sides split by src_bytes, accepted and keyed on both; src_bytes "
             "missing or past the body, one language, a side over max_article_bytes, no text: refused",
             self.c_align_submit, None),
            ("5.1", "WAIT on an unfinished job: DONE 300 when timeout_ms passes (0 included)",
             self.c_wait_timeout, None),
            ("5.1", "FETCH of an unfinished job: REJECTED 300 with the job", self.c_fetch_unfinished, None),
            ("5.2", "STATUS of a queued job: its fields and types", self.c_status_job, None),
            ("5.2", "STATUS of a job no worker can take: waiting \"no worker\"", self.c_status_waiting,
             ISSUE7 + " (STATUS waiting)"),
            ("5.1", "LIST pages in increasing numeric job id order, next absent at the end; state filters; "
             "limit 0 or 1001: 400", self.c_list, None),
            ("4", "pipelining: requests sent back to back each get one reply, matched by req (int and string)",
             self.c_pipelining, None),
            ("5.1, 9", "once a worker serves: every job ends done; WAIT on it: DONE 200", self.c_finish, None),
            ("5.1, 12", "FETCH of a finished job: RECORD 200 whose body is a section 12 record with "
             "SUBMIT's source and metadata", self.c_records,
             "needs the record producer to follow section 12 (title.tm, metadata.replaced; issue 7)"),
            ("5.2", "STATUS of a finished job agrees with its record", self.c_status_done, None),
            ("5.4, 12.6", "an align job ends done: a record of backend aligned, links with a score, "
             "null for a sentence without counterpart, the alignment member; STATUS counts the links",
             self.c_align_record, None),
            ("5.1", "LIST state done lists every finished job", self.c_list_done, None),
            ("5.2", "STATS: per profile tm_hits, tm_misses, chars_billed, requests, segments, requests_per_segment;"
             " jobs by state, histograms", self.c_stats, None),
            ("5.1, 5.2", "TMIMPORT: all entries or none (a bad entry, language or body: nothing imported); "
             "TMEXPORT pages the human entries with next; bad origin or cursor: 400", self.c_tm, None),
            ("3, 5.1", "LIST limit 1000 over jobs with 256-byte keys: each LISTING fits the 65536-byte header "
             "cap (a shorter page, with next)", self.c_list_header_cap,
             "needs a broker change found by the issue 7 codec review: LIST must cut a page that would pass "
             "the header cap"),
        ]
        for section, name, fn, pending in cases:
            try:
                fn()
                self.out.write("spec_client: PASS  [%s] %s\n" % (section, name))
            except Exception as e:      # noqa: BLE001 - every case reports, none stops the rest
                note = " (%s)" % pending if pending else ""
                self.out.write("spec_client: FAIL  [%s] %s%s\n    %s\n" % (section, name, note, e))
                self.failed.append((name, pending))
                # A case that failed may have left replies behind: drop them.
                while self.client.sock.poll(200):
                    self.client.sock.recv_multipart()
            self.out.flush()
        self.client.close()
        return self.failed

    # -- the cases

    def c_signature(self):
        for sig in (b"HNY/0", b"HNY/2", b"", b"HNY/1 "):
            self.rejected(self.raw([sig, b"STATUS", b'{"req": 1}']), 505)
        expect(self.client.request("STATUS", {}), "STATUS", 200)

    def c_unknown_command(self):
        for cmd in (b"FROBNICATE", b"status", b"SUBMIT ", b"HEARTBEATHEARTBEAT1"):
            self.rejected(self.raw([SIGNATURE, cmd, b'{"req": 1}']), 501)
        expect(self.client.request("STATUS", {}), "STATUS", 200)

    def c_frames(self):
        self.rejected(self.raw([SIGNATURE, b"STATUS"]), 400)
        self.rejected(self.raw([SIGNATURE, b"STATUS", b"{}", b"", b""]), 400)
        req = self.client.new_req()
        self.rejected(self.raw_header("STATUS", json.dumps({"req": req}), b"body"), 400, req=req)
        req = self.client.new_req()
        self.rejected(self.raw_header("SUBMIT", json.dumps({"req": req, "from": "en", "to": "es"})),
                      400, req=req)

    def c_header_cap(self):
        req = self.client.new_req()
        head = '{"req":%d,"pad":"' % req
        text = head + "x" * (HEADER_MAX + 1 - len(head) - 2) + '"}'
        check(len(text) == HEADER_MAX + 1, "test header of %d bytes", len(text))
        self.rejected(self.raw_header("STATUS", text), 413)
        text = head + "x" * (HEADER_MAX - len(head) - 2) + '"}'
        reply = self.raw_header("STATUS", text)
        header = expect(reply, "STATUS", 200)
        check(header.get("req") == req, "STATUS at the cap: req %r", header.get("req"))

    def c_bad_json(self):
        for text in (b"", b"{", b"[]", b'"x"', b"{} {}", b'{"a":1,"a":2}', b'{"a":"\xc3\x28"}',
                     b'{"a":' + b"[" * 16 + b"1" + b"]" * 16 + b"}"):
            self.rejected(self.raw([SIGNATURE, b"STATUS", text]), 400)
        deep = b'{"a":' + b"[" * 15 + b"1" + b"]" * 15 + b"}"
        expect(self.raw([SIGNATURE, b"STATUS", deep]), "STATUS", 200)

    def c_worker_only(self):
        messages = [
            ("READY", {"credit": 1, "backends": ["pseudo"]}, None),
            ("TASK", {"task": "t1", "kind": "prepare", "lease_ms": 1000}, b"x"),
            ("RESULT", {"task": "t1", "status": 200}, None),
            ("HEARTBEAT", {}, None),
            ("DISCONNECT", {}, None),
            ("ACCEPTED", {"job": "1", "key": "k", "existing": False, "state": "queued"}, None),
            ("DONE", {"status": 200, "job": "1", "state": "done"}, None),
        ]
        for i, (cmd, h, body) in enumerate(messages):
            req = "w%d" % i if i % 2 else 100 + i
            reply = self.client.request(cmd, h, body, req=req)
            self.rejected(reply, 400, req=req, job=h.get("job"),
                          reason="%s is not a client request" % cmd)

    def c_req_kept(self):
        reply = self.client.request("WAIT", {"job": "1", "timeout_ms": "soon"}, req="r-kept")
        self.rejected(reply, 400, req="r-kept", job="1", reason="timeout_ms")
        reply = self.client.request("LIST", {"limit": 0}, req=-(2 ** 63))
        self.rejected(reply, 400, req=-(2 ** 63), reason="limit")
        reply = self.client.request("WAIT", {"job": "1", "timeout_ms": 3600001}, req="x" * 64)
        self.rejected(reply, 400, req="x" * 64, job="1")
        # An invalid req (65 bytes, a boolean) is itself the error: not copied.
        for bad in ("y" * 65, True, 1.5, None, ["r"]):
            header = self.rejected(self.raw_header("STATUS", json.dumps({"req": bad})), 400)
            check("req" not in header, "REJECTED copied the invalid req %r", bad)

    def c_nul_unknown(self):
        for extra in ({"note": "a\u0000b"}, {"trace": {"k\u0000": [1, "\u0000"]}}, {"a\u0000": 1},
                      {"big": 10 ** 30, "small": -(10 ** 30)}):
            req = self.client.new_req()
            text = json.dumps(dict(extra, req=req))
            header = expect(self.raw_header("STATUS", text), "STATUS", 200)
            check(header.get("req") == req, "STATUS with %s: req %r", text, header.get("req"))
        # ... in a SUBMIT too: the job is accepted (and kept for later cases).
        req = self.client.new_req()
        text = json.dumps({"req": req, "from": "en", "to": "es", "x-nul": "\u0000"})
        header = expect(self.raw_header("SUBMIT", text, b"An article with a NUL aside.\n"), "ACCEPTED")
        check(header.get("req") == req, "ACCEPTED req %r", header.get("req"))
        self.jobs.append((header["job"], header["key"], None))

    def c_nul_defined(self):
        reply = self.raw_header("FETCH", '{"job":"1\\u00002","req":"n1"}')
        self.rejected(reply, 400, req="n1", reason="job")
        reply = self.raw_header("SUBMIT", '{"from":"e\\u0000n","to":"es","req":7}', b"Text.")
        self.rejected(reply, 400, req=7, reason="from")
        reply = self.raw_header("WAIT", '{"job":"5","req":"n2","x":"\\u0000","timeout_ms":"\\u0000"}')
        self.rejected(reply, 400, req="n2", job="5", reason="timeout_ms")
        reply = self.raw_header("STATUS", '{"job":"3","req":"a\\u0000"}')
        header = self.rejected(reply, 400, job="3", reason="req")
        check("req" not in header, "REJECTED copied a req holding U+0000")

    def c_unknown_job(self):
        for cmd, extra in (("STATUS", {}), ("WAIT", {"timeout_ms": 0}), ("FETCH", {})):
            reply = self.client.request(cmd, dict(extra, job="987654321"))
            self.rejected(reply, 404, job="987654321")

    def c_status_daemon(self):
        h = expect(self.client.request("STATUS", {}), "STATUS", 200)
        check(isinstance(h.get("jobs"), dict) and all(
            k in STATES and isinstance(v, int) for k, v in h["jobs"].items()), "jobs: %r", h.get("jobs"))
        check_int(h, "workers", "STATUS")
        check(h["workers"] == 0, "workers %r before any worker", h["workers"])
        q = h.get("queue")
        check(isinstance(q, dict) and isinstance(q.get("prepare"), int)
              and isinstance(q.get("translate"), int), "queue: %r", q)
        check(isinstance(h.get("profiles"), list) and h["profiles"], "profiles: %r", h.get("profiles"))
        for p in h["profiles"]:
            check(isinstance(p, dict) and isinstance(p.get("name"), str)
                  and isinstance(p.get("type"), str), "profile %r", p)
        check("pseudo" in [p["name"] for p in h["profiles"]], "no pseudo profile: %r", h["profiles"])
        check_str(h, "version", "STATUS")
        check("draining" not in h, "draining while not draining: %r", h)

    def c_status_daemon_new(self):
        h = expect(self.client.request("STATUS", {}), "STATUS", 200)
        check(h.get("store") == "ok", "store %r, wanted \"ok\"", h.get("store"))
        for p in h["profiles"]:
            check(p.get("workers") == 0, "profile %s: workers %r, wanted 0 (no worker yet)",
                  p.get("name"), p.get("workers"))

    def c_submit(self):
        text = "Spec title\n\nThe first sentence of the spec article. A second one.\n\nAnother paragraph.\n"
        h = self.submit(text, source="spec/article.txt", metadata={"author": "Spec Client",
                                                                   "tags": ["a", 1, None]})
        check(h["existing"] is False and h["state"] == "queued", "ACCEPTED %r", h)
        check(h["job"].isdigit(), "job id %r is not decimal digits", h["job"])
        self.jobs.append((h["job"], h["key"], text))
        self.first = h

    def c_existing(self):
        job, key, text = self.jobs[-1]
        h = self.submit(text, source="spec/article.txt", metadata={"author": "Spec Client",
                                                                   "tags": ["a", 1, None]})
        check(h["existing"] is True and h["job"] == job and h["key"] == key,
              "same content again: %r, wanted existing job %s", h, job)
        a = self.submit("Keyed article. It has a key.\n", key="spec-key-1")
        check(a["existing"] is False and a["key"] == "spec-key-1", "keyed SUBMIT %r", a)
        self.jobs.append((a["job"], a["key"], "Keyed article. It has a key.\n"))
        b = self.submit("Keyed article. It has a key.\n", key="spec-key-1")
        check(b["existing"] is True and b["job"] == a["job"], "same key again %r", b)
        reply = self.client.request("SUBMIT", {"from": "en", "to": "es", "key": "spec-key-1"},
                                    b"Other content under the same key.\n")
        self.rejected(reply, 409)

    def c_too_large(self):
        sentence = b"This sentence fills the article. "
        body = (sentence * (self.max // len(sentence) + 2))[:self.max + 1]
        req = self.client.new_req()
        reply = self.client.request("SUBMIT", {"from": "en", "to": "es"}, body, req=req)
        self.rejected(reply, 413, req=req)
        body = body[:self.max - 1].rstrip(b" ") + b"\n"
        h = self.submit(body)
        check(h["existing"] is False, "at the cap: %r", h)
        self.jobs.append((h["job"], h["key"], body))

    def c_metadata_types(self):
        for md, member in (({"title": 5}, "title"), ({"date": "April 21, 2019"}, "date"),
                           ({"related": [{"title": "t", "url": "u"}]}, "related")):
            req = self.client.new_req()
            reply = self.client.request("SUBMIT", {"from": "en", "to": "es", "metadata": md},
                                        b"Metadata test.\n", req=req)
            self.rejected(reply, 400, req=req, reason=member)

    def c_languages(self):
        for field, tag in (("from", "english"), ("to", "xx"), ("from", "e"), ("to", "en--US"),
                           ("from", "en US"), ("to", "und")):
            h = {"from": "en", "to": "es"}
            h[field] = tag
            req = self.client.new_req()
            reply = self.client.request("SUBMIT", h, b"Language test.\n", req=req)
            self.rejected(reply, 400, req=req, reason=field)
            self.rejected(reply, 400, req=req, reason="'%s'" % tag)
        # Another spelling of the same tags is the same job: the broker
        # derives the key from the canonical form (and the record, checked
        # in c_records, says "en" and "es").
        text = "Language spelling. Upper case and lower case.\n"
        a = self.submit(text, **{"from": "EN", "to": "Es"})
        b = self.submit(text, **{"from": "en", "to": "es"})
        check(b["existing"] is True and b["job"] == a["job"] and b["key"] == a["key"],
              "EN/Es then en/es: %r then %r, wanted one job", a, b)
        self.jobs.append((a["job"], a["key"], text))

    def align_submit(self, src, tgt, **fields):
        h = {"from": "en", "to": "ja", "kind": "align", "src_bytes": len(src)}
        h.update(fields)
        return self.client.request("SUBMIT", h, src + tgt)

    def c_align_submit(self):
        src = b"Spec pair\n\nThe first sentence. The second sentence. The third one.\n"
        tgt = "\u5bfe\u8a33\n\n\u6700\u521d\u306e\u6587\u3002\n\n\u4e8c\u3064\u76ee\u3002\n".encode()
        a = expect(self.align_submit(src, tgt, target_source="spec/pair.ja"), "ACCEPTED")
        check(a["existing"] is False and a["state"] in STATES, "align ACCEPTED %r", a)
        b = expect(self.align_submit(src, tgt, target_source="spec/pair.ja"), "ACCEPTED")
        check(b["existing"] is True and b["job"] == a["job"], "align re-submit %r", b)
        # where the sides split is part of what the key covers
        c = expect(self.align_submit(src[:-1], src[-1:] + tgt), "ACCEPTED")
        check(c["job"] != a["job"] and c["key"] != a["key"], "another split, the same job %r", c)
        self.align_jobs.append((a["job"], a["key"], 3, 2))
        self.align_jobs.append((c["job"], c["key"], 3, 2))
        h = {"from": "en", "to": "ja", "kind": "align"}
        self.rejected(self.client.request("SUBMIT", h, src + tgt, req=41), 400, req=41, reason="src_bytes")
        self.rejected(self.align_submit(src, tgt, src_bytes=len(src + tgt) + 1), 400)
        self.rejected(self.align_submit(src, tgt, to="en"), 422, reason="en")
        self.rejected(self.align_submit(src, tgt, kind="compare"), 400)
        self.rejected(self.align_submit(b" \n", b"\t"), 400, reason="empty")
        self.rejected(self.align_submit(src, b"x" * (self.max + 1)), 413)

    def c_align_record(self):
        deadline = time.monotonic() + 30
        for job, key, n_src, n_tgt in self.align_jobs:
            state = wait_final(self.client, job, max(1, deadline - time.monotonic()), self.timeout_s)
            check(state == "done", "align job %s ended %s", job, state)
            rec = parse_record(self.client.request("FETCH", {"job": job}), job)
            check(rec["backend"] == "aligned" and rec["key"] == key and rec["target_lang"] == "ja",
                  "align record head %r", {k: rec[k] for k in ("key", "backend", "target_lang")})
            links = [s for p in rec["paragraphs"] for s in p["segments"]]
            check(all(set(s) == {"src", "tgt", "tm", "score"} and s["tm"] is False for s in links),
                  "links %r", links)
            check(sum(s["src"] is not None for s in links) == n_src
                  and sum(s["tgt"] is not None for s in links) == n_tgt
                  and any(s["tgt"] is None for s in links), "links %r", links)
            al = rec.get("alignment")
            check(isinstance(al, dict) and al["stats"]["links"] == len(links)
                  and 0 <= al["score"] <= 1 and isinstance(al["target_metadata"], dict), "alignment %r", al)
            h = expect(self.client.request("STATUS", {"job": job}), "STATUS", 200)
            n = len(links) + (rec["title"] is not None)
            check(h["backend"] == "aligned" and h["segments"] == n and h["done"] == n, "STATUS %r", h)
        first = parse_record(self.client.request("FETCH", {"job": self.align_jobs[0][0]}),
                             self.align_jobs[0][0])
        check(first["alignment"]["target_metadata"].get("source") == "spec/pair.ja",
              "target_source in alignment.target_metadata %r", first["alignment"]["target_metadata"])

    def c_wait_timeout(self):
        job = self.first["job"]
        t0 = time.monotonic()
        h = expect(self.client.request("WAIT", {"job": job, "timeout_ms": 300}), "DONE", 300)
        waited = time.monotonic() - t0
        check(h.get("job") == job and h.get("state") == "queued", "DONE 300 %r", h)
        check(waited >= 0.25, "WAIT 300 ms answered after %.3f s", waited)
        h = expect(self.client.request("WAIT", {"job": job, "timeout_ms": 0}), "DONE", 300)
        check(h.get("state") == "queued", "DONE 300 (timeout 0) %r", h)

    def c_fetch_unfinished(self):
        job = self.first["job"]
        self.rejected(self.client.request("FETCH", {"job": job}), 300, job=job)

    def c_status_job(self):
        job = self.first["job"]
        h = expect(self.client.request("STATUS", {"job": job}), "STATUS", 200)
        check(h.get("job") == job and h.get("key") == self.first["key"], "STATUS %r", h)
        check(h.get("state") == "queued", "state %r", h.get("state"))
        for f in ("segments", "done", "failed", "created"):
            check_int(h, f, "STATUS")
        check(h["segments"] == h["done"] == h["failed"] == 0, "counts before prepare %r", h)
        check(abs(h["created"] / 1000.0 - time.time()) < 600, "created %r is not ms since the epoch",
              h["created"])
        check(h.get("backend") == "pseudo", "backend %r", h.get("backend"))
        check("error" not in h, "error on a queued job %r", h)

    def c_status_waiting(self):
        h = expect(self.client.request("STATUS", {"job": self.first["job"]}), "STATUS", 200)
        check(h.get("waiting") == "no worker", "waiting %r, wanted \"no worker\"", h.get("waiting"))

    def c_list(self):
        while len(self.jobs) < 12:      # past 9, so that "10" must come after "9"
            text = "List filler number %d. It is short.\n" % len(self.jobs)
            h = self.submit(text)
            self.jobs.append((h["job"], h["key"], text))
        accepted = [j for j, _, _ in self.jobs]
        check(accepted == sorted(accepted, key=int), "job ids not increasing: %r", accepted)
        seen, after, pages = [], None, 0
        while True:
            q = {"limit": 5}
            if after is not None:
                q["after"] = after
            h = expect(self.client.request("LIST", q), "LISTING", 200)
            check(isinstance(h.get("jobs"), list) and len(h["jobs"]) <= 5, "LISTING %r", h)
            for item in h["jobs"]:
                check(isinstance(item, dict) and all(isinstance(item.get(f), str)
                                                     for f in ("job", "key", "state")), "item %r", item)
            seen += [item["job"] for item in h["jobs"]]
            pages += 1
            check(pages < 50, "LIST does not end")
            if "next" not in h:
                break
            check_str(h, "next", "LISTING")
            check(h["next"] == h["jobs"][-1]["job"], "next %r is not the page's last job", h["next"])
            after = h["next"]
        check(seen == sorted(seen, key=int) and len(set(seen)) == len(seen),
              "LIST order %r", seen)
        check([j for j in seen if j in accepted] == accepted, "LIST %r misses accepted jobs %r",
              seen, accepted)
        h = expect(self.client.request("LIST", {"state": "queued", "limit": 1000}), "LISTING", 200)
        check(all(i["state"] == "queued" for i in h["jobs"]) and
              set(accepted) <= {i["job"] for i in h["jobs"]}, "LIST state queued %r", h["jobs"])
        h = expect(self.client.request("LIST", {"state": "done"}), "LISTING", 200)
        check(h["jobs"] == [] and "next" not in h, "LIST state done before any worker %r", h)
        h = expect(self.client.request("LIST", {"after": accepted[-1]}), "LISTING", 200)
        check(all(int(i["job"]) > int(accepted[-1]) for i in h["jobs"]), "after %s: %r", accepted[-1], h)
        for bad in (0, 1001):
            self.rejected(self.client.request("LIST", {"limit": bad}), 400)

    def c_pipelining(self):
        job = self.first["job"]
        sent = {}
        for i, (cmd, h) in enumerate([("STATUS", {"job": job}), ("STATS", {}), ("LIST", {"limit": 2}),
                                      ("WAIT", {"job": job, "timeout_ms": 0}), ("FETCH", {"job": "987654321"}),
                                      ("STATUS", {}), ("WAIT", {"job": job, "timeout_ms": 200}),
                                      ("FETCH", {"job": job})]):
            req = "p-%d" % i if i % 2 else 5000 + i
            self.client.send(cmd, h, req=req)
            sent[json.dumps(req)] = {"STATUS": "STATUS", "STATS": "STATS", "LIST": "LISTING",
                                     "WAIT": "DONE", "FETCH": "REJECTED"}[cmd]
        got = {}
        deadline = time.monotonic() + self.timeout_s
        while len(got) < len(sent) and time.monotonic() < deadline:
            cmd, h, _ = self.client.recv(deadline - time.monotonic())
            key = json.dumps(h.get("req"))
            check(key in sent, "reply %s with req %s that was not sent", cmd, key)
            check(key not in got, "two replies for req %s", key)
            got[key] = cmd
        check(got == sent, "replies %r, wanted %r", got, sent)
        check(not self.client.sock.poll(300), "a reply more than requests")

    def c_finish(self):
        self.start_worker()
        deadline = time.monotonic() + 40
        for job, key, _ in self.jobs:
            state = wait_final(self.client, job, max(1, deadline - time.monotonic()), self.timeout_s)
            check(state == "done", "job %s ended %s", job, state)
        h = expect(self.client.request("WAIT", {"job": self.first["job"], "timeout_ms": 0}), "DONE", 200)
        check(h.get("state") == "done", "WAIT on a done job %r", h)

    def c_records(self):
        records = {}
        for job, key, text in self.jobs:
            rec = parse_record(self.client.request("FETCH", {"job": job}), job)
            check(rec["key"] == key and rec["source_lang"] == "en" and rec["target_lang"] == "es"
                  and rec["backend"] == "pseudo", "record head %r", {k: rec[k] for k in (
                      "job", "key", "source_lang", "target_lang", "backend")})
            check(rec["errors"] == [], "job %s has errors %r", job, rec["errors"])
            records[job] = rec
        rec = records[self.first["job"]]
        md = rec["metadata"]
        check(md.get("source") == "spec/article.txt" and md.get("author") == "Spec Client"
              and md.get("tags") == ["a", 1, None], "SUBMIT's source and metadata in the record: %r", md)
        check(rec["title"] is not None and rec["title"]["src"] == "Spec title", "title %r", rec["title"])

    def c_status_done(self):
        job = self.first["job"]
        reply = self.client.request("FETCH", {"job": job})
        expect(reply, "RECORD", 200)
        rec = json.loads(reply[2])      # c_records checks it; here only its pairs count
        h = expect(self.client.request("STATUS", {"job": job}), "STATUS", 200)
        n = sum(len(p["segments"]) for p in rec["paragraphs"]) + (1 if rec.get("title") else 0)
        check(h["state"] == "done" and h["segments"] == n and h["done"] == n and h["failed"] == 0,
              "STATUS %r vs %d pairs", h, n)
        d = expect(self.client.request("STATUS", {}), "STATUS", 200)
        check(d["workers"] >= 1 and d["jobs"].get("done", 0) >= len(self.jobs), "STATUS %r", d)

    def c_list_done(self):
        h = expect(self.client.request("LIST", {"state": "done", "limit": 1000}), "LISTING", 200)
        listed = [i["job"] for i in h["jobs"]]
        check(set(j for j, _, _ in self.jobs) <= set(listed), "LIST done %r", listed)

    def c_stats(self):
        h = expect(self.client.request("STATS", {}), "STATS", 200)
        p = h.get("profiles", {}).get("pseudo")
        check(isinstance(p, dict), "STATS profiles %r", h.get("profiles"))
        for f in ("tm_hits", "tm_human_hits", "tm_misses", "chars_billed", "requests", "segments"):
            check(isinstance(p.get(f), int) and not isinstance(p.get(f), bool) and p[f] >= 0,
                  "STATS pseudo.%s = %r", f, p.get(f))
        check(isinstance(p.get("requests_per_segment"), (int, float)), "requests_per_segment %r",
              p.get("requests_per_segment"))
        check(p["segments"] > 0, "no segment translated: %r", p)
        # The daemon's side (5.2): every job state, and histograms whose
        # cumulative counts end at count.
        states = ("queued", "preparing", "translating", "done", "failed")
        check(set(h.get("jobs", {})) == set(states) and h["jobs"]["done"] >= len(self.jobs),
              "STATS jobs %r", h.get("jobs"))
        check(isinstance(h.get("since"), int) and isinstance(h.get("workers"), int), "STATS %r", h)
        check(isinstance(p.get("workers"), int) and isinstance(p.get("http"), dict), "STATS pseudo %r", p)
        hists = [p.get("latency")] + list(h.get("job_seconds", {}).values())
        for hist in hists:
            ok = (isinstance(hist, dict) and len(hist.get("le", [])) == len(hist.get("counts", []))
                  and hist["le"] == sorted(hist["le"]) and hist["counts"] == sorted(hist["counts"])
                  and (not hist["counts"] or hist["counts"][-1] <= hist["count"]))
            check(ok, "STATS histogram %r", hist)
        done = h.get("job_seconds", {}).get("done", {}).get("count", -1)
        check(done >= len(self.jobs), "STATS job_seconds.done.count %r for %d jobs", done, len(self.jobs))


    def c_tm(self):
        pair = {"from": "de", "to": "it"}

        def counts():
            h = expect(self.client.request("TMEXPORT", dict(pair, limit=1)), "TM", 200)
            return h["human"], h["machine"]

        def imp(header, body):
            req = self.client.new_req()
            return req, self.client.request("TMIMPORT", header, body, req=req)

        base = counts()
        req, reply = imp(dict(pair, origin="spec"), json.dumps([["Eins.", "Uno."], ["Zwei."]]).encode())
        self.rejected(reply, 422, req=req, reason="entry 2")
        req, reply = imp(dict(pair, origin="spec"), b"[[\"Eins.\", \"Uno.\"]")
        self.rejected(reply, 400, req=req)
        req, reply = imp({"from": "deutsch", "to": "it", "origin": "spec"}, b'[["Eins.", "Uno."]]')
        self.rejected(reply, 400, req=req, reason="from:")
        req, reply = imp(dict(pair, origin="spec"), b"[]")
        self.rejected(reply, 422, req=req)
        reply = self.client.request("TMIMPORT", dict(pair, origin="spec"))      # no body
        check(reply[0] == "REJECTED" and reply[1]["status"] == 400, "TMIMPORT without body: %r", reply[:2])
        check(counts() == base, "a refused TMIMPORT imported: %r -> %r", base, counts())
        h = expect(imp(dict(pair, origin="spec"), json.dumps([["Eins.", "Uno."], ["Zwei.", "Due."],
                                                               ["Drei.", "Tre."]]).encode())[1], "TM", 200)
        check(h["imported"] == 3 and h["human"] == base[0] + 3, "TMIMPORT reply %r", h)
        got, after = [], None
        while True:
            header = dict(pair, origin="human", limit=2)
            if after:
                header["after"] = after
            reply = self.client.request("TMEXPORT", header)
            after = expect(reply, "TM", 200).get("next")
            got += json.loads(reply[2])
            if not after:
                break
        check(sorted((e["src"], e["tgt"], e["origin"], e["source"]) for e in got)
              == [("Drei.", "Tre.", "human", "spec"), ("Eins.", "Uno.", "human", "spec"),
                  ("Zwei.", "Due.", "human", "spec")], "TMEXPORT pages %r", got)
        for header in ({"origin": "people"}, {"after": "nowhere"}, {"from": "de"}):
            req = self.client.new_req()
            self.rejected(self.client.request("TMEXPORT", header, req=req), 400, req=req)

    def c_list_header_cap(self):
        # 240 jobs whose LIST items take about 290 bytes each: 70 KB in one page.
        before = self.jobs[-1][0]
        mine = []
        for i in range(240):
            key = ("cap-%03d-" % i).ljust(256, "k")
            h = self.submit("Cap article %d.\n" % i, key=key)
            mine.append(h["job"])
        seen, after = [], before
        for _ in range(20):
            h = expect(self.client.request("LIST", {"after": after, "limit": 1000}, timeout_s=3),
                       "LISTING", 200)
            seen += [i["job"] for i in h["jobs"]]
            if "next" not in h:
                break
            after = h["next"]
        check(seen[:len(mine)] == mine, "LIST after %s: %d jobs listed of %d", before, len(seen), len(mine))


def run_conformance(front, max_article_bytes, start_worker, timeout_s=10.0, out=sys.stdout):
    """Run every client case; returns the failed ones as (name, pending
    note or None)."""
    return Suite(front, max_article_bytes, start_worker, timeout_s, out).run()


def main(argv):
    if argv[:1] == ["--conformance"]:
        ap = argparse.ArgumentParser(description="Check the client side of HNY/1 against a broker.")
        ap.add_argument("--conformance", metavar="ENDPOINT", required=True)
        ap.add_argument("--max-article-bytes", type=int, required=True)
        ap.add_argument("--worker-cmd", required=True, help="shell command that starts a worker")
        args = ap.parse_args(argv)
        procs = []

        def start_worker():
            procs.append(subprocess.Popen(args.worker_cmd, shell=True))
        try:
            failed = run_conformance(args.conformance, args.max_article_bytes, start_worker)
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)
        return 1 if failed else 0

    parser = argparse.ArgumentParser(
        description="Submit an article over HNY/1 and print its record.")
    parser.add_argument("endpoint", help="the broker's front endpoint, e.g. ipc:///tmp/x/front")
    parser.add_argument("file", help="the article to submit")
    parser.add_argument("--from", required=True, help="source language, e.g. en")
    parser.add_argument("--to", required=True, help="target language, e.g. es")
    parser.add_argument("--backend", help="backend profile (default: the broker's)")
    parser.add_argument("--format", help="auto, text, plain, html or jpw")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for any one reply (default 10)")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to wait for the job to finish (default 60)")
    args = parser.parse_args(argv)
    if "://" not in args.endpoint:
        parser.error("ENDPOINT must look like ipc://PATH or tcp://HOST:PORT")
    if args.timeout <= 0 or args.wait <= 0:
        parser.error("--timeout and --wait must be positive")
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

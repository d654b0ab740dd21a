#!/usr/bin/python3
"""spec_worker.py: an HNY/1 worker written from proto/PROTOCOL.md alone
(pyzmq, no honyaku code), to prove that the spec is enough for the worker
side too (sections 3-5, 7, 9, 11).

    spec_worker.py --back ENDPOINT [--credit N] [--backends a,b] [--name N]
                   [--heartbeat-ms MS] [--hold-ms MS] [--fail-prepare STATUS]
                   [--log FILE]

It registers (READY), adopts the broker's heartbeat interval from the
broker's HEARTBEAT (`heartbeat_ms`), heartbeats listing the tasks it still
works on (`tasks`, which renews their leases), never holds more TASKs than
its credit, registers again after DISCONNECT or 3 silent intervals, and
keeps the RESULTs it could not deliver (at most 64) for the next
registration. It cannot really prepare or translate: a prepare task's body
is split into paragraphs at blank lines and into segments after sentence
ends (a first short line without a final period, followed by a blank
line, is the title), a translation is the source in upper case (markup
and entities left as they are), and an alignment links the two sides'
sentences in order, one to one, the longer side's last ones to nothing. --hold-ms keeps every task that
long before answering (a slow backend); --fail-prepare answers prepare
tasks with that status instead.

The class SpecWorker is also driven step by step by tests/test_spec.py.
Every TASK it receives is appended to --log as one JSON line."""
import argparse
import json
import os
import re
import sys
import time

import zmq

SIGNATURE = b"HNY/1"                       # section 3
HEADER_MAX = 65536
BODY_MAX = 64 * 1024 * 1024
PREPARED_SCHEMA = "honyaku.prepared/1"     # section 11
KEPT_RESULTS_MAX = 64                      # section 9
COMMANDS = {"SUBMIT", "ACCEPTED", "REJECTED", "STATUS", "WAIT", "DONE", "FETCH", "RECORD", "LIST",
            "LISTING", "STATS", "READY", "TASK", "RESULT", "HEARTBEAT", "DISCONNECT"}


class Malformed(Exception):
    def __init__(self, status, reason, header=None):
        super().__init__(reason)
        self.status, self.reason, self.header = status, reason, header or {}


def decode(frames):
    """Check a message from the broker as section 7 orders it; returns
    (command, header, body) or raises Malformed (with the header when it
    parsed, so that a TASK can be answered)."""
    if not frames or frames[0] != SIGNATURE:
        raise Malformed(505, "signature is not HNY/1")
    if not 3 <= len(frames) <= 4:
        raise Malformed(400, "%d frames" % len(frames))
    command = frames[1].decode("ascii", "replace")
    if command not in COMMANDS:
        raise Malformed(501, "unknown command %r" % command)
    if len(frames[2]) > HEADER_MAX or (len(frames) == 4 and len(frames[3]) > BODY_MAX):
        raise Malformed(413, "frame over its cap")
    try:
        header = json.loads(frames[2].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Malformed(400, "header is not JSON: %s" % e)
    if not isinstance(header, dict):
        raise Malformed(400, "header is not a JSON object")
    body = frames[3] if len(frames) == 4 else None
    if command == "TASK":
        check_task(header, body)
    elif command == "HEARTBEAT" and "heartbeat_ms" in header:
        hb = header["heartbeat_ms"]
        if not is_int(hb) or not 1 <= hb <= 600000:
            raise Malformed(400, "heartbeat_ms out of 1..600000", header)
    return command, header, body


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_str(v, cap):
    return isinstance(v, str) and len(v.encode("utf-8")) <= cap and "\0" not in v


def check_task(h, body):
    """Section 5.4: the TASK's fields and body."""
    if not is_str(h.get("task"), 64):
        raise Malformed(400, "TASK needs a task id", h)
    if not is_str(h.get("kind"), 16):
        raise Malformed(400, "TASK needs a kind", h)
    if not is_int(h.get("lease_ms")) or h["lease_ms"] < 1:
        raise Malformed(400, "TASK needs lease_ms >= 1", h)
    for field, cap in (("job", 64), ("format", 16), ("from", 64), ("to", 64), ("source", 4096),
                       ("profile", 64)):
        if field in h and not is_str(h[field], cap):
            raise Malformed(400, "TASK field %s is malformed" % field, h)
    if "lenient" in h and not isinstance(h["lenient"], bool):
        raise Malformed(400, "TASK field lenient is not a boolean", h)
    if body is None:
        raise Malformed(400, "TASK needs a body", h)
    if h["kind"] == "translate":
        for field in ("from", "to", "profile"):
            if field not in h:
                raise Malformed(400, "translate TASK needs %s" % field, h)
    elif h["kind"] == "align":
        for field in ("from", "to"):
            if field not in h:
                raise Malformed(400, "align TASK needs %s" % field, h)
    elif h["kind"] != "prepare":
        raise Malformed(400, "unknown task kind %r" % h["kind"], h)


# ---- the inline form (section 11.1), for plain text

TAG_LIKE = re.compile(r'<(?=/?[bi]>|a href="|/a>)')
ENTITY_LIKE = re.compile(r'&(?=lt;|gt;|amp;|quot;)')
INLINE_TOKEN = re.compile(r'(<b>|</b>|<i>|</i>|<a href="[^"]*">|</a>|&lt;|&gt;|&amp;|&quot;)')


def inline_escape(text):
    """Plain text into the inline form: only what would read as markup is
    escaped (an & first, so that the &lt; written next stays one)."""
    return TAG_LIKE.sub("&lt;", ENTITY_LIKE.sub("&amp;", text))


def upper_inline(src):
    """The pseudo translation: text upper-cased, tags and entities kept."""
    return "".join(part if INLINE_TOKEN.fullmatch(part) else part.upper()
                   for part in INLINE_TOKEN.split(src))


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def prepare(body, header):
    """A prepared article (section 11) from raw bytes, or (status, reason)."""
    try:
        text, replaced = body.decode("utf-8"), 0
    except UnicodeDecodeError:
        if not header.get("lenient"):
            return 415, "the article is not UTF-8"
        text = body.decode("utf-8", "replace")
        replaced = sum(1 for ch in text if ch == "\ufffd")
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    title = None
    first = next((i for i, line in enumerate(lines) if line), None)
    if (first is not None and len(lines[first]) <= 120 and lines[first][-1] not in ".!?:"
            and (first + 1 == len(lines) or not lines[first + 1])
            and any(lines[first + 1:])):
        title = lines[first]
        lines = lines[first + 1:]
    paragraphs, block = [], []
    for line in lines + [""]:
        if line:
            block.append(line)
            continue
        if block:
            sentences = [s.strip() for s in SENTENCE_END.split(" ".join(block)) if s.strip()]
            paragraphs.append({"segments": [{"src": inline_escape(s)} for s in sentences]})
            block = []
    if not paragraphs:
        return 422, "no article text found"
    metadata = {}
    if title:
        metadata["title"] = title
    if "source" in header:
        metadata["source"] = header["source"]
    srcs = [s["src"] for p in paragraphs for s in p["segments"]]
    title_src = inline_escape(title) if title else None
    counted = srcs + ([title_src] if title_src else [])
    return {
        "schema": PREPARED_SCHEMA, "format": "text", "charset": "UTF-8", "replaced": replaced,
        "metadata": metadata,
        "title": {"src": title_src} if title_src else None,
        "paragraphs": paragraphs,
        "stats": {"paragraphs": len(paragraphs), "segments": len(srcs),
                  "chars": sum(len(s) for s in counted),
                  "bytes": sum(len(s.encode("utf-8")) for s in counted)},
    }


def translate(body):
    """A translate result body (section 5.3), or (status, reason)."""
    try:
        batch = json.loads(body.decode("utf-8"))
        segments = batch["segments"]
        out = [{"id": s["id"], "tgt": upper_inline(s["src"])} for s in segments]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        return 400, "translate body is not a batch: %s" % e
    return {"segments": out, "requests": 1, "chars_billed": sum(len(s["src"]) for s in segments)}


def align(body):
    """An align result body (section 5.3) for an align TASK's body (5.4),
    or (status, reason): sentences linked in order, one to one; a title
    link when a side has a title."""
    try:
        doc = json.loads(body.decode("utf-8"))
        sides = [doc["src"], doc["tgt"]]
        sents = [[s["src"] for p in side["paragraphs"] for s in p["segments"]] for side in sides]
        paras = [[i for i, p in enumerate(sides[0]["paragraphs"]) for _ in p["segments"]]]
        titles = [(side.get("title") or {}).get("src") for side in sides]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        return 400, "align body is not two prepared articles: %s" % e
    src, tgt = sents
    n = max(len(src), len(tgt))
    links = [{"src": src[i] if i < len(src) else None, "tgt": tgt[i] if i < len(tgt) else None,
              "score": 0.5 if i < min(len(src), len(tgt)) else 0.0} for i in range(n)]
    out, para = [], None
    for i, link in enumerate(links):
        at = paras[0][i] if i < len(src) else para
        if at != para or not out:
            out.append({"segments": []})
            para = at
        out[-1]["segments"].append(link)
    kinds = {}
    for link in links:
        kind = "%d-%d" % (link["src"] is not None, link["tgt"] is not None)
        kinds[kind] = kinds.get(kind, 0) + 1
    title = None
    if titles[0] or titles[1]:
        title = {"src": titles[0], "tgt": titles[1], "score": 0.5 if all(titles) else 0.0}
    return {"title": title, "paragraphs": out, "score": 0.5 if src and tgt else 0.0,
            "stats": {"src_sentences": len(src), "tgt_sentences": len(tgt), "links": n,
                      "src_unlinked": max(0, len(src) - len(tgt)),
                      "tgt_unlinked": max(0, len(tgt) - len(src)), "kinds": kinds, "time_ms": 0}}


class SpecWorker:
    """One worker on the broker's back endpoint. The driver may call its
    steps one by one (ready, recv, result, heartbeat) or run() it."""

    def __init__(self, back, credit=4, backends=("pseudo",), name="spec", heartbeat_ms=1000,
                 hold_ms=0, fail_prepare=None, log=None):
        self.back = back
        self.credit = credit
        self.backends = list(backends)
        self.name = name
        self.interval = heartbeat_ms / 1000.0     # until the broker says otherwise
        self.hold = hold_ms / 1000.0
        self.fail_prepare = fail_prepare
        self.log = log
        self.ctx = zmq.Context()
        self.sock = None
        self.held = {}              # task id -> (header, body, due time): outstanding TASKs
        self.kept = []              # RESULT frames not delivered yet (at most 64)
        self.heartbeats = []        # broker HEARTBEAT headers, in order
        self.disconnects = 0
        self.credit_exceeded = 0    # TASKs that arrived past the credit
        self.sent_results = []      # (time, frames) of recent RESULTs
        self.last_sent = self.last_heard = time.monotonic()
        self.last_beat = 0.0        # last HEARTBEAT (held tasks need one per interval)

    def close(self):
        if self.sock is not None:
            self.sock.close(0)
        self.ctx.term()

    # -- the wire

    def connect(self):
        """(Re)connect and register; RESULTs kept from an earlier
        registration are sent right after READY (section 9): those sent
        since the broker was last heard from may never have arrived."""
        lost = [frames for t, frames in self.sent_results if t >= self.last_heard]
        self.kept = (self.kept + lost)[-KEPT_RESULTS_MAX:]
        self.sent_results = []
        if self.sock is not None:
            self.sock.close(0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(self.back)
        self.ready()

    def ready(self):
        self.send("READY", {"credit": self.credit, "backends": self.backends, "name": self.name,
                            "pid": os.getpid()})
        self.last_heard = time.monotonic()
        kept, self.kept = self.kept, []
        for frames in kept:
            self.sock.send_multipart(frames)

    def send(self, command, header=None, body=None):
        frames = [SIGNATURE, command.encode("ascii"),
                  json.dumps(header or {}, ensure_ascii=False).encode("utf-8")]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)
        self.last_sent = time.monotonic()
        return frames

    def recv(self, timeout):
        """The next well-formed message within timeout seconds as (command,
        header, body), or None. Handles what the protocol asks of any
        worker: adopt heartbeat_ms, answer a malformed TASK, count TASKs past
        the credit, register again after DISCONNECT."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(max(1, int(left * 1000))):
                return None
            frames = self.sock.recv_multipart()
            self.last_heard = time.monotonic()
            try:
                command, header, body = decode(frames)
            except Malformed as e:
                task = e.header.get("task") if frames[1:2] == [b"TASK"] else None
                if is_str(task, 64) and 400 <= e.status < 500:
                    self.send("RESULT", {"task": task, "status": e.status, "reason": e.reason})
                sys.stderr.write("spec_worker %s: malformed message: %d %s\n"
                                 % (self.name, e.status, e.reason))
                continue
            if command == "HEARTBEAT":
                self.heartbeats.append(header)
                if "heartbeat_ms" in header:
                    self.interval = header["heartbeat_ms"] / 1000.0
            elif command == "DISCONNECT":
                # The broker does not know us (any more): the held tasks
                # stay ours to finish; register again.
                self.disconnects += 1
                self.ready()
            elif command == "TASK":
                if len(self.held) >= self.credit:
                    self.credit_exceeded += 1
                    sys.stderr.write("spec_worker %s: TASK %s past the credit %d (holding %s)\n"
                                     % (self.name, header["task"], self.credit, sorted(self.held)))
                self.held[header["task"]] = (header, body, time.monotonic() + self.hold)
                if self.log:
                    with open(self.log, "a", encoding="utf-8") as f:
                        f.write(json.dumps({"task": header["task"], "kind": header["kind"],
                                            "job": header.get("job")}) + "\n")
            return command, header, body

    def result(self, task, status, body=None, reason=None):
        """Send the RESULT of task and stop holding it."""
        self.held.pop(task, None)
        h = {"task": task, "status": status}
        if reason:
            h["reason"] = reason
        frames = self.send("RESULT", h, body)
        self.sent_results = [(t, f) for t, f in self.sent_results
                             if t >= self.last_heard][-KEPT_RESULTS_MAX + 1:]
        self.sent_results.append((self.last_sent, frames))
        return frames

    def heartbeat(self, tasks=None):
        """HEARTBEAT listing tasks (default: every task held)."""
        tasks = sorted(self.held) if tasks is None else tasks
        self.send("HEARTBEAT", {"tasks": tasks[:1000]} if tasks else {})
        self.last_beat = self.last_sent

    # -- the work

    def answer(self, task):
        header, body, _ = self.held[task]
        if header["kind"] == "prepare":
            out = (self.fail_prepare, "refused by --fail-prepare") if self.fail_prepare \
                else prepare(body, header)
        elif header["kind"] == "align":
            out = align(body)
        else:
            out = translate(body)
        if isinstance(out, tuple):
            self.result(task, out[0], reason=out[1])
        else:
            self.result(task, 200, json.dumps(out, ensure_ascii=False).encode("utf-8"))

    def step(self):
        """One turn of the loop: answer due tasks, keep the heartbeat, read
        one message (or wait for the next due moment)."""
        now = time.monotonic()
        for task in [t for t, (_, _, due) in self.held.items() if due <= now]:
            self.answer(task)
        if now - self.last_heard > 3 * self.interval:
            sys.stderr.write("spec_worker %s: broker silent for 3 intervals: registering again\n"
                             % self.name)
            self.connect()
        elif now - self.last_sent >= self.interval or (
                self.held and now - self.last_beat >= self.interval):
            # Nothing sent for an interval; or tasks held: one HEARTBEAT
            # per interval whatever else was sent, to renew their leases.
            self.heartbeat()
        waits = [self.interval - (now - self.last_sent)]
        if self.held:
            waits.append(self.interval - (now - self.last_beat))
        waits += [due - now for _, _, due in self.held.values()]
        self.recv(max(0.005, min(waits)))

    def run(self):
        self.connect()
        while True:
            self.step()


def main(argv):
    ap = argparse.ArgumentParser(description="An HNY/1 worker written from PROTOCOL.md alone.")
    ap.add_argument("--back", required=True, help="the broker's back endpoint")
    ap.add_argument("--credit", type=int, default=4)
    ap.add_argument("--backends", default="pseudo", help="profiles served, comma-separated")
    ap.add_argument("--name", default="spec")
    ap.add_argument("--heartbeat-ms", type=int, default=1000,
                    help="own heartbeat interval until the broker's HEARTBEAT gives its own")
    ap.add_argument("--hold-ms", type=int, default=0, help="answer each task this late")
    ap.add_argument("--fail-prepare", type=int, help="answer prepare tasks with this status")
    ap.add_argument("--log", help="append each TASK received as a JSON line")
    args = ap.parse_args(argv)
    worker = SpecWorker(args.back, args.credit, args.backends.split(","), args.name,
                        heartbeat_ms=args.heartbeat_ms, hold_ms=args.hold_ms,
                        fail_prepare=args.fail_prepare, log=args.log)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    finally:
        worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

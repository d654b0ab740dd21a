"""A fake honyaku-worker for the broker's integration tests: speaks the worker
side of HNY/1 (proto/PROTOCOL.md, sections 5.3-5.5 and 9) with pyzmq.

usage: fake_worker.py --back EP [--name N] [--credit C] [--backends a,b]
                      [--heartbeat-ms MS] [--log FILE]
                      [--on-prepare split|hold|fail422|err503]
                      [--on-translate upper|warn|qa|hold|die|transient:N|paused:N|err500|slow:MS]
                      [--renew]

prepare "split": the body is UTF-8 text; an optional first line "Title: X"
becomes the title; blank lines separate paragraphs; ". " separates
sentences. translate "upper": the target is the source in upper case;
"transient:N" / "paused:N" answer that error class for the first N tries of
each source, then translate; "hold" never answers; "die" exits at once when
the task arrives; "err500" answers RESULT 500; "qa" translates (upper) and
adds "qa" flags (PROTOCOL.md 12.2.1): a valid flag to a source holding
"flag", a malformed qa (a flag with a member too many) to one holding
"broken", none to the others; "slow:MS" translates (upper)
MS milliseconds after the task came, heartbeating meanwhile. --renew: while
it holds tasks, every HEARTBEAT lists them in "tasks" and goes every
interval (PROTOCOL.md section 9: lease renewal); without it the fake
worker never renews, as an old worker would not.

Every TASK received is appended to --log as one JSON line
{"task", "kind", "job", "srcs", "contexts", "t" (monotonic seconds)} before
it is handled, so that tests can see
what reached the worker."""
import argparse
import json
import os
import sys
import time

import zmq

SIG = b"HNY/1"


def split_article(text):
    title = None
    lines = text.split("\n")
    if lines and lines[0].startswith("Title: "):
        title = lines[0][len("Title: "):].strip()
        text = "\n".join(lines[1:])
    paragraphs = []
    for block in text.split("\n\n"):
        block = " ".join(block.split())
        if not block:
            continue
        parts = block.split(". ")
        sents = [p + "." if i < len(parts) - 1 else p for i, p in enumerate(parts)]
        paragraphs.append({"segments": [{"src": s} for s in sents if s]})
    return {
        "schema": "honyaku.prepared/1", "format": "text", "charset": "UTF-8", "replaced": 0,
        "metadata": {"title": title} if title else {},
        "title": {"src": title} if title else None,
        "paragraphs": paragraphs,
        "stats": {"paragraphs": len(paragraphs)},
    }


class Worker:
    def __init__(self, args):
        self.args = args
        self.ctx = zmq.Context()
        self.sock = None
        self.tries = {}             # source -> answers given so far
        self.last_sent = 0.0
        self.last_heard = time.monotonic()
        self.hb = args.heartbeat_ms / 1000.0
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.slow = []              # (due, header, body) of slow translations
        self.last_renew = 0.0

    def connect(self):
        if self.sock is not None:
            self.sock.close(0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(self.args.back)
        self.last_heard = time.monotonic()
        self.ready()

    def send(self, cmd, header=None, body=None):
        frames = [SIG, cmd.encode(), json.dumps(header or {}).encode()]
        if body is not None:
            frames.append(body)
        self.sock.send_multipart(frames)
        self.last_sent = time.monotonic()

    def ready(self):
        self.send("READY", {"credit": self.args.credit, "backends": self.args.backends.split(","),
                            "name": self.args.name, "pid": os.getpid()})

    def result(self, task, status, body=None, reason=None):
        h = {"task": task, "status": status}
        if reason:
            h["reason"] = reason
        self.send("RESULT", h, body)

    def held(self):
        return [h["task"] for _, h, _ in self.slow]

    def on_task(self, h, body, due=False):
        kind = h.get("kind")
        batch = json.loads(body) if kind == "translate" else {"segments": []}
        srcs = [s["src"] for s in batch["segments"]]
        contexts = [s.get("context", batch.get("context")) for s in batch["segments"]]
        probe = batch.get("probe") is True
        if self.log and not due:
            self.log.write(json.dumps({"task": h.get("task"), "kind": kind, "job": h.get("job"),
                                       "srcs": srcs, "contexts": contexts, "probe": probe,
                                       "t": time.monotonic()}) + "\n")
            self.log.flush()
        mode = self.args.on_prepare if kind == "prepare" else self.args.on_translate
        if mode.startswith("slow:"):
            if not due:
                self.slow.append((time.monotonic() + int(mode[5:]) / 1000.0, h, body))
                return
            mode = "upper"
        if mode == "hold":
            return
        if mode == "die":
            os._exit(3)
        if kind == "prepare":
            if mode == "fail422":
                self.result(h["task"], 422, reason="no article found")
            elif mode == "err503":
                self.result(h["task"], 503, reason="prepare unavailable")
            else:
                art = split_article(body.decode("utf-8"))
                self.result(h["task"], 200, json.dumps(art).encode())
            return
        if mode == "err500":
            self.result(h["task"], 500, reason="backend exploded")
            return
        cls, limit = None, 0
        if ":" in mode:
            cls, n = mode.split(":")
            limit = int(n)
        out = []
        for seg in batch["segments"]:
            n = self.tries.get(seg["src"], 0)
            self.tries[seg["src"]] = n + 1
            if cls and n < limit:
                out.append({"id": seg["id"], "error": {"class": cls, "code": 503 if cls == "transient" else 456,
                                                       "reason": "%s failure %d" % (cls, n + 1)}})
            elif mode == "warn":
                out.append({"id": seg["id"], "tgt": seg["src"].upper(),
                            "warning": "markup could not be restored: stored without it"})
            elif mode == "qa":
                item = {"id": seg["id"], "tgt": seg["src"].upper()}
                if "flag" in seg["src"]:
                    item["qa"] = [{"check": "number", "what": "1,500",
                                   "detail": "not in the target (as 1500 or 1,500)"}]
                elif "broken" in seg["src"]:
                    item["qa"] = [{"check": "number", "what": "7", "detail": "x", "extra": 1}]
                out.append(item)
            else:
                out.append({"id": seg["id"], "tgt": seg["src"].upper()})
        # One request per run of segments with the same context, as the
        # real worker sends them (the broker's groups, PROTOCOL.md 5.4).
        runs = sum(1 for i, c in enumerate(contexts) if i == 0 or c != contexts[i - 1])
        self.result(h["task"], 200, json.dumps({"segments": out, "requests": max(1, runs),
                                                "chars_billed": sum(len(s) for s in
                                                                    (o.get("tgt", "") for o in out))}).encode())

    def run(self):
        self.connect()
        while True:
            now = time.monotonic()
            if now - self.last_heard > 3 * self.hb:
                self.connect()              # broker gone: register again
            elif now - self.last_sent >= self.hb or (self.args.renew and self.slow and
                                                     now - self.last_renew >= self.hb):
                self.last_renew = now
                self.send("HEARTBEAT", {"tasks": self.held()} if self.args.renew and self.slow else {})
            while self.slow and self.slow[0][0] <= time.monotonic():
                _, h, body = self.slow.pop(0)
                self.on_task(h, body, due=True)
            wait = self.hb / 2
            if self.slow:
                wait = min(wait, max(0.0, self.slow[0][0] - time.monotonic()))
            if not self.sock.poll(int(wait * 1000) + 1):
                continue
            frames = self.sock.recv_multipart()
            self.last_heard = time.monotonic()
            if len(frames) < 3 or frames[0] != SIG:
                continue
            cmd, h = frames[1].decode(), json.loads(frames[2])
            body = frames[3] if len(frames) > 3 else None
            if cmd == "HEARTBEAT" and isinstance(h.get("heartbeat_ms"), int) and h["heartbeat_ms"] > 0:
                self.hb = h["heartbeat_ms"] / 1000.0    # the broker's interval wins (section 9)
            if cmd == "TASK":
                self.on_task(h, body)
            elif cmd == "DISCONNECT":
                self.ready()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--back", required=True)
    ap.add_argument("--name", default="fake")
    ap.add_argument("--credit", type=int, default=4)
    ap.add_argument("--backends", default="pseudo")
    ap.add_argument("--heartbeat-ms", type=int, default=100)
    ap.add_argument("--log")
    ap.add_argument("--on-prepare", default="split")
    ap.add_argument("--on-translate", default="upper")
    ap.add_argument("--renew", action="store_true")
    try:
        Worker(ap.parse_args()).run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

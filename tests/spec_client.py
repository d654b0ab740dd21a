#!/usr/bin/python3
"""spec_client.py: an HNY/1 client written from proto/PROTOCOL.md alone
(pyzmq, no honyaku code), to prove that the spec is enough.

    spec_client.py ENDPOINT FILE --from en --to es --backend NAME

Probes the broker with a message of a wrong signature (expects REJECTED 505)
and one of an unknown command (expects REJECTED 501) and checks it still
answers STATUS; then SUBMITs FILE, WAITs until DONE 200, FETCHes the RECORD,
checks it is a honyaku.record/1 JSON object for that job and prints it.
Exit status 0 on success; 1 with a message on stderr otherwise; 2 for bad
arguments.
"""

import argparse
import json
import os
import sys
import time

import zmq

SIGNATURE = b"HNY/1"                       # PROTOCOL.md section 3
HEADER_MAX = 65536
RECORD_SCHEMA = "honyaku.record/1"         # section 12


class ProtocolError(Exception):
    pass


class Client:
    """One DEALER on the broker's front endpoint; one request at a time,
    each reply matched by the "req" field (section 4)."""

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
        body = frames[3] if len(frames) == 4 else None
        return command, header, body

    def request(self, command, header, body=None, timeout_s=None):
        """Send one request with a fresh "req" and return its reply."""
        req = self.next_req
        self.next_req += 1
        header = dict(header, req=req)
        frames = [SIGNATURE, command.encode("ascii"),
                  json.dumps(header, ensure_ascii=False).encode("utf-8")]
        if body is not None:
            frames.append(body)
        self.send_frames(frames)
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
                               got, json.dumps(header)))
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
    header = expect(client.request("STATUS", {}), "STATUS", 200)


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

        deadline = time.monotonic() + args.wait
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                raise ProtocolError("job %s not final after %.0f s" % (job, args.wait))
            wait_ms = min(left_ms, 10000)
            done = expect(client.request("WAIT", {"job": job, "timeout_ms": wait_ms},
                                         timeout_s=wait_ms / 1000 + args.timeout), "DONE")
            status = check_int(done, "status", "DONE")
            if done.get("job") != job:
                raise ProtocolError("DONE for job %r, waited for %r" % (done.get("job"), job))
            state = check_str(done, "state", "DONE")
            if status == 200:
                break
            if status != 300:
                raise ProtocolError("DONE with status %d" % status)

        reply = client.request("FETCH", {"job": job})
        header = expect(reply, "RECORD", 200)
        if header.get("job") != job or reply[2] is None:
            raise ProtocolError("RECORD for the wrong job or without a body")
        try:
            record = json.loads(reply[2].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("record is not JSON: %s" % e)
        if not isinstance(record, dict) or record.get("schema") != RECORD_SCHEMA:
            raise ProtocolError("record schema is not %s" % RECORD_SCHEMA)
        if record.get("job") != job:
            raise ProtocolError("record names job %r, not %r" % (record.get("job"), job))
        if not isinstance(record.get("paragraphs"), list):
            raise ProtocolError("record has no paragraphs array")
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


def main(argv):
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

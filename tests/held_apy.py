"""An Apertium APy stand-in on loopback whose answers the test releases:
POST /translate (form: q, langpair) answers
{"responseData": {"translatedText": "<<" + q + ">>"}, "responseStatus": 200},
at once for most texts, but for a text starting with "hold" only after
release(text) (or release_all()). It counts the requests per text, so that
a test can check that the worker asked for a text once only, and lets the
test wait until a request has arrived (wait_seen) instead of sleeping."""
import json
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY_MAX = 1 << 20
HOLD_MAX = 120.0            # seconds a held request waits at most


class HeldApy:
    def __init__(self):
        self.cond = threading.Condition()
        self.seen = Counter()       # text -> requests received
        self.released = set()
        self.all_released = False
        apy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                size = int(self.headers.get("Content-Length") or 0)
                if size > BODY_MAX:
                    self.send_error(413)
                    return
                form = urllib.parse.parse_qs(self.rfile.read(size).decode("utf-8", "replace"))
                text = (form.get("q") or [""])[0]
                with apy.cond:
                    apy.seen[text] += 1
                    apy.cond.notify_all()
                    if text.startswith("hold"):
                        apy.cond.wait_for(lambda: apy.all_released or text in apy.released,
                                          HOLD_MAX)
                body = json.dumps({"responseData": {"translatedText": "<<%s>>" % text},
                                   "responseStatus": 200}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256    # listen backlog: many requests at once
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass                    # a worker that hangs up is no error here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_seen(self, texts, timeout=10.0):
        """Wait until every text (a string or a list) has been asked for."""
        if isinstance(texts, str):
            texts = [texts]
        with self.cond:
            if not self.cond.wait_for(lambda: all(self.seen[t] for t in texts), timeout):
                missing = [t for t in texts if not self.seen[t]]
                raise AssertionError("the worker never asked for %s" % missing[:5])

    def release(self, text):
        with self.cond:
            self.released.add(text)
            self.cond.notify_all()

    def release_all(self):
        with self.cond:
            self.all_released = True
            self.cond.notify_all()

    def close(self):
        self.release_all()
        self.server.shutdown()
        self.server.server_close()


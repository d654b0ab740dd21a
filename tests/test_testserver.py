"""Test of hny-testserver, the project's stand-in for DeepL, Google,
LibreTranslate and OpenAI-compatible servers: every API's happy path, each
contract rule (an over-limit or malformed request is refused the way the
real API would and recorded as a violation), every fault kind at rate 1.0,
the deterministic fault dice, the DeepL quota and glossaries, /_stats, and a
prompt exit on SIGTERM.

usage: test_testserver.py PATH/TO/hny-testserver"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture  # noqa: E402

KEY = "sekrit-key"
QUOTA = 200
MASK = (1 << 64) - 1


# --- the documented translation function (README.md) ---------------------
def xlate(text, target, glossary=None):
    out = ["【" + target.lower() + "】"]
    i = 0
    while i < len(text):
        if glossary:
            best = max((s for s in glossary if text.startswith(s, i)), key=len, default=None)
            if best:
                out.append(glossary[best])
                i += len(best)
                continue
        c = text[i]
        if "A" <= c <= "Z" or "a" <= c <= "z":
            c = chr(ord(c) + 0xFEE0)
        out.append(c)
        i += 1
    return "".join(out)


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def predicted_fault(seed, n, rate, kinds):
    h = splitmix64((seed + n) & MASK)
    if (h >> 11) / float(1 << 53) < rate:
        return kinds[splitmix64(h) % len(kinds)]
    return None


# --- the server -----------------------------------------------------------
class Server:
    def __init__(self, fx, binary, *args):
        # The handshake: PORT=<n> on stdout, with a deadline; its log goes
        # to our stderr.
        self.proc, self.port = fx.start_testserver(binary, "--key", KEY, *args, stderr=None,
                                                   timeout=10)
        out = fx.log("testserver.log")
        assert out.startswith("PORT="), out     # the first line on stdout

    def request(self, method, path, body=None, headers=None, timeout=10, raw=False):
        """Returns (status, headers, body); body is parsed JSON unless raw."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body, ensure_ascii=False).encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if raw:
                return resp.status, hdrs, data
            return resp.status, hdrs, json.loads(data) if data else None
        finally:
            conn.close()

    def stats(self):
        return self.request("GET", "/_stats")[2]

    def faults(self, **plan):
        status, _, body = self.request("POST", "/_faults", plan)
        assert status == 200, body

    def reset(self):
        assert self.request("POST", "/_reset", b"")[0] == 200

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop within 5 s of SIGTERM")
        return self.proc.returncode


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def deepl_headers(key=KEY):
    return {"Authorization": "DeepL-Auth-Key " + key, "Content-Type": "application/json"}


JSON = {"Content-Type": "application/json"}
BEARER = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}


def deepl(srv, body, headers=None, **kw):
    return srv.request("POST", "/v2/translate", body, headers or deepl_headers(), **kw)


def chat(srv, user, system="Translate the user's text into Japanese. Answer with the translation only.",
         **extra):
    body = {"model": "test-model", "messages": [{"role": "system", "content": system},
                                                {"role": "user", "content": user}],
            "temperature": 0, "max_tokens": 200, "stream": False}
    body.update(extra)
    return srv.request("POST", "/v1/chat/completions", body, BEARER)


def expect_violation(srv, what, fn, status):
    """fn() must be answered `status` and add a violation to /_stats."""
    before = len(srv.stats()["violations"])
    got = fn()
    check(got[0] == status, "%s: expected %d, got %d %r" % (what, status, got[0], got[2]))
    after = srv.stats()["violations"]
    check(len(after) > before, "%s: no violation recorded" % what)
    return got


def expect_clean(srv):
    v = srv.stats()["violations"]
    check(v == [], "unexpected violations: %r" % v)


# --- the tests ------------------------------------------------------------
def test_deepl(srv):
    srv.reset()
    texts = ["Hello, world!", "東京は晴れ。", "The JCP's 100th year"]
    st, _, body = deepl(srv, {"text": texts, "target_lang": "JA", "context": "news article",
                              "show_billed_characters": True, "split_sentences": "0"})
    check(st == 200, body)
    got = body["translations"]
    check([t["text"] for t in got] == [xlate(t, "JA") for t in texts], got)
    check([t["detected_source_language"] for t in got] == ["EN", "JA", "EN"], got)
    check([t["billed_characters"] for t in got] == [len(t) for t in texts], got)
    # Without show_billed_characters real DeepL leaves the field out.
    st, _, body = deepl(srv, {"text": ["Hi"], "source_lang": "EN", "target_lang": "EN-GB"})
    check(st == 200 and body["translations"] == [{"detected_source_language": "EN", "text": xlate("Hi", "en-gb")}], body)
    billed = sum(len(t) for t in texts) + 2
    st, _, usage = srv.request("GET", "/v2/usage", None, deepl_headers())
    check(st == 200 and usage == {"character_count": billed, "character_limit": QUOTA}, usage)
    # Markup is kept with tag_handling.
    st, _, body = deepl(srv, {"text": ["<p>Hi &amp; bye</p>"], "target_lang": "JA", "tag_handling": "html"})
    check(body["translations"][0]["text"] == "【ja】<p>Ｈｉ &amp; ｂｙｅ</p>", body)
    s = srv.stats()
    billed += len("<p>Hi &amp; bye</p>")
    check(s["per_api"]["deepl"] == {"requests": 4, "texts": 5, "billed_characters": billed, "errors": 0}, s)
    check(s["texts"] == 5 and s["billed_characters"] == billed and s["requests"] == 4, s)
    expect_clean(srv)


def declared_too_big(srv):
    """Announce a 2 MB body and send none: the answer must come at once."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(b"POST /v2/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: DeepL-Auth-Key " + KEY.encode() + b"\r\n"
                     b"Content-Length: 2000000\r\n\r\n")
        head = sock.recv(4096)
    return int(head.split(b" ")[1]), None, head


def test_deepl_rules(srv):
    srv.reset()
    ok = {"text": ["Hello"], "target_lang": "JA"}
    expect_violation(srv, "no key", lambda: deepl(srv, ok, JSON), 403)
    expect_violation(srv, "wrong key", lambda: deepl(srv, ok, deepl_headers("nope")), 403)
    expect_violation(srv, "key in URL", lambda: srv.request(
        "POST", "/v2/translate?auth_key=" + KEY, ok, deepl_headers()), 403)
    expect_violation(srv, "form body", lambda: deepl(
        srv, "text=Hello&target_lang=JA",
        {"Authorization": "DeepL-Auth-Key " + KEY, "Content-Type": "application/x-www-form-urlencoded"}), 400)
    expect_violation(srv, "51 texts", lambda: deepl(srv, {"text": ["a"] * 51, "target_lang": "JA"}), 413)
    st, _, _ = deepl(srv, {"text": ["a"] * 50, "target_lang": "JA"})
    check(st == 200, "50 texts must pass")
    # 128 KiB: 40 texts of 1,200 Japanese characters are 144,000 bytes.
    big = {"text": ["日本語" * 400] * 40, "target_lang": "EN-US"}
    expect_violation(srv, "body over 128 KiB", lambda: deepl(srv, big), 413)
    expect_violation(srv, "no target_lang", lambda: deepl(srv, {"text": ["Hello"]}), 400)
    expect_violation(srv, "bad target_lang", lambda: deepl(srv, {"text": ["x"], "target_lang": "XX"}), 400)
    expect_violation(srv, "text not a list", lambda: deepl(srv, {"text": "Hello", "target_lang": "JA"}), 400)
    expect_violation(srv, "not JSON", lambda: deepl(srv, b"{\"text\": [", None), 400)
    expect_violation(srv, "GET translate", lambda: srv.request(
        "GET", "/v2/translate", None, deepl_headers()), 405)
    # Deprecated target EN is answered but recorded.
    expect_violation(srv, "target EN", lambda: deepl(srv, {"text": ["x"], "target_lang": "EN"}), 200)
    expect_violation(srv, "unknown path", lambda: srv.request("GET", "/v3/whatever"), 404)
    # Over the server-wide 1 MiB cap: refused on Content-Length alone...
    expect_violation(srv, "declared over 1 MiB", lambda: declared_too_big(srv), 413)
    # ... and when a chunked body grows past it.
    expect_violation(srv, "chunked over 1 MiB", lambda: srv.request(
        "POST", "/v2/translate", (b"x" * 65536 for _ in range(17)),
        deepl_headers()), 413)   # http.client chunks an iterable body
    s = srv.stats()
    check(s["per_api"]["deepl"]["errors"] >= 11, s)


def test_glossary_and_quota(srv):
    srv.reset()
    entries = "Akahata\t赤旗\nJapanese Communist Party\t日本共産党\n\nParty\tパーティー\n"
    st, _, g = srv.request("POST", "/v2/glossaries",
                           {"name": "jpw", "source_lang": "en", "target_lang": "ja",
                            "entries": entries, "entries_format": "tsv"}, deepl_headers())
    check(st == 201 and g["entry_count"] == 3 and g["ready"] is True, g)
    gl = {"Akahata": "赤旗", "Japanese Communist Party": "日本共産党", "Party": "パーティー"}
    text = "Akahata reports: the Japanese Communist Party won."
    st, _, body = deepl(srv, {"text": [text], "source_lang": "EN", "target_lang": "JA",
                              "glossary_id": g["glossary_id"]})
    check(st == 200 and body["translations"][0]["text"] == xlate(text, "JA", gl), body)
    check(body["translations"][0]["text"].startswith("【ja】赤旗 ｒｅｐｏｒｔｓ"), body)
    expect_violation(srv, "glossary without source_lang", lambda: deepl(
        srv, {"text": [text], "target_lang": "JA", "glossary_id": g["glossary_id"]}), 400)
    expect_violation(srv, "unknown glossary", lambda: deepl(
        srv, {"text": [text], "source_lang": "EN", "target_lang": "JA", "glossary_id": "nope"}), 404)
    expect_violation(srv, "bad TSV", lambda: srv.request(
        "POST", "/v2/glossaries", {"name": "x", "source_lang": "en", "target_lang": "ja",
                                   "entries": "no tab here", "entries_format": "tsv"}, deepl_headers()), 400)
    # Quota: 200 characters. Used so far: len(text).
    used = len(text)
    st, _, body = deepl(srv, {"text": ["x" * (QUOTA - used)], "target_lang": "JA"})
    check(st == 200, body)
    st, _, body = deepl(srv, {"text": ["y"], "target_lang": "JA"})
    check(st == 456 and "message" in body, (st, body))
    st, _, usage = srv.request("GET", "/v2/usage", None, deepl_headers())
    check(usage["character_count"] == QUOTA, usage)
    srv.reset()
    st, _, body = deepl(srv, {"text": ["y"], "target_lang": "JA"})
    check(st == 200, "the quota must be clear after /_reset")


def test_google(srv):
    srv.reset()
    q = ["Hello there", "It's fine"]
    st, _, body = srv.request("POST", "/language/translate/v2?key=" + KEY,
                              {"q": q, "source": "en", "target": "ja", "format": "text"}, JSON)
    check(st == 200 and body == {"data": {"translations": [{"translatedText": xlate(t, "ja")} for t in q]}}, body)
    st, _, body = srv.request("POST", "/language/translate/v2",
                              {"q": "東京", "target": "en", "format": "text"}, BEARER)
    check(st == 200 and body["data"]["translations"] == [
        {"translatedText": "【en】東京", "detectedSourceLanguage": "ja"}], body)
    expect_clean(srv)
    # format left out: HTML semantics (&#39;) and a recorded violation.
    st, _, body = expect_violation(srv, "no format", lambda: srv.request(
        "POST", "/language/translate/v2?key=" + KEY, {"q": ["It's"], "target": "ja"}, JSON), 200)
    check(body["data"]["translations"][0]["translatedText"] == "【ja】Ｉｔ&#39;ｓ", body)
    st, _, body = expect_violation(srv, "no key", lambda: srv.request(
        "POST", "/language/translate/v2", {"q": ["a"], "target": "ja", "format": "text"}, JSON), 403)
    check(body["error"]["status"] == "PERMISSION_DENIED" and body["error"]["code"] == 403, body)
    expect_violation(srv, "bad key", lambda: srv.request(
        "POST", "/language/translate/v2?key=bad", {"q": ["a"], "target": "ja", "format": "text"}, JSON), 400)
    st, _, body = expect_violation(srv, "129 strings", lambda: srv.request(
        "POST", "/language/translate/v2?key=" + KEY,
        {"q": ["a"] * 129, "target": "ja", "format": "text"}, JSON), 400)
    check(body["error"]["status"] == "INVALID_ARGUMENT" and body["error"]["errors"][0]["reason"], body)
    st, _, body = expect_violation(srv, "over 100 KB", lambda: srv.request(
        "POST", "/language/translate/v2?key=" + KEY,
        {"q": ["日本語" * 300] * 40, "target": "en", "format": "text"}, JSON), 400)
    check(body["error"]["status"] == "INVALID_ARGUMENT", body)
    expect_violation(srv, "no target", lambda: srv.request(
        "POST", "/language/translate/v2?key=" + KEY, {"q": ["a"], "format": "text"}, JSON), 400)


def test_libre(srv):
    srv.reset()
    st, _, body = srv.request("POST", "/translate", {"q": "Good morning", "source": "en", "target": "es",
                                                     "format": "text", "api_key": KEY}, JSON)
    check(st == 200 and body == {"translatedText": xlate("Good morning", "es")}, body)
    st, _, body = srv.request("POST", "/translate", {"q": ["One", "二"], "source": "auto", "target": "fr",
                                                     "format": "text"}, JSON)
    check(st == 200 and body["translatedText"] == [xlate("One", "fr"), xlate("二", "fr")], body)
    check([d["language"] for d in body["detectedLanguage"]] == ["en", "ja"], body)
    expect_clean(srv)
    st, _, body = expect_violation(srv, "no target", lambda: srv.request(
        "POST", "/translate", {"q": "a", "source": "en"}, JSON), 400)
    check(body == {"error": "Invalid request: missing target parameter"}, body)
    st, _, body = expect_violation(srv, "batch over limit", lambda: srv.request(
        "POST", "/translate", {"q": ["a"] * 11, "source": "en", "target": "es"}, JSON), 400)
    check("exceeds text limit (10)" in body["error"], body)
    expect_violation(srv, "chars over limit", lambda: srv.request(
        "POST", "/translate", {"q": ["a" * 600], "source": "en", "target": "es"}, JSON), 400)
    expect_violation(srv, "wrong key", lambda: srv.request(
        "POST", "/translate", {"q": "a", "source": "en", "target": "es", "api_key": "x"}, JSON), 403)
    expect_violation(srv, "unsupported language", lambda: srv.request(
        "POST", "/translate", {"q": "a", "source": "en", "target": "tlh"}, JSON), 400)


def test_openai(srv):
    srv.reset()
    st, _, models = srv.request("GET", "/v1/models", None, BEARER)
    check(st == 200 and models["data"][0]["id"] == "test-model", models)
    st, _, body = chat(srv, "Akahata said so.")
    check(st == 200, body)
    choice = body["choices"][0]
    check(choice["message"] == {"role": "assistant", "content": xlate("Akahata said so.", "ja")}, body)
    check(choice["finish_reason"] == "stop" and body["usage"]["completion_tokens"] > 0, body)
    group = "1. First one.\n2. Second one.\n3. 第三。"
    st, _, body = chat(srv, group, system="You translate news from English to es.")
    want = "\n".join("%d. %s" % (i + 1, xlate(t, "es"))
                     for i, t in enumerate(["First one.", "Second one.", "第三。"]))
    check(body["choices"][0]["message"]["content"] == want, body)
    # max_tokens cuts the answer (four code points a token): finish_reason length.
    st, _, body = chat(srv, "A rather long sentence that will not fit.", max_tokens=3)
    check(body["choices"][0]["finish_reason"] == "length"
          and len(body["choices"][0]["message"]["content"]) == 12, body)
    s = srv.stats()
    check(s["per_api"]["openai"]["texts"] == 5, s)
    expect_clean(srv)
    body = {"model": "test-model", "messages": [{"role": "user", "content": "x"}]}
    expect_violation(srv, "no key", lambda: srv.request("POST", "/v1/chat/completions", body, JSON), 401)
    expect_violation(srv, "unknown model", lambda: srv.request(
        "POST", "/v1/chat/completions", dict(body, model="gpt-9"), BEARER), 404)
    expect_violation(srv, "stream", lambda: chat(srv, "x", stream=True), 400)
    expect_violation(srv, "unknown argument", lambda: chat(srv, "x", n_predict=5), 400)
    expect_violation(srv, "bad temperature", lambda: chat(srv, "x", temperature="0"), 400)
    expect_violation(srv, "no target language", lambda: chat(srv, "x", system="Be helpful."), 200)


def fault(srv, kind, **plan):
    srv.faults(rate=1.0, kinds=[kind], **plan)


def test_faults(srv):
    srv.reset()
    ok = {"text": ["Hello", "World"], "target_lang": "JA"}
    fault(srv, "429", retry_after=2)
    st, h, body = deepl(srv, ok)
    check(st == 429 and h.get("retry-after") == "2" and "message" in body, (st, h, body))
    st, h, body = srv.request("POST", "/translate", {"q": "a", "source": "en", "target": "es"}, JSON)
    check(st == 429 and body["error"].startswith("Slowdown"), body)
    fault(srv, "456")
    check(deepl(srv, ok)[0] == 456, "456")
    fault(srv, "500")
    check(deepl(srv, ok)[0] == 500, "500")
    fault(srv, "503")
    st, _, body = srv.request("POST", "/language/translate/v2?key=" + KEY,
                              {"q": ["a"], "target": "ja", "format": "text"}, JSON)
    check(st == 503 and body["error"]["status"] == "UNAVAILABLE", body)

    fault(srv, "reset")
    try:
        deepl(srv, ok)
        raise AssertionError("reset: got an answer")
    except ConnectionResetError:
        pass

    fault(srv, "truncated")
    try:
        deepl(srv, ok, raw=True)
        raise AssertionError("truncated: got a whole answer")
    except http.client.IncompleteRead:
        pass

    fault(srv, "malformed")
    st, _, data = deepl(srv, ok, raw=True)
    check(st == 200 and data, "malformed: empty")
    try:
        json.loads(data)
        raise AssertionError("malformed: body parses")
    except ValueError:
        pass

    fault(srv, "html")
    st, h, data = deepl(srv, ok, raw=True)
    check(st == 200 and h["content-type"].startswith("text/html") and b"<html>" in data, h)

    fault(srv, "empty")
    st, _, data = deepl(srv, ok, raw=True)
    check(st == 200 and data == b"", data)
    st, _, body = chat(srv, "Hello")
    check(body["choices"][0]["message"]["content"] == "", body)

    fault(srv, "wrong_count")
    st, _, body = deepl(srv, ok)
    check(st == 200 and len(body["translations"]) == 1, body)
    st, _, body = chat(srv, "1. a\n2. b\n3. c")
    check(body["choices"][0]["message"]["content"].count("\n") == 1, body)

    fault(srv, "digits")
    st, _, body = deepl(srv, {"text": ["It cost 1,509 yen."], "target_lang": "JA"})
    check(st == 200 and body["translations"][0]["text"] == xlate("It cost 2,610 yen.", "ja"), body)

    fault(srv, "chatter")
    st, _, body = chat(srv, "Hello")
    check(body["choices"][0]["message"]["content"] == "Sure! Here is the translation:\n" + xlate("Hello", "ja"), body)
    st, _, body = deepl(srv, ok)   # chatter means nothing to DeepL: a normal answer
    check(st == 200 and len(body["translations"]) == 2, body)

    fault(srv, "length")
    st, _, body = chat(srv, "Hello world, long enough")
    check(body["choices"][0]["finish_reason"] == "length", body)

    # huge: a valid but enormous JSON answer, streamed.
    fault(srv, "huge", huge_bytes=20 * 1000 * 1000)
    st, h, data = deepl(srv, ok, raw=True, timeout=20)
    check(st == 200 and len(data) > 20 * 1000 * 1000 and int(h["content-length"]) == len(data), len(data))
    check(len(json.loads(data)["translations"]) == 2, "huge: not the answer")
    # 500 MB: read 1 MB and hang up; the server must not hold it in memory.
    fault(srv, "huge")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("POST", "/v2/translate", json.dumps(ok), deepl_headers())
    resp = conn.getresponse()
    check(int(resp.getheader("Content-Length")) > 500 * 1000 * 1000, resp.getheaders())
    check(len(resp.read(1024 * 1024)) == 1024 * 1024, "huge: short read")
    with open("/proc/%d/status" % srv.proc.pid) as f:
        rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
    check(rss < 100 * 1024, "server RSS %d kB while streaming 500 MB" % rss)
    conn.close()

    # hang: the client's 1 s timeout fires, and other connections still work.
    fault(srv, "hang")
    t0 = time.monotonic()
    result = {}

    def hanging():
        try:
            deepl(srv, ok, timeout=1)
            result["answer"] = True
        except (socket.timeout, TimeoutError):
            result["timeout"] = time.monotonic() - t0
    th = threading.Thread(target=hanging)
    th.start()
    deadline = time.monotonic() + 5
    while srv.stats()["in_flight"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    check(srv.stats()["in_flight"] == 1, "the hanging request is not in flight")
    th.join(5)
    check("timeout" in result and 0.9 < result["timeout"] < 3, result)

    s = srv.stats()
    for kind in ["429", "456", "500", "503", "reset", "truncated", "malformed", "html", "empty",
                 "wrong_count", "chatter", "length", "huge", "hang", "digits"]:
        check(s["faults"].get(kind, 0) >= 1, "fault %s not counted: %r" % (kind, s["faults"]))
    expect_clean(srv)


def test_dice(srv):
    """The faults drawn follow splitmix64(seed + n), as README.md says."""
    srv.reset()
    kinds = ["500", "503", "429"]
    srv.faults(rate=0.4, seed=7, kinds=kinds)
    want = {None: 200, "500": 500, "503": 503, "429": 429}
    got = [deepl(srv, {"text": ["a"], "target_lang": "JA"})[0] for _ in range(30)]
    expected = [want[predicted_fault(7, n, 0.4, kinds)] for n in range(30)]
    check(got == expected, "dice: %r != %r" % (got, expected))
    check(len(set(got)) > 2, "dice too uniform: %r" % got)


def test_inflight(srv):
    srv.reset()
    srv.faults(latency_ms=1500, max_inflight=3)
    codes = []
    threads = [threading.Thread(target=lambda: codes.append(
        deepl(srv, {"text": ["a"], "target_lang": "JA"})[0])) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    check(codes == [200] * 4, codes)
    # The server counts a request out when its connection completes, which
    # may be a moment after the client has read the answer: poll for it.
    deadline = time.monotonic() + 5
    s = srv.stats()
    while s["in_flight"] != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
        s = srv.stats()
    check(s["in_flight_max"] == 4 and s["in_flight"] == 0, s)
    check(any("max_inflight 3" in v for v in s["violations"]), s["violations"])
    # How full it was kept: four requests of 1.5 s started together overlap
    # for most of the window from the first one in to the last one out.
    f = s["flight"]
    check(1500 <= f["window_ms"] < 6000, f)
    check(4 * 1500 / f["window_ms"] * 0.9 <= f["mean"] <= 4.0, f)
    check(0 <= f["full_ms"] < f["window_ms"] - 1000, f)
    check(0 <= f["ramp95_ms"] <= f["full_ms"], f)
    # The ramp in eighths of the most, the last when the most was reached
    # (not necessarily in order: a request of an earlier test still in
    # flight at the reset counts, and the levels under it come later).
    r = f["reach_eighths_ms"]
    check(len(r) == 8 and min(r) >= 0 and abs(r[-1] - f["full_ms"]) < 1e-6, f)
    srv.reset()
    check(srv.stats()["flight"] == {"window_ms": 0.0, "mean": 0.0, "full_ms": 0.0, "ramp95_ms": 0.0,
                                    "reach_eighths_ms": [0.0] * 8},
          srv.stats()["flight"])


def test_sigterm_while_hanging(srv):
    fault(srv, "hang")
    th = threading.Thread(target=lambda: deepl_quiet(srv))
    th.start()
    deadline = time.monotonic() + 5
    while srv.stats()["in_flight"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    rc = srv.stop()
    check(rc == 0, "exit status %r" % rc)
    check(time.monotonic() - t0 < 2, "slow stop")
    th.join(5)


def deepl_quiet(srv):
    try:
        deepl(srv, {"text": ["a"], "target_lang": "JA"}, timeout=10)
    except Exception:
        pass


def main():
    binary = sys.argv[1]
    with Fixture("hnyts") as fx:
        srv = Server(fx, binary, "--quota", str(QUOTA), "--libre-batch-limit", "10",
                     "--libre-char-limit", "500")
        for test in [test_deepl, test_deepl_rules, test_glossary_and_quota, test_google, test_libre,
                     test_openai, test_faults, test_dice, test_inflight, test_sigterm_while_hanging]:
            t0 = time.monotonic()
            test(srv)
            print("ok %s (%.2f s)" % (test.__name__, time.monotonic() - t0), flush=True)
    print("all passed")


if __name__ == "__main__":
    main()

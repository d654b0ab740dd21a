"""The `deepl` backend through the daemon against DeepL's own API mock
(the server DeepL's client libraries test against) with request
validation against DeepL's OpenAPI spec switched on: real honyakud, one
real honyaku-worker, the mock from ../shared/vendor/deepl-mock (copied
into the build directory, its packages installed there once with
`npm ci --omit=dev`), and a Node preload (tests/deepl_mock_inject.js)
that puts each scenario's requests into a mock session with its fault
headers, since honyaku never sends them itself.

usage: test_deepl_mock.py HONYAKUD HONYAKU MOCK_SRC CACHE_DIR

Scenarios, one after the other on one daemon:
1. keep-alive: profile at concurrency 1, the session's reconnection check
   on: every request on one connection (first, so no pooled connection
   from another profile muddles the count).
2. clean: articles, plain and with inline markup; every segment is the
   mock's translation, requests carry split_sentences=0, the formality and
   model type, context past an article's first request; the markup
   request tag_handling=xml.
3. faults: no response twice, 5xx three times, 429 three times: every job
   done, nothing failed.
4. glossary: created on the mock after two 5xx on its creation, a segment
   that is a whole term comes back as the glossary says; after a restart
   it is found by name (not created again); a new file content replaces it.
5. quota: the account's character limit is reached mid-batch (456): the
   profile pauses, `honyaku status` says why, nothing fails, the probes ask
   GET /v2/usage instead of sending texts; lifted, the jobs finish.
Then: zero requests refused by the spec's validator, zero mock-server-*
headers sent by honyaku, and a line of figures.

Exits 77 (skipped) without node and npm."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, free_port, poll, run  # noqa: E402
from test_daemon_util import Client  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INJECT = os.path.join(HERE, "deepl_mock_inject.js")
KEY = "hny-mock-key"            # the profile's key; the mock makes an account per key


def install_mock(src, cache):
    """Copy the vendored mock into cache (every run: the copy is small) and
    install its packages there with npm ci when package-lock.json changed
    since the last install. Returns the folder to run it from."""
    dst = os.path.join(cache, "deepl-mock")
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            shutil.copyfile(s, d)
    with open(os.path.join(src, "package-lock.json"), "rb") as f:
        lock = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(dst, ".honyaku-installed")
    try:
        with open(stamp) as f:
            if f.read().strip() == lock and os.path.isdir(os.path.join(dst, "node_modules")):
                return dst
    except OSError:
        pass
    shutil.rmtree(os.path.join(dst, "node_modules"), ignore_errors=True)
    t0 = time.monotonic()
    r = subprocess.run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline",
                        "--cache", os.path.join(cache, "npm-cache")],
                       cwd=dst, capture_output=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("npm ci failed:\n" + r.stdout.decode()[-2000:] + r.stderr.decode()[-4000:])
    with open(stamp, "w") as f:
        f.write(lock + "\n")
    print("npm ci: %.1f s" % (time.monotonic() - t0))
    return dst


class Mock:
    """DeepL's mock behind the preload, on a free port."""

    def __init__(self, fx, folder, spec):
        self.fx = fx
        for _ in range(3):
            port = free_port()
            env = dict(os.environ, DEEPL_MOCK_SERVER_PORT=str(port), VALIDATE_REQUESTS="1",
                       DEEPL_MOCK_SPEC_PATH=spec)
            env.pop("DEEPL_MOCK_SPEC_URL", None)
            env.pop("DEEPL_MOCK_PROXY_SERVER_PORT", None)
            self.proc = fx.spawn(["node", "-r", INJECT, "index.js"], "mock.log", env=env, cwd=folder)
            self.url = "http://127.0.0.1:%d" % port

            def up():
                if self.proc.poll() is not None:
                    return "exited"
                try:
                    with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                        return "up" if r.status == 200 else None
                except OSError:
                    return None
            if poll("DeepL's mock on port %d" % port, up, 60) == "up":
                break
        else:
            raise RuntimeError("the mock did not start:\n" + fx.log("mock.log")[-3000:])
        # The banner certifies that the spec loaded and validation is on.
        assert "spec validation ENABLED (requests=on" in fx.log("mock.log"), fx.log("mock.log")

    def call(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json", "User-Agent": "honyaku-test", "X-Honyaku-Test": "1"}
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def scenario(self, *rules):
        self.call("POST", "/__honyaku__/scenario", {"rules": list(rules)})

    def stats(self):
        return self.call("GET", "/__honyaku__/stats")

    def requests(self, session=None, path=None, method=None):
        return [r for r in self.stats()["requests"]
                if (session is None or r["session"] == session)
                and (path is None or r["path"].startswith(path))
                and (method is None or r["method"] == method)]

    def glossaries(self, key):
        return self.call("GET", "/v2/glossaries",
                         headers={"Authorization": "DeepL-Auth-Key " + key})["glossaries"]


def session(name):
    return "%s-%s" % (name, uuid.uuid4().hex[:8])


def pairs(rec):
    out = [rec["title"]] if rec.get("title") else []
    return out + [s for p in rec["paragraphs"] for s in p["segments"]]


def sentence(i, words=("harbour", "miller", "teacher", "ferry", "tower", "garden", "river")):
    return "The %s number %d waited near the %s." % (words[i % 7], i, words[(i * 3 + 1) % 7])


def article(start, paras=3, per=3):
    return "\n\n".join(" ".join(sentence(start + p * per + s) for s in range(per))
                       for p in range(paras)) + "\n"


def submit(c, texts, prefix, backend, fmt="text"):
    jobs = []
    for i, t in enumerate(texts):
        cmd, h, _ = c.submit(t, frm="en", to="ja", format=fmt, key="%s-%d" % (prefix, i),
                             backend=backend)
        assert cmd == "ACCEPTED", (cmd, h)
        jobs.append(h["job"])
    return jobs


def finish(c, jobs, timeout_s=60):
    recs = []
    deadline = time.monotonic() + timeout_s
    for j in jobs:
        left = int(max(1, deadline - time.monotonic()) * 1000)
        state = c.wait_done(j, timeout_ms=left)
        rec = c.fetch(j)
        assert state == "done" and not rec["errors"], (j, state, rec["errors"])
        recs.append(rec)
    return recs


CONFIG = """
[daemon]
heartbeat_ms = 200
lease_ms = 20000
default_backend = deepl

[backend.deeplk]
type = deepl
url = {url}
key_env = HNY_DEEPL_KEY
concurrency = 1
retry_base_ms = 20

[backend.deepl]
type = deepl
url = {url}
key_env = HNY_DEEPL_KEY
concurrency = 2
retries = 12
retry_base_ms = 20
timeout_ms = 1500
formality = prefer_more
model_type = prefer_quality_optimized

[backend.deeplg]
type = deepl
url = {url}
key_env = HNY_DEEPL_KEY
retries = 12
retry_base_ms = 20
glossary = {glossary}

[backend.deeplq]
type = deepl
url = {url}
key_env = HNY_DEEPL_KEY
concurrency = 1
retries = 12
retry_base_ms = 20
"""


def main(honyakud, honyaku, mock_src, cache):
    if not shutil.which("node") or not shutil.which("npm"):
        print("node and npm are not installed (scripts/deps.sh installs them): skipped")
        return 77
    folder = install_mock(mock_src, cache)
    spec = os.path.join(os.path.abspath(mock_src), "openapi.yaml")
    figures = {}
    with Fixture("hnydm") as fx:
        mock = Mock(fx, folder, spec)
        ja = json.load(open(os.path.join(folder, "config", "languages",
                                          "mock-translate-texts.json"), encoding="utf-8"))["ja"]
        glossary = fx.write("glossary.tsv", "# terms\nproton beam\t陽子ビーム\n"
                            "Harbour Office\t港湾事務所\n Harbour Office \t港湾事務所\n")
        conf = CONFIG.format(url=mock.url, glossary=glossary)
        env = dict(os.environ, HNY_DEEPL_KEY=KEY)
        front = fx.start_daemon(honyakud, conf, workers=1, extra=("--log-level", "debug"), env=env)
        c = Client(front)

        def restart():
            c.close()
            fx.daemon.send_signal(signal.SIGTERM)
            fx.daemon.wait(20)
            new = Client(fx.start_daemon(honyakud, conf, workers=1, extra=("--log-level", "debug"),
                                         env=env))
            poll("honyakud with its worker", lambda: new.status()["workers"] == 1, 30)
            return new
        try:
            poll("honyakud with its worker", lambda: c.status()["workers"] == 1, 30)

            # 1. keep-alive: one worker, concurrency 1, one connection.
            ka = session("keepalive")
            mock.scenario({"session": ka, "headers": {"allow-reconnections": 0}})
            recs = finish(c, submit(c, [article(100 * i, paras=3) for i in range(6)], "k", "deeplk"))
            reqs = mock.requests(ka)
            # Short articles may share requests (PROTOCOL.md 5.4), however
            # their loads fall into passes; six of nine sentences are more
            # than a request holds (50), so there are two at least, and the
            # connection is reused.
            texts = sum(len(pairs(r)) for r in recs)
            assert len(reqs) >= 2 and sum(r["texts"] for r in reqs) == texts, reqs
            assert all(r["status"] == 200 for r in reqs), reqs
            sockets = {r["socket"] for r in reqs}
            assert len(sockets) == 1, ("connections in the keep-alive session", sockets, reqs)
            figures["keepalive"] = "%d requests on %d connection" % (len(reqs), len(sockets))

            # 2. clean: plain articles and one with inline markup.
            clean = session("clean")
            mock.scenario({"session": clean})
            # five short articles, and one of 60 segments: more than a request
            # holds, so that a later request carries the text before it as context
            texts = [article(1000 + 20 * i, paras=3, per=3 + i % 2) for i in range(5)]
            texts.append(article(1200, paras=12, per=5))
            jobs = submit(c, texts, "c", "deepl")
            html = ("<html><head><title>Markup test</title></head><body><p>A <b>bold</b> step "
                    "for the <i>harbour</i>.</p><p>See <a href=\"https://example.org/x\">the "
                    "report</a> today.</p></body></html>")
            jobs += submit(c, [html], "ch", "deepl", fmt="html")
            recs = finish(c, jobs)
            segments = 0
            for rec in recs:
                for s in pairs(rec):
                    segments += 1
                    assert s["tgt"] == ja, s
            marked = [s for s in pairs(recs[-1]) if "<" in s["src"]]
            assert marked and all("markup" in s.get("warning", "") for s in marked), pairs(recs[-1])
            reqs = mock.requests(clean, "/v2/translate")
            assert all(r["status"] == 200 for r in reqs), reqs
            assert all(r["split_sentences"] == "0" for r in reqs), reqs
            want = {"formality", "model_type", "show_billed_characters", "source_lang",
                    "target_lang", "split_sentences"}
            assert all(want <= set(r["params"]) for r in reqs), reqs
            assert any("context" in r["params"] for r in reqs), reqs
            assert sum(1 for r in reqs if r["tag_handling"] == "xml") >= 1, reqs
            texts_sent = sum(r["texts"] for r in reqs)
            figures["clean"] = "%d segments, %d requests, %.1f texts a request" % (
                segments, len(reqs), texts_sent / len(reqs))
            last = mock.call("GET", "/__session__/last-request",
                             headers={"mock-server-session": clean})
            assert last["path"] == "/v2/translate" and last["body"]["split_sentences"] == "0", last
            assert last["headers"]["authorization"] == "DeepL-Auth-Key " + KEY, last["headers"]

            # 3. faults: no answer twice, 503 three times, 429 three times.
            faults = session("faults")
            mock.scenario({"session": faults, "headers": {"no-response-count": 2, "5xx-count": 3,
                                                          "429-count": 3}})
            t0 = time.monotonic()
            recs = finish(c, submit(c, [article(2000 + 20 * i) for i in range(4)], "f", "deepl"), 90)
            for rec in recs:
                assert all(s["tgt"] == ja for s in pairs(rec)), rec
            reqs = mock.requests(faults, "/v2/translate")
            by = {}
            for r in reqs:
                by[r["status"]] = by.get(r["status"], 0) + 1
            assert by.get(None) == 2 and by.get(503) == 3 and by.get(429) == 3, by
            figures["faults"] = "%s in %.1f s" % (by, time.monotonic() - t0)

            # 4. glossary: two 5xx on its creation, then made; a whole term.
            gl, gl_create = session("glossary"), session("glossary-create")
            mock.scenario({"method": "POST", "path": "/v2/glossaries", "session": gl_create,
                           "headers": {"5xx-count": 2, "5xx-status": 500}},
                          {"session": gl})
            gtext = ("proton beam\n\nThe Harbour Office opened at nine in the morning.\n\n"
                     "Nobody came to the Harbour Office before noon.\n")
            recs = finish(c, submit(c, [gtext], "g", "deeplg"), 60)
            got = {s["src"]: s["tgt"] for s in pairs(recs[0])}
            assert got.get("proton beam") == "陽子ビーム", got
            assert all(t == ja for s, t in got.items() if s != "proton beam"), got
            creates = mock.requests(gl_create, "/v2/glossaries", "POST")
            assert [r["status"] for r in creates] == [500, 500, 201], creates
            mine = [g for g in mock.glossaries(KEY) if g["name"].startswith("honyaku:deeplg:en-ja:")]
            assert len(mine) == 1 and mine[0]["source_lang"] == "en" and mine[0]["target_lang"] == "ja" \
                and mine[0]["entry_count"] == 2, mine
            # the file's repeated entry was dropped at load, with a warning
            assert "repeats line 3; skipped" in fx.log("honyakud.log"), fx.log("honyakud.log")[-3000:]
            translate = mock.requests(gl, "/v2/translate")
            assert translate and all(r["glossary_id"] == mine[0]["glossary_id"] for r in translate), translate

            # ... kept across a restart: found by name, not created again
            c = restart()
            gl2 = session("glossary-again")
            mock.scenario({"session": gl2})
            recs = finish(c, submit(c, ["proton beam\n\nThe ferry left the Harbour Office.\n"], "g2",
                                    "deeplg"))
            assert {s["src"]: s["tgt"] for s in pairs(recs[0])}["proton beam"] == "陽子ビーム", recs
            assert not mock.requests(gl2, "/v2/glossaries", "POST"), mock.requests(gl2)
            assert mock.requests(gl2, "/v2/glossaries", "GET"), mock.requests(gl2)
            # ... and replaced, the old version deleted, when the file changes
            # (a new term: the translation memory already holds "proton beam")
            fx.write("glossary.tsv", "proton beam\t陽子の線\nglass tower\tガラスの塔\n")
            c = restart()
            gl3 = session("glossary-new")
            mock.scenario({"session": gl3})
            recs = finish(c, submit(c, ["glass tower\n\nA tower of glass stood by the river.\n"], "g3",
                                    "deeplg"))
            assert {s["src"]: s["tgt"] for s in pairs(recs[0])}["glass tower"] == "ガラスの塔", recs
            now = [g for g in mock.glossaries(KEY) if g["name"].startswith("honyaku:deeplg:en-ja:")]
            assert len(now) == 1 and now[0]["glossary_id"] != mine[0]["glossary_id"], (mine, now)
            deletes = mock.requests(gl3, "/v2/glossaries/", "DELETE")
            assert [r["status"] for r in deletes] == [204], deletes
            figures["glossary"] = "created after 2x 500, found after a restart, replaced"

            # 5. quota: a fresh account with a 400-character limit.
            q1, q2 = session("quota"), session("quota-lifted")
            mock.scenario({"session": q1, "auth_key": "quota-" + q1,
                           "headers": {"init-character-limit": 400}})
            qtexts = [article(3000 + 40 * i, paras=4, per=2) for i in range(3)]
            held = submit(c, qtexts, "q", "deeplq")

            def paused():
                p = [x for x in c.status()["profiles"] if x["name"] == "deeplq"][0]
                return p.get("paused")
            why = poll("deeplq to pause on 456", paused, 30)
            assert why.startswith("deeplq:") and "quota" in why.lower(), why
            # the probes ask /v2/usage and send no text while the limit holds
            poll("two usage probes", lambda: len(mock.requests(q1, "/v2/usage")) >= 2, 30)
            _, out, _ = run([honyaku, "--endpoint", front, "status"])
            assert "deeplq" in out and "quota" in out.lower(), out
            states = [c.status(j) for j in held]
            assert all(js["failed"] == 0 and js["state"] in ("translating", "done")
                       for js in states), states
            assert any(js["state"] == "translating" for js in states), states
            refused = [r for r in mock.requests(q1, "/v2/translate") if r["status"] == 456]
            assert 1 <= len(refused) <= 2, refused
            usage = mock.requests(q1, "/v2/usage")
            # the limit lifted (a new account behind the same key): the jobs finish
            mock.scenario({"session": q2, "auth_key": "quota-" + q2})
            recs = finish(c, held, 60)
            for rec in recs:
                assert all(s["tgt"] == ja for s in pairs(rec)), rec
            poll("deeplq to resume", lambda: not paused(), 20)
            assert len([r for r in mock.requests(q1, "/v2/translate") if r["status"] == 456]) \
                == len(refused)
            figures["quota"] = "%d translate requests refused with 456, %d usage probes" % (len(refused), len(usage))

            # Over everything: the spec's validator refused nothing, honyaku
            # sent no mock-server-* header, no 4xx but the scenarios' own.
            st = mock.stats()
            assert st["client_session_headers"] == 0, st["client_session_headers"]
            bad = [r for r in st["requests"] if r["status"] is not None and r["status"] >= 400
                   and r["status"] not in (429, 456) and not (r["status"] >= 500 and r["session"])]
            assert not bad, bad
            assert "Spec validation error" not in fx.log("mock.log"), fx.log("mock.log")[-4000:]
            translate = [r for r in st["requests"] if r["path"] == "/v2/translate"]
            figures["total"] = "%d requests to the mock, %d of them /v2/translate with %d texts, " \
                "0 refused by the validator" % (len([r for r in st["requests"] if r["session"]]),
                                                len(translate), sum(r["texts"] for r in translate))
            for k, v in figures.items():
                print("%s: %s" % (k, v))
            print("ok")
            return 0
        except BaseException:
            sys.stderr.write("---- honyakud.log (tail) ----\n" + fx.log("honyakud.log")[-12000:] + "\n")
            sys.stderr.write("---- mock.log (tail) ----\n" + fx.log("mock.log")[-4000:] + "\n")
            raise
        finally:
            c.close()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

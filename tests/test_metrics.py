"""honyakud's metrics: `honyaku stats --format prometheus` and the HTTP
/metrics endpoint ([daemon] metrics), read with Debian's Prometheus
client parser (python3-prometheus-client), against real processes.

usage: test_metrics.py HONYAKUD HONYAKU HNY-TESTSERVER batch
       test_metrics.py HONYAKUD HONYAKU - endpoint
       test_metrics.py HONYAKUD HONYAKU - calls

batch: honyakud with 2 real workers and the DeepL stand-in
  (hny-testserver) injecting 429, 503, hangs and truncated answers;
  `honyaku batch` translates a folder while /metrics is scraped; then the
  scrape and the CLI print the same text, and its values are the truth:
  segments translated = the distinct segments of the records (then TM
  hits = the pairs of a second run), requests by status = the faults the
  server injected (hang = "timeout", truncated = "error") and the rest
  200, latency histogram count = requests and no request faster than the
  server's latency, job durations count = jobs, characters billed = the
  distinct segments' code points. A quota answer (456) shows the
  profile paused with its reason, then not. SIGTERM: a scrape fails to
  connect; after the restart the stored counters are back and the
  in-memory ones start again.
endpoint: bad input. A port already taken: honyakud exits 1 naming the
  address. A malformed `metrics` value: exit 2 naming the line. POST,
  PUT -> 405 with Allow; another path -> 404; HEAD -> 200 without body; a
  header over the cap -> 431; a GET with a body -> 400; a silent
  half-open HTTP client blocks neither scrapes nor the broker; two
  scrapes on one kept-alive connection; the endpoint is off without the
  key.
calls: a worker's hostile "calls" (PROTOCOL.md 5.3): malformed items are
  skipped, 257 items make the RESULT malformed (dropped, nothing counted),
  and the daemon keeps serving."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, free_port, poll, run, stop  # noqa: E402
from test_daemon_util import Client, Harness, ManualWorker  # noqa: E402
from fake_worker import split_article  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

KEY = "test-key"
LATENCY_MS = 60          # the stand-in's delay on every answer
HANG_MS = 2000           # the profiles' timeout_ms: a "hang" fault ends as a timeout


def xlate(text, target="ja"):
    return "\u3010" + target + "\u3011" + "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


# ---------------------------------------------------------------- parsing

def parse(text):
    """The exposition text as {family name: family}, checked for what the
    format and our naming promise: a HELP and a TYPE for every family,
    names starting with honyaku_, counters ending in _total, histograms
    with cumulative buckets ending in +Inf = _count."""
    fams = {}
    for fam in text_string_to_metric_families(text):
        assert fam.name.startswith("honyaku_"), fam.name
        assert fam.type in ("counter", "gauge", "histogram"), (fam.name, fam.type)
        assert fam.documentation, fam.name
        assert fam.name not in fams, "family %s twice" % fam.name
        for s in fam.samples:
            if fam.type == "counter":
                assert s.name == fam.name + "_total", (fam.name, s.name)
            assert s.value >= 0, s
        if fam.type == "histogram":
            check_histograms(fam)
        fams[fam.name] = fam
    for line in text.splitlines():
        if line.startswith("# TYPE") and line.split()[3] == "counter":
            assert line.split()[2].endswith("_total"), line
    assert text.endswith("\n"), "the text ends with a newline"
    return fams


def check_histograms(fam):
    series = {}
    for s in fam.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        series.setdefault(key, []).append(s)
    for key, samples in series.items():
        buckets = [s for s in samples if s.name.endswith("_bucket")]
        count = [s.value for s in samples if s.name.endswith("_count")]
        assert buckets and buckets[-1].labels["le"] == "+Inf", (fam.name, key)
        values = [b.value for b in buckets]
        assert values == sorted(values), (fam.name, key, values)
        assert count == [values[-1]], (fam.name, key, count, values)
        assert [s for s in samples if s.name.endswith("_sum")], (fam.name, key)


def value(fams, name, **labels):
    """The value of the sample of family name whose labels include labels
    (0 when the family or the sample is absent: an untouched counter)."""
    fam = fams.get(name)
    for s in fam.samples if fam else []:
        if s.name in (name, name + "_total") and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0


def samples(fams, name, suffix=""):
    fam = fams.get(name)
    return [s for s in fam.samples if s.name == name + suffix] if fam else []


def hist(fams, name, **labels):
    """(buckets {le: count}, sum, count) of one histogram series."""
    out = {}
    total = total_sum = None
    for s in fams[name].samples:
        if not all(s.labels.get(k) == v for k, v in labels.items()):
            continue
        if s.name.endswith("_bucket"):
            out[s.labels["le"]] = s.value
        elif s.name.endswith("_sum"):
            total_sum = s.value
        elif s.name.endswith("_count"):
            total = s.value
    return out, total_sum, total


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        assert r.status == 200, r.status
        ctype = r.headers["Content-Type"]
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        return r.read().decode("utf-8")


def http_call(port, method, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def start_with_port(fx, honyakud, conf_text, workers, env=None):
    """honyakud with `metrics = 127.0.0.1:PORT` (conf_text has %(metrics)s
    where it goes) on a port found free; a port taken meanwhile by another
    program is tried again (twice). Returns (front, port)."""
    for _ in range(3):
        port = free_port()
        front = fx.start_daemon(honyakud, conf_text % {"metrics": "metrics = 127.0.0.1:%d" % port},
                                workers=workers, env=env, extra=("--log-level", "debug"))

        def up():
            if fx.daemon.poll() is not None:
                return "exited"
            try:
                scrape(port)
                return "up"
            except OSError:
                return None
        if poll("honyakud's /metrics", up, 20) == "up":
            return front, port
        assert "already in use" in fx.log("honyakud.log"), fx.log("honyakud.log")[-3000:]
    raise AssertionError("no free port for /metrics")


# ---------------------------------------------------------------- batch

DAEMON = """[daemon]
heartbeat_ms = 200
lease_ms = 20000
default_backend = deepl
%(metrics)s
"""


def profiles(url):
    return "".join("\n[backend.%s]\ntype = deepl\nurl = %s\nkey_env = HNY_TS_KEY\nretry_base_ms = 20\n"
                   "retries = 20\nconcurrency = 3\nmax_texts = 4\ntimeout_ms = %d\n" % (name, url, HANG_MS)
                   for name in ("deepl", "spare"))


def articles(n):
    """n articles, every sentence distinct (within and across articles)."""
    words = ["river", "bridge", "market", "harbour", "school", "station", "garden", "tower"]
    out = []
    for a in range(n):
        paras = []
        for p in range(3):
            paras.append(" ".join("The %s number %d of part %d had story %d." % (words[(a + s) % 8], a, p, s)
                                  for s in range(3)))
        out.append("\n\n".join(paras) + "\n")
    return out


def pairs(rec):
    return ([rec["title"]] if rec.get("title") else []) + [s for p in rec["paragraphs"] for s in p["segments"]]


def read_records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_batch(honyakud, honyaku, testserver):
    with Fixture("hnymet") as fx:
        srv, srv_port = fx.start_testserver(testserver, "--key", KEY)
        url = "http://127.0.0.1:%d" % srv_port

        def ctl(path, body):
            req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=5).read()

        def srv_stats():
            with urllib.request.urlopen(url + "/_stats", timeout=5) as r:
                return json.loads(r.read())
        env = dict(os.environ, HNY_TS_KEY=KEY)
        conf = DAEMON + profiles(url).replace("%", "%%")
        front, port = start_with_port(fx, honyakud, conf, workers=2, env=env)
        c = Client(front)

        def cli(*args, check=True):
            return run([honyaku, "--endpoint", front] + list(args), check=check)
        try:
            poll("2 workers", lambda: c.status()["workers"] == 2, 20)
            # Seed 190: the first 20 requests draw each kind (the dice are
            # the server's, by request number: tests/testserver/README.md).
            ctl("/_faults", {"rate": 0.3, "kinds": ["429", "503", "hang", "truncated"], "retry_after": 0,
                             "latency_ms": LATENCY_MS, "seed": 190})
            src = fx.path("articles")
            os.makedirs(src)
            texts = articles(12)
            for i, t in enumerate(texts):
                fx.write("articles/a%02d.txt" % i, t)

            # A scrape during the batch sees it at work.
            batch = subprocess.Popen([honyaku, "--endpoint", front, "batch", src, "--from", "en", "--to",
                                      "ja", "--out", fx.path("out1")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
            busy = []

            def at_work(fams):
                return sum(value(fams, "honyaku_jobs", state=s) for s in ("queued", "preparing", "translating")) \
                    + sum(s.value for s in samples(fams, "honyaku_tasks_leased"))

            def scraped_busy():
                working = at_work(parse(scrape(port)))
                if working:
                    # The CLI's text, read the same way, sees the work too.
                    busy.append((working, at_work(parse(cli("stats", "--format", "prometheus")[1]))))
                return busy or batch.poll() is not None
            poll("a scrape while the batch works", scraped_busy, 60, interval=0.02)
            _, err = batch.communicate(timeout=90)
            assert batch.returncode == 0, err.decode()
            assert busy, "no scrape caught the batch at work"
            print("mid-batch: %r jobs or tasks at work (/metrics, then the CLI)" % (busy[0],))
            recs = read_records(fx.path("out1", "records.jsonl"))
            assert len(recs) == 12 and all(r["errors"] == [] for r in recs), recs
            distinct = {p["src"] for r in recs for p in pairs(r)}
            assert all(p["tgt"] == xlate(p["src"]) and not p["tm"] for r in recs for p in pairs(r))
            st = srv_stats()
            assert not st["violations"], st["violations"]

            # Idle now: the endpoint and the CLI print the same text.
            text = scrape(port)
            _, out, _ = cli("stats", "--format", "prometheus")
            assert out == text, "CLI and /metrics differ"
            fams = parse(text)
            assert value(fams, "honyaku_segments_translated", profile="deepl", source="backend") == len(distinct)
            assert value(fams, "honyaku_segments_translated", profile="deepl", source="tm") == 0
            assert value(fams, "honyaku_tm_lookups", profile="deepl", result="miss") == \
                sum(len(pairs(r)) for r in recs)
            # DeepL bills every distinct segment once (a truncated answer
            # is billed by the server but never read: not counted).
            assert value(fams, "honyaku_billed_characters", profile="deepl") == sum(len(t) for t in distinct)
            faults = st["faults"]
            assert all(faults.get(k) for k in ("429", "503", "hang", "truncated")), faults
            by_status = {s.labels["status"]: s.value for s in samples(fams, "honyaku_backend_requests", "_total")
                         if s.labels["profile"] == "deepl"}
            assert by_status.get("429") == faults["429"], (by_status, faults)
            assert by_status.get("503") == faults["503"], (by_status, faults)
            assert by_status.get("timeout") == faults["hang"], (by_status, faults)
            assert by_status.get("error") == faults["truncated"], (by_status, faults)
            assert sum(by_status.values()) == st["requests"], (by_status, st["requests"])
            assert by_status.get("200") == st["requests"] - sum(faults.values()), (by_status, st)
            buckets, total_sum, count = hist(fams, "honyaku_backend_request_duration_seconds", profile="deepl")
            assert count == st["requests"], (count, st["requests"])
            # Every answer took at least the server's latency (a fault too).
            assert buckets["0.05"] == 0 and buckets["+Inf"] == count, buckets
            assert total_sum >= count * LATENCY_MS / 1000.0, (total_sum, count)
            _, _, jobs_done = hist(fams, "honyaku_job_duration_seconds", state="done")
            assert jobs_done == 12 == value(fams, "honyaku_jobs", state="done"), jobs_done
            _, done_sum, _ = hist(fams, "honyaku_job_duration_seconds", state="done")
            assert done_sum >= 12 * LATENCY_MS / 1000.0, done_sum
            assert value(fams, "honyaku_workers") == 2
            assert value(fams, "honyaku_profile_workers", profile="deepl") == 2
            tasks = samples(fams, "honyaku_tasks_leased") + samples(fams, "honyaku_tasks_queued")
            assert len(tasks) == 8 and all(s.value == 0 for s in tasks), tasks      # deepl, spare, pseudo
            assert value(fams, "honyaku_profile_paused", profile="deepl", reason="") == 0
            stats = json.loads(cli("stats", "--json")[1])
            assert stats["deepl"]["segments"] == len(distinct), stats["deepl"]

            # The same articles under new keys (--format text): all from the TM.
            ctl("/_reset", {})
            run([honyaku, "--endpoint", front, "batch", src, "--from", "en", "--to", "ja", "--format", "text",
                 "--out", fx.path("out2")])
            recs2 = read_records(fx.path("out2", "records.jsonl"))
            tm_pairs = sum(len(pairs(r)) for r in recs2)
            assert all(p["tm"] for r in recs2 for p in pairs(r))
            fams = parse(scrape(port))
            assert value(fams, "honyaku_segments_translated", profile="deepl", source="tm") == tm_pairs
            assert value(fams, "honyaku_segments_translated", profile="deepl", source="backend") == len(distinct)
            assert hist(fams, "honyaku_job_duration_seconds", state="done")[2] == 24
            assert srv_stats()["requests"] == 0

            # Quota gone (456): the profile shows paused with its reason.
            ctl("/_faults", {"rate": 1.0, "kinds": ["456"]})
            run([honyaku, "--endpoint", front, "submit", "-", "--from", "en", "--to", "ja", "--key", "quota"],
                input=b"The quota ran out on a Tuesday.\n")

            def paused():
                fams = parse(scrape(port))
                for s in samples(fams, "honyaku_profile_paused"):
                    if s.labels["profile"] == "deepl" and s.value == 1:
                        return s.labels["reason"]
                return None
            reason = poll("deepl paused in /metrics", paused, 20)
            assert reason.startswith("deepl:") and "quota" in reason.lower(), reason
            fams = parse(scrape(port))
            assert value(fams, "honyaku_profile_paused", profile="spare", reason="") == 0
            assert value(fams, "honyaku_backend_requests", profile="deepl", status="456") >= 1
            assert value(fams, "honyaku_jobs", state="translating") == 1
            ctl("/_reset", {})
            poll("deepl resumed in /metrics", lambda: paused() is None
                 and value(parse(scrape(port)), "honyaku_jobs", state="done") == 25, 30)

            # SIGTERM: scrapes fail to connect, nothing is lost; after the
            # restart the stored counters are back, the in-memory ones anew.
            before = parse(scrape(port))
            fx.daemon.send_signal(signal.SIGTERM)
            assert fx.daemon.wait(30) == 0
            try:
                scrape(port)
                raise AssertionError("a scrape of a stopped honyakud answered")
            except urllib.error.URLError as e:
                assert isinstance(e.reason, ConnectionRefusedError), e
            fx.start_daemon(honyakud, conf % {"metrics": "metrics = 127.0.0.1:%d" % port}, workers=2,
                            env=env, extra=("--log-level", "debug"))

            def back_up():
                assert fx.daemon.poll() is None, fx.log("honyakud.log")[-3000:]
                try:
                    return parse(scrape(port))
                except OSError:
                    return None
            after = poll("/metrics after the restart", back_up, 20)
            for name, labels in (("honyaku_segments_translated", {"profile": "deepl", "source": "tm"}),
                                 ("honyaku_segments_translated", {"profile": "deepl", "source": "backend"}),
                                 ("honyaku_billed_characters", {"profile": "deepl"}),
                                 ("honyaku_jobs", {"state": "done"})):
                assert value(after, name, **labels) == value(before, name, **labels) > 0, (name, labels)
            assert not samples(after, "honyaku_backend_requests", "_total")
            assert hist(after, "honyaku_job_duration_seconds", state="done")[2] == 0
            assert value(after, "honyaku_start_time_seconds") > value(before, "honyaku_start_time_seconds")
            print("batch: %d articles, %d segments, requests %s, %d TM pairs; paused: %s"
                  % (len(recs), len(distinct), by_status, tm_pairs, reason))
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-12000:] + "\n")
            raise
        finally:
            c.close()


# ---------------------------------------------------------------- endpoint

def up(client):
    """True once honyakud answers STATUS (each try waits 0.5 s: a request
    sent while it starts may go unanswered, as in Harness.start_daemon)."""
    try:
        return client.request("STATUS", timeout=0.5)[0] == "STATUS"
    except AssertionError:
        return False


def test_endpoint(honyakud, honyaku):
    with Fixture("hnymep") as fx:
        # A port already taken: exit 1 at start, naming the address.
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        tport = taken.getsockname()[1]
        fx.start_daemon(honyakud, "", workers=0, extra=("--metrics", "127.0.0.1:%d" % tport))
        assert fx.daemon.wait(20) == 1
        log = fx.log("honyakud.log")
        assert "cannot serve metrics on 127.0.0.1:%d: Address already in use" % tport in log, log
        taken.close()
        # A malformed value: a configuration error naming the line (exit 2).
        conf = fx.write("bad.conf", "[daemon]\nmetrics = 127.0.0.1:http\n")
        code, _, err = run([honyakud, "--config", conf, "--state", fx.path("bad"), "--workers", "0"],
                           check=False)
        assert code == 2 and "bad.conf:2" in err and "metrics" in err, (code, err)
        code, _, err = run([honyakud, "--metrics", "example.org:80", "--state", fx.path("bad")], check=False)
        assert code == 2 and "numeric" in err, (code, err)

        front, port = start_with_port(fx, honyakud, "[daemon]\n%(metrics)s\n", workers=0)
        c = Client(front)
        try:
            for method in ("POST", "PUT", "DELETE"):
                status, headers, body = http_call(port, method, "/metrics")
                assert status == 405 and headers.get("Allow") == "GET, HEAD", (method, status, headers)
            for path in ("/", "/metricsx", "/metrics/", "/x?metrics"):
                assert http_call(port, "GET", path)[0] == 404, path
            status, headers, body = http_call(port, "HEAD", "/metrics")
            assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0, headers
            assert http_call(port, "GET", "/metrics?name[]=x")[0] == 200
            # A header over the connection's memory cap: 431, and it serves on.
            status, _, _ = http_call(port, "GET", "/metrics", {"X-Pad": "a" * 40000})
            assert status == 431, status
            # A GET that announces a body: 400, before the body is read.
            raw = socket.create_connection(("127.0.0.1", port), timeout=5)
            raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            assert raw.recv(64).startswith(b"HTTP/1.1 400 "), "GET with a body"
            raw.close()
            # A silent client holding a half-sent request blocks nobody.
            slow = socket.create_connection(("127.0.0.1", port))
            slow.sendall(b"GET /metr")
            t0 = time.monotonic()
            parse(scrape(port))
            assert c.status()["workers"] == 0
            assert time.monotonic() - t0 < 2, "a silent HTTP client slowed honyakud down"
            slow.close()
            # Keep-alive: two scrapes on one connection.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for _ in range(2):
                conn.request("GET", "/metrics")
                r = conn.getresponse()
                assert r.status == 200 and r.read().startswith(b"# HELP honyaku_")
            conn.close()
            assert fx.daemon.poll() is None
        finally:
            c.close()
        stop(fx.daemon)
        # Off by default: no listening socket, nothing in the log.
        seen = len(fx.log("honyakud.log"))
        fx.start_daemon(honyakud, "[daemon]\n", workers=0)
        c = Client(front)
        try:
            poll("honyakud up", lambda: up(c), 15)
            assert "serving metrics" not in fx.log("honyakud.log")[seen:]
            try:
                scrape(port)
                raise AssertionError("/metrics answered without [daemon] metrics")
            except urllib.error.URLError:
                pass
        finally:
            c.close()
        print("endpoint: ok")


# ---------------------------------------------------------------- calls

def test_calls(honyakud):
    port = free_port()
    with Harness(honyakud, "hnymcl", "[daemon]\nheartbeat_ms = 5000\nmetrics = 127.0.0.1:%d\n" % port) as h:
        c = h.start_daemon()
        w = ManualWorker(h.back, credit=1)
        h.wait_workers(1)
        job = c.accepted("One sentence here. Another one there.", backend="pseudo", format="text")["job"]
        _, th, body = w.expect("TASK")
        w.result(th["task"], 200, split_article(body.decode()))
        _, th, body = w.expect("TASK")
        assert th["kind"] == "translate", th
        segs = json.loads(body)["segments"]
        result = json.dumps({"segments": [{"id": s["id"], "tgt": s["src"].upper()} for s in segs],
                             "requests": 3, "chars_billed": 0}).encode()
        # 257 calls: a malformed RESULT, dropped whole; the broker serves on.
        w.send("RESULT", {"task": th["task"], "status": 200,
                          "calls": [{"status": "200", "ms": 1}] * 257}, result)
        poll("the malformed RESULT logged", lambda: "malformed message from worker" in h.fx.log("honyakud.log"))
        assert c.status(job)["state"] == "translating"
        fams = parse(scrape(port))
        assert not samples(fams, "honyaku_backend_requests", "_total")
        # Items of the wrong shape are skipped, the others counted.
        calls = [{"status": "200", "ms": 7}, {"status": "999", "ms": 5}, {"status": "200", "ms": -1},
                 "junk", {"status": 200, "ms": 3}, {"status": "timeout", "ms": 30000},
                 {"status": "429", "ms": 40, "extra": True}, {"status": "2000", "ms": 1}, {"ms": 2}]
        w.send("RESULT", {"task": th["task"], "status": 200, "calls": calls}, result)
        assert c.wait_done(job) == "done"
        fams = parse(scrape(port))
        got = {s.labels["status"]: s.value for s in samples(fams, "honyaku_backend_requests", "_total")}
        assert got == {"200": 1, "timeout": 1, "429": 1}, got
        buckets, total_sum, count = hist(fams, "honyaku_backend_request_duration_seconds", profile="pseudo")
        assert count == 3 and buckets["0.01"] == 1 and buckets["0.05"] == 2 and buckets["30"] == 3, buckets
        assert abs(total_sum - 30.047) < 1e-6, total_sum
        w.close()
        print("calls: ok")


if __name__ == "__main__":
    scenario = sys.argv[4]
    if scenario == "batch":
        test_batch(sys.argv[1], sys.argv[2], sys.argv[3])
    elif scenario == "endpoint":
        test_endpoint(sys.argv[1], sys.argv[2])
    elif scenario == "calls":
        test_calls(sys.argv[1])
    else:
        raise SystemExit("unknown scenario " + scenario)

"""honyakud with fake workers: the client conversation and the job pipeline.

usage: test_daemon_pipeline.py HONYAKUD SCENARIO
  e2e        submit / wait / fetch / status / list / stats of a plain text
  idempotent resubmits return the same job; a key with other content is 409
  hostile    malformed messages, unknown commands, bad versions, oversized
             bodies are REJECTED and the daemon keeps serving
  tm         the same article twice: the second time no translate task
  dedup      identical segments in two concurrent jobs are sent once
  packing    a long article's segments go out 50 to a task across
             paragraphs, each task with one context: the title and the
             text just before its first segment (PROTOCOL.md 5.4); a task
             of a context-taking profile holds several jobs only when it
             has no context and every job in it starts in it (short
             articles share a task)
  requests   a profile with a large concurrency: a task carries several
             requests of max_texts segments, each with its own context,
             and each request counts for its job
  qa         the flags of a worker's checks (PROTOCOL.md 12.2.1) are kept
             with their segment and carried by the record; a malformed qa
             is left out and the translation kept"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon_util import SIG, Client, Harness, poll, segments, tasks_of  # noqa: E402
from hnyfix import validate_record  # noqa: E402

CONFIG = """
[daemon]
heartbeat_ms = 100
lease_ms = 5000
max_article_bytes = 200000
"""

ARTICLE = ("Title: The budget passed\n"
           "The Diet passed the budget on Friday. Critics said it favours the military.\n"
           "\n"
           "Turnout was low. The weather was bad.\n")


def e2e(h):
    c = h.start_daemon()
    h.start_worker()
    acc = c.accepted(ARTICLE, source="a/b.txt", metadata={"issue": "7"})
    assert acc["existing"] is False and acc["state"] == "queued", acc
    job = acc["job"]
    assert c.wait_done(job) == "done"
    rec = c.fetch(job)
    assert rec["schema"] == "honyaku.record/1", rec
    assert rec["job"] == job and rec["key"] == acc["key"], rec
    assert rec["source_lang"] == "en" and rec["target_lang"] == "es" and rec["backend"] == "pseudo", rec
    assert rec["title"] == {"src": "The budget passed", "tgt": "THE BUDGET PASSED", "tm": False}, rec["title"]
    assert [[s["src"] for s in p["segments"]] for p in rec["paragraphs"]] == [
        ["The Diet passed the budget on Friday.", "Critics said it favours the military."],
        ["Turnout was low.", "The weather was bad."]], rec["paragraphs"]
    for s in segments(rec):
        assert s["tgt"] == s["src"].upper() and s["tm"] is False, s
    assert rec["errors"] == [], rec["errors"]
    md = rec["metadata"]
    assert md["title"] == "The budget passed" and md["issue"] == "7" and md["source"] == "a/b.txt", md
    assert md["charset"] == "UTF-8" and md["format"] == "text", md
    assert rec["stats"]["segments"] == 5 and rec["stats"]["tm_hits"] == 0, rec["stats"]
    assert rec["stats"]["chars"] == sum(len(s["src"]) for s in segments(rec)) + len("The budget passed")

    st = c.status(job)
    assert st["state"] == "done" and st["segments"] == 5 and st["done"] == 5 and st["failed"] == 0, st
    assert st["status"] == 200 and st["key"] == acc["key"] and st["created"] > 0, st
    d = c.status()
    assert d["jobs"] == {"done": 1} and d["workers"] == 1, d
    assert {"name": "pseudo", "type": "pseudo", "workers": 1} in d["profiles"], d
    assert d["store"] == "ok", d
    cmd, lst, _ = c.request("LIST", {"limit": 10})
    # LIST carries the pair and, for a final job, when it became final: a
    # moment after its record was assembled (the record's "finished").
    assert cmd == "LISTING" and len(lst["jobs"]) == 1, lst
    item = dict(lst["jobs"][0])
    finished = item.pop("finished", None)
    assert item == {"job": job, "key": acc["key"], "state": "done", "from": "en", "to": "es"}, lst
    assert isinstance(finished, int) and 0 <= finished - rec["finished"] < 60000, (finished, rec["finished"])
    assert "next" not in lst, lst
    cmd, stats, _ = c.request("STATS")
    assert cmd == "STATS" and stats["profiles"]["pseudo"]["segments"] == 5, stats
    assert stats["profiles"]["pseudo"]["tm_misses"] == 5, stats

    # WAIT with a timeout on a job that cannot finish (no worker serves it): DONE 300.
    h2 = c.accepted("Another text. With two sentences.", to="fr", key="held")
    cmd, st, _ = c.request("STATUS", {"job": "999999"})
    assert cmd == "REJECTED" and st["status"] == 404, st
    cmd, f, _ = c.request("FETCH", {"job": "999999"})
    assert cmd == "REJECTED" and f["status"] == 404, f
    w = c.wait(h2["job"], 0)
    assert w["status"] in (200, 300), w


def idempotent(h):
    c = h.start_daemon()
    h.start_worker()
    a = c.accepted(ARTICLE, key="k1")
    b = c.accepted(ARTICLE, key="k1")
    assert a["job"] == b["job"] and a["existing"] is False and b["existing"] is True, (a, b)
    # Without a key: derived from content and options.
    x = c.accepted("Some other text.")
    y = c.accepted("Some other text.")
    assert x["job"] == y["job"] and y["existing"] is True and x["key"] == y["key"], (x, y)
    z = c.accepted("Some other text.", to="fr")
    assert z["job"] != x["job"], (x, z)
    cmd, r, _ = c.submit(ARTICLE + "changed", key="k1")
    assert cmd == "REJECTED" and r["status"] == 409 and r["req"], (cmd, r)
    cmd, r, _ = c.submit(ARTICLE, key="k1", to="fr")
    assert cmd == "REJECTED" and r["status"] == 409, (cmd, r)
    assert c.wait_done(a["job"]) == "done"
    again = c.accepted(ARTICLE, key="k1")
    assert again["job"] == a["job"] and again["state"] == "done", again
    cmd, lst, _ = c.request("LIST", {"limit": 1})
    assert len(lst["jobs"]) == 1 and lst["next"] == lst["jobs"][0]["job"], lst
    cmd, lst2, _ = c.request("LIST", {"limit": 1000, "after": lst["next"]})
    assert len(lst2["jobs"]) == 2 and "next" not in lst2, lst2
    # One STATUS: separate ones race with the jobs still moving between states.
    jobs = c.status()["jobs"]
    assert sum(jobs.get(s, 0) for s in ("done", "queued", "translating", "preparing")) == 3, jobs


def hostile(h):
    c = h.start_daemon()
    raw = Client(h.front)
    cases = [
        ([b"HNY/2", b"STATUS", b"{}"], 505),
        ([SIG, b"FROB", b"{}"], 501),
        ([SIG, b"STATUS", b"{not json"], 400),
        ([SIG, b"STATUS", b"[]"], 400),
        ([SIG, b"SUBMIT", b'{"to":"es"}', b"text"], 400),
        ([SIG, b"SUBMIT", b'{"from":"en","to":"es"}'], 400),
        ([SIG, b"STATUS", b"{}", b"x", b"y"], 400),
        ([SIG, b"READY", b'{"credit":1,"backends":["pseudo"]}'], 400),
        ([SIG, b"ACCEPTED", b'{"job":"1","key":"k","existing":false,"state":"done"}'], 400),
        ([SIG, b"SUBMIT", b'{"from":"en","to":"es","backend":"nosuch"}', b"text"], 422),
        ([SIG, b"SUBMIT", b'{"from":"en","to":"es","format":"pdf"}', b"text"], 400),
        ([SIG, b"SUBMIT", b'{"from":"","to":"es"}', b"text"], 400),
        ([SIG, b"SUBMIT", b'{"from":"en-very-long-language-tag","to":"es"}', b"text"], 400),
        ([SIG, b"SUBMIT", b'{"from":"en","to":"es"}', b""], 400),
        ([SIG, b"SUBMIT", b'{"from":"en","to":"es"}', b"x" * 300000], 413),
        ([SIG, b"LIST", b'{"after":"abc"}'], 400),
        ([SIG, b"WAIT", b'{"job":"12x"}'], 404),
    ]
    for frames, status in cases:
        raw.send_raw(frames)
        cmd, hdr, _ = raw.recv_raw()
        assert cmd == "REJECTED" and hdr["status"] == status, (frames[:3], cmd, hdr)
        assert hdr["reason"], hdr
    # "req" comes back on a rejection when the header parsed.
    cmd, hdr, _ = c.request("SUBMIT", {"from": "en", "to": "es", "backend": "nosuch"}, b"t")
    assert cmd == "REJECTED" and hdr["status"] == 422 and hdr["req"], hdr
    # Still serving, and nothing was accepted.
    assert c.status()["jobs"] == {}, c.status()
    a = c.accepted("Fine text.")
    assert a["existing"] is False
    # A worker-only command from an unregistered worker on the back: DISCONNECT.
    import zmq
    back = zmq.Context.instance().socket(zmq.DEALER)
    back.setsockopt(zmq.LINGER, 0)
    back.connect(h.back)
    back.send_multipart([SIG, b"HEARTBEAT", b"{}"])
    assert back.poll(5000), "no DISCONNECT for an unknown worker"
    frames = back.recv_multipart()
    assert frames[1] == b"DISCONNECT", frames
    back.send_multipart([SIG, b"RESULT", b"garbage"])
    back.close(0)
    raw.close()
    assert c.status()["status"] == 200


def tm(h):
    c = h.start_daemon()
    w = h.start_worker()
    a = c.accepted(ARTICLE, key="first")
    assert c.wait_done(a["job"]) == "done"
    before = [t for t in tasks_of(w) if t["kind"] == "translate"]
    assert before, tasks_of(w)
    b = c.accepted(ARTICLE, key="second")
    assert b["job"] != a["job"]
    assert c.wait_done(b["job"]) == "done"
    after = [t for t in tasks_of(w) if t["kind"] == "translate"]
    assert after == before, "a translate task reached the worker: %s" % after[len(before):]
    rec = c.fetch(b["job"])
    assert all(s["tm"] and s["tgt"] == s["src"].upper() for s in segments(rec)), rec
    assert rec["title"]["tgt"] == "THE BUDGET PASSED", rec["title"]
    assert rec["stats"]["tm_hits"] == 5, rec["stats"]
    # Another language pair is another TM entry.
    x = c.accepted(ARTICLE, key="third", to="fr")
    assert c.wait_done(x["job"]) == "done"
    assert len([t for t in tasks_of(w) if t["kind"] == "translate"]) > len(before)


def dedup(h):
    c = h.start_daemon()
    shared = "A shared sentence appears in both articles."
    one = c.accepted("First article opens here. " + shared + "\n")
    two = c.accepted("Second article starts differently. " + shared + "\n")
    w = h.start_worker("--credit", "8")
    assert c.wait_done(one["job"]) == "done" and c.wait_done(two["job"]) == "done"
    srcs = [s for t in tasks_of(w) if t["kind"] == "translate" for s in t["srcs"]]
    assert srcs.count(shared) == 1, tasks_of(w)
    for j in (one, two):
        rec = c.fetch(j["job"])
        got = [s for s in segments(rec) if s["src"] == shared]
        assert got and got[0]["tgt"] == shared.upper(), rec


def warning(h):
    # A translation that came with a warning (markup the backend broke) is
    # stored, and the record carries the warning on that segment.
    c = h.start_daemon()
    h.start_worker("--on-translate", "warn")
    a = c.accepted(ARTICLE, key="warned")
    assert c.wait_done(a["job"]) == "done"
    rec = c.fetch(a["job"])
    segs = segments(rec)
    assert segs and all(s["tgt"] == s["src"].upper() for s in segs), rec
    assert all(s.get("warning", "").startswith("markup could not be restored") for s in segs), segs
    assert not rec["errors"], rec["errors"]


def qa(h):
    c = h.start_daemon()
    h.start_worker("--on-translate", "qa")
    text = ("Title: Checked\nThis one has a flag. This one is broken. This one is fine.\n\n"
            "Another flag here.\n")
    flag = [{"check": "number", "what": "1,500", "detail": "not in the target (as 1500 or 1,500)"}]
    # The same sources in a second job: sent once with the first job's
    # (both get the flags) or, once the first is done, from the translation
    # memory (tm true: no worker checked them, no flags; 12.2).
    a = c.accepted(text, key="qa-one")
    b = c.accepted(text + "\nAnd more.\n", key="qa-two")
    for j in (a, b):
        assert c.wait_done(j["job"]) == "done"
        rec = validate_record(c.fetch(j["job"]))
        segs = segments(rec)
        assert all(s["tgt"] == s["src"].upper() for s in segs), segs
        for s in segs:
            want = flag if "flag" in s["src"] and not s["tm"] else None
            assert s.get("qa") == want, (s, rec)
        assert "qa" not in rec["title"] and not rec["errors"], rec
    first = segments(c.fetch(a["job"]))
    assert [s["src"] for s in first if "qa" in s] == ["This one has a flag.", "Another flag here."], first
    # the malformed one is said in the log, once for its task
    assert "segments came with a malformed qa" in h.fx.log("honyakud.log"), h.fx.log("honyakud.log")[-2000:]


def packing(h):
    # One request at a time, 200 ms each: while the long article's tasks
    # wait for it, the other articles arrive and fill one task.
    h.fx.write("honyaku.conf", CONFIG + "\n[backend.deepl]\ntype = deepl\nkey_env = UNUSED\nconcurrency = 1\n")
    c = h.start_daemon()
    w = h.start_worker("--backends", "deepl", "--credit", "8", "--on-translate", "slow:200")
    h.wait_workers(1)
    paras = [" ".join("Paragraph %d says thing %d." % (p, k) for k in range(7)) for p in range(20)]
    text = "Title: A long one\n" + "\n\n".join(paras) + "\n"
    other = "Title: Another\n" + " ".join("Other says %d." % k for k in range(30)) + "\n"
    shorts = ["Title: Brief %d\n" % b + " ".join("Brief %d says %d." % (b, k) for k in range(3)) + "\n"
              for b in range(3)]
    jobs = [c.accepted(text, backend="deepl", key="long")["job"],
            c.accepted(other, backend="deepl", key="other")["job"]]
    jobs += [c.accepted(t, backend="deepl", key="short%d" % b)["job"] for b, t in enumerate(shorts)]
    for job in jobs:
        assert c.wait_done(job) == "done"
    tasks = [t for t in tasks_of(w) if t["kind"] == "translate"]
    # Every job's sources in order: src -> (job, position).
    where = {}
    for job in jobs:
        rec = c.fetch(job)
        for i, src in enumerate([rec["title"]["src"]] + [s["src"] for s in segments(rec)]):
            where[src] = (job, i)
    order = [src for src, (job, _) in sorted(where.items(), key=lambda kv: kv[1][1]) if job == jobs[0]]
    assert len(order) == 141 and len(where) == 141 + 31 + 3 * 4, len(where)
    mine = [t for t in tasks if t["srcs"][0] in order]
    # 141 segments of one job: 50 + 50 + 41, spanning paragraphs.
    assert [len(t["srcs"]) for t in mine] == [50, 50, 41], [len(t["srcs"]) for t in mine]
    mixed = 0
    for t in tasks:
        assert len(set(t["contexts"])) == 1, t["contexts"]      # one context a task
        in_task = {}
        for src in t["srcs"]:
            job, i = where[src]
            in_task.setdefault(job, []).append(i)
        for job, idx in in_task.items():
            assert idx == list(range(idx[0], idx[0] + len(idx))), t     # consecutive
        if len(in_task) > 1:
            # Several jobs: no context, and each of them starts in the task.
            mixed += 1
            assert t["contexts"][0] is None, t
            assert all(idx[0] == 0 for idx in in_task.values()), t
    # The other four articles (31 + 3 x 4 segments) in one task, without context.
    assert [len(t["srcs"]) for t in tasks] == [50, 50, 41, 43], [len(t["srcs"]) for t in tasks]
    assert mixed == 1
    assert mine[0]["contexts"][0] is None           # it starts with the title
    ctx = mine[1]["contexts"][0]
    before = order[order.index(mine[1]["srcs"][0]) - 1]
    assert ctx.startswith("A long one\n") and ctx.endswith(before), ctx
    assert len(ctx.encode()) <= 1024, len(ctx.encode())
    assert "\n" in ctx[len("A long one\n"):], ctx        # paragraphs stay apart
    print("tasks: %s; a context: %r" % ([len(t["srcs"]) for t in tasks], ctx[-80:]))


def requests(h):
    # max_texts 2 and concurrency 64: a task carries 64 / 32 = 2 requests.
    h.fx.write("honyaku.conf", CONFIG + "\n[backend.deepl]\ntype = deepl\nkey_env = UNUSED\n"
               "max_texts = 2\nconcurrency = 64\n")
    c = h.start_daemon()
    w = h.start_worker("--backends", "deepl", "--credit", "8")
    h.wait_workers(1)
    text = ("Title: Several requests\n" + " ".join("First part %d." % k for k in range(4)) + "\n\n"
            + " ".join("Second part %d." % k for k in range(5)) + "\n")
    job = c.accepted(text, backend="deepl", key="multi")["job"]
    assert c.wait_done(job) == "done"
    rec = c.fetch(job)
    order = [rec["title"]["src"]] + [s["src"] for s in segments(rec)]
    assert len(order) == 10, order
    tasks = [t for t in tasks_of(w) if t["kind"] == "translate"]
    assert [len(t["srcs"]) for t in tasks] == [4, 4, 2], [len(t["srcs"]) for t in tasks]
    assert [s for t in tasks for s in t["srcs"]] == order
    for t in tasks:
        for r in range(0, len(t["srcs"]), 2):
            ctx = t["contexts"][r]
            assert t["contexts"][r:r + 2] == [ctx] * len(t["srcs"][r:r + 2]), t     # one a request
            head = order.index(t["srcs"][r])
            if head == 0:
                assert ctx is None, t                   # the title has nothing before it
            else:
                assert ctx.startswith("Several requests\n") and ctx.endswith(order[head - 1]), (ctx, t)
    # Five requests of two texts, each counted for the job.
    assert rec["stats"]["requests"] == 5, rec["stats"]
    print("tasks: %s" % [len(t["srcs"]) for t in tasks])


SCENARIOS = {"qa": qa, "requests": requests, "packing": packing, "warning": warning, "e2e": e2e, "idempotent": idempotent, "hostile": hostile, "tm": tm, "dedup": dedup}


def main():
    honyakud, scenario = sys.argv[1], sys.argv[2]
    with Harness(honyakud, "hnyd-" + scenario, CONFIG) as h:
        SCENARIOS[scenario](h)
    print("ok")


if __name__ == "__main__":
    main()

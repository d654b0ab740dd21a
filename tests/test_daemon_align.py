#!/usr/bin/python3
"""honyakud's align jobs (PROTOCOL.md 5.1 kind "align", 5.4, 12.6) with a
worker the test drives message by message (ManualWorker): what each TASK
carries, what the broker does with each answer, and what survives a
restart. The real aligner is tested through real workers in
test_align_daemon.py.

usage: test_daemon_align.py HONYAKUD SCENARIO
  flow       each side prepared in turn (its bytes, language and path), a
             SIGKILL of honyakud between the two, the align TASK carrying
             both prepared sides; a 503 and an unusable answer go back to
             the queue; the alignment becomes a record of backend aligned
  failures   the worker's 422 and 415, a side of too many sentences (413
             before any align task), an align task that fails 6 times
             (500): each job fails with its reason, the daemon serves on
  submit     SUBMIT's checks (400, 409, 413, 422), a blank side aligned
             without a prepare, idempotent keys
  admission  an align job holds one max_jobs_in_flight slot for all its
             tasks: with one slot, its second prepare and its alignment
             go before the next job's prepare (no deadlock)
  backend    an align job with a backend: its source's sentences go out
             as translate tasks of the profile (again after a SIGKILL),
             the align task carries their translations ("mt"), the record
             bills them; the TM serves the same source to the next job"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon_util import Harness, ManualWorker  # noqa: E402

CONFIG = """
[daemon]
heartbeat_ms = 1000
lease_ms = 5000
max_article_bytes = 4096
max_jobs_in_flight = %d
"""

EN = b"Workers rally\n\nUnions held a rally on May 12. They demanded 1,500 yen.\n"
JA = "労働者が集会\n\n労組は12日、集会を開きました。時給1500円を求めました。\n".encode()


def prepared(title, sentences):
    """A prepared article (PROTOCOL.md 11) of one paragraph."""
    srcs = [title] + sentences
    return {"schema": "honyaku.prepared/1", "format": "text", "charset": "UTF-8", "replaced": 0,
            "metadata": {"title": title}, "title": {"src": title},
            "paragraphs": [{"segments": [{"src": s} for s in sentences]}],
            "stats": {"paragraphs": 1, "segments": len(sentences), "chars": sum(len(s) for s in srcs),
                      "bytes": sum(len(s.encode()) for s in srcs)}}


PREP_EN = prepared("Workers rally", ["Unions held a rally on May 12.", "They demanded 1,500 yen."])
PREP_JA = prepared("労働者が集会", ["労組は12日、集会を開きました。", "時給1500円を求めました。", "多くの人が参加しました。"])


def alignment():
    """An aligner's answer for PREP_EN / PREP_JA (5.3): a 0-1 link."""
    return {"title": {"src": "Workers rally", "tgt": "労働者が集会", "score": 0.8},
            "paragraphs": [{"segments": [
                {"src": "Unions held a rally on May 12.", "tgt": "労組は12日、集会を開きました。", "score": 0.95},
                {"src": "They demanded 1,500 yen.", "tgt": "時給1500円を求めました。", "score": 0.9},
                {"src": None, "tgt": "多くの人が参加しました。", "score": 0.4}]}],
            "score": 0.85, "warning": "a test warning",
            "stats": {"src_sentences": 2, "tgt_sentences": 3, "links": 3, "src_unlinked": 0,
                      "tgt_unlinked": 1, "kinds": {"1-1": 2, "0-1": 1}, "time_ms": 0.5}}


def submit_align(c, en=EN, ja=JA, **fields):
    """An align SUBMIT; a field given as None is left out."""
    h = {"from": "en", "to": "ja", "kind": "align", "src_bytes": len(en)}
    h.update(fields)
    return c.request("SUBMIT", {k: v for k, v in h.items() if v is not None}, en + ja)


def expect_task(w, kind, timeout=10.0):
    """The next TASK, of that kind; the broker's HEARTBEATs on the way are
    answered, so that the manual worker stays alive while the test waits."""
    deadline = time.monotonic() + timeout
    while True:
        cmd, h, body = w.recv(max(0.01, deadline - time.monotonic()))
        if cmd == "HEARTBEAT":
            w.send("HEARTBEAT")
            continue
        assert cmd == "TASK" and h["kind"] == kind, (cmd, h)
        return h, body


def restart(h, w):
    """SIGKILL honyakud, start it again, and a new manual worker."""
    h.kill_daemon()
    w.close()
    c = h.start_daemon()
    return c, ManualWorker(h.back, credit=4)


def flow(h):
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=4)
    cmd, acc, _ = submit_align(c, source="en/a.txt", target_source="ja/a.txt", metadata={"issue": "No. 9"})
    assert cmd == "ACCEPTED" and acc["state"] == "queued", acc
    job = acc["job"]
    # the source side first: its bytes, its language, its path
    t, body = expect_task(w, "prepare")
    assert body == EN and t["from"] == "en" and t["source"] == "en/a.txt" and t["job"] == job, t
    w.result(t["task"], body=PREP_EN)
    t, body = expect_task(w, "prepare")
    assert body == JA and t["from"] == "ja" and t["source"] == "ja/a.txt", t
    assert c.status(job)["state"] == "preparing"
    # honyakud dies with the target's prepare out: the source's stays done
    c, w = restart(h, w)
    t2, body = expect_task(w, "prepare")
    assert body == JA and t2["task"].split(".")[0] == t["task"].split(".")[0], (t, t2)
    w.result(t2["task"], body=PREP_JA)
    t, body = expect_task(w, "align")
    assert t["from"] == "en" and t["to"] == "ja" and json.loads(body) == {"src": PREP_EN, "tgt": PREP_JA}, t
    assert c.status(job)["state"] == "translating"
    # a worker failure and an unusable answer go back to the queue
    w.result(t["task"], status=503, reason="busy")
    t, _ = expect_task(w, "align")
    w.result(t["task"], body={"paragraphs": [{"segments": [{"src": None, "tgt": None, "score": 1}]}]})
    t, _ = expect_task(w, "align")
    w.result(t["task"], body=alignment())
    assert c.wait_done(job) == "done"
    rec = c.fetch(job)     # validated against record.schema.json and 12.5
    assert rec["backend"] == "aligned" and rec["errors"] == [], rec
    assert rec["title"] == {"src": "Workers rally", "tgt": "労働者が集会", "tm": False, "score": 0.8}, rec
    links = rec["paragraphs"][0]["segments"]
    assert links[2] == {"src": None, "tgt": "多くの人が参加しました。", "tm": False, "score": 0.4}, links
    assert rec["stats"]["segments"] == 4 and rec["stats"]["chars_billed"] == 0, rec["stats"]
    md, al = rec["metadata"], rec["alignment"]
    assert md["source"] == "en/a.txt" and md["issue"] == "No. 9" and md["format"] == "text", md
    assert al["score"] == 0.85 and al["warning"] == "a test warning" and al["stats"]["links"] == 3, al
    assert al["target_metadata"] == {"title": "労働者が集会", "source": "ja/a.txt", "charset": "UTF-8",
                                     "format": "text", "replaced": 0}, al
    st = c.status(job)
    assert st["backend"] == "aligned" and st["segments"] == 4 and st["done"] == 4, st
    # a late RESULT of the first align attempt changes nothing
    w.result(t["task"].split(".")[0] + ".1", body=alignment())
    assert c.fetch(job) == rec
    # the same SUBMIT again is the same job, after a restart too
    c, w = restart(h, w)
    cmd, again, _ = submit_align(c, source="en/a.txt", target_source="ja/a.txt", metadata={"issue": "No. 9"})
    assert cmd == "ACCEPTED" and again["job"] == job and again["existing"] is True, again
    assert c.fetch(job) == rec


def failed_with(c, job, code, text):
    assert c.wait(job)["state"] == "failed"
    rec = c.fetch(job)
    err = rec["errors"]
    assert len(err) == 1 and err[0]["code"] == code and text in err[0]["reason"], err
    assert rec["backend"] == "aligned" and "alignment" not in rec and rec["paragraphs"] == [], rec
    return err[0]["reason"]


def failures(h):
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=4)
    # the aligner refuses: the job fails with its reason
    job = submit_align(c)[1]["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    w.result(expect_task(w, "align")[0]["task"], status=422, reason="the ja side is not Japanese text")
    assert failed_with(c, job, 422, "align: the ja side is not Japanese text")
    # a side that is no text fails in its prepare, named
    job = submit_align(c, ja=b"\x00\x01binary")[1]["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], status=415, reason="not text: binary data")
    failed_with(c, job, 415, "prepare (ja side): not text: binary data")
    # a side past 20000 sentences: 413, and no align task is sent
    job = submit_align(c, ja=JA + b"3")[1]["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    big = prepared("長い", ["文%d。" % i for i in range(20001)])
    w.result(expect_task(w, "prepare")[0]["task"], body=big)
    failed_with(c, job, 413, "the ja side has about 20002 sentences, more than the 20000")
    # an align task that fails again and again: 500 after 6 tries
    job = submit_align(c, ja=JA + b"4")[1]["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    for _ in range(6):
        w.result(expect_task(w, "align")[0]["task"], status=500, reason="aligner crashed")
    failed_with(c, job, 500, "task failed 6 times")
    # the daemon serves on: a good job after all that
    job = submit_align(c, ja=JA + b"5")[1]["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    w.result(expect_task(w, "align")[0]["task"], body=alignment())
    assert c.wait_done(job) == "done" and c.fetch(job)["alignment"]["score"] == 0.85


def rejected(c, status, text, en=EN, ja=JA, **fields):
    cmd, h, _ = submit_align(c, en, ja, **fields)
    assert cmd == "REJECTED" and h["status"] == status and text in h["reason"], (cmd, h)


def submit(h):
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=4)
    rejected(c, 400, "needs src_bytes", src_bytes=None)
    rejected(c, 400, "more than the body's", src_bytes=len(EN + JA) + 1)
    rejected(c, 400, "unknown kind", kind="compare")
    rejected(c, 422, "unknown backend", backend="nosuch")
    rejected(c, 422, "both en: an alignment needs two languages", to="EN")
    rejected(c, 400, "both sides are empty", en=b" \n", ja="\u3000\n".encode())
    rejected(c, 413, "the ja side of 5000 bytes is over max_article_bytes", ja=b"x" * 5000)
    rejected(c, 400, "field 'src_bytes' must be", src_bytes="12")
    # a blank side is aligned as an empty article, without a prepare
    cmd, acc, _ = submit_align(c, ja=b"\xef\xbb\xbf \r\n\t")
    assert cmd == "ACCEPTED", acc
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    t, body = expect_task(w, "align")
    assert json.loads(body)["tgt"] == {"schema": "honyaku.prepared/1", "title": None, "paragraphs": []}, body
    empty = {"title": {"src": "Workers rally", "tgt": None, "score": 0},
             "paragraphs": [{"segments": [{"src": s["src"], "tgt": None, "score": 0}
                                          for s in PREP_EN["paragraphs"][0]["segments"]]}],
             "score": 0, "warning": "the ja side is empty: no sentence is linked",
             "stats": {"src_sentences": 2, "tgt_sentences": 0, "links": 2, "src_unlinked": 2,
                       "tgt_unlinked": 0, "kinds": {"1-0": 2}, "time_ms": 0}}
    w.result(t["task"], body=empty)
    assert c.wait_done(acc["job"]) == "done"
    rec = c.fetch(acc["job"])
    assert rec["alignment"]["score"] == 0 and "empty" in rec["alignment"]["warning"], rec
    assert rec["alignment"]["target_metadata"] == {}, rec
    # keys: the same content is the same job; a key with other content is 409;
    # where the sides split is part of the content
    cmd, again, _ = submit_align(c, ja=b"\xef\xbb\xbf \r\n\t")
    assert again["job"] == acc["job"] and again["existing"] is True, again
    cmd, moved, _ = submit_align(c, en=EN[:-1], ja=EN[-1:] + JA)
    assert cmd == "ACCEPTED" and moved["job"] != acc["job"] and moved["key"] != acc["key"], moved
    cmd, k1, _ = submit_align(c, key="pair-1")
    assert cmd == "ACCEPTED", k1
    rejected(c, 409, "was used for job %s" % k1["job"], ja=JA + b"!", key="pair-1")
    # a translate job of the same bytes is another job
    cmd, tr, _ = c.submit(EN + JA, frm="en", to="ja")
    assert cmd == "ACCEPTED" and tr["job"] not in (acc["job"], k1["job"], moved["job"]), tr


def admission(h):
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=4)
    job = submit_align(c)[1]["job"]
    other = c.accepted("A translate job.", frm="en", to="es")["job"]
    t, _ = expect_task(w, "prepare")
    assert t["job"] == job, t
    w.result(t["task"], body=PREP_EN)
    # the align job holds the one slot: its own tasks go, the other waits
    t, _ = expect_task(w, "prepare")
    assert t["job"] == job and t["from"] == "ja", t
    w.result(t["task"], body=PREP_JA)
    t, _ = expect_task(w, "align")
    assert c.status(other)["state"] == "queued"
    w.result(t["task"], body=alignment())
    assert c.wait_done(job) == "done"
    t, _ = expect_task(w, "prepare")
    assert t["job"] == other, t


def backend(h):
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=4)
    cmd, acc, _ = submit_align(c, backend="pseudo")
    assert cmd == "ACCEPTED", acc
    job = acc["job"]
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    # the source's sentences go out as translate work of the profile, the
    # title first; honyakud dies with it out and sends it again
    t, body = expect_task(w, "translate")
    srcs = [s["src"] for s in json.loads(body)["segments"]]
    assert t["profile"] == "pseudo" and srcs == ["Workers rally", "Unions held a rally on May 12.",
                                                 "They demanded 1,500 yen."], (t, srcs)
    assert c.status(job)["state"] == "translating"
    c, w = restart(h, w)
    t, body = expect_task(w, "translate")
    segs = json.loads(body)["segments"]
    assert [s["src"] for s in segs] == srcs, segs
    mt = {s: "MT " + s for s in srcs}
    w.result(t["task"], body={"segments": [{"id": s["id"], "tgt": mt[s["src"]]} for s in segs],
                              "requests": 1, "chars_billed": 67})    # its sources' bytes: shares exact
    # the align task: the source with each sentence's translation
    t, body = expect_task(w, "align")
    sent = json.loads(body)
    assert sent["tgt"] == PREP_JA and sent["src"]["title"] == {"src": "Workers rally", "mt": "MT Workers rally"}, sent
    assert [s.get("mt") for s in sent["src"]["paragraphs"][0]["segments"]] == [mt[s] for s in srcs[1:]], sent
    got = alignment()
    got["stats"]["mt_sentences"] = 2
    w.result(t["task"], body=got)
    assert c.wait_done(job) == "done"
    rec = c.fetch(job)     # validated against record.schema.json
    assert rec["stats"]["chars_billed"] == 67 and rec["stats"]["requests"] == 1, rec["stats"]
    ast = rec["alignment"]["stats"]
    assert ast["backend"] == "pseudo" and ast["mt_sentences"] == 2 and ast["mt_failed"] == 0, ast
    # another pair with this source: its translations come from the TM
    cmd, acc, _ = submit_align(c, ja=JA + b"2", backend="pseudo")
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    t, body = expect_task(w, "align")
    src = json.loads(body)["src"]
    assert [s.get("mt") for s in src["paragraphs"][0]["segments"]] == [mt[s] for s in srcs[1:]], src
    w.result(t["task"], body=alignment())
    assert c.wait_done(acc["job"]) == "done"
    rec = c.fetch(acc["job"])
    assert rec["stats"]["chars_billed"] == 0 and rec["alignment"]["stats"]["mt_sentences"] == 0, rec
    # without a backend, the same pair is another job, its task unchanged
    cmd, acc, _ = submit_align(c)
    assert acc["job"] != job, acc
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_EN)
    w.result(expect_task(w, "prepare")[0]["task"], body=PREP_JA)
    t, body = expect_task(w, "align")
    assert json.loads(body) == {"src": PREP_EN, "tgt": PREP_JA}, body


SCENARIOS = {"flow": (flow, 4), "failures": (failures, 4), "submit": (submit, 4),
             "admission": (admission, 1), "backend": (backend, 4)}


def main():
    honyakud, scenario = sys.argv[1], sys.argv[2]
    fn, slots = SCENARIOS[scenario]
    with Harness(honyakud, "hnya-" + scenario, CONFIG % slots) as h:
        fn(h)
    print("ok")


if __name__ == "__main__":
    main()

"""honyakud's store stays small and keeps everything it must (schema 4),
with the real honyakud and fake workers.

usage: test_daemon_store.py HONYAKUD SCENARIO [STORE-V3.SQL]
  size     30 articles, then the same texts under new keys (every segment
           from the TM, no translate task, and no prepare task either: the
           segments come from the first job's record; records equal but
           for the TM flags), then the first keys again (answered 'existing'): once
           honyakud is idle its state directory is at most 3 x the bytes
           of the articles it holds plus a fixed 128 KiB, which the idle
           trim gets back to; after a restart the old records read back
           byte for byte, STATUS keeps the counts, and the TM still serves
           from the compressed records
  upgrade  a schema-3 store as honyakud wrote it (tests/data/store-v3.sql):
           honyakud upgrades it, FETCH gives the old records, STATUS their
           counts, the jobs it held go on (one was translating, one was
           being prepared) and the old TM still answers
  rows     a job's record made from its segment rows in memory is the
           one made from the store: the same RESULTs (a TM hit held back
           then stored, a hit stored at once, a warning, qa flags, a
           failed segment), once in one life of honyakud and once with a
           restart between the load and the RESULT (the record then reads
           the store); the two records are equal but for ids and times;
           then a job of three translate tasks with honyakud killed after
           the first RESULT (its translations one row, its pending segments
           its sources): the same record as without the kill
  reuse_kill  jobs made from the TM alone (the same content under new
           keys: their segments are in no row, only in memory, until their
           record is stored) with honyakud killed (SIGKILL) right after a
           pipelined burst of their SUBMITs starts to be accepted, at six
           points: after the restart every job ends done with every pair
           of its article (none is left translating with neither rows nor
           record)"""
import json
import os
import random
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import stop  # noqa: E402
from test_daemon_util import Harness, ManualWorker, poll, segments, tasks_of  # noqa: E402

CONFIG = """
[daemon]
heartbeat_ms = 100
lease_ms = 5000
"""

OVERHEAD = 128 << 10            # an empty store (64 KiB: a page a table) and its WAL index


def article(n, rng):
    """About 3.5 KB of distinct sentences (no two articles share one)."""
    words = ("ministry council budget union court governor party panel wage tax city farm "
             "school harbour bridge rail energy water health report vote plan law debate").split()
    paras = []
    for p in range(5):
        sents = []
        for s in range(8):
            body = " ".join(rng.choice(words) for _ in range(rng.randint(8, 14)))
            sents.append("Item %d.%d.%d says the %s." % (n, p, s, body))
        paras.append(" ".join(sents))
    return "Title: Report %d\n%s\n" % (n, "\n\n".join(paras))


def state_bytes(h):
    """Every file of the state directory (the database, its WAL and index)."""
    state = h.fx.path("state")
    return sum(os.path.getsize(os.path.join(state, f)) for f in os.listdir(state)
               if os.path.isfile(os.path.join(state, f)) and not f.endswith(".lock"))


def wal_empty(h):
    wal = h.fx.path("state", "honyaku.db-wal")
    return not os.path.exists(wal) or os.path.getsize(wal) == 0


def run(c, texts, prefix):
    jobs = [c.accepted(t, key="%s-%d" % (prefix, i))["job"] for i, t in enumerate(texts)]
    for j in jobs:
        assert c.wait_done(j) == "done", j
    return jobs


def without_tm(rec):
    """A record but for what a TM hit changes: job, key, finish time, tm
    flags, stats, and the checks' flags (a hit never reaches a worker, so
    it carries none: PROTOCOL.md 12.2.1)."""
    rec = json.loads(json.dumps(rec))
    for k in ("job", "key", "stats", "finished"):
        rec.pop(k, None)
    for s in segments(rec) + [rec["title"]]:
        s.pop("tm")
        s.pop("qa", None)
    return rec


def size(h):
    c = h.start_daemon()
    w = h.start_worker("--credit", "8")
    rng = random.Random(11)
    texts = [article(n, rng) for n in range(30)]
    source = sum(len(t.encode()) for t in texts)
    first = run(c, texts, "first")
    # Idle: the store gives its free pages back and empties its WAL.
    poll("the idle trim to empty the WAL", lambda: wal_empty(h), timeout=15)
    assert state_bytes(h) <= 3 * source + OVERHEAD, (state_bytes(h), source)
    translated = len([t for t in tasks_of(w) if t["kind"] == "translate"])
    prepared = len([t for t in tasks_of(w) if t["kind"] == "prepare"])
    assert prepared == len(texts), prepared

    # The TM path: the same texts under new names.
    second = run(c, texts, "second")
    assert len([t for t in tasks_of(w) if t["kind"] == "translate"]) == translated, "TM missed"
    assert len([t for t in tasks_of(w) if t["kind"] == "prepare"]) == prepared, "prepared again"
    records = {}
    for a, b in zip(first, second):
        ra, rb = c.fetch(a), c.fetch(b)
        assert all(s["tm"] for s in segments(rb) + [rb["title"]]), rb
        assert rb["stats"]["tm_hits"] == rb["stats"]["segments"] == ra["stats"]["segments"], rb["stats"]
        assert without_tm(ra) == without_tm(rb)
        st = c.status(b)
        assert (st["segments"], st["done"], st["failed"]) == (rb["stats"]["segments"],) * 2 + (0,), st
        records[a] = c.request("FETCH", {"job": a})[2]
    # The no-op re-run: the first keys again.
    for i, t in enumerate(texts):
        acc = c.accepted(t, key="first-%d" % i)
        assert acc["existing"] is True and acc["job"] == first[i] and acc["state"] == "done", acc
    poll("the idle trim to empty the WAL", lambda: wal_empty(h), timeout=15)
    assert state_bytes(h) <= 3 * 2 * source + OVERHEAD, (state_bytes(h), source)

    # A restart: the records read back byte for byte, STATUS keeps the
    # counts, and the TM follows its places into the compressed records.
    assert stop(h.daemon) == 0
    c = h.start_daemon()
    h.wait_workers(1)
    for a, body in records.items():
        assert c.request("FETCH", {"job": a})[2] == body, a
        st = c.status(a)
        assert st["state"] == "done" and st["segments"] == st["done"] == json.loads(body)["stats"]["segments"], st
    third = run(c, texts[:5], "third")
    assert len([t for t in tasks_of(w) if t["kind"] == "translate"]) == translated, "TM missed after restart"
    assert len([t for t in tasks_of(w) if t["kind"] == "prepare"]) == prepared, "prepared again after restart"
    for a, b in zip(first, third):
        assert without_tm(c.fetch(a)) == without_tm(c.fetch(b))
    db = sqlite3.connect(h.fx.path("state", "honyaku.db"))
    try:
        # Nothing a finished job does not need: no segments, no raw article.
        assert db.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM contents").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM records WHERE typeof(json) != 'blob'").fetchone()[0] == 0
    finally:
        db.close()


def upgrade(h, dump):
    state = h.fx.path("state")
    os.makedirs(state, mode=0o700)
    db = sqlite3.connect(os.path.join(state, "honyaku.db"))
    with open(dump, encoding="utf-8") as f:
        db.executescript(f.read())
    old = {row[0]: row[1] for row in db.execute("SELECT job, json FROM records")}
    db.close()
    c = h.start_daemon()
    assert "upgraded to schema %d" % 7 in h.fx.log("honyakud.log")
    for job, text in old.items():
        cmd, hdr, body = c.request("FETCH", {"job": str(job)})
        assert cmd == "RECORD" and body.decode() == text, (job, hdr)
    st = c.status("2")
    assert st["state"] == "failed" and (st["segments"], st["done"], st["failed"]) == (5, 4, 1), st
    assert c.status("3")["state"] == "translating"
    w = h.start_worker()
    # The job that was translating and the one being prepared go on.
    assert c.wait_done("3") == "done" and c.wait_done("4") == "done"
    rec = c.fetch("4")
    assert rec["title"]["tgt"] == "QUEUED" and rec["paragraphs"][0]["segments"][0]["tgt"] == \
        "NO WORKER TOOK THIS ONE.", rec
    # The old TM answers a new job; a new sentence is translated.
    job = c.accepted("Title: Budget passed\nIt grows by two percent. Something new.\n", key="new")["job"]
    assert c.wait_done(job) == "done"
    segs = segments(c.fetch(job))
    assert [s["tm"] for s in segs] == [True, False], segs
    sent = [s for t in tasks_of(w) if t["kind"] == "translate" for s in t["srcs"]]
    assert "It grows by two percent." not in sent and "Budget passed" not in sent, sent
    # Known keys are still known.
    acc = c.accepted(("Title: Budget passed\nThe Diet passed the budget on Friday. It grows by two percent."
                      "\n\nOpposition parties voted against it. They called it \"a gift\" to arms makers.\n"),
                     key="one", metadata={"issue": "one"})
    assert acc["existing"] is True and acc["job"] == "1", acc
    st = c.status()
    assert st["jobs"] == {"done": 4, "failed": 1}, st


def translated(a, c, text, key, prepared, answer, restart=None):
    """One job through the manual worker a: its prepare task answered with
    `prepared`, its translate task with answer(segments of the TASK); with
    restart, honyakud is killed and started again (restart() returns the
    new client) once the translate task is out. Returns its record."""
    job = c.accepted(text, key=key)["job"]
    _, prep, _ = a.expect("TASK")
    assert prep["kind"] == "prepare", prep
    a.result(prep["task"], 200, dict(prepared, schema="honyaku.prepared/1"))
    _, task, body = a.expect("TASK")
    assert task["kind"] == "translate", task
    if restart:
        c = restart()
        a.send("READY", {"credit": 4, "backends": ["pseudo"], "name": "manual", "tasks": [task["task"]]})
        a.heartbeats(2, tasks=[task["task"]])
    a.result(task["task"], 200, {"segments": answer(json.loads(body)["segments"]), "requests": 1,
                                 "chars_billed": 40})
    assert c.wait_done(job) == "failed", job
    return c.fetch(job)


def rows(honyakud):
    first = {"title": {"src": "Night shift"}, "paragraphs": [{"segments": [{"src": "Nobody complained."}]}]}
    second = {"title": {"src": "Night shift"},
              "paragraphs": [{"segments": [{"src": "The plant runs all night."},
                                           {"src": "Workers rest in turns."}]},
                             {"segments": [{"src": "Nobody complained."}, {"src": "It broke here."}]}]}
    qa = [{"check": "number", "what": "7", "detail": "d"}]

    def upper(segs):
        return [{"id": s["id"], "tgt": s["src"].upper()} for s in segs]

    def mixed(segs):
        out = []
        for s in segs:
            if s["src"].startswith("The plant"):
                out.append({"id": s["id"], "tgt": s["src"].upper(), "warning": "markup could not be restored"})
            elif s["src"].startswith("Workers"):
                out.append({"id": s["id"], "tgt": s["src"].upper(), "qa": qa})
            else:
                out.append({"id": s["id"], "error": {"code": 422, "class": "permanent", "reason": "refused"}})
        return out
    records = []
    for restart in (False, True):
        with Harness(honyakud, "hnys-rows", CONFIG) as h:
            c = h.start_daemon()
            a = ManualWorker(h.back, credit=4)
            # The title and "Nobody complained." come from the TM in the
            # second job: the title held back (its first segment), then
            # stored when a miss comes; the other one stored at once.
            job = c.accepted("Title: Night shift\nNobody complained.\n", key="first")["job"]
            _, prep, _ = a.expect("TASK")
            a.result(prep["task"], 200, dict(first, schema="honyaku.prepared/1"))
            _, task, body = a.expect("TASK")
            a.result(task["task"], 200, {"segments": upper(json.loads(body)["segments"]), "requests": 1,
                                         "chars_billed": 30})
            assert c.wait_done(job) == "done"

            def again():
                h.kill_daemon()
                return h.start_daemon()
            rec = translated(a, c, "Title: Night shift\nThe plant runs all night. Workers rest in turns.\n\n"
                             "Nobody complained. It broke here.\n", "second", second, mixed,
                             again if restart else None)
            a.close()
        pairs = [rec["title"]] + segments(rec)
        assert [p.get("tm") for p in pairs] == [True, False, False, True, False], rec
        assert pairs[1]["warning"] == "markup could not be restored" and pairs[2]["qa"] == qa, rec
        assert pairs[4]["tgt"] is None and rec["errors"][0]["code"] == 422, rec
        assert rec["stats"]["chars_billed"] > 0 and rec["stats"]["requests"] == 1, rec
        for k in ("job", "finished"):
            rec.pop(k, None)
        rec["stats"].pop("time_ms")
        records.append(rec)
    assert records[0] == records[1], records
    print("the record from memory is the record from the store: %d pairs, %d error"
          % (len(pairs), len(records[0]["errors"])))
    between(honyakud, second, mixed)


def between(honyakud, prepared, answer):
    """A small job's translations of a RESULT are one row, its pending
    segments its sources (schema 7): killed after its first RESULT, and
    started again, honyakud makes the same record from them as one that
    ran through."""
    config = CONFIG + "[backend.pseudo]\nmax_texts = 2\n"
    records = []
    for restart in (False, True):
        with Harness(honyakud, "hnys-between", config) as h:
            c = h.start_daemon()
            a = ManualWorker(h.back, credit=4)
            job = c.accepted("Title: Night shift\nThe plant runs all night. Workers rest in turns.\n\n"
                             "Nobody complained. It broke here.\n", key="second")["job"]
            _, prep, _ = a.expect("TASK")
            a.result(prep["task"], 200, dict(prepared, schema="honyaku.prepared/1"))
            tasks = [a.expect("TASK") for _ in range(3)]
            assert all(t[1]["kind"] == "translate" for t in tasks), tasks
            first, rest = tasks[0], tasks[1:]
            a.result(first[1]["task"], 200, {"segments": answer(json.loads(first[2])["segments"]),
                                            "requests": 1, "chars_billed": 20})
            # STATUS answers after its pass commits: the RESULT is stored.
            poll("the first RESULT applied", lambda: c.status(job)["done"] + c.status(job)["failed"] == 2,
                 timeout=10)
            if restart:
                h.kill_daemon()
                c = h.start_daemon()
                st = c.status(job)
                assert st["done"] + st["failed"] == 2 and st["segments"] == 5, st
                held = [t[1]["task"] for t in rest]
                a.send("READY", {"credit": 4, "backends": ["pseudo"], "name": "manual", "tasks": held})
                a.heartbeats(2, tasks=held)
            for t in rest:
                a.result(t[1]["task"], 200, {"segments": answer(json.loads(t[2])["segments"]),
                                             "requests": 1, "chars_billed": 20})
            assert c.wait_done(job) == "failed", job
            rec = c.fetch(job)
            a.close()
            if restart:
                # nothing of the job is left but its record
                db = sqlite3.connect(h.fx.path("state", "honyaku.db"))
                try:
                    for table in ("segments", "sources", "translated"):
                        assert db.execute("SELECT count(*) FROM %s" % table).fetchone()[0] == 0, table
                finally:
                    db.close()
        pairs = [rec["title"]] + segments(rec)
        # answer() translates only the plant's (a warning) and the
        # workers' (qa flags) sentences; the others fail
        assert [p.get("tgt") is not None for p in pairs] == [False, True, True, False, False], rec
        assert pairs[1]["warning"] == "markup could not be restored" and "qa" in pairs[2], rec
        for k in ("job", "finished"):
            rec.pop(k, None)
        rec["stats"].pop("time_ms")
        records.append(rec)
    assert records[0] == records[1], records
    print("after a restart between RESULTs, the same record: %d pairs" % len(pairs))


def reuse_kill(h):
    c = h.start_daemon()
    h.start_worker("--credit", "8")
    rng = random.Random(5)
    texts = [article(n, rng) for n in range(3)]
    want = [without_tm(c.fetch(j)) for j in run(c, texts, "orig")]
    burst = 40
    for point in range(6):
        keys = ["kill%d-%d" % (point, i) for i in range(burst)]
        for i, key in enumerate(keys):
            c.send("SUBMIT", {"from": "en", "to": "es", "key": key, "req": key}, texts[i % 3].encode())
        accepted = 0
        while accepted < 1 + 6 * point:
            cmd, hdr, _ = c.recv_raw(10)
            assert cmd == "ACCEPTED", (cmd, hdr)
            accepted += 1
        h.kill_daemon()
        c = h.start_daemon()
        h.wait_workers(1)
        for i, key in enumerate(keys):
            job = c.accepted(texts[i % 3], key=key)["job"]
            assert c.wait_done(job) == "done", (key, job)
            rec = c.fetch(job)
            assert without_tm(rec) == want[i % 3], (key, rec)
    print("killed at 6 points of a burst of %d reused jobs: every record whole" % burst)


def main():
    honyakud, scenario = sys.argv[1], sys.argv[2]
    if scenario == "rows":
        rows(honyakud)
        print("ok")
        return
    with Harness(honyakud, "hnys-" + scenario, CONFIG) as h:
        if scenario == "upgrade":
            upgrade(h, sys.argv[3])
        elif scenario == "reuse_kill":
            reuse_kill(h)
        else:
            size(h)
    print("ok")


if __name__ == "__main__":
    main()

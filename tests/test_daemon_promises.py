"""honyakud keeps the promises of PROTOCOL.md that outsiders found broken
(issue 7), each with real processes: the real honyakud (--workers 0) and
fake or hand-driven workers speaking HNY/1 over pyzmq.

usage: test_daemon_promises.py HONYAKUD SCENARIO
  oversize      a SUBMIT over max_article_bytes (12 MiB, within the 64 MiB
                frame cap) is answered 413 at once; the daemon keeps serving
  credit        a RESULT for a TASK the worker did not hold returns no
                credit; the first HEARTBEAT after READY carries heartbeat_ms
  fivexx        a task answered 5xx goes to another worker that serves it,
                never back to the one that failed it
  pause         a refused batch doubles the pause once per failed probe,
                not once per segment
  admission     max_jobs_queued answers 303 (a known key still gets its
                job); max_jobs_in_flight keeps the rest queued
  unserved      a profile no worker serves: the job waits visibly
                (STATUS says why), the broker sleeps (no spin), and the
                job finishes once a worker for it registers
  slow          a backend slower than the lease: a worker that renews its
                leases is never re-leased; one that does not gets its late
                RESULT used, and nothing is sent twice
  lock          a second honyakud on the same state directory exits at
                once, naming the first one's PID
  unread        a client that pipelines requests and never reads: past the
                front's queue of unread replies the broker drops (and
                logs) the rest, keeps serving everyone else, and the
                client reads every reply that was queued
  bigresult     a translate RESULT far larger than its sources could be
                is not parsed; the task goes back for another try
  adopt         honyakud killed while a worker translates: the worker
                registers again with the restarted one listing the task,
                which stays with it (no other worker gets it, nothing is
                sent twice) and its RESULT is used
  orphan        honyakud killed while a worker translates, and the task's
                row then names a segment that is gone: the restarted one
                drops the task whole (its ids could not be trusted), queues
                the job's segments again, and never uses the old task's
                RESULT
  fulldisk      the state directory is a 2 MiB tmpfs that fills: new SUBMITs
                get 507, STATUS/WAIT/FETCH keep working, nothing accepted is
                lost, and once room is made the daemon carries on by itself
                (without a tmpfs, max_store_bytes and SIGHUP stand in)"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon_util import Client, Harness, ManualWorker, poll, segments, tasks_of  # noqa: E402

TEXT = "Title: Night shift\nThe plant runs all night. Workers rest in turns.\n\nNobody complained.\n"


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def oversize(h):
    h.fx.write("honyaku.conf", "[daemon]\nmax_article_bytes = 1048576\n")
    c = h.start_daemon()
    start = time.monotonic()
    cmd, rh, _ = c.request("SUBMIT", {"from": "en", "to": "es"}, b"x" * (12 << 20), timeout=10)
    took = time.monotonic() - start
    assert cmd == "REJECTED" and rh["status"] == 413, (cmd, rh)
    assert "max_article_bytes" in rh["reason"] and rh["req"], rh
    print("12 MiB SUBMIT answered 413 in %.2f s" % took)
    cmd, rh, _ = c.request("SUBMIT", {"from": "en", "to": "es"}, b"x" * (1048576 + 1))
    assert cmd == "REJECTED" and rh["status"] == 413, (cmd, rh)
    cmd, rh, _ = c.request("SUBMIT", {"from": "en", "to": "es"}, b"x" * 1048576)
    assert cmd == "ACCEPTED", (cmd, rh)
    assert c.status()["jobs"] == {"queued": 1}


def credit(h):
    h.fx.write("honyaku.conf", "[daemon]\nheartbeat_ms = 150\n")
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=1)
    cmd, hb, _ = w.recv(5)
    assert cmd == "HEARTBEAT" and hb.get("heartbeat_ms") == 150, (cmd, hb)
    jobs = [c.accepted(TEXT, key="k%d" % i)["job"] for i in range(2)]
    _, task, _ = w.expect("TASK")
    assert task["kind"] == "prepare", task
    # RESULTs for TASKs it does not hold: nothing may come back for them.
    tid = task["task"]
    w.result("T999999.1", 200, b"{}")
    w.result(tid.split(".")[0] + ".7", 503, reason="wrong attempt")
    others = w.heartbeats(2)
    assert not [m for m in others if m[0] == "TASK"], others
    assert "no credit back" in h.fx.log("honyakud.log")
    # Its own RESULT returns the credit: the next task comes.
    prepared = {"schema": "honyaku.prepared/1", "title": None,
                "paragraphs": [{"segments": [{"src": "One sentence."}]}]}
    w.result(tid, 200, prepared)
    _, nxt, _ = w.expect("TASK")
    assert nxt["task"] != tid, nxt
    w.close()
    assert c.status(jobs[0])["state"] in ("translating", "done"), c.status(jobs[0])


def fivexx(h):
    c = h.start_daemon()
    bad = h.start_worker("--on-translate", "err500", "--credit", "8", name="bad")
    poll("the first worker", lambda: h.workers() == 1, 10)
    good = h.start_worker("--credit", "1", name="good")
    h.wait_workers(2)
    jobs = [c.accepted(TEXT + "Copy %d.\n" % i, key="j%d" % i)["job"] for i in range(4)]
    for job in jobs:
        assert c.wait_done(job) == "done"
    failed = [t["task"] for t in tasks_of(bad) if t["kind"] == "translate"]
    again = [t["task"] for t in tasks_of(good) if t["kind"] == "translate"]
    assert failed, "the failing worker got no translate task"
    for t in failed:
        tid, attempt = t.split(".")
        assert attempt == "1", ("the failing worker got a task back", t, failed)
        assert "%s.%d" % (tid, int(attempt) + 1) in again, (t, again)
    for job in jobs:
        rec = c.fetch(job)
        assert all(s["tgt"] == s["src"].upper() for s in segments(rec)), rec


def pause(h):
    h.fx.write("honyaku.conf", "[backend.pseudo]\nretry_base_ms = 100\nmax_texts = 10\n")
    c = h.start_daemon()
    # Five segments in one task, each refused twice ("quota exceeded").
    text = "Title: Quota\nOne is here. Two is here. Three is here. Four is here. Five is here.\n"
    w = h.start_worker("--on-translate", "paused:2")
    job = c.accepted(text)["job"]
    assert c.wait_done(job, 30000) == "done"
    log = h.fx.log("honyakud.log")
    probes = [line for line in log.splitlines() if "next probe in" in line]
    waits = [int(line.split("next probe in ")[1].split()[0]) for line in probes]
    # First pause 100 ms; the one failed probe doubles it once: 200 ms.
    assert waits == [200], (waits, probes)
    assert "profile pseudo paused" in log and "profile pseudo resumed" in log
    translate = [t for t in tasks_of(w) if t["kind"] == "translate"]
    # One task of six (title and five sentences), refused; a probe, refused;
    # a probe that goes through.
    assert len(translate) == 3 and all(len(t["srcs"]) == 6 for t in translate), translate
    # The probes say so (a DeepL worker asks the free /v2/usage first).
    assert [t["probe"] for t in translate] == [False, True, True], translate
    # ... and the wait before the last probe is that 200 ms, not the
    # 60 x retry_base_ms cap that doubling per segment reaches.
    gap = translate[2]["t"] - translate[1]["t"]
    print("waits between probes: %s ms; measured %.0f ms" % (waits, gap * 1000))
    assert 0.15 <= gap < 2.0, gap
    rec = c.fetch(job)
    assert not rec["errors"], rec


def admission(h):
    h.fx.write("honyaku.conf", "[daemon]\nmax_jobs_queued = 3\nmax_jobs_in_flight = 1\n")
    c = h.start_daemon()
    jobs = [c.accepted(TEXT, key="a%d" % i)["job"] for i in range(3)]
    cmd, rh, _ = c.submit(TEXT, key="a3")
    assert cmd == "REJECTED" and rh["status"] == 303 and "max_jobs_queued" in rh["reason"], (cmd, rh)
    again = c.accepted(TEXT, key="a1")
    assert again["existing"] is True and again["job"] == jobs[1], again
    holder = h.start_worker("--on-prepare", "hold", "--credit", "4")
    poll("one prepare task", lambda: len(tasks_of(holder)) == 1, 10)
    assert c.status()["jobs"] == {"queued": 2, "preparing": 1}, c.status()
    holder.kill()
    holder.wait()
    h.start_worker()
    for job in jobs:
        assert c.wait_done(job) == "done"
    assert c.accepted(TEXT, key="a3")["existing"] is False


def unserved(h):
    h.fx.write("honyaku.conf", "[backend.pseudo]\n\n[backend.other]\ntype = pseudo\n")
    c = h.start_daemon()
    h.start_worker("--backends", "pseudo")
    h.wait_workers(1)
    job = c.accepted(TEXT, backend="other")["job"]
    st = poll("the job to wait for a worker",
              lambda: (lambda s: s if s.get("waiting") else None)(c.status(job)), 10)
    assert st["state"] == "translating" and st["waiting"] == "no worker serves profile other", st
    prof = {p["name"]: p for p in c.status()["profiles"]}
    assert prof["other"]["workers"] == 0 and prof["other"]["waiting"] == "no worker serves profile other", prof
    # The broker sleeps: over 50 STATUS round trips it uses a fraction of the time.
    pid = h.daemon.pid
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    for _ in range(50):
        c.status()
        time.sleep(0.01)        # pacing the requests, not waiting for a state
    cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - wall0
    print("honyakud CPU while the job waits: %.3f s over %.3f s" % (cpu, wall))
    assert cpu < 0.5 * wall, (cpu, wall)
    h.start_worker("--backends", "other")
    assert c.wait_done(job) == "done"
    assert "waiting" not in c.status(job)


def slow(h):
    h.fx.write("honyaku.conf", "[daemon]\nheartbeat_ms = 100\nlease_ms = 300\n")
    c = h.start_daemon()
    # A renewing worker on a backend three times slower than the lease.
    renewing = h.start_worker("--on-translate", "slow:900", "--renew", name="renewing")
    h.wait_workers(1)
    job = c.accepted(TEXT, key="renew")["job"]
    assert c.wait_done(job) == "done"
    tasks = [t["task"] for t in tasks_of(renewing) if t["kind"] == "translate"]
    assert tasks and all(t.endswith(".1") for t in tasks), tasks
    renewing.kill()
    renewing.wait()
    h.wait_workers(0)
    # A worker that does not renew: its lease runs out, but it still holds
    # its credit (1), so nothing else can take the task; its late RESULT is
    # used.
    late = h.start_worker("--on-translate", "slow:900", "--credit", "1", name="late")
    job = c.accepted(TEXT + "Again.\n", key="late")["job"]
    assert c.wait_done(job) == "done"
    tasks = [t["task"] for t in tasks_of(late) if t["kind"] == "translate"]
    assert tasks and all(t.endswith(".1") for t in tasks), tasks
    log = h.fx.log("honyakud.log")
    assert "lease expired" in log and "used (late" in log, log[-3000:]
    rec = c.fetch(job)
    assert all(s["tgt"] == s["src"].upper() for s in segments(rec)) and not rec["errors"], rec


def lock(h):
    h.start_daemon()
    start = time.monotonic()
    r = subprocess.run([h.honyakud, "--state", h.fx.path("state"), "--workers", "0"],
                       capture_output=True, timeout=10)
    took = time.monotonic() - start
    err = r.stderr.decode()
    assert r.returncode == 1, (r.returncode, err)
    assert "another honyakud (pid %d) uses" % h.daemon.pid in err, err
    print("the second honyakud left in %.2f s" % took)
    # The first one still serves.
    assert h.client.status()["store"] == "ok"


def unread(h):
    import zmq
    h.start_daemon()
    c = Client(h.front)
    c.sock.setsockopt(zmq.RCVHWM, 1)    # the broker's queue is the one that fills
    sent = 12000                        # PROTOCOL.md 8: 10000 unread replies a connection
    for i in range(sent):
        c.send("STATUS", {"req": i})
    poll("the broker to log a dropped reply",
         lambda: "leave their replies unread" in h.fx.log("honyakud.log"), timeout=30)
    # Others are served meanwhile.
    assert h.client.request("STATUS", timeout=5)[0] == "STATUS"
    got = []
    while True:
        try:
            cmd, rh, _ = c.recv(timeout=1.0)
        except AssertionError:
            break
        assert cmd == "STATUS", cmd
        got.append(rh["req"])
    assert 10000 <= len(got) < sent, len(got)
    assert got == sorted(got), "replies out of order"
    # The same connection, read as it goes, is answered again.
    assert c.request("STATUS", timeout=5)[0] == "STATUS"
    c.close()
    print("%d pipelined STATUS never read: %d answered, the rest dropped and logged" % (sent, len(got)))


def fulldisk(h):
    state = h.fx.path("state")
    os.makedirs(state, mode=0o700)
    # HNY_TEST_NO_TMPFS=1 runs the stand-in even where mount works.
    tmpfs = os.environ.get("HNY_TEST_NO_TMPFS") != "1" and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", state], capture_output=True).returncode == 0
    try:
        _fulldisk(h, state, tmpfs)
    except BaseException:
        sys.stderr.write("---- honyakud.log ----\n" + h.fx.log("honyakud.log")[-6000:] + "\n")
        raise
    finally:
        if tmpfs:
            h.close()           # stop honyakud before its disk goes
            subprocess.run(["umount", "-l", state])


def _fulldisk(h, state, tmpfs):
    ballast = os.path.join(state, "ballast")
    if tmpfs:
        with open(ballast, "wb") as f:
            f.write(b"\0" * (640 << 10))
        print("state directory: a 2 MiB tmpfs with 640 KiB of ballast")
    else:
        h.fx.write("honyaku.conf", "[daemon]\nmax_store_bytes = 1048576\n")
        print("no tmpfs (mount refused): max_store_bytes = 1 MiB stands in for the disk")
    c = h.start_daemon()
    w = h.start_worker("--credit", "8")
    h.wait_workers(1)
    accepted, refused = {}, None
    for i in range(3000):
        text = "Title: Page %d\n" % i + " ".join("Sentence %d of page %d is here." % (k, i)
                                                 for k in range(150)) + "\n"
        cmd, rh, _ = c.submit(text, key="p%d" % i)
        if cmd == "ACCEPTED":
            accepted[rh["job"]] = text
            continue
        refused = (cmd, rh)
        break
    assert refused and refused[1]["status"] == 507, refused
    print("%d articles accepted before the disk filled; then: %s" % (len(accepted), refused[1]["reason"]))
    st = c.status()
    assert st["store"] == "full", st
    # Reads go on: STATUS of every accepted job, a known key, FETCH of a done one.
    for job in accepted:
        assert c.status(job)["state"] in ("queued", "preparing", "translating", "done"), c.status(job)
    again = c.accepted(accepted[next(iter(accepted))], key="p0")
    assert again["existing"] is True, again
    done = [j for j in accepted if c.status(j)["state"] == "done"]
    if done:
        assert c.fetch(done[0])["job"] == done[0]
    assert h.daemon.poll() is None, "honyakud exited on a full disk"
    # Room again: the daemon finds out by itself.
    if tmpfs:
        os.unlink(ballast)
    else:
        h.fx.write("honyaku.conf", "[daemon]\nmax_store_bytes = 0\n")
        h.daemon.send_signal(signal.SIGHUP)
    poll("the store to take writes again", lambda: c.status()["store"] == "ok", 30)
    for job, text in accepted.items():
        assert c.wait_done(job, 60000) == "done", job
    for job in list(accepted)[:20]:
        rec = c.fetch(job)
        assert all(s["tgt"] == s["src"].upper() for s in segments(rec)) and not rec["errors"], rec
    # Each accepted article was done once: one job per key, no job lost.
    st = c.status()
    assert st["jobs"] == {"done": len(accepted)}, (st["jobs"], len(accepted))
    assert c.accepted("Title: After\nRoom again.\n", key="after")["existing"] is False
    log = h.fx.log("honyakud.log")
    assert log.count("the store cannot take writes") == 1, log.count("the store cannot take writes")
    assert "takes writes again" in log
    assert w.poll() is None


def _killed_holding(h, title):
    """A job of three segments prepared by a hand-driven worker A, which
    then holds its translate task when honyakud is killed: (A, job, the
    TASK's header, its body)."""
    h.fx.write("honyaku.conf", "[daemon]\nheartbeat_ms = 100\nlease_ms = 5000\n")
    c = h.start_daemon()
    a = ManualWorker(h.back, credit=4)
    job = c.accepted("Title: %s\nOne sentence here. Another one.\n" % title)["job"]
    _, prep, _ = a.expect("TASK")
    a.result(prep["task"], 200, {"schema": "honyaku.prepared/1", "title": {"src": title},
                                 "paragraphs": [{"segments": [{"src": "One sentence here."},
                                                              {"src": "Another one."}]}]})
    _, task, body = a.expect("TASK")
    assert task["kind"] == "translate", task
    h.kill_daemon()
    return a, job, task, body


def adopt(h):
    a, job, task, body = _killed_holding(h, "Kept")
    c = h.start_daemon()
    # The same socket reconnects by itself; the worker registers again
    # with the task it still works on.
    a.send("READY", {"credit": 4, "backends": ["pseudo"], "name": "manual", "tasks": [task["task"]]})
    b = h.start_worker(name="other")
    h.wait_workers(2)
    # Well past the restart's grace (3 heartbeats): the task stays with A.
    others = a.heartbeats(8, tasks=[task["task"]])
    assert not [m for m in others if m[0] == "TASK"], others
    segs = json.loads(body)["segments"]
    a.result(task["task"], 200, {"segments": [{"id": s["id"], "tgt": s["src"].upper()} for s in segs],
                                 "requests": 1, "chars_billed": 1})
    assert c.wait_done(job) == "done"
    tid = task["task"].split(".")[0]
    assert not [t for t in tasks_of(b) if t["task"].startswith(tid + ".")], tasks_of(b)
    assert "1 tasks in hand" in h.fx.log("honyakud.log")
    rec = c.fetch(job)
    assert all(s["tgt"] == s["src"].upper() for s in segments(rec)), rec
    a.close()


def orphan(h):
    a, job, task, body = _killed_holding(h, "Gone")
    # The row names its segments by place ({"ref": [job, para, idx]}): make
    # the last one name a job that does not exist.
    db = sqlite3.connect(h.fx.path("state", "honyaku.db"))
    tid = int(task["task"].split(".")[0].lstrip("T"))     # T<id>.<attempt>
    payload = json.loads(db.execute("SELECT payload FROM tasks WHERE id=?", (tid,)).fetchone()[0])
    entries = payload["segments"]
    assert entries and all(list(e) == ["ref"] and e["ref"][0] == int(job) for e in entries), payload
    entries[-1]["ref"][0] = 999999
    db.execute("UPDATE tasks SET payload=? WHERE id=?", (json.dumps(payload), tid))
    db.commit()
    db.close()
    c = h.start_daemon()
    a.send("READY", {"credit": 4, "backends": ["pseudo"], "name": "manual", "tasks": [task["task"]]})
    b = h.start_worker(name="other")
    assert c.wait_done(job) == "done"
    # The old task's RESULT comes late: not used (the record is b's).
    segs = json.loads(body)["segments"]
    a.result(task["task"], 200, {"segments": [{"id": s["id"], "tgt": "OLD " + s["src"]} for s in segs],
                                 "requests": 1, "chars_billed": 1})
    new = [t for t in tasks_of(b) if t.get("kind") == "translate"]
    assert new and all(not t["task"].startswith("T%d." % tid) for t in new), new
    rec = c.fetch(job)
    assert [s["tgt"] for s in segments(rec)] == ["ONE SENTENCE HERE.", "ANOTHER ONE."], rec
    assert rec["title"]["tgt"] == "GONE", rec
    assert c.status(job)["state"] == "done"
    a.close()


def bigresult(h):
    """A worker answers a one-sentence task with a 4 MiB body: not parsed
    (it would cost ten times that), the task goes back for another try."""
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=1)
    c.accepted("Title: Small\nOne sentence.\n")
    _, prep, _ = w.expect("TASK")
    w.result(prep["task"], 200, {"schema": "honyaku.prepared/1", "title": None,
                                 "paragraphs": [{"segments": [{"src": "One sentence."}]}]})
    _, task, _ = w.expect("TASK")
    w.result(task["task"], 200, b'{"segments": [], "pad": "' + b"x" * (4 << 20) + b'"}')
    _, again, _ = w.expect("TASK")
    tid = task["task"].split(".")[0]
    assert again["task"] == tid + ".2", (task, again)
    assert "translate result over its size cap" in h.fx.log("honyakud.log")
    w.close()


def _next_task(w, timeout=10.0):
    """The next TASK, answering the broker's HEARTBEATs meanwhile (a
    transient retry waits about a second)."""
    deadline = time.monotonic() + timeout
    while True:
        cmd, header, body = w.recv(max(0.01, deadline - time.monotonic()))
        if cmd == "TASK":
            return header, body
        assert cmd == "HEARTBEAT", (cmd, header)
        w.send("HEARTBEAT", None)


def strictresult(h):
    """RESULT bodies that cJSON alone would read and the protocol refuses
    (proto/hny_json.h): the body is unusable, or the segment has no
    result; either way the segment goes out again and its translation
    is the later, well-formed one, never the refused text."""
    tail = b',"requests":1,"chars_billed":1}'
    cases = [
        b'{"segments":[{"id":0,"tgt":"BAD\xc3"}]' + tail,             # invalid UTF-8
        b'{"segments":[{"id":0,"tgt":"BAD"}],"segments":[]' + tail,   # a duplicate name
        b'{"segments":[{"id":0,"tgt":"BAD","tgt":"BAD2"}]' + tail,    # ... in a segment
        b'{"segments":[{"id":0,"tgt":"BAD\\u0000"}]' + tail,         # NUL: cut C strings
        b'{"segments":[{"id":0,"tgt":"BAD"}]' + tail + b'}',           # trailing garbage
        b'{"segments":[{"id":0e0,"tgt":"BAD"}]' + tail,               # an id with an exponent
        b'{"segments":[{"id":0.0,"tgt":"BAD"}]' + tail,               # ... with a fraction
        b'{"segments":[{"id":9223372036854775808,"tgt":"BAD"}]' + tail,    # 2^63: past int64
        b'{"segments":[{"id":18446744073709551616,"tgt":"BAD"}]' + tail,   # 2^64 (0 as a double mod 2^64)
    ]
    c = h.start_daemon()
    w = ManualWorker(h.back, credit=1)
    for k, bad in enumerate(cases):
        src = "Case number %d is here." % k
        job = c.accepted("%s\n" % src)["job"]
        header, _ = _next_task(w)
        w.result(header["task"], 200, {"schema": "honyaku.prepared/1", "title": None,
                                       "paragraphs": [{"segments": [{"src": src}]}]})
        header, body = _next_task(w)
        assert header["kind"] == "translate" and json.loads(body)["segments"][0]["src"] == src, header
        w.result(header["task"], 200, bad)
        header, body = _next_task(w)
        segs = json.loads(body)["segments"]
        assert [s["src"] for s in segs] == [src], (k, segs)
        w.result(header["task"], 200, {"segments": [{"id": segs[0]["id"], "tgt": src.upper()}],
                                       "requests": 1, "chars_billed": 1})
        assert c.wait_done(job) == "done", k
        got = [s["tgt"] for s in segments(c.fetch(job))]
        assert got == [src.upper()], (k, got)
    assert "translate result without a segments array" in h.fx.log("honyakud.log")
    w.close()


SCENARIOS = {f.__name__: f for f in (oversize, credit, fivexx, pause, admission, unserved, slow, lock,
                                     fulldisk, adopt, orphan, bigresult, unread, strictresult)}


def main():
    honyakud, scenario = sys.argv[1], sys.argv[2]
    with Harness(honyakud, "hnyp-" + scenario) as h:
        SCENARIOS[scenario](h)
    print("ok: " + scenario)


if __name__ == "__main__":
    main()

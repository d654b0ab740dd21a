"""honyakud with fake workers that fail: nothing accepted is lost, nothing
loops forever.

usage: test_daemon_faults.py HONYAKUD SCENARIO
  worker_killed  a worker dies mid-task: the task is leased to another
                 worker and the job completes exactly once
  lease          a worker holds a task: the lease runs out, another worker
                 completes it
  broker_killed  honyakud killed with SIGKILL and restarted: accepted jobs
                 (queued, and leased at the kill) complete
  transient      transient errors are retried; past `retries` the segment
                 fails with its reason
  failures       prepare 4xx fails the job with a record; a worker that
                 answers 500 every time fails the job after 6 leases"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_daemon_util import Harness, poll, segments, tasks_of  # noqa: E402

CONFIG = """
[daemon]
heartbeat_ms = 100
lease_ms = %d

[backend.pseudo]
retries = %d
retry_base_ms = 20
"""

TEXT = "Title: Night shift\nThe plant runs all night. Workers rest in turns.\n\nNobody complained.\n"


def translate_tasks(proc):
    return [t for t in tasks_of(proc) if t["kind"] == "translate"]


def worker_killed(h):
    c = h.start_daemon()
    dying = h.start_worker("--on-translate", "die")
    job = c.accepted(TEXT)["job"]
    poll("the worker to die mid-task", lambda: dying.poll() is not None, 15)
    assert translate_tasks(dying), tasks_of(dying)
    first = translate_tasks(dying)[0]["task"]
    good = h.start_worker()
    assert c.wait_done(job) == "done"
    again = [t["task"] for t in translate_tasks(good)]
    tid, attempt = first.split(".")
    assert "%s.%d" % (tid, int(attempt) + 1) in again, (first, again)
    rec = c.fetch(job)
    assert all(s["tgt"] == s["src"].upper() for s in segments(rec)) and not rec["errors"], rec
    assert c.status()["jobs"] == {"done": 1}, c.status()
    assert c.status()["workers"] == 1


def lease(h):
    c = h.start_daemon()
    holder = h.start_worker("--on-translate", "hold", "--credit", "1")
    job = c.accepted(TEXT)["job"]
    poll("the held translate task", lambda: translate_tasks(holder), 15)
    assert c.status(job)["state"] == "translating"
    good = h.start_worker()
    assert c.wait_done(job, 20000) == "done"
    held = translate_tasks(holder)[0]["task"]
    tid = held.split(".")[0]
    assert any(t["task"].startswith(tid + ".") and t["task"] != held for t in translate_tasks(good)), \
        (held, translate_tasks(good))
    assert c.status()["workers"] == 2, "the holder heartbeats: it is still alive"
    assert "lease expired" in h.fx.log("honyakud.log")
    # SIGTERM drains: it leaves within its deadline even with a task held.
    c.accepted("One more for the holder.\n", key="held-at-exit")
    poll("a second held task", lambda: len(translate_tasks(holder)) >= 2 or
         len(translate_tasks(good)) >= 2, 10)
    h.daemon.terminate()
    assert h.daemon.wait(10) == 0


def broker_killed(h):
    c = h.start_daemon()
    holder = h.start_worker("--on-translate", "hold")
    leased = c.accepted(TEXT, key="leased")["job"]
    poll("the held translate task", lambda: translate_tasks(holder), 15)
    holder.kill()
    holder.wait()
    queued = c.accepted("A job accepted just before the crash. It has two sentences.\n", key="queued")["job"]
    h.kill_daemon()
    c = h.start_daemon()
    st = c.status(queued)
    assert st["state"] in ("queued", "preparing"), st
    assert c.status(leased)["state"] == "translating", c.status(leased)
    h.start_worker()
    assert c.wait_done(leased) == "done"
    assert c.wait_done(queued) == "done"
    for j in (leased, queued):
        rec = c.fetch(j)
        assert segments(rec) and all(s["tgt"] == s["src"].upper() for s in segments(rec)), rec
    # The same keys after the restart: the same jobs.
    assert c.accepted(TEXT, key="leased")["job"] == leased
    assert c.status()["jobs"] == {"done": 2}, c.status()


def transient(h):
    c = h.start_daemon()
    w = h.start_worker("--on-translate", "transient:2")
    job = c.accepted(TEXT, key="retried")["job"]
    assert c.wait_done(job) == "done"
    assert len(translate_tasks(w)) >= 3, translate_tasks(w)
    rec = c.fetch(job)
    assert not rec["errors"] and all(s["tgt"] for s in segments(rec)), rec
    w = h.replace_worker(w, "--on-translate", "transient:100")
    bad = c.accepted("This sentence never makes it.\n", key="doomed")["job"]
    assert c.wait_done(bad) == "failed"
    rec = c.fetch(bad)
    errs = rec["errors"]
    assert len(errs) == 1 and errs[0]["class"] == "transient" and errs[0]["code"] == 503, errs
    assert "after 3 tries" in errs[0]["reason"], errs
    assert segments(rec)[0]["tgt"] is None, rec
    st = c.status(bad)
    assert st["state"] == "failed" and st["failed"] == 1 and "segments failed" in st["error"], st
    # "paused": the profile stops, STATUS says why, a probe after the backoff resumes it.
    h.replace_worker(w, "--on-translate", "paused:1")
    h.wait_workers(1)
    job = c.accepted("Quota is exhausted for now.\n", key="paused")["job"]
    poll("the profile to pause",
         lambda: any(p.get("paused") for p in c.status()["profiles"]) or c.status(job)["state"] == "done", 10)
    assert c.wait_done(job) == "done"
    assert "profile pseudo paused" in h.fx.log("honyakud.log")
    assert "profile pseudo resumed" in h.fx.log("honyakud.log")
    assert not any(p.get("paused") for p in c.status()["profiles"]), c.status()


def failures(h):
    c = h.start_daemon()
    w = h.start_worker("--on-prepare", "fail422")
    job = c.accepted("whatever", key="noarticle")["job"]
    assert c.wait_done(job) == "failed"
    rec = c.fetch(job)
    assert rec["paragraphs"] == [] and rec["title"] is None, rec
    assert rec["errors"][0]["paragraph"] is None and rec["errors"][0]["code"] == 422, rec["errors"]
    assert "no article found" in c.status(job)["error"], c.status(job)
    w = h.replace_worker(w, "--on-translate", "err500")
    job = c.accepted("The backend keeps failing.\n", key="err500")["job"]
    assert c.wait_done(job) == "failed"
    assert len(translate_tasks(w)) == 6, translate_tasks(w)
    rec = c.fetch(job)
    assert "failed 6 times" in rec["errors"][0]["reason"], rec["errors"]


SCENARIOS = {
    "worker_killed": (worker_killed, 60000, 5),
    "lease": (lease, 1500, 5),
    "broker_killed": (broker_killed, 60000, 5),
    "transient": (transient, 60000, 3),
    "failures": (failures, 60000, 5),
}


def main():
    honyakud, scenario = sys.argv[1], sys.argv[2]
    fn, lease_ms, retries = SCENARIOS[scenario]
    with Harness(honyakud, "hnyd-" + scenario, CONFIG % (lease_ms, retries)) as h:
        fn(h)
    print("ok")


if __name__ == "__main__":
    main()

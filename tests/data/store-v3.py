#!/usr/bin/python3
"""store-v3.py: how tests/data/store-v3.sql was made: a store of schema 3
written by honyakud as it was before schema 4 (commit 71e4450), dumped as
SQL so that the upgrade tests start from what that code wrote, not from a
copy of its schema.

    store-v3.py HONYAKUD-OF-SCHEMA-3 > tests/data/store-v3.sql

It runs that honyakud (--workers 0) with the fake worker on a private
directory and leaves, when it is killed: job 1 done (a title, two
paragraphs), job 2 done with one segment failed (the worker refuses one
sentence), their TM entries, job 3 translating with its translate task
leased (the worker holds it), and job 4 queued with its raw article (no
worker took it). The dump ends with PRAGMA user_version=3 (iterdump leaves
the pragma out)."""
import json
import os
import signal
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from test_daemon_util import Harness, ManualWorker  # noqa: E402

ONE = ("Title: Budget passed\nThe Diet passed the budget on Friday. It grows by two percent.\n\n"
       "Opposition parties voted against it. They called it \"a gift\" to arms makers.\n")
TWO = ("Title: Wages\nThe minimum wage rises in October. It grows by two percent.\n\n"
       "Unions said it was not enough. A refused sentence.\n")
THREE = "Title: Held\nThis one is held by its worker.\n"
FOUR = "Title: Queued\nNo worker took this one.\n"


def main():
    h = Harness(sys.argv[1], "storev3", "[daemon]\nheartbeat_ms = 5000\nlease_ms = 60000\n")
    try:
        c = h.start_daemon()
        w = ManualWorker(h.back, credit=4)
        jobs = []
        for key, text in (("one", ONE), ("two", TWO)):
            job = c.accepted(text, key=key, metadata={"issue": key})["job"]
            jobs.append(job)
            _, prep, body = w.expect("TASK")
            w.result(prep["task"], 200, split(body.decode()))
            _, task, tbody = w.expect("TASK")
            segs = json.loads(tbody)["segments"]
            out = []
            for s in segs:
                if s["src"] == "A refused sentence.":
                    out.append({"id": s["id"], "error": {"class": "permanent", "code": 422,
                                                         "reason": "refused"}})
                else:
                    out.append({"id": s["id"], "tgt": s["src"].upper()})
            w.result(task["task"], 200, {"segments": out, "requests": 1, "chars_billed": 10})
            assert c.wait_done(job) in ("done", "failed")
        held = c.accepted(THREE, key="three")["job"]
        _, prep, body = w.expect("TASK")
        w.result(prep["task"], 200, split(body.decode()))
        w.expect("TASK")                        # the translate task, held
        w.close()
        c.accepted(FOUR, key="four")
        c.status(held)                          # a pass after the SUBMIT: committed
        h.kill_daemon()
        db = sqlite3.connect(h.fx.path("state", "honyaku.db"))
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        print("-- tests/data/store-v3.sql: a schema-3 store as honyakud 71e4450 wrote it")
        print("-- (made by tests/data/store-v3.py; see there)")
        for line in db.iterdump():
            print(line)
        print("PRAGMA user_version=3;")
        db.close()
    finally:
        h.close()


def split(text):
    sys.path.insert(0, os.path.dirname(HERE))
    from fake_worker import split_article
    return split_article(text)


if __name__ == "__main__":
    main()

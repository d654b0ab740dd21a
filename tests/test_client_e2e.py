"""The honyaku command against the real honyakud and honyaku-worker.

usage: test_client_e2e.py HONYAKUD HONYAKU SAMPLE            (daemon and prepare)
       test_client_e2e.py --prepare-only HONYAKU SAMPLE      (prepare alone)

Starts `honyakud --state TMP --workers 2` (no config: the built-in pseudo
profile alone) on a private ipc:// endpoint, runs `honyaku batch` over a
temporary folder of 5 small articles (5 records in records.jsonl), runs it
again (the same jobs, no new ones), then checks submit/wait/fetch on one
file. `honyaku prepare` on the Japan Press Weekly sample must find its
title; that part needs no daemon."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, read_jsonl, run, validate_prepared, validate_record  # noqa: E402

SAMPLE_TITLE = "'Threat' recognized in Japan-US '2+2' talks shifts to China and Russia from DPRK"

ARTICLES = {
    "2019/a-budget.txt": "The Diet passed the budget on Friday.\n\nCritics said it favours the military.\n",
    "2019/b-wages.txt": "Real wages fell for the third month. Workers demand a raise.\n",
    "2020/c-election.txt": "Voters went to the polls in Tokyo.\n\nTurnout was low.\n",
    "2020/sub/d-energy.txt": "The utility plans to restart two reactors. Residents object.\n",
    "e-letter.txt": "A reader writes about the local library closing.\n",
}


def test_prepare(honyaku, sample):
    code, out, err = run([honyaku, "prepare", "--format", "jpw", sample])
    art = validate_prepared(json.loads(out))
    assert art["schema"] == "honyaku.prepared/1", art.get("schema")
    assert art["title"]["src"] == SAMPLE_TITLE, art["title"]
    assert art["metadata"]["date"] == "2019-04-21", art["metadata"]
    code, out, err = run([honyaku, "prepare", "-"], input=open(sample, "rb").read())
    assert json.loads(out)["title"]["src"] == SAMPLE_TITLE
    code, out, err = run([honyaku, "prepare", "--format", "pdf", sample], check=False)
    assert code == 2, (code, err)
    print("prepare: ok")


def test_daemon(honyakud, honyaku):
    with Fixture("hnycli") as fx:
        front = fx.start_daemon(honyakud, workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        try:
            def up():
                if fx.daemon.poll() is not None:
                    raise AssertionError("honyakud exited with %d" % fx.daemon.returncode)
                return run([honyaku, "--timeout", "300", "status"], env=env, check=False)[0] == 0
            poll("honyakud to answer STATUS", up, timeout=20)

            src = fx.path("articles")
            for rel, text in ARTICLES.items():
                fx.write(os.path.join("articles", rel), text)
            fx.write("articles/.hidden", "never submitted\n")
            out1 = fx.path("out1")
            _, _, err = run([honyaku, "batch", src, "--from", "en", "--to", "es", "--out", out1,
                             "--window", "2"], env=env, timeout=60)
            assert "5 new jobs" in err, err
            recs = read_jsonl(os.path.join(out1, "records.jsonl"))
            assert [r["metadata"].get("source") for r in recs] == sorted(ARTICLES), recs
            for r in recs:
                assert r["schema"] == "honyaku.record/1", r
                segs = [s for p in r["paragraphs"] for s in p["segments"]]
                assert segs and all(s["tgt"] for s in segs), r
            assert open(os.path.join(out1, "errors.txt")).read() == ""

            out2 = fx.path("out2")
            _, _, err = run([honyaku, "batch", src, "--from", "en", "--to", "es", "--out", out2],
                            env=env, timeout=60)
            assert "0 new jobs" in err, err
            recs2 = read_jsonl(os.path.join(out2, "records.jsonl"))
            assert [r["job"] for r in recs2] == [r["job"] for r in recs], "second run made new jobs"
            _, st, _ = run([honyaku, "status", "--json"], env=env)
            assert sum(json.loads(st)["jobs"].values()) == 5, st

            one = fx.write("one.txt", "Just one more sentence to translate.\n")
            _, out, _ = run([honyaku, "submit", one, "--from", "en", "--to", "es"], env=env)
            job = out.split("\t")[0]
            _, out, _ = run([honyaku, "wait", job, "--timeout", "30000"], env=env)
            assert out == "%s\tdone\n" % job, out
            _, out, _ = run([honyaku, "fetch", job], env=env)
            assert validate_record(json.loads(out))["job"] == job
            empty = fx.write("empty.txt", "")
            code, _, err = run([honyaku, "submit", empty, "--from", "en", "--to", "es"], env=env, check=False)
            assert code == 1 and "file is empty" in err, err
            _, out, _ = run([honyaku, "export"], env=env)
            assert len(out.splitlines()) == 6, out
            print("daemon: ok")
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            raise


def main():
    if sys.argv[1] == "--prepare-only":
        test_prepare(sys.argv[2], sys.argv[3])
    else:
        honyakud, honyaku, sample = sys.argv[1:4]
        test_daemon(honyakud, honyaku)
        test_prepare(honyaku, sample)
    print("ok")


if __name__ == "__main__":
    main()

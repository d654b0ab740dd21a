#!/usr/bin/python3
"""The checks of translated segments (include/honyaku/qa.h) through the real
honyakud and honyaku-worker processes, the project's translation-API test
server (hny-testserver) and the honyaku command: `honyaku batch` writes the
records, whose pairs carry the worker's flags (PROTOCOL.md 12.2.1), and
`honyaku qa` sums them up.

usage: test_qa_daemon.py HONYAKUD HONYAKU HNY-TESTSERVER GLOSSARY.tsv

1. DeepL (the stand-in) en -> ja with the glossary: the server keeps every
   digit and puts the glossary's terms in, so no pair has a number, date,
   time or glossary flag; its "translation" is Latin letters, so pairs
   without a term in kanji have a script flag. `honyaku qa --check
   number,...` exits 0.
2. The same articles while the server answers with every digit changed
   (fault "digits"): the amounts, the date and the time are flagged on
   their pairs, naming what the source said; `honyaku qa` exits 1 and
   counts them.
3. An OpenAI-compatible profile with the same glossary: the server ignores
   the terms the prompt gives, so the glossary is flagged; `honyaku qa`
   keeps those flags from the records, and --glossary checks again."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks, Fixture, poll, read_jsonl, run  # noqa: E402
from test_daemon_util import Client  # noqa: E402

KEY = "test-key"
ARTICLES = {
    "wages.txt": ("Workers call for a higher minimum wage\n\n"
                  "Zenroren is calling for a minimum wage of 1,500 yen an hour.\n\n"
                  "About 5,000 people rallied in Tokyo on May 12.\n\n"
                  "The rally began at 6 p.m. in front of the Diet.\n\n"
                  "The JCP supports the demand.\n"),
    "budget.txt": ("Military budget grows again\n\n"
                   "The FY2024 budget includes 7.9 trillion yen for the military.\n\n"
                   "Opposition parties criticized the plan.\n"),
}


def config(url, glossary):
    profile = "\n[backend.%s]\ntype = %s\nurl = %s\nkey_env = HNY_TS_KEY\nretry_base_ms = 20\n%s"
    return ("[daemon]\nheartbeat_ms = 200\ndefault_backend = deepl\n"
            + profile % ("deepl", "deepl", url, "glossary = %s\n" % glossary)
            + profile % ("plain", "deepl", url, "")
            + profile % ("llm", "openai", url, "model = test-model\nglossary = %s\n" % glossary))


def server_call(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def pairs(rec):
    return ([rec["title"]] if rec.get("title") else []) + [s for p in rec["paragraphs"] for s in p["segments"]]


def flags(recs, check):
    """(src, what) of every flag of check in the records."""
    return [(p["src"], f["what"]) for r in recs for p in pairs(r) for f in p.get("qa", []) if f["check"] == check]


def main(honyakud, honyaku, testserver, glossary):
    check = Checks()
    with Fixture("hnyqa") as fx:
        _, port = fx.start_testserver(testserver, "--key", KEY)
        url = "http://127.0.0.1:%d" % port
        front = fx.start_daemon(honyakud, config_text=config(url, glossary), workers=2,
                                env=dict(os.environ, HNY_TS_KEY=KEY))
        c = Client(front)
        poll("2 workers", lambda: fx.daemon.poll() is None and c.status()["workers"] == 2, 20)
        src = fx.path("articles")
        for name, text in ARTICLES.items():
            fx.write(os.path.join("articles", name), text)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)

        def batch(backend, out):
            run([honyaku, "batch", src, "--from", "en", "--to", "ja", "--backend", backend,
                 "--out", fx.path(out), "--quiet"], env=env, timeout=60)
            path = fx.path(out, "records.jsonl")
            return path, read_jsonl(path)          # validated against record.schema.json

        def qa(*args):
            rc, out, err = run([honyaku, "qa"] + list(args), env=env, check=False, timeout=30)
            check(rc in (0, 1) and not err, "honyaku qa %s: exit %d, %s" % (args, rc, err))
            return rc, out

        # 1. Digits and terms kept: no number, date, time or glossary flag.
        path1, recs = batch("deepl", "out1")
        for name in ("number", "date", "time", "glossary"):
            check(not flags(recs, name), "clean run: %s flags %r" % (name, flags(recs, name)))
        no_kanji = [p for r in recs for p in pairs(r) if not any("\u4e00" <= ch <= "\u9fff" for ch in p["tgt"])]
        check(no_kanji and all(any(f["check"] == "script" for f in p.get("qa", [])) for p in no_kanji),
              "Latin targets without a script flag: %r" % no_kanji)
        rc, out = qa(path1, "--check", "number", "--check", "date", "--check", "time", "--check", "glossary")
        check(rc == 0 and "no flags" in out, "qa over the clean run: %d %s" % (rc, out))
        rc, out = qa(path1, "--glossary", glossary, "--check", "glossary")
        check(rc == 0, "qa --glossary over the clean run: %d %s" % (rc, out))

        # 2. Every digit changed: 1,500 -> 2,611, May 12 -> 23, 6 p.m. -> 7.
        server_call(url, "/_faults", {"rate": 1.0, "kinds": ["digits"]})
        path2, recs = batch("plain", "out2")
        server_call(url, "/_faults", {})
        whats = sorted(w for _, w in flags(recs, "number"))
        check(whats == sorted(["1,500", "5,000", "7.9 trillion", "2024"]), "number flags: %r" % whats)
        check([w for _, w in flags(recs, "date")] == ["May 12"], "date flags: %r" % flags(recs, "date"))
        check([w for _, w in flags(recs, "time")] == ["6 p.m."], "time flags: %r" % flags(recs, "time"))
        rc, out = qa(path2, "--format", "json", "--top", "3")
        doc = json.loads(out)
        check(rc == 1 and doc["schema"] == "honyaku.qa/1" and doc["records"] == 2, "qa json: %d %s" % (rc, out))
        check(doc["by_check"].get("number") == 4 and doc["by_check"].get("date") == 1
              and doc["by_check"].get("time") == 1, "qa json counts: %r" % doc["by_check"])
        rc, out = qa(path2, "--check", "number")
        check(rc == 1 and "4 flags: number 4" in out and "1,500: not in the target (as 1500, 1,500 or 千五百)" in out,
              "qa text: %s" % out)

        # 3. Terms the service ignored.
        path3, recs = batch("llm", "out3")
        terms = sorted(w for _, w in flags(recs, "glossary"))
        check(terms == ["Diet", "JCP", "Zenroren", "minimum wage", "minimum wage"], "glossary flags: %r" % terms)
        rc, out = qa(path3, "--check", "glossary", "--format", "json")
        doc = json.loads(out)
        check(rc == 1 and doc["by_check"] == {"glossary": 5}, "qa keeps the records' glossary flags: %s" % out)
        rc, out = qa(path3, "--check", "glossary", "--glossary", glossary, "--format", "json")
        check(rc == 1 and json.loads(out)["by_check"] == {"glossary": 5}, "qa --glossary: %s" % out)
    check.done("test_qa_daemon")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:5])

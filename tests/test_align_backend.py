#!/usr/bin/python3
"""Align jobs with a backend (PROTOCOL.md 12.6, bleualign's idea), end to
end: the real honyakud, its workers and the project's test server
(hny-testserver, a DeepL stand-in). The source side is translated through
the profile as a translate job's segments are (TM, billing), and the
translations guide the aligner.

The "translation" is made helpful from the gold of the pair: the profile's
glossary maps each English sentence's opening words to the Japanese of
its gold link (the server puts a glossary's target term in verbatim and
maps the rest of the text to full-width Latin), so the backend translates
the way a decent one would, a part of each sentence. Checked:
  - the record is valid, says the backend, bills what the server counted
    (its /v2/usage), and its links score at least the F1 of the same pair
    aligned without a backend, higher on a pair that is hard without one;
  - the same pair again under another key bills nothing (the TM);
  - honyaku batch --align --backend aligns through the backend too;
  - an unknown backend is a clear 422; the daemon serves on.

usage: test_align_backend.py HONYAKUD HONYAKU TESTSERVER DATA_DIR"""
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from align_score import gold_parts, read_links  # noqa: E402
from hnyfix import Checks, Fixture, poll, read_jsonl, run, validate_record  # noqa: E402
from test_align_daemon import f1, links_of, sentences  # noqa: E402
from test_daemon_util import Client  # noqa: E402

HONYAKUD, HONYAKU, TESTSERVER = sys.argv[1:4]
DATA = os.path.abspath(sys.argv[4])
PAIR = "ho03-local-elections"   # held out; without a backend it misses a 2-1 link
KEY = "test-key"
check = Checks()


def term(text, cap):
    """text cut to at most cap UTF-8 bytes (a glossary term's limit is 256)."""
    return text.encode()[:cap].decode("utf-8", "ignore")


def glossary(en, ja, gold):
    """TSV: the opening words of each English sentence -> the Japanese of
    its gold link (an n-1 link's Japanese shared out by English length)."""
    rows = [(term(" ".join(en[k].split()[:6]), 200), term(part, 250)) for k, part in gold_parts(en, ja, gold)]
    seen, out = set(), []
    for src, tgt in rows:
        if src not in seen and tgt:
            seen.add(src)
            out.append("%s\t%s" % (src, tgt))
    return "\n".join(out) + "\n"


def usage(url):
    req = urllib.request.Request(url + "/v2/usage", headers={"Authorization": "DeepL-Auth-Key " + KEY})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["character_count"]


def main():
    with Fixture("hnyab") as fx:
        _, port = fx.start_testserver(TESTSERVER, "--key", KEY)
        url = "http://127.0.0.1:%d" % port
        en, ja = os.path.join(DATA, "heldout", PAIR + ".en"), os.path.join(DATA, "heldout", PAIR + ".ja")
        with open(os.path.join(DATA, "heldout", PAIR + ".gold"), encoding="utf-8") as f:
            gold = read_links(f)
        sents = (sentences(en), sentences(ja))
        fx.write("glossary.tsv", glossary(sents[0], sents[1], gold))
        config = ("[daemon]\nheartbeat_ms = 200\nmax_article_bytes = 524288\n"
                  "[backend.deepl]\ntype = deepl\nurl = %s\nkey_env = HNY_TS_KEY\nretry_base_ms = 20\n"
                  "glossary = %s\n" % (url, fx.path("glossary.tsv")))
        front = fx.start_daemon(HONYAKUD, config, workers=2, env=dict(os.environ, HNY_TS_KEY=KEY))
        client = Client(front)
        poll("2 workers", lambda: fx.daemon.poll() is None and client.status()["workers"] == 2, 20)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)

        def align(*args, out=None, ok=True):
            argv = [HONYAKU, "align", en, ja, "--from", "en", "--to", "ja"] + list(args)
            if out:
                argv += ["--out", fx.path(out)]
            rc, o, e = run(argv, env=env, check=False, timeout=60)
            check((rc == 0) == ok, "honyaku align %s: exit %d %s" % (args, rc, e))
            return (read_jsonl(fx.path(out))[0] if out and rc == 0 else None), e

        # without a backend: lengths, anchors, the dictionary; nothing billed
        plain, _ = align(out="plain.json")
        validate_record(plain)
        f_plain = f1(links_of(plain, *sents), gold)
        check("backend" not in plain["alignment"]["stats"] and plain["stats"]["chars_billed"] == 0,
              "no backend: stats %r" % plain["alignment"]["stats"])
        check(usage(url) == 0, "an alignment without a backend called the server")

        # with the backend: the source translated, billed, the links better
        rec, err = align("--backend", "deepl", out="mt.json")
        validate_record(rec)
        st, ast = rec["stats"], rec["alignment"]["stats"]
        f_mt = f1(links_of(rec, *sents), gold)
        print("%s: link F1 %.3f without a backend, %.3f with the test server's translations"
              % (PAIR, f_plain, f_mt))
        check(rec["backend"] == "aligned" and ast.get("backend") == "deepl"
              and ast.get("mt_sentences") == len(sents[0]) - 1 and ast.get("mt_failed") == 0,
              "alignment stats %r" % ast)
        billed = usage(url)
        check(st["chars_billed"] == billed == sum(len(s) for s in sents[0]) and st["requests"] >= 1,
              "billed %r (server counted %d, source %d chars)" % (st, billed, sum(len(s) for s in sents[0])))
        check(f_mt >= f_plain and f_mt > f_plain, "F1 %.3f with a backend, %.3f without" % (f_mt, f_plain))
        check(rec["job"] != plain["job"], "a backend makes another job")

        # the same again: the same job; under another key, the TM: no bill
        again, _ = align("--backend", "deepl", out="again.json")
        check(again["job"] == rec["job"], "re-submit is job %s, not %s" % (again["job"], rec["job"]))
        tm, _ = align("--backend", "deepl", "--key", "other", out="tm.json")
        check(tm["job"] != rec["job"] and tm["stats"]["chars_billed"] == 0 and tm["stats"]["requests"] == 0
              and usage(url) == billed, "TM run billed %r (server %d)" % (tm["stats"], usage(url)))
        check(links_of(tm, *sents) == links_of(rec, *sents), "the TM's translations align otherwise")

        # batch --align --backend
        fx.write("pairs/pairs.tsv", "%s\t%s\n" % (en, ja))
        rc, o, e = run([HONYAKU, "batch", "--align", fx.path("pairs", "pairs.tsv"), "--from", "en", "--to", "ja",
                        "--backend", "deepl", "--out", fx.path("out")], env=env, check=False, timeout=60)
        recs = read_jsonl(fx.path("out", "records.jsonl")) if rc == 0 else []
        check(rc == 0 and len(recs) == 1 and recs[0]["alignment"]["stats"].get("backend") == "deepl"
              and links_of(recs[0], *sents) == links_of(rec, *sents), "batch --align --backend: %d %s %s" % (rc, e, o))

        # an unknown backend: 422, and the daemon serves on
        _, err = align("--backend", "nosuch", ok=False)
        check("unknown backend" in err, "unknown backend: %r" % err)
        check(fx.daemon.poll() is None and client.status()["workers"] == 2, "the daemon serves on")
    check.done("align_backend")


if __name__ == "__main__":
    sys.exit(main())

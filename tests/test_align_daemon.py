#!/usr/bin/python3
"""Align jobs end to end: the real honyakud and its workers align
hand-aligned pairs of tests/data/align through `honyaku align` and
`honyaku batch --align`, and the links are scored against the gold with
the aligner's scorer (tests/align_score.py): the F1 through the daemon must
be the F1 of honyaku-align-test on the same files (the same links, scores
included), and the records valid (PROTOCOL.md 12, 12.6); the pairs that
`honyaku align-pairs` proposes go to batch as they are. Then: a
re-submit is the same job, bad input gets a clear error or a marked low
score, the workers load the aligner's dictionary only for their first
align task, and the daemon serves on.

usage: test_align_daemon.py HONYAKUD HONYAKU ALIGN_TOOL DATA_DIR"""
import json
import os
import shutil
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from align_score import prf, read_links  # noqa: E402
from hnyfix import Checks, Fixture, poll, read_jsonl, validate_record  # noqa: E402
from test_daemon_util import Client  # noqa: E402

HONYAKUD, HONYAKU, TOOL, DATA = sys.argv[1:5]
PAIRS = ["ho02-surnames", "ho04-osprey"]    # held out; prepare keeps their sentences
CONFIG = "[daemon]\nmax_article_bytes = 524288\n"
check = Checks()


def run(fx, *args, timeout=120):
    env = dict(os.environ, HONYAKU_ENDPOINT=fx.front)
    p = subprocess.run([HONYAKU] + list(args), capture_output=True, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def norm(text):
    return " ".join(unicodedata.normalize("NFKC", text).split())


def sentences(path):
    """The sentences prepare makes of a test file (the title first): the
    file's lines, up to the normalization prepare applies (full-width
    digits, U+3000), so that the gold's numbers hold."""
    p = subprocess.run([HONYAKU, "prepare", path], capture_output=True, timeout=60, check=True)
    art = json.loads(p.stdout)
    sents = [art["title"]["src"]] + [s["src"] for para in art["paragraphs"] for s in para["segments"]]
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    assert [norm(s) for s in sents] == [norm(x) for x in lines], "prepare splits %s otherwise" % path
    return sents


def links_of(doc, src_sents, tgt_sents, src_join=" ", tgt_join=""):
    """A record's (or the tool's) links as the gold's: (source sentence
    numbers, target sentence numbers), found by walking both sides'
    sentences in order and taking as many as make up each link's text."""
    pos = [0, 0]

    def take(side, text, sents, join):
        if text is None:
            return ()
        for k in range(1, 4):
            if join.join(sents[pos[side]:pos[side] + k]) == text:
                pos[side] += k
                return tuple(range(pos[side] - k, pos[side]))
        raise AssertionError("link text %r is not the next sentences at %d" % (text, pos[side]))
    out = []
    for link in ([doc["title"]] if doc["title"] else []) + \
            [s for p in doc["paragraphs"] for s in p["segments"]]:
        out.append((take(0, link["src"], src_sents, src_join), take(1, link["tgt"], tgt_sents, tgt_join)))
    assert pos == [len(src_sents), len(tgt_sents)], "links leave sentences out: %r" % pos
    return out


def f1(found, gold):
    right = len(set(found) & set(gold))
    return prf(right, len(found), len(gold))[2]


def bare(doc):
    """The links of a record or of the tool, without what only records have."""
    strip = lambda link: {k: link[k] for k in ("src", "tgt", "score")}
    return {"title": strip(doc["title"]) if doc["title"] else None,
            "paragraphs": [[strip(s) for s in p["segments"]] for p in doc["paragraphs"]]}


def tool_json(en, ja):
    p = subprocess.run([TOOL, "--format", "raw", "--out", "json", en, ja], capture_output=True,
                       timeout=120, check=True)
    return json.loads(p.stdout)


def main():
    with Fixture("hnyal") as fx:
        fx.start_daemon(HONYAKUD, CONFIG, workers=2)
        client = Client(fx.front)
        poll("2 workers", lambda: client.status().get("workers") == 2, 30)
        check("aligner ready" not in fx.log("honyakud.log"), "a worker loaded the aligner at start")
        work = fx.path("pairs")
        for sub in ("en", "ja"):
            os.makedirs(os.path.join(work, sub))
        gold, sents, tool = {}, {}, {}
        for name in PAIRS:
            for lang in ("en", "ja"):
                shutil.copy(os.path.join(DATA, "heldout", name + "." + lang), os.path.join(work, lang))
            en, ja = os.path.join(work, "en", name + ".en"), os.path.join(work, "ja", name + ".ja")
            with open(os.path.join(DATA, "heldout", name + ".gold"), encoding="utf-8") as f:
                gold[name] = read_links(f)
            sents[name] = (sentences(en), sentences(ja))
            t = tool_json(en, ja)
            tool[name] = (t, f1(links_of(t, *sents[name]), gold[name]))

        # honyaku align: the record, its links against the gold and the tool's
        name = PAIRS[0]
        en, ja = os.path.join(work, "en", name + ".en"), os.path.join(work, "ja", name + ".ja")
        code, out, err = run(fx, "align", en, ja, "--from", "en", "--to", "ja", "--out", fx.path("rec.json"))
        check(code == 0 and "links, score" in err, "align --out: %d %r" % (code, err))
        rec = read_jsonl(fx.path("rec.json"))[0]
        validate_record(rec)
        check(rec["backend"] == "aligned" and rec["metadata"]["source"] == en
              and rec["alignment"]["target_metadata"]["source"] == ja, "record head %r" % rec["metadata"])
        t, t_f1 = tool[name]
        check(bare(rec) == bare(t), "the daemon's links are not honyaku-align-test's")
        check(rec["alignment"]["score"] == t["score"] and rec["alignment"].get("warning") == t.get("warning"),
              "alignment score %r, tool %r" % (rec["alignment"]["score"], t["score"]))
        d_f1 = f1(links_of(rec, *sents[name]), gold[name])
        print("%s: F1 through the daemon %.3f, honyaku-align-test %.3f" % (name, d_f1, t_f1))
        check(d_f1 == t_f1 and d_f1 >= 0.9, "F1 %.3f (tool %.3f)" % (d_f1, t_f1))
        check(fx.log("honyakud.log").count("aligner ready in") == 1, "the first align task loads the aligner")

        # a re-submit is the same job, with or without a key
        code, out, _ = run(fx, "align", en, ja, "--from", "en", "--to", "ja")
        check(code == 0 and out.split("\t")[0] == rec["job"], "re-submit: %r, job %s" % (out, rec["job"]))
        code, out1, _ = run(fx, "align", en, ja, "--from", "en", "--to", "ja", "--key", "k1")
        code2, out2, _ = run(fx, "align", en, ja, "--from", "en", "--to", "ja", "--key", "k1")
        check(code == code2 == 0 and out1 == out2, "keyed re-submit: %r %r" % (out1, out2))
        code, _, err = run(fx, "align", en, en, "--from", "en", "--to", "ja", "--key", "k1")
        check(code == 1 and "409" in err and "other content" in err, "key reused: %d %r" % (code, err))

        # honyaku batch --align: both pairs, F1s as the tool's; a re-run sends nothing
        with open(os.path.join(work, "pairs.tsv"), "w") as f:
            f.write("# source\ttarget\n")
            for n in PAIRS:
                f.write("en/%s.en\tja/%s.ja\t0.99\n" % (n, n))
        out_dir = fx.path("out")
        code, _, err = run(fx, "batch", "--align", os.path.join(work, "pairs.tsv"), "--from", "en",
                           "--to", "ja", "--out", out_dir, "--progress", "lines")
        check(code == 0 and "2 done, 0 failed" in err, "batch --align: %d %r" % (code, err))
        recs = read_jsonl(os.path.join(out_dir, "records.jsonl"))      # validated
        check([r["metadata"]["source"] for r in recs] == ["en/%s.en" % n for n in PAIRS], "batch order")
        for n, r in zip(PAIRS, recs):
            b_f1 = f1(links_of(r, *sents[n]), gold[n])
            print("%s: F1 through batch --align %.3f, honyaku-align-test %.3f" % (n, b_f1, tool[n][1]))
            check(bare(r) == bare(tool[n][0]) and b_f1 == tool[n][1] and b_f1 >= 0.85,
                  "%s: batch F1 %.3f, tool %.3f" % (n, b_f1, tool[n][1]))
        code, _, err = run(fx, "batch", "--align", os.path.join(work, "pairs.tsv"), "--from", "en",
                           "--to", "ja", "--out", out_dir, "--progress", "lines")
        check(code == 0 and "2 skipped" in err and "0 new jobs" in err, "batch re-run: %r" % err)
        # the pairs align-pairs proposes (absolute paths, a score column) go to batch as they are
        code, _, err = run(fx, "align-pairs", os.path.join(work, "en"), os.path.join(work, "ja"),
                           "--from", "en", "--to", "ja", "--out", fx.path("proposed.tsv"))
        check(code == 0 and "2 pairs of 2 source and 2 target" in err, "align-pairs: %d %r" % (code, err))
        code, _, err = run(fx, "batch", "--align", fx.path("proposed.tsv"), "--from", "en", "--to", "ja",
                           "--out", fx.path("out2"), "--progress", "lines")
        check(code == 0 and "2 done, 0 failed" in err, "batch of the proposed pairs: %d %r" % (code, err))
        code, _, err = run(fx, "export", "--format", "tmx", "--in", os.path.join(out_dir, "records.jsonl"),
                           "--out", fx.path("pairs.tmx"))
        every = [s for r in recs for s in ([r["title"]] if r["title"] else []) +
                 [s for p in r["paragraphs"] for s in p["segments"]]]
        unlinked = sum(1 for s in every if s["src"] is None or s["tgt"] is None)
        both = len(every) - unlinked
        check(code == 0 and "%d segment pairs" % both in err
              and (unlinked == 0 or "%d links of aligned records" % unlinked in err), "tmx: %r" % err)

        # bad input: a clear error, or a low score marked as such
        def bad(what, src, tgt, *extra, code=1):
            c, out, err = run(fx, "align", src, tgt, "--from", "en", "--to", "ja", "--wait", *extra)
            check(c == code, "%s: exit %d: %r" % (what, c, err))
            return out, err
        _, err = bad("en twice", en, en, "--to", "en")
        check("both en: an alignment needs two languages (status 422)" in err, "en -> en: %r" % err)
        other_en = os.path.join(work, "en", PAIRS[1] + ".en")
        _, err = bad("English on the ja side", en, other_en)
        check("422" in err and "not Japanese" in err, "English as ja: %r" % err)
        empty = fx.write("empty.ja", "")
        out, err = bad("empty side", en, empty, code=0)
        r = validate_record(json.loads(out))
        check(r["alignment"]["score"] == 0 and "empty" in r["alignment"]["warning"]
              and all(s["tgt"] is None for p in r["paragraphs"] for s in p["segments"]), "empty: %r" % err)
        binary = fx.path("binary.ja")
        with open(binary, "wb") as f:
            f.write(bytes(range(256)) * 8)
        _, err = bad("binary side", en, binary)
        check("prepare (ja side): not text" in err and "415" in err, "binary: %r" % err)
        longer = fx.path("longer.ja")
        with open(longer, "wb") as f:       # this pair's Japanese and 9 other articles
            for d in ("heldout", "dev"):
                for n in sorted(os.listdir(os.path.join(DATA, d))):
                    if n.endswith(".ja") and (d == "dev" or n.startswith(name) or n.startswith(PAIRS[1])):
                        with open(os.path.join(DATA, d, n), "rb") as g:
                            f.write(g.read() + b"\n")
        out, err = bad("ten times longer", en, longer, code=0)
        r = validate_record(json.loads(out))
        check("times as long" in r["alignment"].get("warning", "") and r["alignment"]["score"] < 0.5,
              "longer: %r" % r["alignment"])
        many = fx.write("many.en", "".join("Item %d is here. " % i for i in range(20001)))
        _, err = bad("20001 sentences", many, ja)
        check("413" in err and "more than the 20000" in err, "many: %r" % err)
        huge = fx.write("huge.ja", "あ。" * 100000)
        _, err = bad("side over max_article_bytes", en, huge)
        check("413" in err and "over max_article_bytes" in err, "huge: %r" % err)

        # the daemon serves on
        code, _, err = run(fx, "align", en, ja, "--from", "en", "--to", "ja", "--key", "after", "--wait")
        check(code == 0 and "links, score" in err, "after the bad input: %d %r" % (code, err))
        check(fx.daemon.poll() is None and client.status()["workers"] == 2, "honyakud or a worker died")
        client.close()
    check.done("align_daemon")


if __name__ == "__main__":
    main()

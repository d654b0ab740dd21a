#!/usr/bin/python3
"""`honyaku qa` on its own (no daemon): what it reads, what it says, its
exit status.

usage: test_qa_cli.py HONYAKU

- a pair from the translation memory (no qa member) or from an older
  honyakud is checked all the same; the record's own flags are not
  trusted, but its glossary flags are kept (the worker knew the terms);
- --check keeps only the checks named, --glossary checks again;
- lines that are not records are said (file, line) and skipped, exit 1;
  a file that cannot be read is an error, exit 1; standard input works;
- bad options exit 2; nothing flagged exits 0."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks  # noqa: E402


def record(job, pairs, src="en", tgt="ja"):
    return {"schema": "honyaku.record/1", "job": job, "key": "k" + job, "source_lang": src,
            "target_lang": tgt, "backend": "deepl", "metadata": {"source": "a/%s.txt" % job},
            "title": None, "paragraphs": [{"segments": pairs}], "errors": [],
            "stats": {"segments": len(pairs), "chars": 0, "chars_billed": 0, "tm_hits": 0,
                      "requests": 0, "time_ms": 0}}


GLOSSARY_FLAG = {"check": "glossary", "what": "JCP", "detail": "the target lacks the glossary's \"日本共産党\""}


def main(honyaku):
    check = Checks()
    with tempfile.TemporaryDirectory(prefix="qa-cli-") as tmp:
        def qa(*args, stdin=None):
            p = subprocess.run([honyaku, "qa"] + list(args), input=stdin, capture_output=True, timeout=30)
            return p.returncode, p.stdout.decode(), p.stderr.decode()

        recs = [
            record("1", [
                # from the TM: no qa stored, a wrong number all the same
                {"src": "It costs 1,500 yen.", "tgt": "1600円かかる。", "tm": True},
                # a stale flag stored by some worker: not trusted
                {"src": "It costs 2,000 yen.", "tgt": "2000円かかる。", "tm": False,
                 "qa": [{"check": "number", "what": "2,000", "detail": "stale"}]},
                # a glossary flag of the worker's: kept
                {"src": "The JCP won.", "tgt": "共産党が勝った。", "tm": False, "qa": [GLOSSARY_FLAG]},
                {"src": "Failed.", "tgt": None, "tm": False}]),
            record("2", [{"src": "Fine.", "tgt": "結構だ。", "tm": False}]),
        ]
        path = os.path.join(tmp, "records.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)

        rc, out, err = qa(path, "--format", "json")
        doc = json.loads(out)
        check(rc == 1 and not err, "json run: %d %s" % (rc, err))
        check(doc["records"] == 2 and doc["segments"] == 4 and doc["failed"] == 1, "counts %r" % doc)
        check(doc["by_check"] == {"number": 1, "glossary": 1}, "by_check %r" % doc["by_check"])
        arts = {a["job"]: a for a in doc["articles"]}
        flagged = [(p["paragraph"], p["segment"], [f["check"] for f in p["qa"]]) for p in arts["1"]["pairs"]]
        check(flagged == [(0, 0, ["number"]), (0, 2, ["glossary"])], "flagged pairs %r" % flagged)
        check(arts["2"]["flagged"] == 0 and arts["2"]["pairs"] == [], "clean article %r" % arts["2"])

        rc, out, _ = qa(path)
        check(rc == 1 and "job 1  en-ja  a/1.txt: 2 of 3 segments flagged (glossary 1, number 1)" in out,
              "text run: %s" % out)
        check("number    1,500: not in the target (as 1500, 1,500 or 千五百)" in out, "worst: %s" % out)
        check(out.rstrip().endswith("2 records, 4 segments checked (1 without a translation or a counterpart, not checked), "
                                    "2 flagged (50.0%), 2 flags: glossary 1, number 1"), "summary: %s" % out)
        check("job 2" not in out, "a clean article is not listed: %s" % out)

        rc, out, _ = qa(path, "--check", "glossary", "--format", "json")
        check(rc == 1 and json.loads(out)["by_check"] == {"glossary": 1}, "--check glossary: %s" % out)
        gl = os.path.join(tmp, "g.tsv")
        with open(gl, "w", encoding="utf-8") as f:
            f.write("JCP\t共産党\n")
        rc, out, _ = qa(path, "--check", "glossary", "--glossary", gl)
        check(rc == 0 and "no flags" in out, "--glossary replaces the stored flags: %d %s" % (rc, out))

        rc, out, _ = qa("-", "--check", "number", "--top", "0", stdin=open(path, "rb").read())
        check(rc == 1 and "Worst" not in out and "1 flags: number 1" in out, "stdin, --top 0: %s" % out)
        rc, out, _ = qa(stdin=b"")
        check(rc == 0 and "0 records, 0 segments checked, no flags" in out, "empty input: %d %s" % (rc, out))

        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(json.dumps(recs[1]) + "\n{\"schema\": \"other/1\"}\n\n{\"torn\n")
        rc, out, err = qa(bad)
        check(rc == 1 and "bad.jsonl: line 2: not a record of honyaku.record/1 (skipped)" in err
              and "bad.jsonl: line 4:" in err and "2 lines skipped" in out, "bad lines: %d %s %s" % (rc, out, err))
        rc, out, err = qa(os.path.join(tmp, "missing.jsonl"))
        check(rc == 1 and "missing.jsonl: No such file or directory" in err, "missing file: %d %s" % (rc, err))
        rc, _, err = qa(path, "--glossary", os.path.join(tmp, "missing.tsv"))
        check(rc == 1 and "missing.tsv" in err, "missing glossary: %d %s" % (rc, err))
        for args in (["--format", "xml"], ["--check", "bogus"], ["--top", "5000"], ["--nope"]):
            rc, _, err = qa(path, *args)
            check(rc == 2 and err.startswith("honyaku: qa: ") and "honyaku help qa" in err,
                  "usage %r: %d %s" % (args, rc, err))
    check.done("test_qa_cli")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])

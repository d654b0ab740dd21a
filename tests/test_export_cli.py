#!/usr/bin/python3
"""test_export_cli.py HONYAKU: `honyaku export --in records.jsonl` for every
format, without a daemon.

Writes a records file like `honyaku batch` does (two records en->es, one
en->ja, markup, a failed segment, characters XML must escape), converts it
to each format and reads the output back: TMX and XLIFF with ElementTree
(counts, languages, namespace), HTML with html.parser (balanced, escaped,
no javascript: link), Moses line counts per language pair, JSON Lines
unchanged. Then the refusals: bad JSON on a line (exit 1, nothing left
behind), moses without --out, an unknown format (exit 2), and stdin."""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import validate_records  # noqa: E402

HONYAKU = sys.argv[1]
XLIFF = "{urn:oasis:names:tc:xliff:document:2.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def record(job, tgt_lang):
    return {
        "schema": "honyaku.record/1", "job": job, "key": "k-" + job,
        "source_lang": "en", "target_lang": tgt_lang, "backend": "apertium",
        "metadata": {"title": "R&D <today>", "date": "2024-01-02", "source": "in/%s.html" % job},
        "title": {"src": "R&D", "tgt": "I+D", "tm": False},
        "paragraphs": [
            {"segments": [
                {"src": "It is <b>bold</b> & \"quoted\".", "tgt": "Es <b>audaz</b> & \"citado\".", "tm": False},
                {"src": "A <a href=\"javascript:alert(1)\">link</a>.", "tgt": None, "tm": False}]},
            {"segments": [{"src": "Two\nlines <i>here</i>.", "tgt": "二行 <i>ここ</i>。", "tm": True}]}],
        "errors": [{"paragraph": 0, "segment": 1, "code": 503, "class": "transient", "reason": "down"}],
        "stats": {"segments": 4, "chars": 95, "chars_billed": 60, "tm_hits": 1, "requests": 1,
                  "time_ms": 9},
    }


def run(args, stdin=None):
    p = subprocess.run([HONYAKU] + args, input=stdin, capture_output=True, timeout=20)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


class HtmlCheck(html.parser.HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.bad, self.hrefs, self.text, self.failed = [], [], [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "tr" and "failed" in (a.get("class") or ""):
            self.failed += 1
        if tag == "script":
            self.bad.append("script")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in self.VOID:
            self.bad.append("self-closed <%s/>" % tag)
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.bad.append("unbalanced </%s>" % tag)

    def handle_data(self, data):
        self.text.append(data)


def main():
    tmp = tempfile.mkdtemp(prefix="hny-export-cli-")
    try:
        recs = validate_records([record("1", "es"), record("2", "es"), record("3", "ja")])
        src = os.path.join(tmp, "records.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

        # JSON Lines: unchanged records.
        out = os.path.join(tmp, "out.jsonl")
        code, _, err = run(["export", "--format", "jsonl", "--in", src, "--out", out])
        check(code == 0 and "3 records" in err, "jsonl: %d %r" % (code, err))
        with open(out, encoding="utf-8") as f:
            check([json.loads(l) for l in f] == recs, "jsonl round trip")

        # TMX: 3 pairs per record (the failed one left out), languages.
        out = os.path.join(tmp, "out.tmx")
        code, _, err = run(["export", "--format", "tmx", "--in", src, "--out", out])
        check(code == 0 and "9 segment pairs" in err and "3 segment pairs without" in err,
              "tmx: %d %r" % (code, err))
        root = ET.parse(out).getroot()
        tus = root.findall("./body/tu")
        check(root.tag == "tmx" and root.get("version") == "1.4", "tmx root")
        check(root.find("header").get("srclang") == "en", "tmx srclang")
        check(len(tus) == 9, "tmx tu count %d" % len(tus))
        langs = [[t.get(XML_LANG) for t in tu.findall("tuv")] for tu in tus]
        check(langs.count(["en", "es"]) == 6 and langs.count(["en", "ja"]) == 3, "tmx langs %r" % langs)
        seg = tus[1].find("tuv/seg")
        check("".join(seg.itertext()) == "It is <b>bold</b> & \"quoted\".", "tmx seg text %r" % "".join(seg.itertext()))
        check(seg.find("bpt").get("type") == "bold", "tmx bpt")
        props = {p.get("type"): p.text for p in tus[0].findall("prop")}
        check(props.get("x-job") == "1" and props.get("x-title") == "R&D <today>"
              and props.get("x-source") == "in/1.html", "tmx props %r" % props)

        # XLIFF: the en->ja record is another pair and is skipped.
        out = os.path.join(tmp, "out.xlf")
        code, _, err = run(["export", "--format", "xliff", "--in", src, "--out", out])
        check(code == 0 and "1 records skipped" in err, "xliff: %d %r" % (code, err))
        root = ET.parse(out).getroot()
        check(root.tag == XLIFF + "xliff" and root.get("srcLang") == "en"
              and root.get("trgLang") == "es", "xliff root %r %r" % (root.tag, root.attrib))
        files = root.findall(XLIFF + "file")
        check(len(files) == 2, "xliff files %d" % len(files))
        segs = files[0].findall(".//" + XLIFF + "segment")
        check(len(segs) == 4, "xliff segments %d" % len(segs))
        check([s.get("state") for s in segs] == ["translated", "translated", "initial", "translated"],
              "xliff states")
        check(segs[2].find(XLIFF + "target") is None, "xliff: no target for the failed segment")
        check(segs[1].find(XLIFF + "source/" + XLIFF + "pc").get("subType") == "xlf:b", "xliff pc")

        # HTML: balanced, escaped, the failed row marked, no javascript: href.
        out = os.path.join(tmp, "out.html")
        code, _, err = run(["export", "--format", "html", "--in", src, "--out", out])
        check(code == 0, "html: %d %r" % (code, err))
        with open(out, encoding="utf-8") as f:
            page = f.read()
        h = HtmlCheck()
        h.feed(page)
        h.close()
        check(not h.bad and h.stack == [], "html structure: %r %r" % (h.bad, h.stack))
        check(h.failed == 3, "html failed rows %d" % h.failed)
        check(h.hrefs == [], "html hrefs %r" % h.hrefs)
        check("R&amp;D &lt;today&gt;" in page and "<today>" not in page, "html escaping")
        check("R&D <today>" in "".join(h.text), "html text")

        # Moses: two language pairs, so corpus.SRC-TGT.L; lines aligned.
        out = os.path.join(tmp, "moses")
        code, _, err = run(["export", "--format", "moses", "--in", src, "--out", out])
        check(code == 0, "moses: %d %r" % (code, err))
        names = sorted(os.listdir(out))
        check(names == ["corpus.en-es.en", "corpus.en-es.es", "corpus.en-ja.en", "corpus.en-ja.ja"],
              "moses files %r" % names)
        def lines(name):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                return f.read().split("\n")[:-1]
        en, es = lines("corpus.en-es.en"), lines("corpus.en-es.es")
        check(len(en) == len(es) == 6, "moses en-es %d %d" % (len(en), len(es)))
        check(en[1:3] == ["It is bold & \"quoted\".", "Two lines here."], "moses en %r" % en)
        check(es[2] == "二行 ここ。", "moses es %r" % es)
        check(len(lines("corpus.en-ja.en")) == len(lines("corpus.en-ja.ja")) == 3, "moses en-ja")

        # One pair, from stdin: corpus.en / corpus.es.
        out = os.path.join(tmp, "moses1")
        code, _, err = run(["export", "--format", "moses", "--in", "-", "--out", out],
                           stdin=(json.dumps(recs[0]) + "\n").encode())
        check(code == 0 and sorted(os.listdir(out)) == ["corpus.en", "corpus.es"],
              "moses one pair: %d %r" % (code, err))

        # TMX to stdout.
        code, stdout, err = run(["export", "--format", "tmx", "--in", src])
        check(code == 0 and len(ET.fromstring(stdout).findall("./body/tu")) == 9, "tmx to stdout")

        # Refusals.
        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w") as f:
            f.write(json.dumps(recs[0]) + "\n{not json\n")
        out = os.path.join(tmp, "bad.tmx")
        code, _, err = run(["export", "--format", "tmx", "--in", bad, "--out", out])
        check(code == 1 and "line 2" in err, "bad line: %d %r" % (code, err))
        check(not os.path.exists(out) and not os.path.exists(out + ".tmp"), "bad: nothing left")
        with open(bad, "w") as f:
            f.write(json.dumps(dict(recs[0], source_lang="../../x")) + "\n")
        code, _, err = run(["export", "--format", "moses", "--in", bad, "--out", os.path.join(tmp, "m3")])
        check(code == 1 and "language" in err, "bad lang: %d %r" % (code, err))
        check(os.listdir(os.path.join(tmp, "m3")) == [], "bad lang: nothing left")
        code, _, err = run(["export", "--format", "moses", "--in", src])
        check(code == 2 and "--out DIR" in err, "moses without --out: %d %r" % (code, err))
        code, _, err = run(["export", "--format", "docx", "--in", src])
        check(code == 2 and "unknown format" in err, "unknown format: %d %r" % (code, err))
        code, _, err = run(["export", "--state", "running", "--in", src])
        check(code == 2, "bad --state: %d %r" % (code, err))
        code, _, err = run(["export", "--in", os.path.join(tmp, "missing.jsonl")])
        check(code == 1 and "missing.jsonl" in err, "missing input: %d %r" % (code, err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("test_export_cli: %d failures" % failures, file=sys.stderr)
        sys.exit(1)
    print("test_export_cli: ok")


if __name__ == "__main__":
    main()

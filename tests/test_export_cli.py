#!/usr/bin/python3
"""test_export_cli.py HONYAKU: `honyaku export --in records.jsonl` for every
format and filter, without a daemon, read back by the tools translators use.

The records file holds four articles like `honyaku batch` writes: en->es
with a failed segment (state failed), en->es with a TM hit and a warning,
en->ja, and an en->es human translation (backend "aligned"), each with its
finish time; markup, characters XML must escape and an unsafe link.

- TMX and XLIFF 1.2 are read with translate-toolkit (python3-translate:
  translate.storage.tmx and .xliff) and checked with `xmllint --noout`:
  units, source and target text, languages, machine translation marked
  (needs-review-translation / mt-suggestion) and a person's not.
- XLIFF 2.0: Debian's translate-toolkit (3.8) has no 2.0 reader (it came
  in 3.17, translate.storage.xliff2, which is used when present); the file
  is checked with lxml against the rules of the XLIFF 2.0 core that the
  writer touches (check_xliff20).
- HTML is parsed with html5lib in strict mode (any HTML5 parse error
  fails) and its title, contents, numbers, marks and escaping read.
- Filters: --state, --pair, --since, --job, alone and together; several
  pairs into one TMX/XLIFF file refused with the pairs named, or one file
  per pair with --out DIR/; no record at all is exit 4 with nothing
  written; bad values are usage errors (exit 2)."""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile

import html5lib
from lxml import etree
from translate.storage import tmx, xliff

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import validate_records  # noqa: E402

HONYAKU = sys.argv[1]
X20 = "urn:oasis:names:tc:xliff:document:2.0"
X12 = "urn:oasis:names:tc:xliff:document:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DAY = 86400000
MAY1 = 1714521600000          # 2024-05-01T00:00:00Z
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def record(job, tgt_lang, failed=False, backend="apertium", finished=None):
    """A record of job JOB, en -> tgt_lang: a title, a bold segment, a
    link (failed when failed, else translated with a warning), and a TM
    hit with a line break in its source."""
    second = {"src": "A <a href=\"javascript:alert(1)\">link</a>.", "tgt": None, "tm": False}
    errors = [{"paragraph": 0, "segment": 1, "code": 503, "class": "transient", "reason": "down"}]
    if not failed:
        second = {"src": second["src"], "tgt": "Un enlace.", "tm": False, "warning": "markup dropped"}
        errors = []
    r = {
        "schema": "honyaku.record/1", "job": job, "key": "k-" + job,
        "source_lang": "en", "target_lang": tgt_lang, "backend": backend,
        "finished": finished if finished is not None else MAY1 + int(job) * DAY,
        "metadata": {"title": "R&D <today> %s" % job, "date": "2024-01-02", "source": "in/%s.html" % job},
        "title": {"src": "R&D", "tgt": "I+D", "tm": False},
        "paragraphs": [
            {"segments": [
                {"src": "It is <b>bold</b> & \"quoted\".", "tgt": "Es <b>audaz</b> & \"citado\".", "tm": False},
                second]},
            {"segments": [{"src": "Two\nlines <i>here</i>.", "tgt": "二行 <i>ここ</i>。", "tm": True}]}],
        "errors": errors,
        "stats": {"segments": 4, "chars": 95, "chars_billed": 60, "tm_hits": 1, "requests": 1,
                  "time_ms": 9},
    }
    if backend == "aligned":
        # An align job's record (PROTOCOL.md 12.6): links with a score, a
        # sentence the translator added (no source: left out of every
        # format but JSON Lines), the alignment's own member.
        pairs = [r["title"]] + [s for p in r["paragraphs"] for s in p["segments"]]
        for pair in pairs:
            pair["tm"] = False
            pair["score"] = 0.9
            pair.pop("warning", None)
        r["paragraphs"][1]["segments"].append({"src": None, "tgt": "Añadido.", "tm": False, "score": 0.1})
        r["stats"].update(tm_hits=0, segments=5, chars_billed=0, requests=0)
        r["alignment"] = {"score": 0.83, "stats": {"src_sentences": 3, "tgt_sentences": 4, "links": 4,
                                                   "src_unlinked": 0, "tgt_unlinked": 1,
                                                   "kinds": {"1-1": 3, "0-1": 1}, "time_ms": 0.4},
                          "target_metadata": {"source": "in/4.es.html"}}
    return r


def run(args, stdin=None, env=None):
    e = dict(os.environ, TZ="UTC")
    e.update(env or {})
    p = subprocess.run([HONYAKU] + args, input=stdin, capture_output=True, timeout=20, env=e)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def xmllint(path):
    p = subprocess.run(["xmllint", "--noout", path], capture_output=True, timeout=20)
    check(p.returncode == 0, "xmllint %s: %s" % (path, p.stderr.decode()))


def jobs_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["job"] for line in f]


# ---- XLIFF 2.0 ---------------------------------------------------------

def check_xliff20(path):
    """The XLIFF 2.0 core rules the writer meets, checked with lxml:
    root and languages, ids unique where the spec wants them, element
    order in a unit, states and subStates, notes' categories, <pc> in
    source and target, data references resolved, targets only with a
    state past initial or an MT subState. Returns the parsed root."""
    root = etree.parse(path).getroot()
    q = "{%s}" % X20
    check(root.tag == q + "xliff" and root.get("version") == "2.0", "2.0 root %r" % root.tag)
    check(bool(root.get("srcLang")) and bool(root.get("trgLang")), "2.0 languages %r" % root.attrib)
    check(len(root) >= 1 and all(c.tag == q + "file" for c in root), "2.0: files only under xliff")
    file_ids = [f.get("id") for f in root]
    check(len(set(file_ids)) == len(file_ids) and all(file_ids), "2.0 file ids %r" % file_ids)
    for f in root:
        kids = [c.tag for c in f]
        check(kids[0] == q + "notes" and all(k == q + "unit" for k in kids[1:]) and len(kids) > 1,
              "2.0 file children %r" % kids)
        unit_ids = [u.get("id") for u in f.findall(q + "unit")]
        check(len(set(unit_ids)) == len(unit_ids), "2.0 unit ids %r" % unit_ids)
        for u in f.findall(q + "unit"):
            order = [c.tag.replace(q, "") for c in u]
            rank = {"notes": 0, "originalData": 1, "segment": 2}
            check([rank[t] for t in order] == sorted(rank[t] for t in order), "2.0 unit order %r" % order)
            data = {d.get("id") for d in u.iter(q + "data")}
            seg_ids = [s.get("id") for s in u.findall(q + "segment")]
            check(len(set(seg_ids)) == len(seg_ids), "2.0 segment ids %r" % seg_ids)
            for n in u.iter(q + "note"):
                check(n.get("category") in ("error", "warning", "backend"), "2.0 note %r" % n.attrib)
            for s in u.findall(q + "segment"):
                state, sub = s.get("state"), s.get("subState")
                check(state in ("initial", "translated", "reviewed", "final"), "2.0 state %r" % state)
                check(sub is None or (":" in sub and not sub.startswith("xlf:")), "2.0 subState %r" % sub)
                kids = [c.tag for c in s]
                check(kids in ([q + "source"], [q + "source", q + "target"]), "2.0 segment %r" % kids)
                has_target = s.find(q + "target") is not None
                check(not has_target or state != "initial" or sub == "honyaku:mt",
                      "2.0: a target left initial is marked MT")
                for pc in s.iter(q + "pc"):
                    check(pc.get("type") in ("fmt", "link"), "2.0 pc type %r" % pc.attrib)
                    if pc.get("subType"):
                        check(pc.get("type") == "fmt", "2.0 subType needs type fmt")
                    for ref in ("dataRefStart", "dataRefEnd"):
                        if pc.get(ref):
                            check(pc.get(ref) in data, "2.0 %s %s in data %r" % (ref, pc.get(ref), data))
                # ids of inline elements unique within their side
                for side in s:
                    ids = [pc.get("id") for pc in side.iter(q + "pc")]
                    check(len(set(ids)) == len(ids), "2.0 pc ids %r" % ids)
    return root


def read_xliff20_with_toolkit(path):
    """translate-toolkit's own XLIFF 2.0 reader when this one has it."""
    try:
        from translate.storage import xliff2  # noqa: F401  (3.17 and later)
    except ImportError:
        return None
    return xliff2.Xliff2File.parsefile(path)


# ---- HTML --------------------------------------------------------------

class HtmlRead(html.parser.HTMLParser):
    """What a reader of the page meets: links, marked rows, ids, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs, self.ids, self.rows, self.text, self.scripts = [], set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "tr" and a.get("id"):
            self.rows.append((a["id"], (a.get("class") or "").split()))
        if tag == "script":
            self.scripts += 1

    def handle_data(self, data):
        self.text.append(data)


def check_html(path, want_articles, want_title):
    with open(path, encoding="utf-8") as f:
        page = f.read()
    # HTML5: html5lib in strict mode raises on the first parse error.
    doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    check(doc.find("head/title").text == want_title, "html title %r" % doc.find("head/title").text)
    toc = doc.findall(".//nav/ol/li/a")
    sections = doc.findall(".//section")
    check(len(toc) == want_articles == len(sections), "html toc %d sections %d" % (len(toc), len(sections)))
    check([a.get("href") for a in toc] == ["#" + s.get("id") for s in sections], "toc links")
    legend = [s.get("class") for s in doc.findall(".//ul[@class='legend']/li/span")]
    check(legend == ["mark tm", "mark warning", "mark failed"], "legend %r" % legend)
    h = HtmlRead()
    h.feed(page)
    h.close()
    check(h.scripts == 0 and not any(x.lower().startswith("javascript") for x in h.hrefs), "no script")
    check(all(x[1:] in h.ids for x in h.hrefs if x.startswith("#")), "every anchor exists")
    return doc, h, page


# ---- the test ----------------------------------------------------------

def main():
    tmp = tempfile.mkdtemp(prefix="hny-export-cli-")
    try:
        recs = validate_records([record("1", "es", failed=True), record("2", "es"),
                                 record("3", "ja"), record("4", "es", backend="aligned")])
        src = os.path.join(tmp, "records.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        out = lambda name: os.path.join(tmp, name)  # noqa: E731

        # JSON Lines: every record, unchanged (a records file: any state).
        code, _, err = run(["export", "--format", "jsonl", "--in", src, "--out", out("all.jsonl")])
        check(code == 0 and "4 records" in err, "jsonl: %d %r" % (code, err))
        with open(out("all.jsonl"), encoding="utf-8") as f:
            check([json.loads(l) for l in f] == recs, "jsonl round trip")

        # Several pairs into one TMX or XLIFF file: refused, pairs named, nothing written.
        for fmt, label in (("tmx", "TMX"), ("xliff", "XLIFF 2.0"), ("xliff12", "XLIFF 1.2")):
            code, _, err = run(["export", "--format", fmt, "--in", src, "--out", out("mixed." + fmt)])
            check(code == 1 and "records of 2 language pairs: en-es (3), en-ja (1)" in err
                  and "A %s file holds one pair" % label in err and "--pair" in err
                  and "--out DIR/" in err, "%s mixed: %d %r" % (fmt, code, err))
            check(not os.path.exists(out("mixed." + fmt)) and not os.path.exists(out("mixed.%s.tmp" % fmt)),
                  "%s mixed: nothing left" % fmt)

        # TMX of one pair, read by translate-toolkit.
        code, _, err = run(["export", "--format", "tmx", "--in", src, "--pair", "en-es", "--out", out("es.tmx")])
        check(code == 0 and "3 records, 11 segment pairs" in err and "1 segment pairs without" in err
              and "1 links of aligned records with a side without counterpart left out" in err,
              "tmx: %d %r" % (code, err))
        xmllint(out("es.tmx"))
        store = tmx.tmxfile.parsefile(out("es.tmx"))
        check(store.sourcelanguage == "en", "tmx srclang %r" % store.sourcelanguage)
        check(len(store.units) == 11, "tmx units %d" % len(store.units))
        u = store.units[1]
        check(u.source == "It is <b>bold</b> & \"quoted\"." and u.target == "Es <b>audaz</b> & \"citado\".",
              "tmx unit %r %r" % (u.source, u.target))
        langs = {tuple(n.get(XML_LANG) for n in unit.getlanguageNodes()) for unit in store.units}
        check(langs == {("en", "es")}, "tmx languages %r" % langs)
        check(sum(1 for unit in store.units if unit.source.startswith("A <a")) == 2,
              "tmx: the failed link left out, the others in")

        # One file per pair into a directory (tmx and xliff12), each readable.
        code, _, err = run(["export", "--format", "tmx", "--in", src, "--out", out("tm") + "/"])
        check(code == 0 and sorted(os.listdir(out("tm"))) == ["records.en-es.tmx", "records.en-ja.tmx"],
              "tmx per pair: %d %r %r" % (code, err, os.listdir(out("tm")) if os.path.isdir(out("tm")) else None))
        check("records.en-ja.tmx: en-ja, 1 record" in err, "tmx per pair report %r" % err)
        ja = tmx.tmxfile.parsefile(os.path.join(out("tm"), "records.en-ja.tmx"))
        check(len(ja.units) == 4 and ja.units[3].target == "二行 <i>ここ</i>。", "tmx en-ja units")
        for name in os.listdir(out("tm")):
            xmllint(os.path.join(out("tm"), name))

        # XLIFF 1.2, read by translate-toolkit: files, units, states, notes.
        os.mkdir(out("x12"))
        code, _, err = run(["export", "--format", "xliff12", "--in", src, "--out", out("x12")])
        check(code == 0 and sorted(os.listdir(out("x12"))) == ["records.en-es.xlf", "records.en-ja.xlf"],
              "xliff12 per pair: %d %r" % (code, err))
        path12 = os.path.join(out("x12"), "records.en-es.xlf")
        xmllint(path12)
        st = xliff.xlifffile.parsefile(path12)
        check(st.sourcelanguage == "en" and st.targetlanguage == "es",
              "xliff12 languages %r %r" % (st.sourcelanguage, st.targetlanguage))
        check(st.getfilenames() == ["in/1.html", "in/2.html", "in/4.html"], "xliff12 files %r" % st.getfilenames())
        units = {u.getid(): u for u in st.units}
        check(len(units) == 12, "xliff12 units %d" % len(units))
        u = units["in/1.html\x04p0.s1"]
        check(u.source == "It is bold & \"quoted\"." and u.target == "Es audaz & \"citado\".",
              "xliff12 text %r %r" % (u.source, u.target))
        # translate-toolkit's states: needs-review-translation is "needs review"
        check(u.get_state_n() == xliff.xliffunit.S_NEEDS_REVIEW,
              "xliff12: machine translation needs review (%r)" % u.get_state_n())
        tgt = u.xmlelement.find("{%s}target" % X12)
        check(tgt.get("state") == "needs-review-translation" and tgt.get("state-qualifier") == "mt-suggestion",
              "xliff12 MT state %r" % tgt.attrib)
        failed = units["in/1.html\x04p0.s2"]
        check(failed.target is None and "not translated: down" in failed.getnotes(),
              "xliff12 failed unit %r %r" % (failed.target, failed.getnotes()))
        check("warning: markup dropped" in units["in/2.html\x04p0.s2"].getnotes(), "xliff12 warning note")
        check(units["in/1.html\x04p1.s1"].source == "Two\nlines here.", "xliff12 keeps the line break")
        human = units["in/4.html\x04p0.s1"]
        htgt = human.xmlelement.find("{%s}target" % X12)
        check(htgt.get("state") == "translated" and htgt.get("state-qualifier") is None
              and human.get_state_n() == xliff.xliffunit.S_TRANSLATED, "xliff12 human %r %r"
              % (htgt.attrib, human.get_state_n()))
        root = etree.parse(path12).getroot()
        phases = root.findall(".//{%s}phase" % X12)
        check(len(phases) == 2 and phases[0].findtext("{%s}note" % X12) == "machine translation by apertium",
              "xliff12 phases %r" % [p.attrib for p in phases])
        check(len(root.findall(".//{%s}group[@restype='x-paragraph']" % X12)) == 6, "xliff12 groups")

        # XLIFF 2.0 (also as xliff20), one pair.
        code, _, err = run(["export", "--format", "xliff20", "--in", src, "--pair", "EN-ES", "--out", out("x20.xlf")])
        check(code == 0 and "3 records, 12 segment pairs" in err, "xliff20: %d %r" % (code, err))
        xmllint(out("x20.xlf"))
        root = check_xliff20(out("x20.xlf"))
        q = "{%s}" % X20
        check(root.get("srcLang") == "en" and root.get("trgLang") == "es", "xliff20 pair")
        segs = root.findall(".//%ssegment" % q)
        states = [(s.get("state"), s.get("subState")) for s in segs]
        check(states.count(("initial", "honyaku:mt")) == 7 and states.count(("translated", None)) == 4
              and states.count(("initial", None)) == 1, "xliff20 states %r" % states)
        check([n.text for n in root.findall("./%sfile/%snotes/%snote[@category='backend']" % (q, q, q))]
              == ["apertium", "apertium", "aligned"], "xliff20 backend notes")
        tk20 = read_xliff20_with_toolkit(out("x20.xlf"))
        if tk20 is None:
            print("test_export_cli: translate-toolkit has no XLIFF 2.0 reader here; "
                  "XLIFF 2.0 checked with lxml (check_xliff20)")
        else:
            check(len(tk20.units) == 12, "translate-toolkit xliff2 units %d" % len(tk20.units))

        # HTML: valid HTML5, contents, numbers, marks, escaping.
        code, _, err = run(["export", "--format", "html", "--in", src, "--out", out("page.html")])
        check(code == 0, "html: %d %r" % (code, err))
        doc, h, page = check_html(out("page.html"), 4, "honyaku export: 4 articles, several language pairs")
        classes = [c for _, c in h.rows]
        check(sum("failed" in c for c in classes) == 1 and sum("warning" in c for c in classes) == 2
              and sum("tm" in c for c in classes) == 3 and sum("title" in c for c in classes) == 4,
              "html marks %r" % classes)
        check([r[0] for r in h.rows[:4]] == ["a1-1", "a1-2", "a1-3", "a1-4"], "html row numbers %r" % h.rows[:4])
        check("R&amp;D &lt;today&gt; 1" in page and "<today>" not in page, "html escaping")
        check("R&D <today> 1" in "".join(h.text), "html text")
        code, _, err = run(["export", "--format", "html", "--in", src, "--pair", "en-ja", "--out", out("ja.html")])
        check_html(out("ja.html"), 1, "honyaku export: 1 article, en → ja")

        # Moses: two language pairs, so corpus.SRC-TGT.L; lines aligned.
        code, _, err = run(["export", "--format", "moses", "--in", src, "--out", out("moses")])
        check(code == 0, "moses: %d %r" % (code, err))
        names = sorted(os.listdir(out("moses")))
        check(names == ["corpus.en-es.en", "corpus.en-es.es", "corpus.en-ja.en", "corpus.en-ja.ja"],
              "moses files %r" % names)

        def lines(name):
            with open(os.path.join(out("moses"), name), encoding="utf-8") as f:
                return f.read().split("\n")[:-1]
        en, es = lines("corpus.en-es.en"), lines("corpus.en-es.es")
        check(len(en) == len(es) == 11, "moses en-es %d %d" % (len(en), len(es)))
        check(en[1:3] == ["It is bold & \"quoted\".", "Two lines here."], "moses en %r" % en)

        # One pair from stdin: corpus.en / corpus.es.
        code, _, err = run(["export", "--format", "moses", "--in", "-", "--out", out("moses1")],
                           stdin=(json.dumps(recs[0]) + "\n").encode())
        check(code == 0 and sorted(os.listdir(out("moses1"))) == ["corpus.en", "corpus.es"],
              "moses one pair: %d %r" % (code, err))
        # TMX of one pair to stdout.
        code, stdout, err = run(["export", "--format", "tmx", "--in", src, "--pair", "en-ja"])
        check(code == 0 and stdout.count(b"<tu ") == 4, "tmx to stdout")

        # Filters on a records file.
        def exported(*args, env=None):
            path = out("f.jsonl")
            if os.path.exists(path):
                os.unlink(path)
            code, _, err = run(["export", "--in", src, "--out", path] + list(args), env=env)
            return code, (jobs_of(path) if os.path.exists(path) else None), err
        check(exported("--state", "done")[1] == ["2", "3", "4"], "--state done")
        check(exported("--state", "failed")[1] == ["1"], "--state failed")
        check(exported("--state", "all", "--pair", "en-es")[1] == ["1", "2", "4"], "--pair en-es")
        # finished: job N at 2024-05-(N+1)T00:00Z
        check(exported("--since", "2024-05-03")[1] == ["2", "3", "4"], "--since a date (TZ=UTC)")
        check(exported("--since", "2024-05-03", env={"TZ": "America/New_York"})[1] == ["3", "4"],
              "--since a date is local midnight")
        check(exported("--since", "2024-05-03T09:00:00+09:00")[1] == ["2", "3", "4"], "--since with an offset")
        check(exported("--since", "2024-05-03T00:00:00.001Z")[1] == ["3", "4"], "--since a ms later")
        check(exported("--since", "2024-05-05T00:00:00.001Z")[0] == 4, "--since after every record")
        check(exported("--job", "3", "--job", "1")[1] == ["1", "3"], "--job 3 --job 1 (file order)")
        check(exported("--job", "1", "--state", "done")[0] == 4, "--job 1 --state done: nothing")
        check(exported("--pair", "en-es", "--state", "done", "--since", "2024-05-04")[1] == ["4"],
              "filters together")

        # Nothing to export: exit 4, nothing written, the pairs found named.
        code, jobs, err = exported("--pair", "en-fr")
        check(code == 4 and jobs is None and "no record to export (--state all --pair en-fr)" in err
              and "en-es (3), en-ja (1)" in err and "nothing written" in err, "no record: %d %r" % (code, err))
        code, _, err = run(["export", "--format", "xliff12", "--in", src, "--state", "failed",
                            "--pair", "en-ja", "--out", out("none.xlf")])
        check(code == 4 and not os.path.exists(out("none.xlf")) and not os.path.exists(out("none.xlf.tmp")),
              "no record xliff12: %d %r" % (code, err))

        # Bad values: usage errors, before anything is read.
        for args, words in ((["--pair", "english-japanese"], "is not a language pair"),
                            (["--pair", "en"], "is not a language pair"),
                            (["--since", "yesterday"], "--since wants an ISO 8601"),
                            (["--since", "2024-02-30"], "--since wants an ISO 8601"),
                            (["--state", "running"], "--state must be done, failed or all"),
                            (["--job", ""], "--job wants a job id"),
                            (["--format", "docx"], "unknown format 'docx'")):
            code, _, err = run(["export", "--in", src] + args)
            check(code == 2 and words in err, "%r: %d %r" % (args, code, err))
        # A job that is not in the file; a --since the records cannot answer.
        code, jobs, err = exported("--job", "3", "--job", "99")
        check(code == 1 and "job 99 is not in" in err and jobs is None, "--job 99: %d %r" % (code, err))
        old = dict(recs[0])
        del old["finished"]
        with open(out("old.jsonl"), "w") as f:
            f.write(json.dumps(old) + "\n")
        code, _, err = run(["export", "--in", out("old.jsonl"), "--since", "2024-01-01"])
        check(code == 1 and "says not when it was finished" in err, "--since, old record: %d %r" % (code, err))
        check(run(["export", "--in", out("old.jsonl")])[0] == 0, "old record without --since")

        # Refusals of the input.
        bad = out("bad.jsonl")
        with open(bad, "w") as f:
            f.write(json.dumps(recs[0]) + "\n{not json\n")
        code, _, err = run(["export", "--format", "tmx", "--in", bad, "--out", out("bad.tmx")])
        check(code == 1 and "line 2" in err, "bad line: %d %r" % (code, err))
        check(not os.path.exists(out("bad.tmx")) and not os.path.exists(out("bad.tmx.tmp")), "bad: nothing left")
        with open(bad, "w") as f:
            f.write(json.dumps(dict(recs[0], source_lang="../../x")) + "\n")
        code, _, err = run(["export", "--format", "moses", "--in", bad, "--out", out("m3")])
        check(code == 1 and "language" in err, "bad lang: %d %r" % (code, err))
        check(os.listdir(out("m3")) == [], "bad lang: nothing left")
        code, _, err = run(["export", "--format", "moses", "--in", src])
        check(code == 2 and "--out DIR" in err, "moses without --out: %d %r" % (code, err))
        code, _, err = run(["export", "--in", out("missing.jsonl")])
        check(code == 1 and "missing.jsonl" in err, "missing input: %d %r" % (code, err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("test_export_cli: %d failures" % failures, file=sys.stderr)
        sys.exit(1)
    print("test_export_cli: ok")


if __name__ == "__main__":
    main()

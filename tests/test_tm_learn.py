#!/usr/bin/python3
"""The translation memory that learns, through the real honyakud and
honyaku-worker processes, the project's translation-API test server
(hny-testserver, speaking DeepL: it bills what it translates) and the
honyaku command.

usage: test_tm_learn.py HONYAKUD HONYAKU HNY-TESTSERVER

1. Bad files import nothing: broken XML, an unknown language (in the
   third <tu>, after two good ones), a TMX of mixed pairs without
   --from/--to, an empty file, an XLIFF with machine targets only, a file
   over --max-bytes, and a TMIMPORT whose second entry is not a pair (the
   daemon's check): each a clear error, and the TM holds no human entry
   after any of them. The mixed TMX with --from en --to fr imports its
   en-fr unit alone.
2. TMX import, then an article of those sentences: nothing billed
   (STATS chars_billed and requests unchanged), every pair "tm": true,
   "origin": "human" with the imported target; in another profile of the
   pair as well (human entries belong to no profile); stats and /metrics
   text count the human hits.
3. A reviewed XLIFF round trip (1.2, then 2.0): an article translated by
   the service, exported, one target edited and marked translated
   (final in 2.0), imported back: the same article under a new key
   carries the reviewed target with origin human, the other pairs the
   machine's from the TM.
4. An align job's records.jsonl imported: its links serve the article.
   An HTML article's markup (bold, a link) comes back from both XLIFF
   versions as its prepared source has it.
5. `honyaku tm export` read back with translate-toolkit as TMX, human and
   machine entries told apart (creationid, x-origin)."""
import json
import os
import sys
import xml.etree.ElementTree as ET

from translate.storage import tmx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks, Fixture, poll, run  # noqa: E402
from test_daemon_util import Client  # noqa: E402

KEY = "test-key"
X12 = "urn:oasis:names:tc:xliff:document:1.2"
X20 = "urn:oasis:names:tc:xliff:document:2.0"

WAGES = ("Wages fell\n\nReal wages fell for the third month.\n\n"
         "Unions called for a raise.\n")
WAGES_JA = ["賃金が下落", "実質賃金は3か月連続で下落した。", "労働組合は賃上げを求めた。"]
BUDGET = ("Budget passed\n\nThe Diet passed the budget on Friday.\n\n"
          "Critics objected to the military spending.\n")


def config(url):
    profile = "\n[backend.%s]\ntype = deepl\nurl = %s\nkey_env = HNY_TS_KEY\nretry_base_ms = 20\n"
    return ("[daemon]\nheartbeat_ms = 200\ndefault_backend = deepl\n"
            + profile % ("deepl", url) + profile % ("plain", url))


def tmx_doc(tus, srclang="en"):
    """A TMX 1.4b file of tus: lists of (lang, text)."""
    body = "".join("<tu>%s</tu>\n" % "".join(
        '<tuv xml:lang="%s"><seg>%s</seg></tuv>' % (lang, text) for lang, text in tu) for tu in tus)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="%s"'
            ' datatype="plaintext" segtype="sentence" adminlang="en" creationtool="t"'
            ' creationtoolversion="1" o-tmf="t"/><body>\n%s</body></tmx>\n' % (srclang, body))


def pairs(rec):
    return ([rec["title"]] if rec.get("title") else []) + [s for p in rec["paragraphs"] for s in p["segments"]]


def main(honyakud, honyaku, testserver):
    check = Checks()
    with Fixture("hnytm") as fx:
        _, port = fx.start_testserver(testserver, "--key", KEY)
        url = "http://127.0.0.1:%d" % port
        front = fx.start_daemon(honyakud, config_text=config(url), workers=2,
                                env=dict(os.environ, HNY_TS_KEY=KEY))
        c = Client(front)
        poll("2 workers", lambda: fx.daemon.poll() is None and c.status()["workers"] == 2, 20)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)

        def hny(*args, code=0):
            rc, out, err = run([honyaku] + list(args), env=env, check=False, timeout=60)
            check(rc == code, "honyaku %s: exit %d (want %d): %s %s" % (args, rc, code, out, err))
            return out, err

        def counts(frm="en", to="ja"):
            cmd, h, _ = c.request("TMEXPORT", {"from": frm, "to": to, "limit": 1})
            assert cmd == "TM", (cmd, h)
            return h["human"], h["machine"]

        def profile(name):
            return c.request("STATS")[1]["profiles"].get(name, {})

        def translate(text, backend="deepl", key=None):
            h = {"backend": backend}
            if key:
                h["key"] = key
            job = c.accepted(text, frm="en", to="ja", **h)["job"]
            check(c.wait_done(job) == "done", "job %s not done" % job)
            return job, c.fetch(job)       # checked against record.schema.json

        # 1. Bad files: a clear error each, nothing imported.
        good = [[("en", "Wages fell"), ("ja", WAGES_JA[0])]]
        bad = {
            "broken.tmx": (tmx_doc(good).replace("</body>", ""), "broken XML"),
            "lang.tmx": (tmx_doc(good * 2 + [[("en", "Unions called for a raise."),
                                               ("english", WAGES_JA[2])]]), "unknown language 'english'"),
            "mixed.tmx": (tmx_doc(good + [[("en", "Budget passed"), ("fr", "Budget adopté")]]),
                          "give --from and --to"),
            "empty.tmx": ("", "file is empty"),
            "mt.xlf": ('<xliff version="1.2" xmlns="%s"><file source-language="en" target-language="ja"'
                       ' datatype="plaintext" original="a"><body><trans-unit id="1"><source>Wages fell'
                       '</source><target state="needs-review-translation">x</target></trans-unit>'
                       '</body></file></xliff>' % X12, "no entry to import"),
        }
        for name, (text, want) in bad.items():
            _, err = hny("tm", "import", fx.write(name, text), code=1)
            check(want in err and "nothing imported" in err, "%s: %r" % (name, err))
            check(counts() == (0, 0), "%s imported something: %r" % (name, counts()))
        big = fx.write("big.tmx", tmx_doc(good * 40))
        _, err = hny("tm", "import", big, "--max-bytes", "2K", code=1)
        check("larger than 2048 bytes" in err and "nothing imported" in err, "over the cap: %r" % err)
        check(counts() == (0, 0), "a file over the cap imported something: %r" % (counts(),))
        cmd, h, _ = c.request("TMIMPORT", {"from": "en", "to": "ja", "origin": "raw"},
                              json.dumps([["Wages fell", "x"], ["only a source"]]).encode())
        check(cmd == "REJECTED" and h["status"] == 422 and "entry 2" in h["reason"], (cmd, h))
        cmd, h, _ = c.request("TMIMPORT", {"from": "english", "to": "ja", "origin": "raw"}, b'[["a","b"]]')
        check(cmd == "REJECTED" and h["status"] == 400 and "from:" in h["reason"], (cmd, h))
        check(counts() == (0, 0), "a refused TMIMPORT imported something: %r" % (counts(),))

        # The pair of a mixed TMX that --from and --to name is taken alone.
        out, _ = hny("tm", "import", fx.path("mixed.tmx"), "--from", "en", "--to", "fr")
        check(out.startswith("imported 1 human entries en-fr") and "1 unit left out" in out, out)
        check(counts("en", "fr") == (1, 0) and counts() == (0, 0), "mixed, en-fr: %r" % (counts("en", "fr"),))

        # 2. TMX: the article bills nothing, in either profile.
        src = ["Wages fell", "Real wages fell for the third month.", "Unions called for a raise."]
        out, _ = hny("tm", "import", fx.write("wages.tmx", tmx_doc([[("en", s), ("ja", t)]
                                                                     for s, t in zip(src, WAGES_JA)])))
        check(out.startswith("imported 3 human entries en-ja"), out)
        check(counts() == (3, 0), "after the TMX: %r" % (counts(),))
        before = profile("deepl")
        _, rec = translate(WAGES)
        after = profile("deepl")
        check(after["chars_billed"] == before["chars_billed"] and after["requests"] == before["requests"],
              "imported sentences were billed: %r -> %r" % (before, after))
        got = [(p["src"], p["tgt"], p["tm"], p.get("origin")) for p in pairs(rec)]
        check(got == [(s, t, True, "human") for s, t in zip(src, WAGES_JA)], "TMX record: %r" % got)
        check(after["tm_human_hits"] == 3, "tm_human_hits %r" % after)
        _, rec = translate(WAGES, backend="plain")
        check(all(p.get("origin") == "human" for p in pairs(rec)), "plain profile: %r" % pairs(rec))
        check(profile("plain")["chars_billed"] == 0, "plain billed %r" % profile("plain"))
        text, _ = hny("stats", "--format", "prometheus")
        for line in ('honyaku_tm_hits_total{profile="deepl",origin="human"} 3',
                     'honyaku_tm_hits_total{profile="plain",origin="human"} 3',
                     'honyaku_tm_hits_total{profile="deepl",origin="machine"} 0'):
            check(line in text.splitlines(), "metrics: no %r" % line)
        text, _ = hny("stats")
        check("tm_human_hits" in text, "stats text: %r" % text)

        # 3. A reviewed XLIFF comes back as the house's translation.
        billed = profile("deepl")["chars_billed"]
        job, rec = translate(BUDGET)
        check(profile("deepl")["chars_billed"] > billed, "the service billed nothing for a new article")
        check(not any(p.get("origin") for p in pairs(rec)), "new article: %r" % pairs(rec))
        machine = {p["src"]: p["tgt"] for p in pairs(rec)}
        people = {}                     # the targets reviewed so far
        for fmt, ns, reviewed in (("xliff12", X12, "予算が成立した"), ("xliff", X20, "国会は金曜日に予算を可決した。")):
            path = fx.path("budget.%s.xlf" % fmt)
            hny("export", "--job", job, "--format", fmt, "--out", path)
            tree = ET.parse(path)
            ET.register_namespace("", ns)
            if fmt == "xliff12":
                unit = tree.find(".//{%s}trans-unit" % ns)                  # the title
                unit.find("{%s}target" % ns).text = reviewed
                unit.find("{%s}target" % ns).set("state", "translated")
                edited = unit.find("{%s}source" % ns).text
            else:
                units = tree.findall(".//{%s}segment" % ns)
                unit = units[1]                                             # the first sentence
                unit.find("{%s}target" % ns).text = reviewed
                unit.set("state", "final")
                del unit.attrib["subState"]
                edited = unit.find("{%s}source" % ns).text
            tree.write(path, encoding="UTF-8", xml_declaration=True)
            out, _ = hny("tm", "import", path)
            check(out.startswith("imported 1 human entries en-ja") and "2 units left out" in out,
                  "%s: %r" % (fmt, out))
            people[edited] = reviewed
            _, rec = translate(BUDGET, key="budget-again-" + fmt)
            for p in pairs(rec):
                want = (people[p["src"]], "human") if p["src"] in people else (machine[p["src"]], None)
                check((p["tgt"], p.get("origin")) == want and p["tm"], "%s: %r, want %r" % (fmt, p, want))
        human, mach = counts()
        check((human, mach) == (5, 1), "after the XLIFFs: %r (the reviewed replaced the machine's)"
              % ((human, mach),))

        # 4. An align job's records import as human entries.
        en = fx.write("al.en.txt", "Prices rose\n\nPrices rose sharply in May.\n")
        ja = fx.write("al.ja.txt", "物価が上昇\n\n5月に物価が急騰した。\n")
        hny("align", en, ja, "--from", "en", "--to", "ja", "--out", fx.path("al.jsonl"))
        with open(fx.path("al.jsonl"), encoding="utf-8") as f:
            links = [(p["src"], p["tgt"]) for p in pairs(json.loads(f.readline())) if p["src"] and p["tgt"]]
        check(len(links) == 2, "align links: %r" % links)
        out, _ = hny("tm", "import", fx.path("al.jsonl"), "--origin", "akahata-2024-05")
        check(out.startswith("imported 2 human entries"), out)
        _, rec = translate("Prices rose\n\nPrices rose sharply in May.\n")
        check([(p["src"], p["tgt"], p.get("origin")) for p in pairs(rec)]
              == [(s, t, "human") for s, t in links], "aligned: %r" % pairs(rec))

        # Markup (PROTOCOL.md 11.1) comes back from XLIFF 2.0 <pc> and 1.2
        # <g>/<bpt> as the prepared source has it: both files name the same
        # two sources (2 entries, not 4), and the article is served whole.
        page = ('<html><head><title>Rally held</title></head><body><h1>Rally held</h1><p>The <b>Diet</b>'
                ' passed it, see <a href="http://x.jp/a">the report</a>.</p></body></html>')
        job = c.accepted(page, frm="en", to="ja", backend="pseudo", format="html")["job"]
        check(c.wait_done(job) == "done", "html job")
        marked = [p["src"] for p in pairs(c.fetch(job))]
        check(any("<b>Diet</b>" in m and '<a href="http://x.jp/a">' in m for m in marked), marked)
        human0 = counts()[0]
        for fmt, old, new in (("xliff", 'state="initial" subState="honyaku:mt"', 'state="final"'),
                              ("xliff12", 'state="needs-review-translation" state-qualifier="mt-suggestion"',
                               'state="translated"')):
            path = fx.path("page.%s.xlf" % fmt)
            hny("export", "--job", job, "--format", fmt, "--out", path)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            fx.write("page.%s.xlf" % fmt, text.replace(old, new))
            out, _ = hny("tm", "import", path)
            check(out.startswith("imported 2 human entries"), "%s: %r" % (fmt, out))
        check(counts()[0] == human0 + 2, "markup: %d human entries, want %d" % (counts()[0], human0 + 2))
        job = c.accepted(page, frm="en", to="ja", backend="pseudo", format="html", key="page-again")["job"]
        check(c.wait_done(job) == "done", "html job again")
        check([p.get("origin") for p in pairs(c.fetch(job))] == ["human"] * len(marked), "markup not served")

        # 5. The export, read by translate-toolkit.
        path = fx.path("tm.tmx")
        _, err = hny("tm", "export", "--pair", "en-ja", "--out", path)
        check("10 entries written" in err, err)        # en-fr's is not in it
        with open(path, "rb") as f:
            store = tmx.tmxfile(f, "en", "ja")
        units = {u.source: u.target for u in store.units}
        check(len(store.units) == 10 and units["Unions called for a raise."] == WAGES_JA[2]
              and units["Prices rose"] == "物価が上昇", "translate-toolkit read %r" % units)
        origins = [tu.get("creationid") for tu in ET.parse(path).getroot().iter("tu")]
        check(sorted(origins) == ["human"] * 9 + ["machine"], "creationid: %r" % origins)
        _, err = hny("tm", "export", "--origin", "machine", "--out", fx.path("m.tmx"))
        check("1 entries written" in err, err)
        sources = [p.text for p in ET.parse(fx.path("tm.tmx")).getroot().iter("prop")
                   if p.get("type") == "x-source"]
        check("wages.tmx" in sources and "akahata-2024-05" in sources, "x-source: %r" % sources)
        hny("tm", "export", "--pair", "en-de", code=4)
        _, err = hny("tm", "export", "--out", fx.path("all.tmx"), code=1)    # en-ja and en-fr
        check("give --pair" in err and not os.path.exists(fx.path("all.tmx")), "two pairs, one file: %r" % err)
        check(fx.daemon.poll() is None, "honyakud exited")
        c.close()
    check.done("tm.learn")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])

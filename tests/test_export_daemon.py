#!/usr/bin/python3
"""test_export_daemon.py HONYAKUD HONYAKU: `honyaku export` against the real
honyakud and its workers (the built-in pseudo profile), on a private
ipc:// endpoint in a temporary directory.

Four articles: two en->es, one en->ja, and one of blank lines that
prepare refuses (the job fails). Then the filters over LIST and FETCH:
--state done|failed|all, --pair (in canonical form), --job (in the
order given; an unknown job is an error), --since (the records' finish
times: a moment between two of them splits them; after the last one
nothing is exported, exit 4); several pairs into one TMX file refused
with both pairs named; XLIFF 1.2 one file per pair read back with
translate-toolkit (machine translation marked, the backend named);
an HTML page of every job parsed as HTML5."""
import datetime
import json
import os
import sys

import html5lib
from translate.storage import xliff

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, run, validate_record  # noqa: E402

X12 = "urn:oasis:names:tc:xliff:document:1.2"

ARTICLES = [
    ("a.txt", "en", "es", "Budget passed\n\nThe Diet passed the budget on Friday. Critics objected.\n"),
    ("b.txt", "en", "es", "Wages fell\n\nReal wages fell for the third month.\n"),
    ("c.txt", "en", "ja", "Voters went out\n\nVoters went to the polls in Tokyo.\n"),
    ("blank.txt", "en", "es", "   \n\n   \n"),
]


def iso(ms):
    """ms since the epoch as ISO 8601 UTC with milliseconds."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def main(honyakud, honyaku):
    with Fixture("hnyexp") as fx:
        front = fx.start_daemon(honyakud, workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front, TZ="UTC")
        try:
            def up():
                if fx.daemon.poll() is not None:
                    raise AssertionError("honyakud exited with %d" % fx.daemon.returncode)
                return run([honyaku, "--timeout", "300", "status"], env=env, check=False)[0] == 0
            poll("honyakud to answer STATUS", up, timeout=20)

            jobs = {}
            for name, src, tgt, text in ARTICLES:
                path = fx.write(name, text)
                _, out, _ = run([honyaku, "submit", path, "--from", src, "--to", tgt], env=env)
                jobs[name] = out.split("\t")[0]
            for name, job in jobs.items():
                code, out, _ = run([honyaku, "wait", job, "--timeout", "30000"], env=env, check=False)
                want = "failed" if name == "blank.txt" else "done"
                assert out == "%s\t%s\n" % (job, want), (name, code, out)
            records = {}
            for name, job in jobs.items():
                _, out, _ = run([honyaku, "fetch", job], env=env)
                records[name] = validate_record(json.loads(out))
                assert isinstance(records[name]["finished"], int), records[name]

            def export(*args, check=True):
                return run([honyaku, "export"] + list(args), env=env, check=check)

            def exported_jobs(*args):
                _, out, _ = export(*args)
                return [json.loads(line)["job"] for line in out.splitlines()]

            done = [jobs["a.txt"], jobs["b.txt"], jobs["c.txt"]]
            # --state: done by default, failed, all; records as FETCH gave them.
            _, out, err = export()
            assert [json.loads(l) for l in out.splitlines()] == [records[n] for n in ("a.txt", "b.txt", "c.txt")], out
            assert exported_jobs("--state", "failed") == [jobs["blank.txt"]]
            # (jobs in the order of acceptance, as LIST gives them)
            assert exported_jobs("--state", "all") == done + [jobs["blank.txt"]]
            # --pair, in any case.
            assert exported_jobs("--pair", "EN-ja") == [jobs["c.txt"]]
            assert exported_jobs("--pair", "en-es", "--state", "all") == sorted(
                [jobs["a.txt"], jobs["b.txt"], jobs["blank.txt"]], key=int)
            # --job: those jobs, in the order given, whatever their state.
            assert exported_jobs("--job", jobs["blank.txt"], "--job", jobs["a.txt"]) == \
                [jobs["blank.txt"], jobs["a.txt"]]
            code, _, err = export("--job", jobs["a.txt"], "--job", "99999", check=False)
            assert code == 1 and "job 99999 does not exist" in err, (code, err)
            # --since: the records' finish times.
            times = sorted(records[n]["finished"] for n in ("a.txt", "b.txt", "c.txt"))
            later = [records[n]["job"] for n in ("a.txt", "b.txt", "c.txt")
                     if records[n]["finished"] >= times[1]]
            assert exported_jobs("--since", iso(times[1])) == sorted(later, key=int), (times, later)
            assert exported_jobs("--since", "2000-01-01") == done
            code, out, err = export("--since", iso(times[2] + 1), check=False)
            assert code == 4 and out == "" and "no record to export" in err, (code, err)
            code, _, err = export("--since", "tomorrow", check=False)
            assert code == 2 and "ISO 8601" in err, (code, err)

            # Several pairs into one TMX: refused, both named, nothing written.
            out_tmx = fx.path("all.tmx")
            code, _, err = export("--format", "tmx", "--out", out_tmx, check=False)
            assert code == 1 and "en-es (2), en-ja (1)" in err and "--out DIR/" in err, (code, err)
            assert not os.path.exists(out_tmx)

            # XLIFF 1.2, one file per pair, read by translate-toolkit.
            xdir = fx.path("xliff") + "/"
            _, _, err = export("--format", "xliff12", "--out", xdir)
            assert sorted(os.listdir(xdir)) == ["records.en-es.xlf", "records.en-ja.xlf"], err
            store = xliff.xlifffile.parsefile(os.path.join(xdir, "records.en-es.xlf"))
            assert store.getfilenames() == [records["a.txt"]["metadata"]["source"],
                                            records["b.txt"]["metadata"]["source"]], store.getfilenames()
            assert store.sourcelanguage == "en" and store.targetlanguage == "es"
            units = store.units
            want = sum(len(p["segments"]) for n in ("a.txt", "b.txt") for p in records[n]["paragraphs"]) + 2
            assert len(units) == want, (len(units), want)
            by_src = {u.source: u for u in units}
            title = records["a.txt"]["title"]
            assert by_src[title["src"]].target == title["tgt"], by_src.keys()
            for u in units:
                assert u.get_state_n() == xliff.xliffunit.S_NEEDS_REVIEW, (u.source, u.get_state_n())
                t = u.xmlelement.find("{%s}target" % X12)
                assert t.get("state-qualifier") == "mt-suggestion" and t.get("phase-name") == "mt1", t.attrib
            phase = store.document.getroot().find(".//{%s}phase/{%s}note" % (X12, X12))
            assert phase.text == "machine translation by pseudo", phase.text

            # HTML of every job: HTML5, one entry and section per article.
            page = fx.path("all.html")
            export("--format", "html", "--state", "all", "--out", page)
            with open(page, encoding="utf-8") as f:
                doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(f.read())
            assert len(doc.findall(".//nav/ol/li")) == 4 == len(doc.findall(".//section")), page
            assert doc.find("head/title").text == "honyaku export: 4 articles, several language pairs"
            failed = doc.findall(".//section")[3].findall(".//p")
            assert any("not translated: prepare" in "".join(p.itertext()) for p in failed), \
                [("".join(p.itertext())) for p in failed]
            print("test_export_daemon: ok")
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
            raise


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

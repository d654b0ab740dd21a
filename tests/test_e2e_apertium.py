"""End to end over real processes: Apertium APy on loopback, honyakud with two
real honyaku-worker processes on private ipc:// endpoints, the honyaku CLI
and the spec-only Python client.

usage: test_e2e_apertium.py HONYAKUD HONYAKU SPEC_CLIENT DEMO_ARCHIVE"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, run, read_jsonl  # noqa: E402

honyakud, honyaku, spec_client, archive = sys.argv[1:5]

SAMPLE_TITLE = "'Threat' recognized in Japan-US '2+2' talks shifts to China and Russia from DPRK"
BOILERPLATE = ["Past issues", "Bookmark and Share", "Copyright", "Advanced search",
               "HOME", "Mail to editor", "Japan Press Service", "Feature Articles"]
SPANISH = re.compile(r"\b(el|la|los|las|de|del|que|en|y|un|una|por|para|con|se)\b")


def segments(rec):
    return [s for p in rec["paragraphs"] for s in p["segments"]]


def check_record(rec):
    assert rec["schema"] == "honyaku.record/1", rec.get("schema")
    assert rec["source_lang"] == "en" and rec["target_lang"] == "es"
    assert rec["backend"] == "apertium"
    assert not rec["errors"], rec["errors"]
    segs = segments(rec)
    assert segs, "no segments in " + rec["metadata"].get("source", "?")
    for s in segs:
        assert s["tgt"], "untranslated segment: %r" % s["src"]
        for b in BOILERPLATE:
            assert b not in s["src"], "boilerplate %r in segment %r" % (b, s["src"])
        if len(s["src"].split()) >= 5:
            assert s["tgt"] != s["src"], "target equals source: %r" % s["src"]
            assert SPANISH.search(s["tgt"].lower()), "not Spanish? %r -> %r" % (s["src"], s["tgt"])


with Fixture("e2e") as fx:
    apy = fx.start_apy()
    front = fx.start_daemon(honyakud, config_text="""
[daemon]
default_backend = apertium

[backend.apertium]
type = apertium
url = %s
concurrency = 8
""" % apy, workers=2)
    env = dict(os.environ, HONYAKU_ENDPOINT=front)
    try:
        # 1. The batch: every article of the demo archive, one record each.
        out1 = fx.path("out1")
        run([honyaku, "batch", archive, "--from", "en", "--to", "es", "--backend", "apertium",
             "--out", out1], env=env, timeout=240)
        recs = read_jsonl(os.path.join(out1, "records.jsonl"))
        files = sorted(os.path.relpath(os.path.join(d, f), archive)
                       for d, _, fs in os.walk(archive) for f in fs if not f.startswith("."))
        assert len(recs) == len(files), (len(recs), files)
        for rec in recs:
            check_record(rec)
        sample = [r for r in recs if "threat-2plus2" in r["metadata"].get("source", "")]
        assert len(sample) == 1, [r["metadata"].get("source") for r in recs]
        s = sample[0]
        assert s["title"]["src"] == SAMPLE_TITLE, s["title"]
        assert s["title"]["tgt"], s["title"]
        md = s["metadata"]
        assert md["title"] == SAMPLE_TITLE, md
        assert md["date"] == "2019-04-21", md
        assert md["section"] == "POLITICS", md
        assert md["issue"] == "2019 April 17 - 23", md
        assert len(md.get("related", [])) == 3, md.get("related")
        assert len(s["paragraphs"]) == 7, len(s["paragraphs"])
        first = s["paragraphs"][0]["segments"][0]["src"]
        assert first.startswith("A change was seen in regard to"), first
        # an initialism inside a name is no sentence boundary (issue 9)
        treaty = [g["src"] for p in s["paragraphs"] for g in p["segments"] if "Treaty" in g["src"]]
        assert treaty == ["The statement stipulated for the first time that a cyberattack on Japan "
                          "would constitute an \"armed attack\" under Article 5 of the Japan-U.S. "
                          "Security Treaty."], treaty
        print("batch: %d records, %d segments" % (len(recs), sum(len(segments(r)) for r in recs)))
        # The worker's checks (PROTOCOL.md 12.2.1): Apertium keeps the
        # archive's numbers, dates and times, so none is flagged.
        kept = [(g["src"], f) for r in recs for g in segments(r) for f in g.get("qa", [])
                if f["check"] in ("number", "date", "time")]
        assert not kept, kept
        print("qa: %d flags on Apertium's segments, none on numbers, dates or times"
              % sum(len(g.get("qa", [])) for r in recs for g in segments(r)))

        # 2. Again on the same folder: the same jobs, nothing translated twice.
        out2 = fx.path("out2")
        run([honyaku, "batch", archive, "--from", "en", "--to", "es", "--backend", "apertium",
             "--out", out2], env=env, timeout=120)
        recs2 = read_jsonl(os.path.join(out2, "records.jsonl"))
        assert [r["job"] for r in recs2] == [r["job"] for r in recs], "second run made new jobs"
        _, st, _ = run([honyaku, "status", "--json"], env=env)
        status = json.loads(st)
        total = sum(status["jobs"].values())
        assert total == len(files), status

        # 3. A client written from proto/PROTOCOL.md alone.
        _, out, _ = run(["/usr/bin/python3", spec_client, front,
                         os.path.join(archive, "2024", "letter-from-readers.txt"),
                         "--from", "en", "--to", "es", "--backend", "apertium"], timeout=120)
        print("spec client: ok")

        # 4. Bad input: a clear error for that request, and the daemon keeps serving.
        bad = {
            "empty.txt": b"",
            "binary.bin": bytes(range(256)) * 64,
            "invalid-utf8.txt": "Café, naïve, résumé. ".encode() + b"Broken \xc3\x28 here and \xe2\x82 there.\n",
            # mostly ASCII: one "’" and two bad bytes are UTF-8 with damage, not windows-1252
            "damaged-utf8.txt": b"The ministers met on Friday. It\xe2\x80\x99s new: a stray \x92 and a "
                                b"cut \xe2\x80 quote.\n",
        }
        for name, data in bad.items():
            p = fx.path(name)
            with open(p, "wb") as f:
                f.write(data)
            code, out, err = run([honyaku, "submit", p, "--from", "en", "--to", "es",
                                  "--backend", "apertium", "--wait"], env=env, check=False, timeout=60)
            lines = [l for l in err.splitlines() if l.strip()]
            assert code != 0, "%s: exit 0 (%s)" % (name, out)
            assert lines and lines[-1].startswith("honyaku:"), "%s: %r" % (name, err)
            print("bad input %s: %s" % (name, lines[-1]))
        big = fx.path("big.txt")
        with open(big, "wb") as f:
            f.write(b"A sentence. " * (1024 * 1024))   # 12 MiB, over the 8 MiB cap
        code, _, err = run([honyaku, "submit", big, "--from", "en", "--to", "es"], env=env, check=False)
        assert code != 0 and "honyaku:" in err, err
        # Still serving:
        run([honyaku, "status"], env=env)
        print("ok")
    except BaseException:
        sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-6000:] + "\n")
        raise

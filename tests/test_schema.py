#!/usr/bin/python3
"""test_schema.py: the JSON Schemas of proto/schema/ (PROTOCOL.md sections
11 and 12) themselves, through tests/hnyfix.py's validate_record and
validate_prepared (python3-jsonschema, draft 2020-12): both schemas load
and are valid schemas, a known-good prepared article and record pass, and
each known-bad variant (a member missing, of the wrong type, one too
many, a rule across members broken) fails for the reason it was built
for. Exit status 0 when every case holds."""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hnyfix  # noqa: E402
from hnyfix import SchemaError, validate_prepared, validate_record  # noqa: E402

PREPARED = {
    "schema": "honyaku.prepared/1", "format": "jpw", "charset": "UTF-8", "replaced": 0,
    "metadata": {"title": "Threat of 2+2", "date": "2019-04-21", "issue": "2019 April 17 - 23",
                 "section": "POLITICS", "kicker": "Akahata editorial", "source": "a/b.html",
                 "related": [{"title": "Older", "date": "2018-12-19"}, {"title": "Undated"}]},
    "title": {"src": "Threat of 2+2"},
    "paragraphs": [{"segments": [{"src": "First <b>sentence</b>."}, {"src": "Second one."}]},
                   {"segments": [{"src": "Third, 日本."}]}],
    "stats": {"paragraphs": 2, "segments": 3, "chars": 0, "bytes": 0},
}
srcs = ["Threat of 2+2", "First <b>sentence</b>.", "Second one.", "Third, 日本."]
PREPARED["stats"]["chars"] = sum(len(s) for s in srcs)
PREPARED["stats"]["bytes"] = sum(len(s.encode()) for s in srcs)

RECORD = {
    "schema": "honyaku.record/1", "job": "17", "key": "k-1", "source_lang": "en",
    "target_lang": "es", "backend": "deepl",
    "metadata": {"title": "Threat of 2+2", "date": "2019", "source": "a/b.html", "charset": "UTF-8",
                 "format": "jpw", "replaced": 0, "author": {"any": ["value", 1]}},
    "title": {"src": "Threat of 2+2", "tgt": "Amenaza de 2+2", "tm": True},
    "paragraphs": [{"segments": [
        {"src": "First <b>sentence</b>.", "tgt": "Primera <b>frase</b>.", "tm": False,
         "backend": "apertium"},
        {"src": "Second one.", "tgt": None, "tm": False},
        {"src": "Third.", "tgt": "Tercera.", "tm": False, "warning": "markup lost"}]}],
    "errors": [{"paragraph": 0, "segment": 1, "code": 503, "class": "transient",
                "reason": "service unavailable (after 5 tries)"}],
    "stats": {"segments": 4, "chars": 0, "chars_billed": 30, "tm_hits": 1, "requests": 2,
              "time_ms": 812},
}
RECORD["stats"]["chars"] = sum(len(s) for s in ["Threat of 2+2", "First <b>sentence</b>.",
                                                  "Second one.", "Third."])
# A job that failed before it had segments (section 12.3).
FAILED = {
    "schema": "honyaku.record/1", "job": "18", "key": "k-2", "source_lang": "en",
    "target_lang": "es", "backend": "pseudo", "metadata": {"source": "x.bin"}, "title": None,
    "paragraphs": [],
    "errors": [{"paragraph": None, "segment": None, "code": 415, "class": "permanent",
                "reason": "prepare: not text"}],
    "stats": {"segments": 0, "chars": 0, "chars_billed": 0, "tm_hits": 0, "requests": 0,
              "time_ms": 3},
}

# An align job's record (section 12.6): links, a null side, the alignment.
ALIGNED = {
    "schema": "honyaku.record/1", "job": "19", "key": "k-3", "source_lang": "en",
    "target_lang": "ja", "backend": "aligned",
    "metadata": {"title": "Workers rally", "source": "en/a.txt", "charset": "UTF-8", "format": "text",
                 "replaced": 0},
    "title": {"src": "Workers rally", "tgt": "労働者が集会", "tm": False, "score": 0.8},
    "paragraphs": [{"segments": [
        {"src": "Unions rallied. They marched.", "tgt": "労組が集会した。", "tm": False, "score": 0.9},
        {"src": None, "tgt": "多くの人が参加した。", "tm": False, "score": 0.3}]},
        {"segments": [{"src": "A dropped sentence.", "tgt": None, "tm": False, "score": 0.2}]}],
    "errors": [],
    "stats": {"segments": 4, "chars": 0, "chars_billed": 0, "tm_hits": 0, "requests": 0,
              "time_ms": 40},
    "alignment": {"score": 0.71, "warning": "doubtful",
                  "stats": {"src_sentences": 3, "tgt_sentences": 2, "links": 3, "src_unlinked": 1,
                            "tgt_unlinked": 1, "kinds": {"2-1": 1, "0-1": 1, "1-0": 1}, "time_ms": 1.5},
                  "target_metadata": {"title": "労働者が集会", "source": "ja/a.txt", "charset": "Shift_JIS",
                                      "format": "text", "replaced": 0}},
}
ALIGNED["stats"]["chars"] = sum(len(s) for s in ["Workers rally", "Unions rallied. They marched.",
                                                   "A dropped sentence."])

failures = 0


def edit(doc, fn):
    d = copy.deepcopy(doc)
    fn(d)
    return d


def expect(ok, doc, validate, what, needle=None):
    global failures
    try:
        validate(doc)
        got, msg = True, ""
    except SchemaError as e:
        got, msg = False, str(e)
    if got != ok or (needle and needle not in msg):
        failures += 1
        print("FAIL: %s: %s%s" % (what, "passed" if got else "failed", (": " + msg[:600]) if msg else ""))


def setp(path, value):
    def fn(d):
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return fn


def delp(path):
    def fn(d):
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
    return fn


def main():
    # The schemas load, are valid draft 2020-12 schemas, and resolve.
    for name in ("prepared", "record"):
        v = hnyfix._validator(name)
        assert v.schema["$schema"].endswith("2020-12/schema"), name
    with open(os.path.join(hnyfix.SCHEMA_DIR, "record.schema.json"), encoding="utf-8") as f:
        assert json.load(f)["title"] == "honyaku.record/1"

    P, R, F = validate_prepared, validate_record, FAILED
    expect(True, PREPARED, P, "good prepared article")
    no_title = edit(PREPARED, setp(["title"], None))
    no_title["stats"]["chars"] -= len("Threat of 2+2")
    no_title["stats"]["bytes"] -= len("Threat of 2+2")
    expect(True, no_title, P, "prepared without a title")
    expect(True, RECORD, R, "good record")
    expect(True, F, R, "record of a job that failed early")
    expect(True, edit(F, setp(["metadata"], {})), R, "record with empty metadata")

    bad_prepared = [
        ("missing schema", delp(["schema"]), "'schema' is a required property"),
        ("missing stats", delp(["stats"]), "'stats' is a required property"),
        ("missing title (null is required)", delp(["title"]), "'title' is a required property"),
        ("missing stats.bytes", delp(["stats", "bytes"]), "'bytes' is a required property"),
        ("wrong schema", setp(["schema"], "honyaku.record/1"), "schema"),
        ("format auto", setp(["format"], "auto"), "format"),
        ("replaced a string", setp(["replaced"], "0"), "replaced"),
        ("replaced negative", setp(["replaced"], -1), "replaced"),
        ("title a string", setp(["title"], "T"), "title"),
        ("title with tgt", setp(["title", "tgt"], "x"), "title"),
        ("no paragraphs", setp(["paragraphs"], []), "paragraphs"),
        ("empty paragraph", setp(["paragraphs", 1, "segments"], []), "paragraphs/1/segments"),
        ("empty src", setp(["paragraphs", 0, "segments", 0, "src"], ""), "src"),
        ("src with a trailing space", setp(["paragraphs", 0, "segments", 1, "src"], "Second one. "), "src"),
        ("src a number", setp(["paragraphs", 0, "segments", 1, "src"], 5), "src"),
        ("extra member", setp(["extra"], 1), "extra"),
        ("extra in a segment", setp(["paragraphs", 0, "segments", 0, "tm"], False), "tm"),
        ("extra in stats", setp(["stats", "tokens"], 1), "tokens"),
        ("extra in metadata", setp(["metadata", "publisher"], "x"), "publisher"),
        ("author not a string", setp(["metadata", "author"], ["x"]), "author"),
        ("date not ISO", setp(["metadata", "date"], "April 21, 2019"), "date"),
        ("related not an array", setp(["metadata", "related"], {}), "related"),
        ("related item without title", setp(["metadata", "related"], [{"date": "2019"}]), "related"),
        ("related item with url", setp(["metadata", "related", 0, "url"], "u"), "url"),
        ("metadata null", setp(["metadata"], None), "metadata"),
        ("stats do not add up", setp(["stats", "segments"], 4), "do not add up"),
    ]
    for what, fn, needle in bad_prepared:
        expect(False, edit(PREPARED, fn), P, "prepared: " + what, needle)

    bad_record = [
        ("missing job", delp(["job"]), "'job' is a required property"),
        ("missing errors", delp(["errors"]), "'errors' is a required property"),
        ("missing title", delp(["title"]), "'title' is a required property"),
        ("missing stats.time_ms", delp(["stats", "time_ms"]), "'time_ms' is a required property"),
        ("missing tm", delp(["paragraphs", 0, "segments", 0, "tm"]), "'tm' is a required property"),
        ("title without tm", delp(["title", "tm"]), "'tm' is a required property"),
        ("missing tgt", delp(["paragraphs", 0, "segments", 2, "tgt"]), "'tgt' is a required property"),
        ("job an integer", setp(["job"], 17), "job"),
        ("tm a string", setp(["paragraphs", 0, "segments", 0, "tm"], "no"), "tm"),
        ("tgt a number", setp(["paragraphs", 0, "segments", 0, "tgt"], 1), "tgt"),
        ("stats a string", setp(["stats", "requests"], "2"), "requests"),
        ("code out of range", setp(["errors", 0, "code"], 42), "code"),
        ("class paused", setp(["errors", 0, "class"], "paused"), "class"),
        ("paragraph null, segment 1", setp(["errors", 0, "paragraph"], None), "errors/0"),
        ("title error segment 1", setp(["errors", 0, "paragraph"], -1), "errors/0"),
        ("extra member", setp(["schema_version"], 1), "schema_version"),
        ("extra in a pair", setp(["paragraphs", 0, "segments", 0, "score"], 0.5), "score"),
        ("extra in the title", setp(["title", "id"], 0), "id"),
        ("extra in a paragraph", setp(["paragraphs", 0, "id"], 0), "id"),
        ("extra in an error", setp(["errors", 0, "task"], "T1"), "task"),
        ("extra in stats", setp(["stats", "tokens"], 3), "tokens"),
        ("metadata title a number", setp(["metadata", "title"], 5), "title"),
        ("metadata date not ISO", setp(["metadata", "date"], "21/04/2019"), "date"),
        ("metadata charset without replaced", delp(["metadata", "replaced"]), "replaced"),
        ("metadata format auto", setp(["metadata", "format"], "auto"), "format"),
        ("failed pair from the TM", setp(["paragraphs", 0, "segments", 1, "tm"], True), "segments/1"),
        ("failed pair with a warning", setp(["paragraphs", 0, "segments", 1, "warning"], "w"), "segments/1"),
        ("empty paragraph", setp(["paragraphs", 0, "segments"], []), "segments"),
        ("stats.segments off", setp(["stats", "segments"], 3), "disagree"),
        ("stats.tm_hits off", setp(["stats", "tm_hits"], 0), "disagree"),
        ("stats.chars off", setp(["stats", "chars"], 1), "disagree"),
        ("failed pair without error", setp(["errors"], []), "one to one"),
        ("error without failed pair", setp(["errors", 0, "segment"], 2), "one to one"),
        ("job error beside pairs", lambda d: d["errors"].append(
            {"paragraph": None, "segment": None, "code": 500, "class": "transient", "reason": "x"}),
         "only error"),
    ]
    for what, fn, needle in bad_record:
        expect(False, edit(RECORD, fn), R, "record: " + what, needle)
    expect(False, edit(F, setp(["title"], {"src": "T", "tgt": None, "tm": False})), R,
           "failed-early record with a title", None)
    two = edit(RECORD, lambda d: d["errors"].insert(0, {"paragraph": 0, "segment": 1, "code": 500,
                                                        "class": "permanent", "reason": "again"}))
    expect(False, two, R, "record: two errors for one pair", "one to one")

    # Records of align jobs (12.6), and what only they may hold.
    expect(True, ALIGNED, R, "aligned record")
    expect(True, edit(F, setp(["backend"], "aligned")), R, "aligned record of a job that failed")
    expect(True, edit(ALIGNED, delp(["alignment", "warning"])), R, "aligned record without a warning")
    bad_aligned = [
        ("link without score", delp(["paragraphs", 0, "segments", 0, "score"]), "score"),
        ("link score over 1", setp(["paragraphs", 0, "segments", 0, "score"], 1.5), "score"),
        ("link from the TM", setp(["paragraphs", 0, "segments", 0, "tm"], True), "tm"),
        ("link with both sides null", setp(["paragraphs", 0, "segments", 1, "tgt"], None), "segments/1"),
        ("link with a warning", setp(["paragraphs", 0, "segments", 0, "warning"], "w"), "warning"),
        ("title without score", delp(["title", "score"]), "score"),
        ("no alignment", delp(["alignment"]), "'alignment' is a required property"),
        ("alignment without target_metadata", delp(["alignment", "target_metadata"]), "target_metadata"),
        ("alignment score a string", setp(["alignment", "score"], "0.7"), "score"),
        ("alignment kind not n-m", setp(["alignment", "stats", "kinds", "many"], 1), "many"),
        ("target charset without format", delp(["alignment", "target_metadata", "format"]), "format"),
        ("stats.chars counting a null side", setp(["stats", "chars"], 1), "disagree"),
        ("links off from alignment.stats", setp(["alignment", "stats", "links"], 2), "12.6"),
        ("an error beside links", lambda d: d["errors"].append(
            {"paragraph": None, "segment": None, "code": 500, "class": "transient", "reason": "x"}), None),
    ]
    for what, fn, needle in bad_aligned:
        expect(False, edit(ALIGNED, fn), R, "aligned record: " + what, needle)
    expect(False, edit(ALIGNED, setp(["backend"], "deepl")), R, "alignment in a translated record", None)
    expect(False, edit(RECORD, setp(["alignment"], ALIGNED["alignment"])), R,
           "translated record with an alignment", "alignment")
    expect(False, edit(RECORD, setp(["paragraphs", 0, "segments", 0, "src"], None)), R,
           "translated record with a null src", "src")
    failed_al = edit(F, setp(["backend"], "aligned"))
    failed_al["alignment"] = ALIGNED["alignment"]
    expect(False, failed_al, R, "failed aligned record with an alignment", None)

    print("test_schema: %d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""False alarms and recall of honyaku's QA checks (include/honyaku/qa.h)
on our own test set, through `honyaku qa`:

  tests/data/qa/pairs.tsv     190 correct English-Japanese pairs in the style
                              of Japan Press Weekly and Akahata, each checked
                              both ways (380 translations)
  tests/data/qa/planted.tsv   76 translations with one planted error each
                              (number, date, time, glossary, identical, tags,
                              script, length), both ways

usage: test_qa_rates.py HONYAKU DATA_DIR MAX_FALSE_ALARM_% MIN_RECALL_%
                        [ALIGN_DIR MAX_ALIGN_FLAGGED_%]

Writes the pairs as records (one JSON line each) and runs `honyaku qa
--format json --glossary` on them, once per direction with that direction's
glossary. A false alarm is a correct translation with any flag; a planted
error is caught when a flag of its check is raised. Prints both rates (and
recall per check, and every false alarm and miss), and fails when false
alarms pass MAX or recall falls under MIN.

With ALIGN_DIR (tests/data/align: the aligner's hand-aligned article
pairs, written apart from the checks, abridged and expanded as translators
do) every link with both sides is checked both ways, without a glossary;
their flags are real differences between the two texts as often as not,
so this share is reported and bounded, not called false alarms."""
import json
import os
import subprocess
import sys
import tempfile


def rows(path):
    return [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8")
            if l.strip() and not l.startswith("#")]


def record(job, src_lang, tgt_lang, src, tgt):
    pair = {"src": src, "tgt": tgt, "tm": False}
    return {"schema": "honyaku.record/1", "job": job, "key": job, "source_lang": src_lang,
            "target_lang": tgt_lang, "backend": "human", "metadata": {"source": job},
            "title": None, "paragraphs": [{"segments": [pair]}], "errors": [],
            "stats": {"segments": 1, "chars": len(src), "chars_billed": 0, "tm_hits": 0,
                      "requests": 0, "time_ms": 0}}


def run_qa(honyaku, data, tmp, src_lang, tgt_lang, recs):
    path = os.path.join(tmp, "records.%s-%s.jsonl" % (src_lang, tgt_lang))
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    glossary = os.path.join(data, "glossary.%s-%s.tsv" % (src_lang, tgt_lang))
    p = subprocess.run([honyaku, "qa", path, "--format", "json", "--glossary", glossary, "--top", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = json.loads(p.stdout)
    flagged = sum(a["flagged"] for a in out["articles"])
    want_rc = 1 if flagged else 0
    if p.returncode != want_rc or out["records"] != len(recs) or out["skipped_lines"]:
        raise SystemExit("honyaku qa: exit %d (want %d), %d records of %d: %s"
                         % (p.returncode, want_rc, out["records"], len(recs), p.stderr.decode()))
    return {a["job"]: a["pairs"][0]["qa"] if a["pairs"] else [] for a in out["articles"]}


def align_links(align_dir):
    """(name, en, ja) of every gold link of ALIGN_DIR with both sides: the
    sentences (one a line) joined as the languages join them."""
    out = []
    for sub in sorted(os.listdir(align_dir)):
        d = os.path.join(align_dir, sub)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not f.endswith(".gold"):
                continue
            base = os.path.join(d, f[:-5])
            en = [l.strip() for l in open(base + ".en", encoding="utf-8") if l.strip()]
            ja = [l.strip() for l in open(base + ".ja", encoding="utf-8") if l.strip()]
            for line in rows(base + ".gold"):
                if "-" in line[:2]:
                    continue
                out.append(("%s/%s:%s-%s" % (sub, f[:-5], line[0], line[1]),
                            " ".join(en[int(i)] for i in line[0].split(",")),
                            "".join(ja[int(i)] for i in line[1].split(","))))
    return out


def run_align(honyaku, align_dir, max_flagged):
    links = align_links(align_dir)
    flagged, total = [], 0
    with tempfile.TemporaryDirectory(prefix="qa-align-") as tmp:
        for src_lang, tgt_lang in (("en", "ja"), ("ja", "en")):
            recs = [record(name, src_lang, tgt_lang, en if src_lang == "en" else ja,
                           ja if src_lang == "en" else en) for name, en, ja in links]
            path = os.path.join(tmp, "align.%s-%s.jsonl" % (src_lang, tgt_lang))
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
            p = subprocess.run([honyaku, "qa", path, "--format", "json", "--top", "0"],
                               stdout=subprocess.PIPE, timeout=60)
            out = json.loads(p.stdout)
            total += out["segments"]
            flagged += [(a["job"], src_lang, p["qa"]) for a in out["articles"] for p in a["pairs"]]
    for job, lang, fl in flagged:
        print("aligned pair %s (from %s): %s" % (job, lang, "; ".join("%s %s: %s" % (x["check"], x["what"], x["detail"])
                                                                    for x in fl)))
    share = 100.0 * len(flagged) / total
    print("hand-aligned pairs: %d links both ways, %d flagged: %.1f%% (at most %.1f%%)"
          % (total, len(flagged), share, max_flagged))
    return share <= max_flagged


def main():
    if len(sys.argv) == 7:
        ok = run_align(sys.argv[1], sys.argv[5], float(sys.argv[6]))
        sys.argv = sys.argv[:5]
        if not ok:
            print("FAIL")
            return 1
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    honyaku, data = sys.argv[1], sys.argv[2]
    max_fa, min_recall = float(sys.argv[3]), float(sys.argv[4])
    pairs = rows(os.path.join(data, "pairs.tsv"))
    planted = rows(os.path.join(data, "planted.tsv"))
    assert len(pairs) >= 150 and len(planted) >= 60, (len(pairs), len(planted))
    with tempfile.TemporaryDirectory(prefix="qa-rates-") as tmp:
        flags = {}
        for src_lang, tgt_lang in (("en", "ja"), ("ja", "en")):
            recs = [record("%s:%s-%s" % (pid, src_lang, tgt_lang), src_lang, tgt_lang,
                           en if src_lang == "en" else ja, ja if src_lang == "en" else en)
                    for pid, en, ja in pairs]
            recs += [record("%s:%s" % (pid, check), f, t, src, tgt)
                     for pid, f, t, check, src, tgt in planted if f == src_lang]
            flags.update(run_qa(honyaku, data, tmp, src_lang, tgt_lang, recs))
    correct = [j for j in flags if j.startswith("p")]
    alarms = [(j, flags[j]) for j in correct if flags[j]]
    caught, per_check = [], {}
    for pid, f, t, check, src, tgt in planted:
        job = "%s:%s" % (pid, check)
        hit = any(fl["check"] == check for fl in flags[job])
        per_check.setdefault(check, [0, 0])
        per_check[check][0] += hit
        per_check[check][1] += 1
        if hit:
            caught.append(job)
        else:
            print("missed %s (%s-%s): %s -> %s; flags %s" % (job, f, t, src, tgt, flags[job]))
    for job, fl in alarms:
        print("false alarm %s: %s" % (job, "; ".join("%s %s: %s" % (x["check"], x["what"], x["detail"])
                                                     for x in fl)))
    fa = 100.0 * len(alarms) / len(correct)
    recall = 100.0 * len(caught) / len(planted)
    print("correct translations: %d, flagged %d: false alarms %.2f%% (at most %.2f%%)"
          % (len(correct), len(alarms), fa, max_fa))
    print("planted errors: %d, caught %d: recall %.1f%% (at least %.1f%%); by check: %s"
          % (len(planted), len(caught), recall, min_recall,
             ", ".join("%s %d/%d" % (c, h, n) for c, (h, n) in sorted(per_check.items()))))
    if fa > max_fa or recall < min_recall:
        print("FAIL")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

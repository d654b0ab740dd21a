#!/usr/bin/python3
"""records_diff.py: the same articles through two builds of honyaku, and
how their records differ.

    records_diff.py BEFORE_BIN AFTER_BIN [--articles N] [--no-apertium] [--keep DIR]

BEFORE_BIN and AFTER_BIN are build/bin directories (honyakud,
honyaku-worker, honyaku, hny-testserver). For each build: a fresh
honyakud --workers 2, then `honyaku batch` of the same generated articles
(1 to 72 sentences, every sentence unique, so no TM hit or in-flight
sharing depends on timing) through three profiles: `deepl` against
hny-testserver (concurrency 16, 50 texts a request), `deepl256`
(concurrency 256, one text a request: tasks of several requests) and
`apertium` against Apertium APy (eng-spa; skipped when APy is not
installed); then `deepl-tm`, the TM path: the same articles submitted
again under new keys through `deepl` (every segment a TM hit, taken from
the done jobs' records), and `deepl-mix`, the same sentences in new
articles (each article's paragraphs in reverse order: no job to reuse,
every segment a TM hit found by its lookup; past some 4,000 articles the
TM's recent entries are merged into its index meanwhile). The records
are compared member by member, job ids, keys and
times aside. Prints every member that differs with how many records, and
exits 0 when the only differences are the members listed by --allow
(default: stats.requests, which counts the HTTP requests made for a job
and so changes when requests are packed differently), 1 otherwise.
--keep DIR keeps the normalized records.jsonl of each side there."""
import argparse
import collections
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from hnyfix import Fixture, apy_installed, poll  # noqa: E402
from test_daemon_util import Client  # noqa: E402

WORDS = ["harbour", "teacher", "budget", "council", "river", "station", "assembly", "union", "farmers",
         "hospital", "wages", "ferry", "prices", "schools", "workers", "minister"]
TIMES = ("job", "key", "time_ms", "created", "finished", "finished_at", "updated")


def articles(count):
    rnd = random.Random(11)
    n = 0
    out = []
    for i in range(count):
        paras = []
        for _ in range(rnd.choice([1, 2, 3, 6, 12])):
            sents = []
            for _ in range(rnd.choice([1, 2, 3, 5, 6])):
                n += 1
                sents.append("In case %d the %s %s the %s on %s." % (
                    n, rnd.choice(WORDS), rnd.choice(["announced", "saw", "met", "questioned"]),
                    rnd.choice(WORDS), rnd.choice(["Monday", "Friday", "the weekend"])))
            paras.append(" ".join(sents))
        out.append("Report %d on the %s\n\n%s\n" % (i, rnd.choice(WORDS), "\n\n".join(paras)))
    return out


def mixed(text):
    """The same sentences as a new article: its paragraphs reversed."""
    head, _, body = text.partition("\n\n")
    paras = body.strip("\n").split("\n\n")
    return "%s\n\n%s\n" % (head, "\n\n".join(reversed(paras)))


def submit_all(bin_dir, client, texts, to, profile, prefix):
    """Each text under a new key; {source: record without ids}."""
    jobs = {}
    for i, text in enumerate(texts):
        rel = "a%03d.txt" % i
        jobs[rel] = client.accepted(text, frm="en", to=to, backend=profile, source=rel,
                                    key="%s-%d" % (prefix, i))["job"]
    out = {}
    for rel, job in jobs.items():
        if client.wait_done(job, 60000) != "done":
            raise SystemExit("%s: %s job %s did not finish" % (bin_dir, prefix, job))
        out[rel] = strip(client.fetch(job))
        segs = [out[rel]["title"]] + [g for p in out[rel]["paragraphs"] for g in p["segments"]]
        if not all(g.get("tm") for g in segs):
            raise SystemExit("%s: %s job %s: a segment was not a TM hit" % (bin_dir, prefix, job))
    return out


def strip(x):
    """A record without ids, keys and times."""
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in TIMES}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def normalized(path):
    """source -> the record without ids, keys and times."""
    recs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                recs[rec["metadata"]["source"]] = strip(rec)
    return recs


def run(bin_dir, texts, profiles, keep, side):
    """Every profile's records of one build: {profile: {source: record}}."""
    out = {}
    with Fixture("hnyrecdiff") as fx:
        arts = fx.path("articles")
        os.makedirs(arts)
        for i, text in enumerate(texts):
            with open(os.path.join(arts, "a%03d.txt" % i), "w", encoding="utf-8") as f:
                f.write(text)
        _, port = fx.start_testserver(os.path.join(bin_dir, "hny-testserver"), "--key", "k",
                                      "--quota", "1000000000000")     # never the limit here
        conf = ("[daemon]\ndefault_backend = deepl\n\n[worker]\ncredit = 64\n\n"
                "[backend.deepl]\ntype = deepl\nurl = http://127.0.0.1:%d\nkey_env = K\nconcurrency = 16\n\n"
                "[backend.deepl256]\ntype = deepl\nurl = http://127.0.0.1:%d\nkey_env = K\n"
                "concurrency = 256\nmax_texts = 1\n" % (port, port))
        if "apertium" in profiles:
            conf += "\n[backend.apertium]\ntype = apertium\nurl = %s\nconcurrency = 4\n" % fx.start_apy()
        env = dict(os.environ, K="k", HONYAKU_WORKER=os.path.join(bin_dir, "honyaku-worker"))
        front = fx.start_daemon(os.path.join(bin_dir, "honyakud"), conf, workers=2, env=env)
        client = Client(front)
        poll("honyakud with 2 workers", lambda: client.status()["workers"] == 2, 30)
        for profile, to in profiles.items():
            dest = fx.path("out-" + profile)
            r = subprocess.run([os.path.join(bin_dir, "honyaku"), "--endpoint", front, "batch", arts,
                                "--from", "en", "--to", to, "--backend", profile, "--out", dest],
                               capture_output=True, timeout=900)
            if r.returncode != 0:
                raise SystemExit("%s: honyaku batch (%s) exited %d: %s"
                                 % (bin_dir, profile, r.returncode, r.stderr.decode()[-2000:]))
            out[profile] = normalized(os.path.join(dest, "records.jsonl"))
            if profile == "deepl":
                # The TM path: the same articles under new keys (every
                # segment a hit), as honyaku batch submits them; then the
                # same sentences in new articles (hits by lookup).
                out["deepl-tm"] = submit_all(bin_dir, client, texts, to, profile, "tm-path")
                out["deepl-mix"] = submit_all(bin_dir, client, [mixed(t) for t in texts], to, profile,
                                              "tm-mix")
            if keep:
                os.makedirs(keep, exist_ok=True)
                with open(os.path.join(keep, "%s-%s.jsonl" % (side, profile)), "w", encoding="utf-8") as f:
                    for src in sorted(out[profile]):
                        f.write(json.dumps(out[profile][src], ensure_ascii=False, sort_keys=True) + "\n")
        client.close()
    return out


def differences(a, b, path=""):
    """Member paths whose values differ (lists of equal length by index)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from differences(a.get(k), b.get(k), path + "." + k if path else k)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for x, y in zip(a, b):
            yield from differences(x, y, path + "[]")
    elif a != b:
        yield path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--articles", type=int, default=60)
    ap.add_argument("--allow", default="stats.requests", help="comma list of members that may differ")
    ap.add_argument("--keep", help="a directory for the normalized records")
    ap.add_argument("--no-apertium", action="store_true", help="leave the apertium profile out (slow)")
    args = ap.parse_args()
    for d in (args.before, args.after):
        for exe in ("honyakud", "honyaku-worker", "honyaku", "hny-testserver"):
            if not os.access(os.path.join(d, exe), os.X_OK):
                print("records_diff.py: %s: no %s" % (d, exe), file=sys.stderr)
                return 2
    profiles = {"deepl": "de", "deepl256": "ja"}
    if args.no_apertium:
        pass
    elif apy_installed():
        profiles["apertium"] = "es"
    else:
        print("Apertium APy is not installed: the apertium profile is left out")
    texts = articles(args.articles)
    sides = [run(b, texts, profiles, args.keep, side) for b, side in ((args.before, "before"),
                                                                       (args.after, "after"))]
    allowed = set(x for x in args.allow.split(",") if x)
    bad = 0
    for profile in list(profiles) + ["deepl-tm", "deepl-mix"]:
        before, after = sides[0][profile], sides[1][profile]
        if set(before) != set(after):
            print("%s: the records are not of the same articles" % profile)
            bad += 1
            continue
        counts = collections.Counter()
        for src in before:
            for path in set(differences(before[src], after[src])):
                counts[path] += 1
        if not counts:
            print("%s: %d records, identical" % (profile, len(before)))
        for path, n in sorted(counts.items()):
            ok = path in allowed
            bad += not ok
            print("%s: %s differs in %d of %d records%s" % (profile, path, n, len(before),
                                                         " (allowed)" if ok else ""))
        if "stats.requests" in counts:
            print("%s: requests made: %d before, %d after" % (
                profile, sum(r["stats"]["requests"] for r in before.values()),
                sum(r["stats"]["requests"] for r in after.values())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

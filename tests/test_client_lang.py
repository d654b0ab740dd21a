#!/usr/bin/python3
"""test_client_lang.py HONYAKUD HONYAKU: languages are BCP 47 tags, checked
before anything is sent and stored in their canonical form (include/
honyaku/lang.h, PROTOCOL.md 5.1), through the honyaku command and the real
honyakud with one worker (the built-in pseudo profile):

  - submit, batch and prepare refuse a tag that names no language at once
    (exit 2, one line: "honyaku: unknown language 'english' (use a BCP 47
    tag such as en, ja, pt-BR)"), and the daemon gets no job;
  - other spellings of a tag are the same language: `submit --from EN
    --to Es` gives a record with source_lang "en" and target_lang "es";
    `batch --from EN --to pt_br` and then `--from en --to pt-BR` make the
    same jobs (the keys are derived from the canonical tags), and the TMX
    export names pt-BR, never pt_br.

The daemon's own refusal of a client that skips the library is
spec_client.py's case (spec.client)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks, Fixture, poll, read_jsonl, run  # noqa: E402

HONYAKUD, HONYAKU = sys.argv[1], sys.argv[2]
HINT = "(use a BCP 47 tag such as en, ja, pt-BR)"
check = Checks()


def jobs(env):
    _, out, _ = run([HONYAKU, "status", "--json"], env=env)
    return sum(json.loads(out).get("jobs", {}).values())


def main():
    with Fixture("hnylang") as fx:
        front = fx.start_daemon(HONYAKUD, workers=1)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)

        def up():
            if fx.daemon.poll() is not None:
                raise AssertionError("honyakud exited %d:\n%s" % (fx.daemon.returncode,
                                                                  fx.log("honyakud.log")))
            return run([HONYAKU, "--timeout", "300", "status"], env=env, check=False)[0] == 0
        poll("honyakud to answer STATUS", up, 20)
        art = fx.write("one.txt", "A first sentence. A second sentence.\n")
        src = fx.path("dir")
        for i in range(3):
            fx.write("dir/%d.txt" % i, "Article %d says something. It ends here.\n" % i)

        # Refused at once, nothing sent.
        bad = [
            (["submit", art, "--from", "english", "--to", "es"], "unknown language 'english'"),
            (["submit", art, "--from", "en", "--to", "xx"], "unknown language 'xx'"),
            (["submit", art, "--from", "e", "--to", "es"], "not a BCP 47 language tag: 'e'"),
            (["submit", art, "--from", "en--US", "--to", "es"], "not a BCP 47 language tag: 'en--US'"),
            (["submit", art, "--from", "en", "--to", "fr\u00e9"], "not a language tag: 'fr??'"),
            (["submit", art, "--from", "en", "--to", "en-US-u-ca-gregory"],
             "language tag longer than 15 bytes: 'en-US-u-ca-grego...'"),
            (["batch", src, "--from", "english", "--to", "es", "--out", fx.path("never")],
             "unknown language 'english'"),
            (["batch", src, "--from", "en", "--to", "japanese", "--out", fx.path("never")],
             "unknown language 'japanese'"),
            (["prepare", "--from", "english", art], "unknown language 'english'"),
        ]
        for args, want in bad:
            code, out, err = run([HONYAKU] + args, env=env, check=False)
            check(code == 2 and err == "honyaku: %s %s\n" % (want, HINT),
                  "%r: exit %d, stderr %r, want %r" % (args, code, err, want))
        check(jobs(env) == 0, "a refused language made a job")
        check(not os.path.exists(fx.path("never")), "batch wrote an output folder for a bad language")

        # Other spellings, one language.
        _, out, err = run([HONYAKU, "submit", art, "--from", "EN", "--to", "Es", "--wait"], env=env)
        job = out.split("\t")[0].strip()
        _, out, _ = run([HONYAKU, "fetch", job], env=env)
        rec = json.loads(out)
        check(rec["source_lang"] == "en" and rec["target_lang"] == "es",
              "record languages %r -> %r" % (rec["source_lang"], rec["target_lang"]))
        _, out, _ = run([HONYAKU, "submit", art, "--from", "en", "--to", "es"], env=env)
        check(out.split("\t")[0].strip() == job, "en/es after EN/Es: job %r, want %s" % (out, job))

        run([HONYAKU, "batch", src, "--from", "EN", "--to", "pt_br", "--out", fx.path("o1")],
            env=env, timeout=60)
        after_first = jobs(env)
        recs = read_jsonl(fx.path("o1", "records.jsonl"))
        check(len(recs) == 3 and all(r["source_lang"] == "en" and r["target_lang"] == "pt-BR"
                                     for r in recs),
              "batch records' languages: %r" % [(r["source_lang"], r["target_lang"]) for r in recs])
        run([HONYAKU, "batch", src, "--from", "en", "--to", "pt-BR", "--out", fx.path("o2")],
            env=env, timeout=60)
        check(jobs(env) == after_first == 4, "batch again in canonical spelling: %d jobs, then %d"
              % (after_first, jobs(env)))
        recs2 = read_jsonl(fx.path("o2", "records.jsonl"))
        check(sorted(r["job"] for r in recs2) == sorted(r["job"] for r in recs),
              "the second batch's records are other jobs")

        tmx = fx.path("out.tmx")
        run([HONYAKU, "export", "--format", "tmx", "--in", fx.path("o1", "records.jsonl"),
             "--out", tmx], env=env)
        text = open(tmx, encoding="utf-8").read()
        check('"pt-BR"' in text and "pt_br" not in text and '"en"' in text,
              "TMX languages: %r" % text[:600])

        # prepare takes any spelling of a real tag.
        code, out, err = run([HONYAKU, "prepare", "--from", "JA", "-"], env=env,
                             input="これは一つ目の文です。二つ目の文です。\n".encode())
        check(len(json.loads(out)["paragraphs"][0]["segments"]) == 2, "prepare --from JA: %r" % out)
    check.done("test_client_lang")


if __name__ == "__main__":
    main()

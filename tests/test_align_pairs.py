#!/usr/bin/python3
"""honyaku align-pairs: which article of one folder translates which of
the other, by shared anchors (numbers, dates, names) and the pages' dates.

- the 14 hand-aligned pairs of tests/data/align, under scrambled names,
  with one English article more that has no translation: every pair
  found, the extra article left without a partner;
- dated pages: of two English pages with the same text, the one whose
  date is near the Japanese page's is its pair; --days bounds the gap;
- a file that is not text is left out (said), a missing folder and bad
  options are errors.

usage: test_align_pairs.py HONYAKU DATA_DIR"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks, Fixture  # noqa: E402

HONYAKU, DATA = sys.argv[1], sys.argv[2]
check = Checks()


def pairs(*args):
    p = subprocess.run([HONYAKU, "align-pairs"] + list(args), capture_output=True, timeout=60)
    out, err = p.stdout.decode(), p.stderr.decode()
    rows = [line.split("\t") for line in out.splitlines()]
    return p.returncode, {os.path.basename(r[0]): (os.path.basename(r[1]), float(r[2])) for r in rows}, err


def page(lang, date, title, paragraphs):
    body = "".join("<p>%s</p>" % p for p in paragraphs)
    return ('<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8"><title>%s</title>'
            '<meta property="article:published_time" content="%sT09:00:00+09:00"></head>'
            '<body><article><h1>%s</h1>%s</article></body></html>' % (lang, title, date, title, body))


EN = ["Labor unions on May 12 held a rally in Tokyo, demanding a minimum wage of 1,500 yen.",
      "About 2,300 people took part, the organizers said.", "The current average is 1,004 yen."]
JA = ["労働組合は5月12日、東京で集会を開き、最低賃金1500円を求めました。",
      "主催者によると、約2300人が参加しました。", "現在の平均は1004円です。"]


def main():
    with Fixture("hnyap") as fx:
        en, ja = fx.path("en"), fx.path("ja")
        os.makedirs(en)
        os.makedirs(ja)
        want = {}
        for sub in ("dev", "heldout"):
            for name in sorted(os.listdir(os.path.join(DATA, sub))):
                if name.endswith(".en"):
                    base = name[:-3]
                    scrambled = hashlib.sha1(base.encode()).hexdigest()[:8] + ".txt"
                    shutil.copy(os.path.join(DATA, sub, name), os.path.join(en, base + ".txt"))
                    shutil.copy(os.path.join(DATA, sub, base + ".ja"), os.path.join(ja, scrambled))
                    want[base + ".txt"] = scrambled
        fx.write("en/zz-extra.txt", "A lone article\n\nThis article has no translation in the other folder."
                 " It mentions nothing the others do.\n")
        with open(fx.path("en/binary.txt"), "wb") as f:
            f.write(bytes(range(256)) * 4)
        code, got, err = pairs(en, ja, "--from", "en", "--to", "ja", "--out", fx.path("pairs.tsv"))
        check(code == 0 and "binary.txt" in err and "left out" in err, "align-pairs: %d %r" % (code, err))
        check("14 pairs of 15 source and 14 target articles (1 and 0 without a partner)" in err, err)
        with open(fx.path("pairs.tsv")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        found = {os.path.basename(r[0]): os.path.basename(r[1]) for r in rows}
        check(found == want, "pairs: %d right of %d: wrong %r" % (
            sum(found.get(k) == v for k, v in want.items()), len(want),
            {k: v for k, v in found.items() if want.get(k) != v}))
        check(all(os.path.isabs(r[0]) and os.path.isabs(r[1]) and 0 < float(r[2]) <= 1 for r in rows),
              "rows %r" % rows[:2])

        # dates: the English page near the Japanese one's date wins; --days bounds
        d = fx.path("dated")
        for sub in ("en", "ja"):
            os.makedirs(os.path.join(d, sub))
        fx.write("dated/en/may.html", page("en", "2024-05-14", "Workers rally for higher wages", EN))
        fx.write("dated/en/august.html", page("en", "2024-08-20", "Workers rally for higher wages", EN))
        fx.write("dated/ja/0512.html", page("ja", "2024-05-12", "最低賃金1500円を 東京で集会", JA))
        code, got, err = pairs(os.path.join(d, "en"), os.path.join(d, "ja"), "--from", "en", "--to", "ja")
        check(code == 0 and list(got) == ["may.html"] and got["may.html"][0] == "0512.html",
              "dated: %r %r" % (got, err))
        code, got, _ = pairs(os.path.join(d, "en"), os.path.join(d, "ja"), "--from", "en", "--to", "ja",
                             "--days", "1")
        check(code == 0 and got == {}, "--days 1: %r" % got)
        os.remove(os.path.join(d, "en", "may.html"))
        code, got, _ = pairs(os.path.join(d, "en"), os.path.join(d, "ja"), "--from", "en", "--to", "ja")
        check(code == 0 and got == {}, "98 days apart: %r" % got)

        os.makedirs(fx.path("empty"))
        code, got, err = pairs(fx.path("empty"), fx.path("empty"), "--from", "en", "--to", "ja")
        check(code == 0 and got == {} and "0 pairs of 0 source" in err, "empty folders: %d %r" % (code, err))

        # errors
        code, _, err = pairs(fx.path("nowhere"), ja, "--from", "en", "--to", "ja")
        check(code == 1 and "nowhere" in err, "missing folder: %d %r" % (code, err))
        code, _, err = pairs(en, ja, "--from", "en")
        check(code == 2 and "--from and --to" in err, "no --to: %d %r" % (code, err))
        code, _, err = pairs(en, ja, "--from", "en", "--to", "ja", "--min-score", "2")
        check(code == 2 and "--min-score" in err, "--min-score 2: %d %r" % (code, err))
    check.done("align_pairs")


if __name__ == "__main__":
    main()

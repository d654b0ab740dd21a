#!/usr/bin/python3
"""Fit the length norm of a language pair for honyaku's QA length check
(proto/hny_qa.c, s_norms), as Gale and Church (1993) model it: the length
of a translation lt is c * ls on average, with a variance s2 * ls, lengths
counted in characters that are not white space, after NFKC, without the
inline markup.

    qa_fit.py PAIRS.tsv                 en-ja and ja-en from our pairs (id, en, ja)
    qa_fit.py --tsv SRC TGT FILE.tsv    any pair from a two-column file (src, tgt)

Prints c and s2 (c = sum lt / sum ls; s2 = sum (lt - c ls)^2 / sum ls) and
how the pairs' deviations z = (lt - c ls) / sqrt (s2 max (ls, FLOOR)) fall,
so that the threshold of hny_qa.c (S_LEN_Z) can be read against them."""
import math
import re
import sys
import unicodedata

FLOOR = 30          # S_LEN_FLOOR of hny_qa.c
TAG = re.compile(r'</?(b|i)>|<a href="[^"<\n]*">|</a>')


def chars(text):
    plain = TAG.sub("", text)
    for esc, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        plain = plain.replace(esc, ch)
    return sum(1 for c in unicodedata.normalize("NFKC", plain) if not c.isspace())


def fit(name, pairs):
    ls = [chars(s) for s, _ in pairs]
    lt = [chars(t) for _, t in pairs]
    c = sum(lt) / sum(ls)
    s2 = sum((b - c * a) ** 2 for a, b in zip(ls, lt)) / sum(ls)
    zs = sorted((b - c * a) / math.sqrt(s2 * max(a, FLOOR)) for a, b in zip(ls, lt))
    print("%s: %d pairs, c = %.3f, s2 = %.2f; z from %.2f to %.2f, |z| > 3: %d, > 4: %d"
          % (name, len(pairs), c, s2, zs[0], zs[-1], sum(abs(z) > 3 for z in zs),
             sum(abs(z) > 4 for z in zs)))
    return c, s2


def main():
    args = sys.argv[1:]
    if args[:1] == ["--tsv"] and len(args) == 4:
        rows = [l.rstrip("\n").split("\t") for l in open(args[3], encoding="utf-8")
                if l.strip() and not l.startswith("#")]
        fit("%s-%s" % (args[1], args[2]), [(r[0], r[1]) for r in rows])
        return 0
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    rows = [l.rstrip("\n").split("\t") for l in open(args[0], encoding="utf-8")
            if l.strip() and not l.startswith("#")]
    fit("en-ja", [(r[1], r[2]) for r in rows])
    fit("ja-en", [(r[2], r[1]) for r in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())

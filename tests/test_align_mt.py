#!/usr/bin/python3
"""The aligner with translations of the source (bleualign's evidence,
hny_align_side_t.mt) on the hand-aligned pairs of tests/data/align,
through honyaku-align-test --mt and the scorer (align_score.py):

  - translations made from the gold (the Japanese of each sentence's link,
    an n-1 link's shared out by English length) with 30% of their
    characters replaced by common kana and kanji, seeded: a translation
    that differs from the human one. Link F1 must not fall below that
    without translations and must reach --min-f1;
  - junk translations (the pseudo backend's kind of output: accented or
    full-width Latin, sharing nothing with the Japanese): F1 exactly that
    without translations (evidence below chance costs no link).

usage: test_align_mt.py ALIGN_TOOL DATA_DIR --min-f1 X"""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import align_score as a  # noqa: E402

FILLER = 'のにはをがとでもしたするこれそれあるいう政府日本国民'


def gold_mt(en, ja, gold, rng, noise):
    mt = ['-'] * len(en)
    for k, part in a.gold_parts(en, ja, gold):
        mt[k] = ''.join(c if rng.random() >= noise else rng.choice(FILLER) for c in part) or '-'
    return mt


def junk_mt(en):
    return ['[PSEUDO: ' + ''.join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in s) + ']'
            for s in en]


def copy_with(src, dst, make):
    os.makedirs(dst)
    rng = random.Random(7)
    for name in a.names(src):
        base = os.path.join(src, name)
        for ext in ('.en', '.ja', '.gold'):
            shutil.copy(base + ext, os.path.join(dst, name + ext))
        en, ja = a.sentences(base + '.en'), a.sentences(base + '.ja')
        with open(base + '.gold', encoding='utf-8') as f:
            gold = a.read_links(f)
        with open(os.path.join(dst, name + '.en.mt'), 'w', encoding='utf-8') as f:
            f.write('\n'.join(make(en, ja, gold, rng)) + '\n')


def main():
    tool, data, min_f1 = sys.argv[1], sys.argv[2], float(sys.argv[4])
    failed = 0
    with tempfile.TemporaryDirectory(prefix='hnymt') as tmp:
        for sub in ('dev', 'heldout'):
            d = os.path.join(data, sub)
            plain, _ = a.score(tool, d, [], quiet=True)
            good, junk = os.path.join(tmp, sub + '-mt'), os.path.join(tmp, sub + '-junk')
            copy_with(d, good, lambda en, ja, gold, rng: gold_mt(en, ja, gold, rng, 0.3))
            copy_with(d, junk, lambda en, ja, gold, rng: junk_mt(en))
            with_mt, _ = a.score(tool, good, [], quiet=True)
            with_junk, _ = a.score(tool, junk, [], quiet=True)
            print('%s: strict F1 %.3f without translations, %.3f with (30%% noise), %.3f with junk'
                  % (sub, plain, with_mt, with_junk))
            if with_mt < plain or with_mt < min_f1 or with_junk != plain:
                print('FAIL: %s' % sub)
                failed = 1
    return failed


if __name__ == '__main__':
    sys.exit(main())

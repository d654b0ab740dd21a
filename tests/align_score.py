#!/usr/bin/python3
"""Score the sentence aligner against hand-aligned pairs (tests/data/align).

  align_score.py score TOOL DIR [--min-f1 X] [--min-lenient X] [--set NAME=VALUE]...
      Align every NAME.en / NAME.ja of DIR with TOOL (honyaku-align-test
      --out tsv) and compare with NAME.gold. Strict: a link is right when
      its source and target sentence sets are exactly the gold link's
      (links with a null side count too). Lenient: the links as sets of
      sentence pairs (s, t), a null side as (s, -) / (-, t), so that a
      2-1 link found as 1-1 + 1-0 is half right. Prints precision, recall
      and F1 per article and over all; exits 1 when the overall strict F1
      is below --min-f1 or the lenient one below --min-lenient.

  align_score.py fit DIR
      The length model's parameters from the gold 1-1 links of DIR:
      c = sum(ja) / sum(en) characters (spaces not counted) and
      s2 = sum((ja - c en)^2) / sum(en), Gale and Church's variance per
      character; also the share of each link kind.

A folder whose pairs have NAME.en.mt (one machine translation a line per
sentence of NAME.en) is aligned with them (honyaku-align-test --mt).

Gold format: one link a line, "EN<TAB>JA", each side its 0-based sentence
numbers joined by commas or "-"; lines starting with '#' are comments."""
import collections
import os
import subprocess
import sys


def read_links(lines):
    links = []
    for line in lines:
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        cols = line.split('\t')
        side = lambda s: tuple() if s == '-' else tuple(int(x) for x in s.split(','))
        links.append((side(cols[0]), side(cols[1])))
    return links


def sentences(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip()]


def pairs(links):
    out = set()
    for s, t in links:
        for a in s or (None,):
            for b in t or (None,):
                out.add((a, b))
    return out


def gold_parts(en, ja, gold):
    """(source sentence number, the Japanese of its gold link) for every
    source sentence with a counterpart; an n-1 link's Japanese is shared
    out by English length: a stand-in for a sentence's translation."""
    for s, t in gold:
        if not s or not t:
            continue
        text = ''.join(ja[k] for k in t)
        total, at = sum(len(en[k]) for k in s), 0
        for n, k in enumerate(s):
            size = round(len(text) * len(en[k]) / total) if n < len(s) - 1 else len(text) - at
            yield k, text[at:at + size]
            at += size


def prf(right, found, gold):
    p = right / found if found else 0.0
    r = right / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def names(d):
    return sorted(f[:-5] for f in os.listdir(d) if f.endswith('.gold'))


def run_tool(tool, d, sets):
    """All pairs of d through one run of the tool: {name: links}."""
    cmd = [tool, '--out', 'tsv']
    if any(os.path.exists(os.path.join(d, n + '.en.mt')) for n in names(d)):
        cmd.append('--mt')      # NAME.en.mt: a translation per source sentence
    for s in sets:
        cmd += ['--set', s]
    for name in names(d):
        base = os.path.join(d, name)
        cmd += [base + '.en', base + '.ja']
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        print('the aligner failed: %s' % run.stderr.strip())
        sys.exit(1)
    out, cur = {}, None
    if len(names(d)) == 1:
        cur = names(d)[0]
        out[cur] = []
    for line in run.stdout.splitlines():
        if line.startswith('## '):
            cur = os.path.basename(line.split()[1])[:-3]
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return {k: read_links(v) for k, v in out.items()}


def score(tool, d, sets, quiet=False):
    tot = collections.Counter()
    results = run_tool(tool, d, sets)
    for name in names(d):
        base = os.path.join(d, name)
        found = results[name]
        with open(base + '.gold') as f:
            gold = read_links(f)
        right = len(set(found) & set(gold))
        fp, gp = pairs(found), pairs(gold)
        lright = len(fp & gp)
        p, r, f1 = prf(right, len(found), len(gold))
        lp, lr, lf = prf(lright, len(fp), len(gp))
        if not quiet:
            print('%-28s links %3d/%3d  P %.3f R %.3f F1 %.3f   lenient F1 %.3f' %
                  (name, len(found), len(gold), p, r, f1, lf))
            for link in sorted(set(gold) - set(found)):
                print('    missed %s' % (link,))
        tot.update(right=right, found=len(found), gold=len(gold),
                   lright=lright, lfound=len(fp), lgold=len(gp))
    p, r, f1 = prf(tot['right'], tot['found'], tot['gold'])
    lp, lr, lf = prf(tot['lright'], tot['lfound'], tot['lgold'])
    print('TOTAL %s: %d gold links; strict P %.3f R %.3f F1 %.3f; lenient P %.3f R %.3f F1 %.3f'
          % (d, tot['gold'], p, r, f1, lp, lr, lf))
    return f1, lf


def fit(d):
    sum_en = sum_ja = 0
    rows = []
    kinds = collections.Counter()
    for name in names(d):
        base = os.path.join(d, name)
        en, ja = sentences(base + '.en'), sentences(base + '.ja')
        with open(base + '.gold') as f:
            gold = read_links(f)
        for s, t in gold:
            kinds['%d-%d' % (len(s), len(t))] += 1
            if len(s) == 1 and len(t) == 1:
                le = len(''.join(en[s[0]].split()))
                lj = len(''.join(ja[t[0]].split()))
                rows.append((le, lj))
                sum_en += le
                sum_ja += lj
    c = sum_ja / sum_en
    s2 = sum((lj - c * le) ** 2 for le, lj in rows) / sum_en
    n = sum(kinds.values())
    print('1-1 links: %d; c = %.4f; s2 = %.3f' % (len(rows), c, s2))
    print('kinds: ' + ', '.join('%s %d (%.1f%%)' % (k, v, 100 * v / n) for k, v in kinds.most_common()))


def main(argv):
    if len(argv) >= 3 and argv[1] == 'fit':
        fit(argv[2])
        return 0
    if len(argv) < 4 or argv[1] != 'score':
        print(__doc__)
        return 2
    tool, d = argv[2], argv[3]
    min_f1 = min_len = 0.0
    sets = []
    i = 4
    while i < len(argv):
        if argv[i] == '--min-f1':
            min_f1 = float(argv[i + 1])
        elif argv[i] == '--min-lenient':
            min_len = float(argv[i + 1])
        elif argv[i] == '--set':
            sets.append(argv[i + 1])
        else:
            print('unknown option ' + argv[i])
            return 2
        i += 2
    f1, lf = score(tool, d, sets)
    if f1 < min_f1 or lf < min_len:
        print('FAIL: strict F1 %.3f (at least %.3f), lenient F1 %.3f (at least %.3f)' % (f1, min_f1, lf, min_len))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""bench_align: the sentence aligner's costs (workers/hny_align.h), through
honyaku-align-test (tests/align_tool.c).

1. Loading the lexicon (EDICT + MeCab): time, the index's size, the peak
   and resident memory of the process, median of --runs loads.
2. Alignment speed on the 14 hand-aligned pairs of tests/data/align (about
   700 sentences), all in one process, --repeat times: sentences per second
   (both sides counted), with the dictionary and without it.
3. Long texts: the 14 pairs joined end to end into one article, k times
   over (k = 1, 3, 10, 30 by default), so that the search goes past its
   full grid into the band: time, sentences per second, peak memory, and
   strict link F1 against the joined gold links (the band must not cost
   accuracy).

usage: bench_align.py --tool PATH [--data DIR] [--runs N] [--repeat N] [--sizes 1,3,10,30]"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
import align_score  # noqa: E402


def stats_of(stderr):
    return {k: float(v) for k, v in re.findall(r'(\w+)=([0-9.]+)', stderr)}


def run(tool, args):
    p = subprocess.run([tool, '--stats'] + args, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        sys.exit('bench_align: %s failed: %s' % (' '.join(args[:4]), p.stderr.strip()))
    return p.stdout, stats_of(p.stderr)


def pairs(data):
    out = []
    for sub in ('dev', 'heldout'):
        d = os.path.join(data, sub)
        out += [os.path.join(d, n) for n in align_score.names(d)]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tool', required=True)
    ap.add_argument('--data', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   '..', 'tests', 'data', 'align'))
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--repeat', type=int, default=20)
    ap.add_argument('--sizes', default='1,3,10,30')
    a = ap.parse_args()
    bases = pairs(a.data)

    # 1. the lexicon's load
    loads = [run(a.tool, ['--out', 'tsv', bases[0] + '.en', bases[0] + '.ja'])[1] for _ in range(a.runs)]
    print('lexicon load (median of %d): %.0f ms (range %.0f-%.0f); index %.1f MB; '
          'peak RSS %.0f MB (%.0f MB before the load); RSS after the load %.0f MB'
          % (a.runs, statistics.median(s['load_ms'] for s in loads), min(s['load_ms'] for s in loads),
             max(s['load_ms'] for s in loads), loads[0]['index_bytes'] / 1e6,
             statistics.median(s['peak_rss_kb_after'] for s in loads) / 1024,
             statistics.median(s['peak_rss_kb_before'] for s in loads) / 1024,
             statistics.median(s['rss_kb_after'] for s in loads) / 1024))

    # 2. speed on the real pairs
    files = []
    for b in bases:
        files += [b + '.en', b + '.ja']
    for label, extra in (('with the dictionary', []), ('lengths and anchors only', ['--dict', 'none'])):
        _, s = run(a.tool, ['--out', 'tsv', '--repeat', str(a.repeat)] + extra + files)
        # the tool times the last of each pair's repeats
        print('%d pairs, %d sentences, %s: %.0f sentences/s (%.2f ms an article)'
              % (len(bases), s['sentences'], label, s['sentences_per_s'], s['align_ms'] / len(bases)))

    # 3. long texts, joined gold
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(x) for x in a.sizes.split(',')]:
            en, ja, gold = [], [], []
            for _ in range(k):
                for b in bases:
                    e = align_score.sentences(b + '.en')
                    j = align_score.sentences(b + '.ja')
                    with open(b + '.gold') as f:
                        for s, t in align_score.read_links(f):
                            gold.append((tuple(x + len(en) for x in s), tuple(x + len(ja) for x in t)))
                    en += e
                    ja += j
            for name, lines in (('long.en', en), ('long.ja', ja)):
                with open(os.path.join(tmp, name), 'w', encoding='utf-8') as f:
                    f.write('\n'.join(lines) + '\n')
            out, s = run(a.tool, ['--out', 'tsv', os.path.join(tmp, 'long.en'), os.path.join(tmp, 'long.ja')])
            found = align_score.read_links(out.splitlines())
            right = len(set(found) & set(gold))
            p, r, f1 = align_score.prf(right, len(found), len(gold))
            print('x%-3d %6d + %6d sentences: %8.0f ms, %6.0f sentences/s, peak RSS %5.0f MB, strict F1 %.3f'
                  % (k, len(en), len(ja), s['align_ms'], s['sentences_per_s'], s['peak_rss_kb'] / 1024, f1))


if __name__ == '__main__':
    main()

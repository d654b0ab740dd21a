#!/usr/bin/python3
"""Bad input through honyaku-align-test (tests/align_tool.c), the way an
align job will meet it: two texts in one language, an empty side, one side
ten times longer than the other, invalid UTF-8, a file that is not a
prepared article; and the two good paths (text, and pages prepared by
hny_prepare) giving the record's link form.

usage: test_align_cli.py TOOL DATA_DIR"""
import json
import os
import subprocess
import sys
import tempfile

TOOL, DATA = sys.argv[1], sys.argv[2]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print('FAIL: ' + what)


def result(p):
    """A sanitizer's report fails the case whatever the exit code says."""
    err = p.stderr.decode('utf-8', 'replace')
    check(not any(s in err for s in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:')),
          'sanitizer report: ' + err[:2000])
    return p.returncode, p.stdout.decode('utf-8', 'replace'), err


def run(*args):
    return result(subprocess.run([TOOL] + list(args), capture_output=True, timeout=60))


def run_nodict(*args):
    """Cases that the dictionary plays no part in: skip its half-second load."""
    return result(subprocess.run([TOOL, '--dict', 'none'] + list(args), capture_output=True, timeout=60))


def pair(name):
    base = os.path.join(DATA, 'dev', name)
    return base + '.en', base + '.ja'


with tempfile.TemporaryDirectory() as tmp:
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode('utf-8'))
        return path

    en, ja = pair('dev01-minimum-wage')
    en2, ja2 = pair('dev03-henoko')

    # two files in one language: a clear error, exit 1, nothing on stdout
    rc, out, err = run_nodict(en, en2)
    check(rc == 1 and '422' in err and 'Latin script' in err and out == '', 'English twice: %d %r' % (rc, err))
    rc, out, err = run_nodict(ja, ja2)
    check(rc == 1 and '422' in err and 'Japanese script' in err, 'Japanese twice: %d %r' % (rc, err))
    rc, out, err = run_nodict('--from', 'en', '--to', 'en', en, en2)
    check(rc == 1 and 'both in en' in err, 'en -> en: %r' % err)

    # an empty side: every sentence alone, score 0, a warning
    empty = write('empty.ja', '')
    rc, out, err = run_nodict(en, empty)
    doc = json.loads(out) if rc == 0 else {}
    segs = [s for p in doc.get('paragraphs', []) for s in p['segments']]
    check(rc == 0 and segs and all(s['tgt'] is None for s in segs), 'empty side: %d %r' % (rc, err))
    check(doc.get('score') == 0 and 'empty' in doc.get('warning', ''), 'empty side: score %r warning %r'
          % (doc.get('score'), doc.get('warning')))

    # one side ten times longer: aligned, a low score, a warning
    with open(en, encoding='utf-8') as f:
        short = write('short.en', ''.join(f.readlines()[:3]))
    long_ja = b''.join(open(p, 'rb').read() + b'\n' for p in
                       sorted(os.path.join(DATA, 'dev', n) for n in os.listdir(os.path.join(DATA, 'dev'))
                              if n.endswith('.ja')))
    longer = write('long.ja', long_ja)
    rc, out, err = run(short, longer)
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get('score', 1) < 0.3 and 'times as long' in doc.get('warning', ''),
          'ten times longer: %d score %r warning %r' % (rc, doc.get('score'), doc.get('warning')))

    # unrelated articles: a low score and a warning
    rc, out, err = run(en, pair('dev05-gensuikyo')[1])
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get('score', 1) < 0.5 and 'low alignment score' in doc.get('warning', ''),
          'unrelated: score %r warning %r' % (doc.get('score'), doc.get('warning')))

    # invalid UTF-8 on both sides: U+FFFD, valid JSON, never a crash
    bad_en = write('bad.en', b'The JCP \xff\xfe called for 1,500 yen.\n\xe3\x81 cut\n')
    bad_ja = write('bad.ja', '日本共産党は'.encode() + b'\x80\xc0' + '1500円を求めた。\n'.encode())
    rc, out, err = run_nodict(bad_en, bad_ja)
    check(rc == 0 and '\ufffd' in out and json.loads(out)['stats']['links'] >= 2, 'invalid UTF-8: %d %r' % (rc, err))
    rc, out, err = run_nodict('--out', 'tsv', bad_en, bad_ja)
    check(rc == 0 and out.startswith('0\t0\t'), 'invalid UTF-8, tsv: %r' % out)

    # a JSON file that is not a prepared article: 400
    junk = write('junk.json', '{"paragraphs": 3}')
    rc, out, err = run_nodict('--format', 'json', junk, junk)
    check(rc == 1 and '400' in err and 'not a prepared article' in err, 'not prepared: %d %r' % (rc, err))
    rc, out, err = run_nodict('--format', 'json', write('nojson.json', '{'), junk)
    check(rc == 2 and 'not JSON' in err, 'not JSON: %d %r' % (rc, err))
    rc, out, err = run('--dict', os.path.join(tmp, 'missing'), en, ja)
    check(rc == 2 and 'missing' in err, 'missing dictionary: %d %r' % (rc, err))

    # the good paths: text, and the pages through hny_prepare, as the record carries them
    rc, out, err = run(en, ja)
    doc = json.loads(out)
    segs = [s for p in doc['paragraphs'] for s in p['segments']]
    check(rc == 0 and doc['score'] > 0.6 and 'warning' not in doc, 'text: %r' % doc.get('warning'))
    check(all(set(s) == {'src', 'tgt', 'score'} and 0 <= s['score'] <= 1 for s in segs), 'link members')
    check(any(s['src'] and ' ' in s['src'] and s['src'].count('.') == 2 for s in segs), 'a 2-1 link joined with a space')
    check(any(s['src'] is None for s in segs), 'a 0-1 link with null src')
    rc, out, err = run('--format', 'raw', en2, ja2)
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get('title') and doc['title']['tgt'].startswith('辺野古'), 'raw: %d %r' % (rc, err))
    check(doc.get('score', 0) > 0.6, 'raw: score %r' % doc.get('score'))
    rc, out, err = run('--from', 'ja', '--to', 'en', '--out', 'tsv', ja, en)
    check(rc == 0 and out.startswith('0\t0\t'), 'ja -> en: %r' % out[:40])

if failures:
    print('test_align_cli: %d failures' % failures)
    sys.exit(1)
print('test_align_cli: ok')

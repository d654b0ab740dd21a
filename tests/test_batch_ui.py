"""`honyaku batch` as a person sees it, against real processes: honyakud
with two honyaku-worker processes on private ipc:// endpoints, and the
project's translation-API test server (hny-testserver, LibreTranslate API,
on loopback) as the backend, slowed to about 20 one-segment requests a
second so that a batch of tens of articles takes a few seconds.

usage: test_batch_ui.py HONYAKUD HONYAKU HNY_TESTSERVER

1. tty: a batch under a pseudo-terminal (100 columns, TERM=xterm, the
   default --progress auto): the live line is redrawn in place ("\\r",
   text, ESC [ K), each drawing within the width and at most ~7 a second,
   with articles finished/total, percent, failures, segments/s, ETA and
   characters billed; the summary is the last line; exit 0.
2. lines + SIGINT: --progress lines over 30 articles; once 5 records are
   in records.jsonl (polled with a deadline) SIGINT: exit 130, every line
   of records.jsonl a complete record, one per "done" line, a summary
   that says how many are not finished.
3. resume, on a 40-column terminal: nothing sent again for the records
   written (no new job in the daemon: STATUS counts before and after),
   records.jsonl complete in path order, every drawing within 39 columns.
   Characters billed: the summaries' sums equal the records' and the
   daemon's STATS.
4. causes that refuse every file stop the batch at once with the cause:
   an unknown backend (named with the profiles there are), a language the
   daemon refuses (400 at SUBMIT: stops at the first answer), a daemon
   that is not there (at once, endpoint named), a folder with no article.
5. a folder of binaries beside one text: each binary fails alone with the
   worker's reason (415, not text), the text is translated, exit 1."""
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll, read_jsonl, run  # noqa: E402

HONYAKUD, HONYAKU, TESTSERVER = sys.argv[1:4]
CONFIG = """
[daemon]
log_level = warn
default_backend = libre

[backend.libre]
type = libretranslate
url = %s
max_texts = 1
concurrency = 1
"""
WORDS = ("amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "iris", "jade")
SUMMARY = re.compile(r"honyaku: batch: (\d+) files: (\d+) done, (\d+) failed, (\d+) new jobs(.*); "
                     r"(\d+) segments, (\d+) chars billed in ")


def article(n):
    """Three sentences no other article has (no translation memory hits)."""
    w = WORDS[n % 10] + " " + WORDS[n // 10 % 10]
    return ("Report %d on the %s.\n\nThe %s council met on day %d. It chose plan %d of %d.\n"
            % (n, w, w, n, n * 7, n + 3))


def make_folder(fx, name, first, count):
    for i in range(first, first + count):
        fx.write(os.path.join(name, "art-%03d.txt" % i), article(i))
    return fx.path(name)


def summary(text):
    m = SUMMARY.search(text.strip().splitlines()[-1])
    assert m, "the last line is no summary:\n" + text[-2000:]
    total, done, failed, fresh = (int(x) for x in m.groups()[:4])
    return {"total": total, "done": done, "failed": failed, "new": fresh, "rest": m.group(5),
            "segments": int(m.group(6)), "billed": int(m.group(7))}


def jobs_in_daemon(env):
    _, out, _ = run([HONYAKU, "status", "--json"], env=env)
    return sum(json.loads(out)["jobs"].values())


def billed_in_daemon(env):
    _, out, _ = run([HONYAKU, "stats", "--json"], env=env)
    return json.loads(out)["libre"]["chars_billed"]


def run_in_pty(argv, env, cols, timeout=60):
    """Run argv with stdin, stdout and stderr on a new pseudo-terminal of
    `cols` columns; return (exit code, everything it wrote, in order)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:             # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def drawings(screen):
    """The live line's drawings: what follows each "\\r" up to ESC [ K."""
    return [d.split("\x1b[K")[0] for d in screen.split("\r")[1:] if "\x1b[K" in d and d.split("\x1b[K")[0]]


def check_tty(fx, env, src, out, cols):
    t0 = time.monotonic()
    code, screen = run_in_pty([HONYAKU, "batch", src, "--from", "en", "--to", "es", "--out", out,
                               "--window", "8"], dict(env, TERM="xterm"), cols)
    took = time.monotonic() - t0
    draws = drawings(screen)
    assert draws, "no live line drawn:\n" + screen
    for d in draws:
        assert len(d) < cols, "a drawing of %d characters on a %d-column terminal: %r" % (len(d), cols, d)
        assert re.match(r"\[\d+/\d+\]", d), d
    # At most ~7 redraws a second (one every 150 ms), with some slack for
    # the forced ones after a line above it.
    assert len(draws) <= took * 7 + 5, "%d drawings in %.1f s" % (len(draws), took)
    # The summary is the last line, written after the live line was erased.
    last = screen.rstrip("\r\n").split("\r\x1b[K")[-1]
    assert last.startswith("honyaku: batch:") and "\n" not in last, repr(screen[-300:])
    return code, screen, draws, summary(last)


def main():
    with Fixture("hnybui") as fx:
        _, port = fx.start_testserver(TESTSERVER, "--latency-ms", "50")
        front = fx.start_daemon(HONYAKUD, CONFIG % ("http://127.0.0.1:%d" % port), workers=2)
        env = dict(os.environ, HONYAKU_ENDPOINT=front)
        env.pop("TERM", None)

        def up():
            if fx.daemon.poll() is not None:
                raise AssertionError("honyakud exited:\n" + fx.log("honyakud.log"))
            return run([HONYAKU, "--timeout", "300", "status"], env=env, check=False)[0] == 0
        poll("honyakud to answer STATUS", up, 20)
        try:
            # 1. tty, 100 columns.
            src1 = make_folder(fx, "tty", 0, 10)
            out1 = fx.path("out-tty")
            code, screen, draws, s1 = check_tty(fx, env, src1, out1, 100)
            assert code == 0, "tty batch exit %d:\n%s" % (code, screen)
            assert s1["done"] == 10 and s1["new"] == 10 and s1["failed"] == 0, s1
            full = [d for d in draws if "seg/s" in d and "ETA" in d and "chars billed" in d
                    and "failed" in d and "%" in d]
            assert full, "no drawing with every piece: %r" % draws[-5:]
            counts = [int(re.match(r"\[(\d+)/10\]", d).group(1)) for d in draws]
            assert counts == sorted(counts) and len(set(counts)) > 2, counts
            assert "] done " not in screen, "per-article lines on a terminal"
            recs1 = read_jsonl(os.path.join(out1, "records.jsonl"))
            assert len(recs1) == 10
            assert s1["billed"] == sum(r["stats"]["chars_billed"] for r in recs1) > 0, s1
            assert s1["segments"] == sum(r["stats"]["segments"] for r in recs1), s1
            print("tty: %d drawings, e.g. %r; %s" % (len(draws), full[len(full) // 2], screen.strip().splitlines()[-1].strip()))

            # 2. lines, SIGINT once 5 records are written.
            files = 30
            src2 = make_folder(fx, "big", 100, files)
            out2 = fx.path("out-big")
            jobs_before = jobs_in_daemon(env)
            rec_path = os.path.join(out2, "records.jsonl")
            with open(fx.path("lines.err"), "wb") as err:
                p = subprocess.Popen([HONYAKU, "batch", src2, "--from", "en", "--to", "es", "--out", out2,
                                      "--window", str(files), "--progress", "lines"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=err)
            try:
                def written():
                    if p.poll() is not None:
                        raise AssertionError("batch ended before the SIGINT:\n" + fx.log("lines.err"))
                    try:
                        with open(rec_path, "rb") as f:
                            return f.read().count(b"\n") >= 5
                    except FileNotFoundError:
                        return False
                poll("5 records in records.jsonl", written, 30, 0.01)
                p.send_signal(signal.SIGINT)
                code = p.wait(10)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            err2 = fx.log("lines.err")
            assert code == 130, "exit %d after SIGINT:\n%s" % (code, err2)
            s2 = summary(err2)
            raw = open(rec_path, "rb").read()
            assert raw.endswith(b"\n"), "records.jsonl ends in a torn line"
            recs2 = read_jsonl(rec_path)
            done_lines = [l for l in err2.splitlines() if re.match(r"\[\d+/%d\] done +art-\d+\.txt  job \d+, "
                                                                   r"\d+ segments, \d+ chars billed$" % files, l)]
            assert 5 <= len(recs2) < files and len(recs2) == s2["done"] == len(done_lines), (len(recs2), s2, err2)
            assert s2["new"] == files and "not finished: interrupted (SIGINT), run the same command again to " \
                "resume" in s2["rest"], s2
            assert [r["metadata"]["source"] for r in recs2] == sorted(r["metadata"]["source"] for r in recs2)
            assert open(os.path.join(out2, "errors.txt")).read() == ""
            assert jobs_in_daemon(env) == jobs_before + files
            print("lines + SIGINT: exit 130 with %d of %d records; %s" % (len(recs2), files, err2.strip().splitlines()[-1]))

            # 3. Resume on a 40-column terminal.
            code, screen, draws, s3 = check_tty(fx, env, src2, out2, 40)
            assert code == 0, "resume exit %d:\n%s" % (code, screen)
            assert "%d of %d files have their record in %s already: not sent again" % (
                len(recs2), files, rec_path) in screen, screen
            assert s3["new"] == 0 and s3["done"] == files - len(recs2), s3
            assert "%d skipped" % len(recs2) in s3["rest"], s3
            assert jobs_in_daemon(env) == jobs_before + files, "the resume made new jobs"
            recs3 = read_jsonl(rec_path)
            assert [r["metadata"]["source"] for r in recs3] == ["art-%03d.txt" % i for i in range(100, 100 + files)]
            assert [r for r in recs3 if r["job"] in {x["job"] for x in recs2}] == recs2, "earlier records changed"
            billed = sum(r["stats"]["chars_billed"] for r in recs3)
            assert s2["billed"] + s3["billed"] == billed, (s2, s3, billed)
            assert s1["billed"] + billed == billed_in_daemon(env), "STATS disagrees with the records"
            # A third run, --quiet: everything is there, nothing is sent, and
            # the summary is all it says.
            code, _, err = run([HONYAKU, "batch", src2, "--from", "en", "--to", "es", "--out", out2, "--quiet"],
                               env=env)
            s4 = summary(err)
            assert s4["done"] == 0 and s4["new"] == 0 and "%d skipped" % files in s4["rest"], s4
            assert len(err.splitlines()) == 1, err
            assert read_jsonl(rec_path) == recs3
            print("resume: %d drawings within 39 columns, e.g. %r; %s" % (len(draws), draws[len(draws) // 2],
                                                                          screen.strip().splitlines()[-1].strip()))

            # 4. Causes that refuse every file.
            t0 = time.monotonic()
            code, _, err = run([HONYAKU, "batch", src2, "--from", "en", "--to", "es", "--backend", "nope",
                                "--out", fx.path("out-nope")], env=env, check=False)
            assert code == 1 and err == ('honyaku: batch: unknown backend "nope": honyakud at %s has libre, '
                                         'pseudo\n' % front), err
            assert not os.path.exists(fx.path("out-nope")) and time.monotonic() - t0 < 5
            jobs = jobs_in_daemon(env)
            # A language no tag names: refused before anything is sent (the
            # daemon's own 400 stops a batch too: test_client_cli).
            code, _, err = run([HONYAKU, "batch", src2, "--from", "e" * 65, "--to", "es", "--window", "4",
                                "--out", fx.path("out-lang")], env=env, check=False)
            lines = err.strip().splitlines()
            assert code == 2 and len(lines) == 1 and "language tag longer than 15 bytes" in lines[0], err
            assert jobs_in_daemon(env) == jobs and not os.path.exists(fx.path("out-lang"))
            print("refused: " + lines[0])
            gone = "ipc://" + fx.path("nowhere", "front")
            t0 = time.monotonic()
            code, _, err = run([HONYAKU, "--endpoint", gone, "batch", src2, "--from", "en", "--to", "es",
                                "--out", fx.path("out-gone")], env=env, check=False)
            assert code == 1 and err.startswith("honyaku: batch: cannot reach honyakud at %s: " % gone) \
                and len(err.splitlines()) == 1 and time.monotonic() - t0 < 5, err
            os.makedirs(fx.path("empty", ".hidden"))
            fx.write("empty/.dotfile", "hidden\n")
            code, _, err = run([HONYAKU, "batch", fx.path("empty"), "--from", "en", "--to", "es",
                                "--out", fx.path("out-empty")], env=env, check=False)
            assert code == 1 and err == ("honyaku: batch: %s: no article files in it (hidden files and folders "
                                         "are skipped)\n" % fx.path("empty")), err

            # 5. Binaries beside a text.
            bins = fx.path("bins")
            os.makedirs(bins)
            blobs = {"a.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                     "b.gz": b"\x1f\x8b\x08\x00" + bytes(range(255, -1, -1)) * 4,
                     "c.bin": open(HONYAKU, "rb").read(4096)}
            for name, data in blobs.items():
                with open(os.path.join(bins, name), "wb") as f:
                    f.write(data)
            fx.write("bins/d.txt", article(999))
            code, _, err = run([HONYAKU, "batch", bins, "--from", "en", "--to", "es", "--out", fx.path("out-bins"),
                                "--progress", "lines"], env=env, check=False)
            s5 = summary(err)
            assert code == 1 and s5["done"] == 1 and s5["failed"] == 3, err
            for name in blobs:
                assert re.search(r"\] failed +%s  job \d+: prepare: not text: binary data .*\(status 415\)$"
                                 % re.escape(name), err, re.M), err
            errs = open(fx.path("out-bins", "errors.txt")).read().splitlines()
            assert [e.split("\t")[0] for e in errs] == sorted(blobs) and all("not text" in e for e in errs), errs
            assert [r["metadata"]["source"] for r in read_jsonl(fx.path("out-bins", "records.jsonl"))] == ["d.txt"]
            print("binaries: " + [l for l in err.splitlines() if "a.png" in l][0])
        except BaseException:
            sys.stderr.write("---- honyakud.log ----\n" + fx.log("honyakud.log")[-4000:] + "\n")
            raise
    print("ok")


if __name__ == "__main__":
    main()

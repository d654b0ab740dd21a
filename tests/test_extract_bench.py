#!/usr/bin/python3
"""test_extract_bench.py: the article-extraction benchmark through the real
prepare pipeline. Unzips shared/data/article-extraction/html/*.html.gz into a
temporary folder, runs extract_corpus (hny_prepare, format "html") over them,
scores its predictions with the benchmark's own score.py, and fails when F1
on all pages is below the target.

Also prints the scores on the held-out third of the pages (keys whose
number is divisible by 3), which were not looked at while tuning the
extractor: the figure to trust for pages nobody has seen.

usage: test_extract_bench.py EXTRACT_CORPUS BENCH_DIR [TARGET_F1]"""
import gzip
import json
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    tool, bench = sys.argv[1], sys.argv[2]
    target = float(sys.argv[3]) if len(sys.argv) > 3 else 0.95
    truth_path = os.path.join(bench, "ground-truth.json")
    if not os.path.exists(truth_path):
        print(f"no benchmark at {bench}: skipped")
        return 77
    sys.path.insert(0, bench)
    import score  # the benchmark's metric, from its folder
    truth = json.load(open(truth_path, encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="hny-bench-") as tmp:
        files = []
        for key in sorted(truth):
            path = os.path.join(tmp, key + ".html")
            with gzip.open(os.path.join(bench, "html", key + ".html.gz")) as src, open(path, "wb") as dst:
                dst.write(src.read())
            files.append(path)
        pred_path = os.path.join(tmp, "predictions.json")
        run = subprocess.run([tool, pred_path] + files, capture_output=True, text=True, timeout=240)
        sys.stdout.write(run.stdout)
        sys.stderr.write(run.stderr[-4000:])
        if run.returncode != 0:
            print("extract_corpus failed")
            return 1
        # the benchmark's own command line, as its README gives it
        subprocess.run(["/usr/bin/python3", os.path.join(bench, "score.py"), truth_path, pred_path],
                       check=True, timeout=60)
        pred = json.load(open(pred_path, encoding="utf-8"))
    held = [k for k in truth if int(k, 16) % 3 == 0]
    dev = [k for k in truth if int(k, 16) % 3 != 0]
    results = {}
    for name, keys in (("all", list(truth)), ("tuned on", dev), ("held out", held)):
        f1, p, r, _ = score.score({k: truth[k] for k in keys}, {k: pred.get(k, {}) for k in keys})
        results[name] = f1
        print(f"{name:9s} ({len(keys):2d} pages): F1 {f1:.3f} precision {p:.3f} recall {r:.3f}")
    if results["all"] < target:
        print(f"FAIL: F1 {results['all']:.3f} is below the target {target:.3f}")
        return 1
    print(f"OK: F1 {results['all']:.3f} >= {target:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

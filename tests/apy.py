"""apy.py PROGRAM [ARGS...]: run a test program (CTest) against Apertium
APy. Starts APy on a free loopback port in a private temporary directory
(hnyfix.Fixture.start_apy, which waits for /listPairs against a deadline),
runs PROGRAM with HNY_APY_URL set to its URL and exits with the program's
status; APy and the directory are removed afterwards.

When apertium-apy is not installed it runs PROGRAM with HNY_APY_MISSING=1
instead, so that the program can run what needs no APy and exit 77
(CTest's SKIP_RETURN_CODE) for the rest."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, apy_installed  # noqa: E402


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: apy.py PROGRAM [ARGS...]\n")
        return 2
    env = dict(os.environ)
    if not apy_installed():
        env["HNY_APY_MISSING"] = "1"
        return subprocess.call(argv[1:], env=env)
    with Fixture("hny-apy") as fx:
        env["HNY_APY_URL"] = fx.start_apy(timeout=30.0)
        try:
            return subprocess.call(argv[1:], env=env, timeout=60)
        except subprocess.TimeoutExpired:
            sys.stderr.write("apy.py: %s timed out\n" % argv[1])
            return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

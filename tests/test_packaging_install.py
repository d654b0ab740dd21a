"""`cmake --install` into a DESTDIR, checked from the outside.

usage: test_packaging_install.py install BUILD KEY=VALUE...
       test_packaging_install.py units BUILD KEY=VALUE...

KEY=VALUE are the configured install paths (PREFIX, BINDIR, LIBDIR,
INCLUDEDIR, MANDIR, DOCDIR, CONFDIR, UNITDIR, COMPDIR) and VERSION, CC,
CFLAGS (extra flags for the consumer, e.g. the sanitizers), CONSUMER (the
source of the program built against the installed library).

install: every file lands where the prefix says; a program built with
  `pkg-config --cflags --libs honyaku` (PKG_CONFIG_PATH and
  PKG_CONFIG_SYSROOT_DIR pointing into the DESTDIR) runs against the
  installed honyakud and honyaku-worker; libhonyaku.so.1 has its SONAME
  and exports exactly the functions of the installed client.h (nothing
  internal: hny_store_*, hny_msg_*, s_*); installing again keeps an edited
  honyaku.conf.
units: the generated units name the installed programs and pass
  `systemd-analyze verify` (exit 77, skipped, without systemd-analyze)."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Fixture, poll  # noqa: E402


def run(argv, env=None, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


def install(build, root):
    r = run(["cmake", "--install", build], env=dict(os.environ, DESTDIR=root))
    return r.stdout


def exported_symbols(lib):
    """Names defined in the dynamic symbol table (objdump -T), without the
    version node's own absolute symbol."""
    names = set()
    for line in run(["objdump", "-T", lib]).stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] in ("g", "w", "u") and "*UND*" not in parts \
                and "*ABS*" not in parts:
            names.add(parts[-1])
    return names


def declared_functions(header):
    """Functions declared in a header: hny_ names followed by '(' outside comments."""
    with open(header) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    return set(re.findall(r"\b(hny_\w+)\s*\(", text))


def test_install(build, v):
    with Fixture("hnyinst") as fx:
        root = fx.path("root")
        out = install(build, root)
        at = lambda p: root + p  # noqa: E731
        want = [
            v["BINDIR"] + "/honyakud", v["BINDIR"] + "/honyaku-worker", v["BINDIR"] + "/honyaku",
            v["LIBDIR"] + "/libhonyaku.so.1", v["LIBDIR"] + "/libhonyaku.so",
            v["LIBDIR"] + "/pkgconfig/honyaku.pc", v["INCLUDEDIR"] + "/honyaku/client.h",
            v["UNITDIR"] + "/honyakud.service", v["UNITDIR"] + "/honyaku-worker@.service",
            v["CONFDIR"] + "/honyaku.conf", v["COMPDIR"] + "/honyaku",
            v["COMPDIR"] + "/honyakud", v["COMPDIR"] + "/honyaku-worker",
            v["MANDIR"] + "/man1/honyaku.1", v["MANDIR"] + "/man5/honyaku.conf.5",
            v["MANDIR"] + "/man8/honyakud.8", v["MANDIR"] + "/man8/honyaku-worker.8",
            v["DOCDIR"] + "/README.md", v["DOCDIR"] + "/honyaku.conf", v["DOCDIR"] + "/LICENSE",
        ]
        missing = [p for p in want if not os.path.exists(at(p))]
        assert not missing, "not installed: %s\n%s" % (missing, out)
        # Only the client's header is public.
        headers = os.listdir(at(v["INCLUDEDIR"] + "/honyaku"))
        assert headers == ["client.h"], headers
        version = run([at(v["BINDIR"] + "/honyakud"), "--version"]).stdout.split()
        assert version == ["honyakud", v["VERSION"]], version
        print("installed: %d files where %s says" % (len(want), v["PREFIX"]))

        # The shared library: SONAME, symlinks, exports.
        lib = at(v["LIBDIR"] + "/libhonyaku.so.1")
        dyn = run(["objdump", "-p", lib]).stdout
        soname = re.search(r"^\s*SONAME\s+(\S+)", dyn, re.M)
        assert soname and soname.group(1) == "libhonyaku.so.1", dyn
        assert os.readlink(at(v["LIBDIR"] + "/libhonyaku.so")) == "libhonyaku.so.1"
        exported = exported_symbols(lib)
        declared = declared_functions(at(v["INCLUDEDIR"] + "/honyaku/client.h"))
        assert exported == declared, ("exported but not in client.h: %s; in client.h but not"
                                      " exported: %s" % (sorted(exported - declared),
                                                         sorted(declared - exported)))
        internal = [s for s in exported if re.match(r"(hny_store_|hny_msg_|hny_malloc|s_)", s)]
        assert not internal, internal
        versions = set(re.findall(r"\s(HONYAKU_\S+)\s+hny_", run(["objdump", "-T", lib]).stdout))
        # HONYAKU_1.1 added the TM import and export.
        assert versions == {"HONYAKU_1", "HONYAKU_1.1"}, versions
        print("libhonyaku.so.1: SONAME ok, %d symbols exported (versions HONYAKU_1, 1.1),"
              " exactly client.h's" % len(exported))

        # A program built the way a user would, against the DESTDIR.
        pc_env = dict(os.environ, PKG_CONFIG_PATH=at(v["LIBDIR"] + "/pkgconfig"),
                      PKG_CONFIG_SYSROOT_DIR=root)
        modversion = run(["pkg-config", "--modversion", "honyaku"], env=pc_env).stdout.strip()
        assert modversion == v["VERSION"], modversion
        flags = run(["pkg-config", "--cflags", "--libs", "honyaku"], env=pc_env).stdout.split()
        assert "-I" + at(v["INCLUDEDIR"]) in flags and "-L" + at(v["LIBDIR"]) in flags, flags
        exe = fx.path("pkg_consumer")
        run([v["CC"], "-std=c11", "-Wall", "-Werror", "-o", exe, v["CONSUMER"]]
            + v["CFLAGS"].split() + flags)
        needed = re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", exe]).stdout)
        assert "libhonyaku.so.1" in needed, needed
        print("pkg-config: %s" % " ".join(flags))

        # It runs against the installed daemon and its worker.
        fx.start_daemon(at(v["BINDIR"] + "/honyakud"), workers=1)
        poll("honyakud's front socket", lambda: os.path.exists(fx.path("state", "front")), 20)
        env = dict(os.environ, LD_LIBRARY_PATH=at(v["LIBDIR"]))
        r = run([exe, fx.front], env=env, check=False)
        assert r.returncode == 0 and r.stdout.startswith("ok "), \
            (r.returncode, r.stdout, r.stderr, fx.log("honyakud.log"))
        print("pkg_consumer against the installed honyakud: %s" % r.stdout.strip())

        # Installing again never replaces an operator's config.
        conf = at(v["CONFDIR"] + "/honyaku.conf")
        with open(conf, "a") as f:
            f.write("; edited by the operator\n")
        out = install(build, root)
        with open(conf) as f:
            assert f.read().endswith("; edited by the operator\n"), "honyaku.conf was replaced"
        assert "Keeping: " + conf in out, out
        print("reinstall: %s kept" % v["CONFDIR"])


def test_units(build, v):
    if not shutil.which("systemd-analyze"):
        print("skipped: no systemd-analyze")
        sys.exit(77)
    with Fixture("hnyunit") as fx:
        root = fx.path("root")
        install(build, root)
        # systemd-analyze checks that the programs exist: point the units'
        # paths into the DESTDIR, which holds exactly what was installed.
        # The template is checked as an instance.
        units = []
        for unit in ("honyakud.service", "honyaku-worker@.service"):
            with open(root + v["UNITDIR"] + "/" + unit) as f:
                text = f.read()
            assert "ExecStart=%s/" % v["BINDIR"] in text, text
            assert not re.search(r"@[A-Z_]+@", text), "an unreplaced @VAR@ in " + unit
            path = fx.path(unit.replace("@.", "@check."))
            with open(path, "w") as f:
                f.write(text.replace(v["BINDIR"] + "/", root + v["BINDIR"] + "/"))
            units.append(path)
        r = run(["systemd-analyze", "verify", "--man=no"] + units, check=False)
        assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), \
            (r.returncode, r.stdout, r.stderr)
        print("systemd-analyze verify: %s clean" % ", ".join(os.path.basename(u) for u in units))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("install", "units"):
        sys.exit(__doc__)
    values = dict(a.split("=", 1) for a in sys.argv[3:])
    (test_install if sys.argv[1] == "install" else test_units)(sys.argv[2], values)
    print("ok")

"""The man pages and the bash completion say what the programs say.

The programs' own help texts are the source of truth: `honyaku --help` and
`honyaku help COMMAND`, `honyakud --help` and `--help-config`,
`honyaku-worker --help`. An option, command, format value, config key or
backend type that a help text names and a page or the completion lacks
fails here, so that a new option cannot ship undocumented.

usage: test_packaging_docs.py man HONYAKU HONYAKUD WORKER MANDIR
       test_packaging_docs.py completion HONYAKU HONYAKUD WORKER FILE"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what)


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


# ---- the help texts -------------------------------------------------------

OPT = re.compile(r"--[a-z][a-z0-9-]*")


def option_lines(text):
    """Options defined by a help text: those of its usage line, and those
    that start an indented line (the part before the description)."""
    opts = []
    for line in text.splitlines():
        if line.startswith("usage:"):
            opts += OPT.findall(line)
        elif re.match(r"\s+-[-a-zA-Z]", line):
            opts += OPT.findall(re.split(r"\s{2,}", line.strip())[0])
    return list(dict.fromkeys(opts))


def usage_values(text):
    """{option: [values]} for every "--opt a|b|c" of a usage line, and for
    --format the words of a value table ("  tmx     TMX 1.4b: ...": two
    spaces, a word, two or more spaces, its description) when the help
    has one, "(also: xliff20)" aliases included."""
    usage = next((l for l in text.splitlines() if l.startswith("usage:")), "")
    values = {m.group(1): m.group(2).split("|")
              for m in re.finditer(r"(--[a-z-]+) ([a-z0-9]+(?:\|[a-z0-9]+)+)\]?", usage)}
    table = []
    for line in text.splitlines():
        m = re.match(r"^  ([a-z][a-z0-9]*) {2,}(\S.*)$", line)
        if m:
            table.append(m.group(1))
            table += re.findall(r"\(also: ([a-z0-9]+)\)", m.group(2))
    if table and "--format" in usage:
        values["--format"] = list(dict.fromkeys(values.get("--format", []) + table))
    return values


def honyaku_help(honyaku):
    main = run(honyaku, "--help")
    block = main.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    commands = [l.split()[0] for l in block.splitlines() if l.strip()]
    after = main.split("Commands:\n", 1)[1].split("\n\n", 1)[1]
    globals_ = option_lines("usage: " + main.splitlines()[0] + "\n" + after)
    helps = {c: run(honyaku, "help", c) for c in commands}
    envs = sorted(set(re.findall(r"\$(HONYAKU_[A-Z_]+)", main)))
    return commands, globals_, helps, envs


# ---- man pages -------------------------------------------------------------

def man_text(line):
    """A troff line as plain text: no macro name, fonts, quotes or escapes."""
    line = re.sub(r"^\.[A-Za-z]+\s*", "", line)
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return line.replace('"', "")


def man_sections(path):
    """[(SH title, SS title or None, [lines])] of a page."""
    sections = [("", None, [])]
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith(".SH "):
                sections.append((man_text(line).strip(), None, []))
            elif line.startswith(".SS "):
                sections.append((sections[-1][0], man_text(line).strip(), []))
            else:
                sections[-1][2].append(line)
    return sections


def bold_words(lines):
    """The words set in bold: .B lines, the bold arguments of .BR, .BI,
    .RB and .IB, and \\fB...\\fP spans."""
    words = set()
    for line in lines:
        m = re.match(r"^\.(B|BR|BI|RB|IB)\s+(.*)$", line)
        if m:
            args = shlex.split(m.group(2).replace("\\", "\\\\"))
            first = 1 if m.group(1) in ("RB", "IB") else 0
            bold = args if m.group(1) == "B" else args[first::2]
            words.update(re.findall(r"[A-Za-z0-9_.-]+", man_text(" ".join(bold))))
        for span in re.findall(r"\\fB(.*?)\\f[RIP]", line):
            words.update(re.findall(r"[A-Za-z0-9_.-]+", man_text(span)))
    return words


def terms(lines):
    """The texts of the .TP items' tags."""
    out = []
    for i, line in enumerate(lines):
        if line.startswith(".TP") and i + 1 < len(lines):
            out.append(man_text(lines[i + 1]))
    return out


def term_options(lines):
    return set(o for t in terms(lines) for o in OPT.findall(t))


def section(sections, sh, ss=None):
    found = [s for s in sections if sh in (None, s[0]) and (ss is None or (s[1] or "").split()[:1] == [ss])]
    return found[0][2] if found else None


def check_groff(path):
    r = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("groff -man -ww: %s: %s" % (path, r.stderr.strip()))
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
        if r.returncode != 0 or r.stderr.strip():
            fail("man --warnings: %s: %s" % (path, r.stderr.strip()))


def check_honyaku_1(honyaku, path):
    commands, globals_, helps, envs = honyaku_help(honyaku)
    sections = man_sections(path)
    have = term_options(section(sections, "GLOBAL OPTIONS") or [])
    for opt in globals_:
        if opt not in have:
            fail("honyaku.1: global option %s (honyaku --help) is not under GLOBAL OPTIONS" % opt)
    env_terms = " ".join(terms(section(sections, "ENVIRONMENT") or []))
    for env in envs:
        if env not in env_terms:
            fail("honyaku.1: $%s (honyaku --help) is not under ENVIRONMENT" % env)
    for cmd in commands:
        body = section(sections, "COMMANDS", cmd)
        if body is None:
            fail("honyaku.1: command '%s' (honyaku --help) has no .SS under COMMANDS" % cmd)
            continue
        have = term_options(body)
        for opt in option_lines(helps[cmd]):
            if opt not in have:
                fail("honyaku.1: '%s %s' (honyaku help %s) is not an item of its .SS"
                     % (cmd, opt, cmd))
        words = bold_words(body)
        for opt, values in usage_values(helps[cmd]).items():
            for v in values:
                if v not in words:
                    fail("honyaku.1: '%s %s %s' (honyaku help %s) is not in bold in its .SS"
                         % (cmd, opt, v, cmd))
    print("honyaku.1: %d commands, %d global options checked" % (len(commands), len(globals_)))


def check_options_page(program, path):
    opts = option_lines(run(program, "--help"))
    have = term_options(section(man_sections(path), "OPTIONS") or [])
    for opt in opts:
        if opt not in have:
            fail("%s: %s (%s --help) is not under OPTIONS" % (os.path.basename(path), opt,
                                                             os.path.basename(program)))
    print("%s: %d options checked" % (os.path.basename(path), len(opts)))


def help_config(honyakud):
    """{section: [keys]} and the backend types' table rows of --help-config."""
    keys, types, sect = {}, {}, None
    for line in run(honyakud, "--help-config").splitlines():
        m = re.match(r"^;?\[([A-Za-z0-9_.-]+)\]\s*$", line)
        if m:
            sect = "backend.NAME" if m.group(1).startswith("backend.") else m.group(1)
            keys.setdefault(sect, [])
            continue
        m = re.match(r"^;?([a-z_]+) =", line)
        if m and sect and m.group(1) not in keys[sect]:
            keys[sect].append(m.group(1))
        m = re.match(r"^;\s+([a-z]+)\s+(\d+) / (\d+)\s+(\d+) / (\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            types[m.group(1)] = m.groups()[1:]
    return keys, types


def check_conf_5(honyakud, path):
    keys, types = help_config(honyakud)
    sections = man_sections(path)
    count = 0
    for sect, names in keys.items():
        body = section(sections, None, "[%s]" % sect)
        if body is None:
            fail("honyaku.conf.5: section [%s] (--help-config) has no .SS" % sect)
            continue
        have = set(t.split()[0] for t in terms(body) if t.split())
        for key in names:
            count += 1
            if key not in have:
                fail("honyaku.conf.5: [%s] %s (honyakud --help-config) is not an item of its .SS"
                     % (sect, key))
    body = section(sections, "BACKEND TYPES") or []
    described = {}
    current = None
    for line in body:
        if line.startswith(".TP"):
            current = None
        elif current is None and line.startswith(".B "):
            current = man_text(line).strip()
            described[current] = ""
        elif current:
            described[current] += " " + man_text(line)
    for name, (texts, texts_max, size, size_max, conc, timeout) in types.items():
        if name not in described:
            fail("honyaku.conf.5: backend type %s (--help-config) is not under BACKEND TYPES" % name)
            continue
        want = ("max_texts %s (limit %s), max_bytes %s (limit %s), concurrency %s, timeout_ms %s"
                % (texts, texts_max, size, size_max, conc, timeout))
        if want not in " ".join(described[name].split()):
            fail("honyaku.conf.5: type %s: --help-config says '%s'" % (name, want))
    if not types:
        fail("honyaku.conf.5: no backend types found in --help-config (has its table changed?)")
    print("honyaku.conf.5: %d keys in %d sections, %d backend types checked"
          % (count, len(keys), len(types)))


def check_man(honyaku, honyakud, worker, mandir):
    pages = ["honyaku.1", "honyakud.8", "honyaku-worker.8", "honyaku.conf.5"]
    for page in pages:
        check_groff(os.path.join(mandir, page))
    check_honyaku_1(honyaku, os.path.join(mandir, "honyaku.1"))
    check_options_page(honyakud, os.path.join(mandir, "honyakud.8"))
    check_options_page(worker, os.path.join(mandir, "honyaku-worker.8"))
    check_conf_5(honyakud, os.path.join(mandir, "honyaku.conf.5"))


# ---- bash completion -------------------------------------------------------

def complete_all(path, lines):
    """COMPREPLY for each command line (a list of words, the last one being
    completed), from one bash that sources the completion file."""
    script = ["set -u", "source %s" % sh_quote(path),
              "_t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\";"
              " COMP_POINT=${#COMP_LINE}; local spec fn; spec=$(complete -p \"$1\") || return;"
              " fn=${spec#*-F }; fn=${fn%% *}; COMPREPLY=(); \"$fn\" \"$1\" \"${COMP_WORDS[-1]}\";"
              " printf '%s\\n' \"${COMPREPLY[@]}\"; }"]
    for words in lines:
        script.append("_t %s; echo @@end" % " ".join(sh_quote(w) for w in words))
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("bash: %s" % r.stderr.strip())
    out = r.stdout.split("@@end\n")
    return [set(x for x in chunk.splitlines() if x) for chunk in out[:len(lines)]]


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def check_completion(honyaku, honyakud, worker, path):
    r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail("bash -n %s: %s" % (path, r.stderr.strip()))
        return
    commands, globals_, helps, _ = honyaku_help(honyaku)
    tmp = tempfile.mkdtemp(prefix="hny-compl-")
    try:
        os.mkdir(os.path.join(tmp, "articles"))
        open(os.path.join(tmp, "article.html"), "w").close()
        cases = []      # (words, check(reply) -> error or None)

        def want(words, expected, exact=False):
            def check(reply):
                missing = set(expected) - reply
                extra = reply - set(expected) if exact else set()
                if missing or extra:
                    return "missing %s, unexpected %s" % (sorted(missing), sorted(extra))
            cases.append((words, check))

        want(["honyaku", ""], commands, exact=True)
        want(["honyaku", "--"], globals_)
        want(["honyaku", "help", ""], commands, exact=True)
        want(["honyaku", "--endpoint", "ipc://x/front", "ex"], ["export"], exact=True)
        want(["honyaku", "--timeout", "5", "st"], ["status", "stats"], exact=True)
        for cmd in commands:
            want(["honyaku", cmd, "--"], option_lines(helps[cmd]))
            for opt, values in usage_values(helps[cmd]).items():
                want(["honyaku", cmd, opt, ""], values, exact=True)
        want(["honyaku", "batch", "--progress", ""], ["auto", "tty", "lines", "none"], exact=True)
        for mode in ("auto", "tty", "lines", "none"):
            if not re.search(r"\b%s\b" % mode, helps["batch"]):
                fail("honyaku help batch no longer names --progress %s: update the completion"
                     " and this test" % mode)
        want(["honyaku", "submit", "--format", ""], usage_values(helps["prepare"])["--format"],
             exact=True)
        want(["honyaku", "batch", "--format", ""], usage_values(helps["prepare"])["--format"],
             exact=True)
        want(["honyaku", "submit", os.path.join(tmp, "art")],
             [os.path.join(tmp, n) for n in ("article.html", "articles")], exact=True)
        want(["honyaku", "batch", os.path.join(tmp, "art")], [os.path.join(tmp, "articles")],
             exact=True)
        want(["honyaku", "batch", "in", "--from", "en", "--out", tmp + "/"],
             [os.path.join(tmp, "articles")], exact=True)
        want(["honyaku", "export", "--in", os.path.join(tmp, "article.")],
             [os.path.join(tmp, "article.html")], exact=True)
        for program, page in ((honyakud, "honyakud"), (worker, "honyaku-worker")):
            want([page, "--"], option_lines(run(program, "--help")))
            want([page, "--log-level", ""], ["error", "warn", "info", "debug"], exact=True)
        want(["honyakud", "--state", os.path.join(tmp, "art")], [os.path.join(tmp, "articles")],
             exact=True)

        replies = complete_all(path, [w for w, _ in cases])
        for (words, check), reply in zip(cases, replies):
            error = check(reply)
            if error:
                fail("completion of %r: %s" % (" ".join(words), error))
        print("completion: %d cases checked" % len(cases))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] not in ("man", "completion"):
        sys.exit(__doc__)
    mode, honyaku, honyakud, worker, where = sys.argv[1:]
    if mode == "man":
        check_man(honyaku, honyakud, worker, where)
    else:
        check_completion(honyaku, honyakud, worker, where)
    if failures:
        print("%d problems" % len(failures))
        sys.exit(1)
    print("ok")

#!/usr/bin/python3
"""test_access.py HONYAKUD HONYAKU: who may use honyakud, and how the
honyaku command finds it (README "Access"; [daemon] socket_group).

Always (any user):
  - socket_group naming a group that does not exist: honyakud exits 2 at
    once, naming it, and leaves no socket behind;
  - $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=) and no endpoint
    configured: the sockets go there, the store stays in the state
    directory;
  - the CLI's endpoint, in order: --endpoint, $HONYAKU_ENDPOINT,
    $HONYAKU_STATE, the service's socket, ./honyaku-state; -v says which
    and why.

As root (skipped with a message otherwise), with a group made for the test
by groupadd and always deleted, and the client run as nobody by setpriv:
  - the front socket is 0660 and the group's, the back socket 0600;
  - a member of the group uses honyakud; nobody else can, and the error
    says to join the group (or to log in again when /etc/group lists the
    user already); a socket directory closed to the group is warned about;
  - honyakud run as a user who is not in the group exits 2 naming it;
  - the service as the packaged unit runs it (User=, Group=,
    RuntimeDirectory=/run/honyaku 0750), in a private mount namespace
    (unshare, a tmpfs on /run, so that the machine's /run is never
    touched): a member's `honyaku -v status` finds /run/honyaku/front by
    itself; a non-member is told which group to join.
"""
import grp
import os
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnyfix import Checks, Fixture, poll  # noqa: E402

HONYAKUD, HONYAKU = sys.argv[1], sys.argv[2]
SERVICE = "/run/honyaku/front"
check = Checks()


def clean_env(**extra):
    """The environment without any HONYAKU_* or systemd variable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("HONYAKU_") and k not in ("RUNTIME_DIRECTORY", "STATE_DIRECTORY")}
    env.update(extra)
    return env


def cli(args, prefix=(), env=None, cwd=None):
    """Run honyaku; (exit code, stdout, stderr)."""
    r = subprocess.run(list(prefix) + [HONYAKU] + args, capture_output=True, timeout=30,
                       env=env if env is not None else clean_env(), cwd=cwd)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def start(fx, name, conf="", env=None, prefix=(), state=None):
    """Start honyakud --workers 0 with conf as its config, logging to
    NAME.log; wait until it is ready. Returns the process."""
    conf_path = fx.write(name + ".conf", "[daemon]\n" + conf)
    argv = list(prefix) + [HONYAKUD, "--config", conf_path, "--state", state or fx.path(name),
                           "--workers", "0"]
    proc = fx.spawn(argv, name + ".log", env=env if env is not None else clean_env())

    def ready():
        if proc.poll() is not None:
            raise AssertionError("honyakud %s exited %d:\n%s" % (name, proc.returncode,
                                                                 fx.log(name + ".log")))
        return "ready" in fx.log(name + ".log")
    poll("honyakud %s ready" % name, ready, 20)
    return proc


def stop(proc):
    proc.terminate()
    proc.wait(10)


def refused_at_start(fx, name, conf, want, prefix=()):
    """honyakud must exit 2 at once with want on stderr and no socket."""
    conf_path = fx.write(name + ".conf", "[daemon]\n" + conf)
    t0 = time.monotonic()
    r = subprocess.run(list(prefix) + [HONYAKUD, "--config", conf_path, "--state", fx.path(name),
                                       "--workers", "0"],
                       capture_output=True, timeout=20, env=clean_env())
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 2 and want in err and time.monotonic() - t0 < 5,
          "%s: exit %d, stderr %r lacks %r" % (name, r.returncode, err, want))
    check(not os.path.exists(fx.path(name, "front")), "%s: a socket was left behind" % name)


def test_unknown_group(fx):
    refused_at_start(fx, "nogroup", "socket_group = hny-no-such-group\n",
                     "socket_group: there is no group 'hny-no-such-group'")


def test_runtime_directory(fx):
    run = fx.path("run")
    os.mkdir(run, 0o700)
    d = start(fx, "rtstate", env=clean_env(RUNTIME_DIRECTORY=run + ":" + fx.path("other")))
    try:
        for name in ("front", "back"):
            p = os.path.join(run, name)
            check(os.path.exists(p) and stat.S_ISSOCK(os.stat(p).st_mode),
                  "RUNTIME_DIRECTORY: no socket %s" % p)
            check(oct(os.stat(p).st_mode & 0o777) == oct(0o600), "%s is %o, want 600"
                  % (p, os.stat(p).st_mode & 0o777))
            check(not os.path.exists(fx.path("rtstate", name)), "a socket in the state directory")
        check(os.path.exists(fx.path("rtstate", "honyaku.db")), "the store is not in the state directory")
        code, out, err = cli(["-v", "status"], env=clean_env(HONYAKU_ENDPOINT="ipc://%s/front" % run))
        check(code == 0 and "honyaku: endpoint ipc://%s/front ($HONYAKU_ENDPOINT)" % run in err,
              "status over the runtime directory: %d %r" % (code, err))
    finally:
        stop(d)
    check(not os.path.exists(os.path.join(run, "front")), "the socket outlived honyakud")


def check_choice(args, env, cwd, want_ep, want_why, prefix=(), ok=True):
    code, out, err = cli(["-v"] + args, prefix=prefix, env=env, cwd=cwd)
    line = "honyaku: endpoint %s (%s)" % (want_ep, want_why)
    check(err.startswith(line + "\n"), "endpoint choice %r: stderr %r, want first line %r"
          % (sorted(k for k in env if k.startswith("HONYAKU")), err, line))
    if ok:
        check(code == 0 and "honyakud" in out, "status via %s: %d %r" % (want_ep, code, err))
    return code, err


def test_choice_local(fx, service_running):
    """--endpoint, $HONYAKU_ENDPOINT, $HONYAKU_STATE, then (no service
    socket) ./honyaku-state; with service_running, the service's socket
    comes before ./honyaku-state."""
    cwd = fx.path("here")
    os.mkdir(cwd)
    d = start(fx, "local", state=os.path.join(cwd, "honyaku-state"))
    try:
        local = "ipc://" + os.path.join(cwd, "honyaku-state", "front")
        check_choice(["status"], clean_env(HONYAKU_ENDPOINT=local, HONYAKU_STATE="/nonexistent"),
                     "/", local, "$HONYAKU_ENDPOINT")
        check_choice(["status"], clean_env(HONYAKU_STATE=os.path.join(cwd, "honyaku-state")), "/",
                     local, "$HONYAKU_STATE")
        check_choice(["--endpoint", local, "status"], clean_env(HONYAKU_ENDPOINT="ipc:///nonexistent"),
                     "/", local, "--endpoint")
        check_choice(["status", "--endpoint", local], clean_env(HONYAKU_ENDPOINT="ipc:///nonexistent"),
                     "/", local, "--endpoint")
        if service_running:
            check_choice(["status"], clean_env(), cwd, "ipc://" + SERVICE, "the service's socket")
        else:
            check_choice(["status"], clean_env(), cwd, "ipc://./honyaku-state/front",
                         "no $HONYAKU_ENDPOINT or $HONYAKU_STATE, and no service socket at %s: the "
                         "honyakud of this directory" % SERVICE)
        # Without -v nothing is said.
        code, out, err = cli(["status"], env=clean_env(HONYAKU_ENDPOINT=local))
        check(code == 0 and err == "", "status without -v: %d %r" % (code, err))
    finally:
        stop(d)


# ---- as root: a group of the test's own, a client that is nobody

def as_nobody(gid=None):
    """setpriv prefix: nobody, with gid as its only supplementary group."""
    groups = ["--groups=%d" % gid] if gid is not None else ["--clear-groups"]
    return ["setpriv", "--reuid=nobody", "--regid=nogroup"] + groups


def test_group(fx, group, gid):
    os.chmod(fx.dir, 0o755)         # the way to the sockets, for nobody
    run = fx.path("grun")
    os.mkdir(run)
    os.chown(run, 0, gid)
    os.chmod(run, 0o750)
    d = start(fx, "grp", conf="socket_group = %s\n" % group, env=clean_env(RUNTIME_DIRECTORY=run))
    try:
        front, back = os.path.join(run, "front"), os.path.join(run, "back")
        st = os.stat(front)
        check(st.st_mode & 0o777 == 0o660 and st.st_gid == gid,
              "front is %o, group %d; want 660, %d" % (st.st_mode & 0o777, st.st_gid, gid))
        st = os.stat(back)
        check(st.st_mode & 0o777 == 0o600, "back is %o, want 600" % (st.st_mode & 0o777))
        check("cannot reach" not in fx.log("grp.log"), "a warning for an open directory: %r"
              % fx.log("grp.log"))
        ep = "ipc://" + front
        code, out, err = cli(["--endpoint", ep, "status"], prefix=as_nobody(gid))
        check(code == 0 and "honyakud" in out, "a member's status: %d %r" % (code, err))
        # Not a member: one line that names the group to join, whether the
        # directory (0750) or the socket (0660) stops it.
        want = "join group %s to use it (sudo adduser nobody %s), then log in again" % (group, group)
        for mode, where in ((0o750, "permission denied: %s (user root, mode 0750) is closed" % run),
                            (0o755, "permission denied: %s belongs to user root (mode 0660)" % front)):
            os.chmod(run, mode)
            for args in (["status"], ["stats"]):
                code, out, err = cli(["--endpoint", ep] + args, prefix=as_nobody())
                check(code == 1 and want in err and where in err and len(err.strip().splitlines()) == 1,
                      "a non-member's %s: %d %r lacks %r" % (args[0], code, err, want))
        os.chmod(run, 0o750)
        # Listed in /etc/group, but this session started before: log in again.
        subprocess.run(["gpasswd", "-a", "nobody", group], check=True, capture_output=True)
        code, out, err = cli(["--endpoint", ep, "status"], prefix=as_nobody())
        check(code == 1 and "added to group %s after this session began: log in again" % group in err,
              "a member whose session predates it: %d %r" % (code, err))
        subprocess.run(["gpasswd", "-d", "nobody", group], check=True, capture_output=True)
        # The directory closed to the group: honyakud warns, the client says so.
        os.chmod(run, 0o700)
        code, out, err = cli(["--endpoint", ep, "status"], prefix=as_nobody(gid))
        check(code == 1 and "permission denied: %s (" % run in err, "closed directory: %d %r" % (code, err))
    finally:
        stop(d)
    run2 = fx.path("grun2")
    os.mkdir(run2, 0o700)
    d = start(fx, "grp2", conf="socket_group = %s\n" % group, env=clean_env(RUNTIME_DIRECTORY=run2))
    stop(d)
    log = fx.log("grp2.log")
    check("socket_group %s: its members cannot reach %s/front: the directory %s (mode 0700"
          % (group, run2, run2) in log, "no warning about a closed directory: %r" % log)
    # A honyakud whose user is not in the group cannot give it the socket.
    refused_at_start(fx, "notmember", "socket_group = %s\n" % group,
                     "socket_group: honyakud runs as nobody, who is not in group '%s'" % group,
                     prefix=as_nobody())


def test_service(fx, group, gid):
    """Inside a private mount namespace: a tmpfs on /run, /run/honyaku as
    systemd makes it for the unit, honyakud as its user with its group."""
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__), HONYAKUD, HONYAKU, "--in-namespace", group],
                       capture_output=True, timeout=120)
    out = r.stdout.decode("utf-8", "replace")
    sys.stdout.write(out)
    if r.returncode == 77:
        return
    check(r.returncode == 0, "the service scenario (in a mount namespace) failed: %d\n%s" % (
        r.returncode, r.stderr.decode("utf-8", "replace")))


def in_namespace(group):
    """The body of test_service, run by unshare: its own /run."""
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "hnytest", "/run"]).returncode:
        print("test_service: SKIPPED: cannot mount a tmpfs on /run in a private namespace")
        return 77
    gid = grp.getgrnam(group).gr_gid
    user = 1                                    # the service's User= (here: daemon)
    os.mkdir("/run/honyaku")
    os.chown("/run/honyaku", user, gid)         # RuntimeDirectory= with User=, Group=
    os.chmod("/run/honyaku", 0o750)             # RuntimeDirectoryMode=0750
    fx = Fixture("hnysvc")
    try:
        os.chmod(fx.dir, 0o755)
        state = fx.path("state")
        os.mkdir(state, 0o700)
        os.chown(state, user, gid)
        service = ["setpriv", "--reuid=%d" % user, "--regid=%d" % gid, "--clear-groups"]
        d = start(fx, "svc", conf="socket_group = %s\n" % group, prefix=service, state=state,
                  env=clean_env(RUNTIME_DIRECTORY="/run/honyaku", STATE_DIRECTORY=state))
        st = os.stat(SERVICE)
        check(st.st_uid == user and st.st_gid == gid and st.st_mode & 0o777 == 0o660,
              "service socket %o %d:%d" % (st.st_mode & 0o777, st.st_uid, st.st_gid))
        # A member (a user other than the service's, in its group) finds it by itself.
        member = ["setpriv", "--reuid=bin", "--regid=bin", "--groups=%d" % gid]
        check_choice(["status"], clean_env(), "/", "ipc://" + SERVICE, "the service's socket",
                     prefix=member)
        # Not a member: the service's socket is still the one chosen (it is
        # there, closed), and the error names the group.
        code, err = check_choice(["status"], clean_env(), "/", "ipc://" + SERVICE,
                                 "the service's socket", prefix=as_nobody(), ok=False)
        want = "permission denied: /run/honyaku (user daemon, mode 0750) is closed to this user, so " \
               "%s cannot be reached: join group %s to use it (sudo adduser nobody %s), then log in " \
               "again" % (SERVICE, group, group)
        check(code == 1 and want in err, "a non-member of the service: %d %r" % (code, err))
        # The environment still wins over the service's socket.
        test_choice_local(fx, service_running=True)
        stop(d)
        check(not os.path.exists(SERVICE), "the service's socket outlived it")
        # No service socket: ./honyaku-state.
        shutil.rmtree(fx.path("here"))
        test_choice_local(fx, service_running=False)
    finally:
        fx.close()
    if check.failures:
        print("%d failure(s) in the mount namespace" % len(check.failures))
        return 1
    return 0


def main():
    if len(sys.argv) > 3 and sys.argv[3] == "--in-namespace":
        sys.exit(in_namespace(sys.argv[4]))
    fx = Fixture("hnyacc")
    group = None
    try:
        test_unknown_group(fx)
        test_runtime_directory(fx)
        if not os.path.exists(SERVICE):
            test_choice_local(fx, service_running=False)
        else:
            print("test_choice_local: not run outside the namespace: %s exists here" % SERVICE)
        if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("groupadd"):
            print("test_access: SKIPPED the group cases: they need root, setpriv and groupadd"
                  " (a temporary group, a client run as nobody)")
        else:
            group = "hnyacc%d" % os.getpid()
            subprocess.run(["groupadd", group], check=True, capture_output=True)
            gid = grp.getgrnam(group).gr_gid
            test_group(fx, group, gid)
            if shutil.which("unshare"):
                test_service(fx, group, gid)
            else:
                print("test_service: SKIPPED: no unshare")
    finally:
        fx.close()
        if group:
            subprocess.run(["groupdel", group], capture_output=True)
    check.done("test_access")


if __name__ == "__main__":
    main()

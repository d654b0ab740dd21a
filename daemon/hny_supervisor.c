/*  hny_supervisor.c: fork/exec and keep alive the local workers (see
    hny_supervisor.h). The broker calls hny_supervisor_tick from its loop;
    children are reaped with waitpid(WNOHANG), so no SIGCHLD handler is
    needed beyond the loop's own wake-ups (the poll timeout covers restarts). */
#include "hny_supervisor.h"

#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_BACKOFF_MIN_MS   200
#define S_BACKOFF_MAX_MS   30000
#define S_STABLE_MS        10000    /* a worker that lived this long resets its backoff */

typedef struct {
    pid_t pid;                  /* 0 while waiting to restart */
    int64_t started;            /* monotonic ms */
    int64_t restart_at;         /* monotonic ms, when pid is 0 */
    int backoff_ms;
} s_child_t;

struct _hny_supervisor_t {
    char *program;
    char *back;
    char *config;
    char *log_level;
    s_child_t *children;
    int count;
};

char *
hny_supervisor_find_worker (void)
{
    const char *env = getenv ("HONYAKU_WORKER");
    if (env && *env)
        return access (env, X_OK) == 0 ? hny_strdup (env) : NULL;
    char self [PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self [n] = 0;
    char *slash = strrchr (self, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    char *path = hny_sprintf ("%s/honyaku-worker", self);
    if (access (path, X_OK) != 0)
        hny_free (&path);
    return path;
}

hny_supervisor_t *
hny_supervisor_new (const char *program, const char *back, const char *config, const char *log_level)
{
    assert (program && back);
    hny_supervisor_t *self = hny_calloc (1, sizeof *self);
    self->program = hny_strdup (program);
    self->back = hny_strdup (back);
    self->config = config ? hny_strdup (config) : NULL;
    self->log_level = log_level ? hny_strdup (log_level) : NULL;
    return self;
}

void
hny_supervisor_destroy (hny_supervisor_t **self_p)
{
    assert (self_p);
    hny_supervisor_t *self = *self_p;
    if (!self)
        return;
    hny_supervisor_stop (self, 5000);
    free (self->program);
    free (self->back);
    free (self->config);
    free (self->log_level);
    free (self->children);
    free (self);
    *self_p = NULL;
}

static int
s_spawn (hny_supervisor_t *self, int index)
{
    s_child_t *child = &self->children [index];
    char name [32];
    snprintf (name, sizeof name, "local-%d", index + 1);
    const char *argv [12];
    int argc = 0;
    argv [argc++] = self->program;
    argv [argc++] = "--back";
    argv [argc++] = self->back;
    argv [argc++] = "--name";
    argv [argc++] = name;
    if (self->config) {
        argv [argc++] = "--config";
        argv [argc++] = self->config;
    }
    if (self->log_level) {
        argv [argc++] = "--log-level";
        argv [argc++] = self->log_level;
    }
    argv [argc] = NULL;

    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        hny_error ("cannot fork a worker: %s", strerror (errno));
        return -1;
    }
    if (pid == 0) {
        /* The child: die with the broker, default signal handling, exec. */
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (1);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        signal (SIGTERM, SIG_DFL);
        signal (SIGINT, SIG_DFL);
        signal (SIGPIPE, SIG_DFL);
        execv (self->program, (char *const *) argv);
        fprintf (stderr, "honyakud: cannot run %s: %s\n", self->program, strerror (errno));
        _exit (127);
    }
    child->pid = pid;
    child->started = hny_clock_mono_ms ();
    hny_info ("worker %s started (pid %d)", name, (int) pid);
    return 0;
}

int
hny_supervisor_start (hny_supervisor_t *self, int count)
{
    assert (count >= 0);
    self->children = hny_realloc (self->children, (size_t) (self->count + count) * sizeof *self->children);
    int started = 0;
    for (int i = self->count; i < self->count + count; i++) {
        memset (&self->children [i], 0, sizeof self->children [i]);
        self->children [i].backoff_ms = S_BACKOFF_MIN_MS;
        if (s_spawn (self, i) == 0)
            started++;
        else
            self->children [i].restart_at = hny_clock_mono_ms () + S_BACKOFF_MIN_MS;
    }
    self->count += count;
    return count > 0 && started == 0 ? -1 : 0;
}

int
hny_supervisor_count (const hny_supervisor_t *self)
{
    return self ? self->count : 0;
}

int64_t
hny_supervisor_tick (hny_supervisor_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < self->count; i++) {
            s_child_t *child = &self->children [i];
            if (child->pid != pid)
                continue;
            if (now - child->started >= S_STABLE_MS)
                child->backoff_ms = S_BACKOFF_MIN_MS;
            if (WIFSIGNALED (status))
                hny_warn ("worker local-%d (pid %d) killed by signal %d: restart in %d ms", i + 1,
                          (int) pid, WTERMSIG (status), child->backoff_ms);
            else
                hny_warn ("worker local-%d (pid %d) exited with %d: restart in %d ms", i + 1,
                          (int) pid, WEXITSTATUS (status), child->backoff_ms);
            child->pid = 0;
            child->restart_at = now + child->backoff_ms;
            child->backoff_ms = child->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS
                                                                         : child->backoff_ms * 2;
        }
    }
    int64_t next = -1;
    for (int i = 0; i < self->count; i++) {
        s_child_t *child = &self->children [i];
        if (child->pid)
            continue;
        if (now >= child->restart_at && s_spawn (self, i) != 0)
            child->restart_at = now + child->backoff_ms;
        if (!child->pid && (next < 0 || child->restart_at - now < next))
            next = child->restart_at - now;
    }
    return next;
}

void
hny_supervisor_stop (hny_supervisor_t *self, int deadline_ms)
{
    int alive = 0;
    for (int i = 0; i < self->count; i++)
        if (self->children [i].pid > 0 && kill (self->children [i].pid, SIGTERM) == 0)
            alive++;
    int64_t deadline = hny_clock_mono_ms () + deadline_ms;
    int killed = 0;
    while (alive > 0) {
        int status;
        int64_t now = hny_clock_mono_ms ();
        if (now >= deadline && !killed) {
            for (int i = 0; i < self->count; i++)
                if (self->children [i].pid > 0) {
                    hny_warn ("worker local-%d (pid %d) did not stop: SIGKILL", i + 1,
                              (int) self->children [i].pid);
                    kill (self->children [i].pid, SIGKILL);
                }
            killed = 1;
        }
        pid_t pid = waitpid (-1, &status, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            break;
        if (pid <= 0) {
            /* Nothing exited yet: poll the children again shortly. */
            hny_sleep_ms (10);
            continue;
        }
        for (int i = 0; i < self->count; i++)
            if (self->children [i].pid == pid) {
                self->children [i].pid = 0;
                alive--;
            }
    }
    for (int i = 0; i < self->count; i++)
        self->children [i].pid = 0;
    self->count = 0;
}

/*  honyakud.c: the honyaku broker's main: command line and configuration,
    state directory and endpoints, signals (handlers only set a flag:
    SIGTERM/SIGINT stop, SIGHUP reloads the configuration), the store, the
    local workers, and the event loop (hny_broker.c).

    Precedence: flags > config file > built-in defaults; the state directory
    falls back on $STATE_DIRECTORY (systemd's StateDirectory=), then
    ./honyaku-state; the ipc:// sockets go to $RUNTIME_DIRECTORY (systemd's
    RuntimeDirectory=, /run/honyaku) when it is set, else to the state
    directory. Exit status: 0 clean, 1 runtime failure, 2 usage or
    configuration (an unknown socket_group included). */
#include "hny_access.h"
#include "hny_broker.h"
#include "hny_store.h"
#include "hny_supervisor.h"

#include <honyaku/config.h>
#include <honyaku/metrics.h>
#include <honyaku/util.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0.0.0"
#endif

#define S_SUN_PATH_MAX 107      /* bytes of an ipc:// path (sockaddr_un.sun_path - 1) */

/* 0 serve, 1 drain, 2+ leave now (the broker reads it every pass). */
static volatile sig_atomic_t s_signals = 0;
/* SIGHUP: reload the configuration (the broker clears it). */
static volatile sig_atomic_t s_reload = 0;
/* The write end of the self-pipe: the handler writes a byte so that a
   signal landing between the loop's check of the flags and zmq_poll
   wakes the poll instead of waiting out its timeout. -1: none. */
static int s_wake_fd = -1;

static void
s_on_signal (int signum)
{
    int saved = errno;
    if (s_wake_fd >= 0 && write (s_wake_fd, "", 1) < 0) {
        /* full pipe: a wake-up is pending already */
    }
    errno = saved;
    if (signum == SIGHUP)
        s_reload = 1;
    else if (signum == SIGINT)
        s_signals = s_signals + 1;
    else if (s_signals == 0)
        s_signals = 1;
}

static void
s_usage (FILE *f)
{
    fprintf (f,
        "usage: honyakud [options]\n"
        "  --config FILE     INI configuration (default: built-in, the pseudo profile alone)\n"
        "  --state DIR       state directory (store; ipc sockets unless under systemd)\n"
        "  --front EP        client endpoint (default ipc://RUN/front: RUN is\n"
        "                    $RUNTIME_DIRECTORY under systemd, else STATE)\n"
        "  --back EP         worker endpoint (default ipc://RUN/back)\n"
        "  --metrics ADDR    serve GET /metrics (Prometheus) on PORT, HOST:PORT or [IPV6]:PORT\n"
        "                    (PORT alone: 127.0.0.1); default: [daemon] metrics, else none\n"
        "  --workers N       local workers to start; -1 = number of cores, 0 = none\n"
        "  --log-level L     error, warn, info or debug\n"
        "  --version         print the version and exit\n"
        "  --help-config     every configuration option with its default\n"
        "  --help            this text\n"
        "SIGTERM drains and stops; SIGHUP logs where the loop's time went (\"loop:\")\n"
        "and reloads the --config file (log level, profile limits, allow-lists;\n"
        "the log tells what needs a restart).\n");
}

static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = value ? hny_strdup (value) : NULL;
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int
s_mkdirs (const char *path)
{
    char *copy = hny_strdup (path);
    int rc = 0;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir (copy, 0700) != 0 && errno != EEXIST)
                rc = -1;
            *p = saved;
            if (!saved || rc)
                break;
        }
    }
    free (copy);
    struct stat st;
    if (rc == 0 && (stat (path, &st) != 0 || !S_ISDIR (st.st_mode)))
        rc = -1;
    return rc;
}

/* An ipc:// endpoint whose path does not fit a unix socket address is an
   error to report now, not a bind failure later. */
static int
s_check_endpoint (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0 && strlen (endpoint + 6) > S_SUN_PATH_MAX) {
        hny_error ("endpoint %s: the path is %zu bytes, more than the %d a unix socket allows;"
                   " use a shorter --state or --front/--back", endpoint, strlen (endpoint + 6),
                   S_SUN_PATH_MAX);
        return -1;
    }
    return 0;
}

/* One honyakud per state directory (PROTOCOL.md section 14): an exclusive
   flock on STATE/honyakud.lock, which holds our PID, for as long as we
   run. The descriptor is close-on-exec, so that the workers we start do
   not hold the lock after we are gone. Returns the descriptor, or -1
   after saying why (another honyakud holds it, naming its PID). */
static int
s_lock_state (const char *state)
{
    char *path = hny_sprintf ("%s/honyakud.lock", state);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        hny_error ("cannot open %s: %s", path, strerror (errno));
        free (path);
        return -1;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        char pid [32] = "";
        ssize_t n = pread (fd, pid, sizeof pid - 1, 0);
        pid [n > 0 ? n : 0] = 0;
        pid [strcspn (pid, "\n")] = 0;
        if (errno == EWOULDBLOCK || errno == EAGAIN || n >= 0)
            hny_error ("another honyakud (pid %s) uses %s: leaving", *pid ? pid : "?", state);
        else
            hny_error ("cannot lock %s: %s", path, strerror (errno));
        close (fd);
        free (path);
        return -1;
    }
    char text [32];
    int len = snprintf (text, sizeof text, "%ld\n", (long) getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, text, (size_t) len, 0) != len)
        hny_warn ("cannot write our pid to %s: %s", path, strerror (errno));
    free (path);
    return fd;
}

int
main (int argc, char **argv)
{
    hny_log_init ("honyakud", HNY_LOG_INFO);
    const char *config_path = NULL, *state = NULL, *front = NULL, *back = NULL, *level = NULL;
    const char *metrics = NULL;
    int workers = -2;           /* -2: not given */
    static const struct option options [] = {
        { "config", required_argument, NULL, 'c' },
        { "state", required_argument, NULL, 's' },
        { "front", required_argument, NULL, 'f' },
        { "back", required_argument, NULL, 'b' },
        { "metrics", required_argument, NULL, 'm' },
        { "workers", required_argument, NULL, 'w' },
        { "log-level", required_argument, NULL, 'l' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { "help-config", no_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long (argc, argv, "c:s:f:b:m:w:l:Vh", options, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 's': state = optarg; break;
        case 'f': front = optarg; break;
        case 'b': back = optarg; break;
        case 'm': {
            char host [64], *why = NULL;
            int port;
            if (hny_metrics_addr_parse (optarg, host, sizeof host, &port, &why) != 0) {
                fprintf (stderr, "honyakud: --metrics: %s\n", why);
                free (why);
                return 2;
            }
            metrics = optarg;
            break;
        }
        case 'w': {
            char *end = NULL;
            long n = strtol (optarg, &end, 10);
            if (!*optarg || *end || n < -1 || n > 1024) {
                fprintf (stderr, "honyakud: --workers: expected -1 to 1024, got \"%s\"\n", optarg);
                return 2;
            }
            workers = (int) n;
            break;
        }
        case 'l':
            if (hny_log_level_parse (optarg) < 0) {
                fprintf (stderr, "honyakud: --log-level: expected error, warn, info or debug\n");
                return 2;
            }
            level = optarg;
            break;
        case 'V': printf ("honyakud %s\n", HNY_VERSION); return 0;
        case 'h': s_usage (stdout); return 0;
        case 'H': hny_config_describe (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "honyakud: unexpected argument \"%s\"\n", argv [optind]);
        s_usage (stderr);
        return 2;
    }

    char *error = NULL;
    hny_config_t *config = config_path ? hny_config_load (config_path, &error) : hny_config_new_default ();
    if (!config) {
        fprintf (stderr, "honyakud: %s\n", error);
        free (error);
        return 2;
    }
    hny_daemon_conf_t *conf = hny_config_daemon (config);
    if (level)
        s_set (&conf->log_level, level);
    if (conf->log_level)
        hny_log_set_level ((hny_log_level_t) hny_log_level_parse (conf->log_level));
    if (!config_path)
        hny_info ("no --config: running with the built-in pseudo profile alone");
    if (state)
        s_set (&conf->state, state);
    else if (!conf->state || !*conf->state)
        s_set (&conf->state, getenv ("STATE_DIRECTORY") && *getenv ("STATE_DIRECTORY")
                             ? getenv ("STATE_DIRECTORY") : "./honyaku-state");
    /* $STATE_DIRECTORY may list several directories: the first is ours. */
    char *colon = strchr (conf->state, ':');
    if (colon)
        *colon = 0;
    /* Under systemd the sockets live in the runtime directory, which it
       makes (RuntimeDirectoryMode= lets socket_group through) and removes;
       the store stays in the state directory. First one only, as above. */
    const char *runtime = getenv ("RUNTIME_DIRECTORY");
    const char *sockets_in = runtime && *runtime ? runtime : conf->state;
    char *sockets = hny_strndup (sockets_in, strcspn (sockets_in, ":"));
    if (front)
        s_set (&conf->front, front);
    if (back)
        s_set (&conf->back, back);
    if (metrics)
        s_set (&conf->metrics, metrics);
    if (workers != -2)
        conf->workers = workers;
    if (conf->workers < 0) {
        long cores = sysconf (_SC_NPROCESSORS_ONLN);
        conf->workers = cores > 0 ? (int) cores : 1;
    }

    /* Refused now, before anything is created: a group that does not
       exist or that we cannot give the client socket to. */
    gid_t group = (gid_t) -1;
    if (hny_access_group (conf->socket_group, &group, &error)) {
        fprintf (stderr, "honyakud: %s\n", error);
        free (error);
        free (sockets);
        hny_config_destroy (&config);
        return 2;
    }

    /* Everything honyakud creates (store, ipc sockets) is for its user
       alone; the client socket is then given to socket_group, if any. */
    umask (0077);
    int rc = 1, lock = -1;
    int wake [2] = { -1, -1 };  /* the self-pipe: the broker polls [0] */
    hny_store_t *store = NULL;
    hny_supervisor_t *supervisor = NULL;
    hny_broker_t *broker = NULL;
    char *db = NULL, *front_ep = NULL, *back_ep = NULL, *worker_bin = NULL;
    if (s_mkdirs (conf->state) != 0) {
        hny_error ("cannot create the state directory %s: %s", conf->state, strerror (errno));
        goto done;
    }
    lock = s_lock_state (conf->state);
    if (lock < 0)
        goto done;
    /* Open to others, or to a group other than socket_group's: said, as
       the files in it are 0600 anyway. */
    struct stat st;
    if (stat (conf->state, &st) == 0
    &&  ((st.st_mode & 0007) || ((st.st_mode & 0070) && st.st_gid != group)))
        hny_warn ("the state directory %s is open to other users (mode %03o); its ipc sockets"
                  " and store are 0600", conf->state, (unsigned) (st.st_mode & 0777));
    front_ep = conf->front && *conf->front ? hny_strdup (conf->front) : hny_sprintf ("ipc://%s/front", sockets);
    back_ep = conf->back && *conf->back ? hny_strdup (conf->back) : hny_sprintf ("ipc://%s/back", sockets);
    if (s_check_endpoint (front_ep) || s_check_endpoint (back_ep))
        goto done;

    if (pipe2 (wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        hny_error ("pipe: %s", strerror (errno));
        goto done;
    }
    s_wake_fd = wake [1];
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    db = hny_sprintf ("%s/honyaku.db", conf->state);
    store = hny_store_new (db, &error);
    if (!store) {
        hny_error ("store: %s", error);
        goto done;
    }
    if (conf->workers > 0) {
        worker_bin = hny_supervisor_find_worker ();
        if (!worker_bin) {
            hny_error ("cannot find honyaku-worker beside honyakud (set $HONYAKU_WORKER or use --workers 0)");
            goto done;
        }
        supervisor = hny_supervisor_new (worker_bin, back_ep, config_path, conf->log_level);
    }
    broker = hny_broker_new (config, store, front_ep, back_ep, supervisor, &error);
    if (!broker) {
        hny_error ("%s", error);
        goto done;
    }
    hny_access_check_dirs (front_ep, conf->socket_group);
    hny_broker_set_reload (broker, &s_reload, level != NULL);
    hny_broker_set_wake_fd (broker, wake [0]);
    if (supervisor && hny_supervisor_start (supervisor, conf->workers) != 0) {
        hny_error ("cannot start the local workers");
        goto done;
    }
    hny_info ("honyakud %s: state %s, %d local workers", HNY_VERSION, conf->state, conf->workers);
    rc = hny_broker_run (broker, &s_signals) == 0 ? 0 : 1;
    hny_info ("stopped");

done:
    hny_broker_destroy (&broker);
    hny_supervisor_destroy (&supervisor);
    hny_store_destroy (&store);
    hny_config_destroy (&config);
    free (error);
    free (db);
    free (front_ep);
    free (back_ep);
    free (sockets);
    free (worker_bin);
    if (lock >= 0)
        close (lock);           /* the lock goes with it */
    s_wake_fd = -1;
    for (int i = 0; i < 2; i++)
        if (wake [i] >= 0)
            close (wake [i]);
    return rc;
}

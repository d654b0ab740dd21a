/*  hny_worker.c: honyaku-worker, the process that does honyaku's text and
    network work for the broker (proto/PROTOCOL.md, "Worker <-> broker").

    One DEALER socket to the broker's back endpoint. The worker announces
    itself with READY (credit, the profiles it serves), then takes TASKs:
    `prepare` runs hny_prepare() in place; `translate` hands the batch to the
    profile's backend, whose HTTP requests run on one curl multi handle. ZeroMQ
    and curl share one loop: hny_http_wait() polls curl's sockets together
    with the socket's ZMQ_FD and a signal pipe. ZMQ_FD is edge-triggered, so
    the loop always drains the socket (ZMQ_EVENTS + non-blocking reads)
    right before it waits again.

    Heartbeats: HEARTBEAT when nothing was sent for heartbeat_ms; a broker
    silent for 3 intervals is dead: in-flight work is dropped (the broker
    re-queues it), a new socket connects and READY goes again. DISCONNECT
    from the broker also means "register again". Every failure of a task
    becomes a RESULT; nothing a task carries can stop the worker. */
#include "hny_backend.h"
#include "hny_http.h"

#include <honyaku/config.h>
#include <honyaku/proto.h>
#include <honyaku/util.h>
#ifdef HNY_HAVE_PREPARE
#include <honyaku/prepare.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0.0.0"
#endif

#define S_NAME_MAX        128           /* bytes of --name */
#define S_CREDIT_MAX      1024
#define S_MSG_MIN         (16 * 1024 * 1024)

/* A translate task in flight. */
typedef struct _s_task_t s_task_t;
struct _s_task_t {
    s_task_t *prev, *next;
    struct _s_worker_t *worker;
    char *id;                   /* the broker's task id */
    char *job;                  /* job id for logs; "-" when none */
    hny_batch_t *batch;
    const char *profile;        /* borrowed from the backend */
    int64_t started_ms;
};

typedef struct _s_worker_t {
    hny_config_t *config;
    char *back;                 /* broker endpoint */
    int curve;                  /* 1: CURVE with the keys below */
    char server_key [HNY_CURVE_KEY_LEN];    /* broker's public key (Z85) */
    char public_key [HNY_CURVE_KEY_LEN];    /* our key pair (Z85); wiped at exit */
    char secret_key [HNY_CURVE_KEY_LEN];
    char *name;
    int credit;
    int heartbeat_ms;
    int64_t max_msg;            /* ZMQ_MAXMSGSIZE */
    int64_t max_article;
    void *ctx;
    void *sock;                 /* DEALER */
    hny_http_t *http;
    hny_backend_t **backends;
    size_t backend_count;
#ifdef HNY_HAVE_PREPARE
    hny_preparer_t *preparer;
#endif
    s_task_t *tasks;            /* translate tasks in flight */
    size_t task_count;
    int64_t last_sent;          /* monotonic ms */
    int64_t last_heard;
} s_worker_t;

static volatile sig_atomic_t s_interrupted = 0;
static int s_signal_pipe[2] = { -1, -1 };

static void
s_on_signal (int signum)
{
    if (s_interrupted && signum == SIGINT)
        _exit (130);            /* a second Ctrl-C: leave at once */
    s_interrupted = 1;
    int saved = errno;
    if (s_signal_pipe[1] >= 0) {
        char c = 1;
        ssize_t n = write (s_signal_pipe[1], &c, 1);
        (void) n;               /* a full pipe already wakes the loop */
    }
    errno = saved;
}

static int
s_signals_init (void)
{
    if (pipe2 (s_signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    return 0;
}

/* ------------------------------------------------------------- messaging */

static void
s_send (s_worker_t *self, hny_msg_t **msg_p)
{
    hny_msg_id_t id = hny_msg_id (*msg_p);
    if (hny_msg_send (msg_p, self->sock) != 0)
        hny_warn ("cannot send %s to the broker: %s", hny_msg_command_name (id),
                  zmq_strerror (errno));
    self->last_sent = hny_clock_mono_ms ();
}

static void
s_send_ready (s_worker_t *self)
{
    hny_msg_t *msg = hny_msg_new (HNY_MSG_READY);
    hny_msg_set_int (msg, "credit", self->credit);
    json_t *names = json_array ();
    for (size_t i = 0; i < self->backend_count; i++)
        json_array_append_new (names, json_string (hny_backend_name (self->backends[i])));
    json_object_set_new (hny_msg_header (msg), "backends", names);
    hny_msg_set_str (msg, "name", self->name);
    hny_msg_set_int (msg, "pid", (int64_t) getpid ());
    s_send (self, &msg);
    hny_debug ("READY sent to %s (credit %d)", self->back, self->credit);
}

/* RESULT with a status and, for failures, a reason; body (may be NULL) is
   taken over. */
static void
s_send_result (s_worker_t *self, const char *task, int status, const char *reason, char *body)
{
    hny_msg_t *msg = hny_msg_new (HNY_MSG_RESULT);
    hny_msg_set_str (msg, "task", task);
    hny_msg_set_int (msg, "status", status);
    if (reason)
        hny_msg_set_str (msg, "reason", reason);
    if (body)
        hny_msg_take_body (msg, body, strlen (body));
    s_send (self, &msg);
}

/* --------------------------------------------------------------- sockets */

static int
s_connect (s_worker_t *self)
{
    self->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->sock)
        return -1;
    int linger = 0;
    int sndtimeo = self->heartbeat_ms;      /* a stuck send must not stop the loop */
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    zmq_setsockopt (self->sock, ZMQ_MAXMSGSIZE, &self->max_msg, sizeof self->max_msg);
    if (self->curve
    &&  (zmq_setsockopt (self->sock, ZMQ_CURVE_SERVERKEY, self->server_key, HNY_CURVE_KEY_LEN - 1)
      || zmq_setsockopt (self->sock, ZMQ_CURVE_PUBLICKEY, self->public_key, HNY_CURVE_KEY_LEN - 1)
      || zmq_setsockopt (self->sock, ZMQ_CURVE_SECRETKEY, self->secret_key, HNY_CURVE_KEY_LEN - 1))) {
        hny_error ("cannot set the CURVE keys: %s", zmq_strerror (errno));
        zmq_close (self->sock);
        self->sock = NULL;
        return -1;
    }
    if (zmq_connect (self->sock, self->back) != 0) {
        hny_error ("cannot connect to %s: %s", self->back, zmq_strerror (errno));
        zmq_close (self->sock);
        self->sock = NULL;
        return -1;
    }
    int64_t now = hny_clock_mono_ms ();
    self->last_heard = now;
    return 0;
}

static void
s_task_destroy (s_worker_t *self, s_task_t **task_p)
{
    s_task_t *task = *task_p;
    if (task->prev)
        task->prev->next = task->next;
    else
        self->tasks = task->next;
    if (task->next)
        task->next->prev = task->prev;
    self->task_count--;
    hny_batch_destroy (&task->batch);
    free (task->id);
    free (task->job);
    free (task);
    *task_p = NULL;
}

/* Drop every task in flight: the broker has re-queued them. */
static void
s_drop_tasks (s_worker_t *self, const char *why)
{
    if (self->tasks)
        hny_warn ("dropping %zu tasks in flight: %s", self->task_count, why);
    hny_http_cancel_all (self->http);
    while (self->tasks) {
        s_task_t *task = self->tasks;
        s_task_destroy (self, &task);
    }
}

static int
s_reconnect (s_worker_t *self)
{
    s_drop_tasks (self, "broker lost");
    if (self->sock)
        zmq_close (self->sock);
    self->sock = NULL;
    if (s_connect (self) != 0)
        return -1;
    s_send_ready (self);
    return 0;
}

/* ----------------------------------------------------------------- tasks */

static void
s_task_prepare (s_worker_t *self, hny_msg_t *msg, const char *task_id, const char *job)
{
#ifdef HNY_HAVE_PREPARE
    size_t size = 0;
    const uint8_t *data = hny_msg_body (msg, &size);
    json_t *header = hny_msg_header (msg);
    hny_prepare_opts_t opts = {
        .format = hny_msg_get_str (msg, "format"),
        .lang = hny_msg_get_str (msg, "from"),
        .source = hny_msg_get_str (msg, "source"),
        .lenient = json_is_true (json_object_get (header, "lenient")),
        .max_bytes = (size_t) self->max_article,
    };
    int status = 500;
    char *reason = NULL;
    int64_t start = hny_clock_mono_ms ();
    json_t *prepared = hny_prepare (self->preparer, data ? data : (const uint8_t *) "", size,
                                    &opts, &status, &reason);
    if (!prepared) {
        if (status < 400 || status > 599)
            status = 500;
        hny_warn ("job %s: task %s: prepare failed: %d %s", job, task_id, status,
                  reason ? reason : "");
        s_send_result (self, task_id, status, reason ? reason : "prepare failed", NULL);
        free (reason);
        return;
    }
    char *body = json_dumps (prepared, JSON_COMPACT);
    json_t *stats = json_object_get (prepared, "stats");
    hny_info ("job %s: task %s: prepared %zu bytes into %lld segments in %lld ms", job, task_id,
              size, (long long) json_integer_value (json_object_get (stats, "segments")),
              (long long) (hny_clock_mono_ms () - start));
    json_decref (prepared);
    if (!body) {
        s_send_result (self, task_id, 500, "cannot encode the prepared article", NULL);
        return;
    }
    s_send_result (self, task_id, 200, NULL, body);
#else
    hny_warn ("job %s: task %s: this worker was built without prepare", job, task_id);
    s_send_result (self, task_id, 503, "this worker was built without prepare", NULL);
#endif
}

static void
s_on_batch_done (hny_batch_t *batch, void *arg)
{
    s_task_t *task = arg;
    s_worker_t *self = task->worker;
    json_t *result = hny_batch_result (batch);
    size_t failed = 0;
    for (size_t i = 0; i < hny_batch_size (batch); i++)
        if (hny_batch_class (batch, i) != HNY_SEG_OK)
            failed++;
    char *body = json_dumps (result, JSON_COMPACT);
    hny_info ("job %s: task %s: %s translated %zu of %zu segments (%zu failed) in %lld ms, "
              "%lld requests", task->job, task->id, task->profile,
              hny_batch_size (batch) - failed, hny_batch_size (batch), failed,
              (long long) (hny_clock_mono_ms () - task->started_ms),
              (long long) json_integer_value (json_object_get (result, "requests")));
    json_decref (result);
    if (body)
        s_send_result (self, task->id, 200, NULL, body);
    else
        s_send_result (self, task->id, 500, "cannot encode the result", NULL);
    s_task_destroy (self, &task);
}

static hny_backend_t *
s_backend_find (s_worker_t *self, const char *name)
{
    for (size_t i = 0; i < self->backend_count; i++)
        if (strcmp (hny_backend_name (self->backends[i]), name) == 0)
            return self->backends[i];
    return NULL;
}

static void
s_task_translate (s_worker_t *self, hny_msg_t *msg, const char *task_id, const char *job)
{
    const char *profile = hny_msg_get_str (msg, "profile");
    const char *from = hny_msg_get_str (msg, "from");
    const char *to = hny_msg_get_str (msg, "to");
    if (!profile || !from || !to) {
        s_send_result (self, task_id, 400, "translate task needs profile, from and to", NULL);
        return;
    }
    hny_backend_t *backend = s_backend_find (self, profile);
    if (!backend) {
        char *reason = hny_sprintf ("profile \"%.64s\" is not served by this worker", profile);
        hny_warn ("job %s: task %s: %s", job, task_id, reason);
        s_send_result (self, task_id, 503, reason, NULL);
        free (reason);
        return;
    }
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    char *reason = NULL;
    hny_batch_t *batch = hny_batch_new (body, size, from, to, job, &reason);
    if (!batch) {
        hny_warn ("job %s: task %s: bad translate body: %s", job, task_id, reason);
        s_send_result (self, task_id, 400, reason, NULL);
        free (reason);
        return;
    }
    s_task_t *task = hny_calloc (1, sizeof *task);
    task->worker = self;
    task->id = hny_strdup (task_id);
    task->job = hny_strdup (job);
    task->batch = batch;
    task->profile = hny_backend_name (backend);
    task->started_ms = hny_clock_mono_ms ();
    task->next = self->tasks;
    if (self->tasks)
        self->tasks->prev = task;
    self->tasks = task;
    self->task_count++;
    /* done may run before this returns (local backends) and frees the task. */
    if (hny_backend_translate (backend, batch, s_on_batch_done, task) != 0) {
        s_send_result (self, task_id, 500, "backend refused the batch", NULL);
        s_task_destroy (self, &task);
    }
}

static void
s_on_task (s_worker_t *self, hny_msg_t *msg)
{
    const char *task_id = hny_msg_get_str (msg, "task");
    const char *kind = hny_msg_get_str (msg, "kind");
    const char *job = hny_msg_get_str (msg, "job");
    char job_buf[32];
    if (!job) {
        /* job may be sent as an integer */
        int64_t n = hny_msg_get_int (msg, "job", -1);
        if (n >= 0)
            snprintf (job_buf, sizeof job_buf, "%lld", (long long) n);
        else
            snprintf (job_buf, sizeof job_buf, "-");
        job = job_buf;
    }
    if (!task_id) {
        hny_warn ("job %s: TASK without a task id: ignored", job);
        return;
    }
    if (self->task_count >= (size_t) self->credit)
        hny_warn ("job %s: task %s arrives past the credit of %d", job, task_id, self->credit);
    if (kind && strcmp (kind, "prepare") == 0)
        s_task_prepare (self, msg, task_id, job);
    else if (kind && strcmp (kind, "translate") == 0)
        s_task_translate (self, msg, task_id, job);
    else {
        char *reason = hny_sprintf ("unknown task kind \"%.32s\"", kind ? kind : "");
        s_send_result (self, task_id, 400, reason, NULL);
        free (reason);
    }
}

static void
s_on_message (s_worker_t *self, hny_msg_t *msg)
{
    switch (hny_msg_id (msg)) {
    case HNY_MSG_TASK:
        s_on_task (self, msg);
        break;
    case HNY_MSG_HEARTBEAT:
        break;
    case HNY_MSG_DISCONNECT: {
        const char *reason = hny_msg_get_str (msg, "reason");
        hny_info ("broker says DISCONNECT (%s): registering again", reason ? reason : "-");
        s_drop_tasks (self, "broker asked to register again");
        s_send_ready (self);
        break;
    }
    case HNY_MSG_INVALID: {
        const char *reason = hny_msg_error_reason (msg) ? hny_msg_error_reason (msg) : "malformed";
        int status = hny_msg_error_status (msg);
        hny_warn ("undecodable message from the broker: %d %s", status, reason);
        /* A TASK that lacks a required field still names its task when the
           header decoded: answer it, so that the broker does not wait for
           the lease to run out. */
        const char *task_id = hny_msg_get_str (msg, "task");
        if (task_id)
            s_send_result (self, task_id, status >= 400 && status < 500 ? status : 400, reason, NULL);
        break;
    }
    default:
        hny_warn ("unexpected %s from the broker: ignored", hny_msg_command_name (hny_msg_id (msg)));
        break;
    }
}

/* Read every message waiting on the socket. ZMQ_FD only signals edges:
   this must be the last socket operation before the loop waits. */
static void
s_drain (s_worker_t *self)
{
    while (self->sock && !s_interrupted) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt (self->sock, ZMQ_EVENTS, &events, &len) != 0
            || !(events & ZMQ_POLLIN))
            return;
        hny_msg_t *msg = hny_msg_recv (self->sock);
        if (!msg)
            return;
        self->last_heard = hny_clock_mono_ms ();
        s_on_message (self, msg);
        hny_msg_destroy (&msg);
    }
}

/* ------------------------------------------------------------- the loop */

static int
s_run (s_worker_t *self)
{
    if (s_connect (self) != 0)
        return -1;
    s_send_ready (self);
    hny_info ("serving %zu profiles on %s as %s (credit %d)", self->backend_count, self->back,
              self->name, self->credit);
    while (!s_interrupted) {
        int64_t now = hny_clock_mono_ms ();
        if (now - self->last_heard >= 3 * (int64_t) self->heartbeat_ms) {
            hny_warn ("broker silent for %lld ms: reconnecting to %s",
                      (long long) (now - self->last_heard), self->back);
            if (s_reconnect (self) != 0)
                return -1;
        }
        else if (now - self->last_sent >= self->heartbeat_ms) {
            hny_msg_t *msg = hny_msg_new (HNY_MSG_HEARTBEAT);
            s_send (self, &msg);
        }
        s_drain (self);
        if (s_interrupted)
            break;

        now = hny_clock_mono_ms ();
        int64_t wait = self->heartbeat_ms - (now - self->last_sent);
        int64_t dead = 3 * (int64_t) self->heartbeat_ms - (now - self->last_heard);
        if (dead < wait)
            wait = dead;
        if (wait < 0)
            wait = 0;
        int fds[2] = { -1, s_signal_pipe[0] };
        size_t fd_size = sizeof fds[0];
        zmq_getsockopt (self->sock, ZMQ_FD, &fds[0], &fd_size);
        int ready[2];
        if (hny_http_wait (self->http, fds, 2, (int) wait + 1, ready) != 0)
            return -1;
        if (hny_http_run (self->http) != 0)
            return -1;
    }
    hny_info ("stopping: DISCONNECT to the broker");
    hny_msg_t *bye = hny_msg_new (HNY_MSG_DISCONNECT);
    hny_msg_set_str (bye, "reason", "worker shutting down");
    s_send (self, &bye);
    return 0;
}

/* --------------------------------------------------------- configuration */

/* True when name is in the comma-separated list (spaces around names allowed). */
static int
s_in_list (const char *list, const char *name)
{
    size_t len = strlen (name);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn (p, ",");
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if ((size_t) (last - p) == len && strncmp (p, name, len) == 0)
            return 1;
        p = end;
    }
    return 0;
}

static void
s_add_backend (s_worker_t *self, const hny_profile_t *profile)
{
    char *error = NULL;
    hny_backend_t *backend = hny_backend_new (profile, self->http, &error);
    if (!backend) {
        hny_warn ("not serving %s", error ? error : profile->name);
        free (error);
        return;
    }
    self->backends = hny_realloc (self->backends,
                                  (self->backend_count + 1) * sizeof *self->backends);
    self->backends[self->backend_count++] = backend;
}

static int
s_setup_backends (s_worker_t *self)
{
    hny_daemon_conf_t *daemon = hny_config_daemon (self->config);
    const char *list = daemon->worker_backends;
    int have_pseudo = 0;
    for (size_t i = 0; i < hny_config_profile_count (self->config); i++) {
        const hny_profile_t *profile = hny_config_profile (self->config, i);
        int is_pseudo = strcmp (profile->name, "pseudo") == 0;
        if (!is_pseudo && list && !s_in_list (list, profile->name))
            continue;
        s_add_backend (self, profile);
        have_pseudo |= is_pseudo;
    }
    if (!have_pseudo) {
        hny_profile_t pseudo;
        memset (&pseudo, 0, sizeof pseudo);
        pseudo.name = (char *) "pseudo";
        pseudo.type = (char *) "pseudo";
        s_add_backend (self, &pseudo);
    }
    return self->backend_count > 0 ? 0 : -1;
}

/* CURVE towards the broker when a server key is given: the worker's own
   key pair is then required. Returns 0, or -1 after printing why. */
static int
s_curve_setup (s_worker_t *self, const char *server_key, const char *key_file, const char *back)
{
    char *error = NULL;
    if (!server_key || !*server_key) {
        if (key_file && *key_file)
            hny_warn ("a key file without a server key: CURVE is off");
        if (strncmp (back, "tcp://", 6) == 0)
            hny_info ("%s: plain TCP (no server key): the broker must allow it", back);
        return 0;
    }
    if (!zmq_has ("curve"))
        error = hny_strdup ("this libzmq has no CURVE support");
    else if (!key_file || !*key_file)
        error = hny_strdup ("a server key needs the worker's own key pair: give --key-file"
                            " or [worker] key_file (honyaku keygen makes one)");
    else if (hny_curve_public_load (server_key, self->server_key, &error) == 0)
        hny_curve_pair_load (key_file, self->public_key, self->secret_key, &error);
    if (error) {
        fprintf (stderr, "honyaku-worker: %s\n", error);
        free (error);
        return -1;
    }
    self->curve = 1;
    return 0;
}

static void
s_usage (FILE *f)
{
    fprintf (f,
        "usage: honyaku-worker --back ENDPOINT [options]\n"
        "Takes prepare and translate tasks from a honyakud broker.\n"
        "\n"
        "  --back EP          the broker's worker endpoint (default: [daemon] back)\n"
        "  --config FILE      configuration file (default: built-in: pseudo only)\n"
        "  --name NAME        name shown by the broker (default: host:pid)\n"
        "  --credit N         tasks taken at once (default: [worker] credit)\n"
        "  --server-key K     the broker's CURVE public key, Z85 or a file (default:\n"
        "                     [worker] server_key); CURVE needs --key-file too\n"
        "  --key-file FILE    the worker's key pair, from honyaku keygen (default:\n"
        "                     [worker] key_file)\n"
        "  --log-level L      error, warn, info or debug (default: info)\n"
        "  --version          print the version and exit\n"
        "  --help             print this help and exit\n");
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {
        { "back", required_argument, NULL, 'b' },
        { "config", required_argument, NULL, 'c' },
        { "name", required_argument, NULL, 'n' },
        { "credit", required_argument, NULL, 'C' },
        { "log-level", required_argument, NULL, 'l' },
        { "server-key", required_argument, NULL, 'S' },
        { "key-file", required_argument, NULL, 'K' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *back = NULL, *config_path = NULL, *name = NULL, *level_name = NULL;
    const char *server_key = NULL, *key_file = NULL;
    long credit = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "b:c:n:C:l:Vh", options, NULL)) != -1) {
        switch (opt) {
        case 'b': back = optarg; break;
        case 'c': config_path = optarg; break;
        case 'n': name = optarg; break;
        case 'C': {
            char *end = NULL;
            credit = strtol (optarg, &end, 10);
            if (!end || *end || credit < 1 || credit > S_CREDIT_MAX) {
                fprintf (stderr, "honyaku-worker: --credit must be 1..%d\n", S_CREDIT_MAX);
                return 2;
            }
            break;
        }
        case 'l': level_name = optarg; break;
        case 'S': server_key = optarg; break;
        case 'K': key_file = optarg; break;
        case 'V': printf ("honyaku-worker %s\n", HNY_VERSION); return 0;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "honyaku-worker: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    hny_config_t *config = NULL;
    if (config_path) {
        char *error = NULL;
        config = hny_config_load (config_path, &error);
        if (!config) {
            fprintf (stderr, "honyaku-worker: %s\n", error ? error : config_path);
            free (error);
            return 2;
        }
    }
    else
        config = hny_config_new_default ();
    hny_daemon_conf_t *daemon = hny_config_daemon (config);
    if (!level_name)
        level_name = daemon->log_level ? daemon->log_level : "info";
    int level = hny_log_level_parse (level_name);
    if (level < 0) {
        fprintf (stderr, "honyaku-worker: unknown log level: %s\n", level_name);
        hny_config_destroy (&config);
        return 2;
    }
    hny_log_init ("honyaku-worker", (hny_log_level_t) level);
    if (!back)
        back = daemon->back;
    if (!back || !*back) {
        fprintf (stderr, "honyaku-worker: no broker endpoint: give --back\n");
        hny_config_destroy (&config);
        return 2;
    }

    s_worker_t worker;
    memset (&worker, 0, sizeof worker);
    s_worker_t *self = &worker;
    if (s_curve_setup (self, server_key ? server_key : daemon->worker_server_key,
                       key_file ? key_file : daemon->worker_key_file, back) != 0) {
        hny_config_destroy (&config);
        return 2;
    }
    self->config = config;
    self->back = hny_strdup (back);
    if (name)
        self->name = hny_strndup (name, strnlen (name, S_NAME_MAX));
    else {
        char host[64] = "localhost";
        gethostname (host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        self->name = hny_sprintf ("%s:%d", host, (int) getpid ());
    }
    self->credit = credit > 0 ? (int) credit
                 : daemon->worker_credit > 0 ? daemon->worker_credit : 4;
    if (self->credit > S_CREDIT_MAX)
        self->credit = S_CREDIT_MAX;
    self->heartbeat_ms = daemon->heartbeat_ms > 0 ? daemon->heartbeat_ms : 1000;
    self->max_article = daemon->max_article_bytes > 0 ? daemon->max_article_bytes
                                                     : 8 * 1024 * 1024;
    /* The largest message is a prepare TASK (the article) or a translate
       batch (JSON escaping can double the text). */
    self->max_msg = 2 * self->max_article + HNY_PROTO_HEADER_MAX;
    if (self->max_msg < S_MSG_MIN)
        self->max_msg = S_MSG_MIN;
    if (self->max_msg > HNY_PROTO_BODY_MAX)
        self->max_msg = HNY_PROTO_BODY_MAX;

    int rc = 1;
    self->http = hny_http_new ();
    self->ctx = zmq_ctx_new ();
    if (!self->http || !self->ctx || s_signals_init () != 0) {
        hny_error ("cannot initialize curl, ZeroMQ or signals");
        goto done;
    }
#ifdef HNY_HAVE_PREPARE
    self->preparer = hny_preparer_new ();
    if (!self->preparer) {
        hny_error ("cannot initialize the preparer (ICU data missing?)");
        goto done;
    }
#endif
    if (s_setup_backends (self) != 0) {
        hny_error ("no backend profile can be served");
        goto done;
    }
    rc = s_run (self) == 0 ? 0 : 1;

done:
    if (self->http)
        s_drop_tasks (self, "shutting down");
    if (self->sock) {
        /* Give the DISCONNECT a moment to leave; linger is 0 otherwise. */
        int linger = 500;
        zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close (self->sock);
    }
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    for (size_t i = 0; i < self->backend_count; i++)
        hny_backend_destroy (&self->backends[i]);
    free (self->backends);
    hny_http_destroy (&self->http);
#ifdef HNY_HAVE_PREPARE
    hny_preparer_destroy (&self->preparer);
#endif
    free (self->back);
    free (self->name);
    explicit_bzero (self->secret_key, sizeof self->secret_key);
    hny_config_destroy (&config);
    return rc;
}

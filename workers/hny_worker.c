/*  hny_worker.c: honyaku-worker, the process that does honyaku's text and
    network work for the broker (proto/PROTOCOL.md, sections 5.3-5.5 and 9).

    One DEALER socket to the broker's back endpoint. The worker announces
    itself with READY (credit, the profiles it serves), then takes TASKs:
    `prepare` goes to a background thread (hny_prepq.h) so that a long
    article never stalls the loop; `translate` hands the batch to the
    profile's backend, whose HTTP requests run on one curl multi handle.
    `align` (both prepared sides of an align job) goes to the same thread,
    which loads the aligner's lexicon on its first one (hny_prepq.h).
    ZeroMQ, curl and the prepare thread share one loop: hny_http_wait()
    polls curl's sockets together with the socket's ZMQ_FD, a signal pipe
    and the prepare thread's pipe. ZMQ_FD is edge-triggered, so the loop
    always drains the socket (ZMQ_EVENTS + non-blocking reads) right before
    it waits again.

    Heartbeats (section 9): the interval starts as [daemon] heartbeat_ms
    and becomes the broker's as soon as a HEARTBEAT carries heartbeat_ms
    (the broker answers READY with one). The worker sends a HEARTBEAT when
    it sent nothing for one interval; while it holds tasks (translations in
    flight, prepares waiting or running) it sends one every interval
    whatever else it sent, listing them in `tasks` (at most 1000 ids per
    message, more messages when needed): that renews their leases.

    Losing the broker keeps the work: after 3 silent intervals the worker
    closes its socket and connects a new one, and after DISCONNECT it
    registers again on the same one; either way its tasks go on. Sends
    never block (ZMQ_IMMEDIATE, zero send timeout): READY is tried until a
    connection takes it, and a RESULT that cannot go out is kept (at most
    64, the oldest dropped) and sent after the next READY. A TASK for a
    task the worker holds already (a broker that re-leased it after a
    re-registration) is not started twice: the one RESULT answers both.

    Every failure of a task becomes a RESULT; nothing a task carries can
    stop the worker. */
#include "hny_backend.h"
#include "hny_http.h"
#include "hny_segqa.h"

#include <honyaku/config.h>
#include <honyaku/proto.h>
#include <honyaku/util.h>
#ifdef HNY_HAVE_PREPARE
#include "hny_prepq.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
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
#define S_RESULTS_MAX     64            /* RESULTs kept while no broker takes them */
#define S_BEAT_TASKS_MAX  1000          /* ids in one READY or HEARTBEAT (PROTOCOL.md section 8) */
#define S_BEAT_BYTES_MAX  60000         /* their JSON in one header (cap 65536) */
#define S_HEARTBEAT_MAX   600000        /* the broker's heartbeat_ms: 1 to this */
#define S_RETRY_MS        100           /* READY and kept RESULTs are tried this often */
#define S_DRAIN_MS        20000         /* SIGTERM: the longest wait for the tasks in hand */
#define S_RCVHWM          (4 * S_CREDIT_MAX)    /* messages queued from the broker */

/* A task the worker holds: a translation in flight (batch set), or a
   prepare waiting for or running on the prepare thread. Listed in every
   HEARTBEAT. */
typedef struct _s_task_t s_task_t;
struct _s_task_t {
    s_task_t *prev, *next;
    struct _s_worker_t *worker;
    char *id;                   /* the broker's task id */
    char *job;                  /* job id for logs; "-" when none */
    hny_batch_t *batch;         /* translate only */
    const char *profile;        /* translate: borrowed from the backend */
    hny_backend_t *backend;     /* translate: the profile's (borrowed) */
    int parked;                 /* translate: a spare not started yet (PROTOCOL.md 13) */
    uint64_t after;             /* parked: start it at the profile's end past this count */
    int64_t started_ms;
};

/* A RESULT waiting for a broker that can take it. */
typedef struct _s_result_t s_result_t;
struct _s_result_t {
    s_result_t *next;
    char *task;                 /* owned */
    int status;
    char *reason;               /* owned; NULL when none */
    char *body;                 /* owned; NULL when none */
    size_t body_size;
    json_t *calls;              /* translate: the requests' "calls" (a reference); NULL: none */
    const char *profile;        /* translate: the profile (borrowed from its backend), whose
                                   tasks' ends the broker counts; NULL: none */
    int64_t kept_ms;            /* when a send first failed; 0: never failed */
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
    int heartbeat_ms;           /* the interval in force: the broker's once it said */
    int heartbeat_warned;       /* 1: an unusable heartbeat_ms was logged already */
    int64_t max_msg;            /* ZMQ_MAXMSGSIZE */
    int64_t max_article;
    void *ctx;
    void *sock;                 /* DEALER */
    int registered;             /* 1: READY went out on this socket */
    hny_http_t *http;
    hny_backend_t **backends;
    size_t backend_count;
    uint64_t *ended;            /* ended [i]: RESULTs naming backends [i] since READY */
    hny_segqa_t *segqa;         /* the checks of translated segments */
#ifdef HNY_HAVE_PREPARE
    hny_prepq_t *prepq;         /* the prepare thread */
#endif
    s_task_t *tasks;            /* tasks held, newest first */
    size_t task_count;
    s_result_t *results, *results_tail;     /* RESULTs not sent yet, oldest first */
    size_t result_count;
    int64_t last_sent;          /* monotonic ms: anything sent */
    int64_t last_beat;          /* HEARTBEAT sent (lease renewals) */
    int64_t last_heard;         /* anything received, or READY sent */
    int draining;               /* SIGTERM: finishing what it holds, taking nothing new */
    int64_t drain_deadline;     /* monotonic ms: leave then whatever is left */
} s_worker_t;

/* 1 drain (finish what is held, take nothing new), 2 leave now. SIGTERM
   only ever drains: a local worker gets it from the kernel once for each
   thread of a dying broker (PR_SET_PDEATHSIG), so a repeat means nothing.
   SIGINT drains, a second SIGINT leaves; SIGQUIT leaves at once. */
static volatile sig_atomic_t s_interrupted = 0;
static int s_signal_pipe[2] = { -1, -1 };

static void
s_on_signal (int signum)
{
    if (s_interrupted >= 2 && signum == SIGINT)
        _exit (130);            /* a third Ctrl-C: leave without a word */
    if (signum == SIGQUIT)
        s_interrupted = 2;
    else if (signum == SIGINT || !s_interrupted)
        s_interrupted = s_interrupted + 1;
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
    sigaction (SIGQUIT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    return 0;
}

/* Tasks the worker holds at most: its credit at this registration plus
   those of an earlier one still in hand (a broker lost, a DISCONNECT).
   Past it a TASK is refused with 503, whatever the broker thinks. */
static size_t
s_held_max (const s_worker_t *self)
{
    return 2 * (size_t) self->credit;
}

/* ------------------------------------------------------------- messaging */

/* Send and destroy a message. Returns 0 when ZeroMQ took it, -1 when it
   cannot now: the socket sends only on a live connection (ZMQ_IMMEDIATE)
   and never waits (zero send timeout), so -1 mostly means "no broker". */
static int
s_send (s_worker_t *self, hny_msg_t **msg_p)
{
    hny_msg_id_t id = hny_msg_id (*msg_p);
    if (!self->sock) {
        hny_msg_destroy (msg_p);
        return -1;
    }
    if (hny_msg_send (msg_p, self->sock) != 0) {
        hny_debug ("cannot send %s now: %s", hny_msg_command_name (id),
                   errno == EAGAIN ? "no connection to the broker" : zmq_strerror (errno));
        return -1;
    }
    self->last_sent = hny_clock_mono_ms ();
    return 0;
}

/* 1 when the socket has a connection that takes messages. ZMQ_EVENTS
   processes the socket's pending commands (a connection that has just
   come up); zmq_send alone may not look at them for a while (libzmq
   throttles that), so it would fail on a connection that is there. */
static int
s_writable (s_worker_t *self)
{
    int events = 0;
    size_t len = sizeof events;
    return self->sock && zmq_getsockopt (self->sock, ZMQ_EVENTS, &events, &len) == 0
        && (events & ZMQ_POLLOUT);
}

static void
s_result_destroy (s_result_t **result_p)
{
    s_result_t *result = *result_p;
    free (result->task);
    free (result->reason);
    free (result->body);
    json_decref (result->calls);
    free (result);
    *result_p = NULL;
}

/* One kept RESULT on the wire (the body is copied: the original stays
   kept until ZeroMQ took the message). Returns 0 or -1 as s_send. */
static int
s_result_send (s_worker_t *self, const s_result_t *result)
{
    hny_msg_t *msg = hny_msg_new (HNY_MSG_RESULT);
    hny_msg_set_str (msg, "task", result->task);
    if (result->profile)
        hny_msg_set_str (msg, "profile", result->profile);
    hny_msg_set_int (msg, "status", result->status);
    if (result->reason)
        hny_msg_set_str (msg, "reason", result->reason);
    if (result->calls)
        json_object_set (hny_msg_header (msg), "calls", result->calls);
    if (result->body)
        hny_msg_set_body (msg, result->body, result->body_size);
    return s_send (self, &msg);
}

/* Send the kept RESULTs in order, while registered and the socket takes
   them. */
static void
s_flush (s_worker_t *self)
{
    while (self->registered && self->results && s_writable (self)) {
        s_result_t *result = self->results;
        if (s_result_send (self, result) != 0)
            return;
        self->results = result->next;
        if (!self->results)
            self->results_tail = NULL;
        self->result_count--;
        if (result->kept_ms)
            hny_info ("task %s: kept RESULT sent after %lld ms", result->task,
                      (long long) (hny_clock_mono_ms () - result->kept_ms));
        s_result_destroy (&result);
    }
}

/* Without a broker at most S_RESULTS_MAX RESULTs are kept: past it the
   oldest go (the broker leases their tasks again). While registered the
   socket is only full (a broker slow to read) and the credit bounds them:
   nothing is dropped below the tasks a worker may hold; the tight cap
   applies as soon as the broker is lost. */
static void
s_trim (s_worker_t *self)
{
    size_t max = self->registered ? s_held_max (self) + S_RESULTS_MAX : S_RESULTS_MAX;
    while (self->result_count > max) {
        s_result_t *oldest = self->results;
        self->results = oldest->next;
        self->result_count--;
        hny_warn ("task %s: dropping its RESULT: more than %d kept without a broker",
                  oldest->task, S_RESULTS_MAX);
        s_result_destroy (&oldest);
    }
}

/* The outcome of a task: queued behind any kept RESULT (so that RESULTs
   leave in the order they were made) and sent when the socket takes it.
   reason (may be NULL) is copied; body (may be NULL) is taken over; calls
   (may be NULL) gets a reference of its own. */
static void
s_result_calls (s_worker_t *self, const char *task, int status, const char *reason,
                char *body, size_t body_size, const json_t *calls, const char *profile)
{
    s_result_t *result = hny_calloc (1, sizeof *result);
    result->task = hny_strdup (task);
    result->profile = profile;
    result->status = status;
    result->reason = reason ? hny_strdup (reason) : NULL;
    result->body = body;
    result->body_size = body ? body_size : 0;
    result->calls = calls ? json_incref ((json_t *) calls) : NULL;
    if (self->results_tail)
        self->results_tail->next = result;
    else
        self->results = result;
    self->results_tail = result;
    self->result_count++;
    s_flush (self);
    if (self->results_tail == result) {
        /* still there: every RESULT before it went out, or none could */
        result->kept_ms = hny_clock_mono_ms ();
        hny_info ("task %s: RESULT kept until a broker takes it (%zu kept)", task,
                  self->result_count);
    }
    s_trim (self);
}

static void
s_result (s_worker_t *self, const char *task, int status, const char *reason,
          char *body, size_t body_size)
{
    s_result_calls (self, task, status, reason, body, body_size, NULL, NULL);
}

static int
s_result_kept (const s_worker_t *self, const char *task)
{
    for (const s_result_t *result = self->results; result; result = result->next)
        if (strcmp (result->task, task) == 0)
            return 1;
    return 0;
}

/* Append a task id to a `tasks` list (READY, HEARTBEAT) when it fits in
   one header: at most S_BEAT_TASKS_MAX ids and S_BEAT_BYTES_MAX bytes of
   JSON, counted in *bytes (an id costs at most 6 bytes per byte, \u00XX,
   plus quotes and comma; the first always fits). Returns 0, or -1 when
   full. */
static int
s_ids_add (json_t *ids, const char *id, size_t *bytes)
{
    size_t cost = 6 * strlen (id) + 3;
    if (json_array_size (ids) >= S_BEAT_TASKS_MAX
        || (json_array_size (ids) > 0 && *bytes + cost > S_BEAT_BYTES_MAX))
        return -1;
    json_array_append_new (ids, json_string (id));
    *bytes += cost;
    return 0;
}

static void s_spares_release (s_worker_t *self);

/* READY, when this socket has not sent it yet. A socket without a
   connection refuses it: the loop tries again (S_RETRY_MS, or sooner when
   ZMQ_FD wakes it). Then the kept RESULTs follow. */
static void
s_register (s_worker_t *self)
{
    if (self->registered || !s_writable (self))
        return;
    hny_msg_t *msg = hny_msg_new (HNY_MSG_READY);
    hny_msg_set_int (msg, "credit", self->credit);
    json_t *names = json_array ();
    for (size_t i = 0; i < self->backend_count; i++)
        json_array_append_new (names, json_string (hny_backend_name (self->backends[i])));
    json_object_set_new (hny_msg_header (msg), "backends", names);
    hny_msg_set_str (msg, "name", self->name);
    hny_msg_set_int (msg, "pid", (int64_t) getpid ());
    /* What it works on, and the RESULTs it keeps: a restarted broker gives
       those tasks to no one else (section 9). As many as one header holds. */
    json_t *held = json_array ();
    size_t bytes = 0;
    for (const s_task_t *task = self->tasks; task; task = task->next)
        if (s_ids_add (held, task->id, &bytes) != 0)
            break;
    for (const s_result_t *r = self->results; r; r = r->next)
        if (s_ids_add (held, r->task, &bytes) != 0)
            break;
    if (json_array_size (held))
        json_object_set_new (hny_msg_header (msg), "tasks", held);
    else
        json_decref (held);
    if (self->draining)
        json_object_set_new (hny_msg_header (msg), "draining", json_true ());
    /* It parks the spare tasks the broker sends (s_task_translate). */
    json_object_set_new (hny_msg_header (msg), "spares", json_true ());
    if (s_send (self, &msg) != 0)
        return;
    self->registered = 1;
    /* A new registration counts the ends of tasks from 0, as the broker
       does: RESULTs kept from before count there and not here, which only
       makes a spare wait longer. */
    memset (self->ended, 0, self->backend_count * sizeof *self->ended);
    /* The broker that takes this READY adopts every task it lists as an
       ordinary lease, counted in its profile's concurrency (section 9):
       a spare parked here is one no longer, and its `after` counted the
       RESULTs of a registration that is over. */
    s_spares_release (self);
    /* Silence is counted from READY: the broker answers it at once. */
    self->last_heard = self->last_beat = hny_clock_mono_ms ();
    hny_debug ("READY sent to %s (credit %d, %zu tasks in hand, %zu RESULTs kept)", self->back,
               self->credit, self->task_count, self->result_count);
    s_flush (self);
}

/* HEARTBEAT now; while tasks are held, their ids in `tasks`, over several
   messages when one header cannot hold them all (s_ids_add). */
static void
s_heartbeat (s_worker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    const s_task_t *task = self->tasks;
    do {
        hny_msg_t *msg = hny_msg_new (HNY_MSG_HEARTBEAT);
        if (task) {
            json_t *ids = json_array ();
            size_t bytes = 0;
            while (task && s_ids_add (ids, task->id, &bytes) == 0)
                task = task->next;
            json_object_set_new (hny_msg_header (msg), "tasks", ids);
        }
        if (s_send (self, &msg) != 0)
            break;
    } while (task);
    /* Tried counts as sent: a socket that refuses must not make the loop spin. */
    self->last_beat = self->last_sent = now;
}

/* --------------------------------------------------------------- sockets */

static int
s_connect (s_worker_t *self)
{
    self->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->sock)
        return -1;
    self->registered = 0;
    int linger = 0;
    int sndtimeo = 0;           /* a send never stops the loop */
    int immediate = 1;          /* no connection: the send fails (the RESULT is kept)
                                   instead of queueing in a pipe dropped on reconnect */
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    zmq_setsockopt (self->sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    zmq_setsockopt (self->sock, ZMQ_MAXMSGSIZE, &self->max_msg, sizeof self->max_msg);
    /* The broker's ROUTER drops TASKs past its high-water mark when ours
       is full (ZeroMQ's default is 1000 messages, less than a credit of
       1024): room for every TASK an honest broker may send, with a cap. */
    int rcvhwm = S_RCVHWM;
    zmq_setsockopt (self->sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
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
    return 0;
}

/* The broker is gone (silent for 3 intervals): a new socket, so that
   nothing of the old connection lingers, and READY again. The tasks held
   go on and their RESULTs go to whichever broker answers next. */
static int
s_reconnect (s_worker_t *self, int64_t silent_ms)
{
    hny_warn ("broker silent for %lld ms: reconnecting to %s (%zu tasks in hand, "
              "%zu RESULTs kept)", (long long) silent_ms, self->back, self->task_count,
              self->result_count);
    zmq_close (self->sock);
    self->sock = NULL;
    self->registered = 0;
    s_trim (self);
    if (s_connect (self) != 0)
        return -1;
    s_register (self);
    return 0;
}

/* ----------------------------------------------------------------- tasks */

static s_task_t *
s_task_add (s_worker_t *self, const char *id, const char *job)
{
    s_task_t *task = hny_calloc (1, sizeof *task);
    task->worker = self;
    task->id = hny_strdup (id);
    task->job = hny_strdup (job);
    task->started_ms = hny_clock_mono_ms ();
    task->next = self->tasks;
    if (self->tasks)
        self->tasks->prev = task;
    self->tasks = task;
    self->task_count++;
    return task;
}

static s_task_t *
s_task_find (s_worker_t *self, const char *id)
{
    for (s_task_t *task = self->tasks; task; task = task->next)
        if (strcmp (task->id, id) == 0)
            return task;
    return NULL;
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

/* Drop every task held: only when the worker stops (the broker re-queues
   them on DISCONNECT or silence). */
static void
s_drop_tasks (s_worker_t *self, const char *why)
{
    if (self->tasks)
        hny_warn ("dropping %zu tasks in hand: %s", self->task_count, why);
    hny_http_cancel_all (self->http);
    while (self->tasks) {
        s_task_t *task = self->tasks;
        s_task_destroy (self, &task);
    }
}

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
    /* s_on_task keeps the tasks held under s_held_max; the thread has the
       same cap of its own, so that article copies stay bounded anyway. */
    if (hny_prepq_add (self->prepq, task_id, data, size, &opts) != 0) {
        hny_warn ("job %s: task %s: %zu prepares in hand already: refused", job, task_id,
                  s_held_max (self));
        s_result (self, task_id, 503, "too many prepare tasks at this worker", NULL, 0);
        return;
    }
    s_task_add (self, task_id, job);
#else
    (void) msg;
    hny_warn ("job %s: task %s: this worker was built without prepare", job, task_id);
    s_result (self, task_id, 503, "this worker was built without prepare", NULL, 0);
#endif
}

/* An align task (PROTOCOL.md 5.4): both prepared sides, to the thread. */
static void
s_task_align (s_worker_t *self, hny_msg_t *msg, const char *task_id, const char *job)
{
#ifdef HNY_HAVE_PREPARE
    size_t size = 0;
    const uint8_t *data = hny_msg_body (msg, &size);
    const char *from = hny_msg_get_str (msg, "from"), *to = hny_msg_get_str (msg, "to");
    if (!from || !to) {
        s_result (self, task_id, 400, "align task needs from and to", NULL, 0);
        return;
    }
    if (hny_prepq_add_align (self->prepq, task_id, data, size, from, to) != 0) {
        hny_warn ("job %s: task %s: %zu tasks in hand already: refused", job, task_id, s_held_max (self));
        s_result (self, task_id, 503, "too many prepare and align tasks at this worker", NULL, 0);
        return;
    }
    s_task_add (self, task_id, job);
#else
    (void) msg;
    hny_warn ("job %s: task %s: this worker was built without the aligner", job, task_id);
    s_result (self, task_id, 503, "this worker was built without the aligner", NULL, 0);
#endif
}

/* RESULTs of the prepares and alignments the thread finished. */
static void
s_collect_prepared (s_worker_t *self)
{
#ifdef HNY_HAVE_PREPARE
    hny_prepq_done_t *done;
    while ((done = hny_prepq_next (self->prepq))) {
        s_task_t *task = s_task_find (self, done->task);
        const char *job = task ? task->job : "-";
        if (done->note)
            hny_info ("job %s: task %s: %s", job, done->task, done->note);
        if (done->align && done->status == 200)
            hny_info ("job %s: task %s: aligned %lld links, score %.3f, in %lld ms", job, done->task,
                      (long long) done->segments, done->score, (long long) done->elapsed_ms);
        else if (done->align)
            hny_warn ("job %s: task %s: align failed: %d %s", job, done->task, done->status,
                      done->reason ? done->reason : "");
        else if (done->status == 200)
            hny_info ("job %s: task %s: prepared %zu bytes into %lld segments in %lld ms", job,
                      done->task, done->bytes, (long long) done->segments,
                      (long long) done->elapsed_ms);
        else
            hny_warn ("job %s: task %s: prepare failed: %d %s", job, done->task, done->status,
                      done->reason ? done->reason : "");
        if (task)
            s_task_destroy (self, &task);
        s_result (self, done->task, done->status, done->reason, done->body, done->body_size);
        done->body = NULL;
        hny_prepq_done_destroy (&done);
    }
#else
    (void) self;
#endif
}

static void s_task_start (s_worker_t *self, s_task_t *task);

/* The index of backend in self->backends. */
static size_t
s_backend_index (const s_worker_t *self, const hny_backend_t *backend)
{
    size_t i = 0;
    while (i < self->backend_count && self->backends[i] != backend)
        i++;
    return i;
}

/* 1 when a task of backend other than skip is in hand and running. */
static int
s_running (const s_worker_t *self, const hny_backend_t *backend, const s_task_t *skip)
{
    for (const s_task_t *task = self->tasks; task; task = task->next)
        if (task != skip && task->backend == backend && !task->parked)
            return 1;
    return 0;
}

static void
s_spare_start (s_worker_t *self, s_task_t *task)
{
    task->parked = 0;
    task->started_ms = hny_clock_mono_ms ();
    hny_debug ("job %s: task %s: spare started", task->job, task->id);
    s_task_start (self, task);
}

/* The oldest spare parked here (the task list is newest first) other
   than skip, of backend (NULL: any) and parked for an end before ended
   (UINT64_MAX: whatever its `after`), or NULL. */
static s_task_t *
s_oldest_parked (s_worker_t *self, const hny_backend_t *backend, const s_task_t *skip, uint64_t ended)
{
    s_task_t *oldest = NULL;
    for (s_task_t *task = self->tasks; task; task = task->next)
        if (task->parked && task != skip && (!backend || task->backend == backend) && task->after < ended)
            oldest = task;
    return oldest;
}

/* Start every parked spare (a new registration: see s_register). */
static void
s_spares_release (s_worker_t *self)
{
    s_task_t *parked;
    while ((parked = s_oldest_parked (self, NULL, NULL, UINT64_MAX)))
        s_spare_start (self, parked);
}

/* A task of backend ended here (its RESULT names the profile: the broker
   counts it too). The oldest spare parked for an end past its `after`
   starts now, in the requests that task leaves (the broker counts them
   until that RESULT arrives, and counts the spare from then on). With
   nothing of the profile left running, every spare parked for it starts:
   what the broker counted for them at their lease is not running. */
static void
s_task_ended (s_worker_t *self, s_task_t *done)
{
    hny_backend_t *backend = done->backend;
    size_t i = s_backend_index (self, backend);
    if (i == self->backend_count)
        return;
    s_task_t *next = s_oldest_parked (self, backend, done, ++self->ended[i]);
    if (next)
        s_spare_start (self, next);
    while (!s_running (self, backend, done) && (next = s_oldest_parked (self, backend, done, UINT64_MAX)))
        s_spare_start (self, next);
}

static void
s_on_batch_done (hny_batch_t *batch, void *arg)
{
    s_task_t *task = arg;
    s_worker_t *self = task->worker;
    /* First the spare behind it, so that the service is not kept waiting
       for this task's checks and RESULT. */
    s_task_ended (self, task);
    size_t failed = 0;
    for (size_t i = 0; i < hny_batch_size (batch); i++)
        if (hny_batch_class (batch, i) != HNY_SEG_OK)
            failed++;
    /* the checks of what was translated travel with it (PROTOCOL.md 5.3) */
    size_t flagged = hny_segqa_annotate (self->segqa, hny_backend_profile (task->backend), batch);
    size_t size = 0;
    char *body = hny_batch_result_text (batch, &size);
    hny_info ("job %s: task %s: %s translated %zu of %zu segments (%zu failed, %zu flagged) in %lld ms, "
              "%lld requests", task->job, task->id, task->profile,
              hny_batch_size (batch) - failed, hny_batch_size (batch), failed, flagged,
              (long long) (hny_clock_mono_ms () - task->started_ms),
              (long long) hny_batch_requests (batch));
    /* The requests count whatever became of their segments (metrics). */
    const json_t *calls = hny_batch_calls (batch);
    if (body)
        s_result_calls (self, task->id, 200, NULL, body, size, calls, task->profile);
    else
        s_result_calls (self, task->id, 500, "cannot encode the result", NULL, 0, calls, task->profile);
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
        s_result (self, task_id, 400, "translate task needs profile, from and to", NULL, 0);
        return;
    }
    hny_backend_t *backend = s_backend_find (self, profile);
    if (!backend) {
        char *reason = hny_sprintf ("profile \"%.64s\" is not served by this worker", profile);
        hny_warn ("job %s: task %s: %s", job, task_id, reason);
        s_result (self, task_id, 503, reason, NULL, 0);
        free (reason);
        return;
    }
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    char *reason = NULL;
    hny_batch_t *batch = hny_batch_new (body, size, from, to, job, &reason);
    if (!batch) {
        hny_warn ("job %s: task %s: bad translate body: %s", job, task_id, reason);
        s_result (self, task_id, 400, reason, NULL, 0);
        free (reason);
        return;
    }
    s_task_t *task = s_task_add (self, task_id, job);
    task->batch = batch;
    task->profile = hny_backend_name (backend);
    task->backend = backend;
    if (json_is_true (json_object_get (hny_msg_header (msg), "spare"))) {
        /* A spare (PROTOCOL.md 13): it waits for this worker's next end of
           a task of the profile past `after` (the RESULTs the broker had);
           it goes now when that end happened on the way, or when nothing of
           the profile runs here. */
        task->after = (uint64_t) hny_msg_get_int (msg, "after", 0);
        size_t i = s_backend_index (self, backend);
        if (i < self->backend_count && self->ended[i] <= task->after && s_running (self, backend, task)) {
            task->parked = 1;
            hny_debug ("job %s: task %s: spare parked (after %llu, %llu ended)", job, task_id,
                       (unsigned long long) task->after, (unsigned long long) self->ended[i]);
            return;
        }
    }
    s_task_start (self, task);
}

/* Send a translate task's requests. done may run before this returns
   (local backends) and free the task. */
static void
s_task_start (s_worker_t *self, s_task_t *task)
{
    if (hny_backend_translate (task->backend, task->batch, s_on_batch_done, task) != 0) {
        s_task_ended (self, task);
        s_result_calls (self, task->id, 500, "backend refused the batch", NULL, 0, NULL, task->profile);
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
    /* A broker that lost track of us (re-registration, restart) may lease
       a task again that we still work on or have the RESULT of: doing it
       twice would bill the service twice; the one RESULT answers both. */
    if (s_task_find (self, task_id) || s_result_kept (self, task_id)) {
        hny_info ("job %s: task %s is in hand already: its RESULT answers this TASK too",
                  job, task_id);
        return;
    }
    if (self->draining) {
        /* Stopping: another worker takes it (its lease is not its fault). */
        s_result (self, task_id, 503, "worker stopping", NULL, 0);
        return;
    }
    if (self->task_count >= s_held_max (self)) {
        hny_warn ("job %s: task %s: %zu tasks in hand already: refused", job, task_id,
                  self->task_count);
        s_result (self, task_id, 503, "too many tasks at this worker", NULL, 0);
        return;
    }
    if (self->task_count >= (size_t) self->credit)
        hny_warn ("job %s: task %s arrives past the credit of %d", job, task_id, self->credit);
    if (kind && strcmp (kind, "prepare") == 0)
        s_task_prepare (self, msg, task_id, job);
    else if (kind && strcmp (kind, "translate") == 0)
        s_task_translate (self, msg, task_id, job);
    else if (kind && strcmp (kind, "align") == 0)
        s_task_align (self, msg, task_id, job);
    else {
        char *reason = hny_sprintf ("unknown task kind \"%.32s\"", kind ? kind : "");
        s_result (self, task_id, 400, reason, NULL, 0);
        free (reason);
    }
}

/* The broker's interval (section 9): adopted whatever the configuration
   says, logged when it changes. A HEARTBEAT without it (an older broker)
   leaves the interval as it is; an unusable value is logged once. */
static void
s_on_heartbeat (s_worker_t *self, hny_msg_t *msg)
{
    json_t *value = json_object_get (hny_msg_header (msg), "heartbeat_ms");
    if (!value)
        return;
    if (!json_is_integer (value) || json_integer_value (value) < 1
        || json_integer_value (value) > S_HEARTBEAT_MAX) {
        if (!self->heartbeat_warned)
            hny_warn ("the broker's heartbeat_ms is not an integer of 1 to %d: keeping %d ms",
                      S_HEARTBEAT_MAX, self->heartbeat_ms);
        self->heartbeat_warned = 1;
        return;
    }
    int ms = (int) json_integer_value (value);
    if (ms != self->heartbeat_ms) {
        hny_info ("heartbeat interval: %d ms, the broker's (was %d ms)", ms, self->heartbeat_ms);
        self->heartbeat_ms = ms;
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
        s_on_heartbeat (self, msg);
        break;
    case HNY_MSG_DISCONNECT: {
        const char *reason = hny_msg_get_str (msg, "reason");
        hny_info ("broker says DISCONNECT (%s): registering again (%zu tasks in hand)",
                  reason ? reason : "-", self->task_count);
        self->registered = 0;
        s_trim (self);
        s_register (self);
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
            s_result (self, task_id, status >= 400 && status < 500 ? status : 400, reason, NULL, 0);
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
    while (self->sock && s_interrupted < 2) {
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
    hny_info ("serving %zu profiles on %s as %s (credit %d)", self->backend_count, self->back,
              self->name, self->credit);
    while (s_interrupted < 2) {
        if (s_interrupted == 1 && !self->draining) {
            /* SIGTERM (the supervisor, or our broker's death through
               PR_SET_PDEATHSIG): finish what is held and deliver it,
               to this broker or the next one, registered as draining. */
            self->draining = 1;
            self->drain_deadline = hny_clock_mono_ms () + S_DRAIN_MS;
            self->registered = 0;
            hny_info ("stopping: finishing %zu tasks in hand (%zu RESULTs kept), at most %d s",
                      self->task_count, self->result_count, S_DRAIN_MS / 1000);
        }
        if (self->draining && ((!self->tasks && !self->results)
                               || hny_clock_mono_ms () >= self->drain_deadline))
            break;
        /* Everything that sends comes first, the drain last: see s_drain. */
        s_collect_prepared (self);
        s_register (self);
        s_flush (self);
        s_drain (self);
        if (s_interrupted >= 2)
            break;
        int64_t now = hny_clock_mono_ms ();
        int64_t hb = self->heartbeat_ms;
        if (self->registered && now - self->last_heard >= 3 * hb) {
            if (s_reconnect (self, now - self->last_heard) != 0)
                return -1;
            continue;
        }
        /* Holding tasks, a HEARTBEAT every interval renews their leases;
           idle, one when nothing else went out for an interval. */
        int64_t beat_at = (self->tasks ? self->last_beat : self->last_sent) + hb;
        if (self->registered && now >= beat_at) {
            s_heartbeat (self);
            s_drain (self);
            now = hny_clock_mono_ms ();
            beat_at = now + hb;
        }

        int64_t wait = S_RETRY_MS;      /* unregistered: READY is tried again */
        if (self->registered) {
            wait = beat_at - now;
            int64_t dead = self->last_heard + 3 * hb - now;
            if (dead < wait)
                wait = dead;
            if (self->results && wait > S_RETRY_MS)
                wait = S_RETRY_MS;
        }
        if (self->draining && self->drain_deadline - now < wait)
            wait = self->drain_deadline - now;
        if (wait < 0)
            wait = 0;
        int fds[3] = { -1, s_signal_pipe[0], -1 };
        size_t fd_size = sizeof fds[0];
        zmq_getsockopt (self->sock, ZMQ_FD, &fds[0], &fd_size);
#ifdef HNY_HAVE_PREPARE
        fds[2] = hny_prepq_fd (self->prepq);
#endif
        if (hny_http_wait (self->http, fds, fds[2] >= 0 ? 3 : 2, (int) wait + 1, NULL) != 0)
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
    self->ended = hny_realloc (self->ended, self->backend_count * sizeof *self->ended);
    self->ended[self->backend_count - 1] = 0;
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
    /* The largest message is an align TASK: two prepared articles, each
       its text in JSON (escaping can double it; a legacy charset's text
       grows in UTF-8), so four articles' worth. A prepare TASK is one
       article, a translate batch less. */
    self->max_msg = 4 * self->max_article + HNY_PROTO_HEADER_MAX;
    if (self->max_msg < S_MSG_MIN)
        self->max_msg = S_MSG_MIN;
    if (self->max_msg > HNY_PROTO_BODY_MAX)
        self->max_msg = HNY_PROTO_BODY_MAX;

    int rc = 1;
    self->http = hny_http_new ();
    self->segqa = hny_segqa_new ();
    self->ctx = zmq_ctx_new ();
    if (!self->http || !self->ctx || s_signals_init () != 0) {
        hny_error ("cannot initialize curl, ZeroMQ or signals");
        goto done;
    }
#ifdef HNY_HAVE_PREPARE
    self->prepq = hny_prepq_new (s_held_max (self));
    if (!self->prepq) {
        hny_error ("cannot start the prepare thread");
        goto done;
    }
#endif
    if (s_setup_backends (self) != 0) {
        hny_error ("no backend profile can be served");
        goto done;
    }
    rc = s_run (self) == 0 ? 0 : 1;

done:
#ifdef HNY_HAVE_PREPARE
    /* first: a running prepare stops at its next progress check */
    hny_prepq_destroy (&self->prepq);
#endif
    if (self->http)
        s_drop_tasks (self, "shutting down");
    if (self->result_count)
        hny_warn ("%zu RESULTs never reached a broker", self->result_count);
    while (self->results) {
        s_result_t *result = self->results;
        self->results = result->next;
        s_result_destroy (&result);
    }
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
    free (self->ended);
    hny_http_destroy (&self->http);
    hny_segqa_destroy (&self->segqa);
    free (self->back);
    free (self->name);
    explicit_bzero (self->secret_key, sizeof self->secret_key);
    hny_config_destroy (&config);
    return rc;
}

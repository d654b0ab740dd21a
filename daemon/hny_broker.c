/*  hny_broker.c: honyakud's event loop (see hny_broker.h).

    One pass: poll both sockets until the next deadline, open a
    transaction, handle every message waiting and every deadline that
    passed, let the pipeline do a slice of its work, dispatch what the
    scheduler allows, commit, and only then send the pass's messages (so
    that ACCEPTED follows the commit).

    The parts: hny_front.c answers clients, hny_pipeline.c moves jobs from
    prepare to record, hny_sched.c decides which task goes to which worker
    and when; this file owns the sockets, the workers' routing ids and
    heartbeats, the outbox, SIGHUP, and what happens when a pass cannot
    commit (PROTOCOL.md section 14): the pass is undone (ACCEPTED becomes
    507, DONE 200 becomes 300, no TASK leaves, its RESULTs are kept), the
    work is loaded again from the store, and until a probe write succeeds
    the broker serves reads only. */
#include "hny_access.h"
#include "hny_auth.h"
#include "hny_broker.h"
#include "hny_front.h"
#include "hny_meter.h"
#include "hny_notify.h"
#include "hny_pipeline.h"
#include "hny_sched.h"
#include "hny_scrape.h"

#include <honyaku/metrics.h>
#include <honyaku/proto.h>
#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0.0.0"
#endif

#define S_BATCH_MAX         256         /* messages per socket per pass */
#define S_DRAIN_MS          10000       /* SIGTERM: longest wait for leased work */
#define S_READY_WAIT_MS     10000       /* READY=1 at the latest this long after start */
#define S_STATUS_EVERY_MS   5000        /* systemd STATUS= lines */
#define S_ROUTING_MAX       256         /* bytes of a ZeroMQ routing id */
#define S_PROBE_EVERY_MS    1000        /* a failed store: how often a write is tried */
#define S_FULL_LOG_MS       60000       /* a failed store: how often it is logged */
#define S_KEPT_MAX          256         /* RESULTs kept while the store fails */
#define S_KEPT_BYTES        (64 << 20)  /* ... and their bytes */
#define S_SLICE_MAX_MS      50          /* pipeline work per pass, at most */
#define S_CREDIT_MAX        1000        /* of a worker's credit, the most the broker uses */
#define S_BACK_SNDHWM       4096        /* messages queued per worker: > S_CREDIT_MAX + heartbeats */
#define S_FRONT_SNDHWM      10000       /* unread replies queued per client (PROTOCOL.md 8) */
#define S_LOOP_LOG_MS       10000       /* the loop's account at debug level, at most this often */

/* The loop's own account of where its time goes (bench/README.md, "Where
   the time goes"): nanoseconds per stage of the passes, summed, and the
   messages in and out. One clock read per stage, so it is always on; it is
   logged at debug level every S_LOOP_LOG_MS while there is work, and at
   info level when the loop ends. */
enum {
    S_T_WAIT,                   /* in zmq_poll: idle */
    S_T_BEGIN,                  /* BEGIN IMMEDIATE */
    S_T_BACK,                   /* workers' messages: RESULTs, heartbeats */
    S_T_FRONT,                  /* clients' requests */
    S_T_TIMERS,                 /* deadlines, the supervisor */
    S_T_PIPELINE,               /* loading results, records, packing */
    S_T_DISPATCH,               /* leasing tasks: TASK bodies */
    S_T_COMMIT,                 /* COMMIT */
    S_T_SEND,                   /* sending the pass's messages */
    S_T_CHECKPOINT,             /* copying the WAL back, after the send */
    S_T_OTHER,                  /* the rest: notify, reload, degraded passes */
    S_T_COUNT
};
static const char *const s_stage_names [S_T_COUNT] = {
    "wait", "begin", "back", "front", "timers", "pipeline", "dispatch", "commit", "send", "checkpoint", "other"
};
typedef struct {
    int64_t ns [S_T_COUNT];
    int64_t mark;               /* ns: when the stage being timed began */
    int64_t passes, in_back, in_front, out;
    int64_t logged_passes;      /* passes at the last log line */
    int64_t next_log;           /* monotonic ms */
} s_loop_t;

/* A worker on the back socket: its route and liveness. What it may be
   given (credit, profiles, outstanding TASKs) is the scheduler's. */
typedef struct _s_worker_t s_worker_t;
struct _s_worker_t {
    s_worker_t *next;
    uint8_t rid [S_ROUTING_MAX];    /* routing id */
    size_t rid_size;
    char *ident;                /* name#pid for logs and the store */
    hny_sworker_t *sw;          /* the scheduler's handle */
    int64_t last_heard, last_sent;  /* monotonic ms */
    int dead;                   /* a send failed: forget it next pass */
};

/* A message to send after the pass commits. */
typedef struct {
    hny_msg_t *msg;
    int back;                   /* 1: back socket, 0: front */
} s_out_t;

/* RESULT messages held: those of this pass (until it commits) and those
   kept while the store fails (to apply once it works again). */
typedef struct {
    hny_msg_t **msgs;
    size_t count, alloc;
    size_t bytes;
} s_held_t;

struct _hny_broker_t {
    hny_config_t *config;
    hny_daemon_conf_t *conf;
    hny_store_t *store;
    hny_supervisor_t *supervisor;
    hny_sched_t *sched;
    hny_pipeline_t *pipeline;
    hny_front_t *clients;
    hny_meter_t *meter;         /* in-memory metrics, committed with each pass */
    hny_scrape_t *scrape;       /* GET /metrics ([daemon] metrics), or NULL */
    void *ctx;
    void *front, *back;
    char *front_ep, *back_ep;   /* as bound: their ipc:// files go at the end */
    s_worker_t *workers;

    s_out_t *outbox;
    size_t out_count, out_alloc;
    s_held_t pass_results;      /* RESULTs applied in this pass */
    s_held_t kept;              /* RESULTs waiting for the store */

    hny_store_mode_t store_mode;    /* HNY_STORE_OK, or the store fails */
    int64_t next_probe;         /* monotonic ms: the next test write */
    int64_t next_store_log;     /* monotonic ms: the next "still full" line */
    int64_t store_failed_at;    /* monotonic ms: when it began */

    int draining;
    int64_t drain_deadline;
    int ready_sent;             /* READY=1 went to systemd */
    int64_t started;
    int64_t next_status;        /* monotonic ms of the next STATUS= line */
    int64_t next_watchdog;

    /* Security and SIGHUP */
    struct _hny_auth_t *auth;   /* ZAP handler; NULL when no endpoint uses CURVE */
    int curve_front, curve_back;    /* the endpoint uses CURVE */
    volatile sig_atomic_t *reload;  /* set by SIGHUP; NULL: no reload */
    int wake_fd;                /* self-pipe the signal handlers write; -1: none */
    int keep_log_level;         /* --log-level was given: a reload keeps it */
    hny_config_t **reloaded;    /* configurations loaded by SIGHUP (owned) */
    size_t reloaded_count;

    s_loop_t loop;              /* where the loop's time goes */
};

static int64_t
s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ------------------------------------------------------------- the loop's account */

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The stage that began at the last lap ends now. */
static void
s_lap (hny_broker_t *self, int stage)
{
    int64_t now = s_now_ns ();
    self->loop.ns [stage] += now - self->loop.mark;
    self->loop.mark = now;
}

/* One line: passes, messages, and ms per stage since the start. */
static void
s_loop_log (hny_broker_t *self, int info)
{
    s_loop_t *l = &self->loop;
    char stages [S_T_COUNT * 40] = "";     /* a name and up to 20 digits a stage */
    size_t len = 0;
    for (int i = 0; i < S_T_COUNT && len < sizeof stages; i++) {
        int n = snprintf (stages + len, sizeof stages - len, "%s%s %.1f", i ? ", " : "",
                          s_stage_names [i], (double) l->ns [i] / 1e6);
        len += n > 0 ? (size_t) n : 0;
    }
    if (info)
        hny_info ("loop: %lld passes, %lld messages from workers, %lld from clients, %lld sent;"
                  " ms: %s", (long long) l->passes, (long long) l->in_back, (long long) l->in_front,
                  (long long) l->out, stages);
    else
        hny_debug ("loop: %lld passes, %lld messages from workers, %lld from clients, %lld sent;"
                   " ms: %s", (long long) l->passes, (long long) l->in_back, (long long) l->in_front,
                   (long long) l->out, stages);
    l->logged_passes = l->passes;
}

/* ------------------------------------------------------------- outbox */

static s_worker_t *
s_worker_find (hny_broker_t *self, const uint8_t *rid, size_t size)
{
    for (s_worker_t *w = self->workers; w; w = w->next)
        if (w->rid_size == size && memcmp (w->rid, rid, size) == 0)
            return w;
    return NULL;
}

static s_worker_t *
s_worker_of (hny_broker_t *self, const hny_sworker_t *sw)
{
    for (s_worker_t *w = self->workers; w; w = w->next)
        if (w->sw == sw)
            return w;
    return NULL;
}

/* Queue a message for after the commit; takes it over. */
static void
s_post (hny_broker_t *self, hny_msg_t **msg_p, int back)
{
    if (self->out_count == self->out_alloc) {
        self->out_alloc = self->out_alloc ? self->out_alloc * 2 : 64;
        self->outbox = hny_realloc (self->outbox, self->out_alloc * sizeof *self->outbox);
    }
    if (back) {
        size_t size;
        const uint8_t *rid = hny_msg_routing_id (*msg_p, &size);
        s_worker_t *w = s_worker_find (self, rid, size);
        if (w)
            w->last_sent = hny_clock_mono_ms ();
    }
    self->outbox [self->out_count].msg = *msg_p;
    self->outbox [self->out_count].back = back;
    self->out_count++;
    *msg_p = NULL;
}

static void
s_post_front (hny_msg_t **msg_p, void *arg)
{
    s_post (arg, msg_p, 0);
}

static void
s_flush (hny_broker_t *self)
{
    self->loop.out += (int64_t) self->out_count;
    size_t unread = 0;          /* replies dropped: their client's queue is full */
    for (size_t i = 0; i < self->out_count; i++) {
        s_out_t *out = &self->outbox [i];
        uint8_t rid [S_ROUTING_MAX];
        size_t size;
        const uint8_t *r = hny_msg_routing_id (out->msg, &size);
        memcpy (rid, r, size);
        hny_msg_id_t id = hny_msg_id (out->msg);
        if (hny_msg_send (&out->msg, out->back ? self->back : self->front) != 0) {
            /* A client that went away before its answer is ordinary;
               one that does not read its replies (EAGAIN) is not. */
            if (!out->back && errno == EHOSTUNREACH)
                hny_debug ("cannot send %s to a client that left", hny_msg_command_name (id));
            else if (!out->back && errno == EAGAIN)
                unread++;       /* said once a pass below, not once a reply */
            else
                hny_warn ("cannot send %s to a %s: %s", hny_msg_command_name (id),
                          out->back ? "worker" : "client", zmq_strerror (errno));
            hny_msg_destroy (&out->msg);
            s_worker_t *w = out->back ? s_worker_find (self, rid, size) : NULL;
            if (w)
                w->dead = 1;
        }
    }
    self->out_count = 0;
    if (unread)
        hny_warn ("dropped %zu replies to clients that leave their replies unread (%d queued"
                  " a client at most)", unread, S_FRONT_SNDHWM);
}

/* ------------------------------------------------------------- held RESULTs */

static void
s_held_push (s_held_t *held, hny_msg_t **msg_p, size_t max_count, size_t max_bytes)
{
    size_t size = 0;
    hny_msg_body (*msg_p, &size);
    while (held->count && (held->count >= max_count || held->bytes + size > max_bytes)) {
        /* The oldest goes: its task will be done again. */
        size_t old = 0;
        hny_msg_body (held->msgs [0], &old);
        hny_warn ("dropping a kept RESULT (%zu kept): its work will be done again", held->count);
        hny_msg_destroy (&held->msgs [0]);
        memmove (held->msgs, held->msgs + 1, (held->count - 1) * sizeof *held->msgs);
        held->count--;
        held->bytes -= old;
    }
    if (held->count == held->alloc) {
        held->alloc = held->alloc ? held->alloc * 2 : 16;
        held->msgs = hny_realloc (held->msgs, held->alloc * sizeof *held->msgs);
    }
    held->msgs [held->count++] = *msg_p;
    held->bytes += size;
    *msg_p = NULL;
}

static void
s_held_clear (s_held_t *held)
{
    for (size_t i = 0; i < held->count; i++)
        hny_msg_destroy (&held->msgs [i]);
    held->count = 0;
    held->bytes = 0;
}

/* ------------------------------------------------------------- workers */

static void
s_worker_send (hny_broker_t *self, s_worker_t *w, hny_msg_id_t id, const char *reason)
{
    hny_msg_t *msg = hny_msg_new (id);
    hny_msg_set_routing_id (msg, w->rid, w->rid_size);
    if (reason)
        hny_msg_set_str (msg, "reason", reason);
    if (id == HNY_MSG_HEARTBEAT)
        /* Every HEARTBEAT tells the interval (PROTOCOL.md section 9). */
        hny_msg_set_int (msg, "heartbeat_ms", self->conf->heartbeat_ms);
    s_post (self, &msg, 1);
}

static void
s_worker_free (s_worker_t **w_p)
{
    free ((*w_p)->ident);
    free (*w_p);
    *w_p = NULL;
}

/* Forget a worker: its registration ends and its leased tasks go back. */
static void
s_worker_remove (hny_broker_t *self, s_worker_t *w, const char *why)
{
    char *reason = hny_sprintf ("worker %s %s", w->ident, why);
    hny_sched_worker_remove (self->sched, &w->sw, reason);
    free (reason);
    for (s_worker_t **link = &self->workers; *link; link = &(*link)->next)
        if (*link == w) {
            *link = w->next;
            break;
        }
    hny_info ("worker %s gone: %s", w->ident, why);
    s_worker_free (&w);
}

/* The tasks a worker lists (READY or HEARTBEAT `tasks`): leases renewed,
   or the tasks adopted if the broker holds them queued (section 9).
   Returns how many it now holds. */
static size_t
s_adopt (hny_broker_t *self, s_worker_t *w, json_t *tasks)
{
    size_t i, held = 0;
    json_t *item;
    int64_t now = hny_clock_mono_ms ();
    json_array_foreach (tasks, i, item) {
        int64_t id;
        int attempt;
        if (hny_task_wire_parse (json_string_value (item), &id, &attempt) == 0)
            held += hny_sched_adopt (self->sched, w->sw, id, attempt, now, self->conf->lease_ms);
    }
    return held;
}

static void
s_ready (hny_broker_t *self, hny_msg_t *msg, s_worker_t *w)
{
    if (self->draining)
        return;                 /* we are leaving: it will find the next broker */
    if (w)
        /* It registers again: the old registration ends. */
        s_worker_remove (self, w, "registered again");
    w = hny_calloc (1, sizeof *w);
    const uint8_t *rid = hny_msg_routing_id (msg, &w->rid_size);
    memcpy (w->rid, rid, w->rid_size);
    const char *name = hny_msg_get_str (msg, "name");
    w->ident = hny_sprintf ("%.64s#%lld", name ? name : "worker", (long long) hny_msg_get_int (msg, "pid", 0));
    json_t *backends = json_object_get (hny_msg_header (msg), "backends");
    size_t count = json_array_size (backends);
    const char **names = hny_calloc (count ? count : 1, sizeof *names);
    size_t n = 0, i;
    json_t *item;
    json_array_foreach (backends, i, item)
        if (json_is_string (item))
            names [n++] = json_string_value (item);
    /* The back socket queues S_BACK_SNDHWM messages a worker: more credit
       than that could never be sent (PROTOCOL.md section 9). */
    int credit = (int) hny_msg_get_int (msg, "credit", 1);
    if (credit > S_CREDIT_MAX)
        credit = S_CREDIT_MAX;
    int draining = json_is_true (json_object_get (hny_msg_header (msg), "draining"));
    w->sw = hny_sched_worker_add (self->sched, draining ? 0 : credit, names, n);
    /* It parks spare tasks (PROTOCOL.md 13): a worker that does not say so
       never gets one, since it would start it at once. */
    hny_sched_worker_set_spares (w->sw, json_is_true (json_object_get (hny_msg_header (msg), "spares")));
    free (names);
    w->last_heard = w->last_sent = hny_clock_mono_ms ();
    w->next = self->workers;
    self->workers = w;
    /* What it still works on (a restarted broker, a worker registering
       again) stays with it instead of going to another worker. */
    size_t adopted = s_adopt (self, w, json_object_get (hny_msg_header (msg), "tasks"));
    hny_info ("worker %s ready (credit %d, %zu profiles%s, %zu tasks in hand)", w->ident,
              draining ? 0 : credit, n, draining ? ", draining" : "", adopted);
    /* At once: it learns the interval and hears from us in time. */
    s_worker_send (self, w, HNY_MSG_HEARTBEAT, NULL);
}

static void
s_heartbeat (hny_broker_t *self, hny_msg_t *msg, s_worker_t *w)
{
    s_adopt (self, w, json_object_get (hny_msg_header (msg), "tasks"));
}

/* Apply a RESULT whose credit was settled already: the task is used if
   the scheduler still holds it, whoever sent it (PROTOCOL.md section 9). */
static void
s_result_apply (hny_broker_t *self, hny_msg_t *msg, s_worker_t *w)
{
    const char *task_id = hny_msg_get_str (msg, "task");
    int64_t id;
    int attempt;
    hny_task_t *task = hny_task_wire_parse (task_id, &id, &attempt) == 0 ? hny_sched_find (self->sched, id)
                                                                       : NULL;
    const char *from = w ? w->ident : "an unknown worker";
    if (!task) {
        hny_info ("stale result for task %s from %s: ignored", task_id ? task_id : "?", from);
        return;
    }
    /* The requests the worker made for it count whatever becomes of the
       RESULT: the service answered them. */
    if (task->kind == HNY_TASK_TRANSLATE)
        hny_meter_calls (self->meter, task->profile,
                         json_object_get (hny_msg_header (msg), "calls"));
    int status = (int) hny_msg_get_int (msg, "status", 500);
    const char *reason = hny_msg_get_str (msg, "reason");
    int64_t now = hny_clock_mono_ms ();
    if (status >= 500 || status < 200 || (status >= 300 && status < 400)) {
        /* A failure counts only from the lease it ends: a late one must
           not disturb a newer lease. */
        if (!(w && task->worker == w->sw && task->attempts == attempt)) {
            hny_info ("late failure %d for task %s from %s: ignored", status, task_id, from);
            return;
        }
        char *why = hny_sprintf ("%d %s", status, reason ? reason : "worker failed");
        hny_sched_requeue (self->sched, task, why, status >= 500 ? w->sw : NULL, now);
        free (why);
        return;
    }
    if (task->attempts != attempt || !w || task->worker != w->sw)
        hny_info ("job %lld: result of task %s from %s used (late or after a restart)",
                  (long long) task->job, task_id, from);
    hny_sched_remove (self->sched, task);
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    const char *why = NULL;
    if (hny_pipeline_result (self->pipeline, task, status, reason, body, size, &why) != 0) {
        /* Unusable: back in front, counted as a failed attempt. */
        hny_sched_add (self->sched, task, 1, now);
        hny_sched_requeue (self->sched, task, why ? why : "unusable result",
                           w ? w->sw : NULL, now);
    }
}

/* A RESULT: its credit comes back if it was outstanding at this worker;
   then it is applied, or kept while the store cannot take writes. */
static void
s_result (hny_broker_t *self, hny_msg_t **msg_p, s_worker_t *w)
{
    int64_t id;
    int attempt;
    /* The worker's tasks of a profile that ended, counted as its spares
       count them (PROTOCOL.md 13). */
    const char *profile = hny_msg_get_str (*msg_p, "profile");
    if (w && profile)
        hny_sched_worker_ended (self->sched, w->sw, hny_sched_profile_find (self->sched, profile));
    if (hny_task_wire_parse (hny_msg_get_str (*msg_p, "task"), &id, &attempt) == 0 && w
    &&  !hny_sched_answered (self->sched, w->sw, id, attempt))
        hny_info ("worker %s answered task %s, which it was not holding: no credit back", w->ident,
                  hny_msg_get_str (*msg_p, "task"));
    if (self->store_mode != HNY_STORE_OK) {
        s_held_push (&self->kept, msg_p, S_KEPT_MAX, S_KEPT_BYTES);
        return;
    }
    s_result_apply (self, *msg_p, w);
    /* Kept until the pass commits: applied again if it does not. */
    s_held_push (&self->pass_results, msg_p, SIZE_MAX, SIZE_MAX);
}

static void
s_on_back (hny_broker_t *self, hny_msg_t **msg_p)
{
    hny_msg_t *msg = *msg_p;
    size_t size;
    const uint8_t *rid = hny_msg_routing_id (msg, &size);
    s_worker_t *w = s_worker_find (self, rid, size);
    if (w)
        w->last_heard = hny_clock_mono_ms ();
    hny_msg_id_t id = hny_msg_id (msg);
    if (id == HNY_MSG_INVALID) {
        /* Malformed, a bad signature included: logged, not answered. */
        hny_warn ("malformed message from worker %s: %d %s", w ? w->ident : "(unknown)",
                  hny_msg_error_status (msg), hny_msg_error_reason (msg));
        return;
    }
    switch (id) {
    case HNY_MSG_READY:
        s_ready (self, msg, w);
        return;
    case HNY_MSG_RESULT:
        s_result (self, msg_p, w);
        break;
    case HNY_MSG_HEARTBEAT:
        if (w)
            s_heartbeat (self, msg, w);
        break;
    case HNY_MSG_DISCONNECT:
        if (w)
            s_worker_remove (self, w, "disconnected");
        return;
    default:
        if (w)
            hny_warn ("worker %s sent %s: ignored", w->ident, hny_msg_command_name (id));
        break;
    }
    if (!w) {
        /* We do not know it (a restart, or it was declared dead): it must
           register again. Its RESULT was used all the same. */
        hny_msg_t *reply = hny_msg_new (HNY_MSG_DISCONNECT);
        hny_msg_set_routing_id (reply, rid, size);
        hny_msg_set_str (reply, "reason", "unknown worker: send READY");
        s_post (self, &reply, 1);
    }
}

/* ------------------------------------------------------------- dispatch */

/* Lease every task the scheduler allows now. */
static void
s_dispatch (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    hny_sched_set_admission (self->sched, self->conf->max_jobs_in_flight
                                          - hny_pipeline_active (self->pipeline));
    hny_sworker_t *sw;
    hny_task_t *task;
    while ((task = hny_sched_next (self->sched, now, &sw))) {
        s_worker_t *w = s_worker_of (self, sw);
        assert (w);
        hny_msg_t *msg = hny_msg_new (HNY_MSG_TASK);
        char *body = NULL;
        size_t size = 0;
        if (hny_pipeline_task_fill (self->pipeline, task, hny_msg_header (msg), &body, &size) != 0) {
            hny_msg_destroy (&msg);
            continue;           /* settled by the pipeline */
        }
        hny_sched_lease (self->sched, task, sw, now, self->conf->lease_ms);
        hny_store_task_lease (self->store, task->id, w->ident, hny_clock_wall_ms () + self->conf->lease_ms,
                              task->attempts, task->losses);
        hny_pipeline_task_leased (self->pipeline, task);
        char id [48];
        hny_task_wire_id (task, id, sizeof id);
        hny_msg_set_routing_id (msg, w->rid, w->rid_size);
        hny_msg_set_str (msg, "task", id);
        hny_msg_set_int (msg, "lease_ms", self->conf->lease_ms);
        if (task->spare) {
            json_object_set_new (hny_msg_header (msg), "spare", json_true ());
            hny_msg_set_int (msg, "after", (int64_t) task->spare_after);
        }
        char job [24];
        snprintf (job, sizeof job, "%lld", (long long) task->job);
        hny_msg_set_str (msg, "job", job);
        hny_msg_take_body (msg, body, size);
        hny_debug ("job %lld: task %s (%s%s) to %s", (long long) task->job, id,
                   hny_task_kind_name (task->kind), task->spare ? ", spare" : "", w->ident);
        s_post (self, &msg, 1);
    }
}

/* ------------------------------------------------------------- timers */

static void
s_timers (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    int hb = self->conf->heartbeat_ms;
    s_worker_t *w = self->workers;
    while (w) {
        s_worker_t *next = w->next;
        if (w->dead)
            s_worker_remove (self, w, "unreachable");
        else if (now - w->last_heard > 3 * (int64_t) hb)
            s_worker_remove (self, w, "silent for 3 heartbeats");
        else if (now - w->last_sent >= hb)
            s_worker_send (self, w, HNY_MSG_HEARTBEAT, NULL);
        w = next;
    }
    hny_sched_expire (self->sched, now);
    hny_front_expire (self->clients, now);
}

/* ms until the next thing the loop must do: heartbeats, leases, budgets,
   probes, waiters, the supervisor, systemd, the store probe. Never 0
   unless something is due or the pipeline has work left. */
static long
s_next_timeout (hny_broker_t *self, int64_t sup_next, int busy)
{
    int64_t now = hny_clock_mono_ms ();
    if (busy)
        return 0;
    int64_t next = self->next_status;
    int hb = self->conf->heartbeat_ms;
    for (s_worker_t *w = self->workers; w; w = w->next) {
        next = s_min (next, w->last_sent + hb);
        next = s_min (next, w->last_heard + 3 * (int64_t) hb + 1);
    }
    if (self->store_mode == HNY_STORE_OK)
        next = s_min (next, hny_sched_deadline (self->sched, now));
    else
        next = s_min (next, self->next_probe);
    next = s_min (next, hny_front_deadline (self->clients));
    if (sup_next >= 0)
        next = s_min (next, now + sup_next);
    if (self->next_watchdog)
        next = s_min (next, self->next_watchdog);
    if (self->draining)
        next = s_min (next, self->drain_deadline);
    return next <= now ? 0 : (long) s_min (next - now, 3600000);
}

/* ------------------------------------------------------------- the store fails */

/* Load the work from the store again, for a store that takes writes
   (writable) or not; workers keep what they hold. */
static int
s_reload_work (hny_broker_t *self, int writable)
{
    hny_pipeline_clear (self->pipeline);
    if (hny_pipeline_load (self->pipeline, writable) != 0)
        return -1;
    hny_sched_restore_leases (self->sched, hny_clock_mono_ms (), self->conf->lease_ms);
    return 0;
}

static void
s_store_mode (hny_broker_t *self, hny_store_mode_t mode)
{
    self->store_mode = mode;
    hny_front_set_store_mode (self->clients, mode);
}

/* What a message of an undone pass becomes (PROTOCOL.md section 14): a
   TASK is not sent (NULL), a new job's ACCEPTED becomes 507 (503 for
   another store failure), and a DONE 200 or a RECORD of a job whose end
   was undone becomes "not final yet, ask again" (300). The rest goes as
   it is. Takes msg over; returns what to send. */
static hny_msg_t *
s_undone (hny_broker_t *self, hny_msg_t *msg, int full)
{
    hny_msg_id_t id = hny_msg_id (msg);
    hny_msg_t *reply = NULL;
    if (id == HNY_MSG_TASK) {
        hny_msg_destroy (&msg);
        return NULL;
    }
    if (id == HNY_MSG_ACCEPTED && json_is_false (json_object_get (hny_msg_header (msg), "existing"))) {
        reply = hny_msg_new_reply (msg, HNY_MSG_REJECTED, full ? HNY_STATUS_INSUFFICIENT_STORAGE
                                                           : HNY_STATUS_UNAVAILABLE);
        hny_msg_set_str (reply, "reason", full ? "the state disk is full: retry later"
                                               : "the store failed: retry later");
    }
    else if ((id == HNY_MSG_DONE && hny_msg_get_int (msg, "status", 0) == HNY_STATUS_OK)
         ||  id == HNY_MSG_RECORD) {
        const char *job = hny_msg_get_str (msg, "job");
        hny_job_state_t state = HNY_JOB_QUEUED;
        hny_front_job_state (self->clients, atoll (job ? job : "0"), &state);
        if (hny_job_state_final (state))
            return msg;
        reply = hny_msg_new_reply (msg, id == HNY_MSG_DONE ? HNY_MSG_DONE : HNY_MSG_REJECTED, HNY_STATUS_RETRY);
        hny_msg_set_str (reply, "job", job);
        if (id == HNY_MSG_DONE)
            hny_msg_set_str (reply, "state", hny_job_state_name (state));
        else
            hny_msg_set_str (reply, "reason", "the job is not final yet");
    }
    else
        return msg;
    hny_msg_destroy (&msg);
    return reply;
}

/* The pass could not commit: undo what it promised, load the work again
   from the store, and serve reads until a probe write succeeds. */
static void
s_pass_failed (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    int full = hny_store_full (self->store);
    /* Its RESULTs and job ends come again once the store takes writes. */
    hny_meter_rollback (self->meter);
    if (self->store_mode == HNY_STORE_OK) {
        hny_error ("the store cannot take writes (%s): %s; new jobs are refused until it can",
                   full ? "the disk is full" : "it failed", hny_store_error (self->store));
        self->store_failed_at = now;
        self->next_store_log = now + S_FULL_LOG_MS;
    }
    s_store_mode (self, full ? HNY_STORE_FULL : HNY_STORE_FAILED);
    /* The TASKs of the pass never leave: their workers do not hold them
       (before the reload, which leases again what workers hold). */
    for (size_t i = 0; i < self->out_count; i++) {
        hny_msg_t *msg = self->outbox [i].msg;
        size_t size;
        const uint8_t *rid = hny_msg_routing_id (msg, &size);
        s_worker_t *w = hny_msg_id (msg) == HNY_MSG_TASK ? s_worker_find (self, rid, size) : NULL;
        int64_t task;
        int attempt;
        if (w && hny_task_wire_parse (hny_msg_get_str (msg, "task"), &task, &attempt) == 0)
            hny_sched_answered (self->sched, w->sw, task, attempt);
    }
    if (s_reload_work (self, 0) != 0)
        hny_error ("cannot read the store either: STATUS may be out of date");
    /* The pass's messages, as the rolled-back store says. */
    size_t kept = 0;
    for (size_t i = 0; i < self->out_count; i++) {
        hny_msg_t *msg = s_undone (self, self->outbox [i].msg, full);
        if (!msg)
            continue;
        self->outbox [kept].back = self->outbox [i].back;
        self->outbox [kept++].msg = msg;
    }
    self->out_count = kept;
    /* Its RESULTs wait for the store, with those still to come. */
    for (size_t i = 0; i < self->pass_results.count; i++)
        s_held_push (&self->kept, &self->pass_results.msgs [i], S_KEPT_MAX, S_KEPT_BYTES);
    self->pass_results.count = 0;
    self->pass_results.bytes = 0;
    self->next_probe = now + S_PROBE_EVERY_MS;
}

/* While the store fails: try a write now and then; when it works, load
   the work again and apply the kept RESULTs. */
static void
s_store_probe (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    if (now < self->next_probe)
        return;
    self->next_probe = now + S_PROBE_EVERY_MS;
    if (hny_store_probe (self->store) != 0) {
        if (now >= self->next_store_log) {
            hny_error ("the store still cannot take writes (for %lld s): %s",
                       (long long) ((now - self->store_failed_at) / 1000), hny_store_error (self->store));
            self->next_store_log = now + S_FULL_LOG_MS;
        }
        return;
    }
    if (hny_store_begin (self->store) != 0 || s_reload_work (self, 1) != 0) {
        hny_store_rollback (self->store);
        s_reload_work (self, 0);
        return;
    }
    s_held_t kept = self->kept;
    memset (&self->kept, 0, sizeof self->kept);
    for (size_t i = 0; i < kept.count; i++)
        s_result_apply (self, kept.msgs [i], NULL);
    if (hny_store_commit (self->store) != 0) {
        /* Not yet: keep them for the next try. */
        hny_meter_rollback (self->meter);
        for (size_t i = 0; i < kept.count; i++)
            s_held_push (&self->kept, &kept.msgs [i], S_KEPT_MAX, S_KEPT_BYTES);
        free (kept.msgs);
        s_reload_work (self, 0);
        return;
    }
    hny_meter_commit (self->meter);
    s_held_clear (&kept);
    free (kept.msgs);
    hny_info ("the store takes writes again (after %lld s): serving as usual",
              (long long) ((now - self->store_failed_at) / 1000));
    s_store_mode (self, HNY_STORE_OK);
}
/* ------------------------------------------------------------- SIGHUP */

void
hny_broker_set_reload (hny_broker_t *self, volatile sig_atomic_t *flag, int keep_log_level)
{
    assert (self);
    self->reload = flag;
    self->keep_log_level = keep_log_level;
}

void
hny_broker_set_wake_fd (hny_broker_t *self, int fd)
{
    assert (self);
    self->wake_fd = fd;
}

/* Replace a string option with a copy of value (NULL allowed). */
static void
s_set_str (char **field, const char *value)
{
    free (*field);
    *field = value ? hny_strdup (value) : NULL;
}

static int
s_differs (const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp (a, b) != 0);
}

/* Log each daemon option that changed but only takes effect on a restart. */
static void
s_reload_restart_notes (hny_broker_t *self, const hny_daemon_conf_t *fresh)
{
    const hny_daemon_conf_t *now = self->conf;
    const struct { const char *name; const char *was, *is; } texts [] = {
        { "socket_group", now->socket_group, fresh->socket_group },
        { "curve_key_file", now->curve_key_file, fresh->curve_key_file },
        { "default_backend", now->default_backend, fresh->default_backend },
        { "worker backends", now->worker_backends, fresh->worker_backends },
        { "worker server_key", now->worker_server_key, fresh->worker_server_key },
        { "worker key_file", now->worker_key_file, fresh->worker_key_file },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts [0]; i++)
        if (s_differs (texts [i].was, texts [i].is))
            hny_warn ("reload: %s changed: it takes effect when honyakud restarts", texts [i].name);
    /* state, front, back and workers may come from flags: compare only what
       the file says. */
    if ((fresh->front && s_differs (now->front, fresh->front))
    ||  (fresh->back && s_differs (now->back, fresh->back))
    ||  (fresh->state && s_differs (now->state, fresh->state)))
        hny_warn ("reload: endpoints or state changed: they take effect when honyakud restarts");
    if (fresh->metrics && s_differs (now->metrics, fresh->metrics))
        hny_warn ("reload: metrics changed: it takes effect when honyakud restarts");
    if (fresh->heartbeat_ms != now->heartbeat_ms || fresh->max_article_bytes != now->max_article_bytes
    ||  fresh->worker_credit != now->worker_credit || fresh->insecure_tcp_loopback != now->insecure_tcp_loopback)
        hny_warn ("reload: heartbeat_ms, max_article_bytes, worker credit or insecure_tcp_loopback"
                  " changed: they take effect when honyakud restarts");
    if ((!self->curve_front && fresh->allowed_clients && !now->allowed_clients)
    ||  (!self->curve_back && fresh->allowed_workers && !now->allowed_workers))
        hny_warn ("reload: an allow-list for an endpoint without CURVE takes effect when honyakud restarts");
}

/* Profiles: limits apply now when the profile's identity is unchanged. */
static void
s_reload_profiles (hny_broker_t *self, hny_config_t *fresh)
{
    for (size_t i = 0; i < hny_sched_profile_count (self->sched); i++) {
        const hny_profile_t *conf = hny_sched_profile_conf (self->sched, (int) i);
        const hny_profile_t *np = hny_config_profile_find (fresh, conf->name);
        if (!np) {
            hny_warn ("reload: profile %s was removed: it stays until honyakud restarts", conf->name);
            continue;
        }
        if (s_differs (conf->type, np->type) || s_differs (conf->url, np->url)
        ||  s_differs (conf->key_file, np->key_file) || s_differs (conf->key_env, np->key_env)
        ||  s_differs (conf->model, np->model) || s_differs (conf->glossary, np->glossary)
        ||  s_differs (conf->fallback, np->fallback) || conf->timeout_ms != np->timeout_ms) {
            hny_warn ("reload: profile %s: type, url, keys, model, glossary, fallback or timeout_ms"
                      " changed: the profile keeps its old settings until honyakud restarts",
                      conf->name);
            continue;
        }
        if (conf->concurrency != np->concurrency || conf->rate != np->rate
        ||  conf->chars_per_minute != np->chars_per_minute || conf->retries != np->retries
        ||  conf->max_texts != np->max_texts || conf->max_bytes != np->max_bytes
        ||  conf->retry_base_ms != np->retry_base_ms)
            hny_info ("reload: profile %s: concurrency %d, rate %g/s, chars_per_minute %lld, retries %d",
                      np->name, np->concurrency, np->rate, (long long) np->chars_per_minute, np->retries);
        hny_sched_profile_set_conf (self->sched, (int) i, np);
    }
    for (size_t i = 0; i < hny_config_profile_count (fresh); i++) {
        const hny_profile_t *np = hny_config_profile (fresh, i);
        if (hny_sched_profile_find (self->sched, np->name) < 0)
            hny_warn ("reload: new profile %s: it is served after honyakud restarts", np->name);
    }
}

static void
s_reload (hny_broker_t *self)
{
    /* SIGHUP also says where the loop's time went so far (bench/perf.py
       reads it before and after a load). */
    s_loop_log (self, 1);
    const char *path = hny_config_path (self->config);
    if (!path) {
        hny_warn ("SIGHUP: honyakud runs without --config: nothing to reload");
        return;
    }
    char *error = NULL;
    hny_config_t *fresh = hny_config_load (path, &error);
    if (!fresh) {
        hny_error ("SIGHUP: cannot reload: %s; the running configuration stays", error);
        free (error);
        return;
    }
    hny_daemon_conf_t *conf = hny_config_daemon (fresh);
    if (self->auth
    &&  hny_auth_load (self->auth, self->curve_front ? conf->allowed_clients : NULL,
                       self->curve_back ? conf->allowed_workers : NULL, &error)) {
        hny_error ("SIGHUP: cannot reload: %s; the running configuration stays", error);
        free (error);
        hny_config_destroy (&fresh);
        return;
    }
    if ((self->curve_front && !conf->allowed_clients) || (self->curve_back && !conf->allowed_workers))
        hny_warn ("reload: an allow-list was removed: that endpoint now admits nobody");
    s_reload_restart_notes (self, conf);
    if (!self->keep_log_level && conf->log_level) {
        hny_log_set_level ((hny_log_level_t) hny_log_level_parse (conf->log_level));
        free (self->conf->log_level);
        self->conf->log_level = hny_strdup (conf->log_level);
    }
    if (self->conf->max_jobs_in_flight != conf->max_jobs_in_flight || self->conf->lease_ms != conf->lease_ms
    ||  self->conf->max_jobs_queued != conf->max_jobs_queued)
        hny_info ("reload: max_jobs_in_flight %d, max_jobs_queued %d, lease_ms %d (new leases)",
                  conf->max_jobs_in_flight, conf->max_jobs_queued, conf->lease_ms);
    self->conf->max_jobs_in_flight = conf->max_jobs_in_flight;
    self->conf->max_jobs_queued = conf->max_jobs_queued;
    self->conf->lease_ms = conf->lease_ms;
    if (self->conf->max_store_bytes != conf->max_store_bytes) {
        self->conf->max_store_bytes = conf->max_store_bytes;
        hny_store_set_max_bytes (self->store, conf->max_store_bytes);
        hny_info ("reload: max_store_bytes %lld", (long long) conf->max_store_bytes);
    }
    s_set_str (&self->conf->allowed_clients, conf->allowed_clients);
    s_set_str (&self->conf->allowed_workers, conf->allowed_workers);
    s_reload_profiles (self, fresh);
    /* Profiles may point into it now: it lives as long as the broker. */
    self->reloaded = hny_realloc (self->reloaded, (self->reloaded_count + 1) * sizeof *self->reloaded);
    self->reloaded [self->reloaded_count++] = fresh;
    hny_info ("SIGHUP: reloaded %s", path);
}


/* ------------------------------------------------------------- the loop */

/* Read the messages waiting on one socket, at most S_BATCH_MAX. */
static void
s_drain (hny_broker_t *self, void *sock, int back)
{
    for (int n = 0; n < S_BATCH_MAX; n++) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt (sock, ZMQ_EVENTS, &events, &len) != 0 || !(events & ZMQ_POLLIN))
            return;
        hny_msg_t *msg = hny_msg_recv (sock);
        if (!msg)
            return;
        if (back)
            self->loop.in_back++;
        else
            self->loop.in_front++;
        if (back)
            s_on_back (self, &msg);
        else
            hny_front_handle (self->clients, msg);
        hny_msg_destroy (&msg);
    }
}

static void
s_on_final (int64_t job, hny_job_state_t state, int64_t elapsed_ms, void *arg)
{
    hny_broker_t *self = arg;
    hny_meter_job (self->meter, state, elapsed_ms);
    hny_front_job_final (self->clients, job, state);
}

/* GET /metrics: the STATS reply the front would send, rendered (between
   two passes, on this thread: hny_scrape.h). */
static char *
s_render_metrics (void *arg, size_t *size)
{
    hny_broker_t *self = arg;
    json_t *stats = hny_front_stats (self->clients);
    if (!stats) {
        hny_warn ("metrics: the store cannot be read: %s", hny_store_error (self->store));
        return NULL;
    }
    hny_buf_t text = HNY_BUF_INIT (HNY_METRICS_TEXT_MAX);
    int rc = hny_metrics_render (stats, &text);
    json_decref (stats);
    if (rc != 0) {
        hny_warn ("metrics: the text is over %d bytes", HNY_METRICS_TEXT_MAX);
        hny_buf_free (&text);
        return NULL;
    }
    return hny_buf_take (&text, size);
}

static void
s_notify (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    size_t workers = hny_sched_worker_count (self->sched);
    if (!self->ready_sent) {
        size_t want = (size_t) hny_supervisor_count (self->supervisor);
        if (workers >= want || now - self->started >= S_READY_WAIT_MS) {
            hny_notify_ready ();
            self->ready_sent = 1;
            self->next_status = now;    /* say at once how many workers came up */
            hny_info ("ready: %zu workers", workers);
        }
    }
    if (now >= self->next_status) {
        hny_notify_status ("%zu unfinished jobs, %zu+%zu queued tasks, %zu workers%s",
                           hny_pipeline_unfinished (self->pipeline),
                           hny_sched_queued (self->sched, HNY_TASK_PREPARE),
                           hny_sched_queued (self->sched, HNY_TASK_TRANSLATE), workers,
                           self->store_mode == HNY_STORE_FULL ? ", the state disk is full"
                           : self->store_mode == HNY_STORE_FAILED ? ", the store fails" : "");
        self->next_status = now + S_STATUS_EVERY_MS;
    }
    if (self->next_watchdog && now >= self->next_watchdog) {
        hny_notify_watchdog ();
        self->next_watchdog = now + hny_notify_watchdog_ms ();
    }
}

/* Leaving: tell workers and waiters (leased tasks are queued again by the
   next start, PROTOCOL.md section 9). */
static void
s_leave (hny_broker_t *self)
{
    hny_notify_stopping ();
    for (s_worker_t *w = self->workers; w; w = w->next)
        s_worker_send (self, w, HNY_MSG_DISCONNECT, "broker shutting down");
    hny_front_leave (self->clients);
    s_flush (self);
}

/* One pass over a store that takes writes; 0, or -1 when it did not
   commit (the pass was undone). */
static int
s_pass (hny_broker_t *self, int64_t *sup_next, int *busy)
{
    self->loop.passes++;
    if (hny_store_begin (self->store) != 0) {
        s_pass_failed (self);
        return -1;
    }
    s_lap (self, S_T_BEGIN);
    s_drain (self, self->back, 1);
    s_lap (self, S_T_BACK);
    s_drain (self, self->front, 0);
    s_lap (self, S_T_FRONT);
    s_timers (self);
    if (self->supervisor)
        *sup_next = hny_supervisor_tick (self->supervisor);
    s_lap (self, S_T_TIMERS);
    int64_t budget = s_min (S_SLICE_MAX_MS, self->conf->heartbeat_ms / 4);
    *busy = hny_pipeline_step (self->pipeline, budget);
    s_lap (self, S_T_PIPELINE);
    if (!self->draining)
        s_dispatch (self);
    s_lap (self, S_T_DISPATCH);
    if (hny_store_commit (self->store) != 0) {
        s_pass_failed (self);
        return -1;
    }
    hny_meter_commit (self->meter);
    s_lap (self, S_T_COMMIT);
    s_held_clear (&self->pass_results);
    return 0;
}

/* One pass while the store cannot take writes: reads, heartbeats and
   RESULTs to keep; no transaction, no dispatch. */
static void
s_pass_degraded (hny_broker_t *self, int64_t *sup_next)
{
    s_drain (self, self->back, 1);
    s_drain (self, self->front, 0);
    s_timers (self);
    if (self->supervisor)
        *sup_next = hny_supervisor_tick (self->supervisor);
    s_store_probe (self);
}

int
hny_broker_run (hny_broker_t *self, volatile sig_atomic_t *signals)
{
    int64_t wd = hny_notify_watchdog_ms ();
    self->next_watchdog = wd ? hny_clock_mono_ms () + wd : 0;
    int64_t sup_next = -1;
    int busy = 0;
    s_notify (self);
    self->loop.mark = s_now_ns ();
    for (;;) {
        if (*signals >= 2) {
            hny_info ("leaving at once");
            break;
        }
        int64_t now = hny_clock_mono_ms ();
        if (*signals == 1 && !self->draining) {
            self->draining = 1;
            hny_front_set_draining (self->clients, 1);
            self->drain_deadline = now + s_min (S_DRAIN_MS, self->conf->lease_ms);
            hny_info ("draining: no new jobs; waiting up to %lld ms for leased work",
                      (long long) (self->drain_deadline - now));
            hny_notify_status ("draining");
        }
        if (self->draining && (hny_sched_leased_count (self->sched) == 0 || now >= self->drain_deadline))
            break;
        zmq_pollitem_t items [6] = {
            { self->front, 0, ZMQ_POLLIN, 0 },
            { self->back, 0, ZMQ_POLLIN, 0 },
        };
        int count = 2, scrape_at = -1, wake_at = -1;
        if (self->wake_fd >= 0) {
            wake_at = count;
            items [count++] = (zmq_pollitem_t) { NULL, self->wake_fd, ZMQ_POLLIN, 0 };
        }
        /* Records compressed on the store's helper: the next pass ends
           their jobs (only a pass that can write does; none is out in a
           degraded one, whose reload dropped them). */
        int records_fd = hny_pipeline_wake_fd (self->pipeline);
        if (records_fd >= 0 && self->store_mode == HNY_STORE_OK)
            items [count++] = (zmq_pollitem_t) { NULL, records_fd, ZMQ_POLLIN, 0 };
        if (self->auth)
            items [count++] = (zmq_pollitem_t) { hny_auth_socket (self->auth), 0, ZMQ_POLLIN, 0 };
        long timeout = s_next_timeout (self, sup_next, busy);
        /* libmicrohttpd's epoll descriptor is a plain fd to zmq_poll; its
           own timer, when it has one, bounds the wait and makes it run. */
        long scrape_ms = self->scrape ? hny_scrape_timeout (self->scrape) : -1;
        if (self->scrape) {
            scrape_at = count;
            items [count++] = (zmq_pollitem_t) { NULL, hny_scrape_fd (self->scrape), ZMQ_POLLIN,
                                                 0 };
            if (scrape_ms >= 0 && scrape_ms < timeout)
                timeout = scrape_ms;
        }
        s_lap (self, S_T_OTHER);
        if (zmq_poll (items, count, timeout) < 0 && errno != EINTR) {
            hny_error ("poll: %s", zmq_strerror (errno));
            break;
        }
        s_lap (self, S_T_WAIT);
        if (wake_at >= 0 && (items [wake_at].revents & ZMQ_POLLIN)) {
            char drain [64];    /* the flags say what came; the bytes only wake */
            while (read (self->wake_fd, drain, sizeof drain) > 0)
                ;
        }
        if (*signals >= 2)
            continue;
        if (self->auth)
            hny_auth_handle (self->auth);
        if (scrape_at >= 0 && ((items [scrape_at].revents & ZMQ_POLLIN)
                               || (scrape_ms >= 0 && hny_clock_mono_ms () >= now + scrape_ms)))
            hny_scrape_run (self->scrape);
        if (self->reload && *self->reload) {
            *self->reload = 0;
            s_reload (self);
        }
        busy = 0;
        if (self->store_mode == HNY_STORE_OK)
            s_pass (self, &sup_next, &busy);
        else
            s_pass_degraded (self, &sup_next);
        s_lap (self, S_T_OTHER);
        s_flush (self);
        s_lap (self, S_T_SEND);
        /* The WAL's checkpoint (its sync above all) after the messages
           went, so that it never holds up a TASK or an answer. */
        if (self->store_mode == HNY_STORE_OK)
            hny_store_checkpoint (self->store);
        s_lap (self, S_T_CHECKPOINT);
        s_notify (self);
        if (now >= self->loop.next_log && self->loop.passes > self->loop.logged_passes + 1) {
            s_loop_log (self, 0);
            self->loop.next_log = now + S_LOOP_LOG_MS;
        }
    }
    s_leave (self);
    s_lap (self, S_T_OTHER);
    s_loop_log (self, 1);
    return 0;
}
/* ------------------------------------------------------------- life cycle */

/* True for tcp://127.x.x.x:P, tcp://[::1]:P and tcp://localhost:P. */
static int
s_loopback (const char *endpoint)
{
    const char *host = endpoint + 6;
    if (strncmp (host, "[::1]:", 6) == 0 || strncmp (host, "localhost:", 10) == 0)
        return 1;
    if (strncmp (host, "127.", 4) != 0)
        return 0;
    for (const char *p = host; *p && *p != ':'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return 0;
    return 1;
}

/* How an endpoint is secured: -1 refused (*error set), 0 plain, 1 CURVE. */
static int
s_security (hny_broker_t *self, const char *endpoint, int back, char **error)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    const char *list = back ? self->conf->allowed_workers : self->conf->allowed_clients;
    if (self->conf->curve_key_file && list)
        return 1;
    if (s_loopback (endpoint) && self->conf->insecure_tcp_loopback) {
        hny_warn ("%s: plain TCP without CURVE (insecure_tcp_loopback = true): any local user"
                  " can connect", endpoint);
        return 0;
    }
    *error = hny_sprintf ("refusing to serve %s without CURVE: set [daemon] curve_key_file"
                          " (honyaku keygen) and %s, or use ipc://, or a loopback address with"
                          " insecure_tcp_loopback = true",
                          endpoint, back ? "allowed_workers" : "allowed_clients");
    return -1;
}

static void *
s_router (hny_broker_t *self, const char *endpoint, int64_t maxmsg, int back, const char *secret,
          char **error)
{
    void *sock = zmq_socket (self->ctx, ZMQ_ROUTER);
    int zero = 0, one = 1;
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_SNDTIMEO, &zero, sizeof zero);
    zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    /* Mandatory routing on both sockets: a send that cannot be queued
       (a peer gone, or one that leaves its replies unread past the high
       water mark) fails and is logged, instead of vanishing. */
    zmq_setsockopt (sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    if (back) {
        int hwm = S_BACK_SNDHWM;
        zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    else {
        int hwm = S_FRONT_SNDHWM;
        zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    }
    if (secret) {
        const char *domain = back ? HNY_AUTH_DOMAIN_BACK : HNY_AUTH_DOMAIN_FRONT;
        if (zmq_setsockopt (sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
        ||  zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, secret, HNY_CURVE_KEY_LEN - 1) != 0
        ||  zmq_setsockopt (sock, ZMQ_ZAP_DOMAIN, domain, strlen (domain)) != 0) {
            *error = hny_sprintf ("%s: cannot set up CURVE: %s", endpoint, zmq_strerror (errno));
            zmq_close (sock);
            return NULL;
        }
    }
    if (zmq_bind (sock, endpoint) != 0) {
        *error = hny_sprintf ("cannot bind %s: %s", endpoint, zmq_strerror (errno));
        zmq_close (sock);
        return NULL;
    }
    /* A unix socket is for our own user, and the client one for
       socket_group too (hny_access.h). */
    if (hny_access_socket (endpoint, back ? NULL : self->conf->socket_group, error)) {
        zmq_close (sock);
        return NULL;
    }
    return sock;
}

/* Bind both endpoints, with CURVE where they need it. */
static int
s_bind (hny_broker_t *self, const char *front, const char *back, char **error)
{
    int front_sec = s_security (self, front, 0, error);
    int back_sec = front_sec < 0 ? -1 : s_security (self, back, 1, error);
    if (front_sec < 0 || back_sec < 0)
        return -1;
    char public_key [HNY_CURVE_KEY_LEN], secret [HNY_CURVE_KEY_LEN] = "";
    if (front_sec || back_sec) {
        if (!zmq_has ("curve")) {
            *error = hny_strdup ("this libzmq has no CURVE support: a tcp:// endpoint cannot be secured");
            return -1;
        }
        if (hny_curve_pair_load (self->conf->curve_key_file, public_key, secret, error))
            return -1;
        self->auth = hny_auth_new (self->ctx, error);
        if (!self->auth
        ||  hny_auth_load (self->auth, front_sec ? self->conf->allowed_clients : NULL,
                           back_sec ? self->conf->allowed_workers : NULL, error)) {
            explicit_bzero (secret, sizeof secret);
            return -1;
        }
        self->curve_front = front_sec;
        self->curve_back = back_sec;
        hny_info ("CURVE on %s%s%s; server public key %s", front_sec ? front : "",
                  front_sec && back_sec ? " and " : "", back_sec ? back : "", public_key);
    }
    /* The frame caps of PROTOCOL.md section 3, not max_article_bytes: a
       SUBMIT over max_article_bytes must arrive to be answered 413. */
    self->front = s_router (self, front, (int64_t) HNY_PROTO_BODY_MAX + HNY_PROTO_HEADER_MAX + 4096, 0,
                            front_sec ? secret : NULL, error);
    if (self->front)
        self->back = s_router (self, back, (int64_t) HNY_PROTO_BODY_MAX + HNY_PROTO_HEADER_MAX + 4096,
                               1, back_sec ? secret : NULL, error);
    explicit_bzero (secret, sizeof secret);
    return self->front && self->back ? 0 : -1;
}

hny_broker_t *
hny_broker_new (hny_config_t *config, hny_store_t *store, const char *front, const char *back,
                hny_supervisor_t *supervisor, char **error)
{
    assert (config && store && front && back && error);
    *error = NULL;
    hny_broker_t *self = hny_calloc (1, sizeof *self);
    self->config = config;
    self->conf = hny_config_daemon (config);
    self->store = store;
    self->supervisor = supervisor;
    self->wake_fd = -1;
    size_t count = hny_config_profile_count (config);
    const hny_profile_t **profiles = hny_calloc (count ? count : 1, sizeof *profiles);
    for (size_t i = 0; i < count; i++)
        profiles [i] = hny_config_profile (config, i);
    self->sched = hny_sched_new (profiles, count, hny_clock_mono_ms ());
    free (profiles);
    self->pipeline = hny_pipeline_new (store, self->sched, self->conf, s_on_final, self);
    self->clients = hny_front_new (store, self->sched, self->pipeline, self->conf, HNY_VERSION,
                                   s_post_front, self);
    self->meter = hny_meter_new (hny_sched_profile_count (self->sched));
    hny_front_set_meter (self->clients, self->meter);
    self->started = hny_clock_mono_ms ();
    if (self->conf->max_store_bytes > 0)
        hny_store_set_max_bytes (store, self->conf->max_store_bytes);

    /* Resume. A store that cannot take writes (a full disk) is no reason
       to stop: serve what it holds and refuse new work (section 14). */
    if (hny_store_begin (store) != 0 || hny_pipeline_load (self->pipeline, 1) != 0
    ||  hny_store_commit (store) != 0) {
        hny_store_rollback (store);
        hny_pipeline_clear (self->pipeline);
        if (hny_pipeline_load (self->pipeline, 0) != 0) {
            *error = hny_sprintf ("cannot read the store: %s", hny_store_error (store));
            hny_broker_destroy (&self);
            return NULL;
        }
        s_pass_failed (self);
    }
    self->ctx = zmq_ctx_new ();
    if (s_bind (self, front, back, error)) {
        hny_broker_destroy (&self);
        return NULL;
    }
    self->front_ep = hny_strdup (front);
    self->back_ep = hny_strdup (back);
    hny_info ("serving clients on %s, workers on %s", front, back);
    if (self->conf->metrics && *self->conf->metrics) {
        self->scrape = hny_scrape_new (self->conf->metrics, s_render_metrics, self, error);
        if (!self->scrape) {
            hny_broker_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
hny_broker_destroy (hny_broker_t **self_p)
{
    assert (self_p);
    hny_broker_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->out_count; i++)
        hny_msg_destroy (&self->outbox [i].msg);
    free (self->outbox);
    s_held_clear (&self->pass_results);
    free (self->pass_results.msgs);
    s_held_clear (&self->kept);
    free (self->kept.msgs);
    while (self->workers) {
        s_worker_t *w = self->workers;
        self->workers = w->next;
        s_worker_free (&w);
    }
    hny_scrape_destroy (&self->scrape);
    hny_front_destroy (&self->clients);
    hny_meter_destroy (&self->meter);
    /* The scheduler frees its tasks through the pipeline's hook: first. */
    hny_sched_destroy (&self->sched);
    hny_pipeline_destroy (&self->pipeline);
    if (self->front)
        zmq_close (self->front);
    if (self->back)
        zmq_close (self->back);
    /* Our socket files go with us, so that a client is told "no socket",
       not "stale socket" (the state lock makes them ours alone). */
    const char *eps [] = { self->front_ep, self->back_ep };
    for (size_t i = 0; i < 2; i++)
        if (eps [i] && strncmp (eps [i], "ipc://", 6) == 0 && eps [i] [6] != '@')
            unlink (eps [i] + 6);
    free (self->front_ep);
    free (self->back_ep);
    hny_auth_destroy (&self->auth);
    for (size_t i = 0; i < self->reloaded_count; i++)
        hny_config_destroy (&self->reloaded [i]);
    free (self->reloaded);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self);
    *self_p = NULL;
}

/*  hny_broker.c: honyakud's event loop (see hny_broker.h).

    One pass: poll both sockets until the next deadline (heartbeat, lease,
    waiter, backoff), open a transaction, handle every message that is
    waiting and every deadline that passed, pack and dispatch tasks, commit,
    and only then send the replies (so ACCEPTED follows the commit). The job
    pipeline itself lives in hny_pipeline.c. Dispatch enforces each
    profile's budgets across all workers (PROTOCOL.md section 13): translate
    tasks leased at most `concurrency`, token buckets for `rate` and
    `chars_per_minute`, one probe at a time while a profile is paused. */
#include "hny_auth.h"
#include "hny_broker_int.h"
#include "hny_notify.h"

#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include <zmq.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0.0.0"
#endif

#define S_BATCH_MAX         256         /* messages per socket per pass */
#define S_DRAIN_MS          3000        /* SIGTERM: longest wait for leased work */
#define S_LANG_MAX          16          /* bytes of a language tag */
#define S_READY_WAIT_MS     10000       /* READY=1 at the latest this long after start */
#define S_STATUS_EVERY_MS   5000        /* systemd STATUS= lines */
#define S_QUEUE_MIN         1000        /* unfinished jobs accepted at least */

/* ------------------------------------------------------------- helpers */

static int
s_parse_id (const char *text, int64_t *id)
{
    if (!text || !*text || strlen (text) > 18)
        return -1;
    int64_t value = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
    }
    *id = value;
    return 0;
}

static int
s_is_final (const char *state)
{
    return strcmp (state, "done") == 0 || strcmp (state, "failed") == 0;
}

void
hny_broker_store_failed (hny_broker_t *self)
{
    if (!self->fatal)
        hny_error ("the store failed: leaving after this pass");
    self->fatal = 1;
}

hny_bprofile_t *
hny_broker_profile (hny_broker_t *self, const char *name)
{
    for (size_t i = 0; i < self->profile_count; i++)
        if (strcmp (self->profiles [i].conf->name, name) == 0)
            return &self->profiles [i];
    return NULL;
}

static hny_bworker_t *
s_worker_find (hny_broker_t *self, const uint8_t *rid, size_t size)
{
    for (hny_bworker_t *w = self->workers; w; w = w->next)
        if (w->rid_size == size && memcmp (w->rid, rid, size) == 0)
            return w;
    return NULL;
}

void
hny_broker_post (hny_broker_t *self, hny_msg_t **msg_p, int back)
{
    if (self->out_count == self->out_alloc) {
        self->out_alloc = self->out_alloc ? self->out_alloc * 2 : 64;
        self->outbox = hny_realloc (self->outbox, self->out_alloc * sizeof *self->outbox);
    }
    if (back) {
        size_t size;
        const uint8_t *rid = hny_msg_routing_id (*msg_p, &size);
        hny_bworker_t *w = s_worker_find (self, rid, size);
        if (w)
            w->last_sent = hny_clock_mono_ms ();
    }
    self->outbox [self->out_count].msg = *msg_p;
    self->outbox [self->out_count].back = back;
    self->out_count++;
    *msg_p = NULL;
}

/* A reply to a request: same route, the request's "req". */
static hny_msg_t *
s_reply (hny_msg_t *request, hny_msg_id_t id, int status)
{
    hny_msg_t *reply = hny_msg_new (id);
    size_t size;
    const uint8_t *rid = hny_msg_routing_id (request, &size);
    hny_msg_set_routing_id (reply, rid, size);
    json_t *req = json_object_get (hny_msg_header (request), "req");
    if (req)
        json_object_set (hny_msg_header (reply), "req", req);
    if (status)
        hny_msg_set_int (reply, "status", status);
    return reply;
}

static void
s_reject (hny_broker_t *self, hny_msg_t *request, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_reject (hny_broker_t *self, hny_msg_t *request, int status, const char *fmt, ...)
{
    char reason [256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (reason, sizeof reason, fmt, args);
    va_end (args);
    hny_msg_t *reply = hny_msg_new_rejected (request, status, reason);
    hny_debug ("REJECTED %d: %s", status, reason);
    hny_broker_post (self, &reply, 0);
}

/* ------------------------------------------------------------- tasks */

void
hny_broker_task_free (hny_btask_t **task_p)
{
    hny_btask_t *task = *task_p;
    if (!task)
        return;
    free (task->from);
    free (task->to);
    free (task->entries);
    free (task->last_reason);
    free (task);
    *task_p = NULL;
}

void
hny_broker_task_enqueue (hny_broker_t *self, hny_btask_t *task)
{
    task->state = HNY_TASK_QUEUED;
    task->worker = NULL;
    task->next = NULL;
    task->prev = self->queue_tail;
    if (self->queue_tail)
        self->queue_tail->next = task;
    else
        self->queue_head = task;
    self->queue_tail = task;
    if (task->kind == HNY_TASK_PREPARE)
        self->queued_prepare++;
    else
        self->queued_translate++;
}

void
hny_broker_task_leased (hny_broker_t *self, hny_btask_t *task)
{
    task->state = HNY_TASK_LEASED;
    task->prev = NULL;
    task->next = self->leased;
    if (self->leased)
        self->leased->prev = task;
    self->leased = task;
    if (task->kind == HNY_TASK_TRANSLATE)
        task->profile->inflight++;
}

void
hny_broker_task_unlink (hny_broker_t *self, hny_btask_t *task)
{
    if (task->state == HNY_TASK_QUEUED) {
        if (task->prev)
            task->prev->next = task->next;
        else
            self->queue_head = task->next;
        if (task->next)
            task->next->prev = task->prev;
        else
            self->queue_tail = task->prev;
        if (task->kind == HNY_TASK_PREPARE)
            self->queued_prepare--;
        else
            self->queued_translate--;
    }
    else if (task->state == HNY_TASK_LEASED) {
        if (task->prev)
            task->prev->next = task->next;
        else
            self->leased = task->next;
        if (task->next)
            task->next->prev = task->prev;
        if (task->kind == HNY_TASK_TRANSLATE && task->profile->inflight > 0)
            task->profile->inflight--;
    }
    task->prev = task->next = NULL;
    task->state = 0;
}

/* A leased task goes back to the queue, or fails when it went round too often. */
static void
s_task_requeue (hny_broker_t *self, hny_btask_t *task, const char *reason)
{
    hny_broker_task_unlink (self, task);
    free (task->last_reason);
    task->last_reason = hny_strdup (reason);
    if (task->attempts >= HNY_TASK_ATTEMPTS_MAX) {
        hny_warn ("job %lld: task %lld failed %d times (%s): giving up", (long long) task->job,
                  (long long) task->id, task->attempts, reason);
        char *why = hny_strdup (reason);
        hny_pipeline_task_failed (self, task, why);
        free (why);
        return;
    }
    hny_info ("job %lld: task %lld back in the queue: %s", (long long) task->job,
              (long long) task->id, reason);
    if (hny_store_task_requeue (self->store, task->id))
        hny_broker_store_failed (self);
    /* Front of the queue: it has waited longest. */
    task->state = HNY_TASK_QUEUED;
    task->worker = NULL;
    task->prev = NULL;
    task->next = self->queue_head;
    if (self->queue_head)
        self->queue_head->prev = task;
    else
        self->queue_tail = task;
    self->queue_head = task;
    if (task->kind == HNY_TASK_PREPARE)
        self->queued_prepare++;
    else
        self->queued_translate++;
}

/* ------------------------------------------------------------- waiters */

static void
s_done_reply (hny_broker_t *self, hny_waiter_t *w, int status, const char *state)
{
    hny_msg_t *reply = hny_msg_new (HNY_MSG_DONE);
    hny_msg_set_routing_id (reply, w->rid, w->rid_size);
    if (w->req)
        json_object_set (hny_msg_header (reply), "req", w->req);
    hny_msg_set_int (reply, "status", status);
    char job [24];
    snprintf (job, sizeof job, "%lld", (long long) w->job);
    hny_msg_set_str (reply, "job", job);
    hny_msg_set_str (reply, "state", state);
    hny_broker_post (self, &reply, 0);
}

static void
s_waiter_free (hny_waiter_t **w_p)
{
    json_decref ((*w_p)->req);
    free (*w_p);
    *w_p = NULL;
}

void
hny_broker_wake_waiters (hny_broker_t *self, int64_t job, const char *state)
{
    hny_waiter_t **link = &self->waiters;
    while (*link) {
        hny_waiter_t *w = *link;
        if (w->job == job) {
            s_done_reply (self, w, HNY_STATUS_OK, state);
            *link = w->next;
            s_waiter_free (&w);
        }
        else
            link = &w->next;
    }
}

/* ------------------------------------------------------------- clients */

static const char *const s_formats [] = { "auto", "text", "plain", "html", "jpw", NULL };

static void
s_submit (hny_broker_t *self, hny_msg_t *msg)
{
    if (self->draining) {
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "honyakud is shutting down");
        return;
    }
    const char *from = hny_msg_get_str (msg, "from");
    const char *to = hny_msg_get_str (msg, "to");
    if (!from || !*from || strlen (from) > S_LANG_MAX || !to || !*to || strlen (to) > S_LANG_MAX) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "from and to must be 1 to %d bytes", S_LANG_MAX);
        return;
    }
    const char *backend = hny_msg_get_str (msg, "backend");
    hny_bprofile_t *profile = backend ? hny_broker_profile (self, backend) : self->default_profile;
    if (!profile) {
        s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "unknown backend \"%.64s\"", backend);
        return;
    }
    const char *format = hny_msg_get_str (msg, "format");
    if (!format)
        format = "auto";
    int known = 0;
    for (size_t i = 0; s_formats [i]; i++)
        known |= strcmp (format, s_formats [i]) == 0;
    if (!known) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "unknown format \"%.16s\"", format);
        return;
    }
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    if (!body || size == 0) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "the article is empty");
        return;
    }
    if ((int64_t) size > self->conf->max_article_bytes) {
        s_reject (self, msg, HNY_STATUS_TOO_LARGE, "article of %zu bytes is over max_article_bytes (%lld)",
                  size, (long long) self->conf->max_article_bytes);
        return;
    }
    int lenient = json_is_true (json_object_get (hny_msg_header (msg), "lenient"));
    json_t *metadata = json_object_get (hny_msg_header (msg), "metadata");
    if (metadata && !json_is_object (metadata)) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "metadata must be an object");
        return;
    }

    /* The hash covers the content and every option that changes the result. */
    XXH3_state_t *state = XXH3_createState ();
    XXH3_128bits_reset (state);
    const char *parts [] = { from, to, profile->conf->name, format, lenient ? "1" : "0" };
    for (size_t i = 0; i < 5; i++)
        XXH3_128bits_update (state, parts [i], strlen (parts [i]) + 1);
    XXH3_128bits_update (state, body, size);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash (&canon, XXH3_128bits_digest (state));
    XXH3_freeState (state);
    char hash [33];
    for (int i = 0; i < 16; i++)
        snprintf (hash + 2 * i, 3, "%02x", canon.digest [i]);
    const char *given = hny_msg_get_str (msg, "key");
    char *key = given ? hny_strdup (given) : hny_sprintf ("auto:%s", hash);

    hny_job_row_t row = { 0 };
    int found = hny_store_job_by_key (self->store, key, &row);
    if (found < 0) {
        hny_broker_store_failed (self);
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed");
    }
    else if (found == 1 && strcmp (row.hash, hash) != 0)
        s_reject (self, msg, HNY_STATUS_CONFLICT, "key \"%.64s\" was used for job %lld with other content or options",
                  key, (long long) row.id);
    else if (found == 1) {
        hny_bjob_t *job = hny_pipeline_job (self, row.id);
        hny_msg_t *reply = s_reply (msg, HNY_MSG_ACCEPTED, 0);
        char id [24];
        snprintf (id, sizeof id, "%lld", (long long) row.id);
        hny_msg_set_str (reply, "job", id);
        hny_msg_set_str (reply, "key", key);
        json_object_set_new (hny_msg_header (reply), "existing", json_true ());
        hny_msg_set_str (reply, "state", job ? job->state : row.state);
        hny_broker_post (self, &reply, 0);
        hny_debug ("job %lld: submitted again (key %s)", (long long) row.id, key);
    }
    else if ((int64_t) hny_map_size (self->jobs)
             >= (self->conf->max_jobs_in_flight * 64 > S_QUEUE_MIN ? self->conf->max_jobs_in_flight * 64
                                                                    : S_QUEUE_MIN))
        s_reject (self, msg, HNY_STATUS_BUSY, "too many unfinished jobs (%zu): retry later",
                  hny_map_size (self->jobs));
    else {
        char *meta = metadata ? json_dumps (metadata, JSON_COMPACT) : NULL;
        hny_job_row_t job = {
            .key = key, .hash = hash, .from = (char *) from, .to = (char *) to,
            .backend = (char *) profile->conf->name, .format = (char *) format, .lenient = lenient,
            .source = (char *) hny_msg_get_str (msg, "source"), .metadata = meta, .state = "queued",
        };
        int64_t id = 0;
        if (hny_store_job_insert (self->store, &job, body, size, &id)
        ||  hny_pipeline_job_new (self, id, from, to, profile, hny_clock_wall_ms ())) {
            hny_broker_store_failed (self);
            s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed");
        }
        else {
            hny_msg_t *reply = s_reply (msg, HNY_MSG_ACCEPTED, 0);
            char ids [24];
            snprintf (ids, sizeof ids, "%lld", (long long) id);
            hny_msg_set_str (reply, "job", ids);
            hny_msg_set_str (reply, "key", key);
            json_object_set_new (hny_msg_header (reply), "existing", json_false ());
            hny_msg_set_str (reply, "state", "queued");
            hny_broker_post (self, &reply, 0);
            hny_info ("job %lld: accepted (%zu bytes, %s -> %s, %s)", (long long) id, size, from, to,
                      profile->conf->name);
        }
        free (meta);
    }
    hny_job_row_clear (&row);
    free (key);
}

/* Look a job up for a client request; rejects with 404 and returns 0 when unknown. */
static int
s_job_lookup (hny_broker_t *self, hny_msg_t *msg, hny_job_row_t *row)
{
    int64_t id;
    const char *text = hny_msg_get_str (msg, "job");
    int rc = s_parse_id (text, &id) == 0 ? hny_store_job_get (self->store, id, row) : 0;
    if (rc < 0) {
        hny_broker_store_failed (self);
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed");
        return 0;
    }
    if (rc == 0)
        s_reject (self, msg, HNY_STATUS_NOT_FOUND, "no job \"%.64s\"", text ? text : "");
    return rc;
}

static void
s_status_daemon (hny_broker_t *self, hny_msg_t *msg)
{
    hny_msg_t *reply = s_reply (msg, HNY_MSG_STATUS, HNY_STATUS_OK);
    json_t *h = hny_msg_header (reply);
    json_t *counts = hny_store_job_counts (self->store);
    json_object_set_new (h, "jobs", counts ? counts : json_object ());
    int workers = 0;
    for (hny_bworker_t *w = self->workers; w; w = w->next)
        workers++;
    json_object_set_new (h, "workers", json_integer (workers));
    json_object_set_new (h, "queue", json_pack ("{s:I, s:I}", "prepare", (json_int_t) self->queued_prepare,
                                                "translate", (json_int_t) self->queued_translate));
    json_t *profiles = json_array ();
    for (size_t i = 0; i < self->profile_count; i++) {
        json_t *p = json_pack ("{s:s, s:s}", "name", self->profiles [i].conf->name,
                               "type", self->profiles [i].conf->type ? self->profiles [i].conf->type : "");
        if (self->profiles [i].paused)
            json_object_set_new (p, "paused", json_string (self->profiles [i].paused));
        json_array_append_new (profiles, p);
    }
    json_object_set_new (h, "profiles", profiles);
    hny_msg_set_str (reply, "version", HNY_VERSION);
    if (self->draining)
        json_object_set_new (h, "draining", json_true ());
    hny_broker_post (self, &reply, 0);
}

static void
s_status (hny_broker_t *self, hny_msg_t *msg)
{
    if (!json_object_get (hny_msg_header (msg), "job")) {
        s_status_daemon (self, msg);
        return;
    }
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    hny_msg_t *reply = s_reply (msg, HNY_MSG_STATUS, HNY_STATUS_OK);
    char id [24];
    snprintf (id, sizeof id, "%lld", (long long) row.id);
    hny_msg_set_str (reply, "job", id);
    hny_msg_set_str (reply, "key", row.key);
    hny_bjob_t *job = hny_pipeline_job (self, row.id);
    int total = 0, done = 0, failed = 0;
    if (job) {
        total = job->total;
        done = job->done;
        failed = job->failed;
        hny_msg_set_str (reply, "state", job->state);
        if (job->profile->paused && strcmp (job->state, "translating") == 0 && job->pending > 0) {
            hny_bprofile_t *fb = job->profile->fallback;
            if (fb && !fb->paused) {
                char *text = hny_sprintf ("%s (pending segments go to %s)", job->profile->paused,
                                          fb->conf->name);
                hny_msg_set_str (reply, "paused", text);
                free (text);
            }
            else
                hny_msg_set_str (reply, "paused", job->profile->paused);
        }
    }
    else {
        if (hny_store_segment_counts (self->store, row.id, &total, &done, &failed))
            hny_broker_store_failed (self);
        hny_msg_set_str (reply, "state", row.state);
    }
    hny_msg_set_int (reply, "segments", total);
    hny_msg_set_int (reply, "done", done);
    hny_msg_set_int (reply, "failed", failed);
    if (row.error)
        hny_msg_set_str (reply, "error", row.error);
    hny_msg_set_int (reply, "created", row.created);
    hny_msg_set_str (reply, "backend", row.backend);
    hny_broker_post (self, &reply, 0);
    hny_job_row_clear (&row);
}

static void
s_wait (hny_broker_t *self, hny_msg_t *msg)
{
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    hny_bjob_t *job = hny_pipeline_job (self, row.id);
    int64_t timeout = hny_msg_get_int (msg, "timeout_ms", 30000);
    hny_waiter_t *w = hny_calloc (1, sizeof *w);
    const uint8_t *rid = hny_msg_routing_id (msg, &w->rid_size);
    memcpy (w->rid, rid, w->rid_size);
    w->req = json_incref (json_object_get (hny_msg_header (msg), "req"));
    w->job = row.id;
    w->deadline = hny_clock_mono_ms () + timeout;
    if (!job || s_is_final (row.state)) {
        s_done_reply (self, w, HNY_STATUS_OK, row.state);
        s_waiter_free (&w);
    }
    else if (timeout <= 0) {
        s_done_reply (self, w, HNY_STATUS_RETRY, job->state);
        s_waiter_free (&w);
    }
    else {
        w->next = self->waiters;
        self->waiters = w;
    }
    hny_job_row_clear (&row);
}

static void
s_fetch (hny_broker_t *self, hny_msg_t *msg)
{
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    hny_bjob_t *job = hny_pipeline_job (self, row.id);
    char *record = NULL;
    int rc = 0;
    if (job || !s_is_final (row.state))
        s_reject (self, msg, HNY_STATUS_RETRY, "job %lld is %s", (long long) row.id,
                  job ? job->state : row.state);
    else if ((rc = hny_store_record_get (self->store, row.id, &record)) != 1) {
        if (rc < 0)
            hny_broker_store_failed (self);
        s_reject (self, msg, HNY_STATUS_INTERNAL, "job %lld has no record", (long long) row.id);
    }
    else {
        hny_msg_t *reply = s_reply (msg, HNY_MSG_RECORD, HNY_STATUS_OK);
        char id [24];
        snprintf (id, sizeof id, "%lld", (long long) row.id);
        hny_msg_set_str (reply, "job", id);
        hny_msg_take_body (reply, record, strlen (record));
        record = NULL;
        hny_broker_post (self, &reply, 0);
    }
    free (record);
    hny_job_row_clear (&row);
}

static void
s_list (hny_broker_t *self, hny_msg_t *msg)
{
    int64_t after = 0;
    const char *text = hny_msg_get_str (msg, "after");
    if (text && s_parse_id (text, &after)) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "after must be a job id");
        return;
    }
    int limit = (int) hny_msg_get_int (msg, "limit", 100);
    if (limit < 1 || limit > 1000)
        limit = 100;
    int more = 0;
    json_t *jobs = hny_store_job_list (self->store, after, limit, hny_msg_get_str (msg, "state"), &more);
    if (!jobs) {
        hny_broker_store_failed (self);
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed");
        return;
    }
    hny_msg_t *reply = s_reply (msg, HNY_MSG_LISTING, HNY_STATUS_OK);
    if (more && json_array_size (jobs))
        json_object_set (hny_msg_header (reply), "next",
                         json_object_get (json_array_get (jobs, json_array_size (jobs) - 1), "job"));
    json_object_set_new (hny_msg_header (reply), "jobs", jobs);
    hny_broker_post (self, &reply, 0);
}

static void
s_stats (hny_broker_t *self, hny_msg_t *msg)
{
    json_t *stats = hny_store_stats (self->store);
    if (!stats) {
        hny_broker_store_failed (self);
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed");
        return;
    }
    for (size_t i = 0; i < self->profile_count; i++)
        if (!json_object_get (stats, self->profiles [i].conf->name))
            json_object_set_new (stats, self->profiles [i].conf->name,
                                 json_pack ("{s:i, s:i, s:i, s:i, s:i}", "tm_hits", 0, "tm_misses", 0,
                                            "chars_billed", 0, "requests", 0, "segments", 0));
    const char *name;
    json_t *p;
    json_object_foreach (stats, name, p) {
        json_int_t reqs = json_integer_value (json_object_get (p, "requests"));
        json_int_t segs = json_integer_value (json_object_get (p, "segments"));
        json_object_set_new (p, "requests_per_segment", json_real (segs > 0 ? (double) reqs / (double) segs : 0.0));
    }
    hny_msg_t *reply = s_reply (msg, HNY_MSG_STATS, HNY_STATUS_OK);
    json_object_set_new (hny_msg_header (reply), "profiles", stats);
    hny_broker_post (self, &reply, 0);
}

static void
s_on_front (hny_broker_t *self, hny_msg_t *msg)
{
    switch (hny_msg_id (msg)) {
    case HNY_MSG_INVALID: {
        hny_msg_t *reply = hny_msg_new_rejected (msg, hny_msg_error_status (msg),
                                                 hny_msg_error_reason (msg));
        hny_debug ("client message rejected: %d %s", hny_msg_error_status (msg),
                   hny_msg_error_reason (msg));
        hny_broker_post (self, &reply, 0);
        break;
    }
    case HNY_MSG_SUBMIT: s_submit (self, msg); break;
    case HNY_MSG_STATUS: s_status (self, msg); break;
    case HNY_MSG_WAIT:   s_wait (self, msg); break;
    case HNY_MSG_FETCH:  s_fetch (self, msg); break;
    case HNY_MSG_LIST:   s_list (self, msg); break;
    case HNY_MSG_STATS:  s_stats (self, msg); break;
    default:
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "%s is not a client request",
                  hny_msg_command_name (hny_msg_id (msg)));
        break;
    }
}

/* ------------------------------------------------------------- workers */

static void
s_worker_send (hny_broker_t *self, hny_bworker_t *w, hny_msg_id_t id, const char *reason)
{
    hny_msg_t *msg = hny_msg_new (id);
    hny_msg_set_routing_id (msg, w->rid, w->rid_size);
    if (reason)
        hny_msg_set_str (msg, "reason", reason);
    hny_broker_post (self, &msg, 1);
}

static void
s_worker_free (hny_bworker_t **w_p)
{
    hny_bworker_t *w = *w_p;
    for (size_t i = 0; i < w->backend_count; i++)
        free (w->backends [i]);
    free (w->backends);
    free (w->ident);
    free (w);
    *w_p = NULL;
}

/* Forget a worker; its leased tasks go back to the queue. */
static void
s_worker_remove (hny_broker_t *self, hny_bworker_t *w, const char *why)
{
    hny_btask_t *task = self->leased;
    while (task) {
        hny_btask_t *next = task->next;
        if (task->worker == w) {
            char *reason = hny_sprintf ("worker %s %s", w->ident, why);
            s_task_requeue (self, task, reason);
            free (reason);
        }
        task = next;
    }
    for (hny_bworker_t **link = &self->workers; *link; link = &(*link)->next)
        if (*link == w) {
            *link = w->next;
            break;
        }
    hny_info ("worker %s gone: %s", w->ident, why);
    s_worker_free (&w);
}

static void
s_ready (hny_broker_t *self, hny_msg_t *msg, hny_bworker_t *w)
{
    if (self->draining)
        return;                 /* we are leaving: it will find the next broker */
    if (w) {
        /* It registers again: whatever it held is lost. */
        s_worker_remove (self, w, "registered again");
        w = NULL;
    }
    w = hny_calloc (1, sizeof *w);
    const uint8_t *rid = hny_msg_routing_id (msg, &w->rid_size);
    memcpy (w->rid, rid, w->rid_size);
    w->credit = (int) hny_msg_get_int (msg, "credit", 1);
    const char *name = hny_msg_get_str (msg, "name");
    w->ident = hny_sprintf ("%.64s#%lld", name ? name : "worker", (long long) hny_msg_get_int (msg, "pid", 0));
    json_t *backends = json_object_get (hny_msg_header (msg), "backends");
    size_t i;
    json_t *item;
    w->backends = hny_calloc (json_array_size (backends) + 1, sizeof *w->backends);
    json_array_foreach (backends, i, item)
        if (json_is_string (item))
            w->backends [w->backend_count++] = hny_strdup (json_string_value (item));
    w->last_heard = w->last_sent = hny_clock_mono_ms ();
    w->next = self->workers;
    self->workers = w;
    hny_info ("worker %s ready (credit %d, %zu profiles)", w->ident, w->credit, w->backend_count);
    /* Answer at once so that it hears from us within its first interval. */
    s_worker_send (self, w, HNY_MSG_HEARTBEAT, NULL);
}

/* Task ids on the wire: "T<id>.<attempt>". */
static hny_btask_t *
s_leased_find (hny_broker_t *self, const char *text, hny_bworker_t *w)
{
    long long id = 0;
    int attempt = 0, used = 0;
    if (!text || sscanf (text, "T%lld.%d%n", &id, &attempt, &used) != 2 || text [used])
        return NULL;
    for (hny_btask_t *task = self->leased; task; task = task->next)
        if (task->id == id && task->attempts == attempt && task->worker == w)
            return task;
    return NULL;
}

static void
s_result (hny_broker_t *self, hny_msg_t *msg, hny_bworker_t *w)
{
    if (w->outstanding > 0)
        w->outstanding--;
    const char *task_id = hny_msg_get_str (msg, "task");
    hny_btask_t *task = s_leased_find (self, task_id, w);
    if (!task) {
        hny_info ("stale result for task %s from %s: ignored", task_id ? task_id : "?", w->ident);
        return;
    }
    int status = (int) hny_msg_get_int (msg, "status", 500);
    const char *reason = hny_msg_get_str (msg, "reason");
    if (status >= 500 || status < 200 || (status >= 300 && status < 400)) {
        char *why = hny_sprintf ("%d %s", status, reason ? reason : "worker failed");
        s_task_requeue (self, task, why);
        free (why);
        return;
    }
    hny_broker_task_unlink (self, task);
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    const char *why = NULL;
    int rc = task->kind == HNY_TASK_PREPARE
           ? hny_pipeline_prepare_result (self, task, status, reason, body, size, &why)
           : hny_pipeline_translate_result (self, task, status, reason, body, size, &why);
    if (rc != 0) {
        /* Unusable result: back to the queue through the leased list. */
        hny_broker_task_leased (self, task);
        s_task_requeue (self, task, why ? why : "unusable result");
    }
}

static void
s_on_back (hny_broker_t *self, hny_msg_t *msg)
{
    size_t size;
    const uint8_t *rid = hny_msg_routing_id (msg, &size);
    hny_bworker_t *w = s_worker_find (self, rid, size);
    if (w)
        w->last_heard = hny_clock_mono_ms ();
    hny_msg_id_t id = hny_msg_id (msg);
    if (id == HNY_MSG_INVALID) {
        hny_warn ("malformed message from worker %s: %d %s", w ? w->ident : "(unknown)",
                  hny_msg_error_status (msg), hny_msg_error_reason (msg));
        return;
    }
    if (id == HNY_MSG_READY) {
        s_ready (self, msg, w);
        return;
    }
    if (!w) {
        if (id != HNY_MSG_DISCONNECT) {
            hny_msg_t *reply = hny_msg_new (HNY_MSG_DISCONNECT);
            hny_msg_set_routing_id (reply, rid, size);
            hny_msg_set_str (reply, "reason", "unknown worker: send READY");
            hny_broker_post (self, &reply, 1);
        }
        return;
    }
    switch (id) {
    case HNY_MSG_RESULT:
        s_result (self, msg, w);
        break;
    case HNY_MSG_HEARTBEAT:
        break;
    case HNY_MSG_DISCONNECT:
        s_worker_remove (self, w, "disconnected");
        break;
    default:
        hny_warn ("worker %s sent %s: ignored", w->ident, hny_msg_command_name (id));
        break;
    }
}

/* ------------------------------------------------------------- dispatch */

static int
s_serves (const hny_bworker_t *w, const hny_btask_t *task)
{
    if (task->kind == HNY_TASK_PREPARE)
        return 1;
    for (size_t i = 0; i < w->backend_count; i++)
        if (strcmp (w->backends [i], task->profile->conf->name) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------- budgets */

/* Requests a translate task is expected to make: its entries share one
   context, so ceil(entries / max_texts), at least 1. */
static double
s_task_requests (const hny_btask_t *task)
{
    int per = task->profile->conf->max_texts > 0 ? task->profile->conf->max_texts : 1;
    size_t n = (task->entry_count + (size_t) per - 1) / (size_t) per;
    return n ? (double) n : 1.0;
}

static void
s_budget_refill (hny_bprofile_t *p, int64_t now)
{
    double dt = (double) (now - p->refilled);
    if (dt <= 0)
        return;
    p->refilled = now;
    if (p->conf->rate > 0) {
        double cap = p->conf->rate > 1 ? p->conf->rate : 1;
        p->req_tokens += dt * p->conf->rate / 1000.0;
        if (p->req_tokens > cap)
            p->req_tokens = cap;
    }
    if (p->conf->chars_per_minute > 0) {
        double cap = (double) p->conf->chars_per_minute;
        p->char_tokens += dt * cap / 60000.0;
        if (p->char_tokens > cap)
            p->char_tokens = cap;
    }
}

/* What a task costs against its profile's buckets (never more than a full
   bucket, so that every task can go eventually). */
static void
s_budget_cost (const hny_btask_t *task, double *reqs, double *chars)
{
    const hny_profile_t *conf = task->profile->conf;
    *reqs = s_task_requests (task);
    double cap = conf->rate > 1 ? conf->rate : 1;
    if (*reqs > cap)
        *reqs = cap;
    *chars = (double) task->chars;
    if (conf->chars_per_minute > 0 && *chars > (double) conf->chars_per_minute)
        *chars = (double) conf->chars_per_minute;
}

/* Milliseconds until the buckets allow the task (0: now); refills first. */
static int64_t
s_budget_wait (hny_btask_t *task, int64_t now)
{
    hny_bprofile_t *p = task->profile;
    s_budget_refill (p, now);
    double reqs, chars, wait = 0;
    s_budget_cost (task, &reqs, &chars);
    if (p->conf->rate > 0 && p->req_tokens < reqs)
        wait = (reqs - p->req_tokens) * 1000.0 / p->conf->rate;
    if (p->conf->chars_per_minute > 0 && p->char_tokens < chars) {
        double w = (chars - p->char_tokens) * 60000.0 / (double) p->conf->chars_per_minute;
        if (w > wait)
            wait = w;
    }
    return wait > 0 ? (int64_t) wait + 1 : 0;
}

static void
s_budget_spend (hny_btask_t *task)
{
    double reqs, chars;
    s_budget_cost (task, &reqs, &chars);
    if (task->profile->conf->rate > 0)
        task->profile->req_tokens -= reqs;
    if (task->profile->conf->chars_per_minute > 0)
        task->profile->char_tokens -= chars;
}

/* 1 when the profile has its concurrency's worth of tasks leased. */
static int
s_budget_full (const hny_bprofile_t *p)
{
    return p->conf->concurrency > 0 && p->inflight >= p->conf->concurrency;
}

/* Send one task to a worker; returns 0, or -1 when the task was settled otherwise. */
static int
s_lease (hny_broker_t *self, hny_btask_t *task, hny_bworker_t *w)
{
    hny_msg_t *msg = hny_msg_new (HNY_MSG_TASK);
    hny_msg_set_routing_id (msg, w->rid, w->rid_size);
    hny_bjob_t *job = NULL;
    if (task->kind == HNY_TASK_PREPARE) {
        job = hny_pipeline_job (self, task->job);
        hny_job_row_t row = { 0 };
        uint8_t *content = NULL;
        size_t size = 0;
        if (!job || hny_store_job_get (self->store, task->job, &row) != 1
        ||  hny_store_job_content (self->store, task->job, &content, &size) != 1) {
            hny_job_row_clear (&row);
            hny_msg_destroy (&msg);
            hny_broker_task_unlink (self, task);
            hny_store_task_delete (self->store, task->id);
            hny_warn ("job %lld: no content to prepare: task dropped", (long long) task->job);
            hny_broker_task_free (&task);
            return -1;
        }
        hny_msg_set_str (msg, "kind", "prepare");
        hny_msg_set_str (msg, "format", row.format);
        hny_msg_set_str (msg, "from", row.from);
        json_object_set_new (hny_msg_header (msg), "lenient", json_boolean (row.lenient));
        if (row.source)
            hny_msg_set_str (msg, "source", row.source);
        hny_msg_take_body (msg, content, size);
        hny_job_row_clear (&row);
    }
    else {
        hny_msg_set_str (msg, "kind", "translate");
        hny_msg_set_str (msg, "profile", task->profile->conf->name);
        hny_msg_set_str (msg, "from", task->from);
        hny_msg_set_str (msg, "to", task->to);
        char *body = hny_pipeline_translate_body (task);
        hny_msg_take_body (msg, body, strlen (body));
    }
    hny_broker_task_unlink (self, task);
    task->attempts++;
    task->worker = w;
    task->lease_deadline = hny_clock_mono_ms () + self->conf->lease_ms;
    hny_broker_task_leased (self, task);
    w->outstanding++;
    if (hny_store_task_lease (self->store, task->id, w->ident, hny_clock_wall_ms () + self->conf->lease_ms,
                              task->attempts))
        hny_broker_store_failed (self);
    if (job)
        hny_pipeline_job_preparing (self, job);

    char id [48];
    snprintf (id, sizeof id, "T%lld.%d", (long long) task->id, task->attempts);
    hny_msg_set_str (msg, "task", id);
    hny_msg_set_int (msg, "lease_ms", self->conf->lease_ms);
    char jid [24];
    snprintf (jid, sizeof jid, "%lld", (long long) task->job);
    hny_msg_set_str (msg, "job", jid);
    hny_debug ("job %lld: task %s (%s) to %s", (long long) task->job, id,
               task->kind == HNY_TASK_PREPARE ? "prepare" : "translate", w->ident);
    hny_broker_post (self, &msg, 1);
    return 0;
}

static void
s_dispatch (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    /* A profile whose first waiting task is held by its budget holds its
       later tasks too (FIFO: a large task is not overtaken for ever). */
    char *held = hny_calloc (self->profile_count ? self->profile_count : 1, 1);
    hny_btask_t *task = self->queue_head;
    while (task) {
        hny_btask_t *next = task->next;
        int free_credit = 0;
        for (hny_bworker_t *w = self->workers; w; w = w->next)
            if (!w->dead && w->outstanding < w->credit)
                free_credit = 1;
        if (!free_credit)
            break;
        if (task->not_before > now) {
            task = next;
            continue;
        }
        if (task->kind == HNY_TASK_TRANSLATE && task->profile->paused && task->profile->probe_at > now) {
            task = next;
            continue;
        }
        if (task->kind == HNY_TASK_TRANSLATE) {
            size_t pi = (size_t) (task->profile - self->profiles);
            if (held [pi] || s_budget_full (task->profile) || s_budget_wait (task, now) > 0) {
                held [pi] = 1;
                task = next;
                continue;
            }
        }
        if (task->kind == HNY_TASK_PREPARE) {
            hny_bjob_t *job = hny_pipeline_job (self, task->job);
            if (job && strcmp (job->state, "queued") == 0 && self->active_jobs >= self->conf->max_jobs_in_flight) {
                task = next;
                continue;
            }
        }
        /* The worker with the most free credit that serves it. */
        hny_bworker_t *best = NULL;
        for (hny_bworker_t *w = self->workers; w; w = w->next)
            if (!w->dead && w->outstanding < w->credit && s_serves (w, task)
            &&  (!best || w->credit - w->outstanding > best->credit - best->outstanding))
                best = w;
        if (best) {
            hny_bprofile_t *probe = task->kind == HNY_TASK_TRANSLATE && task->profile->paused
                                  ? task->profile : NULL;
            if (task->kind == HNY_TASK_TRANSLATE)
                s_budget_spend (task);
            if (s_lease (self, task, best) == 0 && probe) {
                /* One probe at a time while paused. */
                probe->probe_at = now + (probe->backoff_ms > 0 ? probe->backoff_ms : 1000);
                hny_info ("profile %s paused: probing with one task", probe->conf->name);
            }
        }
        task = next;
    }
    free (held);
}

/* ------------------------------------------------------------- timers */

static void
s_timers (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    int hb = self->conf->heartbeat_ms;
    hny_bworker_t *w = self->workers;
    while (w) {
        hny_bworker_t *next = w->next;
        if (w->dead)
            s_worker_remove (self, w, "unreachable");
        else if (now - w->last_heard > 3 * (int64_t) hb)
            s_worker_remove (self, w, "silent for 3 heartbeats");
        else if (now - w->last_sent >= hb)
            s_worker_send (self, w, HNY_MSG_HEARTBEAT, NULL);
        w = next;
    }
    hny_btask_t *task = self->leased;
    while (task) {
        hny_btask_t *next = task->next;
        if (now >= task->lease_deadline)
            s_task_requeue (self, task, "lease expired");
        task = next;
    }
    hny_waiter_t **link = &self->waiters;
    while (*link) {
        hny_waiter_t *wt = *link;
        if (now >= wt->deadline) {
            hny_bjob_t *job = hny_pipeline_job (self, wt->job);
            s_done_reply (self, wt, HNY_STATUS_RETRY, job ? job->state : "queued");
            *link = wt->next;
            s_waiter_free (&wt);
        }
        else
            link = &wt->next;
    }
}

static int64_t
s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Milliseconds until the next deadline. */
static long
s_next_timeout (hny_broker_t *self, int64_t sup_next)
{
    int64_t now = hny_clock_mono_ms ();
    int64_t next = now + 1000;
    int hb = self->conf->heartbeat_ms;
    for (hny_bworker_t *w = self->workers; w; w = w->next) {
        next = s_min (next, w->last_sent + hb);
        next = s_min (next, w->last_heard + 3 * (int64_t) hb + 1);
    }
    for (hny_btask_t *t = self->leased; t; t = t->next)
        next = s_min (next, t->lease_deadline);
    for (hny_waiter_t *wt = self->waiters; wt; wt = wt->next)
        next = s_min (next, wt->deadline);
    for (hny_btask_t *t = self->queue_head; t; t = t->next) {
        if (t->not_before > now)
            next = s_min (next, t->not_before);
        if (t->kind == HNY_TASK_TRANSLATE && t->profile->paused && t->profile->probe_at > now)
            next = s_min (next, t->profile->probe_at);
        else if (t->kind == HNY_TASK_TRANSLATE && !s_budget_full (t->profile) && t->not_before <= now)
            next = s_min (next, now + s_budget_wait (t, now));
    }
    if (sup_next >= 0)
        next = s_min (next, now + sup_next);
    if (self->next_watchdog)
        next = s_min (next, self->next_watchdog);
    if (self->draining)
        next = s_min (next, self->drain_deadline);
    return next <= now ? 0 : (long) (next - now);
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
    if (back)
        zmq_setsockopt (sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
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
    /* Only our own user may connect to a unix socket (honyakud's umask
       already makes it so; this covers a caller that changed it). */
    if (strncmp (endpoint, "ipc://", 6) == 0 && endpoint [6] != '@'
    &&  chmod (endpoint + 6, 0600) != 0)
        hny_warn ("%s: cannot make the socket file 0600: %s", endpoint, strerror (errno));
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
    self->profile_count = hny_config_profile_count (config);
    self->profiles = hny_calloc (self->profile_count ? self->profile_count : 1, sizeof *self->profiles);
    int64_t now = hny_clock_mono_ms ();
    for (size_t i = 0; i < self->profile_count; i++) {
        hny_bprofile_t *p = &self->profiles [i];
        p->conf = hny_config_profile (config, i);
        p->req_tokens = p->conf->rate > 1 ? p->conf->rate : 1;
        p->char_tokens = (double) p->conf->chars_per_minute;
        p->refilled = now;
    }
    for (size_t i = 0; i < self->profile_count; i++) {
        hny_bprofile_t *p = &self->profiles [i];
        if (!p->conf->fallback)
            continue;
        p->fallback = hny_broker_profile (self, p->conf->fallback);
        if (!p->fallback || p->fallback == p)
            hny_warn ("profile %s: fallback %s is %s: ignored", p->conf->name, p->conf->fallback,
                      p->fallback ? "itself" : "not configured");
        if (p->fallback == p)
            p->fallback = NULL;
    }
    self->default_profile = self->conf->default_backend
                          ? hny_broker_profile (self, self->conf->default_backend)
                          : self->profile_count ? &self->profiles [0] : NULL;
    if (!self->default_profile)
        self->default_profile = hny_broker_profile (self, "pseudo");
    self->pending = hny_map_new ();
    self->jobs = hny_map_new ();
    self->started = hny_clock_mono_ms ();

    if (hny_store_begin (store) || hny_pipeline_resume (self) || hny_store_commit (store) || self->fatal) {
        *error = hny_strdup ("cannot resume from the store");
        hny_broker_destroy (&self);
        return NULL;
    }
    self->ctx = zmq_ctx_new ();
    if (s_bind (self, front, back, error)) {
        hny_broker_destroy (&self);
        return NULL;
    }
    hny_info ("serving clients on %s, workers on %s", front, back);
    return self;
}

static void
s_free_waiters (hny_broker_t *self)
{
    while (self->waiters) {
        hny_waiter_t *w = self->waiters;
        self->waiters = w->next;
        s_waiter_free (&w);
    }
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
    s_free_waiters (self);
    while (self->workers) {
        hny_bworker_t *w = self->workers;
        self->workers = w->next;
        s_worker_free (&w);
    }
    for (hny_btask_t *t = self->queue_head, *next; t; t = next) {
        next = t->next;
        hny_broker_task_free (&t);
    }
    for (hny_btask_t *t = self->leased, *next; t; t = next) {
        next = t->next;
        hny_broker_task_free (&t);
    }
    hny_pipeline_free (self);
    for (size_t i = 0; i < self->profile_count; i++)
        free (self->profiles [i].paused);
    free (self->profiles);
    if (self->front)
        zmq_close (self->front);
    if (self->back)
        zmq_close (self->back);
    hny_auth_destroy (&self->auth);
    for (size_t i = 0; i < self->reloaded_count; i++)
        hny_config_destroy (&self->reloaded [i]);
    free (self->reloaded);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self);
    *self_p = NULL;
}

static void
s_flush (hny_broker_t *self)
{
    for (size_t i = 0; i < self->out_count; i++) {
        hny_outmsg_t *out = &self->outbox [i];
        uint8_t rid [HNY_ROUTING_MAX];
        size_t size;
        const uint8_t *r = hny_msg_routing_id (out->msg, &size);
        memcpy (rid, r, size);
        hny_msg_id_t id = hny_msg_id (out->msg);
        if (hny_msg_send (&out->msg, out->back ? self->back : self->front) != 0) {
            hny_warn ("cannot send %s to a %s: %s", hny_msg_command_name (id),
                      out->back ? "worker" : "client", zmq_strerror (errno));
            hny_bworker_t *w = out->back ? s_worker_find (self, rid, size) : NULL;
            if (w)
                w->dead = 1;
        }
    }
    self->out_count = 0;
}

/* Read the messages waiting on one socket, at most S_BATCH_MAX. */
static void
s_drain (hny_broker_t *self, void *sock, int back)
{
    for (int n = 0; n < S_BATCH_MAX && !self->fatal; n++) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt (sock, ZMQ_EVENTS, &events, &len) != 0 || !(events & ZMQ_POLLIN))
            return;
        hny_msg_t *msg = hny_msg_recv (sock);
        if (!msg)
            return;
        if (back)
            s_on_back (self, msg);
        else
            s_on_front (self, msg);
        hny_msg_destroy (&msg);
    }
}

static void
s_notify (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    int workers = 0;
    for (hny_bworker_t *w = self->workers; w; w = w->next)
        workers++;
    if (!self->ready_sent) {
        int want = hny_supervisor_count (self->supervisor);
        if (workers >= want || now - self->started >= S_READY_WAIT_MS) {
            hny_notify_ready ();
            self->ready_sent = 1;
            self->next_status = now;    /* say at once how many workers came up */
            hny_info ("ready: %d workers", workers);
        }
    }
    if (now >= self->next_status) {
        hny_notify_status ("%zu unfinished jobs, %zu+%zu queued tasks, %d workers",
                           hny_map_size (self->jobs), self->queued_prepare, self->queued_translate, workers);
        self->next_status = now + S_STATUS_EVERY_MS;
    }
    if (self->next_watchdog && now >= self->next_watchdog) {
        hny_notify_watchdog ();
        self->next_watchdog = now + hny_notify_watchdog_ms ();
    }
}

/* Leaving: hand leased work back, tell workers and waiters. */
static void
s_leave (hny_broker_t *self)
{
    hny_notify_stopping ();
    if (hny_store_begin (self->store) == 0) {
        for (hny_btask_t *t = self->leased; t; t = t->next)
            hny_store_task_requeue (self->store, t->id);
        hny_store_commit (self->store);
    }
    for (hny_bworker_t *w = self->workers; w; w = w->next)
        s_worker_send (self, w, HNY_MSG_DISCONNECT, "broker shutting down");
    for (hny_waiter_t *w = self->waiters; w; w = w->next) {
        hny_bjob_t *job = hny_pipeline_job (self, w->job);
        s_done_reply (self, w, HNY_STATUS_RETRY, job ? job->state : "queued");
    }
    s_free_waiters (self);
    s_flush (self);
}

/* ------------------------------------------------------------- SIGHUP */

void
hny_broker_set_reload (hny_broker_t *self, volatile sig_atomic_t *flag, int keep_log_level)
{
    assert (self);
    self->reload = flag;
    self->keep_log_level = keep_log_level;
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
    for (size_t i = 0; i < self->profile_count; i++) {
        hny_bprofile_t *p = &self->profiles [i];
        const hny_profile_t *np = hny_config_profile_find (fresh, p->conf->name);
        if (!np) {
            hny_warn ("reload: profile %s was removed: it stays until honyakud restarts", p->conf->name);
            continue;
        }
        if (s_differs (p->conf->type, np->type) || s_differs (p->conf->url, np->url)
        ||  s_differs (p->conf->key_file, np->key_file) || s_differs (p->conf->key_env, np->key_env)
        ||  s_differs (p->conf->model, np->model) || s_differs (p->conf->glossary, np->glossary)
        ||  s_differs (p->conf->fallback, np->fallback) || p->conf->timeout_ms != np->timeout_ms) {
            hny_warn ("reload: profile %s: type, url, keys, model, glossary, fallback or timeout_ms"
                      " changed: the profile keeps its old settings until honyakud restarts",
                      p->conf->name);
            continue;
        }
        if (p->conf->concurrency != np->concurrency || p->conf->rate != np->rate
        ||  p->conf->chars_per_minute != np->chars_per_minute || p->conf->retries != np->retries
        ||  p->conf->max_texts != np->max_texts || p->conf->max_bytes != np->max_bytes
        ||  p->conf->retry_base_ms != np->retry_base_ms)
            hny_info ("reload: profile %s: concurrency %d, rate %g/s, chars_per_minute %lld, retries %d",
                      np->name, np->concurrency, np->rate, (long long) np->chars_per_minute, np->retries);
        /* The buckets keep their tokens, capped to the new sizes. */
        double req_cap = np->rate > 1 ? np->rate : 1;
        if (p->req_tokens > req_cap)
            p->req_tokens = req_cap;
        if (p->char_tokens > (double) np->chars_per_minute)
            p->char_tokens = (double) np->chars_per_minute;
        p->conf = np;
    }
    for (size_t i = 0; i < hny_config_profile_count (fresh); i++) {
        const hny_profile_t *np = hny_config_profile (fresh, i);
        if (!hny_broker_profile (self, np->name))
            hny_warn ("reload: new profile %s: it is served after honyakud restarts", np->name);
    }
}

static void
s_reload (hny_broker_t *self)
{
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
    if (self->conf->max_jobs_in_flight != conf->max_jobs_in_flight || self->conf->lease_ms != conf->lease_ms)
        hny_info ("reload: max_jobs_in_flight %d, lease_ms %d (new leases)", conf->max_jobs_in_flight,
                  conf->lease_ms);
    self->conf->max_jobs_in_flight = conf->max_jobs_in_flight;
    self->conf->lease_ms = conf->lease_ms;
    s_set_str (&self->conf->allowed_clients, conf->allowed_clients);
    s_set_str (&self->conf->allowed_workers, conf->allowed_workers);
    s_reload_profiles (self, fresh);
    /* Profiles may point into it now: it lives as long as the broker. */
    self->reloaded = hny_realloc (self->reloaded, (self->reloaded_count + 1) * sizeof *self->reloaded);
    self->reloaded [self->reloaded_count++] = fresh;
    hny_info ("SIGHUP: reloaded %s", path);
}

int
hny_broker_run (hny_broker_t *self, volatile sig_atomic_t *signals)
{
    int64_t wd = hny_notify_watchdog_ms ();
    self->next_watchdog = wd ? hny_clock_mono_ms () + wd : 0;
    int64_t sup_next = -1;
    s_notify (self);
    while (!self->fatal) {
        if (*signals >= 2) {
            hny_info ("leaving at once");
            break;
        }
        int64_t now = hny_clock_mono_ms ();
        if (*signals == 1 && !self->draining) {
            self->draining = 1;
            self->drain_deadline = now + s_min (S_DRAIN_MS, self->conf->lease_ms);
            hny_info ("draining: no new jobs; waiting up to %lld ms for leased work",
                      (long long) (self->drain_deadline - now));
            hny_notify_status ("draining");
        }
        if (self->draining && (!self->leased || now >= self->drain_deadline))
            break;
        zmq_pollitem_t items [] = {
            { self->front, 0, ZMQ_POLLIN, 0 },
            { self->back, 0, ZMQ_POLLIN, 0 },
            { self->auth ? hny_auth_socket (self->auth) : NULL, 0, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, self->auth ? 3 : 2, s_next_timeout (self, sup_next)) < 0 && errno != EINTR) {
            hny_error ("poll: %s", zmq_strerror (errno));
            break;
        }
        if (*signals >= 2)
            continue;
        if (self->auth)
            hny_auth_handle (self->auth);
        if (self->reload && *self->reload) {
            *self->reload = 0;
            s_reload (self);
        }
        if (hny_store_begin (self->store)) {
            self->fatal = 1;
            break;
        }
        s_drain (self, self->back, 1);
        s_drain (self, self->front, 0);
        s_timers (self);
        if (self->supervisor)
            sup_next = hny_supervisor_tick (self->supervisor);
        hny_pipeline_divert (self);
        hny_pipeline_pack (self);
        if (!self->draining)
            s_dispatch (self);
        if (hny_store_commit (self->store)) {
            hny_broker_store_failed (self);
            /* Nothing of this pass is durable: do not acknowledge it. */
            for (size_t i = 0; i < self->out_count; i++)
                hny_msg_destroy (&self->outbox [i].msg);
            self->out_count = 0;
            break;
        }
        s_flush (self);
        s_notify (self);
    }
    s_leave (self);
    return self->fatal ? -1 : 0;
}

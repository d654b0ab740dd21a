/*  hny_front.c: honyakud's answers to clients (see hny_front.h). */
#include "hny_front.h"
#include "hny_waiters.h"
#include "hny_tm.h"
#include "hny_alignjob.h"

#include <honyaku/lang.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Clients waiting at once (WAIT): each holds a few hundred bytes until
   its job ends or its timeout_ms (at most an hour) runs out. A bulk client
   keeps one out per job of its window (thousands); past this many, a WAIT
   is refused 503 and the client asks again later. */
#define S_WAITERS_MAX   100000

struct _hny_front_t {
    hny_store_t *store;
    hny_sched_t *sched;
    hny_pipeline_t *pipeline;
    const hny_meter_t *meter;   /* NULL: no in-memory metrics */
    const hny_daemon_conf_t *conf;
    const char *version;
    hny_front_post_fn *post;
    void *post_arg;
    int default_profile;        /* for a SUBMIT that names none */
    int draining;
    hny_store_mode_t store_mode;
    hny_waiters_t *waiters;     /* clients waiting for jobs (WAIT) */
    hny_tm_t *tm;               /* TMEXPORT's reader (its own record cache) */
};

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

static void
s_post (hny_front_t *self, hny_msg_t **msg_p)
{
    self->post (msg_p, self->post_arg);
}

static void
s_reject (hny_front_t *self, hny_msg_t *request, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_reject (hny_front_t *self, hny_msg_t *request, int status, const char *fmt, ...)
{
    char reason [256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (reason, sizeof reason, fmt, args);
    va_end (args);
    hny_msg_t *reply = hny_msg_new_rejected (request, status, reason);
    hny_debug ("REJECTED %d: %s", status, reason);
    s_post (self, &reply);
}

static void
s_set_job (hny_msg_t *msg, int64_t job)
{
    char id [24];
    snprintf (id, sizeof id, "%lld", (long long) job);
    hny_msg_set_str (msg, "job", id);
}

/* A store failure while answering: 507 when the disk is full, else 503. */
static void
s_reject_store (hny_front_t *self, hny_msg_t *msg)
{
    if (hny_store_full (self->store) || self->store_mode == HNY_STORE_FULL)
        s_reject (self, msg, HNY_STATUS_INSUFFICIENT_STORAGE, "the state disk is full: retry later");
    else
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "the store failed: %s", hny_store_error (self->store));
}

int
hny_front_job_state (hny_front_t *self, int64_t job, hny_job_state_t *state)
{
    hny_job_info_t info;
    if (hny_pipeline_job_info (self->pipeline, job, &info)) {
        *state = info.state;
        return 1;
    }
    hny_job_row_t row = { 0 };
    int rc = hny_store_job_get (self->store, job, &row);
    if (rc == 1)
        *state = row.state;
    hny_job_row_clear (&row);
    return rc;
}

/* ------------------------------------------------------------- waiters */

/* What the answers to waiters need besides the waiter. */
typedef struct {
    hny_front_t *front;
    int status;                 /* 200 final, 300 timed out */
    int known;                  /* state is the job's; 0: ask for each waiter */
    hny_job_state_t state;
} s_answer_t;

/* The current state of a waiter's job for a DONE 300. */
static hny_job_state_t
s_state_now (hny_front_t *self, int64_t job)
{
    hny_job_state_t state = HNY_JOB_QUEUED;
    hny_front_job_state (self, job, &state);
    return state;
}

/* DONE to a waiter (hny_waiter_fn). */
static void
s_done_reply (const hny_waiter_t *w, void *arg)
{
    s_answer_t *a = arg;
    hny_msg_t *reply = hny_msg_new (HNY_MSG_DONE);
    hny_msg_set_routing_id (reply, w->rid, w->rid_size);
    if (w->req)
        json_object_set (hny_msg_header (reply), "req", (json_t *) w->req);
    hny_msg_set_int (reply, "status", a->status);
    s_set_job (reply, w->job);
    hny_job_state_t state = a->known ? a->state : s_state_now (a->front, w->job);
    hny_msg_set_str (reply, "state", hny_job_state_name (state));
    s_post (a->front, &reply);
}

void
hny_front_job_final (hny_front_t *self, int64_t job, hny_job_state_t state)
{
    s_answer_t a = { self, HNY_STATUS_OK, 1, state };
    hny_waiters_take_job (self->waiters, job, s_done_reply, &a);
}

void
hny_front_expire (hny_front_t *self, int64_t now)
{
    s_answer_t a = { .front = self, .status = HNY_STATUS_RETRY };
    hny_waiters_take_expired (self->waiters, now, s_done_reply, &a);
}

int64_t
hny_front_deadline (hny_front_t *self)
{
    int64_t next = hny_waiters_deadline (self->waiters);
    return next == INT64_MAX ? HNY_SCHED_NEVER : next;
}

void
hny_front_leave (hny_front_t *self)
{
    s_answer_t a = { .front = self, .status = HNY_STATUS_RETRY };
    hny_waiters_take_all (self->waiters, s_done_reply, &a);
}

/* ------------------------------------------------------------- SUBMIT */

static const char *const s_formats [] = { "auto", "text", "plain", "html", "jpw", NULL };

/* The key of the content and every option that changes the result. */
static void
s_content_hash (const char *const *parts, size_t count, const uint8_t *body, size_t size,
                char hash [33])
{
    XXH3_state_t *state = XXH3_createState ();
    XXH3_128bits_reset (state);
    for (size_t i = 0; i < count; i++)
        XXH3_128bits_update (state, parts [i], strlen (parts [i]) + 1);
    XXH3_128bits_update (state, body, size);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash (&canon, XXH3_128bits_digest (state));
    XXH3_freeState (state);
    static const char hex [] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hash [2 * i] = hex [canon.digest [i] >> 4];
        hash [2 * i + 1] = hex [canon.digest [i] & 15];
    }
    hash [32] = '\0';
}

static void
s_accepted (hny_front_t *self, hny_msg_t *msg, int64_t job, const char *key, int existing,
            hny_job_state_t state)
{
    hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_ACCEPTED, 0);
    s_set_job (reply, job);
    hny_msg_set_str (reply, "key", key);
    json_object_set_new (hny_msg_header (reply), "existing", json_boolean (existing));
    hny_msg_set_str (reply, "state", hny_job_state_name (state));
    s_post (self, &reply);
}

/* The checks of an align SUBMIT's body (PROTOCOL.md 5.1): src_bytes
   splits it into the two sides, each within max_article_bytes, at least
   one with text. Fills al (src_bytes; a blank side's prepared article);
   returns 0, or answers REJECTED and returns -1. */
static int
s_align_sides (hny_front_t *self, hny_msg_t *msg, const char *from, const char *to,
               const uint8_t *body, size_t size, hny_align_row_t *al)
{
    json_t *split = json_object_get (hny_msg_header (msg), "src_bytes");
    if (!split) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "an align SUBMIT needs src_bytes (the source side's size)");
        return -1;
    }
    if ((size_t) json_integer_value (split) > size) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "src_bytes %lld is more than the body's %zu bytes",
                  (long long) json_integer_value (split), size);
        return -1;
    }
    al->src_bytes = json_integer_value (split);
    const size_t sides [2] = { (size_t) al->src_bytes, size - (size_t) al->src_bytes };
    const char *langs [2] = { from, to };
    for (int k = 0; k < 2; k++)
        if ((int64_t) sides [k] > self->conf->max_article_bytes) {
            s_reject (self, msg, HNY_STATUS_TOO_LARGE, "the %s side of %zu bytes is over max_article_bytes (%lld)",
                      langs [k], sides [k], (long long) self->conf->max_article_bytes);
            return -1;
        }
    /* A side without text is no error: its sentences are all unlinked. */
    int blank [2] = { hny_alignjob_blank (body, sides [0]),
                      hny_alignjob_blank (body ? body + sides [0] : NULL, sides [1]) };
    if (blank [0] && blank [1]) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "both sides are empty");
        return -1;
    }
    for (int k = 0; k < 2; k++)
        al->prepared [k] = blank [k] ? (char *) hny_alignjob_empty_side () : NULL;
    al->target_source = (char *) hny_msg_get_str (msg, "target_source");
    return 0;
}

static void
s_submit (hny_front_t *self, hny_msg_t *msg)
{
    if (self->draining) {
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "honyakud is shutting down");
        return;
    }
    /* Languages are stored, hashed into the derived key and matched in
       the translation memory in their canonical BCP 47 form, whatever the
       client wrote ("EN", "pt_br"); a tag that names no language is 400. */
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1], why [HNY_LANG_WHY_MAX];
    if (hny_lang_canonical (hny_msg_get_str (msg, "from"), from, why, sizeof why)) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "from: %s", why);
        return;
    }
    if (hny_lang_canonical (hny_msg_get_str (msg, "to"), to, why, sizeof why)) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "to: %s", why);
        return;
    }
    const char *kind_name = hny_msg_get_str (msg, "kind");
    int kind = kind_name ? hny_job_kind_parse (kind_name) : HNY_JOB_TRANSLATE;
    if (kind < 0) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "unknown kind \"%.16s\" (translate or align)", kind_name);
        return;
    }
    const char *backend = hny_msg_get_str (msg, "backend");
    int profile = -1;
    const char *pname = HNY_BACKEND_ALIGNED;
    const char *align_profile = NULL;
    if (kind == HNY_JOB_ALIGN) {
        /* An alignment of two human texts; with a backend, the source is
           machine-translated through that profile to guide it (12.6). */
        if (backend && strcmp (backend, HNY_BACKEND_ALIGNED)) {
            profile = hny_sched_profile_find (self->sched, backend);
            if (profile < 0) {
                s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "unknown backend \"%.64s\"", backend);
                return;
            }
            align_profile = hny_sched_profile_conf (self->sched, profile)->name;
        }
        if (strcmp (from, to) == 0) {
            s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "from and to are both %s: an alignment "
                      "needs two languages", from);
            return;
        }
    }
    else {
        profile = backend ? hny_sched_profile_find (self->sched, backend) : self->default_profile;
        if (profile < 0) {
            s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "unknown backend \"%.64s\"", backend);
            return;
        }
        pname = hny_sched_profile_conf (self->sched, profile)->name;
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
    hny_align_row_t al = { 0 };
    if (kind == HNY_JOB_ALIGN) {
        if (s_align_sides (self, msg, from, to, body, size, &al))
            return;
        al.profile = (char *) align_profile;   /* borrowed, as target_source */
    }
    else if (!body || size == 0) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "the article is empty");
        return;
    }
    else if ((int64_t) size > self->conf->max_article_bytes) {
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
    /* An align job's key covers both sides, where they split, and the
       languages (the body is both sides). */
    char hash [33], split [24];
    snprintf (split, sizeof split, "%lld", (long long) al.src_bytes);
    /* ... and, with a backend, its profile (one without keeps its key). */
    const char *parts [8] = { from, to, pname, format, lenient ? "1" : "0", "align", split, align_profile };
    s_content_hash (parts, kind != HNY_JOB_ALIGN ? 5 : align_profile ? 8 : 7, body, size, hash);
    const char *given = hny_msg_get_str (msg, "key");
    char *key = given ? hny_strdup (given) : hny_sprintf ("auto:%s", hash);

    /* Admission (PROTOCOL.md section 8): a known key is answered whatever
       the load or the disk; a new one needs room in the queue and a store
       that takes writes. */
    hny_job_row_t row = { 0 };
    int found = hny_store_job_by_key (self->store, key, &row);
    if (found < 0)
        s_reject_store (self, msg);
    else if (found == 1 && strcmp (row.hash, hash) != 0)
        s_reject (self, msg, HNY_STATUS_CONFLICT, "key \"%.64s\" was used for job %lld with other content or options",
                  key, (long long) row.id);
    else if (found == 1) {
        /* The pipeline's state while the job runs, else the row's (one
           indexed lookup by key in all: the no-op re-run's path). */
        hny_job_info_t info;
        hny_job_state_t state = hny_pipeline_job_info (self->pipeline, row.id, &info) ? info.state : row.state;
        s_accepted (self, msg, row.id, key, 1, state);
        hny_debug ("job %lld: submitted again (key %s)", (long long) row.id, key);
    }
    else if (self->store_mode != HNY_STORE_OK)
        s_reject_store (self, msg);
    else if ((int64_t) hny_pipeline_unfinished (self->pipeline) >= self->conf->max_jobs_queued)
        s_reject (self, msg, HNY_STATUS_BUSY, "%zu unfinished jobs, the most max_jobs_queued allows: retry later",
                  hny_pipeline_unfinished (self->pipeline));
    else {
        char *meta = metadata ? json_dumps (metadata, JSON_COMPACT) : NULL;
        hny_job_row_t job = {
            .key = key, .hash = hash, .from = from, .to = to,
            .backend = (char *) pname, .format = (char *) format, .lenient = lenient,
            .source = (char *) hny_msg_get_str (msg, "source"), .metadata = meta,
            .state = HNY_JOB_QUEUED,
        };
        int64_t id = 0;
        int64_t now = hny_clock_wall_ms ();
        int rc = hny_store_job_insert (self->store, &job, body, size, &id);
        if (rc == 0 && kind == HNY_JOB_ALIGN) {
            al.job = id;
            rc = hny_store_align_insert (self->store, &al)
              || hny_pipeline_align_new (self->pipeline, id, from, to, align_profile ? profile : -1, now);
        }
        else if (rc == 0)
            rc = hny_pipeline_job_new (self->pipeline, id, hash, from, to, profile, now);
        if (rc)
            s_reject_store (self, msg);
        else {
            /* Sent only if the pass commits (hny_broker.c turns it into
               507 otherwise). */
            s_accepted (self, msg, id, key, 0, HNY_JOB_QUEUED);
            /* debug: a bulk run submits thousands a minute; "done" (or
               the failure) is the job's line at info. */
            hny_debug ("job %lld: accepted (%zu bytes, %s -> %s, %s)", (long long) id, size, from, to, pname);
        }
        free (meta);
    }
    hny_job_row_clear (&row);
    free (key);
}

/* ------------------------------------------------------------- the other requests */

/* Look a job up for a request; answers 404 or the store failure and
   returns 0 unless found (1). */
static int
s_job_lookup (hny_front_t *self, hny_msg_t *msg, hny_job_row_t *row)
{
    int64_t id;
    const char *text = hny_msg_get_str (msg, "job");
    int rc = s_parse_id (text, &id) == 0 ? hny_store_job_get (self->store, id, row) : 0;
    if (rc < 0)
        s_reject_store (self, msg);
    else if (rc == 0)
        s_reject (self, msg, HNY_STATUS_NOT_FOUND, "no job \"%.64s\"", text ? text : "");
    return rc;
}

static void
s_status_daemon (hny_front_t *self, hny_msg_t *msg)
{
    hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_STATUS, HNY_STATUS_OK);
    json_t *h = hny_msg_header (reply);
    json_t *counts = hny_store_job_counts (self->store);
    json_object_set_new (h, "jobs", counts ? counts : json_object ());
    json_object_set_new (h, "workers", json_integer ((json_int_t) hny_sched_worker_count (self->sched)));
    json_object_set_new (h, "queue", json_pack ("{s:I, s:I}",
                                                "prepare", (json_int_t) hny_sched_queued (self->sched, HNY_TASK_PREPARE),
                                                "translate", (json_int_t) hny_sched_queued (self->sched, HNY_TASK_TRANSLATE)));
    json_t *profiles = json_array ();
    json_t *stats = hny_store_stats (self->store);
    for (size_t i = 0; i < hny_sched_profile_count (self->sched); i++) {
        const hny_profile_t *conf = hny_sched_profile_conf (self->sched, (int) i);
        int workers = hny_sched_profile_workers (self->sched, (int) i);
        json_t *p = json_pack ("{s:s, s:s, s:i}", "name", conf->name, "type", conf->type ? conf->type : "",
                               "workers", workers);
        const char *paused = hny_sched_profile_paused (self->sched, (int) i);
        if (paused)
            json_object_set_new (p, "paused", json_string (paused));
        /* The service's own account (DeepL /v2/usage), as last seen. */
        json_t *usage = json_object_get (json_object_get (stats, conf->name), "usage");
        if (usage)
            json_object_set (p, "usage", usage);
        if (workers == 0 && hny_sched_profile_queued (self->sched, (int) i) > 0) {
            char *text = hny_sprintf ("no worker serves profile %s", conf->name);
            json_object_set_new (p, "waiting", json_string (text));
            free (text);
        }
        json_array_append_new (profiles, p);
    }
    json_decref (stats);
    json_object_set_new (h, "profiles", profiles);
    hny_msg_set_str (reply, "store", self->store_mode == HNY_STORE_OK ? "ok"
                                   : self->store_mode == HNY_STORE_FULL ? "full" : "failed");
    hny_msg_set_str (reply, "version", self->version);
    if (self->draining)
        json_object_set_new (h, "draining", json_true ());
    s_post (self, &reply);
}

static void
s_status (hny_front_t *self, hny_msg_t *msg)
{
    if (!json_object_get (hny_msg_header (msg), "job")) {
        s_status_daemon (self, msg);
        return;
    }
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_STATUS, HNY_STATUS_OK);
    s_set_job (reply, row.id);
    hny_msg_set_str (reply, "key", row.key);
    hny_job_info_t info;
    if (hny_pipeline_job_info (self->pipeline, row.id, &info)) {
        hny_msg_set_str (reply, "state", hny_job_state_name (info.state));
        const char *paused = hny_sched_profile_paused (self->sched, info.profile);
        if (paused && info.state == HNY_JOB_TRANSLATING && info.pending > 0) {
            int fb = hny_sched_profile_diverts (self->sched, info.profile, hny_clock_mono_ms ());
            char *text = fb >= 0 ? hny_sprintf ("%s (pending segments go to %s)", paused,
                                                hny_sched_profile_conf (self->sched, fb)->name)
                                 : hny_strdup (paused);
            hny_msg_set_str (reply, "paused", text);
            free (text);
        }
        char buf [128];
        const char *waiting = hny_pipeline_waiting (self->pipeline, &info, buf, sizeof buf);
        if (waiting)
            hny_msg_set_str (reply, "waiting", waiting);
    }
    else if (row.seg_total >= 0) {
        /* A final job keeps the counts of the segments its record holds. */
        info.total = row.seg_total;
        info.done = row.seg_done;
        info.failed = row.seg_failed;
        hny_msg_set_str (reply, "state", hny_job_state_name (row.state));
    }
    else {
        if (hny_store_segment_counts (self->store, row.id, &info.total, &info.done, &info.failed))
            info.total = info.done = info.failed = 0;
        hny_msg_set_str (reply, "state", hny_job_state_name (row.state));
        /* An align job's segments are its links (12.6), counted in its
           align row: it has none in the segments table. */
        hny_align_row_t al = { 0 };
        if (hny_job_kind_of_backend (row.backend) == HNY_JOB_ALIGN
        &&  hny_store_align_get (self->store, row.id, &al) == 1 && al.links >= 0)
            info.total = info.done = (int) al.links;
        hny_align_row_clear (&al);
    }
    hny_msg_set_int (reply, "segments", info.total);
    hny_msg_set_int (reply, "done", info.done);
    hny_msg_set_int (reply, "failed", info.failed);
    if (row.error)
        hny_msg_set_str (reply, "error", row.error);
    hny_msg_set_int (reply, "created", row.created);
    hny_msg_set_str (reply, "backend", row.backend);
    s_post (self, &reply);
    hny_job_row_clear (&row);
}

static void
s_wait (hny_front_t *self, hny_msg_t *msg)
{
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    hny_job_info_t info;
    int active = hny_pipeline_job_info (self->pipeline, row.id, &info);
    int64_t timeout = hny_msg_get_int (msg, "timeout_ms", 30000);
    size_t rid_size = 0;
    const uint8_t *rid = hny_msg_routing_id (msg, &rid_size);
    hny_waiter_t now = {
        .rid = rid, .rid_size = rid_size, .req = json_object_get (hny_msg_header (msg), "req"),
        .job = row.id,
    };
    if (!active) {
        s_answer_t a = { self, HNY_STATUS_OK, 1, row.state };
        s_done_reply (&now, &a);
    }
    else if (timeout <= 0) {
        s_answer_t a = { self, HNY_STATUS_RETRY, 1, info.state };
        s_done_reply (&now, &a);
    }
    else if (hny_waiters_add (self->waiters, rid, rid_size, json_object_get (hny_msg_header (msg), "req"),
                              row.id, hny_clock_mono_ms () + timeout) != 0)
        s_reject (self, msg, HNY_STATUS_UNAVAILABLE, "%zu clients are waiting already: wait again later",
                  hny_waiters_count (self->waiters));
    hny_job_row_clear (&row);
}

static void
s_fetch (hny_front_t *self, hny_msg_t *msg)
{
    hny_job_row_t row = { 0 };
    if (s_job_lookup (self, msg, &row) != 1)
        return;
    /* The pipeline's state while the job is not final, else the store's. */
    hny_job_info_t info;
    hny_job_state_t state = hny_pipeline_job_info (self->pipeline, row.id, &info) ? info.state : row.state;
    char *record = NULL;
    int rc = 0;
    if (!hny_job_state_final (state))
        s_reject (self, msg, HNY_STATUS_RETRY, "job %lld is %s", (long long) row.id,
                  hny_job_state_name (state));
    else if ((rc = hny_store_record_get (self->store, row.id, &record)) < 0)
        s_reject_store (self, msg);
    else if (rc == 0)
        s_reject (self, msg, HNY_STATUS_INTERNAL, "job %lld has no record", (long long) row.id);
    else {
        hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_RECORD, HNY_STATUS_OK);
        s_set_job (reply, row.id);
        hny_msg_take_body (reply, record, strlen (record));
        record = NULL;
        s_post (self, &reply);
    }
    free (record);
    hny_job_row_clear (&row);
}

static void
s_list (hny_front_t *self, hny_msg_t *msg)
{
    int64_t after = 0;
    const char *text = hny_msg_get_str (msg, "after");
    if (text && s_parse_id (text, &after)) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "after must be a job id");
        return;
    }
    const char *state = hny_msg_get_str (msg, "state");
    if (state && hny_job_state_parse (state) < 0) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "unknown job state \"%.16s\"", state);
        return;
    }
    int limit = (int) hny_msg_get_int (msg, "limit", 100);
    if (limit < 1 || limit > 1000)
        limit = 100;
    int more = 0;
    json_t *jobs = hny_store_job_list (self->store, after, limit, state, &more);
    if (!jobs) {
        s_reject_store (self, msg);
        return;
    }
    /* A page whose header would pass the 64 KiB cap is cut short (with
       `next`): long keys make long pages. */
    size_t bytes = 256;
    for (size_t i = 0; i < json_array_size (jobs); i++) {
        char *item = json_dumps (json_array_get (jobs, i), JSON_COMPACT);
        bytes += strlen (item) + 1;
        free (item);
        if (bytes > HNY_PROTO_HEADER_MAX - 1024 && i > 0) {
            while (json_array_size (jobs) > i)
                json_array_remove (jobs, json_array_size (jobs) - 1);
            more = 1;
            break;
        }
    }
    hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_LISTING, HNY_STATUS_OK);
    if (more && json_array_size (jobs))
        json_object_set (hny_msg_header (reply), "next",
                         json_object_get (json_array_get (jobs, json_array_size (jobs) - 1), "job"));
    json_object_set_new (hny_msg_header (reply), "jobs", jobs);
    s_post (self, &reply);
}

json_t *
hny_front_stats (hny_front_t *self)
{
    json_t *stats = hny_store_stats (self->store);
    json_t *jobs = stats ? hny_store_job_counts (self->store) : NULL;
    if (!jobs) {
        json_decref (stats);
        return NULL;
    }
    /* Every state, 0 when no job is in it: a series that comes and goes
       reads as missing data to a monitoring system. */
    for (int state = 0; state < HNY_JOB_STATE_COUNT; state++) {
        const char *name = hny_job_state_name ((hny_job_state_t) state);
        if (!json_object_get (jobs, name))
            json_object_set_new (jobs, name, json_integer (0));
    }
    /* The profiles honyakud runs get their live state and in-memory counts;
       profiles only the store remembers keep their stored counters. */
    json_int_t leased_translate = 0;
    for (size_t i = 0; i < hny_sched_profile_count (self->sched); i++) {
        const hny_profile_t *conf = hny_sched_profile_conf (self->sched, (int) i);
        json_t *p = json_object_get (stats, conf->name);
        if (!p) {
            p = json_pack ("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "tm_hits", 0, "tm_human_hits", 0,
                           "tm_misses", 0,
                           "chars_billed", 0, "requests", 0, "segments", 0, "prompt_tokens", 0,
                           "completion_tokens", 0);
            json_object_set_new (stats, conf->name, p);
        }
        int inflight = hny_sched_profile_inflight (self->sched, (int) i);
        leased_translate += inflight;
        json_object_set_new (p, "type", json_string (conf->type ? conf->type : ""));
        json_object_set_new (p, "workers",
                             json_integer (hny_sched_profile_workers (self->sched, (int) i)));
        json_object_set_new (p, "queued",
                             json_integer ((json_int_t) hny_sched_profile_queued (self->sched, (int) i)));
        json_object_set_new (p, "leased", json_integer (inflight));
        const char *paused = hny_sched_profile_paused (self->sched, (int) i);
        if (paused)
            json_object_set_new (p, "paused", json_string (paused));
        if (self->meter)
            hny_meter_profile_stats (self->meter, (int) i, p);
    }
    const char *name;
    json_t *p;
    json_object_foreach (stats, name, p) {
        json_int_t reqs = json_integer_value (json_object_get (p, "requests"));
        json_int_t segs = json_integer_value (json_object_get (p, "segments"));
        json_object_set_new (p, "requests_per_segment", json_real (segs > 0 ? (double) reqs / (double) segs : 0.0));
        json_object_set_new (p, "segments_per_request", json_real (reqs > 0 ? (double) segs / (double) reqs : 0.0));
    }
    json_int_t leased = (json_int_t) hny_sched_leased_count (self->sched);
    json_t *doc = json_pack (
        "{s:o, s:o, s:I, s:{s:I, s:I}, s:{s:I, s:I}}", "profiles", stats, "jobs", jobs,
        "workers", (json_int_t) hny_sched_worker_count (self->sched),
        "queue", "prepare", (json_int_t) hny_sched_queued (self->sched, HNY_TASK_PREPARE),
                 "translate", (json_int_t) hny_sched_queued (self->sched, HNY_TASK_TRANSLATE),
        "leased", "prepare", leased - leased_translate, "translate", leased_translate);
    if (self->meter)
        hny_meter_stats (self->meter, doc);
    return doc;
}

static void
s_stats (hny_front_t *self, hny_msg_t *msg)
{
    json_t *stats = hny_front_stats (self);
    if (!stats) {
        s_reject_store (self, msg);
        return;
    }
    hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_STATS, HNY_STATUS_OK);
    json_object_update (hny_msg_header (reply), stats);
    json_decref (stats);
    s_post (self, &reply);
}

/* ------------------------------------------------------------- TM import, export */

/* Both languages of a TM request, canonical (when need: required; else
   both or neither). 0, or -1 after answering 400. */
static int
s_tm_pair (hny_front_t *self, hny_msg_t *msg, int need, char *from, char *to)
{
    const char *f = hny_msg_get_str (msg, "from"), *t = hny_msg_get_str (msg, "to");
    char why [160];
    if (!need && !f && !t) {
        from [0] = to [0] = 0;
        return 0;
    }
    if (!f || !t)
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "give both from and to, or neither");
    else if (hny_lang_canonical (f, from, why, sizeof why))
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "from: %s", why);
    else if (hny_lang_canonical (t, to, why, sizeof why))
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "to: %s", why);
    else if (strcmp (from, to) == 0)
        s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "from and to are both %s", from);
    else
        return 0;
    return -1;
}

/* The counts of the pair's entries into a TM reply. */
static int
s_tm_counts (hny_front_t *self, hny_msg_t *reply, const char *from, const char *to)
{
    int64_t human = 0, machine = 0;
    if (hny_store_tm_count (self->store, *from ? from : NULL, *to ? to : NULL, &human, &machine))
        return -1;
    hny_msg_set_int (reply, "human", human);
    hny_msg_set_int (reply, "machine", machine);
    return 0;
}

/* TMIMPORT (PROTOCOL.md 5.1): every pair of the body is checked before
   any is written, and all are written in this pass's transaction, so an
   import is kept whole or not at all. */
static void
s_tm_import (hny_front_t *self, hny_msg_t *msg)
{
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    if (s_tm_pair (self, msg, 1, from, to))
        return;
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    json_error_t jerr;
    json_t *pairs = json_loadb ((const char *) body, size, JSON_REJECT_DUPLICATES, &jerr);
    size_t count = json_array_size (pairs), bad = count;
    for (size_t i = 0; bad == count && i < count; i++) {
        json_t *pair = json_array_get (pairs, i);
        json_t *src = json_array_get (pair, 0), *tgt = json_array_get (pair, 1);
        if (json_array_size (pair) != 2 || !json_is_string (src) || !json_is_string (tgt)
        ||  !json_string_length (src) || !json_string_length (tgt)
        ||  json_string_length (src) > HNY_TM_TEXT_MAX || json_string_length (tgt) > HNY_TM_TEXT_MAX)
            bad = i;
    }
    if (!json_is_array (pairs))
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "TMIMPORT: the body is not a JSON array%s%s",
                  pairs ? "" : ": ", pairs ? "" : jerr.text);
    else if (count == 0 || count > HNY_TM_IMPORT_MAX)
        s_reject (self, msg, count ? HNY_STATUS_TOO_LARGE : HNY_STATUS_UNPROCESSABLE,
                  "TMIMPORT: %zu entries (1 to %d an import)", count, HNY_TM_IMPORT_MAX);
    else if (bad < count)
        s_reject (self, msg, HNY_STATUS_UNPROCESSABLE, "TMIMPORT: entry %zu is not [src, tgt] of two"
                  " non-empty strings of at most %d bytes: nothing imported", bad + 1, HNY_TM_TEXT_MAX);
    else if (self->store_mode != HNY_STORE_OK)
        s_reject_store (self, msg);
    else {
        const char *origin = hny_msg_get_str (msg, "origin");
        int rc = 0;
        for (size_t i = 0; !rc && i < count; i++) {
            json_t *pair = json_array_get (pairs, i);
            rc = hny_store_tm_put_human (self->store, from, to, json_string_value (json_array_get (pair, 0)),
                                         json_string_value (json_array_get (pair, 1)), origin);
        }
        hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_TM, HNY_STATUS_OK);
        if (rc || s_tm_counts (self, reply, from, to)) {
            hny_msg_destroy (&reply);
            s_reject_store (self, msg);
        }
        else {
            /* Sent only if the pass commits (as ACCEPTED is). */
            hny_msg_set_int (reply, "imported", (int64_t) count);
            s_post (self, &reply);
            hny_info ("TM: %zu human entries imported (%s -> %s) from %s", count, from, to, origin);
        }
    }
    json_decref (pairs);
}

/* TMEXPORT: one page of entries as the body of a TM reply. */
static void
s_tm_export (hny_front_t *self, hny_msg_t *msg)
{
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    if (s_tm_pair (self, msg, 0, from, to))
        return;
    const char *origin = hny_msg_get_str (msg, "origin");
    int which = !origin || strcmp (origin, "all") == 0 ? 0 : strcmp (origin, "human") == 0 ? 1
              : strcmp (origin, "machine") == 0 ? 2 : -1;
    if (which < 0) {
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "origin must be human, machine or all");
        return;
    }
    char *next = NULL;
    json_t *entries = hny_tm_export (self->tm, *from ? from : NULL, *to ? to : NULL, which,
                                     hny_msg_get_str (msg, "after"),
                                     (int) hny_msg_get_int (msg, "limit", 1000), &next);
    if (!entries && hny_msg_get_str (msg, "after"))
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "after is not a cursor a TM reply gave");
    else if (!entries)
        s_reject_store (self, msg);
    else {
        hny_msg_t *reply = hny_msg_new_reply (msg, HNY_MSG_TM, HNY_STATUS_OK);
        char *text = json_dumps (entries, JSON_COMPACT);
        if (next)
            hny_msg_set_str (reply, "next", next);
        hny_msg_set_int (reply, "entries", (int64_t) json_array_size (entries));
        hny_msg_take_body (reply, text, strlen (text));
        if (s_tm_counts (self, reply, from, to)) {
            hny_msg_destroy (&reply);
            s_reject_store (self, msg);
        }
        else
            s_post (self, &reply);
    }
    json_decref (entries);
    free (next);
}

void
hny_front_handle (hny_front_t *self, hny_msg_t *msg)
{
    switch (hny_msg_id (msg)) {
    case HNY_MSG_INVALID: {
        hny_msg_t *reply = hny_msg_new_rejected (msg, hny_msg_error_status (msg),
                                                 hny_msg_error_reason (msg));
        hny_debug ("client message rejected: %d %s", hny_msg_error_status (msg),
                   hny_msg_error_reason (msg));
        s_post (self, &reply);
        break;
    }
    case HNY_MSG_SUBMIT: s_submit (self, msg); break;
    case HNY_MSG_STATUS: s_status (self, msg); break;
    case HNY_MSG_WAIT:   s_wait (self, msg); break;
    case HNY_MSG_FETCH:  s_fetch (self, msg); break;
    case HNY_MSG_LIST:   s_list (self, msg); break;
    case HNY_MSG_STATS:  s_stats (self, msg); break;
    case HNY_MSG_TMIMPORT: s_tm_import (self, msg); break;
    case HNY_MSG_TMEXPORT: s_tm_export (self, msg); break;
    default:
        s_reject (self, msg, HNY_STATUS_BAD_REQUEST, "%s is not a client request",
                  hny_msg_command_name (hny_msg_id (msg)));
        break;
    }
}

/* ------------------------------------------------------------- life cycle */

hny_front_t *
hny_front_new (hny_store_t *store, hny_sched_t *sched, hny_pipeline_t *pipeline,
               const hny_daemon_conf_t *conf, const char *version, hny_front_post_fn *post, void *arg)
{
    assert (store && sched && pipeline && conf && post);
    hny_front_t *self = hny_calloc (1, sizeof *self);
    self->waiters = hny_waiters_new (S_WAITERS_MAX);
    self->store = store;
    self->sched = sched;
    self->pipeline = pipeline;
    self->conf = conf;
    self->version = version;
    self->post = post;
    self->post_arg = arg;
    self->tm = hny_tm_new (store);
    /* The default profile: [daemon] default_backend, else the first one in
       the file, else the built-in pseudo. */
    self->default_profile = conf->default_backend ? hny_sched_profile_find (sched, conf->default_backend)
                          : hny_sched_profile_count (sched) ? 0 : -1;
    if (self->default_profile < 0)
        self->default_profile = hny_sched_profile_find (sched, "pseudo");
    return self;
}

void
hny_front_destroy (hny_front_t **self_p)
{
    assert (self_p);
    hny_front_t *self = *self_p;
    if (!self)
        return;
    hny_waiters_destroy (&self->waiters);
    hny_tm_destroy (&self->tm);
    free (self);
    *self_p = NULL;
}

void
hny_front_set_meter (hny_front_t *self, const hny_meter_t *meter)
{
    self->meter = meter;
}

void
hny_front_set_draining (hny_front_t *self, int draining)
{
    self->draining = draining;
}

void
hny_front_set_store_mode (hny_front_t *self, hny_store_mode_t mode)
{
    self->store_mode = mode;
}

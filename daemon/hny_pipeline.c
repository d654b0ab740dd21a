/*  hny_pipeline.c: what happens to a job between ACCEPTED and DONE.

    prepare RESULT -> segments stored (title = paragraph -1), raw content
    dropped -> each segment looked up in the translation memory: hits are
    filled at once; misses wait on a "pending" entry per distinct source
    (profile, languages, text), so identical misses across jobs are sent
    once -> entries are packed into translate tasks within the profile's
    max_texts, max_bytes, chars_per_minute and one context per task (the
    paragraph before, for context-taking types) -> translate RESULT fills
    every waiting segment and the TM, or retries (transient, with backoff
    and Retry-After), fails (permanent) or pauses the profile; while a
    profile is paused its pending entries move to its fallback, if any ->
    when a job has nothing pending its record is assembled
    (include/honyaku/record.h) and its waiters are answered. The rules are
    in proto/PROTOCOL.md sections 5.4 and 13.

    Every change goes to the store inside the loop pass's transaction. */
#include "hny_broker_int.h"

#include <honyaku/record.h>
#include <honyaku/util.h>

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RETRY_MAX_MS      120000      /* longest backoff before a retry */
#define S_RETRY_GROWTH      1.6         /* backoff factor per try */
#define S_RETRY_JITTER      0.23        /* +- this share of the backoff */
#define S_PAUSE_MAX_MS      60000       /* longest pause between probes */

/* ------------------------------------------------------------- jobs */

static void
s_job_key (int64_t id, char buf [24])
{
    snprintf (buf, 24, "%lld", (long long) id);
}

hny_bjob_t *
hny_pipeline_job (hny_broker_t *self, int64_t id)
{
    char key [24];
    s_job_key (id, key);
    return hny_map_get (self->jobs, key);
}

static hny_bjob_t *
s_job_track (hny_broker_t *self, int64_t id, const char *state, const char *from, const char *to,
             hny_bprofile_t *profile, int64_t created)
{
    hny_bjob_t *job = hny_calloc (1, sizeof *job);
    job->id = id;
    job->state = hny_strdup (state);
    job->from = hny_strdup (from);
    job->to = hny_strdup (to);
    job->profile = profile;
    job->created = created;
    char key [24];
    s_job_key (id, key);
    hny_map_set (self->jobs, key, job);
    if (strcmp (state, "preparing") == 0 || strcmp (state, "translating") == 0)
        self->active_jobs++;
    return job;
}

static void
s_job_free (hny_bjob_t **job_p)
{
    hny_bjob_t *job = *job_p;
    if (!job)
        return;
    free (job->state);
    free (job->from);
    free (job->to);
    free (job->error);
    free (job);
    *job_p = NULL;
}

static void
s_job_untrack (hny_broker_t *self, hny_bjob_t **job_p)
{
    hny_bjob_t *job = *job_p;
    char key [24];
    s_job_key (job->id, key);
    hny_map_delete (self->jobs, key);
    if (strcmp (job->state, "preparing") == 0 || strcmp (job->state, "translating") == 0)
        self->active_jobs--;
    s_job_free (job_p);
}

static void
s_job_set_state (hny_broker_t *self, hny_bjob_t *job, const char *state)
{
    int was = strcmp (job->state, "preparing") == 0 || strcmp (job->state, "translating") == 0;
    int is = strcmp (state, "preparing") == 0 || strcmp (state, "translating") == 0;
    self->active_jobs += is - was;
    free (job->state);
    job->state = hny_strdup (state);
    if (hny_store_job_set_state (self->store, job->id, state, NULL, 0))
        hny_broker_store_failed (self);
}

int
hny_pipeline_job_new (hny_broker_t *self, int64_t id, const char *from, const char *to,
                      hny_bprofile_t *profile, int64_t created)
{
    hny_bjob_t *job = s_job_track (self, id, "queued", from, to, profile, created);
    hny_btask_t *task = hny_calloc (1, sizeof *task);
    task->kind = HNY_TASK_PREPARE;
    task->job = id;
    if (hny_store_task_add (self->store, "prepare", id, NULL, &task->id)) {
        hny_broker_task_free (&task);
        s_job_untrack (self, &job);
        return -1;
    }
    job->has_task = 1;
    hny_broker_task_enqueue (self, task);
    return 0;
}

void
hny_pipeline_job_preparing (hny_broker_t *self, hny_bjob_t *job)
{
    if (strcmp (job->state, "queued") == 0)
        s_job_set_state (self, job, "preparing");
}

/* ------------------------------------------------------------- records */

typedef struct {
    json_t *title;              /* {"src","tgt"} or NULL */
    json_t *paragraphs;
    json_t *errors;
    int64_t segments, chars, tm_hits;
} s_build_t;

static int64_t
s_utf8_chars (const char *s)
{
    int64_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xC0) != 0x80;
    return n;
}

static int
s_build_segment (const hny_segment_row_t *row, void *arg)
{
    s_build_t *b = arg;
    json_t *pair = json_pack ("{s:s, s:o, s:b}", "src", row->src,
                              "tgt", row->tgt ? json_string (row->tgt) : json_null (),
                              "tm", row->tm);
    if (row->backend)
        json_object_set_new (pair, "backend", json_string (row->backend));
    if (strcmp (row->state, "done") == 0 && row->err_class && strcmp (row->err_class, "warning") == 0)
        json_object_set_new (pair, "warning", json_string (row->reason ? row->reason : "warning"));
    if (row->para < 0) {
        json_object_del (pair, "tm");
        json_decref (b->title);
        b->title = pair;
    }
    else {
        while ((int) json_array_size (b->paragraphs) <= row->para)
            json_array_append_new (b->paragraphs, json_pack ("{s:[]}", "segments"));
        json_t *para = json_array_get (b->paragraphs, (size_t) row->para);
        json_array_append_new (json_object_get (para, "segments"), pair);
    }
    if (strcmp (row->state, "failed") == 0)
        json_array_append_new (b->errors, json_pack ("{s:i, s:i, s:i, s:s, s:s}",
                                                     "paragraph", row->para, "segment", row->idx,
                                                     "code", row->code,
                                                     "class", row->err_class ? row->err_class : "permanent",
                                                     "reason", row->reason ? row->reason : "failed"));
    b->segments++;
    b->chars += s_utf8_chars (row->src);
    b->tm_hits += row->tm != 0;
    return 0;
}

/* Assemble a job's record (record.h) as JSON text; caller owns. With
   fail_code set, the job failed before it had segments. */
static char *
s_record_build (hny_broker_t *self, int64_t id, int fail_code, const char *fail_reason)
{
    hny_job_row_t row = { 0 };
    if (hny_store_job_get (self->store, id, &row) != 1) {
        hny_broker_store_failed (self);
        return NULL;
    }
    json_t *metadata = json_object ();
    json_t *prepared = row.prepared ? json_loads (row.prepared, 0, NULL) : NULL;
    if (prepared) {
        json_t *pm = json_object_get (prepared, "metadata");
        if (json_is_object (pm))
            json_object_update (metadata, pm);
        const char *names [] = { "charset", "format" };
        for (size_t i = 0; i < 2; i++) {
            json_t *v = json_object_get (prepared, names [i]);
            if (json_is_string (v))
                json_object_set (metadata, names [i], v);
        }
    }
    json_t *given = row.metadata ? json_loads (row.metadata, 0, NULL) : NULL;
    if (json_is_object (given))
        json_object_update (metadata, given);
    if (row.source)
        json_object_set_new (metadata, "source", json_string (row.source));

    s_build_t b = { .title = NULL, .paragraphs = json_array (), .errors = json_array () };
    if (hny_store_segments (self->store, id, s_build_segment, &b))
        hny_broker_store_failed (self);
    if (fail_code)
        json_array_append_new (b.errors, json_pack ("{s:n, s:n, s:i, s:s, s:s}", "paragraph", "segment",
                                                    "code", fail_code, "class", "permanent",
                                                    "reason", fail_reason ? fail_reason : "failed"));
    char job [24];
    s_job_key (id, job);
    json_t *record = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}",
                                "schema", HNY_RECORD_SCHEMA, "job", job, "key", row.key,
                                "source_lang", row.from, "target_lang", row.to,
                                "backend", row.backend, "metadata", metadata,
                                "title", b.title ? b.title : json_null (),
                                "paragraphs", b.paragraphs, "errors", b.errors);
    json_object_set_new (record, "stats",
                         json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I}",
                                    "segments", (json_int_t) b.segments, "chars", (json_int_t) b.chars,
                                    "chars_billed", (json_int_t) row.chars_billed,
                                    "tm_hits", (json_int_t) b.tm_hits,
                                    "requests", (json_int_t) row.requests,
                                    "time_ms", (json_int_t) (hny_clock_wall_ms () - row.created)));
    char *text = json_dumps (record, JSON_COMPACT);
    json_decref (record);
    json_decref (prepared);
    json_decref (given);
    hny_job_row_clear (&row);
    return text;
}

/* The job is final: store its record and state, answer waiters, forget it. */
static void
s_job_finish (hny_broker_t *self, hny_bjob_t *job, int fail_code, const char *fail_reason)
{
    const char *state = fail_code || job->failed ? "failed" : "done";
    char *error = NULL;
    int code = fail_code;
    if (fail_code)
        error = hny_strdup (fail_reason ? fail_reason : "failed");
    else if (job->failed) {
        error = hny_sprintf ("%d of %d segments failed: %s", job->failed, job->total,
                             job->error ? job->error : "failed");
        code = job->error_code;
    }
    char *record = s_record_build (self, job->id, fail_code, fail_reason);
    if (record && hny_store_record_put (self->store, job->id, record))
        hny_broker_store_failed (self);
    if (hny_store_job_set_state (self->store, job->id, state, error, code))
        hny_broker_store_failed (self);
    if (error)
        hny_warn ("job %lld: %s: %s", (long long) job->id, state, error);
    else
        hny_info ("job %lld: done (%d segments)", (long long) job->id, job->total);
    int64_t id = job->id;
    s_job_untrack (self, &job);
    hny_broker_wake_waiters (self, id, state);
    free (record);
    free (error);
}

static void
s_job_check (hny_broker_t *self, hny_bjob_t *job)
{
    if (job && job->pending == 0 && strcmp (job->state, "translating") == 0)
        s_job_finish (self, job, 0, NULL);
}

/* ------------------------------------------------------------- context */

int
hny_pipeline_takes_context (const hny_bprofile_t *profile)
{
    const char *type = profile->conf->type;
    return type && (strcmp (type, "deepl") == 0 || strcmp (type, "openai") == 0);
}

/* The context of a paragraph's segments: the end of the paragraph before
   (its segments joined by spaces), at most HNY_CONTEXT_MAX bytes, cut at a
   character boundary. Caller owns; NULL when there is none. */
static char *
s_context_make (const char *prev_para)
{
    if (!prev_para || !*prev_para)
        return NULL;
    size_t len = strlen (prev_para);
    const char *start = prev_para;
    if (len > HNY_CONTEXT_MAX) {
        start = prev_para + len - HNY_CONTEXT_MAX;
        while (*start && ((unsigned char) *start & 0xC0) == 0x80)
            start++;
    }
    return *start ? hny_strdup (start) : NULL;
}

/* Append a segment to a paragraph's text (for the next paragraph's context). */
static void
s_para_append (char **text, const char *src)
{
    char *joined = *text ? hny_sprintf ("%s %s", *text, src) : hny_strdup (src);
    free (*text);
    /* Only the tail is ever used: keep it bounded. */
    size_t len = strlen (joined);
    if (len > 4 * HNY_CONTEXT_MAX) {
        char *tail = hny_strdup (joined + len - 2 * HNY_CONTEXT_MAX);
        free (joined);
        joined = tail;
    }
    *text = joined;
}

static int
s_same_context (const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp (a, b) == 0);
}

/* ------------------------------------------------------------- pending sources */

static char *
s_pend_key (const char *profile, const char *from, const char *to, const char *src)
{
    return hny_sprintf ("%s\x1f%s\x1f%s\x1f%s", profile, from, to, src);
}

static void
s_pend_free (hny_pend_t **pend_p)
{
    hny_pend_t *pend = *pend_p;
    if (!pend)
        return;
    free (pend->key);
    free (pend->src);
    free (pend->context);
    free (pend->from);
    free (pend->to);
    free (pend->segs);
    free (pend);
    *pend_p = NULL;
}

/* The entry for a source, created (unassigned, not yet listed) when new. */
static hny_pend_t *
s_pend_get (hny_broker_t *self, hny_bprofile_t *profile, const char *from, const char *to,
            const char *src, const char *context, int *created)
{
    char *key = s_pend_key (profile->conf->name, from, to, src);
    hny_pend_t *pend = hny_map_get (self->pending, key);
    *created = 0;
    if (pend) {
        free (key);
        return pend;
    }
    pend = hny_calloc (1, sizeof *pend);
    pend->key = key;
    pend->src = hny_strdup (src);
    pend->context = context && *context && hny_pipeline_takes_context (profile)
                  ? s_context_make (context) : NULL;
    pend->profile = profile;
    pend->from = hny_strdup (from);
    pend->to = hny_strdup (to);
    hny_map_set (self->pending, key, pend);
    *created = 1;
    return pend;
}

static void
s_pend_add_seg (hny_pend_t *pend, int64_t job, int para, int idx)
{
    if (pend->seg_count == pend->seg_alloc) {
        pend->seg_alloc = pend->seg_alloc ? pend->seg_alloc * 2 : 2;
        pend->segs = hny_realloc (pend->segs, pend->seg_alloc * sizeof *pend->segs);
    }
    pend->segs [pend->seg_count++] = (hny_waiter_seg_t) { job, para, idx };
}

static void
s_pend_unassign (hny_broker_t *self, hny_pend_t *pend, int64_t not_before)
{
    pend->task = NULL;
    pend->not_before = not_before;
    pend->next_free = self->unassigned;
    self->unassigned = pend;
}

/* Fill every segment waiting on pend, store the TM entry, free pend. */
static void
s_pend_fill (hny_broker_t *self, hny_pend_t *pend, const char *tgt, const char *warning)
{
    if (hny_store_tm_put (self->store, pend->from, pend->to, pend->profile->conf->name, pend->src, tgt))
        hny_broker_store_failed (self);
    for (size_t i = 0; i < pend->seg_count; i++) {
        hny_waiter_seg_t *seg = &pend->segs [i];
        if (hny_store_segment_fill (self->store, seg->job, seg->para, seg->idx, tgt, 0))
            hny_broker_store_failed (self);
        if (warning && hny_store_segment_warn (self->store, seg->job, seg->para, seg->idx, warning))
            hny_broker_store_failed (self);
        hny_bjob_t *job = hny_pipeline_job (self, seg->job);
        if (job && job->profile != pend->profile
        &&  hny_store_segment_set_backend (self->store, seg->job, seg->para, seg->idx,
                                           pend->profile->conf->name))
            hny_broker_store_failed (self);
        if (job) {
            job->done++;
            job->pending--;
            s_job_check (self, job);
        }
    }
    hny_map_delete (self->pending, pend->key);
    s_pend_free (&pend);
}

static void
s_pend_fail (hny_broker_t *self, hny_pend_t *pend, int code, const char *err_class, const char *reason)
{
    for (size_t i = 0; i < pend->seg_count; i++) {
        hny_waiter_seg_t *seg = &pend->segs [i];
        if (hny_store_segment_fail (self->store, seg->job, seg->para, seg->idx, code, err_class, reason))
            hny_broker_store_failed (self);
        hny_bjob_t *job = hny_pipeline_job (self, seg->job);
        if (job) {
            hny_warn ("job %lld: segment %d.%d failed: %d %s", (long long) job->id, seg->para,
                      seg->idx, code, reason);
            job->failed++;
            job->pending--;
            if (!job->error) {
                job->error = hny_strdup (reason);
                job->error_code = code;
            }
            s_job_check (self, job);
        }
    }
    hny_map_delete (self->pending, pend->key);
    s_pend_free (&pend);
}

/* ------------------------------------------------------------- prepare */

typedef struct {
    hny_broker_t *self;
    hny_bjob_t *job;
    int64_t hits, misses;
} s_enqueue_t;

/* A new segment of a job: TM hit, or wait for a translation. */
static void
s_segment_enqueue (s_enqueue_t *e, int para, int idx, const char *src, const char *context)
{
    hny_broker_t *self = e->self;
    hny_bjob_t *job = e->job;
    job->total++;
    char *tgt = NULL;
    int rc = hny_store_tm_get (self->store, job->from, job->to, job->profile->conf->name, src, &tgt);
    if (rc < 0)
        hny_broker_store_failed (self);
    if (rc == 1) {
        if (hny_store_segment_fill (self->store, job->id, para, idx, tgt, 1))
            hny_broker_store_failed (self);
        free (tgt);
        job->done++;
        e->hits++;
        return;
    }
    e->misses++;
    size_t bytes = strlen (src);
    if (job->profile->conf->max_bytes > 0 && (int64_t) bytes > job->profile->conf->max_bytes) {
        char *reason = hny_sprintf ("segment of %zu bytes is over the max_bytes of profile %s (%lld)",
                                    bytes, job->profile->conf->name,
                                    (long long) job->profile->conf->max_bytes);
        if (hny_store_segment_fail (self->store, job->id, para, idx, HNY_STATUS_TOO_LARGE,
                                    "permanent", reason))
            hny_broker_store_failed (self);
        job->failed++;
        if (!job->error) {
            job->error = hny_strdup (reason);
            job->error_code = HNY_STATUS_TOO_LARGE;
        }
        free (reason);
        return;
    }
    int created;
    hny_pend_t *pend = s_pend_get (self, job->profile, job->from, job->to, src, context, &created);
    if (created)
        s_pend_unassign (self, pend, 0);
    s_pend_add_seg (pend, job->id, para, idx);
    job->pending++;
}

static const char *
s_src_of (json_t *seg)
{
    const char *src = json_string_value (json_object_get (seg, "src"));
    return src && *src ? src : NULL;
}

int
hny_pipeline_prepare_result (hny_broker_t *self, hny_btask_t *task, int status, const char *reason,
                             const uint8_t *body, size_t size, const char **why)
{
    hny_bjob_t *job = hny_pipeline_job (self, task->job);
    if (!job || strcmp (job->state, "translating") == 0) {
        /* Already prepared or final: a late duplicate. */
        hny_store_task_delete (self->store, task->id);
        hny_broker_task_free (&task);
        return 0;
    }
    if (status != HNY_STATUS_OK) {
        char *text = hny_sprintf ("prepare: %s", reason && *reason ? reason : "failed");
        hny_store_task_delete (self->store, task->id);
        hny_broker_task_free (&task);
        s_job_finish (self, job, status, text);
        free (text);
        return 0;
    }
    json_error_t jerr;
    json_t *art = body ? json_loadb ((const char *) body, size, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    json_t *paras = json_object_get (art, "paragraphs");
    if (!json_is_object (art) || !json_is_array (paras)) {
        json_decref (art);
        *why = "prepare result is not a prepared article";
        return -1;
    }
    size_t count = 0;
    size_t pi;
    json_t *para;
    json_array_foreach (paras, pi, para)
        count += json_array_size (json_object_get (para, "segments"));
    if (count > HNY_SEGMENTS_MAX) {
        json_decref (art);
        hny_store_task_delete (self->store, task->id);
        hny_broker_task_free (&task);
        char *text = hny_sprintf ("article has %zu segments, more than %d", count, HNY_SEGMENTS_MAX);
        s_job_finish (self, job, HNY_STATUS_TOO_LARGE, text);
        free (text);
        return 0;
    }

    /* What the record needs besides the segments. */
    json_t *keep = json_object ();
    const char *names [] = { "metadata", "charset", "format", "replaced" };
    for (size_t i = 0; i < 4; i++)
        if (json_object_get (art, names [i]))
            json_object_set (keep, names [i], json_object_get (art, names [i]));
    char *kept = json_dumps (keep, JSON_COMPACT);
    json_decref (keep);
    if (hny_store_job_set_prepared (self->store, job->id, kept))
        hny_broker_store_failed (self);
    free (kept);

    s_job_set_state (self, job, "translating");
    s_enqueue_t e = { self, job, 0, 0 };
    const char *title = s_src_of (json_object_get (art, "title"));
    if (title) {
        if (hny_store_segment_add (self->store, job->id, -1, 0, title))
            hny_broker_store_failed (self);
        s_segment_enqueue (&e, -1, 0, title, NULL);
    }
    /* Context (PROTOCOL.md 5.4): every segment of a paragraph carries the
       paragraph before it, so that one request can hold them all. */
    int p = 0;
    char *prev_para = NULL;
    json_array_foreach (paras, pi, para) {
        json_t *segs = json_object_get (para, "segments");
        char *text = NULL;
        size_t si;
        json_t *seg;
        int idx = 0;
        json_array_foreach (segs, si, seg) {
            const char *src = s_src_of (seg);
            if (!src)
                continue;
            if (hny_store_segment_add (self->store, job->id, p, idx, src))
                hny_broker_store_failed (self);
            s_segment_enqueue (&e, p, idx, src, prev_para);
            s_para_append (&text, src);
            idx++;
        }
        if (idx > 0) {
            p++;
            free (prev_para);
            prev_para = text;
        }
        else
            free (text);
    }
    free (prev_para);
    if (hny_store_stats_add (self->store, job->profile->conf->name, e.hits, e.misses, 0, 0, 0))
        hny_broker_store_failed (self);
    hny_info ("job %lld: prepared: %d segments, %lld from the TM", (long long) job->id, job->total,
              (long long) e.hits);
    json_decref (art);
    hny_store_task_delete (self->store, task->id);
    hny_broker_task_free (&task);
    s_job_check (self, job);
    return 0;
}

/* ------------------------------------------------------------- translate */

char *
hny_pipeline_translate_body (hny_btask_t *task)
{
    json_t *segs = json_array ();
    for (size_t i = 0; i < task->entry_count; i++) {
        json_t *item = json_pack ("{s:I, s:s}", "id", (json_int_t) i, "src", task->entries [i]->src);
        if (task->entries [i]->context)
            json_object_set_new (item, "context", json_string (task->entries [i]->context));
        json_array_append_new (segs, item);
    }
    json_t *body = json_pack ("{s:o}", "segments", segs);
    char *text = json_dumps (body, JSON_COMPACT);
    json_decref (body);
    return text;
}

static char *
s_task_payload (hny_btask_t *task)
{
    json_t *segs = json_array ();
    for (size_t i = 0; i < task->entry_count; i++) {
        json_t *item = json_pack ("{s:s}", "src", task->entries [i]->src);
        if (task->entries [i]->context)
            json_object_set_new (item, "context", json_string (task->entries [i]->context));
        json_array_append_new (segs, item);
    }
    json_t *payload = json_pack ("{s:s, s:s, s:s, s:o}", "profile", task->profile->conf->name,
                                 "from", task->from, "to", task->to, "segments", segs);
    char *text = json_dumps (payload, JSON_COMPACT);
    json_decref (payload);
    return text;
}

static void
s_task_add_entry (hny_btask_t *task, hny_pend_t *pend)
{
    task->entries = hny_realloc (task->entries, (task->entry_count + 1) * sizeof *task->entries);
    task->entries [task->entry_count++] = pend;
    task->chars += s_utf8_chars (pend->src);
    pend->task = task;
    if (pend->not_before > task->not_before)
        task->not_before = pend->not_before;
}

/* A profile that may stand in for a paused one now, or NULL. */
static hny_bprofile_t *
s_fallback_of (hny_bprofile_t *profile, int64_t now)
{
    hny_bprofile_t *fb = profile->fallback;
    if (!profile->paused || profile->probe_at <= now || !fb || fb->paused)
        return NULL;
    return fb;
}

/* An unassigned entry of a paused profile moves to its fallback: under the
   fallback's key (merged into the entry already there, if any). Returns
   the entry to pack, or NULL when it was merged. */
static hny_pend_t *
s_pend_route (hny_broker_t *self, hny_pend_t *pend, int64_t now)
{
    hny_bprofile_t *fb = s_fallback_of (pend->profile, now);
    if (!fb)
        return pend;
    char *key = s_pend_key (fb->conf->name, pend->from, pend->to, pend->src);
    hny_pend_t *other = hny_map_get (self->pending, key);
    hny_debug ("job %lld: profile %s paused: a segment goes to %s",
               (long long) (pend->seg_count ? pend->segs [0].job : 0), pend->profile->conf->name,
               fb->conf->name);
    if (other) {
        /* The fallback has it in flight already: wait on that one. */
        for (size_t i = 0; i < pend->seg_count; i++)
            s_pend_add_seg (other, pend->segs [i].job, pend->segs [i].para, pend->segs [i].idx);
        free (key);
        hny_map_delete (self->pending, pend->key);
        s_pend_free (&pend);
        return NULL;
    }
    hny_map_delete (self->pending, pend->key);
    free (pend->key);
    pend->key = key;
    pend->profile = fb;
    pend->tries = 0;
    pend->not_before = 0;
    if (!hny_pipeline_takes_context (fb))
        hny_free (&pend->context);
    hny_map_set (self->pending, key, pend);
    return pend;
}

void
hny_pipeline_divert (hny_broker_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    hny_btask_t *task = self->queue_head;
    while (task) {
        hny_btask_t *next = task->next;
        if (task->kind == HNY_TASK_TRANSLATE && s_fallback_of (task->profile, now)) {
            hny_broker_task_unlink (self, task);
            hny_store_task_delete (self->store, task->id);
            for (size_t i = 0; i < task->entry_count; i++)
                s_pend_unassign (self, task->entries [i], task->entries [i]->not_before);
            task->entry_count = 0;
            hny_broker_task_free (&task);
        }
        task = next;
    }
}

void
hny_pipeline_pack (hny_broker_t *self)
{
    if (!self->unassigned)
        return;
    /* Oldest first: the list is pushed at its head. */
    size_t count = 0;
    for (hny_pend_t *p = self->unassigned; p; p = p->next_free)
        count++;
    hny_pend_t **order = hny_malloc (count * sizeof *order);
    size_t n = count;
    for (hny_pend_t *p = self->unassigned; p; p = p->next_free)
        order [--n] = p;
    self->unassigned = NULL;

    int64_t now = hny_clock_mono_ms ();
    hny_btask_t **open = NULL;      /* tasks being filled in this pass */
    int64_t *bytes = NULL;
    size_t open_count = 0;
    for (size_t i = 0; i < count; i++) {
        hny_pend_t *pend = s_pend_route (self, order [i], now);
        if (!pend)
            continue;           /* merged into another entry */
        const hny_profile_t *conf = pend->profile->conf;
        int later = pend->not_before > now;
        int64_t size = (int64_t) strlen (pend->src);
        int64_t chars = s_utf8_chars (pend->src);
        hny_btask_t *task = NULL;
        for (size_t t = 0; t < open_count && !task; t++) {
            hny_btask_t *o = open [t];
            if (o->profile == pend->profile && strcmp (o->from, pend->from) == 0
            &&  strcmp (o->to, pend->to) == 0 && (o->not_before > now) == later
            &&  s_same_context (o->entries [0]->context, pend->context)
            &&  (int) o->entry_count < (conf->max_texts > 0 ? conf->max_texts : 1)
            &&  (conf->max_bytes <= 0 || bytes [t] + size <= conf->max_bytes)
            &&  (conf->chars_per_minute <= 0 || o->chars + chars <= conf->chars_per_minute)) {
                task = o;
                bytes [t] += size;
            }
        }
        if (!task) {
            task = hny_calloc (1, sizeof *task);
            task->kind = HNY_TASK_TRANSLATE;
            task->job = pend->seg_count ? pend->segs [0].job : 0;
            task->profile = pend->profile;
            task->from = hny_strdup (pend->from);
            task->to = hny_strdup (pend->to);
            open = hny_realloc (open, (open_count + 1) * sizeof *open);
            bytes = hny_realloc (bytes, (open_count + 1) * sizeof *bytes);
            open [open_count] = task;
            bytes [open_count++] = size;
        }
        s_task_add_entry (task, pend);
    }
    for (size_t t = 0; t < open_count; t++) {
        hny_btask_t *task = open [t];
        char *payload = s_task_payload (task);
        if (hny_store_task_add (self->store, "translate", task->job, payload, &task->id))
            hny_broker_store_failed (self);
        free (payload);
        hny_debug ("job %lld: task %lld: %zu segments for %s", (long long) task->job,
                   (long long) task->id, task->entry_count, task->profile->conf->name);
        hny_broker_task_enqueue (self, task);
    }
    free (open);
    free (bytes);
    free (order);
}

static void
s_profile_pause (hny_broker_t *self, hny_bprofile_t *profile, const char *reason)
{
    int64_t now = hny_clock_mono_ms ();
    int64_t base = profile->conf->retry_base_ms > 0 ? profile->conf->retry_base_ms : 1000;
    int64_t most = 60 * base < S_PAUSE_MAX_MS ? 60 * base : S_PAUSE_MAX_MS;
    if (!profile->paused) {
        hny_warn ("profile %s paused: %s", profile->conf->name, reason);
        profile->backoff_ms = base;
    }
    else
        profile->backoff_ms = profile->backoff_ms * 2 > most ? most : profile->backoff_ms * 2;
    free (profile->paused);
    /* STATUS shows "<profile>: why"; worker reasons name the profile already. */
    size_t nl = strlen (profile->conf->name);
    if (strncmp (reason, profile->conf->name, nl) == 0 && reason [nl] == ':')
        profile->paused = hny_strdup (reason);
    else
        profile->paused = hny_sprintf ("%s: %s", profile->conf->name, reason);
    profile->probe_at = now + profile->backoff_ms;
}

static void
s_profile_resume (hny_bprofile_t *profile)
{
    if (!profile->paused)
        return;
    hny_info ("profile %s resumed", profile->conf->name);
    hny_free (&profile->paused);
    profile->backoff_ms = 0;
    profile->probe_at = 0;
}

/* Delay before retry number `tries` (1 = the first retry):
   min(120 s, base x 1.6^(tries-1)) +- 23 % jitter, and at least what the
   service asked for (Retry-After). */
static int64_t
s_retry_backoff (const hny_profile_t *conf, int tries, int64_t retry_after_ms)
{
    double base = conf->retry_base_ms > 0 ? conf->retry_base_ms : 1000;
    double delay = base * pow (S_RETRY_GROWTH, tries > 1 ? tries - 1 : 0);
    if (delay > S_RETRY_MAX_MS)
        delay = S_RETRY_MAX_MS;
    double jitter = ((double) rand () / RAND_MAX * 2.0 - 1.0) * S_RETRY_JITTER;
    int64_t ms = (int64_t) (delay * (1.0 + jitter));
    if (retry_after_ms > S_RETRY_MAX_MS)
        retry_after_ms = S_RETRY_MAX_MS;
    return retry_after_ms > ms ? retry_after_ms : ms;
}

int
hny_pipeline_translate_result (hny_broker_t *self, hny_btask_t *task, int status, const char *reason,
                               const uint8_t *body, size_t size, const char **why)
{
    size_t n = task->entry_count;
    json_t **results = hny_calloc (n ? n : 1, sizeof *results);
    json_t *doc = NULL;
    int64_t requests = 0, billed = 0;
    if (status == HNY_STATUS_OK) {
        json_error_t jerr;
        doc = body ? json_loadb ((const char *) body, size, JSON_REJECT_DUPLICATES, &jerr) : NULL;
        json_t *segs = json_object_get (doc, "segments");
        if (!json_is_array (segs)) {
            json_decref (doc);
            free (results);
            *why = "translate result without a segments array";
            return -1;
        }
        size_t i;
        json_t *item;
        json_array_foreach (segs, i, item) {
            json_t *id = json_object_get (item, "id");
            if (json_is_integer (id) && json_integer_value (id) >= 0
            &&  (size_t) json_integer_value (id) < n && !results [json_integer_value (id)])
                results [json_integer_value (id)] = item;
        }
        requests = json_integer_value (json_object_get (doc, "requests"));
        billed = json_integer_value (json_object_get (doc, "chars_billed"));
        if (requests < 0)
            requests = 0;
        if (billed < 0)
            billed = 0;
    }
    int64_t now = hny_clock_mono_ms ();
    int64_t total_bytes = 0;
    for (size_t i = 0; i < n; i++)
        total_bytes += (int64_t) strlen (task->entries [i]->src);
    int filled = 0;
    hny_bprofile_t *profile = task->profile;
    int retries = profile->conf->retries > 0 ? profile->conf->retries : 1;
    for (size_t i = 0; i < n; i++) {
        hny_pend_t *pend = task->entries [i];
        json_t *res = results [i];
        const char *tgt = json_string_value (json_object_get (res, "tgt"));
        json_t *err = json_object_get (res, "error");
        const char *cls = json_string_value (json_object_get (err, "class"));
        const char *why_seg = json_string_value (json_object_get (err, "reason"));
        int code = (int) json_integer_value (json_object_get (err, "code"));
        if (status != HNY_STATUS_OK) {
            /* The whole batch was refused as bad input. */
            s_pend_fail (self, pend, status, "permanent", reason && *reason ? reason : "rejected by the worker");
            continue;
        }
        if (tgt) {
            /* Attribute the billing to the first job waiting for it, in
               proportion to the source's share of the batch. */
            if (pend->seg_count && total_bytes > 0) {
                int64_t share = billed * (int64_t) strlen (pend->src) / total_bytes;
                int64_t reqs = i == 0 ? requests : 0;
                if ((share || reqs)
                &&  hny_store_job_add_billing (self->store, pend->segs [0].job, share, reqs))
                    hny_broker_store_failed (self);
            }
            s_pend_fill (self, pend, tgt, json_string_value (json_object_get (res, "warning")));
            filled++;
            continue;
        }
        if (!res || !cls) {
            cls = "transient";
            why_seg = res ? "malformed segment result" : "the worker returned no result for it";
            code = HNY_STATUS_INTERNAL;
        }
        if (!why_seg)
            why_seg = "failed";
        /* The worker's class decides (PROTOCOL.md §13): an unusable
           answer from the service comes as transient 502 and is retried. */
        if (strcmp (cls, "paused") == 0) {
            s_profile_pause (self, profile, why_seg);
            s_pend_unassign (self, pend, profile->probe_at);
        }
        else if (strcmp (cls, "transient") == 0 && ++pend->tries < retries) {
            int64_t after = json_integer_value (json_object_get (err, "retry_after_ms"));
            int64_t backoff = s_retry_backoff (profile->conf, pend->tries, after);
            hny_debug ("job %lld: transient failure (%d %s): retry %d in %lld ms",
                       (long long) (pend->seg_count ? pend->segs [0].job : 0), code, why_seg,
                       pend->tries, (long long) backoff);
            s_pend_unassign (self, pend, now + backoff);
        }
        else if (strcmp (cls, "transient") == 0) {
            char *text = hny_sprintf ("%s (after %d tries)", why_seg, pend->tries);
            s_pend_fail (self, pend, code ? code : HNY_STATUS_UNAVAILABLE, "transient", text);
            free (text);
        }
        else
            s_pend_fail (self, pend, code ? code : HNY_STATUS_UNPROCESSABLE, "permanent", why_seg);
    }
    if (filled)
        s_profile_resume (profile);
    if ((filled || requests || billed)
    &&  hny_store_stats_add (self->store, profile->conf->name, 0, 0, billed, requests, filled))
        hny_broker_store_failed (self);
    json_decref (doc);
    free (results);
    task->entry_count = 0;      /* the entries are settled or re-listed */
    hny_store_task_delete (self->store, task->id);
    hny_broker_task_free (&task);
    return 0;
}

void
hny_pipeline_task_failed (hny_broker_t *self, hny_btask_t *task, const char *reason)
{
    char *text = hny_sprintf ("task failed %d times: %s", task->attempts,
                              reason ? reason : "no result");
    hny_store_task_delete (self->store, task->id);
    if (task->kind == HNY_TASK_PREPARE) {
        hny_bjob_t *job = hny_pipeline_job (self, task->job);
        hny_broker_task_free (&task);
        if (job)
            s_job_finish (self, job, HNY_STATUS_INTERNAL, text);
    }
    else {
        for (size_t i = 0; i < task->entry_count; i++)
            s_pend_fail (self, task->entries [i], HNY_STATUS_INTERNAL, "transient", text);
        task->entry_count = 0;
        hny_broker_task_free (&task);
    }
    free (text);
}

/* ------------------------------------------------------------- resume */

static int
s_resume_job (const hny_job_row_t *row, void *arg)
{
    hny_broker_t *self = arg;
    hny_bprofile_t *profile = hny_broker_profile (self, row->backend);
    if (!profile) {
        hny_warn ("job %lld: profile %s is not configured any more: job failed", (long long) row->id,
                  row->backend);
        char *reason = hny_sprintf ("profile %s is not configured any more", row->backend);
        hny_bjob_t *job = s_job_track (self, row->id, row->state, row->from, row->to,
                                       self->default_profile, row->created);
        s_job_finish (self, job, HNY_STATUS_UNPROCESSABLE, reason);
        free (reason);
        return 0;
    }
    s_job_track (self, row->id, row->state, row->from, row->to, profile, row->created);
    return 0;
}

typedef struct {
    hny_broker_t *self;
    int64_t *drop;              /* task ids to delete */
    size_t drop_count;
} s_resume_t;

static void
s_resume_drop (s_resume_t *r, int64_t id)
{
    r->drop = hny_realloc (r->drop, (r->drop_count + 1) * sizeof *r->drop);
    r->drop [r->drop_count++] = id;
}

static int
s_resume_task (const hny_task_row_t *row, void *arg)
{
    s_resume_t *r = arg;
    hny_broker_t *self = r->self;
    hny_btask_t *task = hny_calloc (1, sizeof *task);
    task->id = row->id;
    task->job = row->job;
    task->attempts = row->attempts;
    if (strcmp (row->kind, "prepare") == 0) {
        hny_bjob_t *job = hny_pipeline_job (self, row->job);
        if (!job || strcmp (job->state, "queued") != 0 || job->has_task) {
            s_resume_drop (r, row->id);
            hny_broker_task_free (&task);
            return 0;
        }
        task->kind = HNY_TASK_PREPARE;
        job->has_task = 1;
        hny_broker_task_enqueue (self, task);
        return 0;
    }
    task->kind = HNY_TASK_TRANSLATE;
    json_t *payload = row->payload ? json_loads (row->payload, 0, NULL) : NULL;
    const char *pname = json_string_value (json_object_get (payload, "profile"));
    const char *from = json_string_value (json_object_get (payload, "from"));
    const char *to = json_string_value (json_object_get (payload, "to"));
    hny_bprofile_t *profile = pname ? hny_broker_profile (self, pname) : NULL;
    if (profile && from && to) {
        task->profile = profile;
        task->from = hny_strdup (from);
        task->to = hny_strdup (to);
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get (payload, "segments"), i, item) {
            const char *src = json_string_value (json_object_get (item, "src"));
            const char *context = json_string_value (json_object_get (item, "context"));
            int created;
            if (!src)
                continue;
            hny_pend_t *pend = s_pend_get (self, profile, from, to, src, context, &created);
            if (created)
                s_task_add_entry (task, pend);
        }
    }
    json_decref (payload);
    if (task->entry_count == 0) {
        s_resume_drop (r, row->id);
        hny_broker_task_free (&task);
        return 0;
    }
    hny_broker_task_enqueue (self, task);
    return 0;
}

typedef struct {
    hny_broker_t *self;
    hny_bjob_t *job;
    int para;
    char *prev;                 /* text of the paragraph before (the context) */
    char *cur;                  /* text of this paragraph so far */
} s_resume_seg_t;

static int
s_resume_segment (const hny_segment_row_t *row, void *arg)
{
    s_resume_seg_t *r = arg;
    hny_bjob_t *job = r->job;
    if (row->para != r->para) {
        /* The title (-1) is no paragraph: it is nobody's context. */
        if (r->para >= 0) {
            free (r->prev);
            r->prev = r->cur;
        }
        else
            free (r->cur);
        r->cur = NULL;
    }
    r->para = row->para;
    job->total++;
    if (strcmp (row->state, "done") == 0)
        job->done++;
    else if (strcmp (row->state, "failed") == 0) {
        job->failed++;
        if (!job->error) {
            job->error = hny_strdup (row->reason ? row->reason : "failed");
            job->error_code = row->code;
        }
    }
    else {
        int created;
        hny_pend_t *pend = s_pend_get (r->self, job->profile, job->from, job->to, row->src,
                                       row->para >= 0 ? r->prev : NULL, &created);
        if (created)
            s_pend_unassign (r->self, pend, 0);
        s_pend_add_seg (pend, job->id, row->para, row->idx);
        job->pending++;
    }
    s_para_append (&r->cur, row->src);
    return 0;
}

static void
s_collect_job (const char *key, void *value, void *arg)
{
    (void) key;
    hny_bjob_t ***cursor = arg;
    *(*cursor)++ = value;
}

int
hny_pipeline_resume (hny_broker_t *self)
{
    int back = hny_store_resume (self->store);
    if (back < 0 || hny_store_jobs_active (self->store, s_resume_job, self))
        return -1;
    s_resume_t r = { self, NULL, 0 };
    if (hny_store_tasks (self->store, s_resume_task, &r)) {
        free (r.drop);
        return -1;
    }
    for (size_t i = 0; i < r.drop_count; i++)
        hny_store_task_delete (self->store, r.drop [i]);
    free (r.drop);

    size_t count = hny_map_size (self->jobs);
    hny_bjob_t **jobs = hny_malloc ((count ? count : 1) * sizeof *jobs);
    hny_bjob_t **cursor = jobs;
    hny_map_foreach (self->jobs, s_collect_job, &cursor);
    for (size_t i = 0; i < count; i++) {
        hny_bjob_t *job = jobs [i];
        if (strcmp (job->state, "translating") == 0) {
            s_resume_seg_t rs = { self, job, -2, NULL, NULL };
            if (hny_store_segments (self->store, job->id, s_resume_segment, &rs))
                hny_broker_store_failed (self);
            free (rs.prev);
            free (rs.cur);
        }
        else if (!job->has_task) {
            /* Queued without its prepare task: give it one. */
            hny_btask_t *task = hny_calloc (1, sizeof *task);
            task->kind = HNY_TASK_PREPARE;
            task->job = job->id;
            if (hny_store_task_add (self->store, "prepare", job->id, NULL, &task->id))
                hny_broker_store_failed (self);
            job->has_task = 1;
            hny_broker_task_enqueue (self, task);
        }
    }
    for (size_t i = 0; i < count; i++)
        s_job_check (self, jobs [i]);
    free (jobs);
    hny_pipeline_pack (self);
    if (count || back)
        hny_info ("resumed %zu unfinished jobs, %d leased tasks back in the queue", count, back);
    return 0;
}

static void
s_free_job (const char *key, void *value, void *arg)
{
    (void) key;
    (void) arg;
    hny_bjob_t *job = value;
    s_job_free (&job);
}

static void
s_free_pend (const char *key, void *value, void *arg)
{
    (void) key;
    (void) arg;
    hny_pend_t *pend = value;
    s_pend_free (&pend);
}

void
hny_pipeline_free (hny_broker_t *self)
{
    if (self->jobs)
        hny_map_foreach (self->jobs, s_free_job, NULL);
    if (self->pending)
        hny_map_foreach (self->pending, s_free_pend, NULL);
    hny_map_destroy (&self->jobs);
    hny_map_destroy (&self->pending);
    self->unassigned = NULL;
}

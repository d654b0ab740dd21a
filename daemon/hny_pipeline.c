/*  hny_pipeline.c: what happens to a job between ACCEPTED and DONE (see
    hny_pipeline.h; the rules are PROTOCOL.md sections 5.4, 11-13).

    Memory: a job that is not final (hny_pl_job_t), one pending entry per
    distinct source in flight (s_pend_t, keyed by profile, languages and
    text, shared by every segment that waits for it), per profile a FIFO of
    entries not yet in a task, and the data of the tasks (s_batch_t: the
    entries a translate task carries), and for a small translate job loaded
    in this process its segment rows as the store has them (its record is
    made from them). Language tags are interned, so that entries and tasks
    compare them by pointer.

    Large work runs in slices: an hny_pl_load_t walks a prepare result, an
    hny_pl_finish_t walks a job's segments into its record text; each pass gives
    them a time budget. Packing is lazy: only a few tasks per profile wait
    in the scheduler's queue, so that a 190k-segment article does not
    become 190k tasks at once; entries are packed in the order they came,
    consecutive ones together, which is linear in the entries packed.

    Align jobs' own steps are in hny_pipeline_align.c; what the two files
    share (the job, load and record structs, a dozen helpers named
    hny_pl_*) is in hny_pipeline_int.h. */
#include "hny_pipeline.h"
#include "hny_pipeline_int.h"
#include "hny_json.h"
#include "hny_map.h"
#include "hny_record.h"
#include "hny_tm.h"

#include <honyaku/proto.h>
#include <honyaku/qa.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <xxhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CONTEXT_MAX       1024        /* bytes of context sent with a segment (5.4) */
#define S_RETRY_MAX_MS      120000      /* longest backoff before a retry */
#define S_RETRY_GROWTH      1.6         /* backoff factor per try */
#define S_RETRY_JITTER      0.23        /* +- this share of the backoff */
#define S_SLICE             256         /* segments between two looks at the clock */
#define S_FINISH_BATCH      32          /* records made between two looks at the clock */
#define S_ZPOOL_OUT_MAX     256         /* records out to be compressed, at most: their texts
                                           are in memory (a pass ends them as they come back) */
#define S_PREPARED_MAX      (1 << 20)   /* bytes of a done job's kept prepare output read
                                           for reuse (metadata, charset, format: a few
                                           hundred; past this it is prepared again) */
#define S_AHEAD_MIN         2           /* tasks packed ahead per profile, at least */
#define S_TASK_REQUESTS_MAX 8           /* requests one translate task makes, at most */
#define S_TASKS_IN_FLIGHT   32          /* ... and at least this many tasks fill a profile's
                                           concurrency (see s_task_requests) */
#define S_SEGMENT_SLACK     512         /* JSON bytes per segment in a translate result (a reason, a warning) */
/* ... and its checks' flags at most: every byte of a flag's strings
   escaped (2 bytes), plus the names and punctuation */
#define S_QA_SLACK          (HNY_QA_MAX_FLAGS * (2 * (HNY_QA_CHECK_MAX + HNY_QA_WHAT_MAX \
                                                      + HNY_QA_DETAIL_MAX) + 48))
#define S_RESULT_MIN        (64 << 10)  /* room for a result's other members (usage, tokens) */
#define S_TRIM_PAGES        1024        /* free pages given back per idle pass (4 MiB) */
#define S_TRIM_EVERY_MS     1000        /* between two trims that start */
#define S_SWEEP_ROWS        4096        /* retired segments deleted per slice (a few ms) */


typedef struct _s_pend_t s_pend_t;

/* A segment of a job waiting for a translation. */
typedef struct {
    int64_t job;
    int para, idx;
} s_ref_t;

/* One distinct source in flight for (profile, from, to). */
struct _s_pend_t {
    char *key;                  /* map key: profile \x1f from \x1f to \x1f src */
    const char *src;            /* inside key */
    int profile;
    const char *from, *to;      /* interned */
    hny_task_t *task;           /* the task carrying it, or NULL */
    s_pend_t *next;             /* in its profile's FIFO while unassigned */
    int tries;                  /* transient failures so far */
    int opens;                  /* its first segment opens its job (the title, or the
                                   first of an article without one): no context */
    s_ref_t *refs;              /* the segments waiting for it */
    size_t ref_count, ref_alloc;
};

/* A translate task's data: the entries of one or more requests, each of
   per_request entries but the last. */
typedef struct {
    s_pend_t **entries;         /* entry i is segment id i of the TASK body */
    size_t count, alloc;
    size_t per_request;         /* texts a request holds (the profile's max_texts) */
    size_t max_count;           /* entries the task holds at most */
    const char *from, *to;      /* interned */
    char **contexts;            /* context-taking types, per request: the article
                                   before its first entry, or NULL (none) */
    int contexts_known;         /* contexts were looked up */
    size_t context_count;       /* ... for this many requests (the batch may lose
                                   entries after: free them all by this count) */
} s_batch_t;

/* A profile's FIFO of entries not yet in a task. */
struct _hny_pl_fifo_t {
    s_pend_t *head, *tail;
};

/* ------------------------------------------------------------- small things */

static const char *
s_intern (hny_pipeline_t *self, const char *lang)
{
    for (size_t i = 0; i < self->lang_count; i++)
        if (strcmp (self->langs [i], lang) == 0)
            return self->langs [i];
    self->langs = hny_realloc (self->langs, (self->lang_count + 1) * sizeof *self->langs);
    self->langs [self->lang_count] = hny_strdup (lang);
    return self->langs [self->lang_count++];
}

static int64_t
s_chars (const char *s)
{
    return (int64_t) hny_utf8_length (s, strlen (s));
}

const char *
hny_pl_profile_name (hny_pipeline_t *self, int profile)
{
    return hny_sched_profile_conf (self->sched, profile)->name;
}

/* A profile's name in the translation memory: its name, and for a
   profile with a glossary "NAME@HASH" of the glossary file's content, so
   that a changed glossary is never answered with translations made under
   the old one. */
static const char *
s_tm_key (hny_pipeline_t *self, int profile)
{
    return self->tm_keys [profile];
}

#define S_GLOSSARY_MAX  (16 << 20)      /* bytes of a glossary file read to hash it */

static char *
s_tm_key_make (const hny_profile_t *conf)
{
    if (!conf->glossary)
        return hny_strdup (conf->name);
    char *data = NULL;
    size_t size = 0;
    if (hny_file_read (conf->glossary, S_GLOSSARY_MAX, &data, &size) != 0) {
        hny_warn ("profile %s: cannot read its glossary %s to version the TM: %s", conf->name,
                  conf->glossary, strerror (errno));
        return hny_strdup (conf->name);
    }
    char *key = hny_sprintf ("%s@%016llx", conf->name, (unsigned long long) XXH3_64bits (data, size));
    free (data);
    return key;
}

/* Profile types whose requests take one context (the backend traits
   table, include/honyaku/backends.h: DeepL and OpenAI today). */
static int
s_takes_context (hny_pipeline_t *self, int profile)
{
    /* The backend table says which types send one context per request. */
    const hny_profile_t *conf = hny_sched_profile_conf (self->sched, profile);
    const hny_backend_traits_t *traits = hny_profile_traits (conf);
    return traits && traits->takes_context;
}

/* ------------------------------------------------------------- jobs */

/* A job's key in self->jobs: its id in decimal, as "%lld" writes it (a
   lookup per segment filled: snprintf was 1.4 % of the loop). */
static void
s_job_key (char key [24], int64_t id)
{
    char digits [24];
    size_t n = 0;
    uint64_t v = id < 0 ? 0 - (uint64_t) id : (uint64_t) id;
    do
        digits [n++] = (char) ('0' + v % 10);
    while ((v /= 10) > 0);
    size_t k = 0;
    if (id < 0)
        key [k++] = '-';
    while (n > 0)
        key [k++] = digits [--n];
    key [k] = '\0';
}

hny_pl_job_t *
hny_pl_job (hny_pipeline_t *self, int64_t id)
{
    char key [24];
    s_job_key (key, id);
    return hny_map_get (self->jobs, key);
}

static hny_pl_job_t *
s_job_track (hny_pipeline_t *self, int64_t id, hny_job_state_t state, const char *from,
             const char *to, int profile, int64_t created)
{
    hny_pl_job_t *job = hny_calloc (1, sizeof *job);
    job->id = id;
    job->state = state;
    job->from = s_intern (self, from);
    job->to = s_intern (self, to);
    job->profile = profile;
    job->created = created;
    char key [24];
    s_job_key (key, id);
    hny_map_set (self->jobs, key, job);
    self->active += hny_job_state_active (state);
    return job;
}

/* ------------------------------------------------------------- a job's rows

   A small translate job loaded in this process keeps, beside the store's
   segments rows, the same rows in memory (the store still has them all,
   for a restart): its record is then made from them, without reading its
   segments back. Every write of a segment row is mirrored here as the
   store would read it back; anything else (a restart, a reload after a
   failed pass, over S_SLICE segments) leaves rows_kept 0, and the record
   reads the store as it always did. */

static void
s_rows_drop (hny_pl_job_t *job)
{
    for (size_t i = 0; i < job->row_count; i++)
        hny_segment_row_clear (&job->rows [i]);
    free (job->rows);
    job->rows = NULL;
    job->row_count = job->row_alloc = 0;
    job->rows_kept = 0;
}

/* A new segment row (appended: a load adds them in (para, idx) order),
   pending with its source; NULL when the job keeps no rows, or no more
   (past S_SLICE: the record reads the store). */
static hny_segment_row_t *
s_row_add (hny_pl_job_t *job, int para, int idx, const char *src)
{
    if (!job->rows_kept)
        return NULL;
    if (job->row_count == S_SLICE) {
        s_rows_drop (job);
        return NULL;
    }
    if (job->row_count == job->row_alloc) {
        job->row_alloc = job->row_alloc ? job->row_alloc * 2 : 32;
        job->rows = hny_realloc (job->rows, job->row_alloc * sizeof *job->rows);
    }
    hny_segment_row_t *row = &job->rows [job->row_count++];
    *row = (hny_segment_row_t) { .job = job->id, .para = para, .idx = idx, .src = hny_strdup (src),
                                 .state = HNY_SEG_PENDING, .err_class = -1 };
    return row;
}

/* The row of segment (para, idx), or NULL (none kept). */
static hny_segment_row_t *
s_row_find (hny_pl_job_t *job, int para, int idx)
{
    if (!job || !job->rows_kept)
        return NULL;
    size_t lo = 0, hi = job->row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const hny_segment_row_t *row = &job->rows [mid];
        if (row->para == para && row->idx == idx)
            return &job->rows [mid];
        if (row->para < para || (row->para == para && row->idx < idx))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A failed segment, as hny_store_segment_fail writes it. */
static void
s_row_fail (hny_segment_row_t *row, int code, hny_err_class_t cls, const char *reason)
{
    if (!row)
        return;
    row->state = HNY_SEG_FAILED;
    row->code = code;
    row->err_class = (int) cls;
    free (row->reason);
    row->reason = reason ? hny_strdup (reason) : NULL;
}

/* The writes of a segment row: each writes the store's row and the job's
   kept row (when it keeps them) together, so that no caller can change
   one without the other. job is the hny_pl_job_t of id, or NULL. */

/* A pending segment with its source. */
static void
s_seg_add (hny_pipeline_t *self, hny_pl_job_t *job, int para, int idx, const char *src)
{
    hny_store_segment_add (self->store, job->id, para, idx, src);
    s_row_add (job, para, idx, src);
}

/* A segment done at once (a TM hit, tm as segments.tm); takes tgt. */
static void
s_seg_add_done (hny_pipeline_t *self, hny_pl_job_t *job, int para, int idx, const char *src, char *tgt,
                int tm)
{
    hny_store_segment_add_done (self->store, job->id, para, idx, src, tgt, tm);
    hny_segment_row_t *row = s_row_add (job, para, idx, src);
    if (!row) {
        free (tgt);
        return;
    }
    row->tgt = tgt;
    row->tm = tm;
    row->state = HNY_SEG_DONE;
}

/* A job with sources gets a RESULT's translations as one row: they are
   gathered in job->tr while the RESULT is applied (self->tr_max set) and
   written at its end (s_tr_end), or before, when the job's record starts
   (hny_pl_finish_start), so that no row comes after the job's retire. */

/* Write what job gathered. */
static void
s_tr_flush (hny_pipeline_t *self, hny_pl_job_t *job)
{
    if (!job->tr.len)
        return;
    hny_store_translated_put (self->store, job->id, &job->tr);
    hny_buf_reset (&job->tr);
}

/* Gather a translation of job; 0, or -1: not gathered (write it alone). */
static int
s_tr_add (hny_pipeline_t *self, hny_pl_job_t *job, int para, int idx, const char *tgt,
          const char *warning, const char *qa, const char *backend)
{
    if (!job || !job->has_sources || !self->tr_max)
        return -1;
    if (!job->tr.len) {
        if (self->tr_job_count == self->tr_job_alloc) {
            self->tr_job_alloc = self->tr_job_alloc ? 2 * self->tr_job_alloc : 16;
            self->tr_jobs = hny_realloc (self->tr_jobs, self->tr_job_alloc * sizeof *self->tr_jobs);
        }
        self->tr_jobs [self->tr_job_count++] = job->id;
        hny_buf_free (&job->tr);
        job->tr = (hny_buf_t) HNY_BUF_INIT (self->tr_max);
    }
    /* Past the cap (the RESULT's own size: a job repeating a long
       sentence many times) the entry is refused whole and goes alone. */
    return hny_store_translated_add (&job->tr, para, idx, tgt, warning, qa, backend);
}

/* The RESULT is applied: write every job's translations gathered. */
static void
s_tr_end (hny_pipeline_t *self)
{
    for (size_t i = 0; i < self->tr_job_count; i++) {
        hny_pl_job_t *job = hny_pl_job (self, self->tr_jobs [i]);
        if (job)
            s_tr_flush (self, job);
    }
    self->tr_job_count = 0;
    self->tr_max = 0;
}

/* A segment translated: its target with the worker's warning, the flags
   of its checks (JSON text) and the profile that translated it when not
   the job's; a NULL leaves that column as it was, as the store's UPDATE
   does. Gathered into the RESULT's row of its job when it can be. */
static void
s_seg_done (hny_pipeline_t *self, int64_t id, hny_pl_job_t *job, int para, int idx, const char *src,
            const char *tgt, const char *warning, const char *qa, const char *backend)
{
    if (s_tr_add (self, job, para, idx, tgt, warning, qa, backend))
        hny_store_segment_done (self->store, id, para, idx, src, tgt, warning, qa, backend);
    hny_segment_row_t *row = s_row_find (job, para, idx);
    if (!row)
        return;
    free (row->tgt);
    row->tgt = hny_strdup (tgt);
    row->tm = 0;
    row->state = HNY_SEG_DONE;
    if (warning) {
        row->err_class = HNY_CLASS_WARNING;
        free (row->reason);
        row->reason = hny_strdup (warning);
    }
    if (qa) {
        free (row->qa);
        row->qa = hny_strdup (qa);
    }
    if (backend) {
        free (row->backend);
        row->backend = hny_strdup (backend);
    }
}

/* A segment failed for good. */
static void
s_seg_fail (hny_pipeline_t *self, int64_t id, hny_pl_job_t *job, int para, int idx, const char *src,
            int code, hny_err_class_t cls, const char *reason)
{
    hny_store_segment_fail (self->store, id, para, idx, src, code, cls, reason);
    s_row_fail (s_row_find (job, para, idx), code, cls, reason);
}

static void
s_job_free (hny_pl_job_t **job_p)
{
    hny_pl_job_t *job = *job_p;
    if (!job)
        return;
    s_rows_drop (job);
    hny_buf_free (&job->tr);
    free (job->error);
    free (job);
    *job_p = NULL;
}

static void
s_job_untrack (hny_pipeline_t *self, hny_pl_job_t **job_p)
{
    char key [24];
    s_job_key (key, (*job_p)->id);
    hny_map_delete (self->jobs, key);
    self->active -= hny_job_state_active ((*job_p)->state);
    s_job_free (job_p);
}

void
hny_pl_job_note_state (hny_pipeline_t *self, hny_pl_job_t *job, hny_job_state_t state)
{
    self->active += hny_job_state_active (state) - hny_job_state_active (job->state);
    job->state = state;
}

void
hny_pl_job_set_state (hny_pipeline_t *self, hny_pl_job_t *job, hny_job_state_t state)
{
    hny_pl_job_note_state (self, job, state);
    hny_store_job_set_state (self->store, job->id, state, NULL, 0);
}

static void
s_job_note_failure (hny_pl_job_t *job, int code, const char *reason)
{
    job->failed++;
    if (!job->error) {
        job->error = hny_strdup (reason);
        job->error_code = code;
    }
}

/* Queue a task of a job that carries no data of its own (prepare, align)
   with its store row. admitted: the job holds a max_jobs_in_flight slot
   already (an align job's tasks after its first). Returns 0, or -1 when
   the store failed (nothing queued). */
int
hny_pl_task_queue (hny_pipeline_t *self, int64_t job, hny_task_kind_t kind, int admitted)
{
    hny_task_t *task = hny_calloc (1, sizeof *task);
    task->kind = kind;
    task->job = job;
    task->profile = -1;
    task->admitted = admitted;
    if (hny_store_task_add (self->store, kind, job, NULL, &task->id)) {
        free (task);
        return -1;
    }
    /* Admitted: in front of the jobs that wait for a slot (hny_sched.h). */
    hny_sched_add (self->sched, task, admitted, hny_clock_mono_ms ());
    return 0;
}

/* A job done before with the same content and options (hash), without
   failures, with at most one slice of segments (what a reused job holds
   stays small) and prepare's kept output: that output's text (caller
   owns; the segments are added by s_load_reuse), with *done and *count,
   or NULL. The text is checked to be a JSON object (by cJSON: a reused
   job copies it as it is, and parses it with jansson only if it must
   look its segments up after all). */
static char *
s_reuse (hny_pipeline_t *self, const char *hash, int64_t *done, size_t *count)
{
    char *prepared = NULL;
    int segments = -1;
    if (!hash || hny_store_job_done_by_hash (self->store, hash, done, &segments, &prepared) != 1)
        return NULL;
    /* Without prepare's kept output (a job done before it was kept) the
       record could not be made the same: prepare it again. */
    cJSON *kept = prepared && segments > 0 && segments <= S_SLICE
                ? hny_json_parse (prepared, strlen (prepared), S_PREPARED_MAX, HNY_JSON_DEPTH_MAX, 0, NULL)
                : NULL;
    int usable = cJSON_IsObject (kept);
    cJSON_Delete (kept);
    if (!usable) {
        free (prepared);
        return NULL;
    }
    *count = (size_t) segments;
    return prepared;
}

static void s_load_start (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, json_t *art,
                          size_t count);

int
hny_pipeline_job_new (hny_pipeline_t *self, int64_t id, const char *hash, const char *from,
                      const char *to, int profile, int64_t created)
{
    size_t count = 0;
    int64_t done = 0;
    char *prepared = s_reuse (self, hash, &done, &count);
    if (prepared) {
        /* No prepare to wait for: its task row stays until the load ends,
           so that a restart before then prepares the content as usual. */
        hny_task_t *task = hny_calloc (1, sizeof *task);
        task->kind = HNY_TASK_PREPARE;
        task->job = id;
        task->profile = -1;
        if (hny_store_task_add (self->store, HNY_TASK_PREPARE, id, NULL, &task->id)) {
            free (task);
            free (prepared);
            return -1;
        }
        hny_pl_job_t *job = s_job_track (self, id, HNY_JOB_QUEUED, from, to, profile, created);
        job->has_task = 1;
        job->fresh = 1;
        hny_debug ("job %lld: segmented as a job done before with the same content", (long long) id);
        s_load_start (self, job, task, NULL, count);
        job->load->reuse = done;
        job->load->prepared = prepared;
        return 0;
    }
    if (hny_pl_task_queue (self, id, HNY_TASK_PREPARE, 0))
        return -1;
    hny_pl_job_t *job = s_job_track (self, id, HNY_JOB_QUEUED, from, to, profile, created);
    job->has_task = 1;
    job->fresh = 1;
    return 0;
}

int
hny_pipeline_align_new (hny_pipeline_t *self, int64_t id, const char *from, const char *to,
                        int profile, int64_t created)
{
    /* Its first side's prepare (hny_alignjob_next_side picks the side
       when the task is sent). */
    if (hny_pl_task_queue (self, id, HNY_TASK_PREPARE, 0))
        return -1;
    hny_pl_job_t *job = s_job_track (self, id, HNY_JOB_QUEUED, from, to, profile, created);
    job->kind = HNY_JOB_ALIGN;
    job->has_task = 1;
    return 0;
}

int
hny_pipeline_job_info (hny_pipeline_t *self, int64_t id, hny_job_info_t *info)
{
    hny_pl_job_t *job = hny_pl_job (self, id);
    if (!job)
        return 0;
    *info = (hny_job_info_t) { job->state, job->profile, job->total, job->done, job->failed,
                               job->pending };
    return 1;
}

size_t
hny_pipeline_unfinished (hny_pipeline_t *self)
{
    return hny_map_size (self->jobs);
}

int
hny_pipeline_active (hny_pipeline_t *self)
{
    return self->active;
}

const char *
hny_pipeline_waiting (hny_pipeline_t *self, const hny_job_info_t *info, char *buf, size_t size)
{
    if (hny_job_state_final (info->state))
        return NULL;
    if (hny_sched_worker_count (self->sched) == 0)
        return "no worker";
    if (info->state == HNY_JOB_TRANSLATING && info->pending > 0
    &&  hny_sched_profile_workers (self->sched, info->profile) == 0) {
        snprintf (buf, size, "no worker serves profile %s", hny_pl_profile_name (self, info->profile));
        return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------- pending entries */

static char *
s_pend_key (const char *profile, const char *from, const char *to, const char *src, size_t *src_at)
{
    /* profile, from, to and src joined by 0x1F (one allocation, no
       format: one for every segment loaded) */
    const char *parts [4] = { profile, from, to, src };
    size_t lens [4], total = 3;
    for (int i = 0; i < 4; i++)
        total += lens [i] = strlen (parts [i]);
    char *key = hny_malloc (total + 1), *at = key;
    for (int i = 0; i < 4; i++) {
        memcpy (at, parts [i], lens [i]);
        at += lens [i];
        if (i < 3)
            *at++ = '\x1f';
    }
    *at = '\0';
    *src_at = total - lens [3];
    return key;
}

static void
s_pend_free (s_pend_t **pend_p)
{
    s_pend_t *pend = *pend_p;
    if (!pend)
        return;
    free (pend->key);
    free (pend->refs);
    free (pend);
    *pend_p = NULL;
}

/* The entry for a source: found, or created (neither queued nor in a
   task) with *created set. */
static s_pend_t *
s_pend_get (hny_pipeline_t *self, int profile, const char *from, const char *to, const char *src,
            int *created)
{
    size_t at;
    char *key = s_pend_key (hny_pl_profile_name (self, profile), from, to, src, &at);
    s_pend_t *pend = hny_map_get (self->pending, key);
    *created = 0;
    if (pend) {
        free (key);
        return pend;
    }
    pend = hny_calloc (1, sizeof *pend);
    pend->key = key;
    pend->src = key + at;
    pend->profile = profile;
    pend->from = s_intern (self, from);
    pend->to = s_intern (self, to);
    hny_map_set (self->pending, key, pend);
    *created = 1;
    return pend;
}

static void
s_pend_ref (s_pend_t *pend, int64_t job, int para, int idx)
{
    if (pend->ref_count == pend->ref_alloc) {
        pend->ref_alloc = pend->ref_alloc ? pend->ref_alloc * 2 : 1;
        pend->refs = hny_realloc (pend->refs, pend->ref_alloc * sizeof *pend->refs);
    }
    pend->refs [pend->ref_count++] = (s_ref_t) { job, para, idx };
}

/* Queue an entry to be packed: at the back, or in front (it waited already). */
static void
s_pend_queue (hny_pipeline_t *self, s_pend_t *pend, int front)
{
    hny_pl_fifo_t *q = &self->unassigned [pend->profile];
    pend->task = NULL;
    pend->next = NULL;
    if (!q->head)
        q->head = q->tail = pend;
    else if (front) {
        pend->next = q->head;
        q->head = pend;
    }
    else {
        q->tail->next = pend;
        q->tail = pend;
    }
}

static void
s_pend_drop (hny_pipeline_t *self, s_pend_t **pend_p)
{
    hny_map_delete (self->pending, (*pend_p)->key);
    s_pend_free (pend_p);
}

/* The segment whose place the TM keeps for pend: the first of a
   translate job, whose record will hold it at (para, idx); NULL (the TM
   keeps the text) when only align jobs wait, their records being
   alignments. */
static const s_ref_t *
s_tm_place (hny_pipeline_t *self, const s_pend_t *pend)
{
    for (size_t i = 0; i < pend->ref_count; i++) {
        const hny_pl_job_t *job = hny_pl_job (self, pend->refs [i].job);
        if (!job || job->kind == HNY_JOB_TRANSLATE)
            return &pend->refs [i];
    }
    return NULL;
}

/* Fill every segment waiting on pend (with the worker's warning and the
   flags of its checks, qa: JSON text, when given), store the TM entry,
   drop pend. */
static void
s_pend_fill (hny_pipeline_t *self, s_pend_t *pend, const char *tgt, const char *warning,
             const char *qa)
{
    /* The TM keeps the place of the first segment filled (its record
       keeps the text), or the text when no segment waits for it. */
    const s_ref_t *first = s_tm_place (self, pend);
    hny_tm_put (self->tm, pend->from, pend->to, s_tm_key (self, pend->profile), pend->src, tgt,
                first ? first->job : 0, first ? first->para : 0, first ? first->idx : 0);
    for (size_t i = 0; i < pend->ref_count; i++) {
        s_ref_t *ref = &pend->refs [i];
        hny_pl_job_t *job = hny_pl_job (self, ref->job);
        /* One write per segment: the target with its warning, flags and
           the profile that translated it when not the job's (a fallback). */
        const char *backend = job && job->profile != pend->profile
                            ? hny_pl_profile_name (self, pend->profile) : NULL;
        s_seg_done (self, ref->job, job, ref->para, ref->idx, pend->src, tgt, warning, qa, backend);
        if (job) {
            job->done++;
            job->pending--;
            hny_pl_job_check (self, job);
        }
    }
    s_pend_drop (self, &pend);
}

static void
s_pend_fail (hny_pipeline_t *self, s_pend_t *pend, int code, hny_err_class_t cls, const char *reason)
{
    /* A record's codes are status codes (12.3): a worker's odd one is a
       bad answer from the way back. */
    if (code < 100 || code > 599)
        code = 502;
    for (size_t i = 0; i < pend->ref_count; i++) {
        s_ref_t *ref = &pend->refs [i];
        hny_pl_job_t *job = hny_pl_job (self, ref->job);
        s_seg_fail (self, ref->job, job, ref->para, ref->idx, pend->src, code, cls, reason);
        if (job) {
            hny_warn ("job %lld: segment %d.%d failed: %d %s", (long long) job->id, ref->para,
                      ref->idx, code, reason);
            s_job_note_failure (job, code, reason);
            job->pending--;
            hny_pl_job_check (self, job);
        }
    }
    s_pend_drop (self, &pend);
}

/* ------------------------------------------------------------- tasks */

/* Requests a task's entries make. */
static size_t
s_batch_requests (const s_batch_t *batch)
{
    return (batch->count + batch->per_request - 1) / batch->per_request;
}

/* How many requests a task of a profile makes at most. One, unless the
   profile's concurrency is large: then a task carries up to 8 requests
   (the worker sends them at once, each counts against the concurrency),
   as long as 32 tasks still fill the concurrency; so a type with one text
   a request (Apertium) and 256 requests in flight needs 32 TASKs and
   RESULTs out at a time, not 256. */
static size_t
s_task_requests (const hny_profile_t *conf)
{
    int r = conf->concurrency / S_TASKS_IN_FLIGHT;
    return r < 1 ? 1 : r > S_TASK_REQUESTS_MAX ? S_TASK_REQUESTS_MAX : (size_t) r;
}

void
hny_pl_task_free (hny_task_t **task_p)
{
    hny_task_t *task = *task_p;
    if (!task)
        return;
    s_batch_t *batch = task->data;
    if (batch) {
        for (size_t r = 0; batch->contexts && r < batch->context_count; r++)
            free (batch->contexts [r]);
        free (batch->contexts);
        free (batch->entries);
        free (batch);
    }
    free (task->last_reason);
    free (task);
    *task_p = NULL;
}

/* The store row of a translate task: enough to rebuild it after a
   restart as the same task, so that a worker that still holds it is
   answered (s_load_task): its profile, languages and entries, in the
   order of their ids in the TASK body. Not its contexts: they are the
   article before its requests, which the segments in the store give
   again (s_batch_context). An entry is named by the first segment
   waiting for it, {"ref": [job, para, idx]}, not by its text: the text
   is in that job's sources already, and a task's row is written three
   times (made, leased, deleted), so a row of texts wrote the article
   into the WAL twice more (a row over a page is rewritten whole by its
   lease's UPDATE). An entry no segment waits for (none is made so) keeps
   its text, {"src": ...}. */
static char *
s_batch_payload (hny_pipeline_t *self, const hny_task_t *task)
{
    const s_batch_t *batch = task->data;
    const char *profile = hny_pl_profile_name (self, task->profile);
    hny_buf_t buf = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    hny_buf_add (&buf, "{", 1);
    hny_json_put_member (&buf, "profile", profile, 1);
    hny_json_put_member (&buf, "from", batch->from, 0);
    hny_json_put_member (&buf, "to", batch->to, 0);
    hny_json_put_key (&buf, "segments", 0);
    hny_buf_add (&buf, "[", 1);
    for (size_t i = 0; i < batch->count; i++) {
        const s_pend_t *pend = batch->entries [i];
        if (i)
            hny_buf_add (&buf, ",", 1);
        if (pend->ref_count) {
            hny_buf_adds (&buf, "{\"ref\":[");
            hny_json_put_int (&buf, pend->refs [0].job);
            hny_buf_add (&buf, ",", 1);
            hny_json_put_int (&buf, pend->refs [0].para);
            hny_buf_add (&buf, ",", 1);
            hny_json_put_int (&buf, pend->refs [0].idx);
            hny_buf_adds (&buf, "]}");
        }
        else {
            hny_buf_adds (&buf, "{\"src\":");
            hny_json_put_str (&buf, pend->src, strlen (pend->src));
            hny_buf_add (&buf, "}", 1);
        }
    }
    if (hny_buf_adds (&buf, "]}") < 0) {
        hny_buf_free (&buf);
        return NULL;
    }
    return hny_buf_take (&buf, NULL);
}

/* A new, empty translate task for a profile and language pair, of
   requests of per_request texts, at most `requests` of them. */
static hny_task_t *
s_batch_new (int profile, const char *from, const char *to, size_t per_request, size_t requests)
{
    hny_task_t *task = hny_calloc (1, sizeof *task);
    s_batch_t *batch = hny_calloc (1, sizeof *batch);
    batch->from = from;
    batch->to = to;
    batch->per_request = per_request > 0 ? per_request : 1;
    batch->max_count = batch->per_request * (requests > 0 ? requests : 1);
    task->kind = HNY_TASK_TRANSLATE;
    task->profile = profile;
    task->requests = 1;
    task->data = batch;
    return task;
}

static void
s_batch_add (hny_task_t *task, s_pend_t *pend)
{
    s_batch_t *batch = task->data;
    if (batch->count == batch->alloc) {
        batch->alloc = batch->alloc ? 2 * batch->alloc : 8;
        batch->entries = hny_realloc (batch->entries, batch->alloc * sizeof *batch->entries);
    }
    batch->entries [batch->count++] = pend;
    task->requests = (int) s_batch_requests (batch);
    task->chars += s_chars (pend->src);
    if (!task->job && pend->ref_count)
        task->job = pend->refs [0].job;
    pend->task = task;
}

/* Give a filled translate task a store row and to the scheduler. When
   the store cannot take the row (the pass will be undone), its entries go
   back to be packed and -1 is returned. */
static int
s_batch_submit (hny_pipeline_t *self, hny_task_t *task, int front)
{
    s_batch_t *batch = task->data;
    char *payload = s_batch_payload (self, task);
    int rc = hny_store_task_add (self->store, HNY_TASK_TRANSLATE, task->job, payload, &task->id);
    free (payload);
    if (rc != 0) {
        for (size_t i = batch->count; i-- > 0;)
            s_pend_queue (self, batch->entries [i], 1);
        batch->count = 0;
        hny_pl_task_free (&task);
        return -1;
    }
    hny_debug ("job %lld: task %lld: %zu segments for %s", (long long) task->job, (long long) task->id,
               batch->count, hny_pl_profile_name (self, task->profile));
    hny_sched_add (self->sched, task, front, hny_clock_mono_ms ());
    return 0;
}

/* A task's entries go back to be packed again (a diverted or dissolved
   task); the task's row is deleted and the task freed. */
static void
s_batch_dissolve (hny_pipeline_t *self, hny_task_t **task_p)
{
    hny_task_t *task = *task_p;
    s_batch_t *batch = task->data;
    for (size_t i = batch->count; i-- > 0;)
        s_pend_queue (self, batch->entries [i], 1);
    batch->count = 0;
    hny_store_task_delete (self->store, task->id);
    hny_pl_task_free (task_p);
}

/* The job a pend's first waiting segment belongs to (0: none). */
static int64_t
s_pend_job (const s_pend_t *pend)
{
    return pend->ref_count ? pend->refs [0].job : 0;
}

/* Would pend fit into the open task? Same languages, within the task's
   entries, its request's max_bytes (less the room its context takes) and
   one minute's chars_per_minute. bytes: those of the entries of the
   task's last request. For context-taking types a request's one context
   is the article before its first segment (PROTOCOL.md 5.4), so a request
   holds consecutive segments of one job, across paragraphs; it holds
   several jobs only while it needs no context at all: it starts where its
   job starts, and every other job in it starts in it too (short articles
   then share a request, as they would without context). */
static int
s_fits (const hny_profile_t *conf, int takes_context, const hny_task_t *task, int64_t bytes,
        const s_pend_t *pend)
{
    const s_batch_t *batch = task->data;
    if (batch->entries [0]->from != pend->from || batch->entries [0]->to != pend->to
    ||  batch->count >= batch->max_count)
        return 0;
    size_t in_request = batch->count % batch->per_request;
    if (in_request == 0)
        bytes = 0;              /* pend would open the next request */
    else if (takes_context) {
        const s_pend_t *head = batch->entries [batch->count - in_request];
        const s_pend_t *last = batch->entries [batch->count - 1];
        if (s_pend_job (pend) != s_pend_job (head)
        &&  !(head->opens && (pend->opens || s_pend_job (pend) == s_pend_job (last))))
            return 0;
    }
    int64_t room = conf->max_bytes - (takes_context ? S_CONTEXT_MAX : 0);
    if (conf->max_bytes > 0 && in_request > 0
    &&  bytes + (int64_t) strlen (pend->src) > (room > 0 ? room : conf->max_bytes))
        return 0;
    return conf->chars_per_minute <= 0 || task->chars + s_chars (pend->src) <= conf->chars_per_minute;
}

/* Pack a profile's queued entries into tasks, in order, until the
   scheduler holds enough of its tasks to keep its concurrency busy. A
   last task that is not full waits in the queue for the entries of the
   next articles while the profile has other tasks ready to go (they keep
   its requests busy meanwhile), so that loads spread over passes still
   fill requests; it goes as it is as soon as the slots this pass can fill
   would take every ready task. */
static void
s_pack_profile (hny_pipeline_t *self, int profile)
{
    hny_pl_fifo_t *q = &self->unassigned [profile];
    const hny_profile_t *conf = hny_sched_profile_conf (self->sched, profile);
    int takes_context = s_takes_context (self, profile);
    size_t requests = s_task_requests (conf);
    size_t ahead = 2 * (size_t) (conf->concurrency > 0 ? conf->concurrency : 1) / requests + S_AHEAD_MIN;
    hny_task_t *open = NULL;
    int64_t bytes = 0;
    while (q->head && (open || hny_sched_profile_ready (self->sched, profile) < ahead)) {
        s_pend_t *pend = q->head;
        if (open && !s_fits (conf, takes_context, open, bytes, pend)) {
            if (s_batch_submit (self, open, 0) != 0)
                return;         /* the store fails: this pass is undone */
            open = NULL;
            continue;
        }
        q->head = pend->next;
        if (!q->head)
            q->tail = NULL;
        pend->next = NULL;
        if (!open)
            open = s_batch_new (profile, pend->from, pend->to, (size_t) conf->max_texts, requests);
        if (((s_batch_t *) open->data)->count % ((s_batch_t *) open->data)->per_request == 0)
            bytes = 0;          /* it opens a request */
        s_batch_add (open, pend);
        bytes += (int64_t) strlen (pend->src);
    }
    if (!open)
        return;
    /* The dispatch of this pass leases at most the free slots. */
    int slots = (conf->concurrency - hny_sched_profile_inflight (self->sched, profile)) / (int) requests;
    if (((s_batch_t *) open->data)->count < ((s_batch_t *) open->data)->max_count && conf->concurrency > 0
    &&  hny_sched_profile_ready (self->sched, profile) > (size_t) (slots > 0 ? slots : 0)) {
        /* Not full (the queue ran dry) and not needed yet: back in front. */
        s_batch_t *batch = open->data;
        for (size_t i = batch->count; i-- > 0;)
            s_pend_queue (self, batch->entries [i], 1);
        batch->count = 0;
        hny_pl_task_free (&open);
        return;
    }
    s_batch_submit (self, open, 0);
}

/* Move an entry to another profile (a paused one's fallback): under the
   fallback's key, merged into the fallback's own entry for that source if
   it has one. */
static void
s_pend_divert (hny_pipeline_t *self, s_pend_t *pend, int fallback)
{
    size_t at;
    char *key = s_pend_key (hny_pl_profile_name (self, fallback), pend->from, pend->to, pend->src, &at);
    s_pend_t *other = hny_map_get (self->pending, key);
    hny_debug ("job %lld: profile %s paused: a segment goes to %s",
               (long long) (pend->ref_count ? pend->refs [0].job : 0),
               hny_pl_profile_name (self, pend->profile), hny_pl_profile_name (self, fallback));
    if (other) {
        for (size_t i = 0; i < pend->ref_count; i++)
            s_pend_ref (other, pend->refs [i].job, pend->refs [i].para, pend->refs [i].idx);
        free (key);
        s_pend_drop (self, &pend);
        return;
    }
    hny_map_delete (self->pending, pend->key);
    free (pend->key);
    pend->key = key;
    pend->src = key + at;
    pend->profile = fallback;
    pend->tries = 0;
    hny_map_set (self->pending, key, pend);
    s_pend_queue (self, pend, 0);
}

/* Paused profiles with a usable fallback hand it their waiting work:
   their queued tasks are dissolved and their entries move. */
static void
s_divert (hny_pipeline_t *self)
{
    int64_t now = hny_clock_mono_ms ();
    for (size_t p = 0; p < self->profile_count; p++) {
        int fb = hny_sched_profile_diverts (self->sched, (int) p, now);
        if (fb < 0)
            continue;
        hny_task_t *task;
        while ((task = hny_sched_profile_take (self->sched, (int) p)))
            s_batch_dissolve (self, &task);
        hny_pl_fifo_t *q = &self->unassigned [p];
        s_pend_t *pend = q->head;
        q->head = q->tail = NULL;
        while (pend) {
            s_pend_t *next = pend->next;
            s_pend_divert (self, pend, fb);
            pend = next;
        }
    }
}

/* ------------------------------------------------------------- records */

/* Start assembling a job's record (it has nothing pending). */
void
hny_pl_finish_start (hny_pipeline_t *self, hny_pl_job_t *job, int fail_code, hny_err_class_t fail_class,
                     const char *fail_reason)
{
    /* its translations of the RESULT at hand are in no row yet */
    s_tr_flush (self, job);
    hny_pl_finish_t *f = hny_calloc (1, sizeof *f);
    f->job = job;
    f->record = hny_record_new (job->id, fail_code, fail_class, fail_reason);
    f->fail_code = fail_code;
    f->fail_reason = fail_reason ? hny_strdup (fail_reason) : NULL;
    job->finish = f;
    /* Every segment is in the job's rows: the record is made from them
       and reads nothing from the store. */
    if (job->rows_kept && !fail_code) {
        for (size_t i = 0; i < job->row_count; i++)
            hny_record_add (f->record, &job->rows [i]);
        hny_record_close (f->record);
    }
    s_rows_drop (job);
    if (self->finishes_tail)
        self->finishes_tail->next = f;
    else
        self->finishes = f;
    self->finishes_tail = f;
}

/* A finish whose record is whole, on its way out: what the job ends as
   and its record's text, then its frame, made by the store's compressor
   on its helper thread while the loop goes on (hny_zpool.h); the pass
   that takes it back stores it and ends the job. Until then the job is
   tracked with its finish set, as while its record is read: nothing else
   ends or restarts it. */
typedef struct {
    hny_pl_finish_t *f;
    hny_job_row_t row;
    int have_row;               /* the job's row was read (else nothing is stored) */
    hny_job_state_t state;
    char *error;
    int code;
    int whole;                  /* the record holds every segment */
    hny_zpool_item_t item;      /* the record's text (owned) and frame */
} s_ending_t;

/* A load's TM counts into the profile's stats. */
static void
s_load_stats (hny_pipeline_t *self, hny_pl_job_t *job, int64_t hits, int64_t misses, int64_t human_hits)
{
    hny_store_stats_add (self->store, hny_pl_profile_name (self, job->profile), hits, misses, 0, 0, 0);
    if (human_hits)
        hny_store_stats_human_add (self->store, hny_pl_profile_name (self, job->profile), human_hits);
}

/* What f's job ends as, and its record's text. */
static void
s_finish_text (hny_pipeline_t *self, hny_pl_finish_t *f, s_ending_t *e)
{
    hny_pl_job_t *job = f->job;
    memset (e, 0, sizeof *e);
    e->f = f;
    e->state = f->fail_code || job->failed ? HNY_JOB_FAILED : HNY_JOB_DONE;
    e->code = f->fail_code;
    if (f->fail_code)
        e->error = hny_strdup (f->fail_reason ? f->fail_reason : "failed");
    else if (job->failed) {
        e->error = hny_sprintf ("%d of %d segments failed: %s", job->failed, job->total,
                                job->error ? job->error : "failed");
        e->code = job->error_code;
    }
    e->whole = f->fail_code == 0;
    e->have_row = hny_store_job_get (self->store, job->id, &e->row) == 1;
    if (!e->have_row)
        return;
    if (f->kept) {
        /* prepare's output is not in the row yet (hny_pl_finish_t) */
        free (e->row.prepared);
        e->row.prepared = hny_strdup (f->kept);
    }
    char *record = hny_record_text (f->record, &e->row);
    if (!record) {
        e->whole = 0;
        /* Past the cap it could never be fetched (an article near a
           64 MiB max_article_bytes): the job fails, and its record
           says why, as for a job that failed before its segments. */
        e->state = HNY_JOB_FAILED;
        e->code = HNY_STATUS_TOO_LARGE;
        free (e->error);
        e->error = hny_sprintf ("the record is larger than %d bytes, the most a RECORD carries",
                                HNY_PROTO_BODY_MAX);
        hny_record_t *small = hny_record_new (job->id, e->code, HNY_CLASS_PERMANENT, e->error);
        record = hny_record_text (small, &e->row);
        hny_record_destroy (&small);
    }
    e->item.text = record;
    e->item.len = record ? strlen (record) : 0;
}

static void
s_finish_free (hny_pl_finish_t **f_p)
{
    hny_record_destroy (&(*f_p)->record);
    free ((*f_p)->kept);
    free ((*f_p)->fail_reason);
    free (*f_p);
    *f_p = NULL;
}

/* Free an ending and its finish (not the job). */
static void
s_ending_free (s_ending_t **e_p)
{
    s_ending_t *e = *e_p;
    s_finish_free (&e->f);
    hny_job_row_clear (&e->row);
    free (e->error);
    free ((char *) e->item.text);
    free (e->item.z);
    free (e);
    *e_p = NULL;
}

/* The record (compressed) is stored, and the final state; the job is
   forgotten and its waiters told. */
static void
s_finish_end (hny_pipeline_t *self, s_ending_t *e)
{
    hny_pl_job_t *job = e->f->job;
    hny_pl_finish_t *f = e->f;
    /* The retire writes the row once: the counts, the final state and (a
       job made from the TM alone) prepare's output. */
    int retire = e->have_row && !f->fail_code;
    if (f->kept) {
        /* the load's writes, with the record (hny_pl_finish_t) */
        if (retire)
            hny_store_job_content_drop (self->store, job->id);
        else
            hny_store_job_set_prepared (self->store, job->id, f->kept, HNY_JOB_TRANSLATING);
        hny_store_task_delete (self->store, f->task);
        s_load_stats (self, job, f->hits, 0, f->human_hits);
    }
    if (e->have_row) {
        if (e->item.text)
            hny_store_record_put_z (self->store, job->id, &e->item);
        self->sweeping = 1;
    }
    if (retire) {
        /* The segments go once the record holds them (the TM's places
           then point into the record); else they stay for the TM. */
        hny_retire_t r = {
            .total = job->total, .done = job->done, .failed = job->failed,
            /* a job made from the TM alone (kept) has no rows: a fresh one
               never had any, another's went when its load began */
            .drop = !(e->whole && e->item.text) ? 0 : f->kept ? HNY_RETIRE_NO_ROWS : 1,
            .state = e->state, .error = e->error, .error_code = e->code, .prepared = f->kept,
        };
        hny_store_segments_retire (self->store, job->id, &r);
    }
    else
        hny_store_job_set_state (self->store, job->id, e->state, e->error, e->code);
    self->trim = 1;
    if (e->error)
        hny_warn ("job %lld: failed: %s", (long long) job->id, e->error);
    else
        hny_info ("job %lld: done (%d segments)", (long long) job->id, job->total);
    int64_t id = job->id;
    int64_t elapsed = hny_clock_wall_ms () - job->created;
    job->finish = NULL;
    s_job_untrack (self, &job);
    if (self->final)
        self->final (id, e->state, elapsed, self->final_arg);
    s_ending_free (&e);
}

/* The records compressed meanwhile end their jobs, in the order they
   were made. */
static void
s_finish_collect (hny_pipeline_t *self)
{
    hny_zpool_t *zpool = hny_store_records_zpool (self->store);
    hny_zpool_item_t *item;
    while ((item = hny_zpool_take (zpool)))
        s_finish_end (self, item->arg);
}

/* Records out to be compressed are dropped (the jobs are being
   forgotten: the store still has them unfinished). */
static void
s_finish_drop (hny_pipeline_t *self)
{
    hny_zpool_t *zpool = hny_store_records_zpool (self->store);
    hny_zpool_item_t *item;
    while ((item = hny_zpool_wait (zpool))) {
        s_ending_t *e = item->arg;
        s_ending_free (&e);
    }
}

/* A page of the first record being assembled; with it, the records after
   it that are whole already (most are made from memory), up to
   S_FINISH_BATCH: each record's text goes to the compressor, which
   hands it back to a later pass (s_finish_collect); one with no text
   (its job's row is gone) ends now. */
static void
s_finish_slice (hny_pipeline_t *self)
{
    hny_zpool_t *zpool = hny_store_records_zpool (self->store);
    for (int n = 0; self->finishes && n < S_FINISH_BATCH; n++) {
        hny_pl_finish_t *f = self->finishes;
        int more = hny_record_read (f->record, self->store, S_SLICE);
        if (more > 0)
            break;              /* a page read: the next slice goes on */
        self->finishes = f->next;
        if (!self->finishes)
            self->finishes_tail = NULL;
        if (more < 0) {
            /* The store failed: the pass will not commit anyway. */
            f->job->finish = NULL;
            s_finish_free (&f);
            continue;
        }
        /* Memory stays bounded: wait for the oldest record out. */
        while (hny_zpool_out (zpool) >= S_ZPOOL_OUT_MAX)
            s_finish_end (self, hny_zpool_wait (zpool)->arg);
        s_ending_t *e = hny_calloc (1, sizeof *e);
        s_finish_text (self, f, e);
        if (e->item.text) {
            e->item.arg = e;
            hny_zpool_submit (zpool, &e->item);
        }
        else
            s_finish_end (self, e);
    }
}


void
hny_pl_job_check (hny_pipeline_t *self, hny_pl_job_t *job)
{
    /* An align job ends with its align result (hny_pl_align_result); one with
       a backend sends its align task once its source is translated. */
    if (job->kind == HNY_JOB_TRANSLATE && job->pending == 0 && job->state == HNY_JOB_TRANSLATING
    &&  !job->load && !job->finish)
        hny_pl_finish_start (self, job, 0, HNY_CLASS_PERMANENT, NULL);
    else if (job->kind == HNY_JOB_ALIGN && job->mt_wait && job->pending == 0 && !job->finish)
        hny_pl_align_translated (self, job);
}

/* The job failed before it had segments: its record says why. Only a
   prepare that failed again and again (500) might pass later. */
void
hny_pl_job_fail_early (hny_pipeline_t *self, hny_pl_job_t *job, int code, const char *reason)
{
    if (job->finish)
        return;
    hny_pl_finish_start (self, job, code, code >= 500 ? HNY_CLASS_TRANSIENT : HNY_CLASS_PERMANENT, reason);
}

/* ------------------------------------------------------------- loading a prepare result */

/* The segments held back go to the store after all (a miss came). */
static void
s_load_flush (hny_pipeline_t *self, hny_pl_load_t *l)
{
    for (size_t i = 0; i < l->held_count; i++) {
        hny_segment_row_t *row = &l->held [i];
        s_seg_add_done (self, l->job, row->para, row->idx, row->src, row->tgt, row->tm);
        row->tgt = NULL;                /* taken */
        hny_segment_row_clear (row);
    }
    free (l->held);
    l->held = NULL;
    l->held_count = 0;
    l->direct = 0;
}

/* A segment of a job that the TM answers (tgt taken over; human: a human
   entry's). While every segment of a small article is a hit, none is
   stored: the record is made from them at the end of the load
   (s_load_end), and the store is spared writing, reading and deleting
   them. */
static void
s_segment_hit (hny_pipeline_t *self, hny_pl_load_t *l, int para, int idx, const char *src, char *tgt,
               int human)
{
    hny_pl_job_t *job = l->job;
    /* segments.tm: 1 a machine entry, HNY_SEG_TM_HUMAN a human one (the
       record says "origin": "human"). */
    int tm = human ? HNY_SEG_TM_HUMAN : 1;
    if (l->direct) {
        l->held = hny_realloc (l->held, (l->held_count + 1) * sizeof *l->held);
        l->held [l->held_count++] = (hny_segment_row_t) {
            .job = job->id, .para = para, .idx = idx, .src = hny_strdup (src), .tgt = tgt,
            .tm = tm, .state = HNY_SEG_DONE, .err_class = -1,
        };
    }
    else {
        s_seg_add_done (self, job, para, idx, src, tgt, tm);
    }
    job->done++;
    l->hits++;
    l->human_hits += human;
}

/* A new segment of a job: a TM hit, or stored to wait on its entry. */
void
hny_pl_segment_enqueue (hny_pipeline_t *self, hny_pl_load_t *l, int para, int idx, const char *src)
{
    hny_pl_job_t *job = l->job;
    job->total++;
    char *tgt = NULL;
    const char *profile = hny_pl_profile_name (self, job->profile);
    int human = 0;
    if (hny_tm_lookup (self->tm, job->from, job->to, s_tm_key (self, job->profile), src, &tgt,
                       &human) == 1) {
        s_segment_hit (self, l, para, idx, src, tgt, human);
        return;
    }
    if (l->direct)
        s_load_flush (self, l);
    /* A compact load's pending segment is only its kept row: the store
       has it from the job's sources (s_load_end). */
    if (l->compact)
        s_row_add (job, para, idx, src);
    else
        s_seg_add (self, job, para, idx, src);
    l->misses++;
    const hny_profile_t *conf = hny_sched_profile_conf (self->sched, job->profile);
    size_t bytes = strlen (src);
    if (conf->max_bytes > 0 && (int64_t) bytes > conf->max_bytes) {
        char *reason = hny_sprintf ("segment of %zu bytes is over the max_bytes of profile %s (%lld)",
                                    bytes, profile, (long long) conf->max_bytes);
        s_seg_fail (self, job->id, job, para, idx, src, HNY_STATUS_TOO_LARGE, HNY_CLASS_PERMANENT, reason);
        s_job_note_failure (job, HNY_STATUS_TOO_LARGE, reason);
        free (reason);
        return;
    }
    int created;
    s_pend_t *pend = s_pend_get (self, job->profile, job->from, job->to, src, &created);
    if (created) {
        pend->opens = job->total == 1;
        s_pend_queue (self, pend, 0);
    }
    s_pend_ref (pend, job->id, para, idx);
    job->pending++;
}

const char *
hny_pl_src_of (json_t *seg)
{
    const char *src = json_string_value (json_object_get (seg, "src"));
    return src && *src ? src : NULL;
}

static void
s_load_free (hny_pl_load_t **l_p)
{
    hny_pl_load_t *l = *l_p;
    json_decref (l->art);
    free (l->prepared);
    hny_pl_task_free (&l->task);
    for (size_t i = 0; i < l->held_count; i++)
        hny_segment_row_clear (&l->held [i]);
    free (l->held);
    hny_record_destroy (&l->record);
    free (l);
    *l_p = NULL;
}

/* A compact load's end: every segment of the job as its sources row
   (its pending segments are in no other; hny_store.h "segments"). The
   job keeps all its rows in memory, in (para, idx) order. */
static void
s_sources_put (hny_pipeline_t *self, hny_pl_job_t *job)
{
    if (!job->rows_kept || job->row_count != (size_t) job->total) {
        /* Not every segment kept (a bug): the pending ones kept become
           rows, as a load that is not compact writes them. */
        hny_error ("job %lld: %zu of %d segments kept at the end of its load", (long long) job->id,
                   job->row_count, job->total);
        for (size_t i = 0; i < job->row_count; i++)
            if (job->rows [i].state == HNY_SEG_PENDING)
                hny_store_segment_add (self->store, job->id, job->rows [i].para, job->rows [i].idx,
                                       job->rows [i].src);
        return;
    }
    /* Exactly the rows' sources and their heads: bounded by the prepare
       result's own cap. */
    size_t size = 0;
    for (size_t i = 0; i < job->row_count; i++)
        size += HNY_STORE_SOURCE_HEAD + strlen (job->rows [i].src);
    hny_buf_t list = HNY_BUF_INIT (size);
    for (size_t i = 0; i < job->row_count; i++)
        hny_store_sources_add (&list, job->rows [i].para, job->rows [i].idx, job->rows [i].src);
    job->has_sources = hny_store_sources_put (self->store, job->id, &list, (int) job->row_count) == 0;
    hny_buf_free (&list);
}

/* The whole result is loaded: keep what the record needs besides the
   segments, drop the raw content and the prepare task. */
static void
s_load_end (hny_pipeline_t *self, hny_pl_load_t *l)
{
    hny_pl_job_t *job = l->job;
    char *kept = NULL;
    if (!l->art && l->prepared) {
        /* a reused job's pairs: the done job's kept output as it is */
        kept = l->prepared;
        l->prepared = NULL;
    }
    else {
        json_t *keep = json_object ();
        const char *names [] = { "metadata", "charset", "format", "replaced" };
        for (size_t i = 0; i < 4; i++)
            if (json_object_get (l->art, names [i]))
                json_object_set (keep, names [i], json_object_get (l->art, names [i]));
        kept = json_dumps (keep, JSON_COMPACT);
        json_decref (keep);
    }
    hny_debug ("job %lld: prepared: %d segments, %lld from the TM", (long long) job->id, job->total,
               (long long) l->hits);
    job->load = NULL;
    /* Segments held back are in no rows: the record is made of them
       below, or (flushed) read from the store. */
    if (l->direct)
        s_rows_drop (job);
    hny_pl_job_note_state (self, job, HNY_JOB_TRANSLATING);
    hny_pl_job_check (self, job);
    if (l->direct && job->finish) {
        /* All from the TM: the record is made of the segments held, or
           is the one made of a reused job's pairs; the load's writes go
           with it (hny_pl_finish_t). */
        hny_pl_finish_t *f = job->finish;
        f->kept = kept;
        kept = NULL;
        f->task = l->task->id;
        f->hits = l->hits;
        f->human_hits = l->human_hits;
        if (l->record && !job->finish->fail_code) {
            hny_record_destroy (&job->finish->record);
            job->finish->record = l->record;
            l->record = NULL;
        }
        for (size_t i = 0; i < l->held_count; i++)
            hny_record_add (job->finish->record, &l->held [i]);
        hny_record_close (job->finish->record);
    }
    else if (l->record) {
        /* Cannot happen: every segment of a reused job is a hit, so its
           record starts above. Its pairs are in no row: it fails. */
        hny_error ("job %lld: reused, but its record did not start", (long long) job->id);
        hny_pl_job_fail_early (self, job, HNY_STATUS_INTERNAL, "internal error: the reused job's pairs were lost");
    }
    else {
        s_load_flush (self, l);
        if (l->compact)
            s_sources_put (self, job);
    }
    if (kept) {
        /* translating from here: the state goes with this write of the row */
        hny_store_job_set_prepared (self->store, job->id, kept, HNY_JOB_TRANSLATING);
        hny_store_task_delete (self->store, l->task->id);
        s_load_stats (self, job, l->hits, l->misses, l->human_hits);
        free (kept);
    }
}

/* A reused job's segments from the done job's record, taken now, right
   before their lookups (which then find that record in the TM's cache:
   taken at SUBMIT, a pass of 256 SUBMITs would push the first ones out).
   0, or -1: the record is not usable after all, and the job's prepare task
   is queued as any other (the load is gone). */
/* hny_tm_article_pairs' callback: a pair of the done job is a TM hit of
   the reused one, written into its record as it comes (a reused job is
   loaded in one slice, and all its segments are hits: s_load_end makes
   this its record). */
typedef struct {
    hny_pipeline_t *self;
    hny_pl_load_t *load;
} s_reuse_t;

static void
s_reuse_pair (int para, int idx, const hny_tm_pair_t *pair, void *arg)
{
    s_reuse_t *r = arg;
    hny_pl_load_t *l = r->load;
    if (!l->record)
        l->record = hny_record_new (l->job->id, 0, HNY_CLASS_PERMANENT, NULL);
    hny_record_add_hit (l->record, para, idx, pair);
    l->job->total++;
    l->job->done++;
    l->hits++;
}

/* The done job's translations as they are, without a lookup a segment:
   they are what the TM answers for its sources (hny_tm.h: a machine
   entry never changes once made), unless the pair has human entries,
   which win, or the profile has a glossary (its TM key then names the
   glossary's version, which the content's hash does not). 1 done (every
   segment a hit; the load then ends), 0 (the lookups decide). */
static int
s_load_reuse_pairs (hny_pipeline_t *self, hny_pl_load_t *l)
{
    hny_pl_job_t *job = l->job;
    const char *key = s_tm_key (self, job->profile);
    if (strcmp (key, hny_pl_profile_name (self, job->profile)) != 0
    ||  hny_store_tm_human_known (self->store, job->from, job->to) != 0)
        return 0;
    s_reuse_t r = { self, l };
    return hny_tm_article_pairs (self->tm, l->reuse, S_SLICE, s_reuse_pair, &r) == 1;
}

/* The records of the done jobs that l and the loads after it reuse, read
   ahead together when l's is not in the TM's cache (hny_tm_prefetch):
   once every HNY_TM_AHEAD_MAX loads of a burst of them. */
static void
s_load_ahead (hny_pipeline_t *self, hny_pl_load_t *l)
{
    if (hny_tm_cached (self->tm, l->reuse))
        return;
    int64_t jobs [HNY_TM_AHEAD_MAX];
    size_t n = 0;
    for (; l && n < HNY_TM_AHEAD_MAX; l = l->next)
        if (l->reuse)
            jobs [n++] = l->reuse;
    if (n > 1)
        hny_tm_prefetch (self->tm, jobs, n);
}

static int
s_load_reuse (hny_pipeline_t *self, hny_pl_load_t *l)
{
    s_load_ahead (self, l);
    if (s_load_reuse_pairs (self, l)) {
        l->reuse = 0;
        l->title_done = 1;
        return 0;
    }
    json_t *segs = hny_tm_article (self->tm, l->reuse, S_SLICE);
    l->reuse = 0;
    if (segs && !l->art)
        l->art = json_loads (l->prepared, 0, NULL);     /* checked in s_reuse */
    if (segs && json_is_object (l->art)) {
        json_object_update (l->art, segs);
        json_decref (segs);
        return 0;
    }
    json_decref (segs);
    hny_pl_job_t *job = l->job;
    hny_warn ("job %lld: the segments of the job done with the same content cannot be read:"
              " preparing it", (long long) job->id);
    self->loads = l->next;
    if (!self->loads)
        self->loads_tail = NULL;
    job->load = NULL;
    hny_pl_job_set_state (self, job, HNY_JOB_QUEUED);
    hny_sched_add (self->sched, l->task, 0, hny_clock_mono_ms ());
    l->task = NULL;
    s_load_free (&l);
    return -1;
}

/* One slice of the first result being loaded. Returns segments handled. */
static int
s_load_slice (hny_pipeline_t *self)
{
    hny_pl_load_t *l = self->loads;
    if (l->reuse && s_load_reuse (self, l))
        return 1;
    json_t *paras = json_object_get (l->art, "paragraphs");
    int n = 0;
    if (!l->title_done) {
        /* The title first: a job's segments reach the packer in order and
           together (loads run one after the other). */
        const char *title = hny_pl_src_of (json_object_get (l->art, "title"));
        if (title)
            hny_pl_segment_enqueue (self, l, -1, 0, title);
        l->title_done = 1;
    }
    while (n < S_SLICE && l->para < json_array_size (paras)) {
        json_t *segs = json_object_get (json_array_get (paras, l->para), "segments");
        if (l->seg >= json_array_size (segs)) {
            /* End of an input paragraph (an empty one takes no number). */
            if (l->out_idx > 0) {
                l->out_para++;
                l->out_idx = 0;
            }
            l->para++;
            l->seg = 0;
            continue;
        }
        const char *src = hny_pl_src_of (json_array_get (segs, l->seg++));
        if (!src)
            continue;
        hny_pl_segment_enqueue (self, l, l->out_para, l->out_idx++, src);
        n++;
    }
    if (l->para >= json_array_size (paras)) {
        self->loads = l->next;
        if (!self->loads)
            self->loads_tail = NULL;
        s_load_end (self, l);
        s_load_free (&l);
    }
    return n ? n : 1;
}

/* How many "src" members the JSON text has, counted without parsing it:
   the key "src" (a quote that no backslash escapes, src, a quote, then a
   colon after optional blanks). Inside a string a quote is always
   escaped, so text in segments is never counted. */
size_t
hny_pl_count_src_keys (const uint8_t *body, size_t size)
{
    size_t count = 0;
    const uint8_t *p = body, *end = body + size;
    while (p && p + 5 <= end) {
        p = memmem (p, (size_t) (end - p), "\"src\"", 5);
        if (!p)
            break;
        if (p == body || p [-1] != '\\') {
            const uint8_t *q = p + 5;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            count += q < end && *q == ':';
        }
        p += 5;
    }
    return count;
}

/* A prepare RESULT body as a prepared article (caller owns), or NULL
   with *why: not JSON, not an object, no paragraphs array. */
json_t *
hny_pl_prepared_parse (const uint8_t *body, size_t size, const char **why)
{
    /* read by cJSON (hny_json.h), handed over as jansson: the load runs on it */
    json_t *art = hny_json_load (body, size, HNY_PROTO_BODY_MAX, HNY_JSON_UNIQUE, NULL);
    if (json_is_object (art) && json_is_array (json_object_get (art, "paragraphs")))
        return art;
    json_decref (art);
    *why = "prepare result is not a prepared article";
    return NULL;
}

/* Start loading a prepared article of count segments (art and task now
   belong to the load). */
static void
s_load_start (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, json_t *art, size_t count)
{
    /* A job queued again by a reload (its result arrived before or while
       the store failed) is preparing now. */
    if (job->state == HNY_JOB_QUEUED)
        hny_pl_job_set_state (self, job, HNY_JOB_PREPARING);
    hny_pl_load_t *l = hny_calloc (1, sizeof *l);
    l->job = job;
    l->task = task;
    l->art = art;
    l->direct = count <= S_SLICE;   /* loaded in one slice, so in this pass */
    job->load = l;
    /* A result loaded again (after a restart, a reload) starts from a
       clean slate; a job's first load in the process that took it has
       none to clear (three statements a job saved). */
    if (!job->fresh)
        hny_store_segments_delete (self->store, job->id);
    job->fresh = 0;
    /* A translate job's rows are kept from here (s_row_add), all of them. */
    s_rows_drop (job);
    job->rows_kept = job->kind == HNY_JOB_TRANSLATE;
    /* Loaded in this pass and kept whole: its sources are one row, written
       when the load ends, in this pass too (no RESULT can come before). */
    l->compact = job->rows_kept && count <= S_SLICE;
    job->has_sources = 0;           /* until its load ends */
    if (self->loads_tail)
        self->loads_tail->next = l;
    else
        self->loads = l;
    self->loads_tail = l;
}

/* Check a prepare result and start loading it. Returns 0 (consumed: the
   task now belongs to the load, or is freed), -1 with *why (unusable). */
static int
s_prepare_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                  const uint8_t *body, size_t size, const char **why)
{
    hny_pl_job_t *job = hny_pl_job (self, task->job);
    if (!job || job->state > HNY_JOB_PREPARING || job->load || job->finish) {
        /* A duplicate for a job that moved on. */
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        return 0;
    }
    if (job->kind == HNY_JOB_ALIGN)
        return hny_pl_align_prepared (self, job, task, status, reason, body, size, why);
    if (status != HNY_STATUS_OK) {
        char *text = hny_sprintf ("prepare: %s", reason && *reason ? reason : "failed");
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        hny_pl_job_fail_early (self, job, status, text);
        free (text);
        return 0;
    }
    /* The cap applies before parsing: a prepared article is its text plus
       a bounded overhead per segment (PROTOCOL.md section 8). */
    size_t cap = 2 * (size_t) self->conf->max_article_bytes + (size_t) HNY_PL_RESULT_SLACK * HNY_SEGMENTS_MAX;
    if (size > cap) {
        *why = "prepare result over its size cap";
        return -1;
    }
    /* Parsing costs ~10 bytes of memory per byte of many tiny segments:
       count the segments first, from the raw text, and refuse a result
       over the cap before building anything (a 1M-sentence article). */
    size_t srcs = hny_pl_count_src_keys (body, size);
    if (srcs > HNY_SEGMENTS_MAX) {
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        char *text = hny_sprintf ("article has about %zu segments, more than %d", srcs, HNY_SEGMENTS_MAX);
        hny_pl_job_fail_early (self, job, HNY_STATUS_TOO_LARGE, text);
        free (text);
        return 0;
    }
    json_t *art = hny_pl_prepared_parse (body, size, why);
    if (!art)
        return -1;
    json_t *paras = json_object_get (art, "paragraphs");
    size_t count = hny_pl_src_of (json_object_get (art, "title")) ? 1 : 0;
    size_t pi;
    json_t *para;
    json_array_foreach (paras, pi, para)
        count += json_array_size (json_object_get (para, "segments"));
    if (count == 0) {
        /* A worker finds no article with 422; nothing to translate is
           the same answer, not an empty "done". */
        json_decref (art);
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        hny_pl_job_fail_early (self, job, HNY_STATUS_UNPROCESSABLE, "prepare: no text found in the article");
        return 0;
    }
    if (count > HNY_SEGMENTS_MAX) {
        json_decref (art);
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        char *text = hny_sprintf ("article has %zu segments, more than %d", count, HNY_SEGMENTS_MAX);
        hny_pl_job_fail_early (self, job, HNY_STATUS_TOO_LARGE, text);
        free (text);
        return 0;
    }
    s_load_start (self, job, task, art, count);
    return 0;
}

/* ------------------------------------------------------------- translate results */

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

/* A RESULT's billing, summed per job: each job's row is written once
   per RESULT (s_bills_flush), not once per segment it was billed for. */
typedef struct {
    struct {
        int64_t job, chars, requests;
    } *rows;
    size_t count, alloc;
} s_bills_t;

static void
s_bills_add (s_bills_t *bills, int64_t job, int64_t chars, int64_t requests)
{
    /* A task's entries come in article order: the job is mostly the last one. */
    size_t i = bills->count;
    while (i > 0 && bills->rows [i - 1].job != job)
        i--;
    if (i == 0) {
        if (bills->count == bills->alloc) {
            bills->alloc = bills->alloc ? bills->alloc * 2 : 4;
            bills->rows = hny_realloc (bills->rows, bills->alloc * sizeof *bills->rows);
        }
        bills->rows [bills->count].job = job;
        bills->rows [bills->count].chars = bills->rows [bills->count].requests = 0;
        i = ++bills->count;
    }
    bills->rows [i - 1].chars += chars;
    bills->rows [i - 1].requests += requests;
}

/* Write the sums (in the pass's transaction, as the RESULT's fills) and
   free them. */
static void
s_bills_flush (hny_pipeline_t *self, s_bills_t *bills)
{
    for (size_t i = 0; i < bills->count; i++)
        hny_store_job_add_billing (self->store, bills->rows [i].job, bills->rows [i].chars,
                                   bills->rows [i].requests);
    free (bills->rows);
    memset (bills, 0, sizeof *bills);
}

static int
s_translate_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                    const uint8_t *body, size_t size, const char **why)
{
    s_batch_t *batch = task->data;
    size_t n = batch->count;
    cJSON **results = hny_calloc (n ? n : 1, sizeof *results);
    cJSON *doc = NULL;
    int64_t requests = 0, billed = 0;
    s_bills_t bills = { 0 };
    /* A translation is a few times its source at most (Japanese is 3
       bytes a character, JSON escapes up to 6): a body past that cap is
       not parsed (a buggy or hostile worker, up to the 64 MiB frame cap,
       would cost ten times that in memory). */
    size_t cap = (size_t) (S_SEGMENT_SLACK + S_QA_SLACK) * (n + 16);
    for (size_t i = 0; i < n; i++)
        cap += 8 * strlen (batch->entries [i]->src);
    if (status == HNY_STATUS_OK && size > cap + S_RESULT_MIN) {
        free (results);
        *why = "translate result over its size cap";
        return -1;
    }
    if (status == HNY_STATUS_OK) {
        /* cJSON under the protocol's rules (hny_json.h): several times
           jansson's speed on these bodies, the loop's largest parse */
        doc = hny_json_parse (body, size, cap + S_RESULT_MIN, HNY_JSON_DEPTH_MAX, HNY_JSON_UNIQUE, NULL);
        cJSON *segs = hny_json_get (doc, "segments");
        if (!cJSON_IsArray (segs)) {
            cJSON_Delete (doc);
            free (results);
            *why = "translate result without a segments array";
            return -1;
        }
        cJSON *item;
        cJSON_ArrayForEach (item, segs) {
            int64_t id;
            if (hny_json_int (hny_json_get (item, "id"), &id) && id >= 0 && (uint64_t) id < n
            &&  !results [id])
                results [id] = item;
        }
        requests = hny_json_int_or (hny_json_get (doc, "requests"), 0);
        billed = hny_json_int_or (hny_json_get (doc, "chars_billed"), 0);
        requests = requests > 0 ? requests : 0;
        billed = billed > 0 ? billed : 0;
        /* What the service says of its own use and cost (5.3). */
        cJSON *usage = hny_json_get (doc, "usage");
        int64_t count, limit;
        if (hny_json_int (hny_json_get (usage, "character_count"), &count)
        &&  hny_json_int (hny_json_get (usage, "character_limit"), &limit) && count >= 0 && limit >= 0)
            hny_store_usage_set (self->store, hny_pl_profile_name (self, task->profile), count, limit);
        cJSON *tokens = hny_json_get (doc, "tokens");
        int64_t prompt = hny_json_int_or (hny_json_get (tokens, "prompt"), 0);
        int64_t completion = hny_json_int_or (hny_json_get (tokens, "completion"), 0);
        if (prompt > 0 || completion > 0)
            hny_store_tokens_add (self->store, hny_pl_profile_name (self, task->profile),
                                  prompt > 0 ? prompt : 0, completion > 0 ? completion : 0);
    }
    int64_t now = hny_clock_mono_ms ();
    int64_t total_bytes = 0;
    for (size_t i = 0; i < n; i++)
        total_bytes += (int64_t) strlen (batch->entries [i]->src);
    /* From here segments are filled, their translations gathered by job
       (s_tr_*) up to the body's size and 256 bytes an entry (heads,
       profile names); what a job repeats past that is written alone. */
    self->tr_max = size + (size_t) 256 * (n + 16);
    const hny_profile_t *conf = hny_sched_profile_conf (self->sched, task->profile);
    int retries = conf->retries > 0 ? conf->retries : 1;
    int filled = 0;
    int bad_qa = 0;                 /* segments whose qa was left out */
    const char *paused = NULL;
    hny_task_t *retry = NULL;       /* the transient failures, retried together */
    for (size_t i = 0; i < n; i++) {
        s_pend_t *pend = batch->entries [i];
        pend->task = NULL;
        cJSON *res = results [i];
        const char *tgt = hny_json_str (hny_json_get (res, "tgt"), NULL);
        cJSON *err = hny_json_get (res, "error");
        int cls = hny_err_class_parse (hny_json_str (hny_json_get (err, "class"), NULL));
        const char *why_seg = hny_json_str (hny_json_get (err, "reason"), NULL);
        int code = (int) hny_json_int_or (hny_json_get (err, "code"), 0);
        if (status != HNY_STATUS_OK) {
            /* The whole batch was refused as bad input. */
            s_pend_fail (self, pend, status, HNY_CLASS_PERMANENT,
                         reason && *reason ? reason : "rejected by the worker");
            continue;
        }
        if (tgt) {
            /* Billing goes to the first job waiting for it, in proportion
               to the source's share of the batch; a request to the job of
               its first segment (all to the first one's when the worker
               made more requests than the task's, halving a refused one). */
            if (pend->ref_count && total_bytes > 0) {
                int64_t share = billed * (int64_t) strlen (pend->src) / total_bytes;
                int64_t reqs = requests == (int64_t) s_batch_requests (batch) ? i % batch->per_request == 0
                             : i == 0 ? requests : 0;
                if (share || reqs)
                    s_bills_add (&bills, pend->refs [0].job, share, reqs);
            }
            /* flags a worker got wrong are left out, the translation kept */
            cJSON *qa_doc = hny_json_get (res, "qa");
            char *qa_text = NULL;
            if (qa_doc) {
                /* rare, small: checked and written by the one checker, on jansson */
                json_t *qa = hny_json_to_jansson (qa_doc);
                qa_text = hny_qa_json_valid (qa) ? json_dumps (qa, JSON_COMPACT) : NULL;
                json_decref (qa);
            }
            bad_qa += qa_doc && !qa_text;
            s_pend_fill (self, pend, tgt, hny_json_str (hny_json_get (res, "warning"), NULL), qa_text);
            free (qa_text);
            filled++;
            continue;
        }
        if (!res || cls < 0 || cls == HNY_CLASS_WARNING) {
            cls = HNY_CLASS_TRANSIENT;
            why_seg = res ? "malformed segment result" : "the worker returned no result for it";
            code = HNY_STATUS_INTERNAL;
        }
        if (!why_seg)
            why_seg = "failed";
        /* The worker's class decides (section 13). */
        if (cls == HNY_CLASS_PAUSED) {
            paused = why_seg;
            s_pend_queue (self, pend, 1);
        }
        else if (cls == HNY_CLASS_TRANSIENT && ++pend->tries < retries) {
            int64_t after = hny_json_int_or (hny_json_get (err, "retry_after_ms"), 0);
            int64_t backoff = s_retry_backoff (conf, pend->tries, after);
            hny_debug ("job %lld: transient failure (%d %s): retry %d in %lld ms",
                       (long long) (pend->ref_count ? pend->refs [0].job : 0), code, why_seg,
                       pend->tries, (long long) backoff);
            if (!retry)
                retry = s_batch_new (task->profile, batch->from, batch->to, batch->per_request,
                                     s_batch_requests (batch));
            s_batch_add (retry, pend);
            if (now + backoff > retry->not_before)
                retry->not_before = now + backoff;
        }
        else if (cls == HNY_CLASS_TRANSIENT) {
            char *text = hny_sprintf ("%s (after %d tries)", why_seg, pend->tries);
            s_pend_fail (self, pend, code ? code : HNY_STATUS_UNAVAILABLE, HNY_CLASS_TRANSIENT, text);
            free (text);
        }
        else
            s_pend_fail (self, pend, code ? code : HNY_STATUS_UNPROCESSABLE, HNY_CLASS_PERMANENT,
                         why_seg);
    }
    if (bad_qa)
        hny_warn ("job %lld: task %lld: %d segments came with a malformed qa (PROTOCOL.md 12.2.1): "
                  "kept without it", (long long) task->job, (long long) task->id, bad_qa);
    /* Once per result, never once per segment (section 13). */
    if (filled)
        hny_sched_profile_resume (self->sched, task->profile);
    else if (paused)
        hny_sched_profile_pause (self->sched, task->profile, paused, task, requests == 0 && task->probe, now);
    if (retry)
        s_batch_submit (self, retry, 0);
    if (filled || requests || billed)
        hny_store_stats_add (self->store, hny_pl_profile_name (self, task->profile), 0, 0, billed, requests,
                             filled);
    s_bills_flush (self, &bills);
    s_tr_end (self);
    cJSON_Delete (doc);
    free (results);
    batch->count = 0;
    hny_store_task_delete (self->store, task->id);
    hny_pl_task_free (&task);
    return 0;
}

int
hny_pipeline_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                     const uint8_t *body, size_t size, const char **why)
{
    *why = NULL;
    return task->kind == HNY_TASK_PREPARE ? s_prepare_result (self, task, status, reason, body, size, why)
         : task->kind == HNY_TASK_ALIGN   ? hny_pl_align_result (self, task, status, reason, body, size, why)
                                          : s_translate_result (self, task, status, reason, body, size, why);
}

/* ------------------------------------------------------------- the scheduler's hooks */

/* A task went round HNY_TASK_ATTEMPTS_MAX times: fail what it carries. */
static void
s_on_exhausted (hny_task_t *task, const char *reason, void *arg)
{
    hny_pipeline_t *self = arg;
    char *text = hny_sprintf ("task failed %d times: %s", task->attempts, reason ? reason : "no result");
    hny_store_task_delete (self->store, task->id);
    if (task->kind != HNY_TASK_TRANSLATE) {
        hny_pl_job_t *job = hny_pl_job (self, task->job);
        if (job)
            hny_pl_job_fail_early (self, job, HNY_STATUS_INTERNAL, text);
    }
    else {
        s_batch_t *batch = task->data;
        for (size_t i = 0; i < batch->count; i++)
            s_pend_fail (self, batch->entries [i], HNY_STATUS_INTERNAL, HNY_CLASS_TRANSIENT, text);
        batch->count = 0;
    }
    hny_pl_task_free (&task);
    free (text);
}

static void
s_on_release (hny_task_t *task, void *arg)
{
    (void) arg;
    hny_pl_task_free (&task);
}

/* ------------------------------------------------------------- TASK contents */

/* The contexts of a context-taking type's task, one per request, looked
   up in the store the first time the task is sent (the segments before
   the request's first one, PROTOCOL.md 5.4) and kept for its other
   attempts. */
static void
s_batch_context (hny_pipeline_t *self, hny_task_t *task)
{
    s_batch_t *batch = task->data;
    if (batch->contexts_known || !s_takes_context (self, task->profile))
        return;
    batch->contexts_known = 1;
    size_t requests = s_batch_requests (batch);
    batch->contexts = hny_calloc (requests ? requests : 1, sizeof *batch->contexts);
    batch->context_count = requests;
    for (size_t r = 0; r < requests; r++) {
        const s_pend_t *head = batch->entries [r * batch->per_request];
        if (head->ref_count && !head->opens)
            hny_store_context (self->store, head->refs [0].job, head->refs [0].para, head->refs [0].idx,
                               S_CONTEXT_MAX, &batch->contexts [r]);
    }
}

int
hny_pipeline_task_fill (hny_pipeline_t *self, hny_task_t *task, json_t *header, char **body,
                        size_t *size)
{
    json_object_set_new (header, "kind", json_string (hny_task_kind_name (task->kind)));
    if (task->kind == HNY_TASK_TRANSLATE) {
        s_batch_t *batch = task->data;
        s_batch_context (self, task);
        json_object_set_new (header, "profile", json_string (hny_pl_profile_name (self, task->profile)));
        json_object_set_new (header, "from", json_string (batch->from));
        json_object_set_new (header, "to", json_string (batch->to));
        /* Each request's segments share one context (5.4): a task of one
           request says it once for all, a task of several on each
           segment, so that a worker sends each request's segments
           together. The text is written as json_pack and json_dumps
           wrote it; a task's texts are capped by its profile's max_bytes,
           far below the body's cap. */
        size_t requests = s_batch_requests (batch);
        hny_buf_t buf = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
        hny_buf_add (&buf, "{\"segments\":[", 13);
        const char *context = NULL;
        for (size_t i = 0; i < batch->count; i++) {
            if (requests > 1 && i % batch->per_request == 0)
                context = batch->contexts ? batch->contexts [i / batch->per_request] : NULL;
            const char *src = batch->entries [i]->src;
            hny_buf_add (&buf, i ? ",{" : "{", i ? 2 : 1);
            hny_json_put_key (&buf, "id", 1);
            hny_json_put_int (&buf, (int64_t) i);
            hny_json_put_member (&buf, "src", src, 0);
            if (context)
                hny_json_put_member (&buf, "context", context, 0);
            hny_buf_add (&buf, "}", 1);
        }
        hny_buf_add (&buf, "]", 1);
        if (requests == 1 && batch->contexts && batch->contexts [0]) {
            hny_json_put_member (&buf, "context", batch->contexts [0], 0);
        }
        /* A task of a paused profile is its probe (the scheduler lets one
           out at a time): a type with a free way to ask (DeepL's
           /v2/usage) asks that first (5.4). */
        if (hny_sched_profile_paused (self->sched, task->profile))
            hny_buf_adds (&buf, ",\"probe\":true");
        if (hny_buf_add (&buf, "}", 1) < 0) {
            /* cannot happen (see above); the worker answers 400 to "{}" */
            hny_error ("task %lld: TASK body past %d bytes", (long long) task->id, HNY_PROTO_BODY_MAX);
            hny_buf_reset (&buf);
            hny_buf_add (&buf, "{}", 2);
        }
        *body = hny_buf_take (&buf, size);
        return 0;
    }
    hny_pl_job_t *job = hny_pl_job (self, task->job);
    if (job && job->kind == HNY_JOB_ALIGN)
        return hny_pl_align_fill (self, job, task, header, body, size);
    hny_job_row_t row = { 0 };
    uint8_t *content = NULL;
    size_t len = 0;
    if (!job || hny_store_job_get (self->store, task->job, &row) != 1
    ||  hny_store_job_content (self->store, task->job, &content, &len) != 1) {
        hny_job_row_clear (&row);
        hny_warn ("job %lld: no content to prepare: task dropped", (long long) task->job);
        hny_sched_remove (self->sched, task);
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        return -1;
    }
    json_object_set_new (header, "format", json_string (row.format));
    json_object_set_new (header, "from", json_string (row.from));
    json_object_set_new (header, "lenient", json_boolean (row.lenient));
    if (row.source)
        json_object_set_new (header, "source", json_string (row.source));
    *body = (char *) content;
    *size = len;
    hny_job_row_clear (&row);
    return 0;
}

void
hny_pipeline_task_leased (hny_pipeline_t *self, hny_task_t *task)
{
    if (task->kind != HNY_TASK_PREPARE)
        return;
    hny_pl_job_t *job = hny_pl_job (self, task->job);
    if (job && job->state == HNY_JOB_QUEUED)
        hny_pl_job_set_state (self, job, HNY_JOB_PREPARING);
}

/* ------------------------------------------------------------- the pass */

int
hny_pipeline_step (hny_pipeline_t *self, int64_t budget_ms)
{
    s_divert (self);
    s_finish_collect (self);
    int64_t deadline = hny_clock_mono_ms () + (budget_ms > 0 ? budget_ms : 1);
    while ((self->loads || self->finishes || self->sweeping) && hny_clock_mono_ms () < deadline) {
        /* Finishing first: it frees memory and answers waiters; sweeping
           the segments of long articles done last. */
        if (self->finishes)
            s_finish_slice (self);
        else if (self->loads)
            s_load_slice (self);
        else
            self->sweeping = hny_store_sweep (self->store, S_SWEEP_ROWS) > 0;
    }
    /* Those compressed meanwhile (all, without a helper thread). */
    s_finish_collect (self);
    for (size_t p = 0; p < self->profile_count; p++)
        if (self->unassigned [p].head)
            s_pack_profile (self, (int) p);
    /* Idle: the pages that segments, contents and tasks left free go back
       to the file system, a bounded share per pass, and the WAL is emptied
       (a checkpoint: at most once a second, for a client that sends one
       job at a time). */
    int64_t now = hny_clock_mono_ms ();
    if (self->trim && !self->sweeping && hny_map_size (self->jobs) == 0
    &&  (self->trimming || now - self->trim_at >= S_TRIM_EVERY_MS)) {
        self->trim = self->trimming = hny_store_trim (self->store, S_TRIM_PAGES) > 0;
        self->trim_at = now;
    }
    return self->loads || self->finishes || self->sweeping || self->trimming;
}

int
hny_pipeline_wake_fd (hny_pipeline_t *self)
{
    return hny_zpool_fd (hny_store_records_zpool (self->store));
}

/* ------------------------------------------------------------- loading the store */

static int
s_load_job (const hny_job_row_t *row, void *arg)
{
    hny_pipeline_t *self = arg;
    int profile = hny_sched_profile_find (self->sched, row->backend);
    /* Leased tasks count as queued; a result half loaded is loaded again. */
    hny_job_state_t state = row->state == HNY_JOB_PREPARING ? HNY_JOB_QUEUED : row->state;
    if (hny_job_kind_of_backend (row->backend) == HNY_JOB_ALIGN) {
        /* with a backend, its profile is in the align row */
        hny_align_row_t al = { 0 };
        int found = hny_store_align_get (self->store, row->id, &al);
        profile = found == 1 && al.profile ? hny_sched_profile_find (self->sched, al.profile) : -1;
        hny_pl_job_t *job = s_job_track (self, row->id, state, row->from, row->to, profile, row->created);
        job->kind = HNY_JOB_ALIGN;
        if (found == 1 && al.profile && profile < 0) {
            char *reason = hny_sprintf ("profile %s is not configured any more", al.profile);
            hny_warn ("job %lld: %s: job failed", (long long) row->id, reason);
            hny_pl_job_fail_early (self, job, HNY_STATUS_UNPROCESSABLE, reason);
            free (reason);
        }
        hny_align_row_clear (&al);
        return 0;
    }
    if (profile < 0) {
        hny_warn ("job %lld: profile %s is not configured any more: job failed", (long long) row->id,
                  row->backend);
        hny_pl_job_t *job = s_job_track (self, row->id, state, row->from, row->to, 0, row->created);
        char *reason = hny_sprintf ("profile %s is not configured any more", row->backend);
        hny_pl_job_fail_early (self, job, HNY_STATUS_UNPROCESSABLE, reason);
        free (reason);
        return 0;
    }
    s_job_track (self, row->id, state, row->from, row->to, profile, row->created);
    return 0;
}

typedef struct {
    hny_pipeline_t *self;
    int64_t *drop;              /* task ids to delete */
    size_t drop_count;
    hny_task_t **tasks;         /* translate tasks loaded, to prune */
    size_t task_count;
    hny_store_srcs_t *srcs;     /* the sources that tasks' entries name */
    int failed;                 /* the store failed to read them */
} s_loading_t;

static void
s_loading_drop (s_loading_t *r, int64_t id)
{
    r->drop = hny_realloc (r->drop, (r->drop_count + 1) * sizeof *r->drop);
    r->drop [r->drop_count++] = id;
}

/* A task that was leased when the broker stopped may be in a worker's
   hands still: it waits three heartbeats for that worker to come back and
   claim it (READY's tasks, section 9) before it goes to anyone else. */
static void
s_grace (hny_pipeline_t *self, hny_task_t *task, int leased, int64_t now)
{
    if (leased)
        task->not_before = now + 3 * (int64_t) self->conf->heartbeat_ms;
}

static int
s_load_task (const hny_task_row_t *row, void *arg)
{
    s_loading_t *r = arg;
    hny_pipeline_t *self = r->self;
    int64_t now = hny_clock_mono_ms ();
    if (row->kind != HNY_TASK_TRANSLATE) {
        /* A prepare task belongs to a queued job, an align task to an
           align job that is aligning (translating) and holds its slot. */
        hny_pl_job_t *job = hny_pl_job (self, row->job);
        hny_job_state_t want = row->kind == HNY_TASK_ALIGN ? HNY_JOB_TRANSLATING : HNY_JOB_QUEUED;
        if (!job || job->state != want || job->has_task) {
            s_loading_drop (r, row->id);
            return 0;
        }
        hny_task_t *task = hny_calloc (1, sizeof *task);
        task->id = row->id;
        task->kind = row->kind;
        task->job = row->job;
        task->profile = -1;
        task->admitted = row->kind == HNY_TASK_ALIGN;
        task->attempts = row->attempts;
        task->losses = row->losses;
        s_grace (self, task, row->leased, now);
        job->has_task = 1;
        hny_sched_add (self->sched, task, task->admitted, now);
        return 0;
    }
    json_t *payload = row->payload ? json_loads (row->payload, 0, NULL) : NULL;
    int profile = hny_sched_profile_find (self->sched,
                                          json_string_value (json_object_get (payload, "profile")));
    const char *from = json_string_value (json_object_get (payload, "from"));
    const char *to = json_string_value (json_object_get (payload, "to"));
    hny_task_t *task = NULL;
    if (profile >= 0 && from && to) {
        /* As many requests as its entries need (a row of an older
           honyakud holds one request; its context is looked up again). */
        const hny_profile_t *conf = hny_sched_profile_conf (self->sched, profile);
        task = s_batch_new (profile, s_intern (self, from), s_intern (self, to), (size_t) conf->max_texts,
                            HNY_BACKENDS_MAX_TEXTS);
        task->id = row->id;
        task->job = row->job;
        task->attempts = row->attempts;
        task->losses = row->losses;
        s_grace (self, task, row->leased, now);
        /* Entries in the order of their ids: one that cannot be read
           again (the segment it named is gone: its job was deleted) drops
           the whole task, whose ids would no longer match the TASK's. Its
           segments still waiting are queued again from their jobs. */
        int whole = 1;
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get (payload, "segments"), i, item) {
            char *text = NULL;
            const char *src = json_string_value (json_object_get (item, "src"));
            json_t *ref = json_object_get (item, "ref");
            if (!src && json_array_size (ref) == 3) {
                int rc = hny_store_srcs_get (r->srcs, json_integer_value (json_array_get (ref, 0)),
                                             (int) json_integer_value (json_array_get (ref, 1)),
                                             (int) json_integer_value (json_array_get (ref, 2)), &text);
                r->failed |= rc < 0;
                src = text;
            }
            int created = 0;
            s_pend_t *pend = src ? s_pend_get (self, profile, from, to, src, &created) : NULL;
            free (text);
            if (!created) {
                whole = 0;
                break;
            }
            s_batch_add (task, pend);
        }
        if (!whole) {
            /* its entries made here go; one another task holds stays */
            s_batch_t *batch = task->data;
            for (size_t k = 0; k < batch->count; k++)
                s_pend_drop (self, &batch->entries [k]);
            batch->count = 0;
        }
    }
    json_decref (payload);
    if (!task || ((s_batch_t *) task->data)->count == 0) {
        s_loading_drop (r, row->id);
        hny_pl_task_free (&task);
        return 0;
    }
    r->tasks = hny_realloc (r->tasks, (r->task_count + 1) * sizeof *r->tasks);
    r->tasks [r->task_count++] = task;
    return 0;
}

typedef struct {
    hny_pipeline_t *self;
    hny_pl_job_t *job;
} s_loading_seg_t;

static int
s_load_segment (const hny_segment_row_t *row, void *arg)
{
    s_loading_seg_t *r = arg;
    hny_pl_job_t *job = r->job;
    job->total++;
    if (row->state == HNY_SEG_DONE)
        job->done++;
    else if (row->state == HNY_SEG_FAILED)
        s_job_note_failure (job, row->code, row->reason ? row->reason : "failed");
    else {
        int created;
        s_pend_t *pend = s_pend_get (r->self, job->profile, job->from, job->to, row->src, &created);
        if (created) {
            pend->opens = job->total == 1;  /* rows come in order, the title first */
            s_pend_queue (r->self, pend, 0);
        }
        s_pend_ref (pend, job->id, row->para, row->idx);
        job->pending++;
    }
    return 0;
}

static void
s_collect_job (const char *key, void *value, void *arg)
{
    (void) key;
    hny_pl_job_t ***cursor = arg;
    *(*cursor)++ = value;
}

int
hny_pipeline_load (hny_pipeline_t *self, int writable)
{
    if (hny_store_jobs_active (self->store, s_load_job, self))
        return -1;
    s_loading_t r = { self, NULL, 0, NULL, 0, hny_store_srcs_new (self->store), 0 };
    int rc = hny_store_tasks (self->store, s_load_task, &r);
    hny_store_srcs_destroy (&r.srcs);
    if (r.failed)
        rc = -1;
    /* Only now: the tasks were read with their leased state (their grace). */
    int back = writable && rc == 0 ? hny_store_resume (self->store) : 0;
    if (back < 0)
        rc = -1;
    size_t count = hny_map_size (self->jobs);
    hny_pl_job_t **jobs = hny_malloc ((count ? count : 1) * sizeof *jobs);
    hny_pl_job_t **cursor = jobs;
    hny_map_foreach (self->jobs, s_collect_job, &cursor);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        hny_pl_job_t *job = jobs [i];
        if (job->kind == HNY_JOB_ALIGN && job->profile >= 0 && job->state == HNY_JOB_TRANSLATING
        &&  !job->has_task && !job->finish) {
            /* Translating its source: the sentences not yet translated go
               back to the queue; the align task comes when none is left
               (hny_pl_job_check below). */
            s_loading_seg_t rs = { self, job };
            if (hny_store_segments (self->store, job->id, s_load_segment, &rs))
                rc = -1;
            job->mt_wait = writable;
        }
        else if (job->kind == HNY_JOB_ALIGN) {
            /* Its next task, if the store has none: a prepare while it is
               queued, the alignment once it is aligning. */
            int aligning = job->state == HNY_JOB_TRANSLATING;
            if (!job->has_task && !job->finish && writable && (aligning || job->state == HNY_JOB_QUEUED)
            &&  hny_pl_task_queue (self, job->id, aligning ? HNY_TASK_ALIGN : HNY_TASK_PREPARE, aligning) == 0)
                job->has_task = 1;
        }
        else if (job->state == HNY_JOB_TRANSLATING) {
            s_loading_seg_t rs = { self, job };
            if (hny_store_segments (self->store, job->id, s_load_segment, &rs))
                rc = -1;
        }
        else if (job->state == HNY_JOB_QUEUED && !job->has_task && writable) {
            /* Queued without its prepare task: give it one. */
            if (hny_pl_task_queue (self, job->id, HNY_TASK_PREPARE, 0) == 0)
                job->has_task = 1;
        }
    }
    /* Tasks keep the entries some segment still waits for; the others go. */
    int64_t now = hny_clock_mono_ms ();
    for (size_t t = 0; t < r.task_count; t++) {
        hny_task_t *task = r.tasks [t];
        s_batch_t *batch = task->data;
        size_t kept = 0;
        for (size_t i = 0; i < batch->count; i++) {
            s_pend_t *pend = batch->entries [i];
            if (pend->ref_count)
                batch->entries [kept++] = pend;
            else
                s_pend_drop (self, &pend);
        }
        batch->count = kept;
        if (kept == 0) {
            s_loading_drop (&r, task->id);
            hny_pl_task_free (&task);
        }
        else
            hny_sched_add (self->sched, task, 0, now);
    }
    free (r.tasks);
    for (size_t i = 0; writable && i < r.drop_count; i++)
        hny_store_task_delete (self->store, r.drop [i]);
    free (r.drop);
    for (size_t i = 0; rc == 0 && i < count; i++)
        hny_pl_job_check (self, jobs [i]);
    free (jobs);
    if (count || back)
        hny_info ("loaded %zu unfinished jobs from the store (%d leased tasks back in the queue)",
                  count, back);
    return rc;
}

/* ------------------------------------------------------------- life cycle */

hny_pipeline_t *
hny_pipeline_new (hny_store_t *store, hny_sched_t *sched, const hny_daemon_conf_t *conf,
                  hny_pipeline_final_fn *final, void *arg)
{
    hny_pipeline_t *self = hny_calloc (1, sizeof *self);
    self->store = store;
    self->sched = sched;
    self->conf = conf;
    self->final = final;
    self->final_arg = arg;
    self->jobs = hny_map_new ();
    self->pending = hny_map_new ();
    self->profile_count = hny_sched_profile_count (sched);
    self->unassigned = hny_calloc (self->profile_count ? self->profile_count : 1, sizeof *self->unassigned);
    self->tm_keys = hny_calloc (self->profile_count ? self->profile_count : 1, sizeof *self->tm_keys);
    for (size_t p = 0; p < self->profile_count; p++)
        self->tm_keys [p] = s_tm_key_make (hny_sched_profile_conf (sched, (int) p));
    self->tm = hny_tm_new (store);
    self->trim = 1;             /* what an earlier run left free */
    self->sweeping = 1;         /* and what it left to sweep */
    hny_sched_hooks_t hooks = { s_on_exhausted, s_on_release, self };
    hny_sched_set_hooks (sched, &hooks);
    return self;
}

static void
s_free_job (const char *key, void *value, void *arg)
{
    (void) key;
    (void) arg;
    hny_pl_job_t *job = value;
    s_job_free (&job);
}

static void
s_free_pend (const char *key, void *value, void *arg)
{
    (void) key;
    (void) arg;
    s_pend_t *pend = value;
    s_pend_free (&pend);
}

/* Free the jobs, the pending entries and the loads and records under
   way (not the tasks: they are the scheduler's). */
static void
s_forget (hny_pipeline_t *self)
{
    while (self->loads) {
        hny_pl_load_t *l = self->loads;
        self->loads = l->next;
        s_load_free (&l);
    }
    self->loads_tail = NULL;
    s_finish_drop (self);
    while (self->finishes) {
        hny_pl_finish_t *f = self->finishes;
        self->finishes = f->next;
        s_finish_free (&f);
    }
    self->finishes_tail = NULL;
    hny_map_foreach (self->jobs, s_free_job, NULL);
    hny_map_foreach (self->pending, s_free_pend, NULL);
    hny_map_destroy (&self->jobs);
    hny_map_destroy (&self->pending);
    memset (self->unassigned, 0, self->profile_count * sizeof *self->unassigned);
    self->active = 0;
}

void
hny_pipeline_clear (hny_pipeline_t *self)
{
    hny_sched_clear (self->sched);
    s_forget (self);
    self->jobs = hny_map_new ();
    self->pending = hny_map_new ();
}

void
hny_pipeline_destroy (hny_pipeline_t **self_p)
{
    assert (self_p);
    hny_pipeline_t *self = *self_p;
    if (!self)
        return;
    /* The scheduler is gone already (it freed the tasks through our hook). */
    s_forget (self);
    for (size_t i = 0; i < self->lang_count; i++)
        free (self->langs [i]);
    free (self->langs);
    for (size_t p = 0; p < self->profile_count; p++)
        free (self->tm_keys [p]);
    free (self->tm_keys);
    hny_tm_destroy (&self->tm);
    free (self->unassigned);
    free (self->tr_jobs);
    free (self);
    *self_p = NULL;
}

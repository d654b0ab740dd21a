/*  hny_pipeline_align.c: align jobs in the pipeline (hny_pipeline.h;
    PROTOCOL.md 5.4 and 12): both sides prepared one after the other, the
    source translated the translate jobs' way when the job names a
    backend, then one align task, whose RESULT becomes the record. The
    jobs, tasks and records are hny_pipeline.c's (hny_pipeline_int.h);
    the sides' texts live in the store's aligns row until the record holds
    them (hny_alignjob.h reads and checks them). */
#include "hny_pipeline_int.h"
#include "hny_alignjob.h"

#include <honyaku/proto.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An align job's task is done with: its row goes, the job waits for the
   task the caller queues next (if any). */
static void
s_align_task_done (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t **task_p)
{
    hny_store_task_delete (self->store, (*task_p)->id);
    hny_pl_task_free (task_p);
    job->has_task = 0;
}

/* Both sides of a job with a backend are prepared: every sentence of the
   source goes the translate jobs' way (the TM, pending entries shared
   with other jobs, billing to this job: hny_pl_segment_enqueue), as segment
   (p, k) for sentence k of paragraph p of the prepared source, (-1, 0)
   for its title. The align task waits for them (mt_wait, hny_pl_job_check).
   A side has at most HNY_ALIGN_SENTENCES_MAX sentences: one pass. */
static void
s_align_translate (hny_pipeline_t *self, hny_pl_job_t *job, const char *prepared)
{
    json_t *art = json_loads (prepared, 0, NULL);
    hny_pl_load_t l = { .job = job };
    const char *title = hny_pl_src_of (json_object_get (art, "title"));
    if (title)
        hny_pl_segment_enqueue (self, &l, -1, 0, title);
    size_t p, k;
    json_t *para, *seg;
    json_array_foreach (json_object_get (art, "paragraphs"), p, para)
        json_array_foreach (json_object_get (para, "segments"), k, seg)
            if (hny_pl_src_of (seg))
                hny_pl_segment_enqueue (self, &l, (int) p, (int) k, hny_pl_src_of (seg));
    json_decref (art);
    hny_store_stats_add (self->store, hny_pl_profile_name (self, job->profile), l.hits, l.misses, 0, 0, 0);
    if (l.human_hits)
        hny_store_stats_human_add (self->store, hny_pl_profile_name (self, job->profile), l.human_hits);
    hny_info ("job %lld: both sides prepared: translating %d source sentences through %s "
              "(%lld from the TM)", (long long) job->id, job->total, hny_pl_profile_name (self, job->profile),
              (long long) l.hits);
    job->mt_wait = 1;
    hny_pl_job_check (self, job);
}

/* Every source sentence of a job with a backend is translated (or failed:
   that sentence is aligned without its translation): the align task. */
void
hny_pl_align_translated (hny_pipeline_t *self, hny_pl_job_t *job)
{
    job->mt_wait = 0;
    hny_info ("job %lld: source translated (%d of %d sentences): aligning", (long long) job->id,
              job->done, job->total);
    if (hny_pl_task_queue (self, job->id, HNY_TASK_ALIGN, 1) == 0)
        job->has_task = 1;
}

/* A side was prepared: the next side's prepare, or, with both in, the
   content goes (the source's metadata stays for the record, 12.1) and one
   align task takes both sides to a worker (with a backend, once the
   source is translated). */
static void
s_align_next (hny_pipeline_t *self, hny_pl_job_t *job, const hny_align_row_t *al)
{
    int aligning = hny_alignjob_next_side (al) < 0;
    if (aligning) {
        json_t *kept = hny_alignjob_kept (al->prepared [0]);
        char *text = json_dumps (kept, JSON_COMPACT);
        hny_store_job_set_prepared (self->store, job->id, text, HNY_JOB_TRANSLATING);
        free (text);
        json_decref (kept);
        hny_pl_job_note_state (self, job, HNY_JOB_TRANSLATING);
        if (job->profile >= 0) {
            s_align_translate (self, job, al->prepared [0]);
            return;
        }
        hny_info ("job %lld: both sides prepared: aligning", (long long) job->id);
    }
    if (hny_pl_task_queue (self, job->id, aligning ? HNY_TASK_ALIGN : HNY_TASK_PREPARE, 1) == 0)
        job->has_task = 1;
}

/* The prepare RESULT of one side of an align job (s_prepare_result's
   contract): checked, kept in the align row, and the job moves on. An
   empty side is no failure (the alignment says so); a side over the
   aligner's cap is 413, found from the raw text before it is parsed. */
int
hny_pl_align_prepared (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, int status,
                       const char *reason, const uint8_t *body, size_t size, const char **why)
{
    hny_align_row_t al;
    if (hny_store_align_get (self->store, job->id, &al) != 1) {
        *why = "align job without its align row";
        return -1;
    }
    int side = hny_alignjob_next_side (&al);
    const char *lang = side == 1 ? job->to : job->from;
    int code = 0;
    char *text = NULL;
    size_t cap = 2 * (size_t) self->conf->max_article_bytes + (size_t) HNY_PL_RESULT_SLACK * HNY_SEGMENTS_MAX;
    size_t srcs = 0;
    if (side < 0)
        code = -1;              /* both sides are in: a duplicate */
    else if (status != HNY_STATUS_OK) {
        code = status;
        text = hny_sprintf ("prepare (%s side): %s", lang, reason && *reason ? reason : "failed");
    }
    else if (size > cap) {
        *why = "prepare result over its size cap";
        hny_align_row_clear (&al);
        return -1;
    }
    else if ((srcs = hny_pl_count_src_keys (body, size)) > HNY_ALIGN_SENTENCES_MAX + 1) {
        code = HNY_STATUS_TOO_LARGE;
        text = hny_sprintf ("the %s side has about %zu sentences, more than the %d an alignment takes",
                            lang, srcs, HNY_ALIGN_SENTENCES_MAX);
    }
    else {
        json_t *art = hny_pl_prepared_parse (body, size, why);
        int checked = art ? hny_alignjob_check_side (art, lang, &code, &text, why) : -1;
        json_decref (art);
        if (checked < 0) {
            hny_align_row_clear (&al);
            return -1;
        }
        if (checked == 0)
            code = 0;
    }
    s_align_task_done (self, job, &task);
    if (code > 0)
        hny_pl_job_fail_early (self, job, code, text);
    else if (code == 0) {
        al.prepared [side] = hny_malloc (size + 1);
        memcpy (al.prepared [side], body, size);
        al.prepared [side] [size] = 0;
        hny_store_align_set_side (self->store, job->id, side, al.prepared [side]);
        if (job->state == HNY_JOB_QUEUED)
            hny_pl_job_set_state (self, job, HNY_JOB_PREPARING);
        hny_info ("job %lld: %s side prepared", (long long) job->id, lang);
        s_align_next (self, job, &al);
    }
    free (text);
    hny_align_row_clear (&al);
    return 0;
}

/* The align RESULT (hny_pipeline_result's contract): the alignment
   becomes the record, or the job fails with the worker's reason (422: the
   sides are in one language; 413: too many sentences). It is parsed and
   its record written in this pass, not in slices: an alignment has at
   most 20,000 sentences a side, tens of milliseconds of JSON. */
int
hny_pl_align_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                     const uint8_t *body, size_t size, const char **why)
{
    hny_pl_job_t *job = hny_pl_job (self, task->job);
    hny_align_row_t al = { 0 };
    if (!job || job->state != HNY_JOB_TRANSLATING || job->finish
    ||  hny_store_align_get (self->store, job->id, &al) != 1 || !al.prepared [0] || !al.prepared [1]) {
        /* A duplicate for a job that moved on. */
        hny_align_row_clear (&al);
        hny_store_task_delete (self->store, task->id);
        hny_pl_task_free (&task);
        return 0;
    }
    json_t *alignment = NULL;
    if (status == HNY_STATUS_OK) {
        size_t task_size = strlen (al.prepared [0]) + strlen (al.prepared [1]);
        alignment = hny_alignjob_result (body, size, task_size, why);
        if (!alignment) {
            hny_align_row_clear (&al);
            return -1;
        }
    }
    s_align_task_done (self, job, &task);
    if (!alignment) {
        char *text = hny_sprintf ("align: %s", reason && *reason ? reason : "failed");
        hny_pl_job_fail_early (self, job, status, text);
        free (text);
        hny_align_row_clear (&al);
        return 0;
    }
    if (job->profile >= 0) {
        /* The translations guided it; a sentence whose translation failed
           was aligned without one and fails nothing (the stats say so). */
        json_t *stats = json_object_get (alignment, "stats");
        json_object_set_new (stats, "backend", json_string (hny_pl_profile_name (self, job->profile)));
        json_object_set_new (stats, "mt_failed", json_integer (job->failed));
        if (!json_is_integer (json_object_get (stats, "mt_sentences")))
            json_object_set_new (stats, "mt_sentences", json_integer (0));   /* none had one */
        if (job->failed)
            hny_warn ("job %lld: %d source sentences aligned without a translation: %s", (long long) job->id,
                      job->failed, job->error ? job->error : "failed");
        job->failed = 0;
        hny_store_segments_delete (self->store, job->id);
    }
    size_t p;
    json_t *para;
    job->total = json_is_object (json_object_get (alignment, "title"));
    json_array_foreach (json_object_get (alignment, "paragraphs"), p, para)
        job->total += (int) json_array_size (json_object_get (para, "segments"));
    job->done = job->total;
    hny_info ("job %lld: aligned: %d links, score %.3f", (long long) job->id, job->total,
              json_number_value (json_object_get (alignment, "score")));
    hny_pl_finish_start (self, job, 0, HNY_CLASS_PERMANENT, NULL);
    hny_record_set_alignment (job->finish->record, alignment, hny_alignjob_target_metadata (&al));
    /* The record holds the sides' texts now. */
    hny_store_align_done (self->store, job->id, job->total);
    json_decref (alignment);
    hny_align_row_clear (&al);
    return 0;
}

/* hny_store_segments' callback: a translated source sentence into the
   object arg, keyed as hny_alignjob_with_mt reads it. */
static int
s_align_mt_collect (const hny_segment_row_t *row, void *arg)
{
    if (row->state == HNY_SEG_DONE && row->tgt) {
        char key [32];
        snprintf (key, sizeof key, "%d.%d", row->para, row->idx);
        json_object_set_new (arg, key, json_string (row->tgt));
    }
    return 0;
}

/* The TASK of an align job's task (hny_pipeline_task_fill's contract): a
   prepare gets its side's bytes, language and path; the align task both
   prepared sides. A job whose content or sides are gone, or whose sides
   are too large for one TASK, fails here rather than wait for ever. */
int
hny_pl_align_fill (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, json_t *header, char **body,
                   size_t *size)
{
    hny_job_row_t row = { 0 };
    hny_align_row_t al = { 0 };
    uint8_t *content = NULL;
    size_t len = 0;
    int code = HNY_STATUS_INTERNAL;
    const char *fail = "the align job lost its content";
    int side = -1;
    if (hny_store_job_get (self->store, job->id, &row) == 1 && hny_store_align_get (self->store, job->id, &al) == 1)
        side = hny_alignjob_next_side (&al);
    if (task->kind == HNY_TASK_PREPARE && side >= 0
    &&  hny_store_job_content (self->store, job->id, &content, &len) == 1 && (size_t) al.src_bytes <= len) {
        size_t at = side ? (size_t) al.src_bytes : 0;
        *size = side ? len - at : (size_t) al.src_bytes;
        memmove (content, content + at, *size);
        *body = (char *) content;
        content = NULL;
        const char *source = side ? al.target_source : row.source;
        json_object_set_new (header, "format", json_string (row.format));
        json_object_set_new (header, "from", json_string (side ? row.to : row.from));
        json_object_set_new (header, "lenient", json_boolean (row.lenient));
        if (source)
            json_object_set_new (header, "source", json_string (source));
        fail = NULL;
    }
    else if (task->kind == HNY_TASK_ALIGN && side < 0 && al.prepared [0]) {
        if (al.profile) {
            /* the source goes with its translations (5.4) */
            json_t *tgts = json_object ();
            hny_store_segments (self->store, job->id, s_align_mt_collect, tgts);
            char *with = hny_alignjob_with_mt (al.prepared [0], tgts);
            json_decref (tgts);
            free (al.prepared [0]);
            al.prepared [0] = with;
        }
        *body = al.prepared [0] ? hny_alignjob_task_body (&al, size) : NULL;
        json_object_set_new (header, "from", json_string (row.from));
        json_object_set_new (header, "to", json_string (row.to));
        fail = *body ? NULL : "the two prepared sides are larger than a TASK may carry";
        code = HNY_STATUS_TOO_LARGE;
    }
    free (content);
    hny_job_row_clear (&row);
    hny_align_row_clear (&al);
    if (!fail)
        return 0;
    hny_warn ("job %lld: %s: task dropped", (long long) job->id, fail);
    hny_sched_remove (self->sched, task);
    s_align_task_done (self, job, &task);
    hny_pl_job_fail_early (self, job, code, fail);
    return -1;
}

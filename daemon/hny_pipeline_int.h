/*  hny_pipeline_int.h: the pipeline's insides, shared by its two files and
    by no one else: hny_pipeline.c (translate jobs: loads, pending entries,
    tasks, results, records) and hny_pipeline_align.c (align jobs, which
    use the same jobs, tasks and records, and the translate path for a
    source with a backend).

    Everything here belongs to the pipeline (hny_pipeline_t): a job, its
    load and its record being assembled live while the job is not final
    and are freed by hny_pipeline.c. Callers hold no pointer across a
    pass. */
#ifndef HNY_PIPELINE_INT_H
#define HNY_PIPELINE_INT_H

#include "hny_map.h"
#include "hny_pipeline.h"
#include "hny_record.h"
#include "hny_tm.h"

#include <jansson.h>
#include <stdint.h>

/* A prepare result's size cap is its article twice plus this many JSON
   bytes a segment (PROTOCOL.md section 8). */
#define HNY_PL_RESULT_SLACK 64

typedef struct _hny_pl_job_t hny_pl_job_t;
typedef struct _hny_pl_load_t hny_pl_load_t;
typedef struct _hny_pl_finish_t hny_pl_finish_t;
typedef struct _hny_pl_fifo_t hny_pl_fifo_t;   /* hny_pipeline.c's own */

/* A job that is not final. */
struct _hny_pl_job_t {
    int64_t id;
    hny_job_kind_t kind;
    hny_job_state_t state;
    int profile;                /* -1 for an align job */
    const char *from, *to;      /* interned */
    int total, done, failed;    /* segments */
    int pending;                /* neither done nor failed */
    int64_t created;            /* ms since the epoch */
    char *error;                /* the first segment failure, or NULL */
    int error_code;
    int has_task;               /* load: its prepare task was found */
    int fresh;                  /* submitted to this process and no load begun: the
                                   store has no segment rows of it to clear */
    int mt_wait;                /* an align job with a backend: its source's
                                   translations are pending, the align task
                                   waits for them */
    hny_pl_load_t *load;        /* its prepare result is being loaded */
    hny_pl_finish_t *finish;    /* its record is being assembled */
    int rows_kept;              /* rows mirrors every segment of it in the store (s_rows) */
    int has_sources;            /* its sources are one row (a compact load): a RESULT's
                                   translations of it go in one row too (s_tr_*) */
    hny_buf_t tr;               /* ... those of the RESULT at hand, not yet written */
    hny_segment_row_t *rows;    /* ... in (para, idx) order: its record is made from them */
    size_t row_count, row_alloc;
};

/* Loading a prepare result, a slice per pass. */
struct _hny_pl_load_t {
    hny_pl_load_t *next;
    hny_pl_job_t *job;
    hny_task_t *task;           /* the prepare task: its store row goes when done */
    json_t *art;                /* the prepared article (NULL for a reused job until its
                                   segments must be looked up: prepared then) */
    char *prepared;             /* a reused job's: the done job's kept prepare output */
    int64_t reuse;              /* > 0: its segments are still to be taken from this
                                   done job's record (s_load_reuse) */
    int title_done;             /* the title went first */
    size_t para, seg;           /* next input paragraph and segment */
    int out_para, out_idx;      /* next output position (empty paragraphs are skipped) */
    int64_t hits, misses;       /* TM lookups */
    int64_t human_hits;         /* ... of the hits, those of human entries */
    int compact;                /* a translate job loaded in one slice: its pending
                                   segments are not rows; the job's rows (kept in
                                   memory) become its sources when the load ends */
    int direct;                 /* every segment so far was a TM hit, kept in held */
    hny_segment_row_t *held;    /* those segments, not in the store: if all of the
                                   article's are, its record is made from them */
    size_t held_count;
    hny_record_t *record;       /* a reused job's record, its pairs copied from the done
                                   job's (s_load_reuse_pairs): held has none then */
};

/* Assembling a record, a page of segments per slice. */
struct _hny_pl_finish_t {
    hny_pl_finish_t *next;
    hny_pl_job_t *job;
    hny_record_t *record;       /* being assembled */
    int fail_code;              /* the job failed before it had segments */
    char *fail_reason;
    /* A job made from the TM alone has no segment rows: what its load's
       end would write (prepare's output, the state translating, its
       prepare task's row gone, the TM's counts) is written with its
       record instead (s_finish_end), so that no commit has the job
       translating with neither rows nor record: a restart before then
       prepares it again. NULL kept: written at the load's end. */
    char *kept;
    int64_t task;
    int64_t hits, human_hits;
};

struct _hny_pipeline_t {
    hny_store_t *store;
    hny_sched_t *sched;
    const hny_daemon_conf_t *conf;
    hny_pipeline_final_fn *final;
    void *final_arg;
    hny_map_t *jobs;            /* decimal id -> hny_pl_job_t */
    int active;                 /* jobs preparing or translating */
    hny_map_t *pending;         /* key -> s_pend_t (hny_pipeline.c) */
    hny_pl_fifo_t *unassigned;  /* per profile */
    size_t profile_count;
    hny_pl_load_t *loads, *loads_tail;
    hny_pl_finish_t *finishes, *finishes_tail;
    char **langs;               /* interned language tags */
    size_t lang_count;
    char **tm_keys;             /* per profile: its name in the TM (with its glossary's version) */
    hny_tm_t *tm;
    int trim;                   /* jobs ended since the store last gave back its free pages */
    int trimming;               /* a trim under way: free pages are left */
    int sweeping;               /* retired segments are left to delete (or may be) */
    int64_t trim_at;            /* when the last trim ran (monotonic ms) */
    size_t tr_max;              /* > 0 while a translate RESULT is applied: the cap of
                                   a job's translations in it (s_tr_*) */
    int64_t *tr_jobs;           /* ... the jobs that have some, to write at its end */
    size_t tr_job_count, tr_job_alloc;
};

/* --- hny_pipeline.c, for the align part */

/* The job of an id, or NULL (final, or never known). */
hny_pl_job_t *hny_pl_job (hny_pipeline_t *self, int64_t id);
/* A profile's name (its index in the daemon's profiles). */
const char *hny_pl_profile_name (hny_pipeline_t *self, int profile);
/* A job's state, in memory and in its row; note_state in memory only,
   for a caller that writes the row with other columns at once. */
void hny_pl_job_set_state (hny_pipeline_t *self, hny_pl_job_t *job, hny_job_state_t state);
void hny_pl_job_note_state (hny_pipeline_t *self, hny_pl_job_t *job, hny_job_state_t state);
/* Queue a task of a job that carries no data of its own (prepare, align)
   with its store row. admitted: the job holds a max_jobs_in_flight slot
   already. 0, or -1 when the store failed (nothing queued). */
int hny_pl_task_queue (hny_pipeline_t *self, int64_t job, hny_task_kind_t kind, int admitted);
/* Free a task that is out of the scheduler, and its data. */
void hny_pl_task_free (hny_task_t **task_p);
/* Whether a job has nothing pending: then its align task, or its record. */
void hny_pl_job_check (hny_pipeline_t *self, hny_pl_job_t *job);
/* The job failed before it had segments: its record says why. */
void hny_pl_job_fail_early (hny_pipeline_t *self, hny_pl_job_t *job, int code, const char *reason);
/* Start assembling a job's record (it has nothing pending): job->finish. */
void hny_pl_finish_start (hny_pipeline_t *self, hny_pl_job_t *job, int fail_code,
                          hny_err_class_t fail_class, const char *fail_reason);
/* A new segment of l's job: a TM hit, or stored to wait on its entry
   (l counts the TM's hits and misses). */
void hny_pl_segment_enqueue (hny_pipeline_t *self, hny_pl_load_t *l, int para, int idx, const char *src);
/* A prepared segment's source text, or NULL. */
const char *hny_pl_src_of (json_t *seg);
/* How many "src" members a JSON text has, counted without parsing it. */
size_t hny_pl_count_src_keys (const uint8_t *body, size_t size);
/* A prepare RESULT body as a prepared article (caller owns), or NULL
   with *why. */
json_t *hny_pl_prepared_parse (const uint8_t *body, size_t size, const char **why);

/* --- hny_pipeline_align.c, for hny_pipeline.c (the contracts of
   s_prepare_result, hny_pipeline_result and hny_pipeline_task_fill) */

/* Every source sentence of a job with a backend is translated (or
   failed): its align task is queued. */
void hny_pl_align_translated (hny_pipeline_t *self, hny_pl_job_t *job);
/* The prepare RESULT of one side of an align job. 0 (the task consumed),
   or -1 with *why (unusable). */
int hny_pl_align_prepared (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, int status,
                           const char *reason, const uint8_t *body, size_t size, const char **why);
/* The align RESULT: the record, or the job fails. 0, or -1 with *why. */
int hny_pl_align_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                         const uint8_t *body, size_t size, const char **why);
/* The TASK of an align job's prepare or align task. 0, or -1: the job
   failed and the task is gone. */
int hny_pl_align_fill (hny_pipeline_t *self, hny_pl_job_t *job, hny_task_t *task, json_t *header,
                       char **body, size_t *size);

#endif

/*  hny_pipeline.h: what happens to a job between ACCEPTED and DONE
    (PROTOCOL.md sections 5.4, 11-13).

    prepare RESULT -> loaded in slices (segments stored, each looked up in
    the translation memory; misses wait on one "pending" entry per distinct
    source, so identical misses across jobs are translated once) -> entries
    packed into translate tasks within the profile's limits, a few tasks
    ahead of what the scheduler can lease -> translate RESULT fills every
    waiting segment and the TM, or retries, fails, pauses the profile or
    moves the work to its fallback -> when a job has nothing pending its
    record is assembled in slices and the job ends; its segments then go
    (the record holds them; a long article's a slice at a time). A small
    article whose every segment is a TM hit skips the segments table: its
    record is made from the hits at once. While idle, the store gives its
    free pages back.

    The pipeline owns the jobs that are not final, the pending entries and
    the data of its tasks; the scheduler (borrowed) owns the tasks' places;
    the store (borrowed) is the truth after a restart. Every change goes to
    the store inside the broker's pass transaction. Large work (loading a
    190k-segment article, assembling its record) is cut into slices of a
    time budget per pass (hny_pipeline_step), so that no pass of the
    broker's loop blocks for long. */
#ifndef HNY_PIPELINE_H
#define HNY_PIPELINE_H

#include "hny_sched.h"
#include "hny_state.h"
#include "hny_store.h"

#include <honyaku/config.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_pipeline_t hny_pipeline_t;

/* A job ended (its record and final state are in the store, in the pass
   transaction) elapsed_ms after it was accepted: the broker answers its
   waiters and counts it (metrics). */
typedef void (hny_pipeline_final_fn) (int64_t job, hny_job_state_t state, int64_t elapsed_ms,
                                      void *arg);

/* What STATUS shows of a job that is not final. */
typedef struct {
    hny_job_state_t state;
    int profile;                /* scheduler profile index */
    int total, done, failed;    /* segments */
    int pending;
} hny_job_info_t;

/* store, sched and conf are borrowed and must outlive the pipeline; the
   pipeline sets the scheduler's hooks. Caller owns the result. */
hny_pipeline_t *hny_pipeline_new (hny_store_t *store, hny_sched_t *sched,
                                  const hny_daemon_conf_t *conf, hny_pipeline_final_fn *final,
                                  void *arg);
/* Frees the in-memory state (the tasks go with the scheduler). */
void hny_pipeline_destroy (hny_pipeline_t **self_p);

/* Load the store's unfinished work: jobs, tasks (with their ids, so that
   a RESULT for one of them is still used), pending segments. With
   writable 0 nothing is written (the store cannot take writes): leased
   tasks count as queued all the same. Returns 0, or -1 on a read error. */
int hny_pipeline_load (hny_pipeline_t *self, int writable);
/* Forget everything in memory, the scheduler's tasks included (before
   loading again after a failed pass). */
void hny_pipeline_clear (hny_pipeline_t *self);

/* A job was inserted in the store: track it and queue its prepare task.
   profile: scheduler index. hash (may be NULL): its content + options
   hash; when a job with that hash is done and small, its record's
   segments are loaded at once instead (no prepare: the TM path of the
   same article under a new key). Returns 0, or -1 when the store failed. */
int hny_pipeline_job_new (hny_pipeline_t *self, int64_t id, const char *hash, const char *from,
                          const char *to, int profile, int64_t created);
/* An align job (SUBMIT kind "align") was inserted in the store with its
   align row (hny_store_align_insert; a blank side already holds
   hny_alignjob_empty_side): track it and queue the prepare of its first
   side that has text. profile: the backend that translates the source
   once both sides are prepared (the align row names it), or -1: none.
   Returns 0, or -1 when the store failed. */
int hny_pipeline_align_new (hny_pipeline_t *self, int64_t id, const char *from, const char *to,
                            int profile, int64_t created);
/* 1 and *info filled for a job that is not final, 0 otherwise (an align
   job's profile is -1). */
int hny_pipeline_job_info (hny_pipeline_t *self, int64_t id, hny_job_info_t *info);
/* Jobs not final; jobs preparing or translating. */
size_t hny_pipeline_unfinished (hny_pipeline_t *self);
int hny_pipeline_active (hny_pipeline_t *self);

/* The TASK for a task the scheduler chose: its header fields go into
   header (kind, and per kind format/from/lenient/source or
   profile/from/to) and *body gets its body (caller owns, *size bytes).
   Returns 0, or -1 when the task cannot be sent any more (its job has no
   content): the pipeline has then settled it (removed and freed). */
int hny_pipeline_task_fill (hny_pipeline_t *self, hny_task_t *task, json_t *header, char **body,
                            size_t *size);
/* The scheduler leased the task: a prepare task's job becomes preparing. */
void hny_pipeline_task_leased (hny_pipeline_t *self, hny_task_t *task);

/* The final outcome (status 2xx or 4xx) of a task the caller took out of
   the scheduler. Returns 0 when consumed (the task is freed), or -1 with
   *why set (static text) when the result is unusable: the caller puts the
   task back in the scheduler. */
int hny_pipeline_result (hny_pipeline_t *self, hny_task_t *task, int status, const char *reason,
                         const uint8_t *body, size_t size, const char **why);

/* One pass's share of the work: diverts paused profiles' work to their
   fallbacks, ends the jobs whose records came back compressed, loads
   prepare results, assembles records (handed to the store's compressor)
   and sweeps the segments of finished long articles for at most about
   budget_ms, packs pending entries into tasks, and when no job is left
   trims the store. Returns 1 when work is left for the next pass (the
   loop should not sleep), else 0. */
int hny_pipeline_step (hny_pipeline_t *self, int64_t budget_ms);

/* A descriptor that polls readable while a record compressed waits for
   the next pass to end its job (the loop polls it, never reads it), or
   -1 when there is none to poll (records then come back within the
   step). */
int hny_pipeline_wake_fd (hny_pipeline_t *self);

/* Why a job waits although nothing stops it but the workers (STATUS's
   `waiting`): a static text or one in buf, or NULL. */
const char *hny_pipeline_waiting (hny_pipeline_t *self, const hny_job_info_t *info, char *buf,
                                  size_t size);

#ifdef __cplusplus
}
#endif
#endif

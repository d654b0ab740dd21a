/*  hny_prepq.h: the prepare and align tasks of honyaku-worker, run one at
    a time on a background thread so that the worker's loop (heartbeats,
    lease renewals, HTTP transfers, new TASKs) never waits for a long
    article or an alignment.

    Align tasks (PROTOCOL.md 5.4) need the aligner's English-Japanese
    lexicon (workers/hny_lexicon.h: EDICT read into an index, MeCab's
    dictionary mapped): loading it takes 0.5 to 0.9 s and adds about 10 MB
    of heap and 26 MB of MeCab's mapped pages (shared, file-backed) to the
    worker. The thread loads it on its first align task, never before, so
    that a worker that only prepares and translates starts as fast and
    stays as small as without it (16 MB resident). Built without the
    aligner (no MeCab), an align task is answered 503.

    hny_prepare() cannot yield inside one ICU or libxml2 call: one 8 MiB
    paragraph takes about 0.35 s in the segmenter alone, and encoding a
    190k-segment result about 0.1 s more, longer than 3 heartbeat
    intervals of 100 ms. The thread owns its preparer (ICU and libxml2
    objects are never shared with the loop); jobs go in and results come
    out under one mutex, and a pipe wakes the loop when a result is ready.

    Only the loop's thread calls these functions. */
#ifndef HNY_PREPQ_H
#define HNY_PREPQ_H

#include <honyaku/prepare.h>

#include <stddef.h>
#include <stdint.h>

typedef struct _hny_prepq_t hny_prepq_t;

/* One finished prepare or alignment. */
typedef struct {
    char *task;             /* the task id (owned) */
    int status;             /* 200, or the failure's protocol status (4xx, 5xx) */
    char *reason;           /* failure: one line of English (owned); NULL on success */
    char *body;             /* success: the prepared article, compact JSON (owned) */
    size_t body_size;       /* bytes in body */
    size_t bytes;           /* size of the article */
    int64_t segments;       /* success: segments found (stats.segments); align: links */
    int64_t elapsed_ms;     /* time the thread spent on it, encoding included */
    int align;              /* 1: an align task */
    double score;           /* align success: the alignment's score */
    char *note;             /* align: what loading the lexicon took, the first time
                               (owned); NULL otherwise */
} hny_prepq_done_t;

/* Start the thread. At most max_jobs prepares are held at once (waiting,
   running or finished and not fetched yet); >= 1. Caller owns the result;
   NULL when the thread or its pipe cannot be made. */
hny_prepq_t *hny_prepq_new (size_t max_jobs);

/* Stop the thread: the running prepare is cancelled (hny_prepare's
   progress hook, so within one stage), waiting and unfetched jobs are
   dropped. Accepts NULL; sets *self_p to NULL. */
void hny_prepq_destroy (hny_prepq_t **self_p);

/* A file descriptor that polls readable while a result may be waiting:
   the loop watches it and then calls hny_prepq_next until NULL. */
int hny_prepq_fd (const hny_prepq_t *self);

/* Queue the prepare of task: the article and the options' strings are
   copied (opts may be NULL; its progress hook is replaced by the queue's
   own cancel check). Returns 0, or -1 when max_jobs are held already. */
int hny_prepq_add (hny_prepq_t *self, const char *task, const uint8_t *data, size_t size,
                   const hny_prepare_opts_t *opts);

/* Queue the alignment of task: body is the align TASK's body ({"src":
   prepared article, "tgt": prepared article}, copied), from and to the
   sides' languages. Its result body is the alignment (hny_align.h's
   hny_align_prepared); a body that is not that shape is 400, and the
   aligner's refusals keep their status (413, 422). Returns 0, or -1 when
   max_jobs are held already. */
int hny_prepq_add_align (hny_prepq_t *self, const char *task, const uint8_t *body, size_t size,
                         const char *from, const char *to);

/* The oldest finished prepare, or NULL when none is. Caller owns the
   result (hny_prepq_done_destroy). */
hny_prepq_done_t *hny_prepq_next (hny_prepq_t *self);
void hny_prepq_done_destroy (hny_prepq_done_t **self_p);

#endif

/*  hny_store.h: honyakud's durable state in one SQLite file (WAL mode,
    synchronous=NORMAL): jobs, their segments, tasks with their leases, the
    translation memory, assembled records and per-profile statistics.

    The broker groups the changes of one pass of its event loop in one
    transaction (hny_store_begin / hny_store_commit) and answers ACCEPTED only
    after the commit, so that an accepted article survives a crash. A write
    that fails inside a transaction poisons it: the commit then rolls back
    and fails, so that a pass is durable whole or not at all (never half,
    e.g. a job with half of its segments). The schema version lives in
    PRAGMA user_version; an older store is upgraded when opened.

    What is kept of a finished job is small (schema 4): its row, its
    record (zstd-compressed JSON) and its translation memory entries, which
    point at the record instead of holding a second copy of the text. The
    raw article goes once it is prepared, the segments once the record
    holds them (prepare's small output stays, for a SUBMIT of the same
    content under another key). Free pages are given back to the file system when the
    broker is idle (hny_store_trim). Schema 5 added human TM entries
    (imported translations, which win over the machine's) and the count
    of their hits.

    Strings returned inside row structs are owned by the row; release them
    with the matching _clear function. Functions return 0 on success and -1
    on a database error (logged), unless their comment says otherwise.
    States are the enums of hny_state.h; the tables keep their names. */
#ifndef HNY_STORE_H
#define HNY_STORE_H

#include "hny_state.h"
#include "hny_zpool.h"

#include <honyaku/util.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_STORE_SCHEMA_VERSION 7

typedef struct _hny_store_t hny_store_t;

/* One row of the jobs table. */
typedef struct {
    int64_t id;
    char *key;                  /* idempotency key */
    char *hash;                 /* content + options hash, hex */
    char *from, *to;            /* languages */
    char *backend;              /* profile name */
    char *format;
    int lenient;
    char *source;               /* NULL when SUBMIT gave none */
    char *metadata;             /* SUBMIT's metadata object as JSON text, or NULL */
    char *prepared;             /* prepare's metadata/charset/format/title as JSON text, or NULL */
    hny_job_state_t state;
    char *error;                /* why it failed, or NULL */
    int error_code;             /* status code of that failure, 0 when none */
    int64_t created, updated;   /* ms since the epoch */
    int64_t chars_billed;       /* attributed to this job */
    int64_t requests;
    int seg_total, seg_done, seg_failed;    /* counts kept when its segments went
                                               (hny_store_segments_retire), else -1 */
} hny_job_row_t;

#define HNY_SEG_TM_HUMAN 2

/* One row of the segments table. */
typedef struct {
    int64_t job;
    int para;                   /* -1: the title */
    int idx;
    char *src;
    char *tgt;                  /* NULL until translated */
    int tm;                     /* 1: the translation came from the TM, HNY_SEG_TM_HUMAN:
                                   from a human entry of it */
    hny_seg_state_t state;
    int code;                   /* failure: status code */
    int err_class;              /* hny_err_class_t of a failure or warning, -1 none */
    char *reason;               /* failure or warning: one line */
    char *backend;              /* profile that translated it when not the job's
                                   (a fallback), else NULL */
    char *qa;                   /* the worker's checks of the translation: a JSON
                                   array as records carry it (honyaku/qa.h), or NULL */
} hny_segment_row_t;

/* One row of the tasks table. */
typedef struct {
    int64_t id;
    hny_task_kind_t kind;
    int64_t job;
    char *payload;              /* translate: JSON text (hny_pipeline.c s_batch_payload); prepare: NULL */
    int leased;                 /* 1: leased when the store last heard of it */
    int attempts;               /* times it was leased */
    int losses;                 /* leases that ended with their worker */
} hny_task_row_t;

void hny_job_row_clear (hny_job_row_t *row);
void hny_segment_row_clear (hny_segment_row_t *row);
void hny_task_row_clear (hny_task_row_t *row);

/* Open (create) the database at path and bring its schema up to date.
   Returns NULL and sets *error (caller owns) on failure. */
hny_store_t *hny_store_new (const char *path, char **error);
void hny_store_destroy (hny_store_t **self_p);

/* Group commit. begin is idempotent while a transaction is open; commit
   without begin does nothing. commit fails (and rolls back) when COMMIT
   fails or when a write inside the transaction failed. rollback undoes
   an open transaction. */
int hny_store_begin (hny_store_t *self);
int hny_store_commit (hny_store_t *self);
void hny_store_rollback (hny_store_t *self);
int hny_store_in_transaction (hny_store_t *self);
/* Copy the WAL back into the database when it holds 1 to 8 MiB (an
   eighth of the file system's free room, within those bounds), outside
   a transaction (a passive checkpoint: it never waits for readers). The
   copy is the checkpointer thread's (hny_ckpt.h), so the loop goes on
   meanwhile; the loop copies itself, after waiting for the thread, when
   the WAL reaches twice its limit (the thread did not keep up) or when
   the disk is small (the least limit, 1 MiB). The WAL file is then cut
   back to its limit by the next commit that starts it over (and emptied
   when idle, hny_store_trim). The store does not checkpoint on its own:
   the broker calls this once a pass has sent its messages, so that the
   checkpoint never delays them. Returns 1 after a checkpoint or the
   thread was asked for one, 0 when none was due (or the thread still
   runs the last one), -1 when the loop's own failed. */
int hny_store_checkpoint (hny_store_t *self);
/* 1 when the last failure was a full disk or database (SQLITE_FULL: the
   file system is full, or max_page_count, hny_store_set_max_bytes, was
   reached), 0 for any other failure. */
int hny_store_full (hny_store_t *self);
/* The text of the last failure ("" when none); owned by the store. */
const char *hny_store_error (hny_store_t *self);
/* Cap the database at about bytes (0: no cap). Past it writes fail as on
   a full disk. */
int hny_store_set_max_bytes (hny_store_t *self, int64_t bytes);
/* Can the store take writes again? Writes and deletes 64 KiB in its own
   transaction (outside any other) and commits: 0 when that worked. */
int hny_store_probe (hny_store_t *self);
/* Counts the transactions that were undone (rollback, or a commit that
   failed): what a caller cached from the store since may be gone. */
uint64_t hny_store_generation (hny_store_t *self);
/* Give free pages back to the file system, at most max_pages of them
   (inside the open transaction), and once the transaction commits, copy
   the write-ahead log into the file and empty it. Call it while idle.
   Returns 1 when free pages are left (call again), 0 when none are, -1
   when it could not (e.g. the disk is full: only the trim is undone,
   the transaction goes on). */
int hny_store_trim (hny_store_t *self, int max_pages);

/* Resume after a restart: leased tasks go back to queued, jobs in state
   preparing go back to queued. Returns the number of tasks put back, or -1. */
int hny_store_resume (hny_store_t *self);

/* --- jobs */
/* Insert a job (id is assigned; row->id is ignored) with its raw content.
   Sets *id. */
int hny_store_job_insert (hny_store_t *self, const hny_job_row_t *row,
                          const void *content, size_t size, int64_t *id);
/* Look a job up by key or id: 1 found (row filled), 0 not found, -1 error. */
int hny_store_job_by_key (hny_store_t *self, const char *key, hny_job_row_t *row);
int hny_store_job_get (hny_store_t *self, int64_t id, hny_job_row_t *row);
/* Set state, and error (NULL: leave as is) with its code. */
int hny_store_job_set_state (hny_store_t *self, int64_t id, hny_job_state_t state,
                             const char *error, int error_code);
/* The stored content, until prepared: 1 found (*data caller owns, with a
   NUL after its size bytes), 0 gone, -1 error. */
int hny_store_job_content (hny_store_t *self, int64_t id, uint8_t **data, size_t *size);
/* Keep prepare's output (JSON text: what the record needs besides the
   segments) and drop the raw content; the job's state becomes state in
   the same write of its row. content_drop drops the content alone (the
   output then goes with hny_store_segments_retire). */
int hny_store_job_set_prepared (hny_store_t *self, int64_t id, const char *prepared,
                                hny_job_state_t state);
int hny_store_job_content_drop (hny_store_t *self, int64_t id);
int hny_store_job_add_billing (hny_store_t *self, int64_t id, int64_t chars, int64_t requests);
/* The newest job done with this content + options hash (its prepare's
   segments are in its record): 1 (*id, *segments: its count, -1 unknown,
   and *prepared caller owns, NULL when it has none), 0 none, -1 error. */
int hny_store_job_done_by_hash (hny_store_t *self, const char *hash, int64_t *id, int *segments,
                                char **prepared);
/* Call fn for every job that is not final, in id order; stop when it returns -1. */
int hny_store_jobs_active (hny_store_t *self, int (*fn) (const hny_job_row_t *row, void *arg),
                           void *arg);
/* Counts per state, as a new JSON object {"queued": n, ...} (caller owns). */
json_t *hny_store_job_counts (hny_store_t *self);
/* A page of jobs after id `after`, at most limit, optionally only in one
   state: a new array of {"job","key","state","from","to"} plus "finished"
   (ms since the epoch) for final jobs, as LISTING carries them (caller
   owns); *more is set to 1 when more rows follow. NULL on error. */
json_t *hny_store_job_list (hny_store_t *self, int64_t after, int limit, const char *state,
                            int *more);

/* --- segments

   A job's segments are rows of the segments table, and, for a small
   article (at most a few hundred segments, loaded in one pass), its
   sources: one row holding every segment's (para, idx, src), written once
   when its load ends (hny_store_sources_put), and its translations: a row
   a RESULT of the segments it translated (hny_store_translated_put).
   Such a job's segments table holds only the TM's hits and the failures;
   its translated segments are in its translations, its pending ones are
   the sources that are in neither. Every reader below (hny_store_segments, _page,
   hny_store_context, hny_store_segment_counts) gives the union, a row
   where there is one and a pending segment of the sources elsewhere, so
   that callers see one list whichever way it was written. */

/* A pending segment with its source (a job without sources). */
int hny_store_segment_add (hny_store_t *self, int64_t job, int para, int idx, const char *src);
/* Append segment (para, idx) with its source to list, a job's sources
   being built (list: a hny_buf_t initialized by the caller, who owns it;
   segments in (para, idx) order). */
int hny_store_sources_add (hny_buf_t *list, int para, int idx, const char *src);
#define HNY_STORE_SOURCE_HEAD 12    /* bytes an entry takes besides its source */
/* A job's sources, count segments built by hny_store_sources_add, in one
   row; replaces any before. They go with the job's segments
   (hny_store_segments_delete, _retire, hny_store_sweep). */
int hny_store_sources_put (hny_store_t *self, int64_t job, const hny_buf_t *list, int count);
/* Append the translation of segment (para, idx), as hny_store_segment_done
   takes it (tgt; warning, qa, backend or NULL), to list: the translations
   of one job in one RESULT being built, for a job with sources. Whole or
   not at all: -1 (list unchanged and still usable) past its cap. */
int hny_store_translated_add (hny_buf_t *list, int para, int idx, const char *tgt, const char *warning,
                              const char *qa, const char *backend);
/* A job's translations built by hny_store_translated_add, in one row: the
   same as a hny_store_segment_done of each, for a job with sources (each
   segment at most once, over all its rows). */
int hny_store_translated_put (hny_store_t *self, int64_t job, const hny_buf_t *list);
/* Add a segment that is translated already (tm: from the translation
   memory): one write instead of add + fill. */
int hny_store_segment_add_done (hny_store_t *self, int64_t job, int para, int idx, const char *src,
                                const char *tgt, int tm);
/* The source and target of a translated segment: 1 found and done
   (*src and *tgt caller owns), 0 missing or not translated, -1 error. */
int hny_store_segment_pair (hny_store_t *self, int64_t job, int para, int idx, char **src,
                            char **tgt);
/* A segment is translated by a backend (tm 0, state done): its target,
   with a warning (e.g. markup that could not be restored: class "warning"
   with the reason), the flags of its checks (compact JSON text of a valid
   qa array, hny_qa_json_valid: the caller checked it) and the profile
   that translated it when not the job's, in one write; a NULL leaves its
   column as it is. src is the segment's source: the row is made with it
   when the segment has none yet (a job with sources). */
int hny_store_segment_done (hny_store_t *self, int64_t job, int para, int idx, const char *src,
                            const char *tgt, const char *warning, const char *qa,
                            const char *backend);
/* A segment failed for good (the row made with src as above). */
int hny_store_segment_fail (hny_store_t *self, int64_t job, int para, int idx, const char *src,
                            int code, hny_err_class_t err_class, const char *reason);
/* Call fn for each segment of a job in (para, idx) order; fn returns
   nonzero to stop (then -1 is returned). */
int hny_store_segments (hny_store_t *self, int64_t job,
                        int (*fn) (const hny_segment_row_t *row, void *arg), void *arg);
/* The same for at most limit segments after (para, idx) (exclusive; start
   with para = -2): pages through a long article. Returns the number of
   rows given to fn, or -1. */
int hny_store_segments_page (hny_store_t *self, int64_t job, int para, int idx, int limit,
                             int (*fn) (const hny_segment_row_t *row, void *arg), void *arg);
/* The context of a request whose first segment is (para, idx) of a job
   (PROTOCOL.md 5.4): the article's title, then the text just before that
   segment, as much as fits in max bytes (the nearest kept; segments joined
   by spaces, paragraphs by newlines, cut at a character boundary). *out
   (caller owns) is NULL when there is nothing before it. */
int hny_store_context (hny_store_t *self, int64_t job, int para, int idx, size_t max, char **out);
/* Segments' sources read by place, for a restart that reads translate
   tasks back (their rows name their segments, not their texts). A job's
   sources row is read and parsed once and kept while the places asked for
   are of that job (a task's segments are mostly of one job, and tasks
   come in order): without it, a task of a big article's would parse the
   whole row for each of its segments. Use it while the store is not
   written: it does not see writes made after it read a job. The reader
   is the caller's; it borrows the store, which must outlive it. */
typedef struct _hny_store_srcs_t hny_store_srcs_t;
hny_store_srcs_t *hny_store_srcs_new (hny_store_t *store);
void hny_store_srcs_destroy (hny_store_srcs_t **self_p);
/* The source of segment (para, idx) of job: 1 (*src set, caller owns),
   0 no such segment, -1 error. */
int hny_store_srcs_get (hny_store_srcs_t *self, int64_t job, int para, int idx, char **src);
/* Forget a job's segments and sources (a prepare result is loaded again
   from the start). */
int hny_store_segments_delete (hny_store_t *self, int64_t job);
/* Counts of a job's segments: total, done, failed. */
int hny_store_segment_counts (hny_store_t *self, int64_t job, int *total, int *done, int *failed);
/* A job is final: its row keeps the counts of its segments (STATUS shows
   them), and gets its final state in the same write (as
   hny_store_job_set_state: error NULL leaves error and error_code as they
   are). With drop (its record holds every segment) the segments go, and
   what only the record needed from the row (the client's metadata; and
   prepare's output when a segment failed: a job without failures keeps
   it for hny_store_job_done_by_hash): the segments at once for an
   article of a few thousand, else a slice at a time through
   hny_store_sweep. drop = HNY_RETIRE_NO_ROWS is drop for a job that has
   no row in segments, sources or translated (made from the TM alone:
   its load began with none and wrote none): nothing to delete. prepared, when
   not NULL, is prepare's output written in the same write (a job made
   from the TM alone writes it with its record; kept as the drop says). */
#define HNY_RETIRE_NO_ROWS 2
typedef struct {
    int total, done, failed;    /* the job's segments */
    int drop;                   /* 0, 1 or HNY_RETIRE_NO_ROWS */
    hny_job_state_t state;      /* final */
    const char *error;          /* NULL: left as it is */
    int error_code;
    const char *prepared;       /* NULL: left as it is */
} hny_retire_t;
int hny_store_segments_retire (hny_store_t *self, int64_t job, const hny_retire_t *r);
/* Delete at most limit segments that a retired job left to sweep (its
   record holds them; they are read from there meanwhile). Returns 1 when
   it did something (call again), 0 when nothing is left, -1 on error. */
int hny_store_sweep (hny_store_t *self, int limit);

/* --- tasks */
int hny_store_task_add (hny_store_t *self, hny_task_kind_t kind, int64_t job, const char *payload,
                        int64_t *id);
int hny_store_task_lease (hny_store_t *self, int64_t id, const char *worker,
                          int64_t deadline, int attempts, int losses);
/* The task is finished (its outcome is stored elsewhere): delete it. */
int hny_store_task_delete (hny_store_t *self, int64_t id);
/* Call fn for every task in id order. */
int hny_store_tasks (hny_store_t *self, int (*fn) (const hny_task_row_t *row, void *arg),
                     void *arg);

/* --- align jobs (SUBMIT kind "align", PROTOCOL.md 5.1): the job's row
   keeps both sides' bytes as one content (the source side first); this
   row says where they split, the target's path, and each side's prepared
   article until the alignment is made. The table is made when missing,
   whatever the schema version: older honyakuds ignore it. */
typedef struct {
    int64_t job;
    int64_t src_bytes;          /* the content's first src_bytes bytes are the source side */
    char *target_source;        /* SUBMIT's target_source, or NULL */
    char *profile;              /* the backend profile that translates the
                                   source (SUBMIT's backend), or NULL: none */
    char *prepared [2];         /* source, target: the prepared article (JSON text), or
                                   NULL until that side is prepared (and once aligned) */
    int64_t links;              /* links of the alignment (the title's included) once
                                   it is made, else -1 */
} hny_align_row_t;

void hny_align_row_clear (hny_align_row_t *row);
int hny_store_align_insert (hny_store_t *self, const hny_align_row_t *row);
/* 1 found (row filled), 0 no such align job, -1 error. */
int hny_store_align_get (hny_store_t *self, int64_t job, hny_align_row_t *row);
/* Keep side's (0 source, 1 target) prepared article. */
int hny_store_align_set_side (hny_store_t *self, int64_t job, int side, const char *prepared);
/* The alignment is made (its record holds the texts): the prepared sides
   go, the count of its links stays (STATUS). */
int hny_store_align_done (hny_store_t *self, int64_t job, int64_t links);

/* --- translation memory: exact match on the normalized source, languages
   and profile (hny_tm.h resolves what the store keeps). An entry holds
   its target, or says where it is: segment (para, idx) of a job (in the
   job's segments while it runs, in its record after). */
typedef struct {
    char *tgt;                  /* the target (caller owns), or NULL: see job */
    int64_t job;
    int para, idx;
    int human;                  /* 1: a human entry (its text is held, never a place) */
} hny_tm_entry_t;

/* Human entries (schema 5: tm.origin says where they came from) belong to
   no profile: they are kept under this profile name, which no profile
   can have, and every profile of their languages uses them. */
#define HNY_STORE_TM_HUMAN "*"

/* 1 found (*entry filled; a target is given only when the stored source
   is src, a place must be checked by the caller), 0 none, -1 error. The
   pair's human entry of src is looked up first, then the profile's. */
int hny_store_tm_get (hny_store_t *self, const char *from, const char *to, const char *profile,
                      const char *src, hny_tm_entry_t *entry);
/* Keep a target (put) or where it is (put_ref); replaces an older entry
   of the same source. A machine entry goes to the TM's recent entries
   (schema 6: table tm_new, indexed in memory by hny_tmnew.h), which each
   commit merges into the tm table a slice of the hash space at a time
   once S_TM_MERGE_AT of them are kept (hny_store.c). */
int hny_store_tm_put (hny_store_t *self, const char *from, const char *to, const char *profile,
                      const char *src, const char *tgt);
int hny_store_tm_put_ref (hny_store_t *self, const char *from, const char *to, const char *profile,
                          const char *src, int64_t job, int para, int idx);
/* Whether the pair has (or had) human entries: 1 yes, 0 none was ever
   kept, -1 error. A cached answer, cheap to ask per job. */
int hny_store_tm_human_known (hny_store_t *self, const char *from, const char *to);
/* The key of a TM source text (XXH3-64, as the store keys entries). */
int64_t hny_store_text_hash (const char *src);
/* Keep a human translation of src (origin: where it came from, a file
   name), replacing a human entry of the same source and dropping the
   machine entries of that source in every profile of the pair: a human
   entry wins. A machine put never touches it (another key). */
int hny_store_tm_put_human (hny_store_t *self, const char *from, const char *to, const char *src,
                            const char *tgt, const char *origin);
/* The numbers of human and machine entries, of one pair (from, to: NULL
   for any). */
int hny_store_tm_count (hny_store_t *self, const char *from, const char *to, int64_t *human,
                        int64_t *machine);
/* Merge every recent machine entry into the tm table now, in the open
   transaction or in one of its own. 0, or -1. At 100,000 articles this
   rewrites most of tm's leaves (tens of MiB through the WAL): the first
   page of an export pays it, the loop's commits merge by slices. */
int hny_store_tm_flush (hny_store_t *self);
/* Start a merge at this many recent entries instead of 131,072 (tests:
   merges of a few entries; at most HNY_TMNEW_MAX count). */
void hny_store_set_tm_merge_at (hny_store_t *self, size_t entries);
/* One TM entry as the store keeps it (strings owned by the row). */
typedef struct {
    int64_t hash, tmkey;        /* its key: pages are in (hash, tmkey) order */
    char *from, *to, *profile;  /* profile HNY_STORE_TM_HUMAN for human entries */
    char *src, *tgt;            /* the text, or NULL: see job */
    int64_t job;
    int para, idx;
    char *origin;               /* NULL: a machine's */
} hny_tm_row_t;
void hny_tm_row_clear (hny_tm_row_t *row);
/* Call fn for at most limit entries after (after_hash, after_key), in
   key order (start with INT64_MIN, INT64_MIN), of one pair (NULL: any),
   which: 0 all, 1 human, 2 machine. fn returns nonzero to stop (then -1).
   Returns the number of rows given to fn, or -1. The first page (after
   INT64_MIN, INT64_MIN) merges the recent entries first
   (hny_store_tm_flush), so that the pages walk one table in key order;
   entries kept after that show in the next export. */
int hny_store_tm_page (hny_store_t *self, const char *from, const char *to, int which,
                       int64_t after_hash, int64_t after_key, int limit,
                       int (*fn) (const hny_tm_row_t *row, void *arg), void *arg);

/* --- records, kept compressed (zstd): get is 1 found (*json caller owns,
   the JSON text), 0 missing, -1 error (also a record that does not
   decompress, or would be larger than HNY_PROTO_BODY_MAX: that error
   does not spoil the open transaction). */
int hny_store_record_put (hny_store_t *self, int64_t job, const char *json);
/* The same in two steps, for the records the pipeline finishes: the
   store's compressor (the store owns it; hny_zpool.h) compresses them on
   its helper thread while the loop goes on, then each is stored with
   put_z (the text as it is when its frame could not be made). */
hny_zpool_t *hny_store_records_zpool (hny_store_t *self);
int hny_store_record_put_z (hny_store_t *self, int64_t job, const hny_zpool_item_t *item);
int hny_store_record_get (hny_store_t *self, int64_t job, char **json);
/* The same in two halves, for a record read on this thread and made text
   on another (hny_tm_prefetch): the row's bytes as they are stored (1:
   *data a copy the caller owns, NUL-terminated, *zipped 1 for a zstd
   frame, 0 for a text of schema 3 or before; 0 no record; -1 error), and
   a frame made text with a decompression context (a ZSTD_DCtx) of the
   caller's thread (1: *out, caller owns, NUL-terminated; -1: *why says
   what is wrong with it). The second touches no store: any thread may
   call it. */
int hny_store_record_raw (hny_store_t *self, int64_t job, void **data, size_t *size, int *zipped);
int hny_store_record_unzip (void *zstd_dctx, const void *z, size_t size, char **out,
                            const char **why);

/* --- statistics per profile: add deltas; read all as a new object
   name -> {"tm_hits","tm_misses","chars_billed","requests","segments"}. */
int hny_store_stats_add (hny_store_t *self, const char *profile, int64_t tm_hits,
                         int64_t tm_misses, int64_t chars_billed, int64_t requests,
                         int64_t segments);
/* Hits of human TM entries (included in tm_hits as well). */
int hny_store_stats_human_add (hny_store_t *self, const char *profile, int64_t hits);
/* Tokens an LLM service counted (prompt, completion), added up. */
int hny_store_tokens_add (hny_store_t *self, const char *profile, int64_t prompt, int64_t completion);
/* The service's own account of its use (DeepL /v2/usage): characters
   used and the limit (0: none), as last seen, with the time. */
int hny_store_usage_set (hny_store_t *self, const char *profile, int64_t count, int64_t limit);
/* name -> {"tm_hits","tm_human_hits","tm_misses","chars_billed","requests","segments",
   "prompt_tokens","completion_tokens", "usage"?: {"character_count",
   "character_limit","at" (ms since the epoch)}}; caller owns. */
json_t *hny_store_stats (hny_store_t *self);

#ifdef __cplusplus
}
#endif
#endif

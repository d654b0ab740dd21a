/*  hny_export_filter.h: which records `honyaku export` writes: the
    filters --pair SRC-TGT, --job ID (repeatable), --since DATE and
    --state done|failed|all, applied to the items of LISTING (to skip a
    FETCH) and to records (from FETCH or a records file), and the count of
    the language pairs seen, for the messages that name them.

    A record's state is read from the record itself: failed when its
    errors are not empty (PROTOCOL.md 5 and 12.3), done otherwise. Its
    time is the record's "finished" (PROTOCOL.md 12), else the LISTING
    item's; --since keeps records finished at or after the given moment.
    Language tags are compared in canonical form (hny_export_lang_canon). */
#ifndef HNY_EXPORT_FILTER_H
#define HNY_EXPORT_FILTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HNY_FILTER_MAX_JOBS   10000     /* --job options in one export */
#define HNY_FILTER_MAX_TALLY  64        /* distinct language pairs counted; more are "others" */

typedef struct _hny_export_filter_t hny_export_filter_t;

/* A filter that keeps every record in state done. Caller owns. */
hny_export_filter_t *hny_export_filter_new (void);

/* Free it; accepts NULL and a NULL *self_p, sets *self_p to NULL. */
void hny_export_filter_destroy (hny_export_filter_t **self_p);

/* The setters return 0, or -1 with *why set to one line saying what is
   wrong with the value and what would do (caller owns). */

/* --pair SRC-TGT: two well-formed language tags joined by '-' ("en-ja",
   "pt-BR-en", "zh-Hant-en"); a spec that splits more than one way keeps
   every reading, which only ever matches records of one of them. */
int hny_export_filter_set_pair (hny_export_filter_t *self, const char *spec, char **why);

/* --since: an ISO 8601 calendar date (YYYY-MM-DD: midnight, local time)
   or date and time (YYYY-MM-DDThh:mm[:ss[.fff]], 'T' or a space, local
   time unless it ends with Z or an offset ±hh[:mm]). */
int hny_export_filter_set_since (hny_export_filter_t *self, const char *text, char **why);

/* --state: "done" (the default), "failed" or "all". */
int hny_export_filter_set_state (hny_export_filter_t *self, const char *state, char **why);

/* True once set_state was called (export defaults to all with --job). */
int hny_export_filter_state_given (const hny_export_filter_t *self);

/* --job ID: 1 to 64 bytes, at most HNY_FILTER_MAX_JOBS of them; a job
   given twice counts once. */
int hny_export_filter_add_job (hny_export_filter_t *self, const char *job, char **why);

/* The jobs of --job, in the order given (count, then each; borrowed). */
size_t hny_export_filter_jobs (const hny_export_filter_t *self);
const char *hny_export_filter_job (const hny_export_filter_t *self, size_t index);

/* The state to ask LIST for: "done", "failed", or NULL for all. */
const char *hny_export_filter_list_state (const hny_export_filter_t *self);

/* A LISTING item (borrowed): 1 when its record may pass (worth a FETCH),
   0 when it cannot (not final, another state, another pair, finished
   before --since; members an older broker does not send are not held
   against it). *tallied is set to 1 when the item's pair was counted
   (it passed the filters other than --pair and carries "from" and
   "to"); then pass tally 0 for its record. */
int hny_export_filter_listed (hny_export_filter_t *self, const json_t *item, int *tallied);

/* A record (borrowed): 1 to write it, 0 to leave it out, -1 when the
   filters cannot tell (--since and the record has no "finished" nor did
   its LISTING item, listed_finished < 0): *why says so (caller owns).
   A record that passes every filter but --pair has its pair counted
   when tally is 1. */
int hny_export_filter_record (hny_export_filter_t *self, const json_t *record,
                              int64_t listed_finished, int tally, char **why);

/* Count one record of the pair SRC-TGT (any case). */
void hny_export_filter_tally (hny_export_filter_t *self, const char *src, const char *tgt);

/* The pairs counted, "en-es (12), en-ja (3)" (most first), and how many
   distinct ones; caller owns the text ("" when none). */
char *hny_export_filter_pairs_found (const hny_export_filter_t *self, size_t *distinct);

/* The first job of --job that no record had (by its "job"), or NULL. */
const char *hny_export_filter_unseen_job (const hny_export_filter_t *self);

/* The filters in force as options ("--state done --pair en-ja"), for
   messages; caller owns. */
char *hny_export_filter_describe (const hny_export_filter_t *self);

/* Parse an ISO 8601 date or date-time as set_since reads it into
   milliseconds since the epoch; returns 0 or -1. */
int hny_export_parse_time (const char *text, int64_t *ms);

#endif

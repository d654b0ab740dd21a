/*  hny_tm.h: the translation memory as the pipeline uses it: exact
    matches of a normalized source under its languages and profile.

    The store keeps an entry's target, or (schema 4) where the target is:
    a segment (para, idx) of a job, which is in the job's segments while
    the job runs and in its record once it is final. So a finished
    article's text is kept once, in its record, and not again in the TM.
    hny_tm_get follows such a place and uses it only when the source found
    there is the one asked for: a place that no longer holds it (its
    segments were loaded again, its record could not carry them) is a
    miss, never a wrong target.

    Records that lookups read are kept decompressed, with the offsets of
    their pairs, in a small cache (64 records, 16 MiB of text, but always
    the last one read, however large), so that the segments of an article
    translated before cost one decompression together. The cache is
    dropped whenever the store undoes a pass.

    Human entries (TMIMPORT) hold their text, belong to the language pair
    rather than to a profile, and are looked up first: a human
    translation wins over the machine's (hny_store.h). */
#ifndef HNY_TM_H
#define HNY_TM_H

#include "hny_store.h"

#include <jansson.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_tm_t hny_tm_t;

/* store is borrowed and must outlive the TM. Caller owns the result. */
hny_tm_t *hny_tm_new (hny_store_t *store);
void hny_tm_destroy (hny_tm_t **self_p);

/* The target of src: 1 hit (*tgt caller owns), 0 miss, -1 store error.
   A human entry of the pair (hny_store_tm_put_human) answers before the
   profile's own: *human (may be NULL) is set to 1 then. */
int hny_tm_lookup (hny_tm_t *self, const char *from, const char *to, const char *profile,
                   const char *src, char **tgt, int *human);
/* hny_tm_lookup without asking whose the entry is. */
int hny_tm_get (hny_tm_t *self, const char *from, const char *to, const char *profile,
                const char *src, char **tgt);

/* A page of the TM for TMEXPORT (PROTOCOL.md 5.1): at most limit
   entries of one pair (from, to: NULL for any), which: 0 all, 1 human,
   2 machine, after the cursor `after` (NULL: from the start; else a
   `next` given before). A new array (caller owns) of {"from","to","src",
   "tgt","origin": "human"|"machine", "source"? (a human entry's origin),
   "profile"? (a machine entry's)}; entries whose place no longer holds
   their source are left out, and a page stops at 16 MiB of text (well
   within a message's body). *next (caller owns) is the cursor of the
   next page, NULL at the end. NULL on a store error or a bad cursor. */
json_t *hny_tm_export (hny_tm_t *self, const char *from, const char *to, int which,
                       const char *after, int limit, char **next);

/* Remember that tgt translates src. With job > 0 the translation is in
   segment (para, idx) of that job (filled in the same transaction) and
   only that place is kept; with job 0 the text is kept. Returns 0 or -1. */
int hny_tm_put (hny_tm_t *self, const char *from, const char *to, const char *profile,
                const char *src, const char *tgt, int64_t job, int para, int idx);

/* The segments of job's record as a prepare result has them (PROTOCOL.md
   8): a new object (caller owns) {"title"?: {"src"}, "paragraphs":
   [{"segments": [{"src"}...]}...]}, or NULL when the job has no record,
   it cannot be walked, a pair has no source, or it has more than
   max_segments. The record stays cached: the lookups of those segments
   that follow find it without reading it again. */
json_t *hny_tm_article (hny_tm_t *self, int64_t job, size_t max_segments);

/* Read the records of jobs into the cache ahead of their use, at most
   HNY_TM_AHEAD_MAX of them and, but for the first, HNY_TM_AHEAD_BYTES of
   text (half the cache's room either way, so that they are still there
   when they are asked for, and a burst of large articles reused holds no
   more memory at once than the cache would); jobs cached already or
   without a record are skipped. Each record's decompression and indexing, the
   larger share of reading it, run on this thread and the store's helper
   at once (hny_zpool_map): the TM path reads one done job's record for
   every article it reuses, and did it on the loop's one thread while
   the other core had only the records to compress. What cannot be read
   here is read as usual when it is asked for (and its error said then). */
#define HNY_TM_AHEAD_MAX 32
#define HNY_TM_AHEAD_BYTES (8 << 20)
void hny_tm_prefetch (hny_tm_t *self, const int64_t *jobs, size_t n);
/* 1 when job's record is in the cache (its next reading is free). */
int hny_tm_cached (hny_tm_t *self, int64_t job);

/* Every pair of job's record, in order (the title first, as para -1),
   to fn (borrowed for the call), when each has a source and a target and
   none names a fallback's "backend": 1 (all given), 0 (the record cannot
   serve so: nothing given), -1 store error. For a job done again with the
   same content (hny_pipeline.c, s_load_reuse): its translations are what
   the TM answers for its sources, since a machine entry of a source is
   only ever written when the TM had no usable entry of it (a miss), so it
   never changes once made, except for a human entry of the pair, which
   the caller rules out.

   The pair comes as JSON string literals (quotes included), in the form
   hny_json_put_str writes them, so that a new record copies them as they
   are instead of decoding and encoding them again: the record's own bytes
   when they are that form (no escape, no control byte, UTF-8: nearly
   always), else the string decoded, checked and written again. */
typedef struct {
    const char *src, *tgt;      /* the literals */
    size_t src_len, tgt_len;
    size_t src_chars;           /* the source's characters (code points) */
} hny_tm_pair_t;
typedef void (hny_tm_pair_fn) (int para, int idx, const hny_tm_pair_t *pair, void *arg);
int hny_tm_article_pairs (hny_tm_t *self, int64_t job, size_t max_segments, hny_tm_pair_fn *fn,
                          void *arg);

/* The same place lookup on a record's JSON text alone (PROTOCOL.md 12):
   the source and target of pair (para, idx), para -1 being the title.
   1 found (*src and *tgt caller owns; *tgt NULL when it has none), 0 no
   such pair, or the text is not a record. For tests. */
int hny_tm_record_pair (const char *json, size_t len, int para, int idx, char **src, char **tgt);

#ifdef __cplusplus
}
#endif
#endif

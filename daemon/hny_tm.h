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
    dropped whenever the store undoes a pass. */
#ifndef HNY_TM_H
#define HNY_TM_H

#include "hny_store.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_tm_t hny_tm_t;

/* store is borrowed and must outlive the TM. Caller owns the result. */
hny_tm_t *hny_tm_new (hny_store_t *store);
void hny_tm_destroy (hny_tm_t **self_p);

/* The target of src: 1 hit (*tgt caller owns), 0 miss, -1 store error. */
int hny_tm_get (hny_tm_t *self, const char *from, const char *to, const char *profile,
                const char *src, char **tgt);

/* Remember that tgt translates src. With job > 0 the translation is in
   segment (para, idx) of that job (filled in the same transaction) and
   only that place is kept; with job 0 the text is kept. Returns 0 or -1. */
int hny_tm_put (hny_tm_t *self, const char *from, const char *to, const char *profile,
                const char *src, const char *tgt, int64_t job, int para, int idx);

/* The same place lookup on a record's JSON text alone (PROTOCOL.md 12):
   the source and target of pair (para, idx), para -1 being the title.
   1 found (*src and *tgt caller owns; *tgt NULL when it has none), 0 no
   such pair, or the text is not a record. For tests. */
int hny_tm_record_pair (const char *json, size_t len, int para, int idx, char **src, char **tgt);

#ifdef __cplusplus
}
#endif
#endif

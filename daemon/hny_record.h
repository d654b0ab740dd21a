/*  hny_record.h: a job's record (PROTOCOL.md section 12), assembled from
    the store a page of segments at a time, so that a 190,000-segment
    article never holds the loop for long nor builds a JSON tree of its
    whole record: each pair is encoded as it is read and appended to the
    text of its part (title, paragraphs, errors); the parts are joined
    with the job's metadata and stats at the end.

    No sockets and no state beyond one record: the pipeline owns the
    queue of records being assembled and decides when to read a page. */
#ifndef HNY_RECORD_BUILD_H
#define HNY_RECORD_BUILD_H

#include "hny_state.h"
#include "hny_store.h"
#include "hny_tm.h"

#include <jansson.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_record_t hny_record_t;

/* The record of a job. fail_code (0: none) says the job failed before it
   had segments, with its class and reason (copied): then no segment is
   read and the record carries that one error (12.3). Caller owns. */
hny_record_t *hny_record_new (int64_t job, int fail_code, hny_err_class_t fail_class,
                              const char *fail_reason);
void hny_record_destroy (hny_record_t **self_p);

/* Read the next page of at most limit segments from the store. Returns 1
   when more may follow, 0 when every segment is in, -1 when the store
   failed. */
int hny_record_read (hny_record_t *self, hny_store_t *store, int limit);

/* An align job's record (PROTOCOL.md 12.6): its pairs are the links of
   alignment (the worker's answer, checked by hny_alignjob_result: "title"
   and "paragraphs" of {"src", "tgt", "score"}), each written with "tm":
   false, and the record gets an "alignment" member: the alignment's
   score, warning and stats, and target_metadata (taken over). Nothing is
   read from the store after this. */
void hny_record_set_alignment (hny_record_t *self, const json_t *alignment,
                               json_t *target_metadata);

/* Add a segment the caller has in hand (rows come in (para, idx) order,
   as the store gives them), and say that every segment is in: then
   hny_record_read reads nothing. For a record that never went through the
   store's segments. */
void hny_record_add (hny_record_t *self, const hny_segment_row_t *row);
/* The same for a machine TM hit given as literals (hny_tm_article_pairs):
   what hny_record_add writes for its row, without decoding them. */
void hny_record_add_hit (hny_record_t *self, int para, int idx, const hny_tm_pair_t *pair);
void hny_record_close (hny_record_t *self);

/* The record's JSON text, with the job's row for its head, metadata
   (12.1) and stats (12.4). Call once every segment is in; caller owns.
   NULL when it is larger than a RECORD body may be (HNY_PROTO_BODY_MAX):
   such a record could never be fetched. */
char *hny_record_text (hny_record_t *self, const hny_job_row_t *row);

#ifdef __cplusplus
}
#endif
#endif

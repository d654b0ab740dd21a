/*  hny_alignjob.h: the parts of an align job (SUBMIT "kind": "align",
    PROTOCOL.md 5.1, 5.4 and 12.6) that need no pipeline state: the texts
    and checks between the store and the wire.

    An align job carries two articles that translate each other, stored as
    one content (the source side's bytes, then the target side's; the
    store's align row says where they split). Its life, driven by
    hny_pipeline.c:
      1. each side that holds text is prepared by an ordinary prepare task,
         one side after the other (its bytes, its language); a blank side
         is not prepared but aligned as an empty article;
      2. each prepared article is checked (hny_alignjob_check_side) and
         kept in the align row; when both are, the content goes and one
         align task carries both to a worker (hny_alignjob_task_body);
         with a backend, the source's sentences are translated first, as
         a translate job's segments, and go with it (hny_alignjob_with_mt);
      3. the worker's alignment is checked (hny_alignjob_result) and
         becomes the record (hny_record_set_alignment).
    A side past HNY_ALIGN_SENTENCES_MAX sentences fails the job with 413
    before anything is sent to the aligner. */
#ifndef HNY_ALIGNJOB_H
#define HNY_ALIGNJOB_H

#include "hny_store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the bytes hold no text (none, or only blanks: ASCII white space,
   U+3000, no-break spaces, a byte order mark): that side is aligned as an
   empty article (every sentence of the other side unlinked, a warning),
   not prepared. */
int hny_alignjob_blank (const uint8_t *data, size_t size);

/* The prepared article of a blank side: a static JSON text. */
const char *hny_alignjob_empty_side (void);

/* The side to prepare next: 0 the source, 1 the target, -1 both are
   prepared. Sides are prepared in that order, one at a time. */
int hny_alignjob_next_side (const hny_align_row_t *row);

/* Check the prepared article (parsed, borrowed; its "paragraphs" an
   array) of one side, lang its language: 0 when it is within the
   aligner's cap (the caller keeps the body as that side's); 1 when it
   fails the job: *status 413 and *reason (caller owns) say the side has
   too many sentences; -1 when it is unusable (*why, static: the task goes
   back to the queue). */
int hny_alignjob_check_side (const json_t *art, const char *lang, int *status, char **reason,
                             const char **why);

/* What a record keeps of a prepared article (JSON text): its metadata,
   charset, format and replaced, as a new object (caller owns); {} for
   NULL or an empty side. The source's goes to the job row (the record's
   metadata, 12.1), the target's to the record's alignment.target_metadata
   with the target's path as its source (hny_alignjob_target_metadata). */
json_t *hny_alignjob_kept (const char *prepared);
json_t *hny_alignjob_target_metadata (const hny_align_row_t *row);

/* The align TASK body (5.4): {"src": the source's prepared article,
   "tgt": the target's}, from the row's two texts without parsing them
   again. Caller owns; *size bytes. NULL when a side is not prepared or
   the body would be over HNY_PROTO_BODY_MAX. */
char *hny_alignjob_task_body (const hny_align_row_t *row, size_t *size);

/* The source's prepared article (JSON text) with the translations of its
   sentences (an align job with a backend, PROTOCOL.md 5.4): tgts
   (borrowed) maps "p.k" to the translation of sentence k of paragraph p,
   "-1.0" to the title's; each one found becomes that segment's "mt". A
   new text (caller owns), or NULL when prepared is not an article. */
char *hny_alignjob_with_mt (const char *prepared, const json_t *tgts);

/* Check an align RESULT body (status 200): the alignment (caller owns) when
   it has the shape of 5.3's align result (a "title" link or null,
   "paragraphs" of {"segments": [link, ...]}, a "score", "stats", maybe a
   "warning"; a link is {"src": string or null, "tgt": string or null,
   "score": 0..1}, not both null), else NULL with *why (static). size is
   checked against a cap from the task body's size first: a result is
   its two texts again plus a bounded overhead per link. */
json_t *hny_alignjob_result (const uint8_t *body, size_t size, size_t task_body_size,
                             const char **why);

#ifdef __cplusplus
}
#endif
#endif

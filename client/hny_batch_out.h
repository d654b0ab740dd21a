/*  hny_batch_out.h: the output folder of `honyaku batch`, OUT/records.jsonl
    as it is written and resumed.

    - Opening takes a lock on OUT/.batch.lock (one batch per folder at a
      time) and reads the records.jsonl an earlier run left: each line is
      indexed by its record's "key" (the batch's idempotency key), so that
      a run over the same folder finds which files have their record
      already and sends them again never. A last line without its newline
      (a run killed while writing it) is cut off; any other line that is
      not a record is an error (the file is not ours to rewrite).
    - Each record of this run is appended as one complete line as soon as
      it is fetched: one write(2) sequence, undone (the file truncated
      back) when it fails half way, so that the file holds complete lines
      only, whatever stops the run (SIGINT, a full disk, a crash).
    - At the end the file is written again, atomically (a temporary file
      renamed over it), in the order the caller gives (path order), the
      earlier runs' records that no file of this run claimed last, in
      their order: nothing written by an earlier run is lost. */
#ifndef HNY_BATCH_OUT_H
#define HNY_BATCH_OUT_H

#include <stddef.h>
#include <sys/types.h>

typedef struct _hny_batch_out_t hny_batch_out_t;

/* Where one record is in records.jsonl: its line, newline included. */
typedef struct {
    off_t at;
    size_t len;                 /* 0: no record */
} hny_batch_rec_t;

/* Create OUT (and its parents) when missing, lock it, index its
   records.jsonl and open it for appending. Returns the object (caller
   owns), or NULL with a one-line reason in *error (caller owns). */
hny_batch_out_t *hny_batch_out_open (const char *dir, char **error);
/* Close (the lock goes with it). Accepts NULL and a NULL *self_p. */
void hny_batch_out_destroy (hny_batch_out_t **self_p);

/* The path of records.jsonl (borrowed). */
const char *hny_batch_out_records_path (const hny_batch_out_t *self);
/* Records that an earlier run wrote. */
size_t hny_batch_out_earlier (const hny_batch_out_t *self);
/* What opening found amiss: bytes of an incomplete last line (cut off
   at once), and lines whose key an earlier line has too (left out by
   hny_batch_out_finish). */
size_t hny_batch_out_torn_bytes (const hny_batch_out_t *self);
size_t hny_batch_out_duplicates (const hny_batch_out_t *self);

/* The earlier run's record of `key`, if any and not claimed yet: returns
   1 and sets *where (the record is now this run's), else 0. */
int hny_batch_out_claim (hny_batch_out_t *self, const char *key, hny_batch_rec_t *where);
/* Earlier records no key claimed (so far). */
size_t hny_batch_out_unclaimed (const hny_batch_out_t *self);

/* Append `line` (`len` bytes, JSON without a newline; one is added) as
   the file's next line and set *where. Returns 0, or -1 with the file as
   it was before and the reason in hny_batch_out_error(). */
int hny_batch_out_append (hny_batch_out_t *self, const char *line, size_t len,
                          hny_batch_rec_t *where);

/* Write records.jsonl again: the `count` records of `order` (entries with
   len 0 are left out), then the unclaimed earlier ones. Returns 0, or -1
   (the file unchanged) with the reason in hny_batch_out_error(). The
   last call: append no more after it. */
int hny_batch_out_finish (hny_batch_out_t *self, const hny_batch_rec_t *order, size_t count);

/* The last error, one line (borrowed; "" when none). */
const char *hny_batch_out_error (const hny_batch_out_t *self);

#endif

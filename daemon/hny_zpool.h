/*  hny_zpool.h: records compressed on two threads, the caller's and a
    helper's.

    A finished job's record is compressed (zstd) before it is stored: on
    the TM path, where no worker has anything to do, that was a sixth of
    honyakud's one busy thread and the second core sat idle. The loop
    hands the records that a pass finishes to hny_zpool_compress, which
    compresses them on its own thread and on the helper at once and
    returns when all are done, so the pass goes on as before (nothing
    outlives the call: no state across passes, rollbacks or restarts).

    Owner: the pipeline makes one and destroys it. Every function is for
    one thread (the loop's); the helper is internal. */
#ifndef HNY_ZPOOL_H_INCLUDED
#define HNY_ZPOOL_H_INCLUDED

#include <stddef.h>

typedef struct _hny_zpool_t hny_zpool_t;

/* A compressor at zstd level (with a checksum in each frame: a damaged
   record says so) and its helper thread. When the thread cannot be
   started the pool still compresses, on the caller's thread alone. NULL
   only when zstd has no memory for a context. */
hny_zpool_t *hny_zpool_new (int level);

/* Stop the helper and free; *self_p becomes NULL. NULL is allowed. */
void hny_zpool_destroy (hny_zpool_t **self_p);

/* One input and its frame. */
typedef struct {
    const char *text;           /* borrowed */
    size_t len;
    char *z;                    /* set: the frame (caller frees), NULL when it could not
                                   be made (the caller keeps the text as it is) */
    size_t z_len;
} hny_zpool_item_t;

/* Compress items [0, n) (their z and z_len set), the caller's thread and
   the helper taking them in turn; returns when all are done. */
void hny_zpool_compress (hny_zpool_t *self, hny_zpool_item_t *items, size_t n);

#endif

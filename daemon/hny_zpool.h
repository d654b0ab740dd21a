/*  hny_zpool.h: records compressed on a helper thread, while the loop
    goes on.

    A finished job's record is compressed (zstd) before it is stored. On
    the TM path, where no worker has anything to do, that was a fifth of
    honyakud's one busy thread while the second core sat idle. So the
    loop hands the record over (hny_zpool_submit) and goes on with the
    pass; the helper compresses it; a later pass takes it back
    (hny_zpool_take), stores it and ends the job. hny_zpool_fd is readable
    while a compressed item waits, so that the loop wakes for it. The same
    helper shares other work the loop hands it and waits for
    (hny_zpool_map: the TM path's records read back, hny_tm_prefetch).

    Owner: the store makes one and destroys it. Every function is for one
    thread (the loop's); the helper is internal. Items stay the caller's:
    the pool only links them, from submit until they are taken back. */
#ifndef HNY_ZPOOL_H_INCLUDED
#define HNY_ZPOOL_H_INCLUDED

#include <stddef.h>

typedef struct _hny_zpool_t hny_zpool_t;

/* A compressor at zstd level (with a checksum in each frame: a damaged
   record says so) and its helper thread. When the thread (or its wake-up
   descriptor) cannot be made the pool still works: submit compresses on
   the caller's thread at once. NULL only when zstd has no memory for a
   context. */
hny_zpool_t *hny_zpool_new (int level);

/* Stop the helper and free; *self_p becomes NULL. NULL is allowed. Items
   submitted and not taken back are compressed first and then left to the
   caller (who keeps pointers to them; the pool frees none). */
void hny_zpool_destroy (hny_zpool_t **self_p);

/* One input, its frame and the caller's link to it. */
typedef struct _hny_zpool_item_t hny_zpool_item_t;
struct _hny_zpool_item_t {
    const char *text;           /* borrowed, until the item is taken back */
    size_t len;
    char *z;                    /* set: the frame (caller frees), NULL when it could not
                                   be made (the caller keeps the text as it is) */
    size_t z_len;
    void *arg;                  /* the caller's */
    hny_zpool_item_t *next;     /* the pool's, while it holds the item */
};

/* Compress item now, on the caller's thread (z and z_len set). */
void hny_zpool_compress (hny_zpool_t *self, hny_zpool_item_t *item);

/* Hand item over to be compressed; it comes back through take or wait,
   in the order of submission. */
void hny_zpool_submit (hny_zpool_t *self, hny_zpool_item_t *item);

/* The next item compressed, in the order submitted, or NULL when it is
   not ready (or none is out). */
hny_zpool_item_t *hny_zpool_take (hny_zpool_t *self);

/* The next item, waiting for the helper to compress it; NULL when none is
   out. */
hny_zpool_item_t *hny_zpool_wait (hny_zpool_t *self);

/* Run fn on each of items [0, n) on this thread and the helper at once,
   and return when every one is done: work to share while the loop would
   otherwise do it alone (the TM path's records read back, hny_tm.h
   hny_tm_prefetch). The helper takes items of the map before any record
   to compress; one it is compressing already is finished first, while
   this thread goes on with the map alone (it never waits for the helper
   to start). fn's thread is 0 on this thread, 1 on the helper (to choose
   per-thread state, such as a zstd context); fn must touch nothing but
   its item and that state. Without a helper, all run here. */
typedef void (hny_zpool_fn) (void *item, int thread, void *arg);
void hny_zpool_map (hny_zpool_t *self, hny_zpool_fn *fn, void **items, size_t n, void *arg);

/* Items submitted and not yet taken back. */
size_t hny_zpool_out (hny_zpool_t *self);

/* A descriptor that polls readable while take has an item to give, or -1
   when there is no helper (then submit compresses at once: take has the
   item right after it). Never read it: take keeps it. */
int hny_zpool_fd (hny_zpool_t *self);

#endif

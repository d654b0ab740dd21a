/*  hny_ckpt.h: the store's checkpointer, a thread that copies SQLite's WAL
    back into the database off honyakud's loop.

    A checkpoint of a few MiB of WAL takes 20-30 ms of copying and a
    sync; inside the loop it held up every RESULT and TASK behind it, and
    was a fifth of honyakud's thread in a first run at 0 ms latency
    (bench/README.md). The checkpointer has its own connection to the same
    file, used by its thread alone, and runs passive checkpoints, which
    never wait for the loop's connection and never block its writes (WAL
    mode: the writer appends while the checkpointer copies frames the
    readers no longer need). The loop asks; the thread runs one checkpoint
    per ask; asks made while one runs are merged into it.

    Owner: the store (hny_store_t) makes one per open database and
    destroys it before closing its own connection. Every function is for
    the loop's thread. */
#ifndef HNY_CKPT_H_INCLUDED
#define HNY_CKPT_H_INCLUDED

typedef struct _hny_ckpt_t hny_ckpt_t;

/* Open a second connection to the database at path (which must exist and
   be in WAL mode) and start the thread. NULL and *error (caller frees)
   when the connection or the thread cannot be made. */
hny_ckpt_t *hny_ckpt_new (const char *path, char **error);

/* Stop the thread (after the checkpoint it runs, if any), close its
   connection, free; *self_p becomes NULL. NULL is allowed. */
void hny_ckpt_destroy (hny_ckpt_t **self_p);

/* Ask for a checkpoint. Returns 1 when one was started, 0 when one was
   already asked for or running (this ask is merged into it). */
int hny_ckpt_ask (hny_ckpt_t *self);

/* 1 while a checkpoint is asked for or running. */
int hny_ckpt_busy (hny_ckpt_t *self);

/* Wait until no checkpoint is asked for or running (e.g. before the
   loop's own TRUNCATE checkpoint, which a running one would refuse). */
void hny_ckpt_wait (hny_ckpt_t *self);

/* Checkpoints the thread ran, and of them those that failed (a full
   disk, an I/O error: the WAL stays as it is and the next ask tries
   again; the loop's own fallback in hny_store_checkpoint bounds it). */
long hny_ckpt_runs (hny_ckpt_t *self);
long hny_ckpt_failures (hny_ckpt_t *self);

/* The WAL frames the last checkpoint left copied (all frames up to that
   one are in the database), 0 after a failure or before the first. */
int hny_ckpt_copied (hny_ckpt_t *self);

#endif

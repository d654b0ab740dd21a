/*  hny_zpool.c: records compressed on two threads (hny_zpool.h).

    A batch is an array of items and an index of the next one to take,
    under one mutex; the caller and the helper each take items until none
    is left, each with its own zstd context (a context is one thread's).
    Once none is left the caller closes the batch and waits only for the
    item the helper holds, if any: never for the helper to wake up (on a
    busy machine that could take longer than the batch). */
#include "hny_zpool.h"

#include <honyaku/util.h>

#include <pthread.h>
#include <stdlib.h>
#include <zstd.h>

struct _hny_zpool_t {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* the helper waits here for a batch or stop */
    pthread_cond_t done;        /* the caller waits here for the helper's item */
    ZSTD_CCtx *own, *helper;    /* the caller's context and the helper's */
    hny_zpool_item_t *items;    /* the batch, while items are left to take */
    size_t count, next;         /* its size and the next item to take */
    int busy;                   /* the helper is compressing an item of it */
    unsigned long batch;        /* batches handed out (the helper's cue) */
    int stop;
    int threaded;               /* the helper runs (else the caller does all) */
};

static ZSTD_CCtx *
s_context (int level)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx ();
    if (cc) {
        ZSTD_CCtx_setParameter (cc, ZSTD_c_compressionLevel, level);
        ZSTD_CCtx_setParameter (cc, ZSTD_c_checksumFlag, 1);
    }
    return cc;
}

static void
s_one (ZSTD_CCtx *cc, hny_zpool_item_t *item)
{
    size_t bound = ZSTD_compressBound (item->len);
    item->z = hny_malloc (bound ? bound : 1);
    item->z_len = ZSTD_compress2 (cc, item->z, bound, item->text, item->len);
    if (ZSTD_isError (item->z_len)) {
        free (item->z);
        item->z = NULL;
        item->z_len = 0;
    }
}

/* Take items of the batch until none is left (helper: flag it busy
   while it holds one); the mutex is held on entry and on return. */
static void
s_take (hny_zpool_t *self, ZSTD_CCtx *cc, int helper)
{
    while (self->items && self->next < self->count) {
        hny_zpool_item_t *item = &self->items [self->next++];
        self->busy |= helper;
        pthread_mutex_unlock (&self->mu);
        s_one (cc, item);
        pthread_mutex_lock (&self->mu);
        if (helper) {
            self->busy = 0;
            pthread_cond_signal (&self->done);
        }
    }
}

static void *
s_helper (void *arg)
{
    hny_zpool_t *self = arg;
    unsigned long seen = 0;
    pthread_mutex_lock (&self->mu);
    for (;;) {
        while (!self->stop && self->batch == seen)
            pthread_cond_wait (&self->work, &self->mu);
        if (self->stop)
            break;
        /* a batch the caller closed before this thread woke is left */
        seen = self->batch;
        s_take (self, self->helper, 1);
    }
    pthread_mutex_unlock (&self->mu);
    return NULL;
}


hny_zpool_t *
hny_zpool_new (int level)
{
    hny_zpool_t *self = hny_calloc (1, sizeof *self);
    self->own = s_context (level);
    self->helper = s_context (level);
    if (!self->own || !self->helper) {
        ZSTD_freeCCtx (self->own);
        ZSTD_freeCCtx (self->helper);
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->mu, NULL);
    pthread_cond_init (&self->work, NULL);
    pthread_cond_init (&self->done, NULL);
    self->threaded = pthread_create (&self->thread, NULL, s_helper, self) == 0;
    return self;
}

void
hny_zpool_destroy (hny_zpool_t **self_p)
{
    hny_zpool_t *self = *self_p;
    if (!self)
        return;
    if (self->threaded) {
        pthread_mutex_lock (&self->mu);
        self->stop = 1;
        pthread_cond_signal (&self->work);
        pthread_mutex_unlock (&self->mu);
        pthread_join (self->thread, NULL);
    }
    ZSTD_freeCCtx (self->own);
    ZSTD_freeCCtx (self->helper);
    pthread_cond_destroy (&self->work);
    pthread_cond_destroy (&self->done);
    pthread_mutex_destroy (&self->mu);
    free (self);
    *self_p = NULL;
}

void
hny_zpool_compress (hny_zpool_t *self, hny_zpool_item_t *items, size_t n)
{
    if (n <= 1 || !self->threaded) {
        /* one record: waking the helper would cost more than it saves */
        for (size_t i = 0; i < n; i++)
            s_one (self->own, &items [i]);
        return;
    }
    pthread_mutex_lock (&self->mu);
    self->items = items;
    self->count = n;
    self->next = 0;
    self->batch++;
    pthread_cond_signal (&self->work);
    s_take (self, self->own, 0);
    /* None is left to take: close the batch, so that a helper not yet
       awake takes nothing (the caller never waits for it to wake), and
       wait only for the item it holds, if any. */
    self->items = NULL;
    while (self->busy)
        pthread_cond_wait (&self->done, &self->mu);
    pthread_mutex_unlock (&self->mu);
}

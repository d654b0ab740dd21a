/*  hny_zpool.c: records compressed on two threads (hny_zpool.h).

    A batch is an array of items and an index of the next one to take,
    under one mutex; the caller and the helper each take items until none
    is left, each with its own zstd context (a context is one thread's).
    The caller then waits for the helper to finish the item it holds. */
#include "hny_zpool.h"

#include <honyaku/util.h>

#include <pthread.h>
#include <stdlib.h>
#include <zstd.h>

struct _hny_zpool_t {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* the helper waits here for a batch or stop */
    pthread_cond_t done;        /* the caller waits here for the helper */
    ZSTD_CCtx *own, *helper;    /* the caller's context and the helper's */
    hny_zpool_item_t *items;    /* the batch (NULL between batches) */
    size_t count, next;         /* its size and the next item to take */
    int helping;                /* the helper is on the batch */
    unsigned long batch;        /* batches handed out (the helper's cue) */
    int stop;
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

/* Take items of the batch until none is left; the mutex is held on
   entry and on return. */
static void
s_take (hny_zpool_t *self, ZSTD_CCtx *cc)
{
    while (self->items && self->next < self->count) {
        hny_zpool_item_t *item = &self->items [self->next++];
        pthread_mutex_unlock (&self->mu);
        s_one (cc, item);
        pthread_mutex_lock (&self->mu);
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
        seen = self->batch;
        s_take (self, self->helper);
        self->helping = 0;
        pthread_cond_signal (&self->done);
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
    pthread_mutex_init (&self->mu, NULL);
    pthread_cond_init (&self->work, NULL);
    pthread_cond_init (&self->done, NULL);
    if (!self->own || !self->helper || pthread_create (&self->thread, NULL, s_helper, self) != 0) {
        ZSTD_freeCCtx (self->own);
        ZSTD_freeCCtx (self->helper);
        pthread_cond_destroy (&self->work);
        pthread_cond_destroy (&self->done);
        pthread_mutex_destroy (&self->mu);
        free (self);
        return NULL;
    }
    return self;
}

void
hny_zpool_destroy (hny_zpool_t **self_p)
{
    hny_zpool_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->mu);
    self->stop = 1;
    pthread_cond_signal (&self->work);
    pthread_mutex_unlock (&self->mu);
    pthread_join (self->thread, NULL);
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
    if (n == 1) {
        /* one record: waking the helper would cost more than it saves */
        s_one (self->own, &items [0]);
        return;
    }
    if (n == 0)
        return;
    pthread_mutex_lock (&self->mu);
    self->items = items;
    self->count = n;
    self->next = 0;
    self->helping = 1;
    self->batch++;
    pthread_cond_signal (&self->work);
    s_take (self, self->own);
    /* the helper holds at most the item it took last */
    while (self->helping)
        pthread_cond_wait (&self->done, &self->mu);
    self->items = NULL;
    pthread_mutex_unlock (&self->mu);
}

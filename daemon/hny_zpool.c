/*  hny_zpool.c: records compressed on a helper thread (hny_zpool.h).

    Two FIFO lists under one mutex: the items submitted and not yet
    compressed (the helper takes them from the head), and the items
    compressed and not yet taken back (the caller takes them from the
    head). One helper, so items come back in the order they went. An
    eventfd is readable exactly while the second list has an item: the
    helper writes it when it puts an item in an empty list, take reads it
    when it empties the list, both under the mutex. Each thread has its
    own zstd context (a context is one thread's). */
#include "hny_zpool.h"

#include <honyaku/util.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zstd.h>

typedef struct {
    hny_zpool_item_t *head, *tail;
} s_list_t;

struct _hny_zpool_t {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* the helper waits here for an item or stop */
    pthread_cond_t done;        /* wait waits here for an item compressed */
    ZSTD_CCtx *own, *helper;    /* the caller's context and the helper's */
    s_list_t todo, ready;       /* submitted; compressed, not taken back */
    size_t out;                 /* submitted and not taken back */
    int efd;                    /* readable while ready has an item; -1 without helper */
    int stop;
    int threaded;               /* the helper runs (else submit compresses) */
    /* the map under way (hny_zpool_map), under the mutex: items [next, n)
       are left, done of them are finished */
    hny_zpool_fn *map_fn;
    void **map_items;
    void *map_arg;
    size_t map_n, map_next, map_done;
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

static void
s_push (s_list_t *list, hny_zpool_item_t *item)
{
    item->next = NULL;
    if (list->tail)
        list->tail->next = item;
    else
        list->head = item;
    list->tail = item;
}

static hny_zpool_item_t *
s_pop (s_list_t *list)
{
    hny_zpool_item_t *item = list->head;
    if (item) {
        list->head = item->next;
        if (!list->head)
            list->tail = NULL;
        item->next = NULL;
    }
    return item;
}

/* An item compressed goes to ready (the mutex held); the descriptor
   turns readable with its first item. */
static void
s_ready (hny_zpool_t *self, hny_zpool_item_t *item)
{
    int was_empty = self->ready.head == NULL;
    s_push (&self->ready, item);
    if (was_empty && self->efd >= 0) {
        uint64_t one = 1;
        if (write (self->efd, &one, sizeof one) < 0) {
            /* cannot fail: the counter is 0 or 1 here */
        }
    }
    pthread_cond_signal (&self->done);
}

static void *
s_helper (void *arg)
{
    hny_zpool_t *self = arg;
    pthread_mutex_lock (&self->mu);
    for (;;) {
        while (!self->stop && !self->todo.head && self->map_next >= self->map_n)
            pthread_cond_wait (&self->work, &self->mu);
        if (self->map_next < self->map_n) {
            /* a map's item first: the loop waits for the map */
            void *one = self->map_items [self->map_next++];
            pthread_mutex_unlock (&self->mu);
            self->map_fn (one, 1, self->map_arg);
            pthread_mutex_lock (&self->mu);
            if (++self->map_done == self->map_n)
                pthread_cond_broadcast (&self->done);
            continue;
        }
        /* stop comes after the items submitted: destroy leaves none
           half done */
        hny_zpool_item_t *item = s_pop (&self->todo);
        if (!item)
            break;
        pthread_mutex_unlock (&self->mu);
        s_one (self->helper, item);
        pthread_mutex_lock (&self->mu);
        s_ready (self, item);
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
    self->efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->threaded = self->efd >= 0 && pthread_create (&self->thread, NULL, s_helper, self) == 0;
    if (!self->threaded && self->efd >= 0) {
        close (self->efd);
        self->efd = -1;
    }
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
        close (self->efd);
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
hny_zpool_compress (hny_zpool_t *self, hny_zpool_item_t *item)
{
    s_one (self->own, item);
}

void
hny_zpool_submit (hny_zpool_t *self, hny_zpool_item_t *item)
{
    item->z = NULL;
    item->z_len = 0;
    self->out++;
    if (!self->threaded) {
        s_one (self->own, item);
        s_ready (self, item);   /* one thread: the mutex is not needed */
        return;
    }
    pthread_mutex_lock (&self->mu);
    s_push (&self->todo, item);
    pthread_cond_signal (&self->work);
    pthread_mutex_unlock (&self->mu);
}

/* The head of ready, the mutex held; the descriptor is read when the list
   empties. */
static hny_zpool_item_t *
s_take (hny_zpool_t *self)
{
    hny_zpool_item_t *item = s_pop (&self->ready);
    if (item) {
        self->out--;
        if (!self->ready.head && self->efd >= 0) {
            uint64_t count;
            if (read (self->efd, &count, sizeof count) < 0) {
                /* cannot fail: it was written with the first item */
            }
        }
    }
    return item;
}

/* The next item compressed; with wait, waiting for the helper to make
   it. NULL when none is out (or, without wait, none is ready). */
static hny_zpool_item_t *
s_next (hny_zpool_t *self, int wait)
{
    if (!self->out)
        return NULL;
    if (!self->threaded)
        return s_take (self);   /* submit compressed it at once */
    pthread_mutex_lock (&self->mu);
    while (wait && !self->ready.head)
        pthread_cond_wait (&self->done, &self->mu);
    hny_zpool_item_t *item = s_take (self);
    pthread_mutex_unlock (&self->mu);
    return item;
}

hny_zpool_item_t *
hny_zpool_take (hny_zpool_t *self)
{
    return s_next (self, 0);
}

hny_zpool_item_t *
hny_zpool_wait (hny_zpool_t *self)
{
    return s_next (self, 1);
}

void
hny_zpool_map (hny_zpool_t *self, hny_zpool_fn *fn, void **items, size_t n, void *arg)
{
    if (!self->threaded || n < 2) {
        for (size_t i = 0; i < n; i++)
            fn (items [i], 0, arg);
        return;
    }
    pthread_mutex_lock (&self->mu);
    self->map_fn = fn;
    self->map_items = items;
    self->map_arg = arg;
    self->map_n = n;
    self->map_next = self->map_done = 0;
    pthread_cond_signal (&self->work);
    while (self->map_next < n) {
        void *one = items [self->map_next++];
        pthread_mutex_unlock (&self->mu);
        fn (one, 0, arg);
        pthread_mutex_lock (&self->mu);
        self->map_done++;
    }
    /* only for the item the helper still runs, if any */
    while (self->map_done < n)
        pthread_cond_wait (&self->done, &self->mu);
    self->map_n = self->map_next = self->map_done = 0;
    self->map_items = NULL;
    pthread_mutex_unlock (&self->mu);
}

size_t
hny_zpool_out (hny_zpool_t *self)
{
    return self->out;
}

int
hny_zpool_fd (hny_zpool_t *self)
{
    return self->efd;
}

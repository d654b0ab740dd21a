/*  hny_ckpt.c: the store's checkpointer thread (see hny_ckpt.h).

    One mutex guards the few fields both threads touch; the thread holds
    it only to take an ask and to post a result, never while it copies. */
#include "hny_ckpt.h"

#include <honyaku/util.h>

#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

struct _hny_ckpt_t {
    sqlite3 *db;                /* the thread's own connection */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* to the thread: an ask or stop */
    pthread_cond_t idle;        /* to the loop: a checkpoint ended */
    int asked;                  /* an ask not yet taken by the thread */
    int running;                /* the thread is copying */
    int stop;
    long runs, failures;
    int copied;                 /* WAL frames the last checkpoint had copied */
};

static void *
s_thread (void *arg)
{
    hny_ckpt_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        if (!self->asked) {
            pthread_cond_wait (&self->wake, &self->lock);
            continue;
        }
        self->asked = 0;
        self->running = 1;
        pthread_mutex_unlock (&self->lock);
        /* Passive: copies what no reader still needs and returns, never
           waiting on the loop's connection. */
        int log = -1, done = -1;
        int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc != SQLITE_OK)
            hny_debug ("store: checkpoint: %s (%d of %d pages copied)",
                       sqlite3_errmsg (self->db), done, log);
        pthread_mutex_lock (&self->lock);
        self->running = 0;
        self->runs++;
        self->failures += rc != SQLITE_OK;
        self->copied = rc == SQLITE_OK && done > 0 ? done : 0;
        pthread_cond_broadcast (&self->idle);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

hny_ckpt_t *
hny_ckpt_new (const char *path, char **error)
{
    assert (path && error);
    *error = NULL;
    hny_ckpt_t *self = hny_calloc (1, sizeof *self);
    /* NOMUTEX: the connection is the thread's alone. No busy handler: a
       passive checkpoint does not wait anyway. */
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        *error = hny_sprintf ("%s: checkpointer: %s", path,
                              self->db ? sqlite3_errmsg (self->db) : "out of memory");
        sqlite3_close (self->db);
        free (self);
        return NULL;
    }
    /* Its syncs as the loop's connection makes them (hny_store.c). */
    if (sqlite3_exec (self->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        hny_debug ("store: checkpointer: %s", sqlite3_errmsg (self->db));
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    pthread_cond_init (&self->idle, NULL);
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0) {
        *error = hny_sprintf ("%s: checkpointer: cannot start its thread", path);
        pthread_cond_destroy (&self->idle);
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        sqlite3_close (self->db);
        free (self);
        return NULL;
    }
    return self;
}

void
hny_ckpt_destroy (hny_ckpt_t **self_p)
{
    assert (self_p);
    hny_ckpt_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = 1;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->idle);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

int
hny_ckpt_ask (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    int started = !self->asked && !self->running;
    if (started) {
        self->asked = 1;
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->lock);
    return started;
}

int
hny_ckpt_busy (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    int busy = self->asked || self->running;
    pthread_mutex_unlock (&self->lock);
    return busy;
}

void
hny_ckpt_wait (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    while (self->asked || self->running)
        pthread_cond_wait (&self->idle, &self->lock);
    pthread_mutex_unlock (&self->lock);
}

long
hny_ckpt_runs (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    long n = self->runs;
    pthread_mutex_unlock (&self->lock);
    return n;
}

long
hny_ckpt_failures (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    long n = self->failures;
    pthread_mutex_unlock (&self->lock);
    return n;
}

int
hny_ckpt_copied (hny_ckpt_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    int n = self->copied;
    pthread_mutex_unlock (&self->lock);
    return n;
}

/*  hny_waiters.c: clients waiting for jobs (see hny_waiters.h). Two
    indexes over the same waiters: a hash of jobs (hny_map, by the job id's
    decimal text), each to its waiters in a doubly linked list in arrival
    order, and a binary min-heap by deadline, each waiter knowing its
    place in it so that a job's end takes its waiters out of the heap in
    O(log n) each. */
#include "hny_waiters.h"

#include "hny_map.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct _s_waiter_t s_waiter_t;
struct _s_waiter_t {
    s_waiter_t *prev, *next;    /* the job's waiters, in arrival order */
    size_t heap_at;             /* its place in the heap */
    hny_waiter_t pub;           /* what fn sees; rid points at rid below */
    uint8_t rid [];
};

/* A job's waiters: the map's value. */
typedef struct {
    s_waiter_t *head, *tail;
} s_job_t;

struct _hny_waiters_t {
    size_t max;
    hny_map_t *jobs;            /* job id text -> s_job_t */
    s_waiter_t **heap;          /* by deadline, earliest at 0 */
    size_t count, alloc;
};

static void
s_job_key (int64_t job, char key [24])
{
    snprintf (key, 24, "%lld", (long long) job);
}

/* ------------------------------------------------------------- the heap */

static void
s_heap_set (hny_waiters_t *self, size_t at, s_waiter_t *w)
{
    self->heap [at] = w;
    w->heap_at = at;
}

static void
s_heap_up (hny_waiters_t *self, size_t at)
{
    s_waiter_t *w = self->heap [at];
    while (at > 0) {
        size_t parent = (at - 1) / 2;
        if (self->heap [parent]->pub.deadline <= w->pub.deadline)
            break;
        s_heap_set (self, at, self->heap [parent]);
        at = parent;
    }
    s_heap_set (self, at, w);
}

static void
s_heap_down (hny_waiters_t *self, size_t at)
{
    s_waiter_t *w = self->heap [at];
    for (;;) {
        size_t child = 2 * at + 1;
        if (child >= self->count)
            break;
        if (child + 1 < self->count && self->heap [child + 1]->pub.deadline < self->heap [child]->pub.deadline)
            child++;
        if (w->pub.deadline <= self->heap [child]->pub.deadline)
            break;
        s_heap_set (self, at, self->heap [child]);
        at = child;
    }
    s_heap_set (self, at, w);
}

/* Take w out of the heap (not out of its job's list). */
static void
s_heap_remove (hny_waiters_t *self, s_waiter_t *w)
{
    size_t at = w->heap_at;
    assert (at < self->count && self->heap [at] == w);
    s_waiter_t *last = self->heap [--self->count];
    if (last == w)
        return;
    s_heap_set (self, at, last);
    s_heap_up (self, at);
    s_heap_down (self, last->heap_at);
}

/* ------------------------------------------------------------- waiters */

/* Take w out of its job's list (the job's entry goes with its last). */
static void
s_unlink (hny_waiters_t *self, s_waiter_t *w)
{
    char key [24];
    s_job_key (w->pub.job, key);
    s_job_t *job = hny_map_get (self->jobs, key);
    assert (job);
    if (w->prev)
        w->prev->next = w->next;
    else
        job->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        job->tail = w->prev;
    if (!job->head) {
        hny_map_delete (self->jobs, key);
        free (job);
    }
}

static void
s_free (s_waiter_t *w)
{
    json_decref ((json_t *) w->pub.req);
    free (w);
}

/* Hand w to fn, then drop it (out of both indexes first). */
static void
s_take (hny_waiters_t *self, s_waiter_t *w, hny_waiter_fn *fn, void *arg)
{
    s_heap_remove (self, w);
    s_unlink (self, w);
    if (fn)
        fn (&w->pub, arg);
    s_free (w);
}

hny_waiters_t *
hny_waiters_new (size_t max)
{
    hny_waiters_t *self = hny_calloc (1, sizeof *self);
    self->max = max ? max : 1;
    self->jobs = hny_map_new ();
    return self;
}

void
hny_waiters_destroy (hny_waiters_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_waiters_t *self = *self_p;
    hny_waiters_take_all (self, NULL, NULL);
    hny_map_destroy (&self->jobs);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

int
hny_waiters_add (hny_waiters_t *self, const uint8_t *rid, size_t rid_size, json_t *req, int64_t job,
                 int64_t deadline)
{
    if (self->count >= self->max || rid_size > HNY_WAITER_RID_MAX)
        return -1;
    s_waiter_t *w = hny_calloc (1, sizeof *w + (rid_size ? rid_size : 1));
    memcpy (w->rid, rid, rid_size);
    w->pub = (hny_waiter_t) { .rid = w->rid, .rid_size = rid_size, .req = json_incref (req), .job = job,
                              .deadline = deadline };
    char key [24];
    s_job_key (job, key);
    s_job_t *entry = hny_map_get (self->jobs, key);
    if (!entry) {
        entry = hny_calloc (1, sizeof *entry);
        hny_map_set (self->jobs, key, entry);
    }
    w->prev = entry->tail;
    if (entry->tail)
        entry->tail->next = w;
    else
        entry->head = w;
    entry->tail = w;
    if (self->count == self->alloc) {
        self->alloc = self->alloc ? 2 * self->alloc : 64;
        self->heap = hny_realloc (self->heap, self->alloc * sizeof *self->heap);
    }
    s_heap_set (self, self->count++, w);
    s_heap_up (self, self->count - 1);
    return 0;
}

size_t
hny_waiters_take_job (hny_waiters_t *self, int64_t job, hny_waiter_fn *fn, void *arg)
{
    char key [24];
    s_job_key (job, key);
    size_t n = 0;
    s_job_t *entry;
    /* Looked up again each time: the last one takes the entry with it. */
    while ((entry = hny_map_get (self->jobs, key))) {
        s_take (self, entry->head, fn, arg);
        n++;
    }
    return n;
}

size_t
hny_waiters_take_expired (hny_waiters_t *self, int64_t now, hny_waiter_fn *fn, void *arg)
{
    size_t n = 0;
    while (self->count && self->heap [0]->pub.deadline <= now) {
        s_take (self, self->heap [0], fn, arg);
        n++;
    }
    return n;
}

size_t
hny_waiters_take_all (hny_waiters_t *self, hny_waiter_fn *fn, void *arg)
{
    size_t n = 0;
    while (self->count) {
        s_take (self, self->heap [self->count - 1], fn, arg);
        n++;
    }
    return n;
}

int64_t
hny_waiters_deadline (const hny_waiters_t *self)
{
    return self->count ? self->heap [0]->pub.deadline : INT64_MAX;
}

size_t
hny_waiters_count (const hny_waiters_t *self)
{
    return self->count;
}

/*  hny_sched.c: honyakud's scheduler (see hny_sched.h).

    Queues are intrusive doubly-linked FIFOs (a task sits in at most one
    place: a ready queue, the wait heap, or the leased list; `where` says
    which). Tasks are found by id through a hash of their own, so that a
    RESULT costs O(1) wherever its task is. A worker's outstanding TASKs
    are (id, attempt) pairs, not pointers: tasks come and go (a store
    reload rebuilds them all) while the worker still holds the TASK. */
#include "hny_sched.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PAUSE_MAX_MS  60000       /* longest wait between probes of a paused profile */
#define S_FREE_PAUSE_MAX_MS 10000   /* ... when a probe costs nothing */

enum { S_NOWHERE, S_READY, S_WAITING, S_LEASED };

typedef struct {
    hny_task_t *head, *tail;
    size_t count;
} s_fifo_t;

/* A profile's runtime state. */
typedef struct {
    const hny_profile_t *conf;  /* borrowed */
    int fallback;               /* conf->fallback resolved, or -1 */
    s_fifo_t ready;
    size_t waiting;             /* its tasks in the wait heap */
    int inflight;               /* requests of the translate tasks leased */
    char *paused;               /* why, or NULL */
    int64_t probe_at;           /* monotonic ms: a probe may go */
    int64_t backoff_ms;         /* the current wait between probes */
    int probing;                /* the probe is leased */
    double req_tokens;          /* rate bucket */
    double char_tokens;         /* chars_per_minute bucket */
    int64_t refilled;           /* monotonic ms of the last refill */
    int workers;                /* live workers serving it */
} s_profile_t;

/* One TASK outstanding at a worker. */
typedef struct {
    int64_t id;
    int attempt;
} s_holding_t;

struct _hny_sworker_t {
    hny_sworker_t *prev, *next;
    uint64_t serial;            /* never reused: what "avoid" names */
    int credit;
    s_holding_t *held;          /* outstanding TASKs */
    size_t held_count, held_alloc;
    char *serves;               /* serves [i]: it serves profile i */
    int spares;                 /* it parks spare tasks (hny_sched_worker_set_spares) */
    hny_task_t **spare;         /* spare [i]: its spare task of profile i, or NULL */
    uint64_t *ended;            /* ended [i]: RESULTs naming profile i it sent */
};

/* Open-addressing hash of tasks by id (linear probing, tombstones). */
typedef struct {
    hny_task_t **slots;
    size_t cap;                 /* a power of two */
    size_t used;                /* live + tombstones */
    size_t live;
} s_index_t;

#define S_TOMB ((hny_task_t *) 1)

struct _hny_sched_t {
    s_profile_t *profiles;
    size_t profile_count;
    s_fifo_t prepare;           /* ready prepare tasks */
    size_t prepare_waiting;     /* prepare tasks in the wait heap */
    hny_task_t **heap;          /* tasks waiting for their not_before: a min-heap */
    size_t heap_count, heap_alloc;
    hny_task_t *leased;         /* leased tasks, a list */
    hny_sworker_t *workers;
    size_t worker_count;
    uint64_t next_serial;
    s_index_t index;
    int slots;                  /* admission slots for prepare tasks */
    size_t turn;                /* the queue that goes first in hny_sched_next */
    uint64_t spares_leased;     /* spare tasks leased so far */
    hny_sched_hooks_t hooks;
};

/* ------------------------------------------------------------- index */

static size_t
s_hash (int64_t id, size_t cap)
{
    uint64_t x = (uint64_t) id * 0x9E3779B97F4A7C15ull;
    return (size_t) (x ^ (x >> 29)) & (cap - 1);
}

static void s_index_put (s_index_t *ix, hny_task_t *task);

static void
s_index_grow (s_index_t *ix)
{
    hny_task_t **old = ix->slots;
    size_t old_cap = ix->cap;
    /* Double when live tasks fill it; same size just clears tombstones. */
    ix->cap = old_cap == 0 ? 64 : ix->live * 2 >= old_cap ? old_cap * 2 : old_cap;
    ix->slots = hny_calloc (ix->cap, sizeof *ix->slots);
    ix->used = ix->live = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old [i] && old [i] != S_TOMB)
            s_index_put (ix, old [i]);
    free (old);
}

static void
s_index_put (s_index_t *ix, hny_task_t *task)
{
    if ((ix->used + 1) * 4 >= ix->cap * 3)
        s_index_grow (ix);
    size_t i = s_hash (task->id, ix->cap);
    while (ix->slots [i] && ix->slots [i] != S_TOMB) {
        assert (ix->slots [i]->id != task->id);     /* ids are unique */
        i = (i + 1) & (ix->cap - 1);
    }
    if (!ix->slots [i])
        ix->used++;
    ix->slots [i] = task;
    ix->live++;
}

static size_t
s_index_slot (const s_index_t *ix, int64_t id)
{
    if (!ix->cap)
        return SIZE_MAX;
    size_t i = s_hash (id, ix->cap);
    while (ix->slots [i]) {
        if (ix->slots [i] != S_TOMB && ix->slots [i]->id == id)
            return i;
        i = (i + 1) & (ix->cap - 1);
    }
    return SIZE_MAX;
}

static void
s_index_del (s_index_t *ix, int64_t id)
{
    size_t i = s_index_slot (ix, id);
    if (i != SIZE_MAX) {
        ix->slots [i] = S_TOMB;
        ix->live--;
    }
}

/* ------------------------------------------------------------- queues */

static void
s_fifo_push (s_fifo_t *q, hny_task_t *task, int front)
{
    task->prev = task->next = NULL;
    if (!q->head)
        q->head = q->tail = task;
    else if (front) {
        task->next = q->head;
        q->head->prev = task;
        q->head = task;
    }
    else {
        task->prev = q->tail;
        q->tail->next = task;
        q->tail = task;
    }
    q->count++;
}

static void
s_fifo_unlink (s_fifo_t *q, hny_task_t *task)
{
    if (task->prev)
        task->prev->next = task->next;
    else
        q->head = task->next;
    if (task->next)
        task->next->prev = task->prev;
    else
        q->tail = task->prev;
    task->prev = task->next = NULL;
    q->count--;
}

static s_fifo_t *
s_queue_of (hny_sched_t *self, const hny_task_t *task)
{
    return task->kind != HNY_TASK_TRANSLATE ? &self->prepare : &self->profiles [task->profile].ready;
}

/* The wait heap, ordered by not_before. */
static int
s_heap_less (const hny_task_t *a, const hny_task_t *b)
{
    return a->not_before < b->not_before || (a->not_before == b->not_before && a->id < b->id);
}

static void
s_heap_set (hny_sched_t *self, size_t i, hny_task_t *task)
{
    self->heap [i] = task;
    task->heap_index = i;
}

static void
s_heap_up (hny_sched_t *self, size_t i)
{
    hny_task_t *task = self->heap [i];
    while (i > 0 && s_heap_less (task, self->heap [(i - 1) / 2])) {
        s_heap_set (self, i, self->heap [(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    s_heap_set (self, i, task);
}

static void
s_heap_down (hny_sched_t *self, size_t i)
{
    hny_task_t *task = self->heap [i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= self->heap_count)
            break;
        if (child + 1 < self->heap_count && s_heap_less (self->heap [child + 1], self->heap [child]))
            child++;
        if (!s_heap_less (self->heap [child], task))
            break;
        s_heap_set (self, i, self->heap [child]);
        i = child;
    }
    s_heap_set (self, i, task);
}

static void
s_heap_push (hny_sched_t *self, hny_task_t *task)
{
    if (self->heap_count == self->heap_alloc) {
        self->heap_alloc = self->heap_alloc ? self->heap_alloc * 2 : 64;
        self->heap = hny_realloc (self->heap, self->heap_alloc * sizeof *self->heap);
    }
    s_heap_set (self, self->heap_count++, task);
    s_heap_up (self, task->heap_index);
}

static void
s_heap_remove (hny_sched_t *self, hny_task_t *task)
{
    size_t i = task->heap_index;
    assert (i < self->heap_count && self->heap [i] == task);
    hny_task_t *last = self->heap [--self->heap_count];
    if (i < self->heap_count) {
        s_heap_set (self, i, last);
        s_heap_up (self, i);
        s_heap_down (self, last->heap_index);
    }
}

/* Put a task where it belongs now: the wait heap while its not_before is
   ahead, else its ready queue. */
static void
s_place (hny_sched_t *self, hny_task_t *task, int front, int64_t now)
{
    if (task->not_before > now) {
        task->where = S_WAITING;
        s_heap_push (self, task);
        if (task->kind != HNY_TASK_TRANSLATE)
            self->prepare_waiting++;
        else
            self->profiles [task->profile].waiting++;
    }
    else {
        task->where = S_READY;
        s_fifo_push (s_queue_of (self, task), task, front);
    }
}

/* Move the tasks whose wait is over to the front of their ready queues,
   the longest waiting first. */
static void
s_wake (hny_sched_t *self, int64_t now)
{
    while (self->heap_count && self->heap [0]->not_before <= now) {
        hny_task_t *task = self->heap [0];
        s_heap_remove (self, task);
        if (task->kind != HNY_TASK_TRANSLATE)
            self->prepare_waiting--;
        else
            self->profiles [task->profile].waiting--;
        task->where = S_READY;
        /* An admitted prepare or align task (its job is in flight) goes
           before those that wait for a slot (hny_sched_add). */
        s_fifo_push (s_queue_of (self, task), task, task->kind != HNY_TASK_TRANSLATE && task->admitted);
    }
}

/* Take a task out of wherever it is (not out of the index). */
/* The requests a translate task makes: what it takes of its profile's
   concurrency while leased. */
static int
s_requests (const hny_task_t *task)
{
    return task->requests > 0 ? task->requests : 1;
}

static void
s_detach (hny_sched_t *self, hny_task_t *task)
{
    switch (task->where) {
    case S_READY:
        s_fifo_unlink (s_queue_of (self, task), task);
        break;
    case S_WAITING:
        s_heap_remove (self, task);
        if (task->kind != HNY_TASK_TRANSLATE)
            self->prepare_waiting--;
        else
            self->profiles [task->profile].waiting--;
        break;
    case S_LEASED:
        if (task->prev)
            task->prev->next = task->next;
        else
            self->leased = task->next;
        if (task->next)
            task->next->prev = task->prev;
        task->prev = task->next = NULL;
        if (task->kind == HNY_TASK_TRANSLATE) {
            s_profile_t *p = &self->profiles [task->profile];
            hny_sworker_t *w = task->worker;
            if (task->spare) {
                /* A spare that never ran here: nothing was counted. */
                if (w && w->spare [task->profile] == task)
                    w->spare [task->profile] = NULL;
                task->spare = 0;
            }
            else {
                p->inflight -= s_requests (task);
                if (p->inflight < 0)
                    p->inflight = 0;
                /* The worker starts its spare of the profile when one of
                   its tasks of the profile ends, into the requests that
                   task leaves: from now on it is counted. */
                hny_task_t *spare = w ? w->spare [task->profile] : NULL;
                if (spare) {
                    w->spare [task->profile] = NULL;
                    spare->spare = 0;
                    p->inflight += s_requests (spare);
                }
            }
            if (task->probe)
                p->probing = 0;
        }
        task->worker = NULL;
        break;
    default:
        break;
    }
    task->where = S_NOWHERE;
}

/* Make a task (out of every queue) leased to w until deadline. */
static void
s_attach_lease (hny_sched_t *self, hny_task_t *task, hny_sworker_t *w, int64_t deadline)
{
    task->worker = w;
    task->lease_deadline = deadline;
    task->where = S_LEASED;
    task->prev = NULL;
    task->next = self->leased;
    if (self->leased)
        self->leased->prev = task;
    self->leased = task;
    if (task->kind == HNY_TASK_TRANSLATE && task->spare)
        w->spare [task->profile] = task;
    else if (task->kind == HNY_TASK_TRANSLATE)
        self->profiles [task->profile].inflight += s_requests (task);
    else
        task->admitted = 1;
}

/* Note a TASK outstanding at w (once). */
static void
s_hold (hny_sworker_t *w, int64_t id, int attempt)
{
    for (size_t i = 0; i < w->held_count; i++)
        if (w->held [i].id == id && w->held [i].attempt == attempt)
            return;
    if (w->held_count == w->held_alloc) {
        w->held_alloc = w->held_alloc ? w->held_alloc * 2 : 8;
        w->held = hny_realloc (w->held, w->held_alloc * sizeof *w->held);
    }
    w->held [w->held_count++] = (s_holding_t) { id, attempt };
}

/* ------------------------------------------------------------- budgets */

static double
s_rate_cap (const hny_profile_t *conf)
{
    return conf->rate > 1 ? conf->rate : 1;
}

static void
s_refill (s_profile_t *p, int64_t now)
{
    double dt = (double) (now - p->refilled);
    if (dt <= 0)
        return;
    p->refilled = now;
    if (p->conf->rate > 0) {
        p->req_tokens += dt * p->conf->rate / 1000.0;
        if (p->req_tokens > s_rate_cap (p->conf))
            p->req_tokens = s_rate_cap (p->conf);
    }
    if (p->conf->chars_per_minute > 0) {
        double cap = (double) p->conf->chars_per_minute;
        p->char_tokens += dt * cap / 60000.0;
        if (p->char_tokens > cap)
            p->char_tokens = cap;
    }
}

/* What a task costs against its profile's buckets: never more than a full
   bucket, so that every task can go eventually. */
static void
s_cost (const s_profile_t *p, const hny_task_t *task, double *reqs, double *chars)
{
    *reqs = task->requests > 0 ? task->requests : 1;
    if (*reqs > s_rate_cap (p->conf))
        *reqs = s_rate_cap (p->conf);
    *chars = (double) task->chars;
    if (p->conf->chars_per_minute > 0 && *chars > (double) p->conf->chars_per_minute)
        *chars = (double) p->conf->chars_per_minute;
}

/* ms until the buckets cover the task (0: now). Refills first. */
static int64_t
s_budget_wait (s_profile_t *p, const hny_task_t *task, int64_t now)
{
    s_refill (p, now);
    double reqs, chars, wait = 0;
    s_cost (p, task, &reqs, &chars);
    if (p->conf->rate > 0 && p->req_tokens < reqs)
        wait = (reqs - p->req_tokens) * 1000.0 / p->conf->rate;
    if (p->conf->chars_per_minute > 0 && p->char_tokens < chars) {
        double w = (chars - p->char_tokens) * 60000.0 / (double) p->conf->chars_per_minute;
        if (w > wait)
            wait = w;
    }
    return wait > 0 ? (int64_t) wait + 1 : 0;
}

static void
s_budget_spend (s_profile_t *p, const hny_task_t *task)
{
    double reqs, chars;
    s_cost (p, task, &reqs, &chars);
    if (p->conf->rate > 0)
        p->req_tokens -= reqs;
    if (p->conf->chars_per_minute > 0)
        p->char_tokens -= chars;
}

/* ------------------------------------------------------------- the predicate */

static int
s_free_credit (const hny_sworker_t *w)
{
    return w->credit - (int) w->held_count;
}

static int
s_serves (const hny_sworker_t *w, const hny_task_t *task)
{
    return task->kind != HNY_TASK_TRANSLATE || w->serves [task->profile];
}

/* The worker for a task: the one with the most free credit that serves
   it, not the one it should avoid while another serves it; NULL when no
   worker with free credit may take it. */
static hny_sworker_t *
s_pick (hny_sched_t *self, const hny_task_t *task)
{
    hny_sworker_t *best = NULL, *avoided = NULL;
    int other_serves = 0;
    for (hny_sworker_t *w = self->workers; w; w = w->next) {
        if (!s_serves (w, task))
            continue;
        if (task->avoid && w->serial == task->avoid) {
            if (s_free_credit (w) > 0)
                avoided = w;
            continue;
        }
        other_serves = 1;
        /* Not a worker whose spare of the profile makes more requests than
           this task: the spare may start when this task ends. */
        if (task->kind == HNY_TASK_TRANSLATE && w->spare [task->profile]
        &&  s_requests (w->spare [task->profile]) > s_requests (task))
            continue;
        if (s_free_credit (w) > 0 && (!best || s_free_credit (w) > s_free_credit (best)))
            best = w;
    }
    /* The avoided worker only when nobody else serves it at all. */
    return best ? best : other_serves ? NULL : avoided;
}

/* 1 when the profile's concurrency has no room for the task now (a task
   larger than the whole limit goes alone, so that it can go at all). */
static int
s_full (const s_profile_t *p, const hny_task_t *task)
{
    return p->conf->concurrency > 0 && p->inflight > 0
        && p->inflight + s_requests (task) > p->conf->concurrency;
}

/* May w take the task as its spare? It parks spares, serves the profile,
   has credit and no spare of the profile yet, and holds at least one
   task of the profile, every one of which makes at least as many requests
   as this one: whichever ends first frees room enough for it. O(tasks
   outstanding at w). */
static int
s_spare_fits (hny_sched_t *self, hny_sworker_t *w, const hny_task_t *task)
{
    if (!w->spares || !w->serves [task->profile] || w->spare [task->profile] || s_free_credit (w) <= 0)
        return 0;
    if (task->avoid && w->serial == task->avoid)
        return 0;
    int holds = 0;
    for (size_t i = 0; i < w->held_count; i++) {
        hny_task_t *t = hny_sched_find (self, w->held [i].id);
        if (!t || t->where != S_LEASED || t->worker != w || t->kind != HNY_TASK_TRANSLATE
        ||  t->profile != task->profile)
            continue;
        if (s_requests (t) < s_requests (task))
            return 0;
        holds = 1;
    }
    return holds;
}

/* The worker that may take the task as its spare (the one with the most
   free credit), or NULL. */
static hny_sworker_t *
s_pick_spare (hny_sched_t *self, const hny_task_t *task)
{
    hny_sworker_t *best = NULL;
    for (hny_sworker_t *w = self->workers; w; w = w->next)
        if (s_spare_fits (self, w, task) && (!best || s_free_credit (w) > s_free_credit (best)))
            best = w;
    return best;
}

/* The predicate: may the task at the head of its queue be leased now?
   Returns 0 (yes: *pick is the worker), a positive number of ms to wait
   (the time-bound conditions: a probe's backoff, the budgets), or
   HNY_SCHED_NEVER (blocked until an event: a paused profile's probe in
   flight, concurrency full, no admission slot, no worker with credit).
   The event conditions are checked first, so that a time is returned
   only when time alone will unblock the task. */
static int64_t
s_wait (hny_sched_t *self, const hny_task_t *task, int64_t now, hny_sworker_t **pick)
{
    s_profile_t *p = task->kind == HNY_TASK_TRANSLATE ? &self->profiles [task->profile] : NULL;
    if (p && p->paused && p->probing)
        return HNY_SCHED_NEVER;
    /* Concurrency counts requests; when it is full the task may still go
       as a worker's spare (never to a paused profile: its probe decides). */
    int full = p && s_full (p, task);
    /* Nor while the profile has no more ready tasks than workers: a spare
       waits for its worker's next end, up to a whole request, and near
       the end of the work a slot freed at another worker would find the
       queue empty meanwhile (measured: the last requests of a run a cycle
       late, 95 % of the ideal at 8 and 16 in flight where the refill
       through the broker keeps 97 %). */
    if (full && (p->paused || p->ready.count <= (size_t) p->workers))
        return HNY_SCHED_NEVER;
    if (!p && !task->admitted && self->slots <= 0)
        return HNY_SCHED_NEVER;
    *pick = full ? s_pick_spare (self, task) : s_pick (self, task);
    if (!*pick)
        return HNY_SCHED_NEVER;
    if (p && p->paused && p->probe_at > now)
        return p->probe_at - now;
    return p ? s_budget_wait (p, task, now) : 0;
}

static void s_requeue (hny_sched_t *self, hny_task_t *task, const char *reason,
                       const hny_sworker_t *avoid, int64_t now, int lost);

/* ------------------------------------------------------------- life cycle */

hny_sched_t *
hny_sched_new (const hny_profile_t *const *profiles, size_t count, int64_t now)
{
    hny_sched_t *self = hny_calloc (1, sizeof *self);
    self->profile_count = count;
    self->profiles = hny_calloc (count ? count : 1, sizeof *self->profiles);
    for (size_t i = 0; i < count; i++) {
        s_profile_t *p = &self->profiles [i];
        p->conf = profiles [i];
        p->req_tokens = s_rate_cap (p->conf);
        p->char_tokens = (double) p->conf->chars_per_minute;
        p->refilled = now;
        p->fallback = -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *fb = self->profiles [i].conf->fallback;
        int f = fb ? hny_sched_profile_find (self, fb) : -1;
        if (fb && (f < 0 || (size_t) f == i))
            hny_warn ("profile %s: fallback %s is %s: ignored", self->profiles [i].conf->name, fb,
                      f < 0 ? "not configured" : "itself");
        else
            self->profiles [i].fallback = f;
    }
    self->next_serial = 1;
    return self;
}

void
hny_sched_set_hooks (hny_sched_t *self, const hny_sched_hooks_t *hooks)
{
    self->hooks = *hooks;
}

static void
s_worker_free (hny_sworker_t **w_p)
{
    free ((*w_p)->held);
    free ((*w_p)->serves);
    free ((*w_p)->spare);
    free ((*w_p)->ended);
    free (*w_p);
    *w_p = NULL;
}

void
hny_sched_clear (hny_sched_t *self)
{
    for (size_t i = 0; i < self->index.cap; i++) {
        hny_task_t *task = self->index.slots [i];
        if (task && task != S_TOMB) {
            task->where = S_NOWHERE;
            if (self->hooks.release)
                self->hooks.release (task, self->hooks.arg);
        }
    }
    free (self->index.slots);
    memset (&self->index, 0, sizeof self->index);
    memset (&self->prepare, 0, sizeof self->prepare);
    self->prepare_waiting = 0;
    self->heap_count = 0;
    self->leased = NULL;
    for (size_t i = 0; i < self->profile_count; i++) {
        s_profile_t *p = &self->profiles [i];
        memset (&p->ready, 0, sizeof p->ready);
        p->waiting = 0;
        p->inflight = 0;
        p->probing = 0;
    }
    for (hny_sworker_t *w = self->workers; w; w = w->next)
        memset (w->spare, 0, (self->profile_count ? self->profile_count : 1) * sizeof *w->spare);
}

void
hny_sched_destroy (hny_sched_t **self_p)
{
    assert (self_p);
    hny_sched_t *self = *self_p;
    if (!self)
        return;
    hny_sched_clear (self);
    while (self->workers) {
        hny_sworker_t *w = self->workers;
        self->workers = w->next;
        s_worker_free (&w);
    }
    for (size_t i = 0; i < self->profile_count; i++)
        free (self->profiles [i].paused);
    free (self->profiles);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------- profiles */

size_t
hny_sched_profile_count (hny_sched_t *self)
{
    return self->profile_count;
}

int
hny_sched_profile_find (hny_sched_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->profile_count; i++)
        if (strcmp (self->profiles [i].conf->name, name) == 0)
            return (int) i;
    return -1;
}

const hny_profile_t *
hny_sched_profile_conf (hny_sched_t *self, int profile)
{
    assert (profile >= 0 && (size_t) profile < self->profile_count);
    return self->profiles [profile].conf;
}

void
hny_sched_profile_set_conf (hny_sched_t *self, int profile, const hny_profile_t *conf)
{
    s_profile_t *p = &self->profiles [profile];
    p->conf = conf;
    if (p->req_tokens > s_rate_cap (conf))
        p->req_tokens = s_rate_cap (conf);
    if (p->char_tokens > (double) conf->chars_per_minute)
        p->char_tokens = (double) conf->chars_per_minute;
}

const char *
hny_sched_profile_paused (hny_sched_t *self, int profile)
{
    /* An align job has no profile (-1): nothing of it can be paused. */
    if (profile < 0 || (size_t) profile >= self->profile_count)
        return NULL;
    return self->profiles [profile].paused;
}

int
hny_sched_profile_workers (hny_sched_t *self, int profile)
{
    return self->profiles [profile].workers;
}

size_t
hny_sched_profile_queued (hny_sched_t *self, int profile)
{
    return self->profiles [profile].ready.count + self->profiles [profile].waiting;
}

size_t
hny_sched_profile_ready (hny_sched_t *self, int profile)
{
    return self->profiles [profile].ready.count;
}

int
hny_sched_profile_inflight (hny_sched_t *self, int profile)
{
    return self->profiles [profile].inflight;
}

int
hny_sched_profile_diverts (hny_sched_t *self, int profile, int64_t now)
{
    s_profile_t *p = &self->profiles [profile];
    if (!p->paused || p->probing || p->probe_at <= now || p->fallback < 0)
        return -1;
    return self->profiles [p->fallback].paused ? -1 : p->fallback;
}

hny_task_t *
hny_sched_profile_take (hny_sched_t *self, int profile)
{
    s_profile_t *p = &self->profiles [profile];
    hny_task_t *task = p->ready.head;
    if (!task && p->waiting) {
        /* Rare (a paused profile's retries): a scan of the heap. */
        for (size_t i = 0; i < self->heap_count && !task; i++)
            if (self->heap [i]->kind == HNY_TASK_TRANSLATE && self->heap [i]->profile == profile)
                task = self->heap [i];
    }
    if (task)
        hny_sched_remove (self, task);
    return task;
}

void
hny_sched_profile_pause (hny_sched_t *self, int profile, const char *reason, const hny_task_t *task,
                         int free_probe, int64_t now)
{
    s_profile_t *p = &self->profiles [profile];
    int64_t base = p->conf->retry_base_ms > 0 ? p->conf->retry_base_ms : 1000;
    int64_t most = free_probe ? (10 * base < S_FREE_PAUSE_MAX_MS ? 10 * base : S_FREE_PAUSE_MAX_MS)
                        : (60 * base < S_PAUSE_MAX_MS ? 60 * base : S_PAUSE_MAX_MS);
    if (!p->paused) {
        hny_warn ("profile %s paused: %s", p->conf->name, reason);
        p->backoff_ms = base;
        p->probe_at = now + p->backoff_ms;
    }
    else if (task && task->probe) {
        /* Once per failed probe, never per segment or per stray task. */
        p->backoff_ms = p->backoff_ms * 2 > most ? most : p->backoff_ms * 2;
        if (p->backoff_ms < base)
            p->backoff_ms = base;
        p->probe_at = now + p->backoff_ms;
        hny_info ("profile %s: the probe failed; next probe in %lld ms", p->conf->name,
                  (long long) p->backoff_ms);
    }
    free (p->paused);
    /* STATUS shows "<profile>: why"; worker reasons may name it already. */
    size_t nl = strlen (p->conf->name);
    if (strncmp (reason, p->conf->name, nl) == 0 && reason [nl] == ':')
        p->paused = hny_strdup (reason);
    else
        p->paused = hny_sprintf ("%s: %s", p->conf->name, reason);
}

void
hny_sched_profile_resume (hny_sched_t *self, int profile)
{
    s_profile_t *p = &self->profiles [profile];
    if (!p->paused)
        return;
    hny_info ("profile %s resumed", p->conf->name);
    hny_free (&p->paused);
    p->backoff_ms = 0;
    p->probe_at = 0;
}

/* ------------------------------------------------------------- workers */

hny_sworker_t *
hny_sched_worker_add (hny_sched_t *self, int credit, const char *const *profiles, size_t count)
{
    hny_sworker_t *w = hny_calloc (1, sizeof *w);
    w->serial = self->next_serial++;
    w->credit = credit > 0 ? credit : 0;    /* 0: a draining worker takes nothing new */
    w->serves = hny_calloc (self->profile_count ? self->profile_count : 1, 1);
    w->spare = hny_calloc (self->profile_count ? self->profile_count : 1, sizeof *w->spare);
    w->ended = hny_calloc (self->profile_count ? self->profile_count : 1, sizeof *w->ended);
    for (size_t i = 0; i < count; i++) {
        int p = hny_sched_profile_find (self, profiles [i]);
        if (p >= 0 && !w->serves [p]) {
            w->serves [p] = 1;
            self->profiles [p].workers++;
        }
    }
    w->next = self->workers;
    if (self->workers)
        self->workers->prev = w;
    self->workers = w;
    self->worker_count++;
    return w;
}

void
hny_sched_worker_remove (hny_sched_t *self, hny_sworker_t **w_p, const char *why)
{
    hny_sworker_t *w = *w_p;
    if (!w)
        return;
    int64_t now = hny_clock_mono_ms ();
    for (hny_task_t *task = self->leased, *next; task; task = next) {
        next = task->next;
        if (task->worker == w)
            s_requeue (self, task, why, NULL, now, 1);
    }
    for (size_t i = 0; i < self->profile_count; i++)
        if (w->serves [i])
            self->profiles [i].workers--;
    if (w->prev)
        w->prev->next = w->next;
    else
        self->workers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    self->worker_count--;
    s_worker_free (w_p);
}

void
hny_sched_worker_set_spares (hny_sworker_t *w, int spares)
{
    w->spares = spares != 0;
}

void
hny_sched_worker_ended (hny_sched_t *self, hny_sworker_t *w, int profile)
{
    if (w && profile >= 0 && (size_t) profile < self->profile_count)
        w->ended [profile]++;
}

uint64_t
hny_sched_spares_leased (hny_sched_t *self)
{
    return self->spares_leased;
}

int
hny_sched_worker_outstanding (const hny_sworker_t *w)
{
    return (int) w->held_count;
}

size_t
hny_sched_worker_count (hny_sched_t *self)
{
    return self->worker_count;
}

/* ------------------------------------------------------------- tasks */

void
hny_sched_add (hny_sched_t *self, hny_task_t *task, int front, int64_t now)
{
    assert (task->kind != HNY_TASK_TRANSLATE
            || (task->profile >= 0 && (size_t) task->profile < self->profile_count));
    task->where = S_NOWHERE;
    task->worker = NULL;
    s_index_put (&self->index, task);
    s_place (self, task, front, now);
}

hny_task_t *
hny_sched_find (hny_sched_t *self, int64_t id)
{
    size_t i = s_index_slot (&self->index, id);
    return i == SIZE_MAX ? NULL : self->index.slots [i];
}

void
hny_sched_remove (hny_sched_t *self, hny_task_t *task)
{
    s_detach (self, task);
    s_index_del (&self->index, task->id);
    /* Tombstones cost probes: rebuild once they are most of the table. */
    if (self->index.used > 64 && self->index.live * 4 < self->index.used)
        s_index_grow (&self->index);
}

/* Put a task back after its lease ended; lost: the lease ended with its
   worker. */
static void
s_requeue (hny_sched_t *self, hny_task_t *task, const char *reason, const hny_sworker_t *avoid,
           int64_t now, int lost)
{
    if (lost && task->where == S_LEASED)
        task->losses++;
    s_detach (self, task);
    free (task->last_reason);
    task->last_reason = hny_strdup (reason ? reason : "back in the queue");
    task->avoid = avoid ? avoid->serial : 0;
    if (task->attempts - task->losses >= HNY_TASK_ATTEMPTS_MAX || task->losses >= HNY_TASK_LOSSES_MAX) {
        hny_warn ("job %lld: task %lld failed %d times (%s): giving up", (long long) task->job,
                  (long long) task->id, task->attempts, task->last_reason);
        s_index_del (&self->index, task->id);
        if (self->hooks.exhausted)
            self->hooks.exhausted (task, task->last_reason, self->hooks.arg);
        return;
    }
    hny_info ("job %lld: task %lld back in the queue: %s", (long long) task->job,
              (long long) task->id, task->last_reason);
    /* In front: it has waited longest. */
    s_place (self, task, 1, now);
}

void
hny_sched_requeue (hny_sched_t *self, hny_task_t *task, const char *reason,
                   const hny_sworker_t *avoid, int64_t now)
{
    s_requeue (self, task, reason, avoid, now, 0);
}

size_t
hny_sched_leased_count (hny_sched_t *self)
{
    size_t n = 0;
    for (hny_task_t *task = self->leased; task; task = task->next)
        n++;
    return n;
}

size_t
hny_sched_queued (hny_sched_t *self, hny_task_kind_t kind)
{
    if (kind != HNY_TASK_TRANSLATE)
        return self->prepare.count + self->prepare_waiting;
    size_t n = 0;
    for (size_t i = 0; i < self->profile_count; i++)
        n += hny_sched_profile_queued (self, (int) i);
    return n;
}

void
hny_sched_set_admission (hny_sched_t *self, int slots)
{
    self->slots = slots;
}

/* ------------------------------------------------------------- dispatch */

/* Queue number i: 0 is prepare, 1..n the profiles. */
static s_fifo_t *
s_queue (hny_sched_t *self, size_t i)
{
    return i == 0 ? &self->prepare : &self->profiles [i - 1].ready;
}

hny_task_t *
hny_sched_next (hny_sched_t *self, int64_t now, hny_sworker_t **w)
{
    *w = NULL;
    if (!self->workers)
        return NULL;
    s_wake (self, now);
    size_t queues = self->profile_count + 1;
    for (size_t k = 0; k < queues; k++) {
        size_t i = (self->turn + k) % queues;
        hny_task_t *head = s_queue (self, i)->head;
        hny_sworker_t *pick = NULL;
        if (head && s_wait (self, head, now, &pick) == 0) {
            /* The next call starts after this queue: queues take turns. */
            self->turn = (i + 1) % queues;
            *w = pick;
            return head;
        }
    }
    return NULL;
}

void
hny_sched_lease (hny_sched_t *self, hny_task_t *task, hny_sworker_t *w, int64_t now, int64_t lease_ms)
{
    assert (task->where == S_READY && w);
    /* Leased while its profile's concurrency is full: hny_sched_next chose
       w to take it as its spare. */
    int spare = task->kind == HNY_TASK_TRANSLATE && s_full (&self->profiles [task->profile], task);
    assert (!spare || s_spare_fits (self, w, task));
    s_detach (self, task);
    task->attempts++;
    task->probe = 0;
    task->spare = spare;
    task->spare_after = spare ? w->ended [task->profile] : 0;
    self->spares_leased += (uint64_t) spare;
    int admitted = task->admitted;
    s_attach_lease (self, task, w, now + lease_ms);
    if (task->kind == HNY_TASK_TRANSLATE) {
        s_profile_t *p = &self->profiles [task->profile];
        s_budget_spend (p, task);
        if (p->paused) {
            /* One probe at a time; the next may go after the backoff if
               this one is lost on the way. */
            task->probe = 1;
            p->probing = 1;
            p->probe_at = now + (p->backoff_ms > 0 ? p->backoff_ms : 1000);
            hny_info ("profile %s paused: probing with one task", p->conf->name);
        }
    }
    else if (!admitted)
        self->slots--;
    s_hold (w, task->id, task->attempts);
}

int
hny_sched_answered (hny_sched_t *self, hny_sworker_t *w, int64_t id, int attempt)
{
    (void) self;
    if (!w)
        return 0;
    for (size_t i = 0; i < w->held_count; i++)
        if (w->held [i].id == id && w->held [i].attempt == attempt) {
            w->held [i] = w->held [--w->held_count];
            return 1;
        }
    return 0;
}

int
hny_sched_adopt (hny_sched_t *self, hny_sworker_t *w, int64_t id, int attempt, int64_t now,
                 int64_t lease_ms)
{
    hny_task_t *task = hny_sched_find (self, id);
    if (!task || !w)
        return 0;
    if (task->where == S_LEASED) {
        if (task->worker != w)
            return 0;
        task->lease_deadline = now + lease_ms;
        return 1;
    }
    s_detach (self, task);
    if (task->attempts < attempt)
        task->attempts = attempt;
    s_attach_lease (self, task, w, now + lease_ms);
    /* Outstanding at w under the attempt it works on, so that its RESULT
       returns the credit it takes now. */
    s_hold (w, id, attempt);
    return 1;
}

void
hny_sched_expire (hny_sched_t *self, int64_t now)
{
    for (hny_task_t *task = self->leased, *next; task; task = next) {
        next = task->next;
        if (now >= task->lease_deadline)
            hny_sched_requeue (self, task, "lease expired", NULL, now);
    }
}

void
hny_sched_restore_leases (hny_sched_t *self, int64_t now, int64_t lease_ms)
{
    for (hny_sworker_t *w = self->workers; w; w = w->next)
        for (size_t i = 0; i < w->held_count; i++) {
            hny_task_t *task = hny_sched_find (self, w->held [i].id);
            if (!task || task->where == S_LEASED)
                continue;
            s_detach (self, task);
            if (task->attempts < w->held [i].attempt)
                task->attempts = w->held [i].attempt;
            s_attach_lease (self, task, w, now + lease_ms);
        }
}

int64_t
hny_sched_deadline (hny_sched_t *self, int64_t now)
{
    int64_t next = HNY_SCHED_NEVER;
    if (self->heap_count)
        next = self->heap [0]->not_before;
    for (hny_task_t *task = self->leased; task; task = task->next)
        if (task->lease_deadline < next)
            next = task->lease_deadline;
    if (!self->workers)
        return next;
    for (size_t i = 0; i < self->profile_count + 1; i++) {
        hny_task_t *head = s_queue (self, i)->head;
        hny_sworker_t *pick = NULL;
        int64_t wait = head ? s_wait (self, head, now, &pick) : HNY_SCHED_NEVER;
        if (wait != HNY_SCHED_NEVER && now + wait < next)
            next = now + wait;
    }
    return next;
}

/* ------------------------------------------------------------- wire ids */

void
hny_task_wire_id (const hny_task_t *task, char *buf, size_t size)
{
    snprintf (buf, size, "T%lld.%d", (long long) task->id, task->attempts);
}

int
hny_task_wire_parse (const char *text, int64_t *id, int *attempt)
{
    long long n = 0;
    int a = 0, used = 0;
    if (!text || sscanf (text, "T%lld.%d%n", &n, &a, &used) != 2 || text [used] || n < 0 || a < 0)
        return -1;
    *id = n;
    *attempt = a;
    return 0;
}

/*  test_sched.c: unit test of honyakud's scheduler (daemon/hny_sched.c),
    with no sockets and no store, on a clock of the test's own.

    Each case states a promise of PROTOCOL.md sections 8, 9 and 13: credit
    (and no credit back for a TASK a worker did not hold), concurrency, the
    rate and chars_per_minute buckets, a paused profile's single probe and
    its backoff doubling once per failed probe, 5xx going to another
    worker, lease expiry and renewal, the attempts cap, admission of
    prepare tasks, waiting tasks, and the loop's deadline: never "now" for
    a task no worker can take (the 100 % CPU spin), the exact refill time
    for a task that waits on its budget. */
#include "hny_sched.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_exhausted = 0;
static int64_t s_exhausted_id = 0;

static void
s_on_exhausted (hny_task_t *task, const char *reason, void *arg)
{
    (void) reason;
    (void) arg;
    s_exhausted++;
    s_exhausted_id = task->id;
    free (task->last_reason);
    free (task);
}

static void
s_on_release (hny_task_t *task, void *arg)
{
    (void) arg;
    free (task->last_reason);
    free (task);
}

static hny_profile_t
s_profile (const char *name, int concurrency, double rate, int64_t cpm)
{
    hny_profile_t p;
    memset (&p, 0, sizeof p);
    p.name = (char *) name;
    p.type = (char *) "pseudo";
    p.concurrency = concurrency;
    p.rate = rate;
    p.chars_per_minute = cpm;
    p.max_texts = 10;
    p.retry_base_ms = 100;
    return p;
}

static int64_t s_next_id = 1;

static hny_task_t *
s_translate (hny_sched_t *s, int profile, int64_t chars, int64_t not_before, int64_t now)
{
    hny_task_t *t = hny_calloc (1, sizeof *t);
    t->id = s_next_id++;
    t->kind = HNY_TASK_TRANSLATE;
    t->profile = profile;
    t->requests = 1;
    t->chars = chars;
    t->not_before = not_before;
    hny_sched_add (s, t, 0, now);
    return t;
}

static hny_task_t *
s_prepare (hny_sched_t *s, int64_t now)
{
    hny_task_t *t = hny_calloc (1, sizeof *t);
    t->id = s_next_id++;
    t->kind = HNY_TASK_PREPARE;
    t->profile = -1;
    hny_sched_add (s, t, 0, now);
    return t;
}

static hny_sched_t *
s_new (hny_profile_t *profiles, size_t count, int64_t now)
{
    const hny_profile_t *ptrs [8];
    for (size_t i = 0; i < count; i++)
        ptrs [i] = &profiles [i];
    hny_sched_t *s = hny_sched_new (ptrs, count, now);
    hny_sched_hooks_t hooks = { s_on_exhausted, s_on_release, NULL };
    hny_sched_set_hooks (s, &hooks);
    return s;
}

/* Lease whatever may go now; returns how many. */
static int
s_dispatch (hny_sched_t *s, int64_t now, hny_task_t **got, int max)
{
    int n = 0;
    hny_sworker_t *w;
    hny_task_t *t;
    while (n < max && (t = hny_sched_next (s, now, &w))) {
        hny_sched_lease (s, t, w, now, 1000);
        got [n++] = t;
    }
    return n;
}

/* Credit bounds the TASKs outstanding; a RESULT returns credit only for a
   TASK the worker holds; the worker with the most free credit goes first. */
static void
s_test_credit (void)
{
    hny_profile_t p [] = { s_profile ("a", 100, 0, 0) };
    int64_t now = 1000;
    hny_sched_t *s = s_new (p, 1, now);
    const char *serves [] = { "a" };
    hny_task_t *got [16];
    for (int i = 0; i < 5; i++)
        s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 16) == 0);          /* no worker yet */
    CHECK (hny_sched_deadline (s, now) == HNY_SCHED_NEVER);
    hny_sworker_t *w1 = hny_sched_worker_add (s, 2, serves, 1);
    hny_sworker_t *w2 = hny_sched_worker_add (s, 1, serves, 1);
    CHECK (s_dispatch (s, now, got, 16) == 3);          /* 2 + 1 */
    CHECK (got [0]->worker == w1);                      /* most free credit first */
    CHECK (hny_sched_worker_outstanding (w1) == 2 && hny_sched_worker_outstanding (w2) == 1);
    CHECK (hny_sched_deadline (s, now) == now + 1000);  /* the leases, nothing else */
    /* A RESULT for a TASK it never held: no credit back. */
    CHECK (hny_sched_answered (s, w2, 999, 1) == 0);
    CHECK (hny_sched_answered (s, w2, got [0]->id, 1) == 0);    /* w1's task */
    CHECK (s_dispatch (s, now, got + 3, 16) == 0);
    /* Its own: one credit back, one more task. */
    hny_task_t *done = got [2]->worker == w2 ? got [2] : got [1];
    CHECK (hny_sched_answered (s, w2, done->id, done->attempts) == 1);
    CHECK (hny_sched_answered (s, w2, done->id, done->attempts) == 0);  /* only once */
    hny_sched_remove (s, done);
    s_on_release (done, NULL);
    CHECK (s_dispatch (s, now, got + 3, 16) == 1);
    hny_sched_destroy (&s);
}

/* Concurrency across workers, and the rate bucket's exact wait. */
static void
s_test_budgets (void)
{
    hny_profile_t p [] = { s_profile ("a", 2, 0, 0), s_profile ("r", 10, 2, 0), s_profile ("c", 10, 0, 600) };
    int64_t now = 5000;
    hny_sched_t *s = s_new (p, 3, now);
    const char *serves [] = { "a", "r", "c" };
    hny_sched_worker_add (s, 50, serves, 3);
    hny_sched_worker_add (s, 50, serves, 3);
    hny_task_t *got [64];
    for (int i = 0; i < 5; i++)
        s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 64) == 2);          /* concurrency 2 over two workers */
    CHECK (hny_sched_profile_inflight (s, 0) == 2);
    CHECK (hny_sched_deadline (s, now) == now + 1000);  /* blocked by an event, not by time */
    hny_sched_destroy (&s);
    /* Concurrency counts requests: tasks of 3 requests under a limit of
       8 go two at a time; one of 12, larger than the limit, goes only
       alone. */
    hny_profile_t q [] = { s_profile ("q", 8, 0, 0) };
    s = s_new (q, 1, now);
    const char *qs [] = { "q" };
    hny_sched_worker_add (s, 50, qs, 1);
    for (int i = 0; i < 3; i++)
        s_translate (s, 0, 10, 0, now)->requests = 3;
    s_translate (s, 0, 10, 0, now)->requests = 12;
    hny_task_t *a [4];
    CHECK (s_dispatch (s, now, a, 4) == 2);
    CHECK (hny_sched_profile_inflight (s, 0) == 6);
    hny_sched_remove (s, a [0]);
    s_on_release (a [0], NULL);
    CHECK (hny_sched_profile_inflight (s, 0) == 3);
    CHECK (s_dispatch (s, now, a + 2, 2) == 1);         /* the third; the big one waits */
    CHECK (hny_sched_profile_inflight (s, 0) == 6);
    for (int i = 1; i <= 2; i++) {
        hny_sched_remove (s, a [i]);
        s_on_release (a [i], NULL);
    }
    CHECK (s_dispatch (s, now, a + 3, 1) == 1);         /* alone */
    CHECK (hny_sched_profile_inflight (s, 0) == 12);
    hny_sched_destroy (&s);
    s = s_new (p, 3, now);
    hny_sched_worker_add (s, 50, serves, 3);
    hny_sched_worker_add (s, 50, serves, 3);
    /* rate 2/s: a bucket of 2, then one every 500 ms. */
    for (int i = 0; i < 4; i++)
        s_translate (s, 1, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 64) == 2);
    int64_t next = hny_sched_deadline (s, now);
    CHECK (next > now && next <= now + 501);
    CHECK (s_dispatch (s, now + 400, got, 64) == 0);
    CHECK (s_dispatch (s, now + 501, got, 64) == 1);
    hny_sched_destroy (&s);
    /* chars_per_minute 600: 10 a second; a task of 300 takes half the
       bucket, and the third waits 30 s for it to refill. */
    s = s_new (p + 2, 1, now);
    const char *c [] = { "c" };
    hny_sched_worker_add (s, 50, c, 1);
    s_translate (s, 0, 300, 0, now);
    s_translate (s, 0, 300, 0, now);
    s_translate (s, 0, 300, 0, now);
    CHECK (s_dispatch (s, now, got, 64) == 2);
    for (int i = 0; i < 2; i++) {         /* their results came */
        hny_sched_remove (s, got [i]);
        s_on_release (got [i], NULL);
    }
    next = hny_sched_deadline (s, now);
    CHECK (next >= now + 30000 && next <= now + 30002);
    CHECK (s_dispatch (s, now + 29000, got, 64) == 0);
    CHECK (s_dispatch (s, next, got, 64) == 1);
    hny_sched_destroy (&s);
}

/* A paused profile sends one probe at a time; the wait doubles once per
   failed probe, not once per segment or per task that was out already. */
static void
s_test_pause (void)
{
    hny_profile_t p [] = { s_profile ("d", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 1, now);
    const char *serves [] = { "d" };
    hny_sworker_t *w = hny_sched_worker_add (s, 50, serves, 1);
    hny_task_t *got [64];
    for (int i = 0; i < 6; i++)
        s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 2) == 2);
    /* Both come back "quota exceeded". */
    for (int i = 0; i < 2; i++) {
        hny_sched_answered (s, w, got [i]->id, got [i]->attempts);
        hny_sched_remove (s, got [i]);
        hny_sched_profile_pause (s, 0, "quota exceeded", got [i], 0, now);
        s_on_release (got [i], NULL);
    }
    CHECK (strcmp (hny_sched_profile_paused (s, 0), "d: quota exceeded") == 0);
    CHECK (s_dispatch (s, now, got, 64) == 0);
    CHECK (hny_sched_deadline (s, now) == now + 100);   /* retry_base_ms */
    now += 100;
    CHECK (s_dispatch (s, now, got, 64) == 1);          /* one probe */
    CHECK (got [0]->probe);
    CHECK (s_dispatch (s, now + 5000, got + 1, 64) == 0);   /* while it is out */
    /* The probe fails: 200 ms; again: 400 ms. */
    for (int round = 1; round <= 2; round++) {
        hny_task_t *probe = got [0];
        hny_sched_answered (s, w, probe->id, probe->attempts);
        hny_sched_remove (s, probe);
        hny_sched_profile_pause (s, 0, "quota exceeded", probe, 0, now);
        s_on_release (probe, NULL);
        CHECK (hny_sched_deadline (s, now) == now + 100 * (1 << round));
        now += 100 * (1 << round);
        CHECK (s_dispatch (s, now, got, 64) == 1);
    }
    /* The probe succeeds: all may go. */
    hny_sched_remove (s, got [0]);
    s_on_release (got [0], NULL);
    hny_sched_profile_resume (s, 0);
    CHECK (hny_sched_profile_paused (s, 0) == NULL);
    CHECK (s_dispatch (s, now, got, 64) == 1);      /* 6 - 2 refused - 3 probes */
    hny_sched_destroy (&s);

    /* Free probes (nothing sent): the wait stops growing at 10 x base. */
    s = s_new (p, 1, 0);
    w = hny_sched_worker_add (s, 50, serves, 1);
    now = 0;
    hny_task_t *t = s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 1) == 1);
    int64_t last = 0;
    for (int round = 0; round < 8; round++) {
        hny_sched_answered (s, w, t->id, t->attempts);
        hny_sched_remove (s, t);
        hny_sched_profile_pause (s, 0, "quota exceeded", t, 1, now);
        hny_sched_add (s, t, 1, now);
        last = hny_sched_deadline (s, now) - now;
        now += last;
        CHECK (s_dispatch (s, now, got, 1) == 1 && got [0] == t);
    }
    CHECK (last == 1000);        /* 10 x retry_base_ms, not 60 x */
    hny_sched_destroy (&s);
}

/* 5xx: the task goes to another worker; to the same only if no other
   serves it. Lease expiry and renewal. The attempts cap. */
static void
s_test_leases (void)
{
    hny_profile_t p [] = { s_profile ("a", 10, 0, 0), s_profile ("b", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 2, now);
    const char *ab [] = { "a", "b" };
    const char *a [] = { "a" };
    hny_sworker_t *w1 = hny_sched_worker_add (s, 1, ab, 2);
    hny_task_t *got [8];
    hny_task_t *t = s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 8) == 1 && t->worker == w1);
    hny_sworker_t *w2 = hny_sched_worker_add (s, 5, a, 1);
    /* w1 answers 5xx: w2 gets it although w1 has more... the same credit. */
    hny_sched_answered (s, w1, t->id, t->attempts);
    hny_sched_requeue (s, t, "500 backend down", w1, now);
    CHECK (s_dispatch (s, now, got, 8) == 1 && t->worker == w2 && t->attempts == 2);
    /* A "b" task answered 5xx by w1, the only worker serving b: w1 again. */
    hny_task_t *b = s_translate (s, 1, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 8) == 1 && b->worker == w1);
    hny_sched_answered (s, w1, b->id, b->attempts);
    hny_sched_requeue (s, b, "503", w1, now);
    CHECK (s_dispatch (s, now, got, 8) == 1 && b->worker == w1);
    /* Renewal keeps the lease; expiry puts the task back, in front, and
       the TASK stays outstanding at its worker (its credit is still used). */
    CHECK (hny_sched_adopt (s, w2, t->id, t->attempts, now + 900, 1000) == 1);
    CHECK (hny_sched_adopt (s, w1, t->id, t->attempts, now + 900, 1000) == 0);   /* not w1's */
    CHECK (hny_sched_worker_outstanding (w2) == 1);                              /* renewed, not held twice */
    hny_sched_expire (s, now + 1000);
    CHECK (t->worker == w2);                            /* renewed: still leased */
    hny_sched_expire (s, now + 1900);
    CHECK (t->worker == NULL && strcmp (t->last_reason, "lease expired") == 0);
    CHECK (hny_sched_worker_outstanding (w2) == 1);
    CHECK (hny_sched_find (s, t->id) == t);
    /* Leases 3 to 6 run out too: the sixth is the last. */
    int64_t at = now + 1900, id = t->id;
    for (int i = 0; i < 4; i++) {
        CHECK (s_exhausted == 0 && t->attempts == 2 + i);
        CHECK (s_dispatch (s, at, got, 8) >= 1);
        at += 1000;
        hny_sched_expire (s, at);
    }
    CHECK (s_exhausted == 1 && s_exhausted_id == id);
    CHECK (hny_sched_find (s, id) == NULL);
    /* Workers killed under a task, again and again: that is not the
       task's failure (HNY_TASK_LOSSES_MAX deaths are). */
    hny_task_t *innocent = s_translate (s, 0, 10, 0, at);
    const char *ab2 [] = { "a", "b" };
    for (int i = 0; i < HNY_TASK_LOSSES_MAX - 1; i++) {
        hny_sworker_t *doomed = hny_sched_worker_add (s, 1, ab2, 2);
        hny_sched_lease (s, innocent, doomed, at, 1000);
        hny_sched_worker_remove (s, &doomed, "worker killed");
        CHECK (hny_sched_find (s, innocent->id) == innocent && innocent->worker == NULL);
    }
    CHECK (s_exhausted == 1 && innocent->attempts == HNY_TASK_LOSSES_MAX - 1);
    hny_sworker_t *last = hny_sched_worker_add (s, 1, ab2, 2);
    hny_sched_lease (s, innocent, last, at, 1000);
    hny_sched_worker_remove (s, &last, "worker killed");
    CHECK (s_exhausted == 2);
    /* A worker that goes: its leased tasks go back to the queue. */
    hny_sched_worker_remove (s, &w1, "worker w1 gone");
    CHECK (w1 == NULL && hny_sched_profile_queued (s, 1) == 1 && b->worker == NULL);
    CHECK (hny_sched_profile_workers (s, 1) == 0);
    hny_sched_destroy (&s);
}

/* No worker serves a queued task's profile: the deadline is never "now"
   (the loop sleeps instead of spinning), and it goes once one registers. */
static void
s_test_unserved (void)
{
    hny_profile_t p [] = { s_profile ("a", 10, 0, 0), s_profile ("x", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 2, now);
    const char *a [] = { "a" };
    const char *x [] = { "x" };
    hny_sched_worker_add (s, 10, a, 1);
    s_translate (s, 1, 10, 0, now);
    hny_task_t *got [4];
    CHECK (s_dispatch (s, now, got, 4) == 0);
    CHECK (hny_sched_deadline (s, now) == HNY_SCHED_NEVER);
    CHECK (hny_sched_profile_workers (s, 1) == 0 && hny_sched_profile_queued (s, 1) == 1);
    hny_sched_worker_add (s, 10, x, 1);
    CHECK (s_dispatch (s, now, got, 4) == 1);
    hny_sched_destroy (&s);
}

/* Prepare tasks take admission slots; a task waits its not_before. */
static void
s_test_admission_and_waiting (void)
{
    hny_profile_t p [] = { s_profile ("a", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 1, now);
    const char *a [] = { "a" };
    hny_sched_worker_add (s, 100, a, 1);
    for (int i = 0; i < 5; i++)
        s_prepare (s, now);
    hny_sched_set_admission (s, 2);
    hny_task_t *got [16];
    CHECK (s_dispatch (s, now, got, 16) == 2);
    CHECK (hny_sched_queued (s, HNY_TASK_PREPARE) == 3);
    CHECK (hny_sched_deadline (s, now) == now + 1000);  /* only the leases */
    /* An admitted task that comes back needs no new slot. */
    hny_sched_requeue (s, got [0], "lease expired", NULL, now);
    CHECK (s_dispatch (s, now, got + 2, 16) == 1 && got [2] == got [0]);
    /* A task in backoff: not before its time, and its time is the deadline. */
    hny_task_t *t = s_translate (s, 0, 10, now + 300, now);
    CHECK (s_dispatch (s, now, got, 16) == 0);
    CHECK (hny_sched_deadline (s, now) == now + 300);
    CHECK (s_dispatch (s, now + 300, got, 16) == 1 && got [0] == t);
    hny_sched_destroy (&s);
}

/* An align job's later tasks hold its slot already: with every slot
   taken they go, in front of the prepares that wait for a slot, also
   after a wait in the heap; and they count with the prepare queue. */
static void
s_test_admitted_in_front (void)
{
    hny_profile_t p [] = { s_profile ("a", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 1, now);
    const char *a [] = { "a" };
    hny_sched_worker_add (s, 100, a, 1);
    s_prepare (s, now);
    s_prepare (s, now);
    hny_sched_set_admission (s, 0);
    hny_task_t *align = hny_calloc (1, sizeof *align);
    align->id = s_next_id++;
    align->kind = HNY_TASK_ALIGN;
    align->profile = -1;
    align->admitted = 1;
    hny_sched_add (s, align, 1, now);
    CHECK (hny_sched_queued (s, HNY_TASK_PREPARE) == 3 && hny_sched_queued (s, HNY_TASK_ALIGN) == 3);
    hny_task_t *got [4];
    CHECK (s_dispatch (s, now, got, 4) == 1 && got [0] == align);
    /* parked (a restart's grace), then woken: still before the others */
    hny_task_t *later = hny_calloc (1, sizeof *later);
    later->id = s_next_id++;
    later->kind = HNY_TASK_PREPARE;
    later->profile = -1;
    later->admitted = 1;
    later->not_before = now + 100;
    hny_sched_add (s, later, 0, now);
    CHECK (s_dispatch (s, now, got, 4) == 0);
    CHECK (s_dispatch (s, now + 100, got, 4) == 1 && got [0] == later);
    hny_sched_destroy (&s);
}

/* After the tasks are loaded again, what workers hold is leased to them
   again (a store reload must not send it twice). */
static void
s_test_restore (void)
{
    hny_profile_t p [] = { s_profile ("a", 10, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 1, now);
    const char *a [] = { "a" };
    hny_sworker_t *w = hny_sched_worker_add (s, 10, a, 1);
    hny_task_t *t = s_translate (s, 0, 10, 0, now);
    hny_task_t *got [4];
    CHECK (s_dispatch (s, now, got, 4) == 1);
    int64_t id = t->id;
    hny_sched_clear (s);
    CHECK (hny_sched_find (s, id) == NULL && hny_sched_worker_outstanding (w) == 1);
    /* The same task, loaded again from the store. */
    hny_task_t *again = hny_calloc (1, sizeof *again);
    again->id = id;
    again->kind = HNY_TASK_TRANSLATE;
    again->profile = 0;
    again->requests = 1;
    hny_sched_add (s, again, 0, now);
    hny_sched_restore_leases (s, now, 1000);
    CHECK (again->worker == w && again->attempts == 1);
    CHECK (s_dispatch (s, now, got, 4) == 0);
    CHECK (hny_sched_answered (s, w, id, 1) == 1);
    hny_sched_destroy (&s);
}

/* Queues take turns: a flood of one profile does not starve another or
   the prepare queue. */
static void
s_test_turns (void)
{
    hny_profile_t p [] = { s_profile ("a", 1000, 0, 0), s_profile ("b", 1000, 0, 0) };
    int64_t now = 0;
    hny_sched_t *s = s_new (p, 2, now);
    const char *ab [] = { "a", "b" };
    hny_sched_worker_add (s, 6, ab, 2);
    hny_sched_set_admission (s, 100);
    for (int i = 0; i < 100; i++)
        s_translate (s, 0, 1, 0, now);
    s_translate (s, 1, 1, 0, now);
    s_prepare (s, now);
    hny_task_t *got [8];
    CHECK (s_dispatch (s, now, got, 6) == 6);
    int kinds [3] = { 0, 0, 0 };
    for (int i = 0; i < 6; i++)
        kinds [got [i]->kind == HNY_TASK_PREPARE ? 2 : got [i]->profile]++;
    CHECK (kinds [1] == 1 && kinds [2] == 1 && kinds [0] == 4);
    hny_sched_destroy (&s);
}

static void
s_test_wire_ids (void)
{
    hny_task_t t = { .id = 42, .attempts = 3 };
    char buf [48];
    hny_task_wire_id (&t, buf, sizeof buf);
    CHECK (strcmp (buf, "T42.3") == 0);
    int64_t id;
    int attempt;
    CHECK (hny_task_wire_parse ("T42.3", &id, &attempt) == 0 && id == 42 && attempt == 3);
    CHECK (hny_task_wire_parse ("T42.3x", &id, &attempt) == -1);
    CHECK (hny_task_wire_parse ("42.3", &id, &attempt) == -1);
    CHECK (hny_task_wire_parse ("T-1.3", &id, &attempt) == -1);
    CHECK (hny_task_wire_parse (NULL, &id, &attempt) == -1);
}

/* A task done: its RESULT (which names its profile) answered, and it is
   out of the scheduler. */
static void
s_done (hny_sched_t *s, hny_sworker_t *w, hny_task_t *t)
{
    hny_sched_worker_ended (s, w, t->profile);
    CHECK (hny_sched_answered (s, w, t->id, t->attempts) == 1);
    hny_sched_remove (s, t);
    s_on_release (t, NULL);
}

/* Spare tasks (PROTOCOL.md 13): while the concurrency is full, one more
   task per worker that parks spares, not counted until one of that
   worker's tasks of the profile ends; never to a worker that does not
   park them, never two at once, never one larger than a task it would
   follow, never for a paused profile. */
static void
s_test_spares (void)
{
    hny_profile_t p [] = { s_profile ("a", 2, 0, 0) };
    int64_t now = 1000;
    hny_sched_t *s = s_new (p, 1, now);
    const char *serves [] = { "a" };
    hny_sworker_t *plain = hny_sched_worker_add (s, 10, serves, 1);
    hny_task_t *got [16], *more [16];
    for (int i = 0; i < 8; i++)
        s_translate (s, 0, 10, 0, now);
    /* A worker that does not park spares: the concurrency alone. */
    CHECK (s_dispatch (s, now, got, 16) == 2);
    CHECK (!got [0]->spare && !got [1]->spare && hny_sched_spares_leased (s) == 0);
    /* One that does, but holds no task of the profile yet: nothing. */
    hny_sworker_t *w = hny_sched_worker_add (s, 10, serves, 1);
    hny_sched_worker_set_spares (w, 1);
    CHECK (s_dispatch (s, now, more, 16) == 0);
    CHECK (hny_sched_deadline (s, now) == now + 1000);  /* blocked by an event */
    /* plain's first task ends: its slot goes to w (most credit), and w,
       which now holds a task of the profile, takes a spare. */
    s_done (s, plain, got [0]);
    CHECK (s_dispatch (s, now, more, 16) == 2);
    hny_task_t *regular = more [0], *spare = more [1];
    CHECK (regular->worker == w && !regular->spare);
    CHECK (spare->worker == w && spare->spare && spare->spare_after == 0);
    CHECK (hny_sched_profile_inflight (s, 0) == 2 && hny_sched_spares_leased (s) == 1);
    CHECK (hny_sched_worker_outstanding (w) == 2);      /* it takes credit */
    CHECK (s_dispatch (s, now, more, 16) == 0);         /* one spare at a time */
    /* w's task ends: the spare is counted from now on, and another may go
       after that end (its `after` is 1: w's RESULTs the broker has). */
    s_done (s, w, regular);
    CHECK (!spare->spare && hny_sched_profile_inflight (s, 0) == 2);
    CHECK (s_dispatch (s, now, more, 16) == 1);
    hny_task_t *spare2 = more [0];
    CHECK (spare2->worker == w && spare2->spare && spare2->spare_after == 1);
    /* A spare that goes back before it ran (its lease expired, its worker
       answered 5xx) was never counted. */
    CHECK (hny_sched_answered (s, w, spare2->id, spare2->attempts) == 1);
    hny_sched_requeue (s, spare2, "503 worker stopping", NULL, now);
    CHECK (!spare2->spare && hny_sched_profile_inflight (s, 0) == 2);
    CHECK (s_dispatch (s, now, more, 16) == 1 && more [0] == spare2 && spare2->spare);
    /* The worker goes: its tasks go back, the spare among them; nothing
       stays counted of w's. */
    hny_sched_worker_remove (s, &w, "worker killed");
    CHECK (hny_sched_profile_inflight (s, 0) == 1);     /* plain's second task */
    CHECK (!spare2->spare && spare2->worker == NULL);
    hny_sched_destroy (&s);

    /* Never a spare larger than a task it may follow, nor a task smaller
       than the spare it may be followed by. */
    hny_profile_t q [] = { s_profile ("q", 4, 0, 0) };
    s = s_new (q, 1, now);
    const char *qs [] = { "q" };
    w = hny_sched_worker_add (s, 10, qs, 1);
    hny_sched_worker_set_spares (w, 1);
    s_translate (s, 0, 10, 0, now)->requests = 3;
    s_translate (s, 0, 10, 0, now)->requests = 1;
    s_translate (s, 0, 10, 0, now)->requests = 2;
    hny_task_t *small = s_translate (s, 0, 10, 0, now);
    small->requests = 1;
    CHECK (s_dispatch (s, now, got, 16) == 2);          /* 3 + 1 fill the 4 */
    CHECK (!got [0]->spare && !got [1]->spare);
    CHECK (s_dispatch (s, now, more, 16) == 0);         /* 2 > the 1 it might follow */
    s_done (s, w, got [1]);                             /* the task of 1 ends */
    /* 3 + 2 > 4: the task of 2 goes as a spare behind the task of 3; the
       next task, of 1, would fit the concurrency, but not behind a spare
       of 2 at the only worker. */
    CHECK (s_dispatch (s, now, more, 16) == 1 && more [0]->spare && more [0]->requests == 2);
    CHECK (small->worker == NULL);
    s_done (s, w, got [0]);                             /* the task of 3 ends */
    CHECK (!more [0]->spare && hny_sched_profile_inflight (s, 0) == 2);
    CHECK (s_dispatch (s, now, more + 1, 15) == 1 && more [1] == small && !small->spare);
    hny_sched_destroy (&s);

    /* No spare while the queue holds no more tasks than there are workers:
       near the end another worker's free slot must find one. */
    hny_profile_t e [] = { s_profile ("e", 1, 0, 0) };
    s = s_new (e, 1, now);
    const char *es [] = { "e" };
    w = hny_sched_worker_add (s, 10, es, 1);
    hny_sched_worker_set_spares (w, 1);
    s_translate (s, 0, 10, 0, now);
    s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 16) == 1 && !got [0]->spare);   /* 1 ready, 1 worker */
    s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got + 1, 15) == 1 && got [1]->spare); /* 2 ready */
    hny_sched_destroy (&s);

    /* A paused profile gets no spare: its probe decides. */
    hny_profile_t d [] = { s_profile ("d", 1, 0, 0) };
    s = s_new (d, 1, now);
    const char *ds [] = { "d" };
    w = hny_sched_worker_add (s, 10, ds, 1);
    hny_sched_worker_set_spares (w, 1);
    for (int i = 0; i < 3; i++)
        s_translate (s, 0, 10, 0, now);
    CHECK (s_dispatch (s, now, got, 16) == 2 && got [1]->spare);
    hny_sched_profile_pause (s, 0, "quota exceeded", got [0], 0, now);
    hny_sched_worker_ended (s, w, 0);
    CHECK (hny_sched_answered (s, w, got [0]->id, got [0]->attempts) == 1);
    hny_sched_requeue (s, got [0], "456 quota exceeded", NULL, now);
    CHECK (!got [1]->spare && hny_sched_profile_inflight (s, 0) == 1);  /* counted now */
    CHECK (s_dispatch (s, now + 60000, more, 16) == 0);
    hny_sched_destroy (&s);
}

int
main (void)
{
    hny_log_init ("test_sched", HNY_LOG_ERROR);
    s_test_credit ();
    s_test_budgets ();
    s_test_pause ();
    s_test_leases ();
    s_test_unserved ();
    s_test_admission_and_waiting ();
    s_test_admitted_in_front ();
    s_test_restore ();
    s_test_turns ();
    s_test_wire_ids ();
    s_test_spares ();
    return s_check_done ("test_sched");
}

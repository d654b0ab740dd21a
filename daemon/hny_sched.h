/*  hny_sched.h: honyakud's scheduler: which task goes to which worker, and
    when. No sockets and no store: the broker feeds it events (a worker
    registered, a RESULT came, time passed) and asks it what to send; its
    unit test (tests/test_sched.c) drives it with a clock of its own.

    It owns
    - the queues: one FIFO of prepare tasks (and align tasks, which go
      to any worker the same way), one FIFO per profile of translate tasks, and a heap of tasks that must wait until their
      not_before (retry backoff);
    - leases: tasks sent to a worker, their deadlines, renewal, expiry
      (PROTOCOL.md section 9);
    - workers: their credit, the TASKs outstanding at each (by task id and
      attempt, so that this survives the tasks themselves), the profiles
      each serves;
    - each profile's budgets (concurrency, rate and chars_per_minute
      buckets) and pause (reason, one probe at a time, backoff doubling per
      failed probe) (section 13);
    - admission of prepare tasks (max_jobs_in_flight, section 8).

    One predicate decides, for the task at the head of a queue, whether it
    may be leased now, in how many ms it may, or not until an event (a
    RESULT returns credit or a slot, a READY brings a worker). Dispatch
    (hny_sched_next) and the loop's timeout (hny_sched_deadline) both use
    it, so the loop can never spin on a task it will not send, nor sleep
    past one it could. Every operation is O(1) or O(log n) in the queued
    tasks, plus O(workers) to choose a worker and O(leased) for deadlines
    (leased tasks are bounded by the workers' credit). */
#ifndef HNY_SCHED_H
#define HNY_SCHED_H

#include "hny_state.h"

#include <honyaku/config.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_SCHED_NEVER         INT64_MAX   /* no deadline: wait for an event */
#define HNY_TASK_ATTEMPTS_MAX   6           /* leases ended by the task's own failure: then it fails */
#define HNY_TASK_LOSSES_MAX     16          /* leases ended by the worker's death: then it fails */

typedef struct _hny_sched_t hny_sched_t;
typedef struct _hny_sworker_t hny_sworker_t;

/* A task. The creator (the pipeline) fills the first group of fields and
   hands it to hny_sched_add; from then the scheduler owns it until
   hny_sched_remove gives it back or the exhausted hook takes it. The
   second group is the scheduler's: read it, never write it. */
typedef struct _hny_task_t hny_task_t;
struct _hny_task_t {
    int64_t id;                 /* the store's task id; unique */
    hny_task_kind_t kind;
    int64_t job;                /* prepare: its job; translate: the first job it serves (logs) */
    int profile;                /* translate: profile index; prepare, align: -1 */
    int requests;               /* translate: requests it makes (its share of the profile's
                                   concurrency and rate bucket), >= 1 */
    int64_t chars;              /* translate: code points of its sources (chars_per_minute) */
    int64_t not_before;         /* monotonic ms: never leased before this */
    int admitted;               /* prepare, align: its job holds a max_jobs_in_flight slot
                                   already (an align job's later tasks always do) */
    void *data;                 /* the creator's: what the task carries */

    int attempts;               /* times leased (carried over a restart by the store) */
    int losses;                 /* leases that ended with their worker (killed, gone) */
    int probe;                  /* it was (or is) the probe of its paused profile */
    int spare;                  /* translate: leased as its worker's spare (see
                                   hny_sched_worker_set_spares): not counted in its
                                   profile's concurrency until the worker's next
                                   task of the profile ends */
    uint64_t spare_after;       /* a spare: the worker's RESULTs of the profile the
                                   broker had when it was leased (TASK `after`) */
    int64_t lease_deadline;     /* monotonic ms, while leased */
    char *last_reason;          /* why it last went back to the queue, or NULL */
    /* links, private */
    int where;
    hny_task_t *prev, *next;
    size_t heap_index;
    hny_sworker_t *worker;
    uint64_t avoid;             /* serial of a worker that answered it 5xx; 0 none */
};

/* Callbacks into the task's creator. exhausted: a task failed too often
   (see hny_sched_requeue); it is out of the scheduler and the callee owns
   it (it fails what the task carries, with reason).
   release: hny_sched_destroy frees a task it still holds. */
typedef struct {
    void (*exhausted) (hny_task_t *task, const char *reason, void *arg);
    void (*release) (hny_task_t *task, void *arg);
    void *arg;
} hny_sched_hooks_t;

/* A scheduler for these profiles (borrowed: they must outlive it, or be
   replaced with hny_sched_profile_set_conf). now: the monotonic clock, to
   start the budgets full. Caller owns the result. */
hny_sched_t *hny_sched_new (const hny_profile_t *const *profiles, size_t count, int64_t now);
/* Frees every task still held through the release hook. */
void hny_sched_destroy (hny_sched_t **self_p);
void hny_sched_set_hooks (hny_sched_t *self, const hny_sched_hooks_t *hooks);

/* ------------------------------------------------------------ profiles */

size_t hny_sched_profile_count (hny_sched_t *self);
/* Index of the profile called name, or -1. */
int hny_sched_profile_find (hny_sched_t *self, const char *name);
const hny_profile_t *hny_sched_profile_conf (hny_sched_t *self, int profile);
/* SIGHUP: new limits for a profile; its buckets keep their tokens, capped
   to the new sizes. conf is borrowed. */
void hny_sched_profile_set_conf (hny_sched_t *self, int profile, const hny_profile_t *conf);
/* Why the profile is paused ("<name>: <reason>"), or NULL (also for a
   profile index out of range: -1, an align job's). */
const char *hny_sched_profile_paused (hny_sched_t *self, int profile);
/* Live workers that serve the profile. */
int hny_sched_profile_workers (hny_sched_t *self, int profile);
/* Translate tasks of the profile waiting (queued or in backoff). */
size_t hny_sched_profile_queued (hny_sched_t *self, int profile);
/* Those of them that may go as soon as budgets and workers allow. */
size_t hny_sched_profile_ready (hny_sched_t *self, int profile);
/* Translate tasks of the profile leased now. */
int hny_sched_profile_inflight (hny_sched_t *self, int profile);
/* The profile that should take the profile's pending work now: its
   fallback while the profile is paused and not probing and the fallback
   is not paused itself; else -1. */
int hny_sched_profile_diverts (hny_sched_t *self, int profile, int64_t now);
/* Take out one waiting task of the profile (to divert it), or NULL. The
   caller owns it. */
hny_task_t *hny_sched_profile_take (hny_sched_t *self, int profile);
/* A RESULT said the service cannot serve the profile now (class paused).
   task: the task that came back (its probe flag counts); free_probe: it sent no
   text (the worker asked a free endpoint, DeepL's /v2/usage). The first
   pause waits retry_base_ms before a probe; each failed probe doubles the
   wait, up to min(60 x retry_base_ms, 60 s), or min(10 x retry_base_ms,
   10 s) for a free probe (asking often costs nothing, and the profile
   resumes within seconds of its quota coming back); a task leased before
   the pause that comes back paused changes only the reason. */
void hny_sched_profile_pause (hny_sched_t *self, int profile, const char *reason,
                              const hny_task_t *task, int free_probe, int64_t now);
/* A RESULT translated something for the profile: it serves again. */
void hny_sched_profile_resume (hny_sched_t *self, int profile);

/* ------------------------------------------------------------ workers */

/* Register a worker with its credit (0: it drains, and takes no new
   task) and the names of the profiles it serves (names the scheduler does
   not know are ignored; prepare tasks go to every worker). The scheduler owns the result; the caller keeps it as
   a handle until hny_sched_worker_remove. */
hny_sworker_t *hny_sched_worker_add (hny_sched_t *self, int credit, const char *const *profiles,
                                     size_t count);
/* The worker parks spare tasks (READY `spares`, PROTOCOL.md 13): while
   its profile's concurrency is full, one more translate task of the
   profile may be leased to it, which it starts only when one of its own
   tasks of the profile ends, into the requests that task freed. So a
   freed slot is refilled in the worker's own loop, without waiting for a
   RESULT and a TASK to cross the broker. Such a spare is not counted in
   the profile's concurrency while it is one; it is counted from the end
   of the worker's next task of the profile (its RESULT, or whatever
   else ends that lease here), and a worker gets a spare only while it
   has none of the profile and every task of the profile it holds makes
   at least as many requests as the spare: the requests that run at the
   service never exceed what is counted here. */
void hny_sched_worker_set_spares (hny_sworker_t *w, int spares);
/* A RESULT from w named the profile (RESULT `profile`): one more of its
   tasks of the profile ended there. A spare carries the count at its
   lease (task->spare_after), and the worker starts it at its own next
   end past that count: the end whose RESULT makes the broker count it. */
void hny_sched_worker_ended (hny_sched_t *self, hny_sworker_t *w, int profile);
/* Spare tasks leased so far (a counter, for logs and tests). */
uint64_t hny_sched_spares_leased (hny_sched_t *self);
/* The registration ends: tasks leased to it go back to the front of their
   queues (why says why), its outstanding TASKs are forgotten. Sets *w_p
   to NULL. */
void hny_sched_worker_remove (hny_sched_t *self, hny_sworker_t **w_p, const char *why);
/* TASKs outstanding at the worker. */
int hny_sched_worker_outstanding (const hny_sworker_t *w);
size_t hny_sched_worker_count (hny_sched_t *self);

/* ------------------------------------------------------------ tasks */

/* Queue a task: at the back of its queue, or in front (a task that has
   waited already); a not_before in the future parks it until then. A
   prepare or align task that is admitted (its job holds a slot: an align
   job's later tasks) must go in front: the queue's head is the only task
   looked at, and one waiting for a slot there would hold back the tasks
   that end the jobs holding the slots (a deadlock with every slot taken).
   The scheduler keeps that order when a parked admitted task wakes. */
void hny_sched_add (hny_sched_t *self, hny_task_t *task, int front, int64_t now);
/* The task with this id, wherever it is (queued, waiting or leased). */
hny_task_t *hny_sched_find (hny_sched_t *self, int64_t id);
/* Take a task out, wherever it is; the caller owns it again. */
void hny_sched_remove (hny_sched_t *self, hny_task_t *task);
/* Back to the front of its queue (a leased task is no longer leased), with
   the reason; avoid (may be NULL): a worker that should not get it again
   while another serves it (it answered 5xx). A task whose leases ended
   HNY_TASK_ATTEMPTS_MAX times by its own failure (lease expired, 5xx, an
   unusable result), or HNY_TASK_LOSSES_MAX times with its worker (a task
   that kills every worker it touches), goes to the exhausted hook
   instead: a worker killed from outside must not fail the innocent tasks
   it held, however often it happens. */
void hny_sched_requeue (hny_sched_t *self, hny_task_t *task, const char *reason,
                        const hny_sworker_t *avoid, int64_t now);
/* Drop every task (through the release hook): queued, waiting and
   leased. Workers keep their outstanding TASKs (hny_sched_restore_leases
   uses them once the tasks are back); profiles keep their pause. */
void hny_sched_clear (hny_sched_t *self);
/* Tasks leased now. */
size_t hny_sched_leased_count (hny_sched_t *self);
/* Queued tasks of a kind (ready or waiting); prepare and align tasks share
   one queue, counted together for either kind. */
size_t hny_sched_queued (hny_sched_t *self, hny_task_kind_t kind);
/* Prepare tasks not yet admitted may be leased while slots > 0; each such
   lease takes one slot. The broker sets it before each dispatch to
   max_jobs_in_flight minus the jobs preparing or translating. */
void hny_sched_set_admission (hny_sched_t *self, int slots);

/* ------------------------------------------------------------ dispatch */

/* The next task that may be leased now, and the worker to lease it to
   (*w), or NULL. The task stays queued until hny_sched_lease: a caller
   that cannot send it must remove it (hny_sched_remove) before asking
   again. Queues take turns, so that no profile and no kind starves
   another. */
hny_task_t *hny_sched_next (hny_sched_t *self, int64_t now, hny_sworker_t **w);
/* Lease the task hny_sched_next returned to that worker: its attempts grow
   by one, it is outstanding at the worker, its profile's budgets pay for
   it, and it is the profile's probe when the profile is paused. A
   translate task leased while its profile's concurrency is full is the
   worker's spare (task->spare set: its TASK says so). */
void hny_sched_lease (hny_sched_t *self, hny_task_t *task, hny_sworker_t *w, int64_t now,
                      int64_t lease_ms);
/* The TASK (id, attempt) that worker w (NULL: a worker the broker does not
   know) answered. Returns 1 when it was outstanding at w: one credit is
   back. 0 otherwise: no credit (PROTOCOL.md section 9). */
int hny_sched_answered (hny_sched_t *self, hny_sworker_t *w, int64_t id, int attempt);
/* Worker w says it holds task (id, attempt) (READY or HEARTBEAT `tasks`):
   renewed if leased to it; adopted if queued or waiting (a restarted
   broker, an expired lease): leased to w, outstanding at it, with a fresh
   lease, so that it is not sent to anyone else. A task leased to another
   worker stays there. Returns 1 when w now holds it. */
int hny_sched_adopt (hny_sched_t *self, hny_sworker_t *w, int64_t id, int attempt, int64_t now,
                     int64_t lease_ms);
/* Leases that ran out go back to the queue ("lease expired"); the TASK
   stays outstanding at its worker until it answers or goes. */
void hny_sched_expire (hny_sched_t *self, int64_t now);
/* After the tasks were loaded again (a store reload): each task that a
   live worker still holds, by its outstanding TASKs, is leased to it again
   with a fresh lease, so that its RESULT is awaited, not duplicated. */
void hny_sched_restore_leases (hny_sched_t *self, int64_t now, int64_t lease_ms);
/* Absolute monotonic ms when dispatch or a lease may change next, or
   HNY_SCHED_NEVER (only events can change anything). */
int64_t hny_sched_deadline (hny_sched_t *self, int64_t now);

/* Task ids on the wire (PROTOCOL.md 5.4): "T<id>.<attempt>". format
   writes it into buf (at least 48 bytes); parse returns 0 and sets id and
   attempt, or -1 for a text that is not one. */
void hny_task_wire_id (const hny_task_t *task, char *buf, size_t size);
int hny_task_wire_parse (const char *text, int64_t *id, int *attempt);

#ifdef __cplusplus
}
#endif
#endif

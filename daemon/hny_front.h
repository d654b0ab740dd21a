/*  hny_front.h: honyakud's answers to clients (PROTOCOL.md sections 5.1,
    5.2, 7 and 8): SUBMIT with its admission rule, STATUS, WAIT (the
    waiters it keeps until their job ends or their time runs out), FETCH,
    LIST and STATS, and REJECTED for everything else.

    It reads the store, the pipeline and the scheduler (all borrowed) and
    writes to the store only to insert a new job; every reply goes out
    through the post callback, which the broker sends after the pass
    commits. No sockets here. */
#ifndef HNY_FRONT_H
#define HNY_FRONT_H

#include "hny_meter.h"
#include "hny_pipeline.h"
#include "hny_sched.h"
#include "hny_store.h"

#include <honyaku/config.h>
#include <honyaku/proto.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_front_t hny_front_t;

/* Queue a message for after the commit; the callee takes it over. */
typedef void (hny_front_post_fn) (hny_msg_t **msg_p, void *arg);

/* What the store can take now (PROTOCOL.md section 14). */
typedef enum {
    HNY_STORE_OK,               /* writes work */
    HNY_STORE_FULL,             /* the disk or max_store_bytes is full: 507 */
    HNY_STORE_FAILED,           /* another failure: 503 */
} hny_store_mode_t;

/* All arguments are borrowed and must outlive the front. version: for
   STATUS. Caller owns the result. */
hny_front_t *hny_front_new (hny_store_t *store, hny_sched_t *sched, hny_pipeline_t *pipeline,
                            const hny_daemon_conf_t *conf, const char *version,
                            hny_front_post_fn *post, void *arg);
/* Drops the waiters without answering them (hny_front_leave answers). */
void hny_front_destroy (hny_front_t **self_p);

/* Answer one message from a client (any message: malformed ones get
   REJECTED with their status). */
void hny_front_handle (hny_front_t *self, hny_msg_t *msg);

/* The in-memory metrics STATS shows (borrowed; NULL: none). */
void hny_front_set_meter (hny_front_t *self, const hny_meter_t *meter);

/* The members of a STATS reply (PROTOCOL.md 5.2: "profiles", "jobs",
   "workers", "queue", "leased", "job_seconds", "since"), as a new object
   the caller owns; NULL when the store could not be read. The one source
   of both STATS and the /metrics endpoint (honyaku/metrics.h). */
json_t *hny_front_stats (hny_front_t *self);

/* The broker is draining (SUBMIT: 503), or its store cannot take writes. */
void hny_front_set_draining (hny_front_t *self, int draining);
void hny_front_set_store_mode (hny_front_t *self, hny_store_mode_t mode);

/* A job ended: its waiters get DONE 200. */
void hny_front_job_final (hny_front_t *self, int64_t job, hny_job_state_t state);
/* Waiters whose time ran out get DONE 300. */
void hny_front_expire (hny_front_t *self, int64_t now);
/* The earliest waiter deadline (monotonic ms), or HNY_SCHED_NEVER. */
int64_t hny_front_deadline (hny_front_t *self);
/* Leaving: every waiter gets DONE 300 with its job's current state. */
void hny_front_leave (hny_front_t *self);

/* The state of a job for a reply: the pipeline's while it is not final,
   else the store's. Returns 1 and sets *state, 0 for an unknown job, -1
   when the store failed. */
int hny_front_job_state (hny_front_t *self, int64_t job, hny_job_state_t *state);

#ifdef __cplusplus
}
#endif
#endif
